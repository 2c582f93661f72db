//! Mergeable partial aggregates: each worker fills its own, the driver merges them.
//! Every sum is commutative, so the result is the same for any chunking and thread count.

pub mod daily;
pub mod driver;
pub mod events;
pub mod few;
pub mod keyed;
pub mod spill;
pub mod tables;

use std::hash::Hash;
use std::sync::Arc;

use hashbrown::HashMap;

use crate::catalog::RATE_LIMIT_CODE;
use crate::extract::Record;
use crate::extract::retry::parse_retry_after;
pub use events::Events;
pub use few::NameCounts;
pub use keyed::{Hint, Keyed, OTHER};
pub use spill::Spill;
pub use tables::{ByStatus, Runs};

/// Combines two partial results of the same kind.
pub trait Merge {
    fn merge(&mut self, other: Self);
}

impl Merge for u64 {
    fn merge(&mut self, other: u64) {
        *self += other;
    }
}

impl<T: Merge> Merge for Box<T> {
    fn merge(&mut self, other: Box<T>) {
        (**self).merge(*other);
    }
}

impl<const N: usize> Merge for [u64; N] {
    fn merge(&mut self, other: [u64; N]) {
        for (a, b) in self.iter_mut().zip(other) {
            *a += b;
        }
    }
}

impl<K: Hash + Eq, V: Merge + Default> Merge for HashMap<K, V> {
    fn merge(&mut self, other: Self) {
        for (k, v) in other {
            self.entry(k).or_default().merge(v);
        }
    }
}

/// What the driver fills, one per worker, merged at the end: line counts and requests.
pub trait Sink: Merge + Send {
    /// The line buckets (the driver counts blank, malformed, unrecognized and filtered lines).
    fn totals(&mut self) -> &mut Totals;
    /// Counts one request that passed the filters; `hint` is what [`Sink::prefetch`] gave
    /// for it.
    fn add_request(&mut self, rec: &Record<'_>, hint: Hint);
    /// A hint that `rec` will be counted soon: start loading what counting it touches, and
    /// return what counting it can reuse.
    fn prefetch(&self, _rec: &Record<'_>) -> Hint {
        Hint::default()
    }
}

impl Sink for Aggregate {
    fn totals(&mut self) -> &mut Totals {
        &mut self.totals
    }

    #[inline]
    fn add_request(&mut self, rec: &Record<'_>, hint: Hint) {
        Aggregate::add_hinted(self, rec, hint)
    }

    #[inline]
    fn prefetch(&self, rec: &Record<'_>) -> Hint {
        self.keys.prefetch(rec.key.as_deref())
    }
}

/// Where every line went; the buckets add up to `lines`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub lines: u64,
    pub blank: u64,
    pub malformed: u64,
    pub unrecognized: u64,
    /// Requests left out by `--since`, `--until`, `--key` or `--code`.
    pub filtered: u64,
    pub requests: u64,
    pub successes: u64,
    pub errors: u64,
}

impl Totals {
    /// True when the buckets account for every line.
    pub fn reconciles(&self) -> bool {
        self.blank + self.malformed + self.unrecognized + self.filtered + self.requests
            == self.lines
            && self.successes + self.errors == self.requests
    }
}

impl Merge for Totals {
    fn merge(&mut self, o: Totals) {
        self.lines += o.lines;
        self.blank += o.blank;
        self.malformed += o.malformed;
        self.unrecognized += o.unrecognized;
        self.filtered += o.filtered;
        self.requests += o.requests;
        self.successes += o.successes;
        self.errors += o.errors;
    }
}

/// Requests and the errors among them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReqErr {
    pub requests: u64,
    pub errors: u64,
}

impl Merge for ReqErr {
    fn merge(&mut self, o: ReqErr) {
        self.requests += o.requests;
        self.errors += o.errors;
    }
}

// An API key's slot is one cache line, so that the key prefetch covers six slots (see
// `Keyed::prefetch`): a counter more would make it two.
const _: () = assert!(keyed::slot_bytes::<KeyStats>() == 64);

