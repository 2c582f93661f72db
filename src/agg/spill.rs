//! RATE_001 events moved out of memory past a budget, so a run's memory stays flat however
//! long its input: each spill writes one run of (key, events) entries sorted by key to an
//! anonymous temporary file, and the offenders analysis reads the runs back key by key, in
//! step, holding one key's events at a time.

use std::cmp::Ordering;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::sync::{Arc, Mutex};

use super::events::{Events, MAX_VARINT, get, put_at};

/// Where spilled events go, shared by every worker of a run.
#[derive(Debug)]
pub struct Spill {
    /// Bytes of packed events one aggregate holds before it spills them.
    budget: usize,
    file: Mutex<Runs>,
}

#[derive(Debug, Default)]
struct Runs {
    /// Created on the first spill (in `$TMPDIR`, unlinked at once, so nothing is left behind).
    file: Option<Arc<File>>,
    runs: Vec<Run>,
    /// Times the marks were thinned: every run, old or new, is marked every
    /// `MARK_EVERY << thinned` entries, so none loses its marks before the others.
    thinned: u32,
    end: u64,
    /// Why spilling stopped, if it failed: the events then stay in memory.
    failed: Option<String>,
    /// Spills so far (runs written by workers; merging runs does not count).
    spills: usize,
}

/// One run of the file.
#[derive(Debug)]
struct Run {
    start: u64,
    len: u64,
    /// Shared with the readers of the run: opening one copies no key.
    marks: Arc<Marks>,
}

impl Spill {
    pub fn new(budget: usize) -> Spill {
        Spill {
            budget,
            file: Mutex::new(Runs::default()),
        }
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    fn runs(&self) -> std::sync::MutexGuard<'_, Runs> {
        // A worker that panicked while holding the lock leaves whole runs behind it (a run is
        // recorded only once written), so the data is still good.
        self.file.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs in the file (merging runs for reading makes fewer).
    pub fn run_count(&self) -> usize {
        self.runs().runs.len()
    }

    /// Times events were spilled.
    pub fn spills(&self) -> usize {
        self.runs().spills
    }

    /// Why spilling failed, for a warning (the events it could not write stayed in memory).
    pub fn failure(&self) -> Option<String> {
        self.runs().failed.clone()
    }

    /// Writes one run. `entries` must be sorted by key, each key once. On an error nothing is
    /// recorded, the caller keeps its events, and later spills are not tried.
    pub fn write_run<'a>(
        &self,
        entries: impl Iterator<Item = (Option<&'a str>, &'a Events)>,
    ) -> io::Result<()> {
        let mut runs = self.runs();
        if let Some(why) = &runs.failed {
            return Err(io::Error::other(why.clone()));
        }
        let result = runs.append(|w| {
            for (key, events) in entries {
                w.entry(key, events)?;
            }
            Ok(())
        });
        match &result {
            Ok(()) => runs.spills += 1,
            Err(e) => runs.failed = Some(e.to_string()),
        }
        result
    }

    /// Reads the runs back; ask for keys in ascending order. More than [`FAN_IN`] runs are
    /// first merged into fewer, so the readers' buffers stay small.
    pub fn reader(&self) -> io::Result<SpillReader> {
        let mut runs = self.runs();
        while runs.runs.len() > FAN_IN {
            let group: Vec<Run> = runs.runs.drain(..FAN_IN).collect();
            let mut merged = runs.open(&group)?;
            runs.append(|w| {
                while let Some(key) = merged.next_key() {
                    let events = merged.take(key.as_deref())?;
                    w.entry(key.as_deref(), &events)?;
                }
                Ok(())
            })?;
        }
        runs.open(&runs.runs)
    }
}

/// Runs read side by side at most; each has a buffer of [`READ_BUFFER`] bytes.
const FAN_IN: usize = 32;
const READ_BUFFER: usize = 16 * 1024;

/// Entries of a run between two of its [`Marks`] until they are thinned (twice as many
/// after each thinning): a skip lands within about one read buffer of the key (an entry is
/// about 60 bytes), and a run of 12k keys keeps 46 marks.
const MARK_EVERY: u64 = 256;

/// Marks held for all runs together (about 72 bytes each, 74 KB in all): past it, every run
/// keeps every other one of its marks, so memory stays flat however many runs a long input
/// spills (the compare log's 12 runs keep all of theirs).
const MAX_MARKS: usize = 1024;

