//! Rate-limit offenders: the API keys that keep hitting RATE_001, how persistently, how
//! bursty, whether they wait the `retry_after` they are told, and a verdict with its rule.

use std::cmp::Reverse;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::*;

use super::{Table, col, table};
use crate::agg::spill::SpillReader;
use crate::agg::{Aggregate, Events, NameCounts, OTHER, Throttles};
use crate::extract::retry::RetryAfter;
use crate::extract::time::{MICROS_PER_DAY, day_of, format_day};
use crate::secret;
use crate::zone::{Local, Zone};

/// The bounds behind the verdicts; each is a flag of `errlens offenders`.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// `persistent`: RATE_001 on at least this share of the days in range...
    pub persistent_share: f64,
    /// ...and on at least this many days.
    pub persistent_min_days: u64,
    /// `bursty`: at least this many RATE_001 in one minute.
    pub bursty_peak: u64,
    /// `ignores retry_after`: at least this share of its checkable RATE_001 came early...
    pub early_share: f64,
    /// ...and at least this many.
    pub early_min: u64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            persistent_share: 0.5,
            persistent_min_days: 2,
            bursty_peak: 60,
            early_share: 0.5,
            early_min: 5,
        }
    }
}

/// One key's offender figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Offender {
    pub key: Option<String>,
    /// The key's fingerprint ([`secret::fingerprint`]), made in the parallel analysis: the
    /// ranking needs it for every key, and one SHA-256 per key on one thread took 2.5 ms.
    pub key_fingerprint: Option<String>,
    pub requests: u64,
    pub rate_limited: u64,
    /// `limit_type=count` pairs, most first.
    pub limit_types: String,
    pub days_rate_limited: u64,
    pub longest_streak_days: u64,
    pub minutes_rate_limited: u64,
    pub peak_per_minute: u64,
    /// Microseconds since the epoch.
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub retry_after_median_s: Option<f64>,
    pub retry_after_unparsed: u64,
    /// RATE_001 responses that came before the previous one's retry_after had passed.
    pub early_retries: u64,
    /// RATE_001 responses whose predecessor had a time and a parsed retry_after.
    pub retry_checked: u64,
    /// The verdicts earned; their rule texts are written only when shown.
    pub verdicts: Verdicts,
}

/// The verdicts one key earned, with the bounds it was held to, from which the rule texts are
/// written when a row is shown (held as text for every key, they grew with the input: a log
/// read four times made 8 times as many early retries, and the offenders phase 2 MiB larger).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Verdicts {
    pub persistent: bool,
    pub bursty: bool,
    pub ignores_retry_after: bool,
    days_in_range: u64,
    need_days: u64,
    bursty_peak: u64,
    early_share: f64,
}

impl Offender {
    pub fn throttled_share(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.rate_limited as f64 / self.requests as f64
        }
    }

    /// The verdicts' names, in rule order.
    pub fn verdict_names(&self) -> Vec<&'static str> {
        let v = &self.verdicts;
        [
            (v.persistent, "persistent"),
            (v.bursty, "bursty"),
            (v.ignores_retry_after, "ignores retry_after"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }

    /// Each verdict's rule with the figures that met it.
    pub fn rules(&self) -> Vec<String> {
        let v = &self.verdicts;
        let mut out = Vec::new();
        if v.persistent {
            out.push(format!(
                "persistent: RATE_001 on {} of {} days (>= {})",
                self.days_rate_limited, v.days_in_range, v.need_days
            ));
        }
        if v.bursty {
            out.push(format!(
                "bursty: {} RATE_001 in one minute (>= {})",
                self.peak_per_minute, v.bursty_peak
            ));
        }
        if v.ignores_retry_after {
            out.push(format!(
                "ignores retry_after: {} of {} retries came early ({:.0}% >= {:.0}%)",
                self.early_retries,
                self.retry_checked,
                self.early_retry_share().unwrap_or(0.0) * 100.0,
                v.early_share * 100.0
            ));
        }
        out
    }

    pub fn early_retry_share(&self) -> Option<f64> {
        (self.retry_checked > 0).then(|| self.early_retries as f64 / self.retry_checked as f64)
    }

    /// A numeric column by name, for `--fail-if`.
    pub fn metric(&self, column: &str) -> Option<f64> {
        Some(match column {
            "requests" => self.requests as f64,
            "rate_limited" => self.rate_limited as f64,
            "throttled_share" => self.throttled_share(),
            "days_rate_limited" => self.days_rate_limited as f64,
            "longest_streak_days" => self.longest_streak_days as f64,
            "minutes_rate_limited" => self.minutes_rate_limited as f64,
            "peak_per_minute" => self.peak_per_minute as f64,
            "retry_after_median_s" => self.retry_after_median_s?,
            "retry_after_unparsed" => self.retry_after_unparsed as f64,
            "early_retries" => self.early_retries as f64,
            "early_retry_share" => self.early_retry_share()?,
            _ => return None,
        })
    }
}