/// Per API key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyStats {
    pub requests: u64,
    pub errors: u64,
    /// RATE_001 error items.
    pub rate_limited: u64,
}

impl Merge for KeyStats {
    fn merge(&mut self, o: KeyStats) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.rate_limited += o.rate_limited;
    }
}

/// Per error code: how often, under which groups, descriptions and HTTP statuses.
#[derive(Clone, Debug, Default)]
pub struct CodeStats {
    pub count: u64,
    pub groups: Keyed<u64>,
    pub descriptions: Keyed<u64>,
    pub statuses: HashMap<Option<u16>, u64>,
}

impl Merge for CodeStats {
    fn merge(&mut self, o: CodeStats) {
        self.count += o.count;
        self.groups.merge(o.groups);
        self.descriptions.merge(o.descriptions);
        self.statuses.merge(o.statuses);
    }
}

/// One key's RATE_001 responses, kept for the offenders analysis: memory grows with the
/// number of RATE_001 responses, not with the number of requests.
#[derive(Clone, Debug, Default)]
pub struct Throttles {
    /// (time in µs, retry_after) of each, packed (about 5 bytes each).
    pub events: Events,
    /// RATE_001 responses by `params.limit_type`.
    pub limit_types: NameCounts,
}

impl Merge for Throttles {
    fn merge(&mut self, o: Throttles) {
        self.events.merge(o.events);
        self.limit_types.merge(o.limit_types);
    }
}

/// Distinct values kept per dimension; past a cap, new values fold into an `(other)` row, so
/// memory stays bounded on hostile input while every total stays exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// API keys (and the keys of the offenders analysis).
    pub keys: usize,
    /// Error codes, groups, and descriptions and groups per code.
    pub codes: usize,
    /// Endpoints per method, and methods.
    pub endpoints: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            keys: 100_000,
            codes: 1_000,
            endpoints: 10_000,
        }
    }
}

/// What folded into `(other)` rows: requests for keys and endpoints, error items for codes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Folded {
    pub keys: u64,
    pub codes: u64,
    pub endpoints: u64,
}

impl Merge for Folded {
    fn merge(&mut self, o: Folded) {
        self.keys += o.keys;
        self.codes += o.codes;
        self.endpoints += o.endpoints;
    }
}

impl Folded {
    /// Warnings for people, one per dimension that folded.
    pub fn warnings(&self, caps: &Caps) -> Vec<String> {
        let mut w = Vec::new();
        if self.keys > 0 {
            w.push(format!(
                "more than {} distinct API keys: {} requests of the others are counted under (other) (--max-keys raises the cap)",
                caps.keys, self.keys
            ));
        }
        if self.codes > 0 {
            w.push(format!(
                "more than {} distinct error codes, groups or descriptions: {} error items are counted under (other) (--max-codes raises the cap)",
                caps.codes, self.codes
            ));
        }
        if self.endpoints > 0 {
            w.push(format!(
                "more than {} distinct endpoints (or methods): {} requests are counted under (other) (--max-endpoints raises the cap)",
                caps.endpoints, self.endpoints
            ));
        }
        w
    }
}

/// Everything counted over the input.
#[derive(Debug, Default)]
pub struct Aggregate {
    pub caps: Caps,
    pub folded: Folded,
    pub totals: Totals,
    /// Error items by code (an `errors` array counts each element); `None`: no code given.
    pub codes: Keyed<CodeStats>,
    /// Error items by group.
    pub groups: Keyed<u64>,
    pub statuses: ByStatus<ReqErr>,
    pub keys: Keyed<KeyStats>,
    /// By UTC day number (days since 1970-01-01).
    pub days: Runs<Option<i32>, ReqErr>,
    /// By method, then endpoint path.
    pub endpoints: Keyed<Keyed<ReqErr>>,
    /// RATE_001 responses by API key. Their events may be partly in `spill`. Boxed, so a
    /// slot of the table holds a pointer, not the whole record (56 bytes instead of 160 when
    /// this was measured): the table doubles as keys come, and the empty half of a doubling
    /// cost 2.6 MiB per thread at 12k keys (with the same keys in
    /// a log four times as long, its peak was 7 MB higher only because each thread had met
    /// a few more of them).
    pub throttles: Keyed<Box<Throttles>>,
    /// Where events go past the spill budget; `None` keeps them all in memory.
    pub spill: Option<Arc<Spill>>,
    /// Bytes the events in `throttles` hold.
    event_bytes: usize,
}