/// The key of every `MARK_EVERY << thinned`-th entry of one run (never its first entry,
/// which a reader reads anyway) and where the entry starts in the run, so that a reader
/// asked for a few keys (the report's ten offenders) skips to them: reading each run
/// through to the last key asked for was 1.9 ms at the end of a run. Any sorted subset of
/// them skips correctly, only less far.
type Marks = Vec<(Option<Box<str>>, u64)>;

impl Runs {
    /// Writes a run after the last whole one (whatever a failed write left behind) and
    /// records it once it is complete.
    fn append(
        &mut self,
        write: impl FnOnce(&mut RunWriter<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(Arc::new(tempfile::tempfile()?));
        }
        let file: &File = self.file.as_deref().expect("created above");
        let mut handle = file;
        handle.seek(io::SeekFrom::Start(self.end))?;
        let mut w = RunWriter {
            out: BufWriter::with_capacity(64 * 1024, handle),
            n: 0,
            entries: 0,
            mark_every: MARK_EVERY << self.thinned,
            marks: Vec::new(),
        };
        write(&mut w)?;
        w.out.flush()?;
        let (len, marks) = (w.n, std::mem::take(&mut w.marks));
        drop(w);
        self.runs.push(Run {
            start: self.end,
            len,
            marks: Arc::new(marks),
        });
        self.end += len;
        self.thin_marks();
        Ok(())
    }

    /// Past [`MAX_MARKS`], keeps every other mark of each run (the second, the fourth...:
    /// those at multiples of twice the spacing; a run's only mark goes, so this ends) until
    /// the marks fit.
    fn thin_marks(&mut self) {
        while self.mark_count() > MAX_MARKS {
            self.thinned += 1;
            for run in &mut self.runs {
                let mut keep = false;
                Arc::make_mut(&mut run.marks).retain(|_| {
                    keep = !keep;
                    !keep
                });
            }
        }
    }

    /// Marks held, of all runs (at most [`MAX_MARKS`] after a thinning).
    fn mark_count(&self) -> usize {
        self.runs.iter().map(|r| r.marks.len()).sum()
    }

    fn open(&self, runs: &[Run]) -> io::Result<SpillReader> {
        let mut cursors = Vec::with_capacity(runs.len());
        if let Some(file) = &self.file {
            for run in runs {
                let (start, len) = (run.start, run.len);
                let section = Section {
                    file: file.clone(),
                    start,
                    at: start,
                    end: start + len,
                };
                let mut c = Cursor {
                    input: BufReader::with_capacity(READ_BUFFER, section),
                    remaining: len,
                    head: None,
                    key: String::new(),
                    bytes: Vec::new(),
                    marks: Arc::clone(&run.marks),
                    #[cfg(test)]
                    entries_read: 0,
                };
                c.advance()?;
                cursors.push(c);
            }
        }
        Ok(SpillReader { cursors })
    }
}

/// Writes the entries of one run.
struct RunWriter<'f> {
    out: BufWriter<&'f File>,
    n: u64,
    entries: u64,
    /// Entries between two marks.
    mark_every: u64,
    marks: Marks,
}

impl RunWriter<'_> {
    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.n += b.len() as u64;
        Ok(())
    }

    fn varint(&mut self, v: u64) -> io::Result<()> {
        let mut buf = [0u8; MAX_VARINT];
        let n = put_at(&mut buf, 0, v);
        self.bytes(&buf[..n])
    }

    fn entry(&mut self, key: Option<&str>, events: &Events) -> io::Result<()> {
        if self.entries > 0 && self.entries.is_multiple_of(self.mark_every) {
            self.marks.push((key.map(Box::from), self.n));
        }
        self.entries += 1;
        match key {
            None => self.bytes(&[0])?,
            Some(k) => {
                self.bytes(&[1])?;
                self.varint(k.len() as u64)?;
                self.bytes(k.as_bytes())?;
            }
        }
        let (bytes, len, last) = events.parts();
        self.varint(len)?;
        self.varint(last as u64)?;
        self.varint(bytes.len() as u64)?;
        self.bytes(bytes)
    }
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("spilled RATE_001 events: {what}"),
    )
}

