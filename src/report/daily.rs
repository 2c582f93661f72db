//! Daily reports: one [`Report`] per local day, with comparisons against the previous day and
//! the trailing week, and an index over every day known (this run and the history file).

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::offenders::{Calendar, Rules, offenders_in, table_of};
use super::{Chart, Report, ReportOptions, Table, col, table};
use crate::agg::daily::{Daily, Day};
use crate::agg::{Merge, Totals};
use crate::catalog::Catalog;
use crate::extract::time::format_day;
use crate::history::{DayFigures, History};
use crate::render::table::thousands;
use crate::secret;
use crate::zone::Zone;

/// When an hour counts as a spike.
#[derive(Clone, Copy, Debug)]
pub struct SpikeRule {
    /// Error responses at least this many times the baseline...
    pub factor: f64,
    /// ...and at least this many above it.
    pub min_excess: u64,
}

impl Default for SpikeRule {
    fn default() -> Self {
        SpikeRule {
            factor: 3.0,
            min_excess: 20,
        }
    }
}

impl SpikeRule {
    /// The rule in words, printed in every report.
    pub fn describe(&self) -> String {
        format!(
            "An hour is a spike when its error responses are at least {}x its baseline and at \
             least {} above it. The baseline is the mean of the same hour over those of the \
             trailing 7 days with traffic in that hour or, when there are none, the median hour \
             of the day itself.",
            self.factor, self.min_excess
        )
    }
}

/// How daily reports are built.
#[derive(Clone, Copy, Debug, Default)]
pub struct DailyOptions {
    pub show_keys: bool,
    pub spikes: SpikeRule,
    pub rules: Rules,
    /// Columns of the day x code matrix before the rest fold into `(other codes)`.
    pub matrix_codes: usize,
}

/// Days a comparison looks back over.
const TRAILING_DAYS: i32 = 7;

/// Every day's figures known to this run: the history, with the days this run reports put
/// over it, and this run's other days where the history has nothing.
pub fn known_days(
    daily: &Daily,
    reported: &BTreeSet<i32>,
    history: &History,
) -> BTreeMap<i32, DayFigures> {
    let mut known = history.days.clone();
    for (day, d) in daily.days.iter() {
        let Some(day) = day else { continue };
        if reported.contains(&day) || !known.contains_key(&day) {
            known.insert(day, DayFigures::of(d));
        }
    }
    known
}

/// The days before `day` a comparison uses: the previous day and the trailing week with data.
struct Baseline<'a> {
    previous: Option<&'a DayFigures>,
    trailing: Vec<&'a DayFigures>,
}

impl<'a> Baseline<'a> {
    fn of(day: i32, known: &'a BTreeMap<i32, DayFigures>) -> Self {
        Baseline {
            previous: known.get(&(day - 1)),
            trailing: (day - TRAILING_DAYS..day)
                .filter_map(|d| known.get(&d))
                .collect(),
        }
    }

    fn mean(&self, f: impl Fn(&DayFigures) -> u64) -> Option<f64> {
        (!self.trailing.is_empty()).then(|| {
            self.trailing.iter().map(|d| f(d) as f64).sum::<f64>() / self.trailing.len() as f64
        })
    }