/// A copy whose `event_bytes` are its own events' bytes (a cloned vector holds only its
/// length), as the merge, which adds them up instead of counting them again, needs.
impl Clone for Aggregate {
    fn clone(&self) -> Aggregate {
        let throttles = self.throttles.clone();
        let event_bytes = held_bytes(&throttles);
        Aggregate {
            caps: self.caps,
            folded: self.folded,
            totals: self.totals,
            codes: self.codes.clone(),
            groups: self.groups.clone(),
            statuses: self.statuses.clone(),
            keys: self.keys.clone(),
            days: self.days.clone(),
            endpoints: self.endpoints.clone(),
            throttles,
            spill: self.spill.clone(),
            event_bytes,
        }
    }
}

impl Merge for Aggregate {
    fn merge(&mut self, mut o: Aggregate) {
        let theirs = std::mem::take(&mut o.throttles);
        // What the events of both hold.
        let bytes = self.event_bytes + o.event_bytes;
        if self.spill.is_none() {
            self.spill = o.spill.take();
        }
        // No key folds when the two tables' keys together fit under the cap: every key's
        // RATE_001 events then stay under it, and with many keys they merge on a second
        // thread while this one merges the counts (at the end of a run, the serial merge of
        // the two partials was 5.7 ms, 1.5% of it, the events two thirds of that). Few keys
        // merge here: a thread's start costs what merging a few hundred keys' events does,
        // and `daily` merges an aggregate per day, twice.
        if self.keys.len() + o.keys.len() <= self.caps.keys
            && self.throttles.len().min(theirs.len()) >= BESIDE_FROM
        {
            let mut mine = std::mem::take(&mut self.throttles);
            let (keys_folded, bytes) = crate::par::beside(
                || self.merge_counts(o),
                || merge_throttles(&mut mine, theirs, bytes),
            );
            debug_assert_eq!(keys_folded, 0, "no key folds when all fit");
            self.throttles = mine;
            self.event_bytes = bytes;
        } else if self.merge_counts(o) == 0 {
            // No key folded (a fold weighs at least 1: each row has a request).
            self.event_bytes = merge_throttles(&mut self.throttles, theirs, bytes);
        } else {
            // A key's RATE_001 events go where its row went: itself, or (other) if it folded.
            // (Spilled events are matched to rows when they are read back.)
            let mine = std::mem::take(&mut self.throttles);
            for (k, t) in mine.iter_owned().chain(theirs.iter_owned()) {
                let k = k.as_deref();
                let target = if k.is_none() || self.keys.get(k).is_some() {
                    k
                } else {
                    Some(OTHER)
                };
                self.throttles.entry(target).merge(t);
            }
            self.event_bytes = held_bytes(&self.throttles);
        }
        debug_assert_eq!(
            self.event_bytes,
            held_bytes(&self.throttles),
            "the events' bytes are counted exactly"
        );
        self.spill_if_over_budget();
    }
}

/// Bytes the events in `throttles` hold, counted one key at a time.
fn held_bytes(throttles: &Keyed<Box<Throttles>>) -> usize {
    throttles.iter().map(|(_, t)| t.events.heap_bytes()).sum()
}

/// Keys with RATE_001 events, in the smaller of two aggregates, from which a merge runs
/// their events on a thread of their own (see `Aggregate::merge`).
const BESIDE_FROM: usize = 1024;

