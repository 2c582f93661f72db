//! Charts drawn from a table's own columns: inline SVG for HTML (no script, no network) and
//! text bars for Markdown, which survive being pasted into a chat.

use std::fmt::Write as _;

use polars::prelude::*;

use super::text;
use crate::report::{Chart, Table};

/// Okabe-Ito colours: told apart with the common colour-vision deficiencies.
const COLORS: [&str; 9] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#999999",
];

fn values(t: &Table, name: &str) -> Vec<u64> {
    t.df.column(name)
        .ok()
        .and_then(|c| c.cast(&DataType::UInt64).ok())
        .map(|c| {
            c.u64()
                .map(|a| a.iter().map(|v| v.unwrap_or(0)).collect())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

fn labels(t: &Table, name: &str) -> Vec<String> {
    t.df.column(name)
        .map(|c| {
            (0..c.len())
                .map(|i| match c.get(i) {
                    Ok(AnyValue::UInt32(n)) => format!("{n:02}"),
                    Ok(v) => super::formats::plain(&v),
                    Err(_) => String::new(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The table's chart as an inline SVG with an HTML legend, or nothing.
pub fn svg(t: &Table) -> String {
    let Some(Chart::StackedBars { x, stacks }) = &t.chart else {
        return String::new();
    };
    let xs = labels(t, x);
    let series: Vec<Vec<u64>> = stacks.iter().map(|s| values(t, s)).collect();
    let n = xs.len();
    if n == 0 {
        return String::new();
    }
    let sums: Vec<u64> = (0..n)
        .map(|i| series.iter().map(|s| s.get(i).copied().unwrap_or(0)).sum())
        .collect();
    let max = sums.iter().copied().max().unwrap_or(0).max(1);
    let (w, h, left, bottom, top) = (480.0, 200.0, 40.0, 22.0, 8.0);
    let plot_w = w - left - 8.0;
    let plot_h = h - bottom - top;
    let step = plot_w / n as f64;
    let mut out = format!(
        "<figure class=\"chart\"><svg viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
        text::html(t.title)
    );
    for frac in [0.0, 0.5, 1.0] {
        let y = top + plot_h * (1.0 - frac);
        let _ = writeln!(
            out,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            w - 8.0,
            left - 4.0,
            y + 4.0,
            (max as f64 * frac).round() as u64
        );
    }
    for (i, label) in xs.iter().enumerate() {
        let bx = left + step * i as f64 + step * 0.1;
        let mut y = top + plot_h;
        for (k, (s, name)) in series.iter().zip(stacks).enumerate() {
            let v = s.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let bh = plot_h * v as f64 / max as f64;
            y -= bh;
            let color = COLORS[k % COLORS.len()];
            let _ = writeln!(
                out,
                "<rect x=\"{bx:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{color}\">\
                 <title>{} {}: {v}</title></rect>",
                step * 0.8,
                text::html(label),
                text::html(name)
            );
        }
        if i % 3 == 0 {
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
                bx + step * 0.4,
                h - 6.0,
                text::html(label)
            );
        }
    }
    out.push_str("</svg>\n<figcaption class=\"legend\">");
    for (i, name) in stacks.iter().enumerate() {
        let _ = write!(
            out,
            "<span><i style=\"background:{}\"></i>{}</span> ",
            COLORS[i % COLORS.len()],
            text::html(name)
        );
    }
    out.push_str("</figcaption></figure>\n");
    out
}

/// The table's chart as text bars of the stacks' sum, one line per row, or nothing.
pub fn text_bars(t: &Table) -> String {
    let Some(Chart::StackedBars { x, stacks }) = &t.chart else {
        return String::new();
    };
    let xs = labels(t, x);
    let series: Vec<Vec<u64>> = stacks.iter().map(|s| values(t, s)).collect();
    let sums: Vec<u64> = (0..xs.len())
        .map(|i| series.iter().map(|s| s.get(i).copied().unwrap_or(0)).sum())
        .collect();
    let max = sums.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return String::new();
    }
    let mut out = String::from("```\n");
    for (label, sum) in xs.iter().zip(&sums) {
        let width = (sum * 40).div_ceil(max) as usize;
        let _ = writeln!(
            out,
            "{} {:<40} {}",
            text::visible(label),
            "█".repeat(width),
            sum
        );
    }
    out.push_str("```\n\n");
    out
}