    /// Codes of today not seen in any trailing day with data, with today's count; `None`
    /// when there is no trailing day to compare with.
    fn new_codes<'t>(
        &self,
        today_codes: &BTreeMap<Option<&'t str>, u64>,
    ) -> Option<Vec<(Option<&'t str>, u64)>> {
        if self.trailing.is_empty() {
            return None;
        }
        let seen: BTreeSet<Option<&str>> = self
            .trailing
            .iter()
            .flat_map(|f| f.codes.keys().map(|(c, _)| c.as_deref()))
            .collect();
        Some(
            today_codes
                .iter()
                .filter(|(c, _)| !seen.contains(*c))
                .map(|(c, n)| (*c, *n))
                .collect(),
        )
    }

    /// Codes of the previous day absent today, with the previous day's count; `None` when
    /// there is no previous day.
    fn gone_codes(
        &self,
        today_codes: &BTreeMap<Option<&str>, u64>,
    ) -> Option<Vec<(Option<String>, u64)>> {
        let p = self.previous?;
        Some(
            p.by_code()
                .into_iter()
                .filter(|(c, _)| !today_codes.contains_key(c))
                .map(|(c, n)| (c.map(str::to_owned), n))
                .collect(),
        )
    }

    /// Mean errors of hour `h` over the trailing days with traffic in that hour (a day whose
    /// log starts later, or a quiet hour, says nothing about it).
    fn hour_mean(&self, h: usize) -> Option<f64> {
        let days: Vec<_> = self
            .trailing
            .iter()
            .filter(|d| d.hours[h].requests > 0)
            .collect();
        (!days.is_empty())
            .then(|| days.iter().map(|d| d.hours[h].errors as f64).sum::<f64>() / days.len() as f64)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn rate(errors: u64, requests: u64) -> Option<f64> {
    (requests > 0).then(|| (errors as f64 * 10_000.0 / requests as f64).round() / 100.0)
}

fn code_name(c: Option<&str>) -> String {
    c.unwrap_or("(no code)").to_owned()
}

/// A column name not yet taken.
fn unique(taken: &mut BTreeSet<String>, name: String) -> String {
    let mut n = name.clone();
    let mut i = 2;
    while taken.contains(&n) {
        n = format!("{name} ({i})");
        i += 1;
    }
    taken.insert(n.clone());
    n
}

/// One day's report.
pub fn day_report(
    day: i32,
    d: &Day,
    known: &BTreeMap<i32, DayFigures>,
    zone: &Zone,
    catalog: &Catalog,
    opts: &DailyOptions,
) -> PolarsResult<Report> {
    let base = Baseline::of(day, known);
    let today = DayFigures::of(d);
    let today_codes = today.by_code();
    let mut report = super::build(
        &d.agg,
        catalog,
        &ReportOptions {
            show_keys: opts.show_keys,
            top: None,
        },
    )?;
    report.tables.retain(|t| t.name != "by_day");
    // A day's lines are its requests: blank, malformed and unrecognized lines have no day
    // (they are in the index's reconciliation).
    report.totals.lines = report.totals.requests;
    report.notes = day_notes(day, zone.name(), &today, &base, &today_codes, opts);

    // by_code, with the comparison.
    if let Some(t) = report.tables.iter_mut().find(|t| t.name == "by_code") {
        let prev_codes = base.previous.map(DayFigures::by_code);
        let trailing_codes: Vec<_> = base.trailing.iter().map(|f| f.by_code()).collect();
        let codes: Vec<Option<String>> =
            t.df.column("code")?
                .str()?
                .iter()
                .map(|c| c.map(str::to_owned))
                .collect();
        let (mut prev, mut change, mut mean) = (vec![], vec![], vec![]);
        for c in &codes {
            let c = c.as_deref();
            let now = today_codes.get(&c).copied().unwrap_or(0);
            let p = prev_codes.as_ref().map(|m| m.get(&c).copied().unwrap_or(0));
            prev.push(p);
            change.push(p.map(|p| now as i64 - p as i64));
            mean.push((!trailing_codes.is_empty()).then(|| {
                round1(
                    trailing_codes
                        .iter()
                        .map(|m| m.get(&c).copied().unwrap_or(0) as f64)
                        .sum::<f64>()
                        / trailing_codes.len() as f64,
                )
            }));
        }
        t.df.with_column(col("previous_day", prev))?;
        t.df.with_column(col("change", change))?;
        t.df.with_column(col("mean_7d", mean))?;
        t.title = "Errors by code, against the previous day and the trailing 7-day mean";
    }

    let mut extra = vec![
        new_codes(&today, &today_codes, &base)?,
        gone_codes(&today_codes, &base)?,
        spikes(&today, &base, &opts.spikes)?,
        hourly(d)?,
        status_mismatches(d, catalog)?,
    ];
    report.tables.splice(0..0, extra.drain(..3));
    let at = report
        .tables
        .iter()
        .position(|t| t.name == "by_group")
        .map_or(report.tables.len(), |i| i + 1);
    report.tables.insert(at, extra.remove(0));
    report.tables.push(extra.remove(0));

    if let Some(t) = report.tables.iter_mut().find(|t| t.name == "by_key") {
        add_top_codes(t, d)?;
    }
    // Persistence in local days: this one day is the range.
    let days = Calendar {
        zone: Some(zone),
        in_range: 1,
    };
    let rows = offenders_in(&d.agg, &opts.rules, 1, &days)?;
    report.tables.push(table_of(&rows, opts.show_keys, None)?);
    Ok(report)
}

fn day_notes(
    day: i32,
    zone: &str,
    today: &DayFigures,
    base: &Baseline<'_>,
    today_codes: &BTreeMap<Option<&str>, u64>,
    opts: &DailyOptions,
) -> Vec<String> {
    let pct = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.2}%"));
    let mut notes = vec![
        format!(
            "{} ({zone}): {} requests, {} errors (error rate {}).",
            format_day(day),
            thousands(today.requests),
            thousands(today.errors),
            pct(rate(today.errors, today.requests))
        ),
        format!(
            "Reconciliation: {} requests = {} successes + {} errors.",
            thousands(today.requests),
            thousands(today.requests - today.errors),
            thousands(today.errors)
        ),
    ];
    match base.previous {
        Some(p) => notes.push(format!(
            "Previous day ({}): {} requests, {} errors (error rate {}); errors {}.",
            format_day(day - 1),
            thousands(p.requests),
            thousands(p.errors),
            pct(rate(p.errors, p.requests)),
            signed_change(today.errors, p.errors as f64)
        )),
        None => notes.push(format!(
            "Previous day ({}): no data in this run or the history.",
            format_day(day - 1)
        )),
    }
    match base.mean(|f| f.errors) {
        Some(m) => notes.push(format!(
            "Trailing 7-day mean ({} day{} with data): {:.1} requests, {:.1} errors a day; errors today {}.",
            base.trailing.len(),
            if base.trailing.len() == 1 { "" } else { "s" },
            base.mean(|f| f.requests).unwrap_or(0.0),
            m,
            signed_change(today.errors, m)
        )),
        None => notes.push("Trailing 7 days: no data in this run or the history.".into()),
    }
    if let Some(new) = base.new_codes(today_codes) {
        let names: Vec<String> = new.iter().map(|(c, _)| code_name(*c)).collect();
        notes.push(if names.is_empty() {
            "No new codes against the trailing 7 days.".into()
        } else {
            format!(
                "New codes against the trailing 7 days: {}.",
                names.join(", ")
            )
        });
    }
    if let Some(gone) = base.gone_codes(today_codes) {
        let names: Vec<String> = gone.iter().map(|(c, _)| code_name(c.as_deref())).collect();
        notes.push(if names.is_empty() {
            "No codes gone since the previous day.".into()
        } else {
            format!("Codes gone since the previous day: {}.", names.join(", "))
        });
    }
    notes.push(opts.spikes.describe());
    notes
}

