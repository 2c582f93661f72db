//! Input sources: files, directories (walked), stdin; gzip and zstd found by magic bytes.

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::InputError;

/// One stream of log lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
    /// Bytes already in memory (benchmarks, library callers), with a name for messages.
    Bytes(String, Arc<[u8]>),
}

impl Source {
    /// The name used in messages and `--rejects`.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_owned(),
            Source::File(p) => p.display().to_string(),
            Source::Bytes(name, _) => name.clone(),
        }
    }

    /// Size on disk, when known (for the progress bar).
    pub fn size(&self) -> Option<u64> {
        match self {
            Source::Stdin => None,
            Source::File(p) => fs::metadata(p).ok().map(|m| m.len()),
            Source::Bytes(_, b) => Some(b.len() as u64),
        }
    }

    /// Whether the source is read as a stream (stdin, a pipe, a device), not as a regular
    /// file or bytes: two names may be one stream. A path that cannot be looked up is none:
    /// it will not be read at all.
    pub fn is_stream(&self) -> bool {
        match self {
            Source::Stdin => true,
            Source::File(p) => fs::metadata(p).is_ok_and(|m| !m.is_file()),
            Source::Bytes(..) => false,
        }
    }
}

/// Turns the command line's paths into sources: no path or `-` is stdin; directories are
/// walked recursively in name order, skipping hidden entries and not following directory links.
/// Paths that cannot be listed come back as errors beside the sources that can be read.
pub fn expand(paths: &[PathBuf]) -> (Vec<Source>, Vec<InputError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    if paths.is_empty() {
        sources.push(Source::Stdin);
    }
    for p in paths {
        if p.as_os_str() == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut sources, &mut errors),
            Ok(_) => sources.push(Source::File(p.clone())),
            Err(source) => errors.push(InputError::Open {
                path: p.display().to_string(),
                source,
            }),
        }
    }
    (sources, errors)
}

fn walk(dir: &Path, sources: &mut Vec<Source>, errors: &mut Vec<InputError>) {
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(source) => {
            errors.push(InputError::Dir {
                path: dir.display().to_string(),
                source,
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, sources, errors);
            continue;
        }
        // Links are followed to files, never to directories (no loops); a FIFO, socket or
        // device met in a walk is named, not read (a FIFO nobody writes to would block).
        let target = if ft.is_symlink() {
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => continue,
                Ok(m) => m.file_type(),
                Err(source) => {
                    errors.push(InputError::Open {
                        path: path.display().to_string(),
                        source,
                    });
                    continue;
                }
            }
        } else {
            ft
        };
        if target.is_file() {
            sources.push(Source::File(path));
        } else {
            errors.push(InputError::NotAFile {
                path: path.display().to_string(),
            });
        }
    }
}

/// How a stream is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Plain,
    Gzip,
    Zstd,
}

impl Encoding {
    /// What the bytes are, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Encoding::Plain => "data",
            Encoding::Gzip => "decompressed gzip data",
            Encoding::Zstd => "decompressed zstd data",
        }
    }

    fn sniff(head: &[u8]) -> Encoding {
        if head.starts_with(&[0x1f, 0x8b]) {
            Encoding::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Encoding::Zstd
        } else {
            Encoding::Plain
        }
    }
}

/// Stdin as a plain file descriptor: `io::Stdin` takes a lock and goes through an 8 KiB
/// buffer on every read, which halved throughput from a pipe or a redirected file.
#[cfg(unix)]
fn stdin_reader() -> Box<dyn Read + Send> {
    use std::os::fd::AsFd;
    match io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => {
            grow_pipe(&fd);
            Box::new(File::from(fd))
        }
        Err(_) => Box::new(io::stdin()),
    }
}

/// Asks for a 1 MiB pipe buffer when `fd` is a pipe with less (the default 64 KiB makes the
/// writer and this reader take turns every 64 KiB); a larger one is left as it is. Only a
/// hint: a refusal changes nothing.
#[cfg(unix)]
fn grow_pipe(fd: &std::os::fd::OwnedFd) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::fd::AsRawFd;
        const WANTED: libc::c_int = 1 << 20;
        // SAFETY: fcntl on a descriptor this process owns, with an integer argument; both
        // calls fail harmlessly (-1) on anything that is not a pipe.
        unsafe {
            let now = libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ);
            if (0..WANTED).contains(&now) {
                libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, WANTED);
            }
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = fd;
}