/// One run of the spill file, read with positioned reads (the runs are read side by side).
struct Section {
    file: Arc<File>,
    /// Where the run starts in the file.
    start: u64,
    at: u64,
    end: u64,
}

/// Seeks within the run (`SeekFrom::Start` counts from the run's start), so that a
/// [`BufReader`] over it can skip to an entry.
impl Seek for Section {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let at = match to {
            io::SeekFrom::Start(n) => self.start.checked_add(n),
            io::SeekFrom::End(n) => self.end.checked_add_signed(n),
            io::SeekFrom::Current(n) => self.at.checked_add_signed(n),
        };
        match at {
            Some(at) if (self.start..=self.end).contains(&at) => {
                self.at = at;
                Ok(at - self.start)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a seek outside a spilled run",
            )),
        }
    }
}

impl Read for Section {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min((self.end - self.at) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(&self.file, &mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, at)
}

#[cfg(windows)]
fn read_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, at)
}

/// A run being read: its next entry.
struct Cursor {
    input: BufReader<Section>,
    /// Bytes of the run not yet read (bounds every length read back).
    remaining: u64,
    /// The next entry, if any; its key and packed events are in `key` and `bytes`, which are
    /// reused from entry to entry (an allocation per entry was most of reading back).
    head: Option<Head>,
    key: String,
    bytes: Vec<u8>,
    /// Its run's marks, for [`Cursor::skip_towards`].
    marks: Arc<Marks>,
    /// Entries read so far (skipped ones are not read), for the tests.
    #[cfg(test)]
    entries_read: u64,
}

/// The next entry of a run, besides its key's text and its packed bytes.
#[derive(Clone, Copy)]
struct Head {
    /// `false`: the null key.
    named: bool,
    len: u64,
    last: i64,
}

impl Cursor {
    fn byte(&mut self) -> io::Result<u8> {
        let mut b = [0u8];
        self.bytes_into(&mut b)?;
        Ok(b[0])
    }

    fn bytes_into(&mut self, buf: &mut [u8]) -> io::Result<()> {
        if buf.len() as u64 > self.remaining {
            return Err(corrupt("a run ends early"));
        }
        self.input.read_exact(buf)?;
        self.remaining -= buf.len() as u64;
        Ok(())
    }

    fn varint(&mut self) -> io::Result<u64> {
        // From the reader's buffer when a whole number is there (byte by byte, it cost more
        // than the rest of reading back); across the buffer's edge, its bytes are gathered
        // first. `get` decodes them either way.
        let buffered = self.input.fill_buf()?;
        let room = buffered
            .len()
            .min(self.remaining.min(MAX_VARINT as u64) as usize);
        // One pass: `get` stops past a byte below 0x80 (a whole number) or at `room`'s end.
        let mut end = 0;
        let v = get(&buffered[..room], &mut end);
        if end > 0 && buffered[end - 1] < 0x80 {
            self.input.consume(end);
            self.remaining -= end as u64;
            return Ok(v);
        }
        let mut number = [0u8; MAX_VARINT];
        for n in 0..MAX_VARINT {
            number[n] = self.byte()?;
            if number[n] < 0x80 {
                return Ok(get(&number[..=n], &mut 0));
            }
        }
        Err(corrupt("a number is too long"))
    }

    /// Reads `len` bytes into `out` (replacing what it held).
    fn vec_into(&mut self, len: u64, out: &mut Vec<u8>) -> io::Result<()> {
        if len > self.remaining {
            return Err(corrupt("a length points past its run"));
        }
        out.clear();
        out.resize(len as usize, 0);
        self.bytes_into(out)
    }

    /// Reads the next entry into `head` (`None` at the end of the run).
    fn advance(&mut self) -> io::Result<()> {
        self.head = None;
        if self.remaining == 0 {
            return Ok(());
        }
        let named = match self.byte()? {
            0 => false,
            1 => {
                let n = self.varint()?;
                let mut raw = std::mem::take(&mut self.key).into_bytes();
                self.vec_into(n, &mut raw)?;
                self.key = String::from_utf8(raw).map_err(|_| corrupt("a key is not UTF-8"))?;
                true
            }
            _ => return Err(corrupt("unknown entry tag")),
        };
        let len = self.varint()?;
        let last = self.varint()? as i64;
        let n = self.varint()?;
        let mut bytes = std::mem::take(&mut self.bytes);
        self.vec_into(n, &mut bytes)?;
        self.bytes = bytes;
        self.head = Some(Head { named, len, last });
        #[cfg(test)]
        {
            self.entries_read += 1;
        }
        Ok(())
    }

