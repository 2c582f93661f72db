//! `errlens offenders`: the API keys that keep hitting RATE_001.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use serde_json::json;

use super::input::InputArgs;
use super::output::{self, Format};
use super::{EXIT_OK, EXIT_TROUBLE};
use crate::render::{self, Context, formats};
use crate::report::offenders::{METRICS, Offender, Rules, offenders, table_of};

/// Exit status of `--fail-if` when a key matches.
pub const EXIT_MATCHED: i32 = 1;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Write the output to FILE (whole, via a temporary file) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Rows shown; 0 shows all [default: 10 for tables, all otherwise].
    #[arg(long, value_name = "N")]
    top: Option<usize>,

    /// Leave out keys with fewer RATE_001 responses than this.
    #[arg(long, value_name = "N", default_value_t = 1)]
    min_rate_limited: u64,

    /// Exit with status 1 (after printing the report) when any key matches COLUMN OP NUMBER,
    /// e.g. 'rate_limited>1000' or 'early_retry_share>=0.5'. OP: > >= < <= == !=.
    /// Repeat for several: any match fails. Columns: requests, rate_limited, throttled_share,
    /// days_rate_limited, longest_streak_days, minutes_rate_limited, peak_per_minute,
    /// retry_after_median_s, retry_after_unparsed, early_retries, early_retry_share.
    #[arg(long = "fail-if", value_name = "COND")]
    fail_if: Vec<String>,

    #[command(flatten)]
    rules: RulesArgs,
}

/// The offender verdict rules, shared by `offenders`, `report` and `daily`.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Offender verdict rules")]
pub struct RulesArgs {
    /// Verdict `persistent`: RATE_001 on at least this share of the days in range
    /// (days with any request in the input)...
    #[arg(long, value_name = "SHARE", default_value_t = Rules::default().persistent_share)]
    persistent_share: f64,

    /// ...and on at least this many days.
    #[arg(long, value_name = "DAYS", default_value_t = Rules::default().persistent_min_days)]
    persistent_min_days: u64,

    /// Verdict `bursty`: at least this many RATE_001 in one minute.
    #[arg(long, value_name = "N", default_value_t = Rules::default().bursty_peak)]
    bursty_peak: u64,

    /// Verdict `ignores retry_after`: at least this share of a key's RATE_001 came before the
    /// previous one's retry_after had passed...
    #[arg(long, value_name = "SHARE", default_value_t = Rules::default().early_share)]
    early_share: f64,

    /// ...and at least this many.
    #[arg(long, value_name = "N", default_value_t = Rules::default().early_min)]
    early_min: u64,
}

impl RulesArgs {
    pub fn rules(&self) -> Rules {
        Rules {
            persistent_share: self.persistent_share,
            persistent_min_days: self.persistent_min_days,
            bursty_peak: self.bursty_peak,
            early_share: self.early_share,
            early_min: self.early_min,
        }
    }
}

/// One `--fail-if` condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    column: String,
    op: &'static str,
    value: f64,
}

impl Condition {
    pub fn parse(s: &str) -> Result<Condition> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        for op in [">=", "<=", "==", "!=", ">", "<"] {
            if let Some((col, val)) = t.split_once(op) {
                if !METRICS.contains(&col) {
                    bail!(
                        "--fail-if `{s}`: unknown column `{col}` (known: {})",
                        METRICS.join(", ")
                    );
                }
                let value: f64 = val
                    .parse()
                    .with_context(|| format!("--fail-if `{s}`: `{val}` is not a number"))?;
                return Ok(Condition {
                    column: col.to_owned(),
                    op,
                    value,
                });
            }
        }
        bail!("--fail-if `{s}`: expected COLUMN OP NUMBER, e.g. rate_limited>1000")
    }

    pub fn matches(&self, o: &Offender) -> bool {
        let Some(v) = o.metric(&self.column) else {
            return false;
        };
        match self.op {
            ">=" => v >= self.value,
            "<=" => v <= self.value,
            "==" => v == self.value,
            "!=" => v != self.value,
            ">" => v > self.value,
            _ => v < self.value,
        }
    }
}