fn signed_change(now: u64, before: f64) -> String {
    let diff = now as f64 - before;
    if before == 0.0 {
        return if now == 0 {
            "unchanged".into()
        } else {
            format!("up {now} from none")
        };
    }
    format!(
        "{} {:.1}%",
        if diff >= 0.0 { "up" } else { "down" },
        diff.abs() * 100.0 / before
    )
}

fn new_codes(
    today: &DayFigures,
    today_codes: &BTreeMap<Option<&str>, u64>,
    base: &Baseline<'_>,
) -> PolarsResult<Table> {
    let (mut code, mut group, mut count) = (vec![], vec![], vec![]);
    for (c, n) in base.new_codes(today_codes).unwrap_or_default() {
        code.push(c.map(str::to_owned));
        // The group it came with most often today.
        let g = today
            .codes
            .iter()
            .filter(|((cc, _), _)| cc.as_deref() == c)
            .max_by_key(|(_, n)| **n)
            .and_then(|((_, g), _)| g.clone());
        group.push(g);
        count.push(n);
    }
    let df = DataFrame::new_infer_height(vec![
        col("code", code),
        col("group", group),
        col("count", count),
    ])?;
    let df = super::sorted(df, &["count", "code"], &[true, false])?;
    Ok(table(
        "new_codes",
        "Codes new today (not seen in the trailing 7 days)",
        df,
        None,
    ))
}