    /// The next entry's key: `None` at the end of the run, `Some(None)` for the null key.
    fn head_key(&self) -> Option<Option<&str>> {
        self.head.map(|h| h.named.then_some(self.key.as_str()))
    }

    /// Moves to the last marked entry at or before `key` when it lies past the next entry:
    /// the entries skipped all have smaller keys (a run is sorted), which nobody asked for.
    fn skip_towards(&mut self, key: Option<&str>) -> io::Result<()> {
        let Some(head) = self.head_key() else {
            return Ok(());
        };
        if head >= key {
            return Ok(());
        }
        // Marks after the first one at or past `key` are not wanted; of those before, the last.
        let before = self.marks.partition_point(|(k, _)| k.as_deref() <= key);
        let Some(&(_, at)) = before.checked_sub(1).and_then(|i| self.marks.get(i)) else {
            return Ok(());
        };
        // The entry after the head starts where the head's bytes end; a mark there or before
        // saves nothing.
        let run = self.input.get_ref();
        let len = run.end - run.start;
        let next = len - self.remaining;
        if at <= next {
            return Ok(());
        }
        if at > len {
            return Err(corrupt("a mark points past its run"));
        }
        // From the reader's buffer when the mark is in it; else read from there.
        self.input.seek_relative((at - next) as i64)?;
        self.remaining = len - at;
        self.advance()
    }
}

/// The spilled runs, merged key by key.
pub struct SpillReader {
    cursors: Vec<Cursor>,
}

impl SpillReader {
    /// The smallest key still unread, if any.
    fn next_key(&self) -> Option<Option<Box<str>>> {
        self.cursors
            .iter()
            .filter_map(|c| c.head_key())
            .min()
            .map(|k| k.map(Box::from))
    }

    /// Every spilled event of `key`, passing over the entries of smaller keys nobody asked
    /// for (skipped by the marks where they allow, read and dropped otherwise). Keys must
    /// come in ascending order.
    pub fn take(&mut self, key: Option<&str>) -> io::Result<Events> {
        let mut found = Vec::new();
        for (i, c) in self.cursors.iter_mut().enumerate() {
            c.skip_towards(key)?;
            while let Some(k) = c.head_key() {
                match k.cmp(&key) {
                    Ordering::Less => c.advance()?,
                    Ordering::Equal => {
                        found.push(i);
                        break;
                    }
                    Ordering::Greater => break,
                }
            }
        }
        // Sized once: merging run by run grew (and copied) the bytes once per run.
        let mut all = Events::default();
        all.reserve(
            found
                .iter()
                .map(|&i| self.cursors[i].bytes.len() + MAX_VARINT)
                .sum(),
        );
        for i in found {
            let c = &mut self.cursors[i];
            if let Some(h) = c.head {
                all.append_parts(&c.bytes, h.len, h.last);
            }
            c.advance()?;
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::retry::RetryAfter;

    fn events(times: &[i64]) -> Events {
        let mut e = Events::default();
        for &t in times {
            e.push(Some(t), RetryAfter::Millis(t));
        }
        e
    }

    /// `n` keys that sort as their numbers do.
    fn numbered_keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("k{i:05}")).collect()
    }

    /// The entries of run `run`: key number `i` for each `i` that `holds`, in order, with one
    /// event of its own, which is also added to `want[i]`.
    fn held_by(
        run: usize,
        want: &mut [Events],
        holds: impl Fn(usize) -> bool,
    ) -> Vec<(usize, Events)> {
        let held: Vec<(usize, Events)> = (0..want.len())
            .filter(|&i| holds(i))
            .map(|i| (i, events(&[(run * 10_000 + i) as i64])))
            .collect();
        for (i, e) in &held {
            want[*i].append(e);
        }
        held
    }

