//! The parallel run: one reader thread cuts the sources into chunks, worker threads classify
//! lines and fill partial aggregates, and the partials are merged at the end.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Mutex;

use indicatif::ProgressBar;

use super::{Aggregate, Hint, Merge, Sink};
use crate::error::{InputError, RunError};
use crate::extract::{Extractor, Line, Malformed};
use crate::filter::Filter;
use crate::input::{self, Source};
use crate::scan::{self, Chunk, Piece, Pool};

/// How a run is carried out.
#[derive(Clone, Debug)]
pub struct Options {
    /// Threads that read and parse, the reader included (it parses too).
    pub threads: usize,
    /// Target bytes per chunk.
    pub chunk_size: usize,
    /// Keep each malformed line's location and first bytes for `--rejects`.
    pub collect_rejects: bool,
    /// Shown on stderr while reading, when set.
    pub progress: Option<ProgressBar>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            chunk_size: 256 << 10,
            collect_rejects: false,
            progress: None,
        }
    }
}

/// A malformed line, located.
#[derive(Clone, Debug)]
pub struct Reject {
    pub source: String,
    /// 1-based line number in the (decompressed) source.
    pub line: u64,
    pub reason: Malformed,
    /// The line's first bytes.
    pub head: Vec<u8>,
}

/// One input's share of the run.
#[derive(Clone, Debug)]
pub struct SourceSummary {
    pub name: String,
    pub lines: u64,
    pub bytes: u64,
    pub encoding: Option<input::Encoding>,
}

/// What a run produced: the aggregate, and everything that went wrong on the way.
#[derive(Debug, Default)]
pub struct Run<S = Aggregate> {
    pub agg: S,
    pub sources: Vec<SourceSummary>,
    pub errors: Vec<InputError>,
    pub rejects: Vec<Reject>,
}

/// One worker's partial result.
struct Partial<S> {
    agg: S,
    /// Lines per source.
    source_lines: Vec<u64>,
    /// Lines per chunk, to turn chunk-local line numbers into file line numbers; kept only
    /// when rejects are (an entry per chunk grows with the input).
    chunk_lines: Vec<(u32, u32, u64)>,
    /// (source, chunk, line within chunk, reason, head).
    rejects: Vec<(u32, u32, u64, Malformed, Vec<u8>)>,
}

impl<S: Sink> Merge for Partial<S> {
    fn merge(&mut self, o: Partial<S>) {
        self.agg.merge(o.agg);
        for (src, n) in o.source_lines.into_iter().enumerate() {
            self.add_lines(src, n);
        }
        self.chunk_lines.extend(o.chunk_lines);
        self.rejects.extend(o.rejects);
    }
}

impl<S: Sink> Partial<S> {
    fn new(agg: S) -> Self {
        Partial {
            agg,
            source_lines: Vec::new(),
            chunk_lines: Vec::new(),
            rejects: Vec::new(),
        }
    }

    /// Counts `n` more lines of source `src`.
    fn add_lines(&mut self, src: usize, n: u64) {
        if self.source_lines.len() <= src {
            self.source_lines.resize(src + 1, 0);
        }
        self.source_lines[src] += n;
    }