/// The columns `--fail-if` can test.
pub const METRICS: &[&str] = &[
    "requests",
    "rate_limited",
    "throttled_share",
    "days_rate_limited",
    "longest_streak_days",
    "minutes_rate_limited",
    "peak_per_minute",
    "retry_after_median_s",
    "retry_after_unparsed",
    "early_retries",
    "early_retry_share",
];

/// A timed RATE_001 response as one number that sorts by time, then by retry_after in
/// [`RetryAfter`]'s order (missing, unparsed, then by wait): sorting these was a third of
/// the cost of sorting (time, RetryAfter) pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Timed(u128);

impl Timed {
    const SIGN: u64 = 1 << 63;

    fn new(time: i64, retry: RetryAfter) -> Timed {
        let code = match retry {
            RetryAfter::Missing => 0,
            RetryAfter::Unparsed => 1,
            // Waits are stored clamped to 0 or more (see `Events::push`); the clamp keeps
            // the order for any other.
            RetryAfter::Millis(ms) => 2 + ms.max(0) as u64,
        };
        Timed(((time as u64 ^ Self::SIGN) as u128) << 64 | code as u128)
    }

    fn time(self) -> i64 {
        ((self.0 >> 64) as u64 ^ Self::SIGN) as i64
    }

    fn millis(self) -> Option<i64> {
        let code = self.0 as u64;
        (code >= 2).then(|| (code - 2) as i64)
    }
}

/// The median wait in milliseconds (the mean of the middle two for an even count); reorders
/// `waits`.
fn median_millis(waits: &mut [i64]) -> Option<f64> {
    let n = waits.len();
    if n == 0 {
        return None;
    }
    let (below, mid, _) = waits.select_nth_unstable(n / 2);
    let mid = *mid;
    Some(if n % 2 == 1 {
        mid as f64
    } else {
        let lower = below.iter().copied().max().unwrap_or(mid);
        (lower + mid) as f64 / 2.0
    })
}

/// A thread's buffers for [`analyse`], reused from key to key (allocating them per key was
/// most of the analysis' time).
#[derive(Default)]
struct Scratch {
    timed: Vec<Timed>,
    days: Vec<i32>,
    waits: Vec<i64>,
}

#[allow(clippy::too_many_arguments)]
fn analyse(
    key: Option<&str>,
    requests: u64,
    events: &Events,
    limit_types: &NameCounts,
    days: &mut DayOf,
    scratch: &mut Scratch,
    days_in_range: u64,
    rules: &Rules,
) -> Offender {
    let Scratch {
        timed,
        days: seen_days,
        waits,
    } = scratch;
    timed.clear();
    waits.clear();
    let mut unparsed = 0u64;
    // One pass over the packed events: the timed ones as sort keys, the waits of all.
    for (time, retry) in events.iter() {
        match retry {
            RetryAfter::Millis(ms) => waits.push(ms),
            RetryAfter::Unparsed => unparsed += 1,
            RetryAfter::Missing => {}
        }
        if let Some(t) = time {
            timed.push(Timed::new(t, retry));
        }
    }
    // By time, then by retry_after: responses at the same instant arrive in any order (threads,
    // chunks, spills), and which one's retry_after is checked against the next must not
    // depend on that. A key's events come as a few runs already in time order (one per
    // thread and spill run), which the stable sort merges instead of sorting them over (the
    // keys being whole numbers, stable or not gives the same order).
    timed.sort();
    seen_days.clear();
    seen_days.extend(timed.iter().map(|e| days.day(e.time())));
    seen_days.dedup();
    let days = &*seen_days;
    let mut longest = 0u64;
    let mut run = 0u64;
    for (i, d) in days.iter().enumerate() {
        run = if i > 0 && days[i - 1] + 1 == *d {
            run + 1
        } else {
            1
        };
        longest = longest.max(run);
    }
    let (mut minutes, mut peak, mut in_minute) = (0u64, 0u64, 0u64);
    let mut last_minute = i64::MIN;
    for e in timed.iter() {
        let m = e.time().div_euclid(60_000_000);
        if m != last_minute {
            minutes += 1;
            in_minute = 0;
            last_minute = m;
        }
        in_minute += 1;
        peak = peak.max(in_minute);
    }
    let (mut early, mut checked) = (0u64, 0u64);
    for w in timed.windows(2) {
        if let Some(ms) = w[0].millis() {
            checked += 1;
            // Saturating: a retry_after of 1e300 seconds is a wait past every time.
            if w[1].time() < w[0].time().saturating_add(ms.saturating_mul(1000)) {
                early += 1;
            }
        }
    }
    let median = median_millis(waits).map(|ms| ms / 1000.0);
    let mut types = limit_types.pairs();
    types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut limit_types = String::new();
    for (i, (k, n)) in types.iter().enumerate() {
        use std::fmt::Write as _;
        let sep = if i > 0 { " " } else { "" };
        let _ = write!(limit_types, "{sep}{}={n}", k.unwrap_or("(none)"));
    }

    let mut o = Offender {
        key: key.map(str::to_owned),
        key_fingerprint: key.map(secret::fingerprint),
        requests,
        rate_limited: events.len(),
        limit_types,
        days_rate_limited: days.len() as u64,
        longest_streak_days: longest,
        minutes_rate_limited: minutes,
        peak_per_minute: peak,
        first: timed.first().map(|e| e.time()),
        last: timed.last().map(|e| e.time()),
        retry_after_median_s: median,
        retry_after_unparsed: unparsed,
        early_retries: early,
        retry_checked: checked,
        verdicts: Verdicts::default(),
    };
    let need_days = ((rules.persistent_share * days_in_range as f64).ceil() as u64)
        .max(rules.persistent_min_days);
    o.verdicts = Verdicts {
        persistent: o.days_rate_limited >= need_days,
        bursty: o.peak_per_minute >= rules.bursty_peak,
        ignores_retry_after: o
            .early_retry_share()
            .is_some_and(|share| share >= rules.early_share && o.early_retries >= rules.early_min),
        days_in_range,
        need_days,
        bursty_peak: rules.bursty_peak,
        early_share: rules.early_share,
    };
    o
}

