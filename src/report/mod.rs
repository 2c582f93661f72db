//! Aggregates become report tables: polars DataFrames, sorted and cut, secrets masked.
//! Every renderer reads these same tables.

pub mod daily;
pub mod offenders;

use std::cmp::Reverse;

use polars::prelude::*;

use crate::agg::{Aggregate, Totals};
use crate::catalog::Catalog;
use crate::extract::time::format_day;
use crate::secret;

/// How tables are cut and shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportOptions {
    /// Show API keys in full instead of masked.
    pub show_keys: bool,
    /// Rows kept in the per-key and per-endpoint tables; `None` keeps all.
    pub top: Option<usize>,
}

/// One named table of a report.
#[derive(Clone, Debug)]
pub struct Table {
    /// Machine name (the JSON member, a CSV file's stem).
    pub name: &'static str,
    /// Heading for people.
    pub title: &'static str,
    pub df: DataFrame,
    /// Rows before `--top` cut the table.
    pub total_rows: usize,
    /// The columns a terminal shows, when not all of them fit.
    pub terminal_columns: Option<&'static [&'static str]>,
    /// Drawn above the table where the format can (HTML, Markdown).
    pub chart: Option<Chart>,
}

/// A chart drawn from a table's own columns.
#[derive(Clone, Debug)]
pub enum Chart {
    /// One bar per row, labelled by column `x`, stacked from the `stacks` columns.
    StackedBars { x: String, stacks: Vec<String> },
}

/// A whole-range error report.
#[derive(Clone, Debug)]
pub struct Report {
    pub totals: Totals,
    /// Sentences for people, shown before the tables (comparisons, rules applied).
    pub notes: Vec<String>,
    pub tables: Vec<Table>,
}

