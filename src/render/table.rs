//! Terminal tables for people: the reconciliation first, then one table per dimension.

use std::fmt::Write as _;

use comfy_table::{CellAlignment, ContentArrangement, Table as Grid};

/// comfy-table preset: no borders, one rule under the header; quiet enough for long reports.
const HEADER_RULE_ONLY: &str = "     ──            ";
use polars::prelude::AnyValue;

use super::{Context, text};
use crate::report::{Report, Table};

/// Thousands separators for counts.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn cell(v: &AnyValue<'_>) -> String {
    match v {
        AnyValue::Null => "(none)".into(),
        AnyValue::Boolean(b) => if *b { "yes" } else { "no" }.into(),
        AnyValue::String(s) => text::visible(s).into_owned(),
        AnyValue::StringOwned(s) => text::visible(s).into_owned(),
        AnyValue::UInt64(n) => thousands(*n),
        AnyValue::UInt32(n) => n.to_string(),
        AnyValue::Float64(f) => format!("{f}"),
        other => other.to_string(),
    }
}

/// A table as a terminal grid (only its terminal columns, when it names them).
pub fn grid(t: &Table) -> Grid {
    let mut g = Grid::new();
    g.load_preset(HEADER_RULE_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let cols: Vec<&polars::prelude::Column> = match t.terminal_columns {
        Some(names) => {
            t.df.columns()
                .iter()
                .filter(|c| names.contains(&c.name().as_str()))
                .collect()
        }
        None => t.df.columns().iter().collect(),
    };
    g.set_header(cols.iter().map(|c| c.name().to_string()));
    for i in 0..t.df.height() {
        g.add_row(
            cols.iter()
                .map(|c| c.get(i).map(|v| cell(&v)).unwrap_or_default()),
        );
    }
    for (i, c) in cols.iter().enumerate() {
        if c.dtype().is_primitive_numeric()
            && let Some(col) = g.column_mut(i)
        {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    g
}

/// The report as text for a terminal.
pub fn render(report: &Report, ctx: &Context) -> String {
    let t = &report.totals;
    let paint = super::Paint(ctx.colour);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "errlens report: {} input{}, {} lines",
        ctx.inputs.len(),
        if ctx.inputs.len() == 1 { "" } else { "s" },
        thousands(t.lines)
    );
    for (k, v) in &ctx.filters {
        let _ = writeln!(out, "filter: {k} = {v}");
    }
    let _ = writeln!(
        out,
        "\n{}",
        paint.bold("Reconciliation (every line in exactly one bucket)")
    );
    let rows = [
        ("blank", t.blank, String::new()),
        ("malformed", t.malformed, String::new()),
        (
            "unrecognized",
            t.unrecognized,
            "valid JSON, no envelope or status".into(),
        ),
        (
            "filtered",
            t.filtered,
            "requests outside the filters".into(),
        ),
        ("requests", t.requests, String::new()),
        ("  successes", t.successes, String::new()),
        (
            "  errors",
            t.errors,
            format!("error rate {}", percent(t.errors, t.requests)),
        ),
        (
            "lines",
            t.lines,
            if t.reconciles() {
                "adds up".into()
            } else {
                paint.red("DOES NOT ADD UP")
            },
        ),
    ];
    let width = thousands(t.lines).len().max(5);
    for (name, n, note) in rows {
        let row = format!("  {name:<14}{:>width$}  {note}", thousands(n));
        let _ = writeln!(out, "{}", row.trim_end());
    }
    for table in &report.tables {
        let _ = writeln!(out, "\n{}", paint.bold(table.title));
        if table.df.height() == 0 {
            let _ = writeln!(out, "  (none)");
            continue;
        }
        let _ = writeln!(out, "{}", grid(table));
        if table.total_rows > table.df.height() {
            let _ = writeln!(
                out,
                "  showing {} of {} rows (--top 0 shows all)",
                table.df.height(),
                thousands(table.total_rows as u64)
            );
        }
    }
    if !ctx.input_errors.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint.red("Input problems (the rest of the input is reported above)")
        );
        for e in &ctx.input_errors {
            let _ = writeln!(out, "  {}", text::visible(e));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
