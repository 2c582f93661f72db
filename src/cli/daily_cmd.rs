//! `errlens daily`: one report per local day plus an index, with comparisons that reach back
//! through a history file kept between runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde_json::json;

use super::input::InputArgs;
use super::offenders_cmd::RulesArgs;
use super::output::{self, Format};
use super::{EXIT_OK, EXIT_TROUBLE};
use crate::agg::daily::Daily;
use crate::extract::time::{days_from_civil, format_day};
use crate::history::{DayFigures, History};
use crate::render::document::{Page, totals_table};
use crate::render::{Context, json as json_render};
use crate::report::daily::{DailyOptions, SpikeRule, day_report, index_report, known_days};
use crate::report::{Report, Table};
use crate::zone::Zone;

const AFTER_HELP: &str = "\
Files written into --out DIR, for each day D reported and each --format:
  D.md  D.html  D.json     one day's report (md and html link back to the index)
  D/TABLE.csv  D/TABLE.parquet
  index.md  index.html  index.json  index/TABLE.csv  index/TABLE.parquet
Every file is written whole (temporary file, then rename). The paths written are printed.

History: --history FILE keeps each reported day's figures (traffic by hour, errors by code)
in a Parquet file. Days this run reports replace the same days in the file; other days stay.
Comparisons use the file for days this run does not report (so run with --day D over a dump
holding a few lines of D-1, and D-1 keeps its full figures).

Examples:
  errlens daily /var/log/gateway/2026-11-24.log.gz --out reports/ --history errlens-history.parquet
  errlens daily big.log --out r/ --day 2026-11-24 --tz Europe/Istanbul --format md,html,json";

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// Directory the reports are written into (created when missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,

    /// Formats to write, comma-separated or repeated.
    #[arg(long, short, value_enum, value_delimiter = ',', default_values_t = [DailyFormat::Md, DailyFormat::Html])]
    format: Vec<DailyFormat>,

    /// Report only this day (YYYY-MM-DD, local to --tz); repeat for several. Default: every
    /// day with a request in the input.
    #[arg(long, value_name = "DATE")]
    day: Vec<String>,

    /// Time zone of days and hours: an IANA name (Europe/Istanbul), UTC, or an offset (+03:00).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    tz: String,

    /// Parquet file of per-day figures kept between runs (created when missing).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,

    /// Rows of the per-key, per-endpoint and offenders tables in md and html; 0 shows all.
    /// json, csv and parquet always hold every row.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,

    /// Spike rule: an hour's error responses are at least FACTOR times its baseline...
    #[arg(long, value_name = "FACTOR", default_value_t = SpikeRule::default().factor)]
    spike_factor: f64,

    /// ...and at least N above it.
    #[arg(long, value_name = "N", default_value_t = SpikeRule::default().min_excess)]
    spike_min_excess: u64,

    /// Codes given their own column in the index's day x code table; the rest are summed
    /// into `(other codes)`.
    #[arg(long, value_name = "N", default_value_t = 20)]
    matrix_codes: usize,

    #[command(flatten)]
    rules: RulesArgs,
}

/// The formats `daily` writes; every one goes to files in --out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum DailyFormat {
    /// D.md: Markdown, for a chat or an email.
    Md,
    /// D.html: one self-contained page, charts as inline SVG.
    Html,
    /// D.json: one JSON document per day.
    Json,
    /// D/TABLE.csv: one CSV file per table.
    Csv,
    /// D/TABLE.parquet: one Parquet file per table.
    Parquet,
}

impl From<DailyFormat> for Format {
    fn from(f: DailyFormat) -> Format {
        match f {
            DailyFormat::Md => Format::Md,
            DailyFormat::Html => Format::Html,
            DailyFormat::Json => Format::Json,
            DailyFormat::Csv => Format::Csv,
            DailyFormat::Parquet => Format::Parquet,
        }
    }
}

/// Tables cut to `top` rows where a person reads them.
fn cut(t: &Table, top: usize) -> Table {
    let mut t = t.clone();
    let long = matches!(t.name, "by_key" | "by_endpoint" | "offenders" | "key_day");
    if long && top > 0 && t.df.height() > top {
        t.df = t.df.head(Some(top));
    }
    t
}

/// Parses `--day` values into day numbers.
fn parse_days(days: &[String]) -> Result<Option<BTreeSet<i32>>> {
    if days.is_empty() {
        return Ok(None);
    }
    let mut out = BTreeSet::new();
    for d in days {
        let date: jiff::civil::Date = d
            .parse()
            .map_err(|_| anyhow::anyhow!("--day `{d}`: expected a date such as 2026-11-24"))?;
        out.insert(
            days_from_civil(date.year() as i64, date.month() as u32, date.day() as u32) as i32,
        );
    }
    Ok(Some(out))
}

