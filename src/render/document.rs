//! A whole report as one document for people: Markdown (for a chat or an email) and a
//! self-contained HTML page, both from the same tables as every other renderer.

use std::fmt::Write as _;

use polars::prelude::*;

use super::formats::{html_page, html_table, markdown as md_table};
use super::table::thousands;
use super::{Context, text};
use crate::report::{Report, Table, col, table};

/// The reconciliation as a table: every bucket and its lines.
pub fn totals_table(report: &Report) -> PolarsResult<Table> {
    let t = &report.totals;
    let rows = [
        ("lines", t.lines),
        ("blank", t.blank),
        ("malformed", t.malformed),
        ("unrecognized", t.unrecognized),
        ("filtered", t.filtered),
        ("requests", t.requests),
        ("successes", t.successes),
        ("errors", t.errors),
    ];
    let df = DataFrame::new_infer_height(vec![
        col("bucket", rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        col("lines", rows.iter().map(|r| r.1).collect::<Vec<_>>()),
    ])?;
    Ok(table("totals", "Totals and reconciliation", df, None))
}

fn summary(report: &Report, ctx: &Context) -> Vec<String> {
    let t = &report.totals;
    let rate = if t.requests == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}%", t.errors as f64 * 100.0 / t.requests as f64)
    };
    let mut lines = vec![
        format!(
            "{} lines from {} input{}: {} requests, {} errors (error rate {rate}).",
            thousands(t.lines),
            ctx.inputs.len(),
            if ctx.inputs.len() == 1 { "" } else { "s" },
            thousands(t.requests),
            thousands(t.errors)
        ),
        format!(
            "Reconciliation: {} blank + {} malformed + {} unrecognized + {} filtered + {} requests = {} lines{}.",
            thousands(t.blank),
            thousands(t.malformed),
            thousands(t.unrecognized),
            thousands(t.filtered),
            thousands(t.requests),
            thousands(t.lines),
            if t.reconciles() {
                ""
            } else {
                " (DOES NOT ADD UP)"
            }
        ),
    ];
    for (k, v) in &ctx.filters {
        lines.push(format!("Filter: {k} = {v}."));
    }
    for e in &ctx.input_errors {
        lines.push(format!("Input problem: {e}"));
    }
    lines
}

/// The report as Markdown.
pub fn markdown(report: &Report, ctx: &Context) -> String {
    let mut out = String::from("## errlens report\n\n");
    for l in summary(report, ctx) {
        let _ = writeln!(out, "{}\n", text::md_cell(&l));
    }
    for t in &report.tables {
        out.push_str(&md_table(t));
        out.push('\n');
    }
    out
}

/// The report as one self-contained HTML page.
pub fn html(report: &Report, ctx: &Context) -> String {
    let mut body = String::new();
    for l in summary(report, ctx) {
        let _ = writeln!(body, "<p>{}</p>", text::html(&l));
    }
    for t in &report.tables {
        body.push_str(&html_table(t));
    }
    html_page("errlens report", &body)
}
