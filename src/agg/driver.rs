//! The parallel run: a reader thread cuts the sources into chunks (other threads read the
//! next sources beside it when it cannot keep them busy), every thread classifies lines and
//! fills a partial aggregate of its own, and the partials are merged at the end.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};

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
    /// Threads that read and parse (every thread parses; the readers among them too).
    pub threads: usize,
    /// Target bytes per chunk.
    pub chunk_size: usize,
    /// Keep each malformed line's location and first bytes for `--rejects`.
    pub collect_rejects: bool,
    /// Shown on stderr while reading, when set.
    pub progress: Option<ProgressBar>,
    /// Times in a row a parsing thread finds no chunk queued (each time it then waits for
    /// one) before it reads the next source itself, beside the thread reading (0: whenever
    /// a source is left).
    pub idle_chunks: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            chunk_size: 256 << 10,
            collect_rejects: false,
            progress: None,
            // gzip readers leave a thread idle on every chunk; zstd and plain readers keep
            // the queue filled, but after 4 idle chunks a second zstd reader still started
            // in 7 runs of 8 (no faster); after 8 to 64, in none of 5.
            idle_chunks: 16,
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

/// One thread's partial result.
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
                        // The lines, split at '\n' as `scan::lines` splits them (a gateway
                        // line's end is found by its reader: see `classify_next_line`).
                        let mut start = 0;
                        while start < text.len() {
                            let rest = &text[start..];
                            let (class, len) = ex.classify_next_line(rest);
                            self.hold(
                                &mut held,
                                class,
                                &rest.as_bytes()[..len],
                                n,
                                chunk,
                                filter,
                                keep_rejects,
                            );
                            n += 1;
                            start += len + 1;
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

/// The sources no thread has read yet, handed out one at a time with a sender of the chunk
/// queue: the queue closes when every source is handed out and its reader done.
struct Claims {
    count: usize,
    state: Mutex<Unclaimed>,
}

struct Unclaimed {
    /// The index of the next source to hand out.
    next: usize,
    /// Cloned for each source's reader; `None` once every source is out.
    tx: Option<Sender<Chunk>>,
}

impl Claims {
    fn new(count: usize, tx: Sender<Chunk>) -> Self {
        let tx = (count > 0).then_some(tx);
        Claims {
            count,
            state: Mutex::new(Unclaimed { next: 0, tx }),
        }
    }

    /// The next source's index and a sender for its chunks; `None` when all are out.
    fn take(&self) -> Option<(usize, Sender<Chunk>)> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let tx = state.tx.clone()?;
        let i = state.next;
        state.next += 1;
        if state.next >= self.count {
            state.tx = None;
        }
        Some((i, tx))
    }

    /// Hands out nothing more.
    fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).tx = None;
    }
}

/// Where a source's reading ended: its index, the encoding found and the bytes read.
type SourceRead = (usize, Option<input::Encoding>, u64);

/// What the threads of a run share.
struct Shared<'r> {
    sources: &'r [Source],
    ex: &'r Extractor,
    filter: &'r Filter,
    opts: &'r Options,
    /// Threads that may read a source (the rest only parse).
    readers: usize,
    pool: Pool,
    claims: Claims,
    /// Set when a thread cannot be started or panics: the others stop reading.
    abort: AtomicBool,
    /// (source index, error)
    failures: Mutex<Vec<(usize, InputError)>>,
}

/// Stops the run's reading when the thread holding it panics: the sources left are handed
/// out no more, so the queue closes and the threads waiting on it stop (the panic then
/// reaches the caller instead of leaving the run waiting for ever).
struct StopOnPanic<'a, 'r>(&'a Shared<'r>);

impl Drop for StopOnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