/// Merges `theirs` into `mine` with every key kept (the smaller table goes into the larger,
/// instead of both into a new one: a third of the cost). `bytes` is what the events of both
/// hold; returns what they hold merged, counted as they merge (a pass over the merged table
/// to count them took 0.75 ms).
fn merge_throttles(
    mine: &mut Keyed<Box<Throttles>>,
    theirs: Keyed<Box<Throttles>>,
    mut bytes: usize,
) -> usize {
    mine.merge_with(theirs, |into, from| {
        let before = into.events.heap_bytes() + from.events.heap_bytes();
        into.merge(from);
        bytes = bytes + into.events.heap_bytes() - before;
    });
    bytes
}

impl Aggregate {
    /// Merges everything in `o` but the RATE_001 events; returns the requests of the keys
    /// that folded into `(other)`.
    fn merge_counts(&mut self, o: Aggregate) -> u64 {
        let caps = self.caps;
        let f = &mut self.folded;
        f.merge(o.folded);
        self.totals.merge(o.totals);
        f.codes += self.codes.merge_capped(o.codes, caps.codes, |c| c.count);
        f.codes += self.groups.merge_capped(o.groups, caps.codes, |n| *n);
        self.statuses.merge(o.statuses);
        let keys_folded = self.keys.merge_capped(o.keys, caps.keys, |k| k.requests);
        f.keys += keys_folded;
        self.days.merge(o.days);
        for (m, eps) in o.endpoints.iter_owned() {
            let (m, folded) = self.endpoints.capped(m.as_deref(), caps.endpoints);
            let into = self.endpoints.entry(m);
            if folded {
                // All of them count as folded, once.
                f.endpoints += eps.iter().map(|(_, re)| re.requests).sum::<u64>();
                into.merge_capped(eps, caps.endpoints, |_| 0);
            } else {
                f.endpoints += into.merge_capped(eps, caps.endpoints, |re| re.requests);
            }
        }
        keys_folded
    }
}

impl Aggregate {
    pub fn with_caps(caps: Caps) -> Aggregate {
        Aggregate {
            caps,
            ..Default::default()
        }
    }

    /// Spills RATE_001 events past `spill`'s budget instead of holding them all.
    pub fn with_spill(mut self, spill: Arc<Spill>) -> Aggregate {
        self.spill = Some(spill);
        self
    }

    fn spill_if_over_budget(&mut self) {
        let Some(spill) = &self.spill else { return };
        if self.event_bytes <= spill.budget() || spill.failure().is_some() {
            return;
        }
        let spill = spill.clone();
        let mut held: Vec<(Option<&str>, &mut Events)> = self
            .throttles
            .iter_mut()
            .filter(|(_, t)| !t.events.is_empty())
            .map(|(k, t)| (k, &mut t.events))
            .collect();
        held.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // On failure the events stay here (memory grows as without a spill; the run warns).
        if spill
            .write_run(held.iter().map(|(k, e)| (*k, &**e)))
            .is_ok()
        {
            for (_, e) in held {
                *e = Events::default();
            }
            self.event_bytes = 0;
        }
    }

    /// Counts one request that passed the filters.
    pub fn add_request(&mut self, rec: &Record<'_>) {
        self.add_hinted(rec, Hint::default())
    }