    #[test]
    fn runs_merge_back_by_key() {
        let spill = Spill::new(0);
        let (a1, b1) = (events(&[5, 1]), events(&[7]));
        spill
            .write_run([(None, &a1), (Some("b"), &b1)].into_iter())
            .unwrap();
        let (a2, c2) = (events(&[3]), events(&[-4, 9]));
        spill
            .write_run([(Some("a"), &a2), (Some("c"), &c2)].into_iter())
            .unwrap();
        assert_eq!(spill.run_count(), 2);
        let mut r = spill.reader().unwrap();
        let got = |e: Events| e.iter().collect::<Vec<_>>();
        assert_eq!(got(r.take(None).unwrap()), got(a1));
        // "a" only in the second run; "b" only in the first.
        assert_eq!(got(r.take(Some("a")).unwrap()), got(a2));
        assert_eq!(got(r.take(Some("b")).unwrap()), got(b1));
        // Asked past "c": its entry is dropped, and the end is empty.
        assert!(r.take(Some("d")).unwrap().is_empty());
    }

    #[test]
    fn more_runs_than_the_fan_in_are_merged_first() {
        let spill = Spill::new(0);
        let keys = ["a", "b", "c", "d", "e"];
        let mut want: Vec<Vec<(Option<i64>, RetryAfter)>> = vec![Vec::new(); keys.len()];
        for run in 0..(FAN_IN * 3 + 5) as i64 {
            // Each run holds the keys whose index divides into it, events from the run number.
            let held: Vec<(usize, Events)> = (0..keys.len())
                .filter(|&i| run % (i as i64 + 1) == 0)
                .map(|i| (i, events(&[run, -run])))
                .collect();
            for (i, e) in &held {
                want[*i].extend(e.iter());
            }
            spill
                .write_run(held.iter().map(|(i, e)| (Some(keys[*i]), e)))
                .unwrap();
        }
        let mut r = spill.reader().unwrap();
        assert!(spill.run_count() <= FAN_IN);
        for (i, k) in keys.iter().enumerate() {
            let mut got: Vec<_> = r.take(Some(k)).unwrap().iter().collect();
            got.sort_by_key(|e| e.0);
            want[i].sort_by_key(|e| e.0);
            assert_eq!(got, want[i], "key {k}");
        }
    }

    #[test]
    fn a_reader_asked_for_a_few_keys_skips_to_them() {
        // Three runs of overlapping keys (run r holds the keys whose number is not r mod 3,
        // plus the null key), thousands of entries each: many marks apart.
        let spill = Spill::new(0);
        let keys = numbered_keys(6_000);
        let mut want: Vec<Events> = vec![Events::default(); keys.len()];
        let mut want_none = Events::default();
        for run in 0..3 {
            let none = events(&[-(run as i64)]);
            want_none.append(&none);
            let held = held_by(run, &mut want, |i| i % 3 != run);
            let entries = std::iter::once((None, &none))
                .chain(held.iter().map(|(i, e)| (Some(keys[*i].as_str()), e)));
            spill.write_run(entries).unwrap();
        }
        let runs = spill.runs();
        assert!(runs.runs.iter().all(|r| r.marks.len() == 15), "marked");
        drop(runs);
        let got = |e: Events| e.iter().collect::<Vec<_>>();
        // A few keys, far apart, one of them in no run, then the last; the null key first.
        let mut r = spill.reader().unwrap();
        assert_eq!(got(r.take(None).unwrap()), got(want_none));
        for i in [5, 700, 701, 2_999, 4_500, 5_999] {
            assert_eq!(
                got(r.take(Some(&keys[i])).unwrap()),
                got(want[i].clone()),
                "{i}"
            );
            if i == 2_999 {
                assert!(r.take(Some("k02999x")).unwrap().is_empty());
            }
        }
        // Read from the start without the null key: its entries are skipped too.
        let mut r = spill.reader().unwrap();
        assert_eq!(
            got(r.take(Some(&keys[3_000])).unwrap()),
            got(want[3_000].clone())
        );
        // Each cursor read its first entry, the mark's and at most the marks' spacing after
        // it, not the 2000 entries before the key.
        for c in &r.cursors {
            assert!(c.entries_read <= MARK_EVERY + 2, "{} read", c.entries_read);
        }
    }