pub fn run(args: Args) -> Result<i32> {
    let zone = Zone::parse(&args.tz)?;
    let wanted = parse_days(&args.day)?;
    if args.history.is_some() && !args.input.filter_labels().is_empty() {
        bail!(
            "--history keeps whole days: it cannot be used with --since, --until, --key or --code \
             (the filtered figures would replace the day's)"
        );
    }
    let history = match &args.history {
        Some(p) => History::load(p, zone.name())?,
        None => History::default(),
    };
    let filter = args.input.filter()?;
    let catalog = args.input.catalog()?;
    let (_, run, problems) = args
        .input
        .run_with(&filter, false, || Daily::new(&zone, args.input.caps()))?;
    for p in &problems {
        eprintln!("errlens: {p}");
    }
    let daily = run.agg;
    let warnings = daily.folded().warnings(&daily.caps());
    for w in &warnings {
        eprintln!("errlens: warning: {w}");
    }
    let in_run: BTreeSet<i32> = daily.days.iter().filter_map(|(d, _)| d).collect();
    let reported = match wanted {
        Some(w) => {
            for d in w.difference(&in_run) {
                eprintln!(
                    "errlens: --day {}: no request on that day in the input; its report is empty and the history keeps what it had",
                    format_day(*d)
                );
            }
            w
        }
        // A day the history holds more requests of is not this run's to replace: a dump
        // that starts at 06:25 holds only the end of yesterday. --day forces it.
        None => in_run
            .iter()
            .copied()
            .filter(|d| {
                let ours = daily.day(*d).map_or(0, |x| x.agg.totals.requests);
                match history.days.get(d) {
                    Some(h) if h.requests > ours => {
                        eprintln!(
                            "errlens: warning: {}: this input has {ours} requests of it, the history {}; \
                             kept the history's figures and wrote no report (--day {} replaces them)",
                            format_day(*d),
                            h.requests,
                            format_day(*d)
                        );
                        false
                    }
                    _ => true,
                }
            })
            .collect(),
    };
    let opts = DailyOptions {
        show_keys: args.input.show_keys,
        spikes: SpikeRule {
            factor: args.spike_factor,
            min_excess: args.spike_min_excess,
        },
        rules: args.rules.rules(),
        matrix_codes: args.matrix_codes,
    };
    let known = known_days(&daily, &reported, &history);
    let ctx = Context {
        inputs: run.sources,
        input_errors: problems.clone(),
        filters: args.input.filter_labels(),
        colour: false,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut written = Vec::new();
    let empty = Default::default();
    for &day in &reported {
        let d = daily.day(day).unwrap_or(&empty);
        let report = day_report(day, d, &known, &zone, &catalog, &opts)
            .with_context(|| format!("building the report of {}", format_day(day)))?;
        let title = format!("errlens daily: {} ({})", format_day(day), zone.name());
        let extra = json!({ "day": format_day(day), "tz": zone.name() });
        written.extend(write_document(
            &args,
            &format_day(day),
            &title,
            &report,
            &ctx,
            &[],
            extra,
        )?);
    }
    let index = index_report(&daily, &known, &reported, &history, &zone, &opts)
        .context("building the index")?;
    let links: Vec<String> = reported.iter().map(|d| format_day(*d)).collect();
    let title = format!("errlens daily: index ({})", zone.name());
    let extra = json!({ "tz": zone.name(), "reports": links });
    written.extend(write_document(
        &args, "index", &title, &index, &ctx, &links, extra,
    )?);

    if let Some(path) = &args.history {
        let mut next = history.clone();
        for (day, d) in daily.days.iter() {
            if let Some(day) = day.filter(|d| reported.contains(d)) {
                next.days.insert(day, DayFigures::of(d));
            }
        }
        output::write_atomic(path, |f| next.write_to(zone.name(), f))
            .with_context(|| format!("cannot write the history {}", path.display()))?;
        written.push(path.clone());
    }
    if !args.input.quiet {
        let mut list = String::new();
        for p in &written {
            list.push_str(&format!("{}\n", p.display()));
        }
        super::write_stdout(list.as_bytes())?;
    }
    super::left_to_exit(daily);
    Ok(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_TROUBLE
    })
}

/// Writes one report (a day or the index) in every format asked for; returns the paths.
fn write_document(
    args: &Args,
    stem: &str,
    title: &str,
    report: &Report,
    ctx: &Context,
    links: &[String],
    extra: serde_json::Value,
) -> Result<Vec<PathBuf>> {
    let dir: &Path = &args.out;
    let mut paths = Vec::new();
    let mut paragraphs = report.notes.clone();
    for (k, v) in &ctx.filters {
        paragraphs.push(format!("Filter: {k} = {v}."));
    }
    for e in &ctx.input_errors {
        paragraphs.push(format!("Input problem: {e}"));
    }
    let shown: Vec<Table> = report.tables.iter().map(|t| cut(t, args.top)).collect();
    for format in args.format.iter().map(|&f| Format::from(f)) {
        let ext = match format {
            Format::Md => "md",
            Format::Html => "html",
            _ => "",
        };
        let page = || Page {
            title: title.to_owned(),
            paragraphs: paragraphs.clone(),
            links: if stem == "index" {
                links
                    .iter()
                    .map(|d| (d.clone(), format!("{d}.{ext}")))
                    .collect()
            } else {
                vec![("index".to_owned(), format!("index.{ext}"))]
            },
            tables: shown.iter().collect(),
        };
        match format {
            Format::Md | Format::Html => {
                let path = dir.join(format!("{stem}.{ext}"));
                let text = if format == Format::Md {
                    page().markdown()
                } else {
                    page().html()
                };
                output::emit(Some(&path), text.as_bytes())?;
                paths.push(path);
            }
            Format::Json => {
                let mut doc = json_render::header(ctx);
                if let serde_json::Value::Object(m) = &extra {
                    doc.extend(m.clone());
                }
                doc.insert("notes".into(), json!(report.notes));
                doc.insert("totals".into(), serde_json::to_value(report.totals)?);
                let s = json_render::document(doc, &report.tables)?;
                let path = dir.join(format!("{stem}.json"));
                output::emit(Some(&path), s.as_bytes())?;
                paths.push(path);
            }
            Format::Csv | Format::Parquet => {
                let totals = totals_table(report)?;
                let mut tables: Vec<&Table> = vec![&totals];
                tables.extend(report.tables.iter());
                let sub = dir.join(stem);
                output::write_tables(&sub, &tables, format)?;
                if !paths.contains(&sub) {
                    paths.push(sub);
                }
            }
            Format::Table => bail!("errlens daily writes files, not terminal tables"),
        }
    }
    Ok(paths)
}