    /// Counts one classified line.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn line(
        &mut self,
        class: Line<'_>,
        raw: &[u8],
        chunk: &Chunk,
        n: u64,
        filter: &Filter,
        keep_rejects: bool,
        hint: Hint,
    ) {
        let t = self.agg.totals();
        t.lines += 1;
        match class {
            Line::Blank => t.blank += 1,
            Line::Unrecognized => t.unrecognized += 1,
            Line::Malformed(why) => {
                t.malformed += 1;
                if keep_rejects {
                    let head = raw[..raw.len().min(scan::HEAD_BYTES)].to_vec();
                    self.rejects.push((chunk.source, chunk.seq, n, why, head));
                }
            }
            Line::Request(rec) => {
                if filter.accepts(&rec) {
                    self.agg.add_request(&rec, hint);
                } else {
                    self.agg.totals().filtered += 1;
                }
            }
        }
    }

    /// Counts the line classified before this one, then holds this one back until the next
    /// is classified: the time that takes covers the prefetch started here for its request.
    /// The held line carries the prefetch's [`Hint`] to its counting.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn hold<'a>(
        &mut self,
        held: &mut Option<(Line<'a>, &'a [u8], u64, Hint)>,
        class: Line<'a>,
        raw: &'a [u8],
        n: u64,
        chunk: &Chunk,
        filter: &Filter,
        keep_rejects: bool,
    ) {
        let hint = match &class {
            Line::Request(rec) => self.agg.prefetch(rec),
            _ => Hint::default(),
        };
        if let Some((class, raw, n, hint)) = held.replace((class, raw, n, hint)) {
            self.line(class, raw, chunk, n, filter, keep_rejects, hint);
        }
    }

    fn process(&mut self, chunk: &Chunk, ex: &Extractor, filter: &Filter, keep_rejects: bool) {
        let mut n = 0u64;
        match &chunk.piece {
            Piece::Lines(data) => {
                // A request waits one line between classification and counting, so that the
                // sink can prefetch what counting it will touch (see `Sink::prefetch`).
                let mut held = None;
                // One UTF-8 check for the whole chunk (SIMD, simdutf8: several times faster
                // than std on ASCII); lines split at '\n' stay valid.
                match simdutf8::basic::from_utf8(data) {
                    Ok(text) => {
                        for line in scan::str_lines(text) {
                            self.hold(
                                &mut held,
                                ex.classify_str(line),
                                line.as_bytes(),
                                n,
                                chunk,
                                filter,
                                keep_rejects,
                            );
                            n += 1;
                        }
                    }
                    Err(_) => {
                        for line in scan::lines(data) {
                            self.hold(
                                &mut held,
                                ex.classify(line),
                                line,
                                n,
                                chunk,
                                filter,
                                keep_rejects,
                            );
                            n += 1;
                        }
                    }
                }
                if let Some((class, raw, n, hint)) = held {
                    self.line(class, raw, chunk, n, filter, keep_rejects, hint);
                }
            }
            Piece::Oversized { head, len } => {
                let t = self.agg.totals();
                t.lines += 1;
                t.malformed += 1;
                if keep_rejects {
                    self.rejects.push((
                        chunk.source,
                        chunk.seq,
                        0,
                        Malformed::TooLong(*len),
                        head.clone(),
                    ));
                }
                n = 1;
            }
        }
        self.add_lines(chunk.source as usize, n);
        if keep_rejects {
            self.chunk_lines.push((chunk.source, chunk.seq, n));
        }
    }
}

/// Reads every source and aggregates the requests the filter accepts.
pub fn run(
    sources: &[Source],
    ex: &Extractor,
    filter: &Filter,
    opts: &Options,
) -> Result<Run, RunError> {
    run_with(sources, ex, filter, opts, Aggregate::default)
}

