//! The command line: clap definitions, one file per subcommand, errors turned into messages
//! and exit statuses here and nowhere else.

mod catalog_cmd;
mod daily_cmd;
mod gen_cmd;
mod input;
mod offenders_cmd;
mod output;
mod report_cmd;

use std::io::{self, Write};

use clap::{CommandFactory, Parser, Subcommand};

/// Exit status: everything read and reported.
pub const EXIT_OK: i32 = 0;
/// Exit status: something could not be read or written, or the arguments were wrong.
/// A report is still printed for whatever could be read.
pub const EXIT_TROUBLE: i32 = 2;

const AFTER_HELP: &str = "\
Exit status: 0 when every input was read and the report written; 1 when `offenders --fail-if`
matched a key (after printing the report); 2 when an input could not be read in full (the report
still covers everything else), an output could not be written, or the arguments were wrong.

Examples:
  errlens report /var/log/gateway/              # every log file below a directory, gzip/zstd too
  kubectl logs --timestamps deploy/gateway | errlens report
  errlens report --since 2026-11-24 --code RATE_001 --format json app.log.gz
  errlens daily today.log.gz --out reports/ --history history.parquet --tz Europe/Istanbul";

/// errlens turns WhatsApp Business gateway request logs into error reports people act on.
#[derive(Debug, Parser)]
#[command(name = "errlens", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read request logs and print an error report: totals, codes, groups, statuses, keys,
    /// days and endpoints, with a reconciliation of every line read.
    Report(report_cmd::Args),
    /// Write one report per day (Markdown, HTML, JSON, CSV, Parquet) and an index, comparing
    /// each day with the previous one and the trailing week; --history carries days across runs.
    Daily(daily_cmd::Args),
    /// Rank the API keys that keep hitting RATE_001: persistence, bursts, retry behaviour,
    /// and a verdict with the rule behind it. `--fail-if` turns it into a cron/CI check.
    Offenders(offenders_cmd::Args),
    /// Print the error dictionary in force (the built-in codes plus --catalog files).
    Catalog(catalog_cmd::Args),
    /// Write deterministic synthetic request logs (for demos, tests and benchmarks).
    Gen(gen_cmd::Args),
    /// Print a shell completion script, e.g. `errlens completions bash > /etc/bash_completion.d/errlens`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `errlens man > errlens.1 && man ./errlens.1`.
    Man,
}

/// Hands a run's tables to the process's exit instead of freeing them one by one: the process
/// ends next, and freeing the 30k entries of a week's log (20k keys, 12k with RATE_001
/// events) took 7 ms after the report was out.
fn left_to_exit<T>(big: T) {
    std::mem::forget(big);
}

/// Runs the command line and returns the process exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_TROUBLE
            } else {
                EXIT_OK
            };
        }
    };
    output::clean_up_on_signals();
    let result = match cli.command {
        Command::Report(a) => report_cmd::run(a),
        Command::Daily(a) => daily_cmd::run(a),
        Command::Offenders(a) => offenders_cmd::run(a),
        Command::Catalog(a) => catalog_cmd::run(a),
        Command::Gen(a) => gen_cmd::run(a),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "errlens", &mut buf);
            write_stdout(&buf).map(|()| EXIT_OK).map_err(Into::into)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(anyhow::Error::from)
                .and_then(|()| write_stdout(&buf).map_err(Into::into))
                .map(|()| EXIT_OK)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(io::stderr(), "errlens: {e:#}");
            EXIT_TROUBLE
        }
    }
}

/// A closed pipe downstream (`errlens report | head`) is a quiet exit, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Colour for stdout: a terminal, and no NO_COLOR.
pub(crate) fn colour() -> bool {
    use std::io::IsTerminal;
    crate::render::colour_wanted(
        io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// Writes all of `bytes` to stdout.
pub(crate) fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}