pub fn run(args: Args) -> Result<i32> {
    let conditions = args
        .fail_if
        .iter()
        .map(|c| Condition::parse(c))
        .collect::<Result<Vec<_>>>()?;
    if args.format == Format::Parquet && args.output.is_none() {
        bail!("--format parquet needs --output FILE");
    }
    let rules = args.rules.rules();
    let filter = args.input.filter()?;
    args.input.catalog()?;
    let (_, run, problems) = args.input.run(&filter, false)?;
    for p in &problems {
        eprintln!("errlens: {p}");
    }
    for w in run.agg.folded.warnings(&run.agg.caps) {
        eprintln!("errlens: warning: {w}");
    }
    let rows = offenders(&run.agg, &rules, args.min_rate_limited)
        .context("reading RATE_001 events back from the temporary file")?;
    let top = output::rows_kept(args.top, args.format);
    let table =
        table_of(&rows, args.input.show_keys, top).context("building the offenders table")?;
    let ctx = Context {
        inputs: run.sources,
        input_errors: problems.clone(),
        filters: args.input.filter_labels(),
        colour: args.output.is_none() && super::colour(),
    };
    let out = args.output.as_deref();
    match args.format {
        Format::Table => {
            let mut text = String::new();
            text.push_str(&format!(
                "{}\n",
                render::Paint(ctx.colour).bold(table.title)
            ));
            if table.df.height() == 0 {
                text.push_str("  no key was rate limited\n");
            } else {
                text.push_str(&format!("{}\n", render::table::grid(&table)));
                if table.total_rows > table.df.height() {
                    text.push_str(&format!(
                        "  showing {} of {} keys (--top 0 shows all)\n",
                        table.df.height(),
                        table.total_rows
                    ));
                }
                text.push_str("\nVerdicts\n");
                for (i, o) in rows.iter().take(table.df.height()).enumerate() {
                    let rules = o.rules();
                    if !rules.is_empty() {
                        text.push_str(&format!("  #{} {}\n", i + 1, rules.join("; ")));
                    }
                }
            }
            text.push_str(&format!(
                "\nRules: persistent = RATE_001 on >= {:.0}% of the days in range and >= {} days; \
bursty = >= {} RATE_001 in one minute; ignores retry_after = >= {:.0}% of checkable retries early and >= {}.\n",
                rules.persistent_share * 100.0,
                rules.persistent_min_days,
                rules.bursty_peak,
                rules.early_share * 100.0,
                rules.early_min
            ));
            output::emit(out, text.as_bytes())?;
        }
        Format::Json => {
            let mut doc = render::json::header(&ctx);
            doc.insert(
                "rules".into(),
                json!({
                    "persistent_share": rules.persistent_share,
                    "persistent_min_days": rules.persistent_min_days,
                    "bursty_peak": rules.bursty_peak,
                    "early_share": rules.early_share,
                    "early_min": rules.early_min,
                }),
            );
            doc.insert("offenders".into(), render::json::rows(&table));
            let mut s = serde_json::to_string_pretty(&serde_json::Value::Object(doc))?;
            s.push('\n');
            output::emit(out, s.as_bytes())?;
        }
        Format::Csv => output::emit(out, formats::csv(&table).as_bytes())?,
        Format::Md => output::emit(out, formats::markdown(&table).as_bytes())?,
        Format::Html => {
            let page = formats::html_page(
                "errlens: rate-limit offenders",
                &formats::html_table(&table),
            );
            output::emit(out, page.as_bytes())?
        }
        Format::Parquet => {
            let path = out.expect("checked above");
            output::write_atomic(path, |f| formats::parquet_to(&table, f))?;
        }
    }
    let matched = conditions.iter().any(|c| rows.iter().any(|o| c.matches(o)));
    super::left_to_exit((run.agg, rows));
    Ok(if matched {
        EXIT_MATCHED
    } else if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_TROUBLE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse() {
        let c = Condition::parse("rate_limited > 1000").unwrap();
        assert_eq!(
            (c.column.as_str(), c.op, c.value),
            ("rate_limited", ">", 1000.0)
        );
        let c = Condition::parse("early_retry_share>=0.5").unwrap();
        assert_eq!(c.op, ">=");
        assert!(Condition::parse("colour>1").is_err());
        assert!(Condition::parse("rate_limited>lots").is_err());
        assert!(Condition::parse("rate_limited").is_err());
    }
}
