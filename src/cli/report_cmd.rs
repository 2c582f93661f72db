//! `errlens report`: the whole-range error report.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::input::InputArgs;
use super::{EXIT_OK, EXIT_TROUBLE, write_stdout};
use crate::agg::driver::Reject;
use crate::render::{self, Context};
use crate::report::offenders::{Rules, offenders, table_of};
use crate::report::{self, ReportOptions};
use crate::secret;

/// Output formats of `report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for a terminal.
    Table,
    /// One JSON document (schema in README.md).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Rows in the per-key and per-endpoint tables; 0 shows all
    /// [default: 10 for tables, all for JSON].
    #[arg(long, value_name = "N")]
    top: Option<usize>,

    /// Write each malformed line's file, line number, reason and first bytes (secrets masked
    /// unless --show-keys) to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<i32> {
    let filter = args.input.filter()?;
    let catalog = args.input.catalog()?;
    let (_, run, problems) = args.input.run(&filter, args.rejects.is_some())?;
    for p in &problems {
        eprintln!("errlens: {p}");
    }
    if let Some(path) = &args.rejects {
        write_rejects(path, &run.rejects, args.input.show_keys)
            .with_context(|| format!("cannot write rejects to {}", path.display()))?;
    }
    let top = match (args.top, args.format) {
        (Some(0), _) => None,
        (Some(n), _) => Some(n),
        (None, Format::Table) => Some(10),
        (None, Format::Json) => None,
    };
    let opts = ReportOptions {
        show_keys: args.input.show_keys,
        top,
    };
    let mut report = report::build(&run.agg, &catalog, &opts).context("building report tables")?;
    // The same analysis as `errlens offenders`, with its default rules, cut like the key table.
    let rows = offenders(&run.agg, &Rules::default(), 1);
    report
        .tables
        .push(table_of(&rows, opts.show_keys, top).context("building offenders table")?);
    let ctx = Context {
        inputs: run.sources,
        input_errors: problems.clone(),
        filters: args.input.filter_labels(),
    };
    let text = match args.format {
        Format::Table => render::table::render(&report, &ctx),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&render::json::render(&report, &ctx))?;
            s.push('\n');
            s
        }
    };
    write_stdout(text.as_bytes())?;
    Ok(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_TROUBLE
    })
}

fn write_rejects(path: &PathBuf, rejects: &[Reject], show_keys: bool) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for r in rejects {
        let head = String::from_utf8_lossy(&r.head);
        let head = if show_keys {
            head.into_owned()
        } else {
            secret::redact(&head)
        };
        let row = serde_json::json!({
            "source": r.source,
            "line": r.line,
            "reason": r.reason.to_string(),
            "head": head,
        });
        serde_json::to_writer(&mut w, &row)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}