fn gone_codes(
    today_codes: &BTreeMap<Option<&str>, u64>,
    base: &Baseline<'_>,
) -> PolarsResult<Table> {
    let (code, prev): (Vec<Option<String>>, Vec<u64>) = base
        .gone_codes(today_codes)
        .unwrap_or_default()
        .into_iter()
        .unzip();
    let df = DataFrame::new_infer_height(vec![col("code", code), col("previous_day", prev)])?;
    let df = super::sorted(df, &["previous_day", "code"], &[true, false])?;
    Ok(table(
        "gone_codes",
        "Codes gone today (seen the previous day)",
        df,
        None,
    ))
}

fn spikes(today: &DayFigures, base: &Baseline<'_>, rule: &SpikeRule) -> PolarsResult<Table> {
    let errors: Vec<u64> = today.hours.iter().map(|h| h.errors).collect();
    let median = {
        let mut v = errors.clone();
        v.sort_unstable();
        (v[11] + v[12]) as f64 / 2.0
    };
    let (mut hour, mut n, mut baseline, mut ratio) = (vec![], vec![], vec![], vec![]);
    for (h, &e) in errors.iter().enumerate() {
        let b = base.hour_mean(h).unwrap_or(median);
        if e as f64 >= rule.factor * b && e as f64 >= b + rule.min_excess as f64 {
            hour.push(h as u32);
            n.push(e);
            baseline.push(round1(b));
            ratio.push((b > 0.0).then(|| round1(e as f64 / b)));
        }
    }
    let df = DataFrame::new_infer_height(vec![
        col("hour", hour),
        col("errors", n),
        col("baseline", baseline),
        col("ratio", ratio),
    ])?;
    Ok(table(
        "spikes",
        "Spikes (hours far above their baseline)",
        df,
        None,
    ))
}

/// Groups drawn separately in the hourly chart; the rest are summed.
const CHART_GROUPS: usize = 8;

fn hourly(d: &Day) -> PolarsResult<Table> {
    let mut groups: Vec<(Option<&str>, &[u64; 24])> = d.hour_groups.iter().collect();
    groups.sort_by(|a, b| {
        let sum = |x: &[u64; 24]| x.iter().sum::<u64>();
        sum(b.1).cmp(&sum(a.1)).then(a.0.cmp(&b.0))
    });
    let mut taken: BTreeSet<String> = ["hour", "requests", "errors"]
        .into_iter()
        .map(String::from)
        .collect();
    let mut cols = vec![
        col("hour", (0..24u32).collect::<Vec<_>>()),
        col(
            "requests",
            d.hours.iter().map(|h| h.requests).collect::<Vec<_>>(),
        ),
        col(
            "errors",
            d.hours.iter().map(|h| h.errors).collect::<Vec<_>>(),
        ),
    ];
    let mut stacks = vec![];
    let mut other = [0u64; 24];
    for (i, (g, counts)) in groups.iter().enumerate() {
        if i >= CHART_GROUPS {
            other.merge(**counts);
            continue;
        }
        let name = unique(&mut taken, g.unwrap_or("(no group)").to_owned());
        cols.push(col(&name, counts.to_vec()));
        stacks.push(name);
    }
    if groups.len() > CHART_GROUPS {
        let name = unique(&mut taken, "(other groups)".into());
        cols.push(col(&name, other.to_vec()));
        stacks.push(name);
    }
    let df = DataFrame::new_infer_height(cols)?;
    let mut t = table(
        "hourly",
        "Hourly timeline (error items by group; hours are local)",
        df,
        None,
    );
    t.chart = Some(Chart::StackedBars {
        x: "hour".into(),
        stacks,
    });
    Ok(t)
}