/// [`run`] into any [`Sink`]: `empty` makes each worker's own, the results are merged.
pub fn run_with<S: Sink>(
    sources: &[Source],
    ex: &Extractor,
    filter: &Filter,
    opts: &Options,
    empty: impl Fn() -> S + Sync + Send,
) -> Result<Run<S>, RunError> {
    let threads = opts.threads.max(1);
    // The reader is one of the threads: it parses a chunk itself whenever the workers have
    // enough queued (with `-j 1`, every chunk), so the threads asked for are the threads that
    // run.
    let worker_threads = threads - 1;
    let pool = Pool::new(threads * 4 + 4, opts.chunk_size + 64 * 1024);
    let (tx, rx) = crossbeam_channel::bounded::<Chunk>(threads * 2);
    // (source index, error, is a read error whose line count is filled in at the end)
    let failures: Mutex<Vec<(usize, InputError)>> = Mutex::new(Vec::new());
    let mut summaries: Vec<SourceSummary> = sources
        .iter()
        .map(|s| SourceSummary {
            name: s.name(),
            lines: 0,
            bytes: 0,
            encoding: None,
        })
        .collect();

    let partial = std::thread::scope(|scope| -> Result<Partial<S>, RunError> {
        let empty = &empty;
        // One partial per worker thread, merged once at the end (rayon's fold over a bridged
        // channel made a partial per split, more of them the longer the input, and the peak
        // memory of merging them grew with it).
        let mut workers = Vec::with_capacity(worker_threads);
        let mut spawn_error = None;
        for w in 0..worker_threads {
            let rx = rx.clone();
            let pool = &pool;
            let worker = std::thread::Builder::new()
                .name(format!("errlens-worker-{w}"))
                .spawn_scoped(scope, move || {
                    let mut p = Partial::new(empty());
                    for chunk in rx {
                        p.process(&chunk, ex, filter, opts.collect_rejects);
                        if let Piece::Lines(buf) = chunk.piece {
                            pool.put(buf);
                        }
                    }
                    p
                });
            match worker {
                Ok(h) => workers.push(h),
                Err(e) => {
                    spawn_error = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = spawn_error {
            // Nothing is read: the workers that started see the channel close and stop.
            drop(tx);
            drop(rx);
            for w in workers {
                let _ = w.join();
            }
            return Err(RunError::Threads(threads, e.to_string()));
        }
        let reader_pool = pool.clone();
        // The reader takes its share of the chunks still queued once it is done.
        let leftovers = rx;
        let summaries = &mut summaries;
        let failures = &failures;
        let reader = scope.spawn(move || {
            let mut mine = Partial::new(empty());
            for (i, source) in sources.iter().enumerate() {
                let raw = match input::open_raw(source) {
                    Ok(r) => r,
                    Err(e) => {
                        failures.lock().unwrap().push((i, e));
                        continue;
                    }
                };
                let raw: Box<dyn Read + Send> = match &opts.progress {
                    Some(pb) => Box::new(pb.wrap_read(raw)),
                    None => raw,
                };
                let mut progress = scan::Progress { bytes: 0 };
                let result = input::decode(raw).and_then(|(enc, reader)| {
                    summaries[i].encoding = Some(enc);
                    scan::read_chunks(
                        reader,
                        i as u32,
                        opts.chunk_size,
                        ex.max_line(),
                        &reader_pool,
                        &mut progress,
                        |c| {
                            let queued = if worker_threads == 0 {
                                Err(crossbeam_channel::TrySendError::Full(c))
                            } else {
                                tx.try_send(c)
                            };
                            match queued {
                                Ok(()) => true,
                                Err(crossbeam_channel::TrySendError::Full(c)) => {
                                    mine.process(&c, ex, filter, opts.collect_rejects);
                                    if let Piece::Lines(buf) = c.piece {
                                        reader_pool.put(buf);
                                    }
                                    true
                                }
                                Err(crossbeam_channel::TrySendError::Disconnected(_)) => false,
                            }
                        },
                    )
                });
                summaries[i].bytes = progress.bytes;
                if let Err(source) = result {
                    let what = summaries[i]
                        .encoding
                        .unwrap_or(input::Encoding::Plain)
                        .what();
                    failures.lock().unwrap().push((
                        i,
                        InputError::Read {
                            path: summaries[i].name.clone(),
                            what,
                            bytes: progress.bytes,
                            lines: 0,
                            source,
                        },
                    ));
                }
            }
            drop(tx);
            // The reader is done: it takes its share of the chunks still queued, instead of
            // leaving them all to the workers while it waits (the run ended 5 ms after the
            // reader did).
            for c in leftovers {
                mine.process(&c, ex, filter, opts.collect_rejects);
                if let Piece::Lines(buf) = c.piece {
                    reader_pool.put(buf);
                }
            }
            mine
        });
        let mut all = reader.join().expect("the reader thread does not panic");
        for w in workers {
            all.merge(w.join().expect("a worker thread does not panic"));
        }
        Ok(all)
    })?;

    // Line numbers: the lines of a source's earlier chunks come before a chunk's own.
    let mut by_chunk: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    for &(src, seq, n) in &partial.chunk_lines {
        by_chunk.insert((src, seq), n);
    }
    let mut first_line: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    let mut running: (u32, u64) = (u32::MAX, 0);
    for (&(src, seq), &n) in &by_chunk {
        if running.0 != src {
            running = (src, 0);
        }
        first_line.insert((src, seq), running.1);
        running.1 += n;
    }
    for (summary, &lines) in summaries.iter_mut().zip(&partial.source_lines) {
        summary.lines = lines;
    }
    let mut raw_rejects = partial.rejects;
    raw_rejects.sort_by_key(|r| (r.0, r.1, r.2));
    let rejects: Vec<Reject> = raw_rejects
        .into_iter()
        .map(|(src, seq, local, reason, head)| Reject {
            source: summaries[src as usize].name.clone(),
            line: first_line.get(&(src, seq)).copied().unwrap_or(0) + local + 1,
            reason,
            head,
        })
        .collect();

    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|(i, _)| *i);
    let errors = failures
        .into_iter()
        .map(|(i, mut e)| {
            if let InputError::Read { lines, .. } = &mut e {
                *lines = summaries[i].lines;
            }
            e
        })
        .collect();
    Ok(Run {
        agg: partial.agg,
        sources: summaries,
        errors,
        rejects,
    })
}
