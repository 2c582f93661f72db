//! Where a command's output goes: stdout, or a file written whole (temp file + rename, so
//! a crash or Ctrl-C never leaves a half-written report).

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};

use crate::render::formats;
use crate::report::Table;

/// Output formats of the table-producing commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// CSV with a header row (formula-like cells neutralized).
    Csv,
    /// Markdown, for a chat or an email.
    Md,
    /// One self-contained HTML page.
    Html,
    /// Parquet (needs --output).
    Parquet,
}

/// Rows kept by `--top`: 0 keeps all; by default 10 on a terminal, all in every other format.
pub fn rows_kept(top: Option<usize>, format: Format) -> Option<usize> {
    match (top, format) {
        (Some(0), _) => None,
        (Some(n), _) => Some(n),
        (None, Format::Table) => Some(10),
        (None, _) => None,
    }
}

/// Writes each table into `dir` as `NAME.csv` or `NAME.parquet`, each file whole.
pub fn write_tables(dir: &Path, tables: &[&Table], format: Format) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for t in tables {
        match format {
            Format::Csv => emit(
                Some(&dir.join(format!("{}.csv", t.name))),
                formats::csv(t).as_bytes(),
            )?,
            Format::Parquet => write_atomic(&dir.join(format!("{}.parquet", t.name)), |f| {
                formats::parquet_to(t, f)
            })?,
            other => anyhow::bail!("{other:?} is not a one-file-per-table format"),
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, or to stdout when there is no path.
pub fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        None => Ok(super::write_stdout(bytes)?),
        Some(p) => write_atomic(p, |f| f.write_all(bytes)),
    }
}

/// Temporary files being written: removed if a signal ends the run, so Ctrl-C leaves neither
/// a half-written output (that is never at the final path) nor a stray temporary file.
static IN_FLIGHT: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary files in flight, then die of the signal
/// (so a shell loop sees Ctrl-C as Ctrl-C). Outputs already renamed into place stay; outputs
/// not yet renamed never appear.
pub fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            // Held to the exit: no rename can start after the clean-up.
            let files = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
            for f in files.iter() {
                let _ = std::fs::remove_file(f);
            }
            let _ = signal_hook::low_level::emulate_default_handler(sig);
            std::process::exit(128 + sig);
        }
    });
}

/// Creates `path` by writing a temporary file beside it and renaming it into place.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // A new file gets the mode any new file gets (0666 less the umask), not tempfile's 0600;
    // a file replaced keeps its own mode.
    let mode = std::fs::metadata(path).map_or_else(
        |_| std::os::unix::fs::PermissionsExt::from_mode(0o666),
        |m| m.permissions(),
    );
    let lock = || IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    // Created and registered under the lock: a signal between the two would leave it behind.
    let mut files = lock();
    let mut tmp = tempfile::Builder::new()
        .prefix(".errlens-")
        .permissions(mode)
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let tmp_path = tmp.path().to_owned();
    files.push(tmp_path.clone());
    drop(files);
    let forget = |files: &mut Vec<std::path::PathBuf>| files.retain(|p| p != &tmp_path);
    let written = write(tmp.as_file_mut())
        .and_then(|()| tmp.as_file_mut().sync_all())
        .with_context(|| format!("cannot write {}", path.display()));
    let mut files = lock();
    if let Err(e) = written {
        drop(tmp); // removed while the lock is held, like the clean-up would
        forget(&mut files);
        return Err(e);
    }
    let persisted = tmp.persist(path);
    forget(&mut files);
    drop(files);
    persisted.with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