/// How persistence counts days: the zone of a day, and the days in range.
pub struct Calendar<'a> {
    /// Local days in this zone; `None` counts UTC days.
    pub zone: Option<&'a Zone>,
    pub in_range: u64,
}

impl Calendar<'_> {
    /// UTC days; the range is the days of `agg` with a request.
    fn utc(agg: &Aggregate) -> Calendar<'static> {
        Calendar {
            zone: None,
            in_range: agg.days.iter().filter(|(d, _)| d.is_some()).count() as u64,
        }
    }

    fn day_of(&self) -> DayOf {
        match self.zone {
            None => DayOf::Utc,
            Some(z) => DayOf::Local(z.local()),
        }
    }
}

/// The day of an instant, one per thread (a local zone caches its offset).
enum DayOf {
    Utc,
    Local(Local),
}

impl DayOf {
    fn day(&mut self, micros: i64) -> i32 {
        match self {
            DayOf::Utc => day_of(micros),
            DayOf::Local(l) => l.day_hour(micros).0,
        }
    }
}

/// Keys analysed side by side at most: spilled events are read back for a batch at a time.
const BATCH: usize = 512;

/// Keys a thread takes from a batch at a time: few enough that the threads finish a batch
/// together, enough that taking them costs nothing (a key's analysis takes about 1.5 µs).
const BLOCK: usize = 16;

/// A key and its RATE_001 responses.
type KeyThrottles<'a> = (Option<&'a str>, &'a Throttles);

/// Where a row ranks: most RATE_001 first, then most requests, then by fingerprint (then by
/// key: two keys with one fingerprint, a 64-bit collision, still rank the same every run).
type Rank = (Reverse<u64>, Reverse<u64>, Option<u64>);

/// The counts a [`Rank`] starts with: RATE_001, then requests, most first.
type Counts = (Reverse<u64>, Reverse<u64>);

/// A row's [`Rank`]; a fingerprint is 16 hex digits, so its number sorts as its text does.
fn rank(rate_limited: u64, requests: u64, fingerprint: Option<&str>) -> Rank {
    let fp = fingerprint.map(|f| u64::from_str_radix(f, 16).unwrap_or(u64::MAX));
    (Reverse(rate_limited), Reverse(requests), fp)
}

/// A batch of keys shared by the threads of the analysis.
struct Job<'k, 'a> {
    keys: &'k [KeyThrottles<'a>],
    /// Their events, read back from the spill; empty when nothing spilled.
    whole: Vec<Events>,
    /// The first key no thread has taken yet.
    next: AtomicUsize,
}

impl<'k, 'a> Job<'k, 'a> {
    /// The next [`BLOCK`] keys no thread has taken, with the index of the first.
    fn take(&self) -> Option<(usize, &'k [KeyThrottles<'a>])> {
        let from = self.next.fetch_add(BLOCK, Ordering::Relaxed);
        let keys = self.keys;
        keys.get(from..)
            .filter(|k| !k.is_empty())
            .map(|k| (from, &k[..BLOCK.min(k.len())]))
    }
}

/// Every key with at least `min_rate_limited` RATE_001 responses, ranked: most RATE_001 first,
/// then most requests, then by fingerprint. Days are UTC days; the range is the days with a
/// request.
pub fn offenders(
    agg: &Aggregate,
    rules: &Rules,
    min_rate_limited: u64,
) -> io::Result<Vec<Offender>> {
    offenders_in(agg, rules, min_rate_limited, &Calendar::utc(agg))
}

