//! `errlens report`: the whole-range error report.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::input::InputArgs;
use super::output::{self, Format};
use super::{EXIT_OK, EXIT_TROUBLE};
use crate::agg::driver::Reject;
use crate::render::{self, Context};
use crate::report::offenders::{Rules, leading_offenders, table_of_leading};
use crate::report::{self, ReportOptions};
use crate::secret;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// Output format. csv and parquet write one file per table into the --output directory.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Write the report to FILE (a directory for csv and parquet) instead of stdout. Files are
    /// written whole, via a temporary file and a rename.
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,

    /// Rows in the per-key, per-endpoint and offenders tables; 0 shows all
    /// [default: 10 for the terminal, all in every other format].
    #[arg(long, value_name = "N")]
    top: Option<usize>,

    /// Write each malformed line's file, line number, reason and first bytes (secrets masked
    /// unless --show-keys) to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<i32> {
    if matches!(args.format, Format::Csv | Format::Parquet) && args.output.is_none() {
        anyhow::bail!("--format csv and parquet write one file per table: give --output DIR");
    }
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
    let top = output::rows_kept(args.top, args.format);
    let opts = ReportOptions {
        show_keys: args.input.show_keys,
        top,
    };
    let mut report = report::build(&run.agg, &catalog, &opts).context("building report tables")?;
    // The offenders analysis comes next, on other threads: give back what building took.
    crate::memory::release_free_memory();
    for w in run.agg.folded.warnings(&run.agg.caps) {
        eprintln!("errlens: warning: {w}");
        report.notes.push(format!("Warning: {w}."));
    }
    // The same analysis as `errlens offenders`, with its default rules, cut like the key
    // table: only the rows shown are analysed.
    let shown = top.filter(|&n| n > 0).unwrap_or(usize::MAX);
    let (rows, total) = leading_offenders(&run.agg, &Rules::default(), 1, shown)
        .context("reading RATE_001 events back from the temporary file")?;
    report.tables.push(
        table_of_leading(&rows, total, opts.show_keys, top).context("building offenders table")?,
    );
    let ctx = Context {
        inputs: run.sources,
        input_errors: problems.clone(),
        filters: args.input.filter_labels(),
        colour: args.output.is_none() && super::colour(),
    };
    let out = args.output.as_deref();
    match args.format {
        Format::Table => output::emit(out, render::table::render(&report, &ctx).as_bytes())?,
        Format::Json => output::emit(out, render::json::render(&report, &ctx)?.as_bytes())?,
        Format::Md => output::emit(out, render::document::markdown(&report, &ctx).as_bytes())?,
        Format::Html => output::emit(out, render::document::html(&report, &ctx).as_bytes())?,
        Format::Csv | Format::Parquet => {
            let totals = render::document::totals_table(&report)?;
            let mut tables: Vec<&report::Table> = vec![&totals];
            tables.extend(report.tables.iter());
            output::write_tables(out.expect("checked above"), &tables, args.format)?;
        }
    }
    super::left_to_exit((run.agg, report));
    Ok(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_TROUBLE
    })
}

/// Writes the rejects as JSON lines, whole (temporary file and rename), like every output.
fn write_rejects(path: &Path, rejects: &[Reject], show_keys: bool) -> Result<()> {
    output::write_atomic(path, |f| {
        let mut w = BufWriter::new(f);
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
    })
}