    /// [`Aggregate::add_request`], with the hint [`Sink::prefetch`] gave for `rec`.
    // Always inline, with `Keyed::prefetch`, `parse_rfc3339_prefix` and `endpoint_path`: the
    // per-line path in one function, as the PGO build makes it (measured once: 6.8% less
    // wall time at -j 2, over three copies of each build).
    #[inline(always)]
    pub fn add_hinted(&mut self, rec: &Record<'_>, hint: Hint) {
        let error = rec.is_error();
        let t = &mut self.totals;
        t.requests += 1;
        if error {
            t.errors += 1;
        } else {
            t.successes += 1;
        }
        let re = ReqErr {
            requests: 1,
            errors: error as u64,
        };
        self.statuses.entry(rec.status).merge(re);
        self.days
            .entry(rec.time.map(crate::extract::time::day_of))
            .merge(re);
        let caps = self.caps;
        let (method, f1) = self.endpoints.capped(rec.method.as_deref(), caps.endpoints);
        let eps = self.endpoints.entry(method);
        let (endpoint, f2) = eps.capped(rec.endpoint.as_deref(), caps.endpoints);
        eps.entry(endpoint).merge(re);
        self.folded.endpoints += (f1 || f2) as u64;
        let items = rec.error_items();
        let rate_limited = items
            .iter()
            .filter(|i| i.code.as_deref() == Some(RATE_LIMIT_CODE))
            .count() as u64;
        let (key_name, folded) = self.keys.capped(rec.key.as_deref(), caps.keys);
        self.folded.keys += folded as u64;
        let key = self.keys.entry_hinted(key_name, hint);
        key.requests += 1;
        key.errors += error as u64;
        key.rate_limited += rate_limited;
        if !error {
            return;
        }
        if items.is_empty() {
            self.add_code(None, None, None, rec.status);
            return;
        }
        if rate_limited > 0 {
            let t = self.throttles.entry(key_name);
            let held = t.events.heap_bytes();
            for item in items
                .iter()
                .filter(|i| i.code.as_deref() == Some(RATE_LIMIT_CODE))
            {
                let retry = parse_retry_after(item.retry_after.as_deref());
                t.events.push(rec.time, retry);
                t.limit_types.add(item.limit_type.as_deref(), 1);
            }
            self.event_bytes += t.events.heap_bytes().saturating_sub(held);
            self.spill_if_over_budget();
        }
        for item in items {
            self.add_code(
                item.code.as_deref(),
                item.group.as_deref(),
                item.description.as_deref(),
                rec.status,
            );
        }
    }

    fn add_code(
        &mut self,
        code: Option<&str>,
        group: Option<&str>,
        desc: Option<&str>,
        status: Option<u16>,
    ) {
        let cap = self.caps.codes;
        let (code, f1) = self.codes.capped(code, cap);
        let c = self.codes.entry(code);
        c.count += 1;
        let (g, f2) = c.groups.capped(group, cap);
        *c.groups.entry(g) += 1;
        let mut f3 = false;
        if desc.is_some() {
            let (d, f) = c.descriptions.capped(desc, cap);
            f3 = f;
            *c.descriptions.entry(d) += 1;
        }
        *c.statuses.entry(status).or_default() += 1;
        let (g, f4) = self.groups.capped(group, cap);
        *self.groups.entry(g) += 1;
        self.folded.codes += (f1 || f2 || f3 || f4) as u64;
    }
}

/// Records for the tests of the aggregates and of what is made from them.
#[cfg(test)]
pub(crate) mod test_records {
    use std::borrow::Cow;

    use crate::catalog::RATE_LIMIT_CODE;
    use crate::extract::{Envelope, ErrorItem, Record};