#[cfg(not(unix))]
fn stdin_reader() -> Box<dyn Read + Send> {
    Box::new(io::stdin())
}

/// Opens a raw byte stream (file or stdin).
pub fn open_raw(source: &Source) -> Result<Box<dyn Read + Send>, InputError> {
    match source {
        Source::Stdin => Ok(stdin_reader()),
        Source::File(p) => File::open(p)
            .map(|f| Box::new(f) as Box<dyn Read + Send>)
            .map_err(|source| InputError::Open {
                path: p.display().to_string(),
                source,
            }),
        Source::Bytes(_, b) => Ok(Box::new(io::Cursor::new(Arc::clone(b)))),
    }
}

/// Wraps a raw stream in the decoder its first bytes call for.
pub fn decode(mut raw: Box<dyn Read + Send>) -> io::Result<(Encoding, Box<dyn Read + Send>)> {
    // Read the magic bytes whole even from a pipe that delivers them in pieces.
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match raw.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let enc = Encoding::sniff(&head[..n]);
    let joined = io::Cursor::new(head[..n].to_vec()).chain(raw);
    let reader: Box<dyn Read + Send> = match enc {
        Encoding::Plain => Box::new(joined),
        Encoding::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
            BufReader::with_capacity(256 * 1024, joined),
        )),
        Encoding::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(
            BufReader::with_capacity(256 * 1024, joined),
        )?),
    };
    Ok((enc, line_ends(reader)?))
}

/// Bytes sniffed for the line-end convention.
const SNIFF_BYTES: usize = 64 * 1024;

/// A stream whose first 64 KiB hold CRs but no LF (classic Mac line ends) is read with every CR
/// turned into LF, so its lines are not run together into one; any other stream is unchanged
/// (CRLF lines lose their CR later, in the classifier).
fn line_ends(mut r: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    // A read error here (a truncated gzip) comes after the bytes read before it, as it would
    // without the sniffing, so they are still reported.
    let failed = loop {
        let want = (SNIFF_BYTES - head.len()) as u64;
        match (&mut r).take(want).read_to_end(&mut head) {
            Ok(_) => break None,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Some(e),
        }
    };
    // Two CRs at least: one could be the CR of a CRLF whose LF lies just past the window.
    let cr_only = memchr::memchr(b'\n', &head).is_none()
        && memchr::memchr_iter(b'\r', &head).nth(1).is_some();
    let rest: Box<dyn Read + Send> = match failed {
        None => r,
        Some(e) => Box::new(FailOnce(Some(e))),
    };
    let joined = io::Cursor::new(head).chain(rest);
    Ok(if cr_only {
        Box::new(CrToLf(joined))
    } else {
        Box::new(joined)
    })
}

/// A reader that fails once with a stored error, then ends.
struct FailOnce(Option<io::Error>);

impl Read for FailOnce {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Turns every CR into LF.
struct CrToLf<R>(R);

impl<R: Read> Read for CrToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        for b in &mut buf[..n] {
            if *b == b'\r' {
                *b = b'\n';
            }
        }
        Ok(n)
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;
    use std::os::fd::{AsRawFd, OwnedFd};

    #[test]
    fn a_pipe_read_from_gets_a_larger_buffer_and_a_file_is_left_alone() {
        let (reader, mut writer) = io::pipe().unwrap();
        let reader = OwnedFd::from(reader);
        // SAFETY: F_GETPIPE_SZ on a pipe this test owns.
        let size = |fd: &OwnedFd| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) };
        let before = size(&reader);
        grow_pipe(&reader);
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            assert_eq!(size(&reader), 1 << 20);
        } else {
            // A user past the system's limits is refused, harmlessly.
            assert!(size(&reader) >= before);
        }
        // A larger buffer is not shrunk.
        // SAFETY: F_SETPIPE_SZ on a pipe this test owns.
        let set = unsafe { libc::fcntl(reader.as_raw_fd(), libc::F_SETPIPE_SZ, 2 << 20) };
        if set >= 2 << 20 {
            grow_pipe(&reader);
            assert_eq!(size(&reader), set);
        }
        // Still a working pipe.
        std::io::Write::write_all(&mut writer, b"line\n").unwrap();
        drop(writer);
        let mut got = String::new();
        File::from(reader).read_to_string(&mut got).unwrap();
        assert_eq!(got, "line\n");
        // Not a pipe: nothing happens, nothing fails.
        let file = tempfile::tempfile().unwrap();
        grow_pipe(&OwnedFd::from(file));
    }
}
