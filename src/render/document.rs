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

/// A document for people: a title, sentences, links to other documents, then tables.
#[derive(Clone, Debug, Default)]
pub struct Page<'a> {
    pub title: String,
    pub paragraphs: Vec<String>,
    /// (label, relative address); both escaped when rendered.
    pub links: Vec<(String, String)>,
    pub tables: Vec<&'a Table>,
}

impl Page<'_> {
    /// As Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!("## {}\n\n", text::md_cell(&self.title));
        for l in &self.paragraphs {
            let _ = writeln!(out, "{}\n", text::md_cell(l));
        }
        for (label, href) in &self.links {
            let _ = writeln!(
                out,
                "- [{}]({})",
                text::md_cell(label).replace(['[', ']'], ""),
                href.replace(['(', ')', ' '], "")
            );
        }
        if !self.links.is_empty() {
            out.push('\n');
        }
        for t in &self.tables {
            out.push_str(&md_table(t));
            out.push('\n');
        }
        out
    }

    /// As one self-contained HTML page.
    pub fn html(&self) -> String {
        let mut body = String::new();
        for l in &self.paragraphs {
            let _ = writeln!(body, "<p>{}</p>", text::html(l));
        }
        if !self.links.is_empty() {
            body.push_str("<ul class=\"links\">\n");
            for (label, href) in &self.links {
                let _ = writeln!(
                    body,
                    "<li><a href=\"{}\">{}</a></li>",
                    text::html(href),
                    text::html(label)
                );
            }
            body.push_str("</ul>\n");
        }
        for t in &self.tables {
            body.push_str(&html_table(t));
        }
        html_page(&self.title, &body)
    }
}

fn report_page<'a>(report: &'a Report, ctx: &Context) -> Page<'a> {
    let mut paragraphs = summary(report, ctx);
    paragraphs.extend(report.notes.iter().cloned());
    Page {
        title: "errlens report".into(),
        paragraphs,
        links: vec![],
        tables: report.tables.iter().collect(),
    }
}

/// The report as Markdown.
pub fn markdown(report: &Report, ctx: &Context) -> String {
    report_page(report, ctx).markdown()
}

/// The report as one self-contained HTML page.
pub fn html(report: &Report, ctx: &Context) -> String {
    report_page(report, ctx).html()
}