    /// A RATE_001 response of `key` at `micros`, told to wait `retry_after`.
    pub(crate) fn throttled<'a>(key: &'a str, micros: i64, retry_after: &'a str) -> Record<'a> {
        Record {
            time: Some(micros),
            key: Some(Cow::Borrowed(key)),
            status: Some(429),
            envelope: Some(Envelope {
                is_success: Some(false),
                errors: vec![ErrorItem {
                    code: Some(Cow::Borrowed(RATE_LIMIT_CODE)),
                    retry_after: Some(Cow::Borrowed(retry_after)),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_records::throttled;
    use super::*;

    fn events_of(agg: &Aggregate) -> Vec<(Option<String>, u64, u64)> {
        let mut v: Vec<_> = agg
            .throttles
            .iter()
            .map(|(k, t)| {
                let rate = agg.keys.get(k).map_or(0, |s| s.rate_limited);
                (k.map(str::to_owned), t.events.len(), rate)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn merged_events_stay_with_their_key_rows() {
        let part = |keys: &[&str], caps: Caps| {
            let mut a = Aggregate::with_caps(caps);
            for (i, k) in keys.iter().enumerate() {
                a.add_request(&throttled(k, i as i64 * 1_000_000, "1 seconds"));
            }
            a
        };
        // No fold: each key keeps its events, from both sides.
        let mut a = part(&["a", "b", "a"], Caps::default());
        a.merge(part(&["b", "c", "c", "c"], Caps::default()));
        let want = |v: &[(&str, u64)]| -> Vec<(Option<String>, u64, u64)> {
            v.iter().map(|&(k, n)| (Some(k.to_owned()), n, n)).collect()
        };
        assert_eq!(events_of(&a), want(&[("a", 2), ("b", 2), ("c", 3)]));
        // With a cap of two keys, the merge folds the third key's row, and its events go
        // with it into (other).
        let caps = Caps {
            keys: 2,
            ..Caps::default()
        };
        let mut a = part(&["a", "b", "a"], caps);
        a.merge(part(&["b", "c", "c", "c"], caps));
        assert_eq!(
            events_of(&a),
            want(&[(OTHER, 3), ("a", 2), ("b", 2)]),
            "{:?}",
            events_of(&a)
        );
        assert_eq!(a.folded.keys, 3);
    }

    #[test]
    fn every_merge_path_keeps_the_events_and_counts_their_bytes() {
        let part = |keys: &[(&str, i64)], filler: usize, caps: Caps| {
            let mut a = Aggregate::with_caps(caps);
            for &(k, secs) in keys {
                a.add_request(&throttled(k, secs * 1_000_000, "1 seconds"));
            }
            // Keys enough for the events to merge on a thread of their own.
            for i in 0..filler {
                a.add_request(&throttled(&format!("k{i}"), i as i64, "2 seconds"));
            }
            a
        };
        let left = [("a", 1), ("b", 2), ("a", 3)];
        let right = [("c", 6), ("a", 5)];
        // Many keys that fit under the cap together (events merged beside the counts), few
        // that fit (2 + 2 <= 100), keys that do not fit but do not fold (2 + 2 > 3, 3
        // distinct), and `c`, folding as the two merge (cap 2).
        for (cap, filler, folded) in [(100_000, BESIDE_FROM, 0), (100, 0, 0), (3, 0, 0), (2, 0, 1)]
        {
            let caps = Caps {
                keys: cap,
                ..Caps::default()
            };
            let mut a = part(&left, filler, caps);
            a.merge(part(&right, filler, caps));
            assert_eq!(a.folded.keys, folded, "cap {cap}");
            let held = held_bytes(&a.throttles);
            assert_eq!(a.event_bytes, held, "cap {cap}");
            let times = |k: &str| -> Vec<Option<i64>> {
                let t = a.throttles.get(Some(k)).expect("a key with events");
                let mut v: Vec<_> = t
                    .events
                    .iter()
                    .map(|(t, _)| t.map(|us| us / 1_000_000))
                    .collect();
                v.sort();
                v
            };
            // Each key's events from both parts (in no fixed order: the analysis sorts them).
            assert_eq!(times("a"), [Some(1), Some(3), Some(5)], "cap {cap}");
            assert_eq!(times("b"), [Some(2)], "cap {cap}");
            let c = if folded == 0 { "c" } else { OTHER };
            assert_eq!(times(c), [Some(6)], "cap {cap}");
            for i in 0..filler {
                let k = format!("k{i}");
                assert_eq!(
                    a.throttles.get(Some(&k)).map(|t| t.events.len()),
                    Some(2),
                    "{k}"
                );
            }
            // A clone holds the bytes it counts: merged again, the count stays exact.
            let mut b = Aggregate::with_caps(caps);
            b.merge(a.clone());
            let held = held_bytes(&b.throttles);
            assert_eq!(b.event_bytes, held, "cap {cap}");
        }
    }
}
