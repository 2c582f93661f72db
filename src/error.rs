//! The library's typed errors; the binary turns them into messages once, at the top.

use std::io;
use std::path::PathBuf;

/// A bad `--field` override.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("--field `{0}`: expected NAME=PATH[,PATH...], e.g. key=request.auth.key")]
    Syntax(String),
    #[error(
        "--field: unknown name `{0}` (known: time, key, authorization, status, endpoint, method, envelope)"
    )]
    UnknownSlot(String),
    #[error("--field: more than {0} field paths in all")]
    TooMany(usize),
}

/// A problem with one input; the rest of the input is still read and reported.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Open { path: String, source: io::Error },
    #[error(
        "{path}: not a regular file (a FIFO, socket or device), skipped in a directory walk; name it on the command line to read it"
    )]
    NotAFile { path: String },
    #[error("{path}: cannot list directory: {source}")]
    Dir { path: String, source: io::Error },
    #[error("{path}: stopped after {bytes} bytes ({lines} lines) of {what}: {source}")]
    Read {
        path: String,
        what: &'static str,
        bytes: u64,
        lines: u64,
        source: io::Error,
    },
}

/// A failure that stops a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("cannot start {0} worker threads: {1}")]
    Threads(usize, String),
    #[error("cannot write {path}: {error}")]
    Write { path: PathBuf, error: io::Error },
}