fn status_mismatches(d: &Day, catalog: &Catalog) -> PolarsResult<Table> {
    let (mut code, mut expected, mut status, mut count) = (vec![], vec![], vec![], vec![]);
    for (c, stats) in d.agg.codes.iter() {
        let Some(entry) = c.and_then(|c| catalog.get(c)) else {
            continue;
        };
        for (s, n) in &stats.statuses {
            if let Some(s) = s.filter(|s| *s != entry.status) {
                code.push(c.map(str::to_owned));
                expected.push(entry.status as u32);
                status.push(s as u32);
                count.push(*n);
            }
        }
    }
    let df = DataFrame::new_infer_height(vec![
        col("code", code),
        col("expected_status", expected),
        col("status", status),
        col("count", count),
    ])?;
    let df = super::sorted(df, &["count", "code", "status"], &[true, false, false])?;
    Ok(table(
        "status_mismatches",
        "HTTP statuses that differ from the dictionary",
        df,
        None,
    ))
}

/// Adds each key's most frequent code to the per-key table.
fn add_top_codes(t: &mut Table, d: &Day) -> PolarsResult<()> {
    let mut top: BTreeMap<Option<String>, (Option<String>, u64)> = BTreeMap::new();
    for (k, codes) in d.key_codes.iter() {
        let best = codes
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            .map(|(c, n)| (c.map(str::to_owned), *n));
        if let Some(best) = best {
            top.insert(k.map(secret::fingerprint), best);
        }
    }
    let (mut code, mut n) = (vec![], vec![]);
    for fp in t.df.column("key_fingerprint")?.str()?.iter() {
        match top.get(&fp.map(str::to_owned)) {
            Some((c, k)) => {
                code.push(c.clone());
                n.push(Some(*k));
            }
            None => {
                code.push(None);
                n.push(None);
            }
        }
    }
    t.df.with_column(col("top_code", code))?;
    t.df.with_column(col("top_code_errors", n))?;
    Ok(())
}