impl Report {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// Cuts `rows` to those ranked before the `n`-th by `key`, or tied with it (in no order): the
/// first `n` rows of any order that sorts by `key` then breaks ties are among them, so only
/// they need sorting. `n` is at least 1 and below `rows.len()`.
pub(crate) fn leading<T, K: Ord>(rows: &mut Vec<T>, n: usize, key: impl Fn(&T) -> K) {
    rows.select_nth_unstable_by_key(n - 1, &key);
    let last = key(&rows[n - 1]);
    rows.retain(|r| key(r) <= last);
}

pub(crate) fn sorted(df: DataFrame, by: &[&str], descending: &[bool]) -> PolarsResult<DataFrame> {
    df.sort(
        by.iter().copied(),
        SortMultipleOptions::default()
            .with_order_descending_multi(descending.iter().copied())
            .with_nulls_last(true)
            .with_maintain_order(true),
    )
}

pub(crate) fn table(
    name: &'static str,
    title: &'static str,
    df: DataFrame,
    top: Option<usize>,
) -> Table {
    let total_rows = df.height();
    let df = match top {
        Some(n) if n > 0 && n < total_rows => df.head(Some(n)),
        _ => df,
    };
    Table {
        name,
        title,
        df,
        total_rows,
        terminal_columns: None,
        chart: None,
    }
}

pub fn col<T, P: ?Sized>(name: &str, values: T) -> Column
where
    Series: NamedFrom<T, P>,
{
    Column::new(name.into(), values)
}

/// Builds the report tables from an aggregate.
pub fn build(agg: &Aggregate, catalog: &Catalog, opts: &ReportOptions) -> PolarsResult<Report> {
    let mut tables = Vec::new();

    // by_code
    let (mut code, mut group, mut desc, mut expected, mut count, mut catalogued) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (c, s) in agg.codes.iter() {
        let entry = c.and_then(|c| catalog.get(c));
        code.push(c.map(str::to_owned));
        group.push(match entry {
            Some(e) => Some(e.group.clone()),
            None => s.groups.top_by(|n| *n).flatten().map(str::to_owned),
        });
        desc.push(match entry {
            Some(e) => Some(e.description.clone()),
            None => s.descriptions.top_by(|n| *n).flatten().map(str::to_owned),
        });
        expected.push(entry.map(|e| e.status as u32));
        count.push(s.count);
        catalogued.push(entry.is_some());
    }
    let df = DataFrame::new_infer_height(vec![
        col("code", code),
        col("group", group),
        col("description", desc),
        col("expected_status", expected),
        col("count", count),
        col("catalogued", catalogued),
    ])?;
    let df = sorted(df, &["count", "code"], &[true, false])?;
    tables.push(table("by_code", "Errors by code", df, None));

    // by_group
    let (mut group, mut count) = (vec![], vec![]);
    for (g, n) in agg.groups.iter() {
        group.push(g.map(str::to_owned));
        count.push(*n);
    }
    let df = DataFrame::new_infer_height(vec![col("group", group), col("count", count)])?;
    let df = sorted(df, &["count", "group"], &[true, false])?;
    tables.push(table("by_group", "Errors by group", df, None));

    // by_status
    let (mut status, mut requests, mut errors) = (vec![], vec![], vec![]);
    for (s, re) in agg.statuses.iter() {
        status.push(s.map(|s| s as u32));
        requests.push(re.requests);
        errors.push(re.errors);
    }
    let df = DataFrame::new_infer_height(vec![
        col("status", status),
        col("requests", requests),
        col("errors", errors),
    ])?;
    let df = sorted(df, &["status"], &[false])?;
    tables.push(table("by_status", "Requests by HTTP status", df, None));

    // by_key: ranked here by errors, then requests, then fingerprint (no key last), and only
    // the rows --top keeps are made. Fingerprints are SHA-256, and 20k of them with a polars
    // sort on three columns took 8 ms, for the 10 rows a terminal shows.
    let mut ranked: Vec<(Option<&str>, &crate::agg::KeyStats)> = agg.keys.iter().collect();
    let total = ranked.len();
    let keep = match opts.top {
        Some(n) if n > 0 => n.min(total),
        _ => total,
    };
    let counts =
        |(_, s): &(Option<&str>, &crate::agg::KeyStats)| (Reverse(s.errors), Reverse(s.requests));
    if keep > 0 && keep < total {
        // Only the keys that can reach the kept rows are sorted (a sort of all 20k took
        // 1 ms for the 10 rows a terminal shows).
        leading(&mut ranked, keep, counts);
    }
    ranked.sort_unstable_by_key(counts);
    // Only runs of ties that reach into the kept rows need their fingerprints.
    let mut start = 0;
    while start < keep {
        let (errors, requests) = (ranked[start].1.errors, ranked[start].1.requests);
        let len = ranked[start..]
            .iter()
            .take_while(|(_, s)| s.errors == errors && s.requests == requests)
            .count();
        if len > 1 {
            ranked[start..start + len]
                .sort_by_cached_key(|(k, _)| (k.is_none(), k.map(secret::fingerprint)));
        }
        start += len;
    }
    let (mut key, mut fp, mut requests, mut errors, mut rate) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (k, s) in &ranked[..keep] {
        key.push(k.map(|k| secret::shown(k, opts.show_keys)));
        fp.push(k.map(secret::fingerprint));
        requests.push(s.requests);
        errors.push(s.errors);
        rate.push(s.rate_limited);
    }
    let df = DataFrame::new_infer_height(vec![
        col("key", key),
        col("key_fingerprint", fp),
        col("requests", requests),
        col("errors", errors),
        col("rate_limited", rate),
    ])?;
    let mut by_key = table("by_key", "Top API keys by errors", df, None);
    by_key.total_rows = total;
    tables.push(by_key);

    // by_day
    let (mut day, mut requests, mut errors) = (vec![], vec![], vec![]);
    for (d, re) in agg.days.iter() {
        day.push(d.map(format_day));
        requests.push(re.requests);
        errors.push(re.errors);
    }
    let df = DataFrame::new_infer_height(vec![
        col("day", day),
        col("requests", requests),
        col("errors", errors),
    ])?;
    let df = sorted(df, &["day"], &[false])?;
    tables.push(table("by_day", "Requests by day (UTC)", df, None));

    // by_endpoint
    let (mut method, mut endpoint, mut requests, mut errors) = (vec![], vec![], vec![], vec![]);
    for (m, eps) in agg.endpoints.iter() {
        for (e, re) in eps.iter() {
            method.push(m.map(str::to_owned));
            endpoint.push(e.map(str::to_owned));
            requests.push(re.requests);
            errors.push(re.errors);
        }
    }
    let df = DataFrame::new_infer_height(vec![
        col("method", method),
        col("endpoint", endpoint),
        col("requests", requests),
        col("errors", errors),
    ])?;
    let df = sorted(
        df,
        &["errors", "requests", "endpoint", "method"],
        &[true, true, false, false],
    )?;
    tables.push(table(
        "by_endpoint",
        "Top endpoints by errors",
        df,
        opts.top,
    ));

    Ok(Report {
        totals: agg.totals,
        notes: Vec::new(),
        tables,
    })
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::extract::{Envelope, Record};

    #[test]
    fn keys_rank_by_errors_requests_then_fingerprint_before_the_cut() {
        let mut agg = Aggregate::default();
        let mut add = |key: Option<&str>, ok: bool| {
            agg.add_request(&Record {
                key: key.map(Cow::Borrowed),
                status: Some(if ok { 200 } else { 400 }),
                envelope: Some(Envelope {
                    is_success: Some(ok),
                    errors: Vec::new(),
                }),
                ..Default::default()
            })
        };
        // Four keys tied on one error in two requests (the null key among them), one key
        // with more requests and no error.
        for k in [Some("a"), Some("b"), Some("c"), None] {
            add(k, true);
            add(k, false);
        }
        for _ in 0..5 {
            add(Some("d"), true);
        }
        let mut tied: Vec<&str> = vec!["a", "b", "c"];
        tied.sort_by_key(|k| secret::fingerprint(k));
        let keys = |top: Option<usize>| {
            let opts = ReportOptions {
                show_keys: true,
                top,
            };
            let report = build(&agg, &Catalog::builtin(), &opts).unwrap();
            let t = report.table("by_key").unwrap();
            let keys: Vec<Option<String>> =
                t.df.column("key")
                    .unwrap()
                    .str()
                    .unwrap()
                    .iter()
                    .map(|k| k.map(str::to_owned))
                    .collect();
            (keys, t.total_rows)
        };
        let mut all: Vec<Option<String>> = tied.iter().map(|k| Some(k.to_string())).collect();
        all.push(None);
        all.push(Some("d".to_owned()));
        assert_eq!(keys(None), (all.clone(), 5));
        assert_eq!(keys(Some(2)), (all[..2].to_vec(), 5));
        assert_eq!(keys(Some(4)), (all[..4].to_vec(), 5));
        assert_eq!(keys(Some(0)), (all, 5));
    }
}
