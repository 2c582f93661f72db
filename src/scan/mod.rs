//! Newline-aligned chunks from a byte stream, and the lines inside a chunk.
//!
//! The reader hands out chunks of whole lines (the partial tail moves to the next chunk, as in
//! ripgrep's line buffer). A line longer than the cap is never held whole: it becomes an
//! [`Piece::Oversized`] marker with its first bytes, and the rest is skipped up to its newline.

use std::io::{self, Read};
use std::ops::Deref;

use crossbeam_channel::{Receiver, Sender};
use memchr::{memchr, memrchr};

/// Bytes of an oversized line kept for `--rejects`.
pub const HEAD_BYTES: usize = 256;

/// A chunk's bytes, `data[..len]`. The storage past `len` stays initialized when a buffer is
/// reused, so refilling it needs no zeroing (zeroing 1 MiB per chunk was 11% of a run's CPU).
#[derive(Debug, Default)]
pub struct Buffer {
    data: Vec<u8>,
    len: usize,
}

impl Deref for Buffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.data[..self.len]
    }
}

impl Buffer {
    /// An empty buffer with `size` bytes of storage (zeroed pages from the allocator).
    pub fn with_capacity(size: usize) -> Buffer {
        Buffer {
            data: vec![0; size],
            len: 0,
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Makes the storage hold at least `total` bytes.
    fn reserve_total(&mut self, total: usize) {
        if self.data.len() < total {
            self.data.resize(total, 0);
        }
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        self.reserve_total(end);
        self.data[self.len..end].copy_from_slice(bytes);
        self.len = end;
    }

    /// Drops the first `n` bytes.
    fn drain_front(&mut self, n: usize) {
        self.data.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

/// What one chunk carries.
#[derive(Debug)]
pub enum Piece {
    /// Whole lines; only the last chunk of a stream may end without a newline.
    Lines(Buffer),
    /// One line longer than the cap: its first bytes and its full length (without newline).
    Oversized { head: Vec<u8>, len: u64 },
}

/// A numbered piece of one input source.
#[derive(Debug)]
pub struct Chunk {
    pub source: u32,
    pub seq: u32,
    pub piece: Piece,
}

/// Reusable chunk buffers, handed back by the workers.
#[derive(Clone)]
pub struct Pool {
    tx: Sender<Buffer>,
    rx: Receiver<Buffer>,
    size: usize,
}

impl Pool {
    pub fn new(buffers: usize, size: usize) -> Pool {
        let (tx, rx) = crossbeam_channel::bounded(buffers);
        Pool { tx, rx, size }
    }

    pub fn get(&self) -> Buffer {
        self.rx
            .try_recv()
            .unwrap_or_else(|_| Buffer::with_capacity(self.size))
    }

    pub fn put(&self, mut buf: Buffer) {
        buf.clear();
        let _ = self.tx.try_send(buf);
    }
}

/// Counts bytes read, so an error can say how far it got.
pub struct Progress {
    pub bytes: u64,
}

/// Reads `r` to the end as chunks of about `chunk_size` bytes, calling `emit` for each.
/// Stops early (without error) when `emit` returns false. On a read error the data before it
/// is still emitted, then the error is returned.
pub fn read_chunks<R: Read>(
    mut r: R,
    source: u32,
    chunk_size: usize,
    max_line: u64,
    pool: &Pool,
    progress: &mut Progress,
    mut emit: impl FnMut(Chunk) -> bool,
) -> io::Result<()> {
    let chunk_size = chunk_size.max(1);
    let mut seq = 0u32;
    // The last piece of a stream: a partial line, marked oversized if it is.
    let tail = |buf: Buffer| {
        if buf.len() as u64 > max_line {
            Piece::Oversized {
                head: buf[..HEAD_BYTES.min(buf.len())].to_vec(),
                len: buf.len() as u64,
            }
        } else {
            Piece::Lines(buf)
        }
    };
    let mut send = |piece: Piece, seq: &mut u32| {
        let ok = emit(Chunk {
            source,
            seq: *seq,
            piece,
        });
        *seq += 1;
        ok
    };
    let mut buf = pool.get();
    // Bytes at the front of `buf` already known to hold no newline.
    let mut scanned = 0usize;
    loop {
        let target = buf.len() + chunk_size;
        let (eof, err) = fill(&mut r, &mut buf, target, progress);
        match memrchr(b'\n', &buf[scanned..]).map(|p| p + scanned) {
            Some(p) => {
                let mut next = pool.get();
                next.extend_from_slice(&buf[p + 1..]);
                buf.truncate(p + 1);
                if !send(Piece::Lines(std::mem::replace(&mut buf, next)), &mut seq) {
                    return Ok(());
                }
                scanned = 0;
            }
            None if buf.len() as u64 > max_line => {
                // An oversized line: keep its head, skip to its newline.
                let head = buf[..HEAD_BYTES.min(buf.len())].to_vec();
                let mut len = buf.len() as u64;
                buf.clear();
                let mut skip_err = err;
                let mut at_eof = eof;
                loop {
                    if let Some(p) = memchr(b'\n', &buf) {
                        len += p as u64;
                        buf.drain_front(p + 1);
                        break;
                    }
                    len += buf.len() as u64;
                    buf.clear();
                    if at_eof || skip_err.is_some() {
                        break;
                    }
                    (at_eof, skip_err) =
                        fill(&mut r, &mut buf, chunk_size.max(64 * 1024), progress);
                }
                if !send(Piece::Oversized { head, len }, &mut seq) {
                    return Ok(());
                }
                scanned = 0;
                if let Some(e) = skip_err {
                    if !buf.is_empty() {
                        send(tail(buf), &mut seq);
                    }
                    return Err(e);
                }
                if at_eof && buf.is_empty() {
                    return Ok(());
                }
                continue;
            }
            None => scanned = buf.len(),
        }
        if let Some(e) = err {
            if !buf.is_empty() {
                send(tail(buf), &mut seq);
            }
            return Err(e);
        }
        if eof {
            if !buf.is_empty() {
                send(tail(buf), &mut seq);
            }
            return Ok(());
        }
    }
}

/// Reads into `buf` until it holds `target` bytes or the stream ends.
fn fill<R: Read>(
    r: &mut R,
    buf: &mut Buffer,
    target: usize,
    progress: &mut Progress,
) -> (bool, Option<io::Error>) {
    buf.reserve_total(target);
    while buf.len < target {
        match r.read(&mut buf.data[buf.len..target]) {
            Ok(0) => return (true, None),
            Ok(n) => {
                buf.len += n;
                progress.bytes += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (false, Some(e)),
        }
    }
    (false, None)
}

/// The lines of a chunk, without their `\n`.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= data.len() {
            return None;
        }
        let end = memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
        let line = &data[start..end];
        start = end + 1;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8], chunk: usize, max_line: u64) -> Vec<Piece> {
        let pool = Pool::new(4, chunk);
        let mut out = Vec::new();
        let mut p = Progress { bytes: 0 };
        read_chunks(input, 0, chunk, max_line, &pool, &mut p, |c| {
            out.push(c.piece);
            true
        })
        .unwrap();
        assert_eq!(p.bytes, input.len() as u64);
        out
    }

    fn all_lines(pieces: &[Piece]) -> Vec<String> {
        let mut v = Vec::new();
        for p in pieces {
            match p {
                Piece::Lines(d) => {
                    v.extend(lines(d).map(|l| String::from_utf8_lossy(l).into_owned()))
                }
                Piece::Oversized { len, .. } => v.push(format!("<{len}>")),
            }
        }
        v
    }

    #[test]
    fn every_chunk_size_gives_the_same_lines() {
        let input = b"a\nbb\r\n\nccc\ndddd";
        for size in 1..20 {
            let p = chunks(input, size, 100);
            assert_eq!(
                all_lines(&p),
                ["a", "bb\r", "", "ccc", "dddd"],
                "chunk size {size}"
            );
        }
    }

    #[test]
    fn oversized_lines_become_markers() {
        let input = b"ok\n0123456789abcdef\nok2\n0123456789";
        for size in 1..8 {
            let p = chunks(input, size, 8);
            assert_eq!(
                all_lines(&p),
                ["ok", "<16>", "ok2", "<10>"],
                "chunk size {size}"
            );
        }
    }
}