/// The index over every day known: days, the day x code matrix, keys per day, offenders.
pub fn index_report(
    daily: &Daily,
    known: &BTreeMap<i32, DayFigures>,
    reported: &BTreeSet<i32>,
    history: &History,
    zone: &Zone,
    opts: &DailyOptions,
) -> PolarsResult<Report> {
    let in_run: BTreeSet<i32> = daily.days.iter().filter_map(|(d, _)| d).collect();
    let mut tables = vec![];

    // days
    let (mut day, mut requests, mut errors, mut error_rate, mut top_code, mut source, mut link) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (d, f) in known {
        day.push(format_day(*d));
        requests.push(f.requests);
        errors.push(f.errors);
        error_rate.push(rate(f.errors, f.requests));
        let codes = f.by_code();
        top_code.push(
            codes
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(c, _)| code_name(*c)),
        );
        // Where its figures came from (see `known_days`).
        let from_run =
            reported.contains(d) || (in_run.contains(d) && !history.days.contains_key(d));
        source.push(if from_run { "run" } else { "history" });
        link.push(reported.contains(d).then(|| format_day(*d)));
    }
    let df = DataFrame::new_infer_height(vec![
        col("day", day),
        col("requests", requests),
        col("errors", errors),
        col("error_rate_pct", error_rate),
        col("top_code", top_code),
        col("source", source),
        col("report", link),
    ])?;
    tables.push(table("days", "Days", df, None));

    // day x code
    let mut totals: BTreeMap<Option<&str>, u64> = BTreeMap::new();
    for f in known.values() {
        for (c, n) in f.by_code() {
            *totals.entry(c).or_default() += n;
        }
    }
    let mut order: Vec<(Option<&str>, u64)> = totals.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let shown = opts.matrix_codes.max(1);
    let mut taken: BTreeSet<String> = BTreeSet::from(["day".to_owned()]);
    let mut cols = vec![col(
        "day",
        known.keys().map(|d| format_day(*d)).collect::<Vec<_>>(),
    )];
    let per_day: Vec<BTreeMap<Option<&str>, u64>> = known.values().map(|f| f.by_code()).collect();
    for (c, _) in order.iter().take(shown) {
        let name = unique(&mut taken, code_name(*c));
        let v: Vec<u64> = per_day
            .iter()
            .map(|m| m.get(c).copied().unwrap_or(0))
            .collect();
        cols.push(col(&name, v));
    }
    if order.len() > shown {
        let rest: BTreeSet<Option<&str>> = order[shown..].iter().map(|(c, _)| *c).collect();
        let v: Vec<u64> = per_day
            .iter()
            .map(|m| {
                m.iter()
                    .filter(|(c, _)| rest.contains(*c))
                    .map(|(_, n)| n)
                    .sum()
            })
            .collect();
        let name = unique(&mut taken, "(other codes)".into());
        cols.push(col(&name, v));
    }
    let df = DataFrame::new_infer_height(cols)?;
    tables.push(table("day_code", "Errors by day and code", df, None));

    // key x day
    let (mut key, mut fp, mut day, mut requests, mut errors, mut rate_limited) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (d, dd) in daily.days.iter() {
        let Some(d) = d else { continue };
        for (k, s) in dd.agg.keys.iter() {
            key.push(k.map(|k| secret::shown(k, opts.show_keys)));
            fp.push(k.map(secret::fingerprint));
            day.push(format_day(d));
            requests.push(s.requests);
            errors.push(s.errors);
            rate_limited.push(s.rate_limited);
        }
    }
    let df = DataFrame::new_infer_height(vec![
        col("key", key),
        col("key_fingerprint", fp),
        col("day", day),
        col("requests", requests),
        col("errors", errors),
        col("rate_limited", rate_limited),
    ])?;
    let df = super::sorted(
        df,
        &["errors", "requests", "key_fingerprint", "day"],
        &[true, true, false, false],
    )?;
    tables.push(table("key_day", "API keys by day", df, None));

    let range = daily.range();
    let days = Calendar {
        zone: Some(zone),
        in_range: in_run.len() as u64,
    };
    let rows = offenders_in(&range, &opts.rules, 1, &days)?;
    tables.push(table_of(&rows, opts.show_keys, None)?);

    let totals = daily.totals();
    Ok(Report {
        totals,
        notes: index_notes(daily, known, reported, &totals),
        tables,
    })
}