impl Shared<'_> {
    /// Stops the reading: no source is handed out any more, and a source being read is left
    /// at its next chunk.
    fn stop(&self) {
        self.abort.store(true, Ordering::Relaxed);
        self.claims.close();
    }

    /// Thread `w`'s part of the run. The first thread reads: it cuts the next source no
    /// thread has taken into chunks and queues them, parsing a chunk itself whenever enough
    /// are queued. The others parse what is queued; one that finds the queue empty
    /// [`Options::idle_chunks`] times in a row (the readers cannot keep up: gzip
    /// decompresses slower than a line is parsed) takes the next source and reads it beside
    /// them. With no source left, each parses what is queued until every reader is done.
    /// With two streams among the sources, only the first thread reads (see `run_with`).
    fn work<S: Sink>(
        &self,
        w: usize,
        rx: &Receiver<Chunk>,
        mine: &mut Partial<S>,
    ) -> Vec<SourceRead> {
        let _stop = StopOnPanic(self);
        let mut read = Vec::new();
        // Times in a row the queue was found empty.
        let mut idle = 0;
        loop {
            if w < self.readers
                && (w == 0 || idle >= self.opts.idle_chunks)
                && let Some((i, tx)) = self.claims.take()
            {
                read.extend(self.read(i, &tx, mine));
                idle = 0;
                continue;
            }
            let chunk = match rx.try_recv() {
                Ok(c) => {
                    idle = 0;
                    c
                }
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    idle += 1;
                    // Until a reader queues a chunk, or every reader is done.
                    match rx.recv() {
                        Ok(c) => c,
                        Err(_) => break,
                    }
                }
            };
            self.parse(chunk, mine);
        }
        read
    }

    /// Counts `chunk`'s lines into `mine` and gives its buffer back to the pool.
    fn parse<S: Sink>(&self, chunk: Chunk, mine: &mut Partial<S>) {
        mine.process(&chunk, self.ex, self.filter, self.opts.collect_rejects);
        if let Piece::Lines(buf) = chunk.piece {
            self.pool.put(buf);
        }
    }

    /// Reads source `i` into chunks on this thread: each is queued on `tx`, or parsed into
    /// `mine` when enough are queued (every chunk with one thread). A source that cannot be
    /// opened or read to its end is noted in `failures`; `None` when it was not opened.
    fn read<S: Sink>(
        &self,
        i: usize,
        tx: &Sender<Chunk>,
        mine: &mut Partial<S>,
    ) -> Option<SourceRead> {
        let raw = match input::open_raw(&self.sources[i]) {
            Ok(r) => r,
            Err(e) => {
                self.failures.lock().unwrap().push((i, e));
                return None;
            }
        };
        let raw: Box<dyn Read + Send> = match &self.opts.progress {
            Some(pb) => Box::new(pb.wrap_read(raw)),
            None => raw,
        };
        let mut progress = scan::Progress { bytes: 0 };
        let mut encoding = None;
        let result = input::decode(raw).and_then(|(enc, reader)| {
            encoding = Some(enc);
            scan::read_chunks(
                reader,
                i as u32,
                self.opts.chunk_size,
                self.ex.max_line(),
                &self.pool,
                &mut progress,
                |c| {
                    if self.abort.load(Ordering::Relaxed) {
                        return false;
                    }
                    if self.opts.threads <= 1 {
                        self.parse(c, mine);
                        return true;
                    }
                    match tx.try_send(c) {
                        Ok(()) => {}
                        // Never disconnected: this thread holds a receiver while it reads.
                        Err(TrySendError::Full(c) | TrySendError::Disconnected(c)) => {
                            self.parse(c, mine)
                        }
                    }
                    true
                },
            )
        });
        if let Err(source) = result {
            let e = InputError::Read {
                path: self.sources[i].name(),
                what: encoding.unwrap_or(input::Encoding::Plain).what(),
                bytes: progress.bytes,
                lines: 0,
                source,
            };
            self.failures.lock().unwrap().push((i, e));
        }
        Some((i, encoding, progress.bytes))
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

/// [`run`] into any [`Sink`]: `empty` makes each thread's own, the results are merged.
pub fn run_with<S: Sink>(
    sources: &[Source],
    ex: &Extractor,
    filter: &Filter,
    opts: &Options,
    empty: impl Fn() -> S + Sync + Send,
) -> Result<Run<S>, RunError> {
    let threads = opts.threads.max(1);
    let (tx, rx) = crossbeam_channel::bounded::<Chunk>(threads * 2);
    // Two gzip logs read side by side took 15% less time than one after the other. Streams
    // (stdin, a pipe, a device) are read by one thread when there are two of them: two names
    // may be one stream (`- /dev/stdin`), whose lines two readers would split between them.
    let streams = sources.iter().filter(|s| s.is_stream()).count();
    let shared = Shared {
        sources,
        ex,
        filter,
        opts,
        readers: if streams > 1 { 1 } else { threads },
        pool: Pool::new(threads * 4 + 4, opts.chunk_size + 64 * 1024),
        claims: Claims::new(sources.len(), tx),
        abort: AtomicBool::new(false),
        failures: Mutex::new(Vec::new()),
    };

    let (partial, read) = std::thread::scope(|scope| -> Result<_, RunError> {
        let (shared, empty) = (&shared, &empty);
        // One partial per thread, merged once at the end (rayon's fold over a bridged
        // channel made a partial per split, more of them the longer the input, and the peak
        // memory of merging them grew with it).
        let mut handles = Vec::with_capacity(threads);
        let mut spawn_error = None;
        // Nothing is read until every thread has started (closed when they have, or when one
        // could not be): a failed start then costs no read of stdin.
        let (started, start) = crossbeam_channel::bounded::<()>(0);
        for w in 0..threads {
            let (rx, start) = (rx.clone(), start.clone());
            let handle = std::thread::Builder::new()
                .name(format!("errlens-worker-{w}"))
                .spawn_scoped(scope, move || {
                    let mut mine = Partial::new(empty());
                    let _ = start.recv();
                    let read = shared.work(w, &rx, &mut mine);
                    (mine, read)
                });
            match handle {
                Ok(h) => handles.push(h),
                Err(e) => {
                    spawn_error = Some(e);
                    break;
                }
            }
        }
        drop(rx);
        if let Some(e) = spawn_error {
            // The threads that started read nothing: the queue is closed before they start.
            shared.stop();
            drop(started);
            for h in handles {
                let _ = h.join();
            }
            return Err(RunError::Threads(threads, e.to_string()));
        }
        drop(started);
        let mut all: Option<Partial<S>> = None;
        let mut read = Vec::new();
        for h in handles {
            let (p, r) = h.join().expect("a worker thread does not panic");
            read.extend(r);
            match &mut all {
                Some(a) => a.merge(p),
                None => all = Some(p),
            }
        }
        Ok((all.expect("at least one thread runs"), read))
    })?;
    let mut summaries: Vec<SourceSummary> = sources
        .iter()
        .map(|s| SourceSummary {
            name: s.name(),
            lines: 0,
            bytes: 0,
            encoding: None,
        })
        .collect();
    for (i, encoding, bytes) in read {
        summaries[i].encoding = encoding;
        summaries[i].bytes = bytes;
    }

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

    let mut failures = shared.failures.into_inner().unwrap();
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::extract::FieldMap;

    #[test]
    fn every_source_is_handed_out_once_and_the_queue_closes_after_the_last_reader() {
        let (tx, rx) = crossbeam_channel::bounded::<Chunk>(1);
        let claims = Claims::new(50, tx);
        let taken = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    while let Some((i, tx)) = claims.take() {
                        taken.lock().unwrap().push(i);
                        drop(tx);
                    }
                });
            }
        });
        let mut taken = taken.into_inner().unwrap();
        taken.sort_unstable();
        assert_eq!(taken, (0..50).collect::<Vec<_>>());
        assert!(claims.take().is_none());
        // Every sender is gone: a parsing thread waiting on the queue stops.
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
        // With no source at all, the queue is closed from the start.
        let (tx, rx) = crossbeam_channel::bounded::<Chunk>(1);
        let claims = Claims::new(0, tx);
        assert!(claims.take().is_none());
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
        // Closed early (a thread could not start, or one panicked): nothing more is handed
        // out, and the queue closes once the sources taken are read.
        let (tx, rx) = crossbeam_channel::bounded::<Chunk>(1);
        let claims = Claims::new(5, tx);
        let first = claims.take().unwrap();
        claims.close();
        assert!(claims.take().is_none());
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        drop(first);
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
    }

    #[test]
    fn streams_are_stdin_pipes_and_devices_not_files() {
        let file = tempfile::NamedTempFile::new().unwrap();
        assert!(!Source::File(file.path().into()).is_stream());
        assert!(!Source::File("/nonexistent/errlens-test.log".into()).is_stream());
        assert!(!Source::Bytes("b".into(), Arc::from(&b""[..])).is_stream());
        assert!(Source::Stdin.is_stream());
        assert!(Source::File("/dev/null".into()).is_stream());
    }

    /// A sink that panics on the first thread's first request, and is slow on the others'
    /// (so that the first thread finds the queue full and counts a chunk itself).
    struct Bomb(crate::agg::Totals);

    impl Merge for Bomb {
        fn merge(&mut self, _: Bomb) {}
    }

    impl Sink for Bomb {
        fn totals(&mut self) -> &mut crate::agg::Totals {
            &mut self.0
        }
        fn add_request(&mut self, _: &crate::extract::Record<'_>, _: crate::agg::Hint) {
            if std::thread::current().name() == Some("errlens-worker-0") {
                panic!("a bomb");
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn a_thread_that_panics_ends_the_run_with_its_panic_instead_of_a_wait() {
        // The reader panics with sources still unread; the other thread, waiting on the
        // queue, must stop, so that the run ends with the panic. Run on a thread of its own,
        // so that a run that waits for ever fails the test instead of hanging it.
        let (done, finished) = crossbeam_channel::bounded(1);
        std::thread::spawn(move || {
            let line = b"{\"status\":200}\n";
            let sources: Vec<Source> = (0..4)
                .map(|s| Source::Bytes(format!("s{s}"), Arc::from(line.repeat(200))))
                .collect();
            let ex = Extractor::new(&FieldMap::default(), 1 << 10).unwrap();
            let opts = Options {
                threads: 2,
                chunk_size: 16,
                ..Options::default()
            };
            let run = std::panic::catch_unwind(|| {
                run_with(&sources, &ex, &Filter::default(), &opts, || {
                    Bomb(Default::default())
                })
            });
            let _ = done.send(run.is_err());
        });
        let panicked = finished.recv_timeout(std::time::Duration::from_secs(60));
        assert_eq!(panicked, Ok(true));
    }

    #[test]
    fn sources_read_side_by_side_count_and_locate_lines_as_one_reader_does() {
        // Sources of several sizes, each with malformed lines at places of its own, and a
        // file that cannot be opened among them.
        let mut sources: Vec<Source> = (0..7)
            .map(|s| {
                let mut log = String::new();
                for n in 0..(40 + 30 * s) {
                    if n % (5 + s) == 3 {
                        log.push_str("not json\n");
                    } else {
                        log.push_str(&format!(
                            "{{\"status\":{},\"api_key\":\"k{s}\"}}\n",
                            200 + n % 3
                        ));
                    }
                }
                Source::Bytes(format!("s{s}"), Arc::from(log.as_bytes()))
            })
            .collect();
        sources.insert(3, Source::File("/nonexistent/errlens-test.log".into()));
        let ex = Extractor::new(&FieldMap::default(), 1 << 10).unwrap();
        let run = |threads: usize, idle_chunks: u32| {
            let opts = Options {
                threads,
                chunk_size: 64,
                collect_rejects: true,
                idle_chunks,
                ..Options::default()
            };
            let r = super::run(&sources, &ex, &Filter::default(), &opts).unwrap();
            let rejects: Vec<(String, u64)> = r
                .rejects
                .iter()
                .map(|j| (j.source.clone(), j.line))
                .collect();
            let read: Vec<(String, u64, u64, Option<input::Encoding>)> = r
                .sources
                .iter()
                .map(|s| (s.name.clone(), s.lines, s.bytes, s.encoding))
                .collect();
            let errors: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
            (r.agg.totals, rejects, read, errors)
        };
        let one = run(1, 0);
        assert!(one.0.reconciles());
        assert_eq!(one.0.malformed as usize, one.1.len());
        // Source 2's malformed lines: every 7th from its 4th (1-based line 4, 11, ...).
        let of_two: Vec<u64> = one.1.iter().filter(|r| r.0 == "s2").map(|r| r.1).collect();
        assert_eq!(of_two[..3], [4, 11, 18]);
        // The missing file: named, in its place, with nothing read.
        assert_eq!(
            one.2[3],
            ("/nonexistent/errlens-test.log".into(), 0, 0, None)
        );
        assert_eq!(one.3.len(), 1);
        assert!(one.3[0].contains("errlens-test.log"), "{:?}", one.3);
        assert_eq!(one.2[4].1, 40 + 30 * 3);
        for (threads, idle) in [(2, 0), (3, 0), (3, 16)] {
            assert_eq!(run(threads, idle), one, "{threads} threads, idle {idle}");
        }
    }
}
