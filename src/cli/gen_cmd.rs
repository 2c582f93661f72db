//! `errlens gen`: synthetic logs.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::EXIT_OK;
use crate::extract::time::{MICROS_PER_DAY, parse_bound};
use crate::synth::{GenOptions, Shape, generate};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Lines to write (blank, malformed and unrecognized lines included).
    #[arg(long, default_value_t = 100_000)]
    lines: u64,
    /// Days the requests spread over, starting at --start.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// Distinct API keys; about 1 in 100 of them is throttled on purpose.
    #[arg(long, default_value_t = 200)]
    keys: u32,
    /// Random seed: the same seed and options always give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First day (UTC).
    #[arg(long, default_value = "2026-11-01")]
    start: String,
    /// Record shapes to write.
    #[arg(long, value_enum, default_value_t = Shape::Mixed)]
    shape: Shape,
    /// Share of the traffic from the throttled keys; about 40% of their requests get RATE_001.
    #[arg(long, value_name = "SHARE", default_value_t = 0.2)]
    hot_share: f64,
    /// Write the log here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write what was generated (lines per bucket, errors by code and day, throttled keys)
    /// to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<i32> {
    let start = parse_bound(&a.start, false)
        .map_err(anyhow::Error::msg)
        .context("--start")?;
    let opts = GenOptions {
        lines: a.lines,
        days: a.days,
        keys: a.keys,
        seed: a.seed,
        start_day: start.div_euclid(MICROS_PER_DAY),
        shape: a.shape,
        hot_share: a.hot_share,
    };
    let summary = match &a.output {
        Some(p) => {
            let mut w = BufWriter::with_capacity(
                1 << 20,
                File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
            );
            generate(&opts, &mut w).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => {
            let mut w = BufWriter::with_capacity(1 << 20, io::stdout().lock());
            generate(&opts, &mut w)?
        }
    };
    if let Some(p) = &a.summary {
        let mut f = File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
        serde_json::to_writer_pretty(&mut f, &summary)?;
        f.write_all(b"\n")?;
    }
    Ok(EXIT_OK)
}