fn index_notes(
    daily: &Daily,
    known: &BTreeMap<i32, DayFigures>,
    reported: &BTreeSet<i32>,
    t: &Totals,
) -> Vec<String> {
    let mut notes = vec![];
    let undated = daily
        .days
        .iter()
        .find(|(d, _)| d.is_none())
        .map_or(Totals::default(), |(_, d)| d.agg.totals);
    let mut dated = Totals::default();
    let mut unreported = Totals::default();
    for (d, dd) in daily.days.iter() {
        if let Some(d) = d {
            dated.merge(dd.agg.totals);
            if !reported.contains(&d) {
                unreported.merge(dd.agg.totals);
            }
        }
    }
    notes.push(format!(
        "This run: {} lines, {} requests on {} day{}; {} day{} reported; {} day{} known in all.",
        thousands(t.lines),
        thousands(t.requests),
        daily.days.iter().filter(|(d, _)| d.is_some()).count(),
        if daily.days.iter().filter(|(d, _)| d.is_some()).count() == 1 {
            ""
        } else {
            "s"
        },
        reported.len(),
        if reported.len() == 1 { "" } else { "s" },
        known.len(),
        if known.len() == 1 { "" } else { "s" },
    ));
    notes.push(format!(
        "Reconciliation: {} blank + {} malformed + {} unrecognized + {} filtered + {} requests with a time + {} requests without a time = {} lines{}.",
        thousands(t.blank),
        thousands(t.malformed),
        thousands(t.unrecognized),
        thousands(t.filtered),
        thousands(dated.requests),
        thousands(undated.requests),
        thousands(t.lines),
        if t.reconciles() { "" } else { " (DOES NOT ADD UP)" }
    ));
    if undated.requests > 0 {
        notes.push(format!(
            "{} requests ({} errors) had no time: they are in no day's report, only in the totals and offenders here.",
            thousands(undated.requests),
            thousands(undated.errors)
        ));
    }
    if unreported.requests > 0 {
        notes.push(format!(
            "{} requests fell on days outside --day: they are in the totals but have no report of their own.",
            thousands(unreported.requests)
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(errors_by_hour: &[(usize, u64)], codes: &[(&str, u64)]) -> DayFigures {
        let mut f = DayFigures::default();
        for &(h, e) in errors_by_hour {
            f.hours[h].requests += e * 10;
            f.hours[h].errors += e;
            f.requests += e * 10;
            f.errors += e;
        }
        for &(c, n) in codes {
            f.codes.insert((Some(c.into()), None), n);
        }
        f
    }

    #[test]
    fn spikes_follow_the_stated_rule() {
        let mut known = BTreeMap::new();
        // Two earlier days: hour 9 averages 10 errors, hour 10 averages 2.
        known.insert(98, figures(&[(9, 8), (10, 2)], &[]));
        known.insert(99, figures(&[(9, 12), (10, 2)], &[]));
        let base = Baseline::of(100, &known);
        // 29 < 3 x 10; 30 >= 3 x 10 and >= 10 + 20; hour 10: 21 < 2 + 20.
        for (h9, want9) in [(29, false), (30, true)] {
            let today = figures(&[(9, h9), (10, 21)], &[]);
            let t = spikes(&today, &base, &SpikeRule::default()).unwrap();
            let hours: Vec<u32> =
                t.df.column("hour")
                    .unwrap()
                    .u32()
                    .unwrap()
                    .into_no_null_iter()
                    .collect();
            assert_eq!(hours, if want9 { vec![9] } else { vec![] }, "hour 9 = {h9}");
        }
        // No earlier days: the baseline is the day's median hour (0 here).
        let today = figures(&[(3, 20), (4, 19)], &[]);
        let t = spikes(
            &today,
            &Baseline::of(100, &BTreeMap::new()),
            &SpikeRule::default(),
        )
        .unwrap();
        assert_eq!(t.df.height(), 1);
    }

    #[test]
    fn new_and_gone_codes_look_at_the_right_days() {
        let mut known = BTreeMap::new();
        known.insert(93, figures(&[], &[("OLD_9", 1)])); // 7 days back: in the window
        known.insert(92, figures(&[], &[("OLD_8", 1)])); // 8 days back: outside it
        known.insert(99, figures(&[], &[("AUTH_001", 4), ("GONE_1", 2)]));
        let today = figures(&[], &[("AUTH_001", 1), ("OLD_9", 1), ("OLD_8", 3)]);
        let base = Baseline::of(100, &known);
        let codes = today.by_code();
        let new = new_codes(&today, &codes, &base).unwrap();
        assert_eq!(
            new.df.column("code").unwrap().str().unwrap().get(0),
            Some("OLD_8")
        );
        assert_eq!(new.df.height(), 1);
        let gone = gone_codes(&codes, &base).unwrap();
        assert_eq!(
            gone.df.column("code").unwrap().str().unwrap().get(0),
            Some("GONE_1")
        );
        assert_eq!(gone.df.height(), 1);
    }
}
