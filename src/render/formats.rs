//! Table renderers shared by every command: CSV, Markdown, HTML and Parquet, each reading
//! the same polars tables the terminal and JSON renderers read.

use std::fmt::Write as _;
use std::io;

use polars::prelude::*;

use super::text;
use crate::report::Table;

/// A cell as plain text (numbers as they are, null as empty).
pub fn plain(v: &AnyValue<'_>) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_owned(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::Float64(f) => format!("{f}"),
        other => other.to_string(),
    }
}

fn cells(t: &Table, row: usize) -> impl Iterator<Item = String> + '_ {
    t.df.columns()
        .iter()
        .map(move |c| c.get(row).map(|v| plain(&v)).unwrap_or_default())
}

/// One table as CSV with a header row.
pub fn csv(t: &Table) -> String {
    let mut out = String::new();
    let header: Vec<String> =
        t.df.columns()
            .iter()
            .map(|c| text::csv_cell(c.name()))
            .collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for i in 0..t.df.height() {
        let row: Vec<String> = cells(t, i).map(|c| text::csv_cell(&c)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// One table as a Markdown table under a heading.
pub fn markdown(t: &Table) -> String {
    let mut out = format!("### {}\n\n", t.title);
    out.push_str(&super::chart::text_bars(t));
    if t.df.height() == 0 {
        out.push_str("(none)\n");
        return out;
    }
    let names: Vec<String> =
        t.df.columns()
            .iter()
            .map(|c| text::md_cell(c.name()))
            .collect();
    let _ = writeln!(out, "| {} |", names.join(" | "));
    let aligns: Vec<&str> =
        t.df.columns()
            .iter()
            .map(|c| {
                if c.dtype().is_primitive_numeric() {
                    "---:"
                } else {
                    "---"
                }
            })
            .collect();
    let _ = writeln!(out, "|{}|", aligns.join("|"));
    for i in 0..t.df.height() {
        let row: Vec<String> = cells(t, i)
            .map(|c| {
                if c.is_empty() {
                    "–".to_owned()
                } else {
                    text::md_cell(&c)
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    if t.total_rows > t.df.height() {
        let _ = writeln!(
            out,
            "\n_showing {} of {} rows_",
            t.df.height(),
            t.total_rows
        );
    }
    out
}

/// One table as an HTML `<table>` under a heading, every cell escaped.
pub fn html_table(t: &Table) -> String {
    let mut out = format!("<h2>{}</h2>\n", text::html(t.title));
    out.push_str(&super::chart::svg(t));
    if t.df.height() == 0 {
        out.push_str("<p>(none)</p>\n");
        return out;
    }
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for c in t.df.columns() {
        let _ = write!(out, "<th>{}</th>", text::html(c.name()));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for i in 0..t.df.height() {
        out.push_str("<tr>");
        for (c, v) in t.df.columns().iter().zip(cells(t, i)) {
            // Cells stay on one line (the table scrolls sideways on a phone), except long text.
            let class = if c.dtype().is_primitive_numeric() {
                " class=\"num\""
            } else if v.chars().count() > 32 {
                " class=\"wrap\""
            } else {
                ""
            };
            // An empty cell is a null (no code, no group): shown as a dash, as in Markdown.
            let v = if v.is_empty() { "–".to_owned() } else { v };
            let _ = write!(out, "<td{class}>{}</td>", text::html(&v));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    if t.total_rows > t.df.height() {
        let _ = writeln!(
            out,
            "<p class=\"note\">showing {} of {} rows</p>",
            t.df.height(),
            t.total_rows
        );
    }
    out
}

/// A self-contained HTML page (no network needed) around rendered sections.
pub fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n\
<style>body{{font:15px/1.4 system-ui,sans-serif;margin:1rem auto;max-width:72rem;padding:0 1rem;color:#222}}\
table{{border-collapse:collapse;font-size:13px}}th,td{{padding:.25rem .5rem;border-bottom:1px solid #ddd;text-align:left}}\
td,th{{white-space:nowrap}}td.wrap{{white-space:normal;min-width:16rem}}\
td.num{{text-align:right;font-variant-numeric:tabular-nums}}.scroll{{overflow-x:auto}}.note{{color:#666}}\
figure.chart{{margin:.5rem 0}}h1{{font-size:1.5rem;line-height:1.25}}h2{{font-size:1.15rem;margin-top:1.6rem}}\
figure.chart svg{{width:100%;max-width:640px;height:auto;display:block}}\
.legend{{font-size:13px}}.legend span{{margin-right:.8rem;white-space:nowrap}}\
.legend i{{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}}</style>\n\
</head><body>\n<h1>{}</h1>\n{body}</body></html>\n",
        text::html(title),
        text::html(title)
    )
}

/// Writes one table as Parquet into `file`.
pub fn parquet_to(t: &Table, file: &mut std::fs::File) -> io::Result<()> {
    let mut df = t.df.clone();
    ParquetWriter::new(file)
        .finish(&mut df)
        .map(drop)
        .map_err(|e| io::Error::other(e.to_string()))
}