/// The keys the offenders analysis looks at: all with RATE_001 responses but `(other)`.
fn throttled(agg: &Aggregate) -> impl Iterator<Item = KeyThrottles<'_>> {
    agg.throttles
        .iter()
        .filter(|&(k, _)| analysed(k))
        .map(|(k, t)| (k, &**t))
}

/// Whether the offenders analysis looks at key `k`: the `(other)` row of keys past
/// `--max-keys` mixes many keys, so it is left out.
fn analysed(k: Option<&str>) -> bool {
    k != Some(OTHER)
}

/// Key `k`'s events whole: those spilled, read back from `r`, then those still held in `t`.
fn whole_events(r: &mut SpillReader, k: Option<&str>, t: &Throttles) -> io::Result<Events> {
    let mut events = r.take(k)?;
    events.append(&t.events);
    Ok(events)
}

/// The first `n` rows of [`offenders`], and how many rows it has in all, analysing only the
/// keys of those rows: a key's rank needs its counts and fingerprint alone, and a terminal
/// shows ten rows of the 12k keys a week's log has (analysing them all took about 20 ms,
/// after the parallel phase, at -j 1 and -j 2 alike; the ten take 2 ms). With `n` at least
/// the number of rows, this is `offenders` (whose analysis is shared between threads).
pub fn leading_offenders(
    agg: &Aggregate,
    rules: &Rules,
    min_rate_limited: u64,
    n: usize,
) -> io::Result<(Vec<Offender>, usize)> {
    let all_rows = || -> io::Result<(Vec<Offender>, usize)> {
        let all = offenders(agg, rules, min_rate_limited)?;
        let total = all.len();
        Ok((all, total))
    };
    // Should a key's events not be its row's count (see the check below), every key is
    // ranked by its events instead.
    let not_as_counted = || {
        let (mut all, total) = all_rows()?;
        all.truncate(n);
        Ok((all, total))
    };
    // Every row wanted (formats that keep them all): no ranking here.
    if n >= agg.throttles.len() {
        return all_rows();
    }
    let spill = agg.spill.as_ref().filter(|s| s.run_count() > 0);
    // As `offenders_in` picks them, ranked by their counts first, read off the key table in
    // one pass: a key's RATE_001 responses are its row's count (a response adds one event
    // and one to its row's count, and events go where their row goes when rows fold).
    // Looking up the row of each key with events instead was 12k cache misses, 1.8 ms at
    // the end of a run. Checked below for the keys analysed.
    let mut keys: Vec<(Counts, Option<&str>)> = agg
        .keys
        .iter()
        .filter(|&(k, s)| analysed(k) && s.rate_limited >= min_rate_limited.max(1))
        .map(|(k, s)| ((Reverse(s.rate_limited), Reverse(s.requests)), k))
        .collect();
    let total = keys.len();
    if n >= total {
        return all_rows();
    }
    if n == 0 {
        return Ok((Vec::new(), total));
    }
    // The keys ranked before the n-th by counts, or tied with it: the rows are among them.
    super::leading(&mut keys, n, |(counts, _)| *counts);
    let mut ranked: Vec<(Rank, KeyThrottles<'_>)> = Vec::with_capacity(keys.len());
    for ((rl, req), k) in keys {
        let Some(t) = agg.throttles.get(k) else {
            debug_assert!(false, "{k:?}: {} RATE_001 in its row, no events", rl.0);
            return not_as_counted();
        };
        let fp = k.map(secret::fingerprint);
        ranked.push((rank(rl.0, req.0, fp.as_deref()), (k, &**t)));
    }
    ranked.sort_unstable_by(|(a, (k, _)), (b, (l, _))| a.cmp(b).then_with(|| k.cmp(l)));
    ranked.truncate(n);
    // Their events whole, the spilled ones read back in key order.
    let mut whole: Vec<Option<Events>> = vec![None; ranked.len()];
    if let Some(spill) = spill {
        let mut by_key: Vec<usize> = (0..ranked.len()).collect();
        by_key.sort_unstable_by_key(|&i| ranked[i].1.0);
        let mut reader = spill.reader()?;
        for i in by_key {
            let (_, (k, t)) = ranked[i];
            whole[i] = Some(whole_events(&mut reader, k, t)?);
        }
    }
    // Each key's events: read back whole, or all still held.
    let events: Vec<&Events> = ranked
        .iter()
        .zip(&whole)
        .map(|((_, (_, t)), whole)| whole.as_ref().unwrap_or(&t.events))
        .collect();
    for (((Reverse(count), _, _), (k, _)), events) in ranked.iter().zip(&events) {
        if events.len() != *count {
            debug_assert!(false, "{k:?}: {} events, {count} in its row", events.len());
            return not_as_counted();
        }
    }
    let days = Calendar::utc(agg);
    let (mut day_of, mut scratch) = (days.day_of(), Scratch::default());
    let rows = ranked
        .into_iter()
        .zip(events)
        .map(|(((_, Reverse(requests), _), (k, t)), events)| {
            analyse(
                k,
                requests,
                events,
                &t.limit_types,
                &mut day_of,
                &mut scratch,
                days.in_range,
                rules,
            )
        })
        .collect();
    Ok((rows, total))
}

/// [`offenders`] with days counted by `days` (daily reports count local days). The `(other)`
/// row of keys past `--max-keys` mixes many keys, so it is left out: its RATE_001 are in the
/// key table and the fold warning. Events spilled to disk are read back key by key (the only
/// error is failing to read them).
pub fn offenders_in(
    agg: &Aggregate,
    rules: &Rules,
    min_rate_limited: u64,
    days: &Calendar<'_>,
) -> io::Result<Vec<Offender>> {
    let mut keys: Vec<KeyThrottles<'_>> = throttled(agg).collect();
    let mut spilled = match &agg.spill {
        Some(s) if s.run_count() > 0 => {
            keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            Some(s.reader()?)
        }
        _ => None,
    };
    // With a spill, each key's events whole: the spilled ones and those still held. The
    // next batch is read back while this one is analysed.
    let read = |batch: &[KeyThrottles<'_>],
                spilled: &mut Option<SpillReader>|
     -> io::Result<Vec<Events>> {
        let Some(r) = spilled else {
            return Ok(Vec::new());
        };
        batch.iter().map(|&(k, t)| whole_events(r, k, t)).collect()
    };
    let batches: Vec<&[KeyThrottles<'_>]> = keys.chunks(BATCH).collect();
    // One thread's share of a batch: blocks of keys taken until none are left, analysed
    // with that thread's own buffers.
    let work = |job: &Job<'_, '_>, mine: &mut (DayOf, Scratch), rows: &mut Vec<Offender>| {
        while let Some((from, block)) = job.take() {
            for (i, &(k, t)) in block.iter().enumerate() {
                let events = job.whole.get(from + i).unwrap_or(&t.events);
                if events.len() >= min_rate_limited.max(1) {
                    let requests = agg.keys.get(k).map_or(0, |s| s.requests);
                    let (day_of, scratch) = &mut *mine;
                    rows.push(analyse(
                        k,
                        requests,
                        events,
                        &t.limit_types,
                        day_of,
                        scratch,
                        days.in_range,
                        rules,
                    ));
                }
            }
        }
    };
    // The threads `-j` allows (rayon's global pool is sized by it): this one and helpers
    // that live through every batch. With a batch cut into one fixed part per thread, the
    // threads waited for the one that also read the spill back (the phase took as long on
    // two threads as on one); with rayon's par_iter, the second thread rarely woke in time
    // to take a share.
    let threads = rayon::current_num_threads().max(1);
    let mut out = std::thread::scope(|scope| -> io::Result<Vec<Offender>> {
        let work = &work;
        let mut helpers = Vec::new();
        let mut senders = Vec::new();
        // A helper's rows come back batch by batch, into the one vector of all rows (kept
        // until the end on each helper, they were a second copy of half the rows).
        let (done_tx, done) = crossbeam_channel::unbounded::<Vec<Offender>>();
        // No more helpers than blocks of keys after this thread's first (a day's report in
        // `daily` may have only a few keys).
        let helpers_wanted = (threads - 1).min(keys.len().div_ceil(BLOCK).saturating_sub(1));
        for _ in 0..helpers_wanted {
            // One batch queued per helper at most: a helper that gets no CPU for a while
            // makes this thread wait instead of reading every batch back from the spill
            // into its queue.
            let (tx, rx) = crossbeam_channel::bounded::<Arc<Job<'_, '_>>>(1);
            let done_tx = done_tx.clone();
            let helper = std::thread::Builder::new()
                .name("errlens-offenders".into())
                .spawn_scoped(scope, move || {
                    let mut mine = (days.day_of(), Scratch::default());
                    for job in rx {
                        let mut rows = Vec::new();
                        work(&job, &mut mine, &mut rows);
                        let _ = done_tx.send(rows);
                    }
                });
            // A thread the system will not start: the others take its share.
            if let Ok(h) = helper {
                helpers.push(h);
                senders.push(tx);
            }
        }
        let share = |keys, whole| {
            let job = Arc::new(Job {
                keys,
                whole,
                next: AtomicUsize::new(0),
            });
            for tx in &senders {
                let _ = tx.send(job.clone());
            }
            job
        };
        drop(done_tx);
        let mut mine = (days.day_of(), Scratch::default());
        let mut rows = Vec::with_capacity(keys.len());
        let mut job = match batches.first() {
            Some(&b) => Some(share(b, read(b, &mut spilled)?)),
            None => None,
        };
        for n in 0..batches.len() {
            // The next batch is read back and handed out before this thread takes its share
            // of this one: a helper done with this batch goes on to the next without waiting
            // (woken for each batch, it took a third of the keys).
            let next = match batches.get(n + 1) {
                Some(&b) => Some(share(b, read(b, &mut spilled)?)),
                None => None,
            };
            if let Some(job) = &job {
                work(job, &mut mine, &mut rows);
            }
            rows.extend(done.try_iter().flatten());
            job = next;
        }
        drop(senders);
        for h in helpers {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
        rows.extend(done.try_iter().flatten());
        Ok(rows)
    })?;
    // The threads took keys in no fixed order. Ranked by sort keys made once (sorting the
    // rows themselves moved 12k large structs about: 4 ms).
    let mut order: Vec<(Rank, usize)> = out
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let fp = o.key_fingerprint.as_deref();
            (rank(o.rate_limited, o.requests, fp), i)
        })
        .collect();
    order.sort_unstable_by(|(a, i), (b, j)| a.cmp(b).then_with(|| out[*i].key.cmp(&out[*j].key)));
    let from: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
    permute(&mut out, from);
    Ok(out)
}

/// Reorders `rows` in place so that row `k` is the one that was at `from[k]` (a permutation),
/// one cycle at a time: a sorted copy would hold every row twice.
fn permute<T>(rows: &mut [T], mut from: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..rows.len() {
        // Along the cycle through `start`: each swap puts the row that belongs at `at` there
        // and carries `start`'s row on, to the place the cycle closes at.
        let mut at = start;
        while from[at] != DONE {
            let next = from[at];
            from[at] = DONE;
            if next == start {
                break;
            }
            rows.swap(at, next);
            at = next;
        }
    }
}

fn instant(us: i64) -> String {
    let day = us.div_euclid(MICROS_PER_DAY);
    let rem = us.rem_euclid(MICROS_PER_DAY) / 1_000_000;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_day(day as i32),
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The offenders as a report table (keys masked unless `show_keys`), cut to `top` rows.
pub fn table_of(all: &[Offender], show_keys: bool, top: Option<usize>) -> PolarsResult<Table> {
    // Only the rows `--top` keeps are made (their fingerprints and times are text, and all
    // 12k keys of a week's log took 5 ms, for the 10 a terminal shows).
    let rows = match top {
        Some(n) if n > 0 => &all[..n.min(all.len())],
        _ => all,
    };
    table_of_leading(rows, all.len(), show_keys, top)
}

/// [`table_of`] from the leading rows alone (at most `top`), of `total` rows in all.
pub fn table_of_leading(
    rows: &[Offender],
    total: usize,
    show_keys: bool,
    top: Option<usize>,
) -> PolarsResult<Table> {
    let key: Vec<Option<String>> = rows
        .iter()
        .map(|o| o.key.as_deref().map(|k| secret::shown(k, show_keys)))
        .collect();
    let fp: Vec<Option<String>> = rows.iter().map(|o| o.key_fingerprint.clone()).collect();
    let u = |f: fn(&Offender) -> u64| rows.iter().map(f).collect::<Vec<u64>>();
    let df = DataFrame::new_infer_height(vec![
        col("rank", (1..=rows.len() as u64).collect::<Vec<_>>()),
        col("key", key),
        col("key_fingerprint", fp),
        col("requests", u(|o| o.requests)),
        col("rate_limited", u(|o| o.rate_limited)),
        col(
            "throttled_share",
            rows.iter()
                .map(|o| (o.throttled_share() * 1e4).round() / 1e4)
                .collect::<Vec<f64>>(),
        ),
        col(
            "limit_types",
            rows.iter()
                .map(|o| o.limit_types.clone())
                .collect::<Vec<_>>(),
        ),
        col("days_rate_limited", u(|o| o.days_rate_limited)),
        col("longest_streak_days", u(|o| o.longest_streak_days)),
        col("minutes_rate_limited", u(|o| o.minutes_rate_limited)),
        col("peak_per_minute", u(|o| o.peak_per_minute)),
        col(
            "first_rate_limited",
            rows.iter()
                .map(|o| o.first.map(instant))
                .collect::<Vec<_>>(),
        ),
        col(
            "last_rate_limited",
            rows.iter().map(|o| o.last.map(instant)).collect::<Vec<_>>(),
        ),
        col(
            "retry_after_median_s",
            rows.iter()
                .map(|o| o.retry_after_median_s)
                .collect::<Vec<_>>(),
        ),
        col("retry_after_unparsed", u(|o| o.retry_after_unparsed)),
        col("early_retries", u(|o| o.early_retries)),
        col(
            "early_retry_share",
            rows.iter()
                .map(|o| o.early_retry_share().map(|s| (s * 1e4).round() / 1e4))
                .collect::<Vec<_>>(),
        ),
        col(
            "verdict",
            rows.iter()
                .map(|o| {
                    let names = o.verdict_names();
                    if names.is_empty() {
                        "-".to_owned()
                    } else {
                        names.join(", ")
                    }
                })
                .collect::<Vec<_>>(),
        ),
        col(
            "rule",
            rows.iter()
                .map(|o| o.rules().join("; "))
                .collect::<Vec<_>>(),
        ),
    ])?;
    let mut t = table("offenders", "Rate-limit offenders (RATE_001)", df, top);
    t.total_rows = total;
    t.terminal_columns = Some(&[
        "rank",
        "key",
        "requests",
        "rate_limited",
        "throttled_share",
        "days_rate_limited",
        "longest_streak_days",
        "peak_per_minute",
        "retry_after_median_s",
        "early_retry_share",
        "verdict",
    ]);
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key `k` of `keys` (named `wk_live_` and `k`) with `k % per_key + 1` RATE_001
    /// responses, the `n`-th at second `k * a + n * b`, told to wait `wait`; a spill if given.
    fn throttled_keys(
        mut agg: Aggregate,
        spill: Option<crate::agg::Spill>,
        keys: usize,
        per_key: usize,
        (a, b): (usize, usize),
        wait: &str,
    ) -> Aggregate {
        use crate::agg::test_records::throttled;
        if let Some(s) = spill {
            agg = agg.with_spill(Arc::new(s));
        }
        for k in 0..keys {
            let key = format!("wk_live_{k:06}");
            for n in 0..k % per_key + 1 {
                let micros = ((k * a + n * b) as i64) * 1_000_000;
                agg.add_request(&throttled(&key, micros, wait));
            }
        }
        agg
    }

    fn analysis_of(t: &Throttles, requests: u64, scratch: &mut Scratch) -> Offender {
        let (events, types) = (&t.events, &t.limit_types);
        let rules = Rules::default();
        analyse(
            Some("k"),
            requests,
            events,
            types,
            &mut DayOf::Utc,
            scratch,
            1,
            &rules,
        )
    }

    #[test]
    fn timed_sorts_like_time_then_retry_after_and_medians_are_exact() {
        // Times and waits around the edges: negative, zero, equal, huge.
        let times = [i64::MIN, -5, 0, 0, 7, 1 << 40, i64::MAX];
        let retries = [
            RetryAfter::Missing,
            RetryAfter::Unparsed,
            RetryAfter::Millis(0),
            RetryAfter::Millis(999),
            RetryAfter::Millis(1 << 60),
        ];
        let mut pairs: Vec<(i64, RetryAfter)> = times
            .iter()
            .flat_map(|&t| retries.iter().map(move |&r| (t, r)))
            .rev()
            .collect();
        let mut keys: Vec<Timed> = pairs.iter().map(|&(t, r)| Timed::new(t, r)).collect();
        pairs.sort_unstable();
        keys.sort_unstable();
        for (k, (t, r)) in keys.iter().zip(&pairs) {
            assert_eq!(k.time(), *t);
            let ms = match r {
                RetryAfter::Millis(ms) => Some(*ms),
                _ => None,
            };
            assert_eq!(k.millis(), ms);
        }
        assert_eq!(median_millis(&mut []), None);
        assert_eq!(median_millis(&mut [5]), Some(5.0));
        assert_eq!(median_millis(&mut [9, 1, 5]), Some(5.0));
        assert_eq!(median_millis(&mut [9, 1, 4, 6]), Some(5.0));
        assert_eq!(median_millis(&mut [3, 3, 1000, 1000]), Some(501.5));
    }

    #[test]
    fn early_retries_in_time_order_and_huge_waits_do_not_overflow() {
        let mut t = Throttles::default();
        let s = 1_000_000i64; // a second in µs
        // Added out of order: sorted, they are 0 s, 0.2 s (early: waits 1 s), 5 s, 6 s (early:
        // a wait of 1e300 s saturates to "forever"), and one without a time.
        t.events.push(Some(5 * s), RetryAfter::Millis(i64::MAX));
        t.events.push(Some(0), RetryAfter::Millis(1000));
        t.events.push(None, RetryAfter::Unparsed);
        t.events.push(Some(s / 5), RetryAfter::Millis(1000));
        t.events.push(Some(6 * s), RetryAfter::Missing);
        let mut scratch = Scratch::default();
        let o = analysis_of(&t, 10, &mut scratch);
        assert_eq!(o.rate_limited, 5);
        assert_eq!((o.early_retries, o.retry_checked), (2, 3));
        assert_eq!(o.retry_after_unparsed, 1);
        assert_eq!((o.first, o.last), (Some(0), Some(6 * s)));
        assert_eq!(o.peak_per_minute, 4);
        // The buffers of an earlier key change nothing.
        assert_eq!(analysis_of(&t, 10, &mut scratch), o);
        let mut other = Throttles::default();
        other.events.push(Some(s), RetryAfter::Millis(1));
        assert_eq!(analysis_of(&other, 1, &mut scratch).early_retries, 0);
        assert_eq!(analysis_of(&t, 10, &mut scratch), o);
    }

    #[test]
    fn permute_puts_each_row_where_from_says() {
        // Cycles of every length, fixed points, the reversal.
        let perms: [&[usize]; 5] = [&[], &[0], &[1, 0], &[2, 0, 1, 3, 6, 4, 5], &[4, 3, 2, 1, 0]];
        for from in perms {
            let rows: Vec<String> = (0..from.len()).map(|i| format!("row{i}")).collect();
            let want: Vec<String> = from.iter().map(|&i| rows[i].clone()).collect();
            let mut got = rows.clone();
            permute(&mut got, from.to_vec());
            assert_eq!(got, want, "{from:?}");
        }
    }

    #[test]
    fn any_number_of_threads_ranks_the_same_rows() {
        use crate::agg::Spill;

        // Several batches of keys, with ties in the ranking (keys with the same counts),
        // held in memory or spilled to disk.
        let keys = 2 * BATCH + 77;
        let build = |spill: Option<Spill>| {
            throttled_keys(Aggregate::default(), spill, keys, 5, (7, 61), "90 seconds")
        };
        let on = |threads: usize, agg: &Aggregate| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| offenders(agg, &Rules::default(), 1).unwrap())
        };
        let held = build(None);
        let want = on(1, &held);
        assert_eq!(want.len(), keys);
        assert!(
            want.windows(2)
                .all(|w| (w[0].rate_limited, w[0].requests) >= (w[1].rate_limited, w[1].requests))
        );
        assert_eq!(want[0].rate_limited, 5);
        // A key's responses are 61 s apart and told to wait 90 s: all but its first are early.
        let early: u64 = (0..keys).map(|k| (k % 5) as u64).sum();
        assert_eq!(want.iter().map(|o| o.early_retries).sum::<u64>(), early);
        for threads in [2, 3] {
            assert_eq!(on(threads, &held), want, "{threads} threads");
        }
        let spilled = build(Some(Spill::new(1024)));
        assert!(spilled.spill.as_ref().unwrap().run_count() > 1);
        for threads in [1, 3] {
            assert_eq!(on(threads, &spilled), want, "{threads} threads, spilled");
        }
    }

    #[test]
    fn the_leading_rows_are_the_first_rows_of_all() {
        use crate::agg::test_records::throttled;
        use crate::agg::{Caps, Spill};
        use crate::extract::Record;

        // Ties everywhere (keys with the same counts rank by fingerprint), a key-less
        // request, keys past the cap folded into (other), and optionally a spill.
        let build = |spill: Option<Spill>, cap: usize| {
            let caps = Caps {
                keys: cap,
                ..Caps::default()
            };
            let agg = Aggregate::with_caps(caps);
            let mut agg = throttled_keys(agg, spill, 300, 4, (13, 7), "2 seconds");
            // Some keys with a success too: same RATE_001, more requests.
            for k in (0..300usize).step_by(7) {
                let key = format!("wk_live_{k:06}");
                let mut ok = throttled(&key, 0, "1 seconds");
                ok.status = Some(200);
                ok.envelope = None;
                agg.add_request(&ok);
            }
            for n in 0..3 {
                agg.add_request(&Record {
                    key: None,
                    ..throttled("-", n * 1_000_000, "1 seconds")
                });
            }
            agg
        };
        let cases = [
            (None, 100_000),
            (None, 250),
            (Some(1024), 100_000),
            (Some(1024), 250),
        ];
        for (spill, cap) in cases {
            let agg = build(spill.map(Spill::new), cap);
            // With a budget, events did go to disk, and the rows' events are read back.
            let runs = agg.spill.as_ref().map_or(1, |s| s.run_count());
            assert!(runs > 0, "spilled");
            for min in [1, 3] {
                let all = offenders(&agg, &Rules::default(), min).unwrap();
                assert!(all.len() > 50, "{}", all.len());
                for n in [0, 1, 2, 10, 73, all.len() - 1, all.len(), all.len() + 5] {
                    let (rows, total) = leading_offenders(&agg, &Rules::default(), min, n).unwrap();
                    assert_eq!(total, all.len(), "n {n}, min {min}, cap {cap}");
                    assert_eq!(rows, all[..n.min(all.len())], "n {n}, min {min}, cap {cap}");
                }
            }
        }
    }

    #[test]
    fn responses_at_the_same_instant_count_the_same_in_any_order() {
        let s = 1_000_000i64;
        let events = [
            (Some(0), RetryAfter::Millis(5000)),
            (Some(0), RetryAfter::Millis(1000)),
            (Some(3 * s), RetryAfter::Missing),
        ];
        let early = |order: &[usize]| {
            let mut t = Throttles::default();
            for &i in order {
                t.events.push(events[i].0, events[i].1);
            }
            let o = analysis_of(&t, 3, &mut Scratch::default());
            (o.early_retries, o.retry_checked)
        };
        // Sorted (0 s wait 1 s, 0 s wait 5 s, 3 s): the second is early, the third too.
        assert_eq!(early(&[0, 1, 2]), (2, 2));
        assert_eq!(early(&[1, 0, 2]), (2, 2));
        assert_eq!(early(&[2, 0, 1]), (2, 2));
    }
}