    #[test]
    fn runs_merged_past_the_fan_in_skip_by_their_own_marks() {
        // More runs than the fan-in, each long enough to be marked: the reader merges the
        // first ones into a run of its own, whose marks the skips then use.
        let spill = Spill::new(0);
        let keys = numbered_keys(2_000);
        let mut want: Vec<Events> = vec![Events::default(); keys.len()];
        for run in 0..FAN_IN + 3 {
            let held = held_by(run, &mut want, |i| (i + run) % 3 == 0);
            spill
                .write_run(held.iter().map(|(i, e)| (Some(keys[*i].as_str()), e)))
                .unwrap();
        }
        let mut r = spill.reader().unwrap();
        assert_eq!(spill.run_count(), 4);
        let runs = spill.runs();
        // 2000 entries, marked at entries 256, 512, ... 1792 (from 0): 7 marks.
        assert_eq!(runs.runs[3].marks.len(), 7, "the merged run is marked");
        drop(runs);
        let sorted = |e: Events| {
            let mut v: Vec<_> = e.iter().collect();
            v.sort_by_key(|e| e.0);
            v
        };
        for i in [3, 1_000, 1_998] {
            let got = r.take(Some(&keys[i])).unwrap();
            assert_eq!(sorted(got), sorted(want[i].clone()), "{i}");
        }
        // The merged run's 2000 entries were not all read: its cursor skipped.
        assert!(r.cursors.iter().all(|c| c.entries_read < 700), "skipped");
    }

    #[test]
    fn marks_are_thinned_to_the_cap_and_stay_in_order() {
        // Twice the cap: thinned once.
        let mut runs = Runs::default();
        for r in 0..MAX_MARKS as u64 / 10 {
            let marks: Marks = (0..20u64)
                .map(|m| (Some(format!("k{r:03}-{m:02}").into()), m * 100))
                .collect();
            runs.runs.push(Run {
                start: r * 5_000,
                len: 5_000,
                marks: Arc::new(marks),
            });
        }
        runs.thin_marks();
        assert_eq!(runs.thinned, 1);
        assert!(runs.mark_count() <= MAX_MARKS);
        // Every other mark of each run, from the second: 10 of 20.
        for run in &runs.runs {
            let at: Vec<u64> = run.marks.iter().map(|m| m.1).collect();
            assert_eq!(at, (1..20).step_by(2).map(|m| m * 100).collect::<Vec<_>>());
        }
        // More runs than the cap, one mark each: every mark goes, and thinning ends.
        let mut many = Runs::default();
        for r in 0..=MAX_MARKS as u64 {
            many.runs.push(Run {
                start: r,
                len: 1,
                marks: Arc::new(vec![(None, 0)]),
            });
        }
        many.thin_marks();
        assert_eq!(many.mark_count(), 0);
        // Once thinned, a new run is marked at the thinned spacing: 1100 entries, 2 marks.
        let spill = Spill::new(0);
        spill.runs().thinned = 1;
        let keys = numbered_keys(1_100);
        let e = events(&[1]);
        spill
            .write_run(keys.iter().map(|k| (Some(k.as_str()), &e)))
            .unwrap();
        let at: Vec<u64> = spill.runs().runs[0].marks.iter().map(|m| m.1).collect();
        let size = at[0] / 512; // the entries are all of one size
        assert_eq!(at, [512 * size, 1024 * size]);
    }

    #[test]
    fn numbers_cut_by_the_read_buffer_s_edge_are_read_whole() {
        // Many entries with long numbers: runs of many read buffers, whose edges fall inside
        // numbers, where the buffered fast path must not take a number's first bytes for all
        // of it. The long time comes last, so that each entry's header (read number by number,
        // unlike its packed events) holds it as its last time: nine bytes.
        let spill = Spill::new(0);
        let keys: Vec<String> = (0..20_000).map(|i| format!("k{i:07}")).collect();
        let held: Vec<Events> = (0..keys.len() as i64)
            .map(|i| events(&[i, (1 << 59) + i * 7_919]))
            .collect();
        spill
            .write_run(keys.iter().zip(&held).map(|(k, e)| (Some(k.as_str()), e)))
            .unwrap();
        let mut r = spill.reader().unwrap();
        for (k, e) in keys.iter().zip(&held) {
            // Whole: the packed bytes, the count and the last time (the header's long number,
            // which the events' own decoding never reads).
            assert_eq!(&r.take(Some(k)).unwrap(), e, "key {k}");
        }
    }
}
