//! Line layouts remembered: a log repeats a few layouts (the same keys, in the same order, with
//! the same spacing) line after line, so a line is checked against the layouts of earlier
//! lines, as bytes, before it is walked member by member (after the gateway's own layout,
//! which has a reader of its own: see `super::gateway`).
//!
//! A layout is a line cut into tokens: literal bytes (punctuation, whitespace, object keys,
//! `true`/`false`/`null`), string values and number values. A line matches when every literal
//! is there byte for byte and every string and number between them is valid JSON; it then has
//! the structure and keys of the line the layout was made from, so the fast walker would
//! capture the same values at the same places. The captures are taken from there without a
//! walk. A line that matches no layout is walked as before, and may become a layout.

use super::fast::Scanner;
use super::fields::{Plan, per_plan};
use super::json::{Captures, Escapes};
use super::vector::{self, Marks};

/// Most tokens, literal bytes (counted in whole blocks) and captures of one layout; longer
/// lines are not remembered.
const MAX_TOKENS: usize = 64;
const MAX_TEXT: usize = 2048;
const MAX_CAPS: usize = super::fields::MAX_CAPTURES;
/// A capture a layout leaves empty, in [`Layout::spans`]: its token is past any line's
/// token starts, so looking it up finds nothing.
const NO_SPAN: Span = Span {
    from: Place {
        token: u16::MAX,
        offset: 0,
    },
    to: Place {
        token: u16::MAX,
        offset: 0,
    },
};
const _: () = assert!(MAX_TOKENS + 2 < u16::MAX as usize);
/// Layouts remembered per plan and thread, tried in order after the hinted ones (see
/// [`HINT_BUCKETS`]); a match outside the hints moves a layout one place forward, so the
/// common ones settle first (a log of mixed shapes uses about 40: 8 ways made it 20% slower
/// than 32, rebuilding them over and over). A new layout goes last, or when all are taken,
/// in the place of the one matched longest ago.
const WAYS: usize = 32;
/// Layouts tried while lines mostly match none (little credit): a miss then costs two tries.
const TRIES_WITHOUT_CREDIT: usize = 2;

#[derive(Clone, Copy, Debug)]
enum Token {
    /// `len` bytes, byte for byte: `bytes[at..]`.
    Lit { at: u16, len: u16 },
    /// A string value, quotes included.
    Str,
    /// A number value.
    Num,
}

/// A place in a line: `offset` bytes into token `token` (`token == tokens.len()`: the end).
/// Only literals have places inside them; a value is only ever entered at its start.
#[derive(Clone, Copy, Debug)]
struct Place {
    token: u16,
    offset: u16,
}

/// Where a capture starts and ends.
#[derive(Clone, Copy, Debug)]
struct Span {
    from: Place,
    to: Place,
}

#[derive(Debug)]
struct Layout {
    /// Each literal's bytes, zero-padded to whole blocks of 16.
    bytes: Vec<u8>,
    /// The tokens (of which [`Place`]s count) as matched: each literal fused with the value
    /// after it, so a line of 17 tokens is 9 steps (one dispatch per step, and a literal
    /// compared without a branch per block).
    steps: Vec<Step>,
    /// For each capture index, its span ([`NO_SPAN`]: left empty), so a matched line's
    /// capture is read where it lies, with no array of captures filled for each line. Held
    /// here, not through an index into a list: a capture read one load sooner (the chain of
    /// loads was 20% of interpreting a line).
    spans: [Span; MAX_CAPS],
    /// For each group of the plan, the captures the layout fills, in the group's order: all
    /// that a reader of a group needs to look at.
    present: Vec<Vec<usize>>,
    /// The literal that ends the line (`}}}`), when it has at most 16 bytes: right-aligned
    /// in a block, so that it is compared with the line's last 16 bytes at once (a library
    /// memcmp for these few bytes was 1% of a run).
    end: [u8; 16],
    /// The set's clock at this layout's last match: when the set is full, the layout
    /// matched longest ago makes room for a new one.
    used: u64,
}

/// A literal (possibly empty) and the value after it (or the line's end).
#[derive(Clone, Copy, Debug)]
struct Step {
    /// The literal: `len` bytes in `bytes[at..at + 16 * blocks]`, the last block's bytes
    /// past `len` masked off by `last_mask` (one bit a byte).
    at: u16,
    blocks: u16,
    len: u16,
    last_mask: u32,
    value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    Str,
    Num,
    End,
}

/// The steps of `tokens` (whose literal bytes are in `bytes`).
fn steps_of(tokens: &[Token]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lit = None;
    for t in tokens {
        let value = match *t {
            Token::Lit { at, len } => {
                lit = Some((at, len));
                continue;
            }
            Token::Str => Value::Str,
            Token::Num => Value::Num,
        };
        steps.push(step(lit.take(), value));
    }
    // The last literal, or none when the line ends with a value.
    steps.push(step(lit, Value::End));
    steps
}

fn step(lit: Option<(u16, u16)>, value: Value) -> Step {
    let (at, len) = lit.unwrap_or((0, 0));
    let left = len as usize % 16;
    Step {
        at,
        blocks: (len as usize).div_ceil(16) as u16,
        len,
        last_mask: if left == 0 { 0xffff } else { (1 << left) - 1 },
        value,
    }
}

impl Layout {
    /// Cuts `json` (a line the walker accepted with `plan`, giving `caps`) into a layout, or
    /// `None` when it is too large or a capture does not fall on a token boundary.
    fn new(plan: &Plan, json: &str, caps: &Captures<'_>) -> Option<Layout> {
        if caps.len() > MAX_CAPS {
            return None;
        }
        let b = json.as_bytes();
        let mut s = Scanner::new(json);
        let mut bytes = Vec::new();
        let mut tokens = Vec::new();
        // Where each token starts in `json`.
        let mut starts = Vec::new();
        let mut lit_from = 0;
        while s.i < b.len() {
            if bytes.len() > MAX_TEXT || tokens.len() > MAX_TOKENS {
                return None;
            }
            let at = s.i;
            let value = match b[at] {
                b'"' => {
                    s.skip_string().ok()?;
                    let mut j = s.i;
                    while j < b.len() && matches!(b[j], b' ' | b'\n' | b'\r' | b'\t') {
                        j += 1;
                    }
                    // A string value; a key stays in the literal around it.
                    (b.get(j) != Some(&b':')).then_some(Token::Str)
                }
                b'-' | b'0'..=b'9' => {
                    s.number().ok()?;
                    Some(Token::Num)
                }
                _ => {
                    s.i += 1;
                    None
                }
            };
            if let Some(value) = value {
                push_literal(
                    &b[lit_from..at],
                    lit_from,
                    &mut bytes,
                    &mut tokens,
                    &mut starts,
                );
                tokens.push(value);
                starts.push(at);
                lit_from = s.i;
            }
        }
        push_literal(
            &b[lit_from..],
            lit_from,
            &mut bytes,
            &mut tokens,
            &mut starts,
        );
        if bytes.len() > MAX_TEXT || tokens.len() > MAX_TOKENS {
            return None;
        }
        let place = |pos: usize| -> Option<Place> {
            if pos == b.len() {
                return Some(Place {
                    token: tokens.len() as u16,
                    offset: 0,
                });
            }
            // The last token starting at or before `pos`.
            let k = starts.partition_point(|&st| st <= pos).checked_sub(1)?;
            let offset = pos - starts[k];
            if offset != 0 && !matches!(tokens[k], Token::Lit { .. }) {
                return None;
            }
            Some(Place {
                token: k as u16,
                offset: offset as u16,
            })
        };
        let base = json.as_ptr() as usize;
        let mut spans = [NO_SPAN; MAX_CAPS];
        for (c, v) in caps.iter().enumerate() {
            if let Some(v) = v {
                let from = v.as_ptr() as usize - base;
                spans[c] = Span {
                    from: place(from)?,
                    to: place(from + v.len())?,
                };
            }
        }
        let present = (0..plan.groups())
            .map(|g| {
                let group = plan.group(g).iter().copied();
                group
                    .filter(|&c| caps.get(c).is_some_and(Option::is_some))
                    .collect()
            })
            .collect();
        let mut end = [0u8; 16];
        if let Some(&Token::Lit { at, len }) = tokens.last()
            && len <= 16
        {
            let (at, len) = (at as usize, len as usize);
            end[16 - len..].copy_from_slice(&bytes[at..at + len]);
        }
        Some(Layout {
            bytes,
            steps: steps_of(&tokens),
            spans,
            present,
            end,
            used: 0,
        })
    }

    /// Matches `json` against the layout; on a match, fills `caps` (all `None` on entry, as
    /// for the walkers) and says whether a string had an escape. `starts` is room to note
    /// where each token starts (its contents on entry do not matter).
    fn apply<'a>(
        &self,
        json: &'a str,
        caps: &mut Captures<'a>,
        starts: &mut Starts,
    ) -> Option<Escapes> {
        let mut marks = Marks::default();
        let escapes = self.try_match(mark(&mut marks, json), json, starts)?;
        self.fill(json, starts, caps);
        Some(escapes)
    }

    /// Fills `caps` from `json`, a line this layout matched with token starts `starts`.
    fn fill<'a>(&self, json: &'a str, starts: &Starts, caps: &mut Captures<'a>) {
        for (c, slot) in caps.iter_mut().enumerate() {
            if let Some(text) = self.span(c, json, starts) {
                *slot = Some(text);
            }
        }
    }

    /// The text of capture `c` in `json` (matched, with token starts `starts`); `None`
    /// when the layout leaves it empty.
    ///
    /// `starts` must be those of a successful match of this layout on this `json` (as in
    /// [`Matched`]). Both ends are then on character boundaries without a check (the checks
    /// were a fifth of interpreting a line): in valid UTF-8 whether a place is a boundary
    /// depends on its byte alone, and each end of a capture lies where a value starts (a
    /// quote, a digit or `-`), at the line's end, or inside a literal, whose bytes are those
    /// of the line the layout was learned from, where the same place was the same end of the
    /// same capture. The token starts are exact: lines past `u32::MAX` bytes never match
    /// (see [`Layout::steps_match`]).
    #[inline]
    fn span<'a>(&self, c: usize, json: &'a str, starts: &Starts) -> Option<&'a str> {
        let Span { from, to } = *self.spans.get(c)?;
        let at = |p: Place| Some(*starts.get(p.token as usize)? as usize + p.offset as usize);
        let (from, to) = (at(from)?, at(to)?);
        let bytes = json.as_bytes().get(from..to)?;
        debug_assert!(json.is_char_boundary(from) && json.is_char_boundary(to));
        // SAFETY: `json` is a str and both ends are character boundaries (see above), so
        // the bytes between them are valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    }

    /// Matches `json` against the layout, noting in `starts` where each token starts (its
    /// contents on entry do not matter); on a match, says whether a string had an escape.
    #[inline]
    fn matches(&self, json: &str, starts: &mut Starts) -> Option<Escapes> {
        self.steps_match(json, starts, None)
    }

    /// [`Layout::matches`], with the line's string stops and digits found beforehand (see
    /// [`Marks`]). Kept out of line: inlined into the search loop, the PGO build was 1.9%
    /// slower (the plain build did not change).
    #[inline(never)]
    fn matches_marked(&self, json: &str, marks: &Marks, starts: &mut Starts) -> Option<Escapes> {
        self.steps_match(json, starts, Some(marks))
    }

    /// [`Layout::matches`], from `marks` when given: a string's plain run then ends at the
    /// stop after its opening quote, and a number's digits are a run of marks. A string with
    /// an escape, and a number with a sign, a leading zero, a fraction or an exponent, are
    /// read by the scanner, as every value is without marks.
    #[inline(always)]
    fn steps_match(
        &self,
        json: &str,
        starts: &mut Starts,
        marks: Option<&Marks>,
    ) -> Option<Escapes> {
        let b = json.as_bytes();
        // Token starts are held in 32 bits: a longer line (past `--max-line-bytes` unless
        // raised to 4G) is walked, so that no start is cut short (see `Layout::span`).
        if b.len() > u32::MAX as usize {
            return None;
        }
        let mut t = 0;
        let mut s = Scanner::new(json);
        for st in &self.steps {
            if st.len > 0 {
                starts[t] = s.i as u32;
                t += 1;
                if !self.literal_at(b, s.i, st) {
                    return None;
                }
                s.i += st.len as usize;
            }
            match st.value {
                Value::Str => {
                    starts[t] = s.i as u32;
                    t += 1;
                    if b.get(s.i) != Some(&b'"') {
                        return None;
                    }
                    match marks.map(|m| m.stop_after(s.i)) {
                        Some(None) => return None,
                        Some(Some(end)) if b[end] == b'"' => s.i = end + 1,
                        _ => s.skip_string().ok()?,
                    }
                }
                Value::Num => {
                    starts[t] = s.i as u32;
                    t += 1;
                    // The common numbers of `Scanner::number`'s grammar (digits, no leading
                    // zero, no fraction or exponent) from the marks; the rest from it.
                    let run = marks.map_or(0, |m| m.digit_run(s.i));
                    if run > 0
                        && (run == 1 || b[s.i] != b'0')
                        && !matches!(b.get(s.i + run), Some(b'.' | b'e' | b'E'))
                    {
                        s.i += run;
                    } else {
                        s.number().ok()?;
                    }
                }
                Value::End => {}
            }
        }
        if s.i != b.len() {
            return None;
        }
        starts[t] = s.i as u32;
        Some(if s.escaped {
            Escapes::Maybe
        } else {
            Escapes::None
        })
    }

    /// [`Layout::matches`], from the line's marks when it has them. Tests check that both
    /// ways agree on every line they try.
    #[inline(always)]
    fn try_match(&self, marks: Option<&Marks>, json: &str, starts: &mut Starts) -> Option<Escapes> {
        let Some(marks) = marks else {
            return self.matches(json, starts);
        };
        let got = self.matches_marked(json, marks, starts);
        #[cfg(test)]
        self.agrees(got, json, starts);
        got
    }

    /// Asserts that [`Layout::matches`] gives `got` and the same token starts.
    #[cfg(test)]
    fn agrees(&self, got: Option<Escapes>, json: &str, starts: &Starts) {
        let mut again = [u32::MAX; MAX_TOKENS + 2];
        let want = self.matches(json, &mut again);
        assert_eq!(got, want, "{json}");
        if want.is_some() {
            // A start for each literal and each value, and the line's end.
            let literals = self.steps.iter().filter(|st| st.len > 0).count();
            let values = self
                .steps
                .iter()
                .filter(|st| st.value != Value::End)
                .count();
            let tokens = literals + values + 1;
            assert_eq!(starts[..tokens], again[..tokens], "{json}");
        }
    }

    /// Whether `b` holds step `st`'s literal at `at`.
    #[inline(always)]
    fn literal_at(&self, b: &[u8], at: usize, st: &Step) -> bool {
        let (from, n, len) = (st.at as usize, st.blocks as usize, st.len as usize);
        let Some(expected) = self.bytes.get(from..from + 16 * n) else {
            return false;
        };
        if let Some(window) = b.get(at..at + 16 * n) {
            // Every block at once, one test at the end.
            let mut diff = 0;
            for (k, (got, want)) in window
                .chunks_exact(16)
                .zip(expected.chunks_exact(16))
                .enumerate()
            {
                let mask = if k + 1 == n { st.last_mask } else { 0xffff };
                diff |= !vector::equal(got, want) & mask;
            }
            return diff == 0;
        }
        // Near the line's end, where whole blocks cannot be read: the line's last literal
        // (the end step's, in `end` when it has at most 16 bytes) against the line's last
        // block, else byte by byte.
        if at + len == b.len()
            && len <= 16
            && st.value == Value::End
            && let Some(last) = b.get(b.len().wrapping_sub(16)..)
        {
            let mask = 0xffff & !((1u32 << (16 - len)) - 1);
            return !vector::equal(last, &self.end) & mask == 0;
        }
        b.get(at..at + len) == expected.get(..len)
    }
}

/// Appends the literal `lit` (found at `from`) as a token, unless it is empty.
fn push_literal(
    lit: &[u8],
    from: usize,
    bytes: &mut Vec<u8>,
    tokens: &mut Vec<Token>,
    starts: &mut Vec<usize>,
) {
    if lit.is_empty() {
        return;
    }
    tokens.push(Token::Lit {
        at: bytes.len() as u16,
        len: lit.len() as u16,
    });
    starts.push(from);
    bytes.extend_from_slice(lit);
    bytes.resize(bytes.len().next_multiple_of(16), 0);
}

/// The layouts of one plan, and how freely new ones are made.
#[derive(Debug)]
struct Set {
    layouts: Vec<Layout>,
    /// Making a layout costs credit and a match earns it, so a log whose lines share no
    /// layout soon stops paying for making them (one try per [`BUILD_COST`] misses).
    credit: u32,
    /// By line length (see [`bucket`]), the two layouts that last matched such a line, the
    /// latest first, each plus one (0: none); they are tried first.
    hints: [[u8; 2]; HINT_BUCKETS],
    /// Counts matches (see [`Layout::used`]).
    clock: u64,
}

impl Set {
    /// Books a match of layout `k`: credit earned, and the clock noted for eviction.
    fn matched(&mut self, k: usize) {
        self.credit = (self.credit + BUILD_COST).min(MAX_CREDIT);
        self.layouts[k].used = self.tick();
    }

    /// The clock, moved on one.
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

// Hints hold a layout's index plus one in a byte.
const _: () = assert!(WAYS < u8::MAX as usize);

/// Lines of about the same length mostly share a layout or two (a log's success lines have
/// one length or two, its error lines others), so the two layouts that last matched a line
/// of the same length, to 8 bytes, are tried first. Before, an error line failed on every
/// success layout ahead of its own: 0.3 failed tries a line on the nested log, 5% of its
/// work.
const HINT_BUCKETS: usize = 64;

fn bucket(len: usize) -> usize {
    (len / 8) % HINT_BUCKETS
}

const BUILD_COST: u32 = 64;
const MAX_CREDIT: u32 = BUILD_COST * 16;

/// Where each token of a line starts, as [`Layout::apply`] finds them (steps give them in
/// order).
type Starts = [u32; MAX_TOKENS + 2];

/// The marks of `json`, made in `marks`; `None` where the CPU makes none or the line is too
/// long (see [`Marks::read`]).
#[inline]
fn mark<'m>(marks: &'m mut Marks, json: &str) -> Option<&'m Marks> {
    marks.read(json.as_bytes()).then_some(&*marks)
}

/// The layouts of the plans a thread has used lately.
#[derive(Debug)]
pub(crate) struct Layouts {
    sets: Vec<(u64, Set)>,
    /// Room for [`Layout::apply`], reused: an array on its stack was zeroed for every try
    /// (a memset call, 1.3% of a run at -j 1 and 2.8% on the worker thread at -j 2).
    starts: Box<Starts>,
    /// Room for the marks of a line, made once for all the layouts it is tried against.
    marks: Box<Marks>,
    /// Layout tries so far, for tests of the order.
    #[cfg(test)]
    tries: u64,
}

impl Default for Layouts {
    fn default() -> Self {
        Layouts {
            sets: Vec::new(),
            starts: Box::new([0; MAX_TOKENS + 2]),
            marks: Box::default(),
            #[cfg(test)]
            tries: 0,
        }
    }
}

/// A line that matched a layout: its captures are read where they lie in the line. `starts`
/// are those of that match: [`Layout::span`] relies on it.
pub(crate) struct Matched<'s, 'a> {
    layout: &'s Layout,
    starts: &'s Starts,
    json: &'a str,
    /// Whether a string of the line had an escape.
    pub(crate) escapes: Escapes,
}

impl<'a> Matched<'_, 'a> {
    /// The text of capture `c`, or `None` when the layout leaves it empty.
    #[inline]
    pub(crate) fn get(&self, c: usize) -> Option<&'a str> {
        self.layout.span(c, self.json, self.starts)
    }

    /// The captures of the plan's group `g` that the layout fills, in the group's order.
    #[inline]
    pub(crate) fn present(&self, g: usize) -> &[usize] {
        self.layout.present.get(g).map_or(&[], Vec::as_slice)
    }
}

/// The layouts of `plan` in `sets`, made empty on first use.
#[inline(always)]
fn set_of<'s>(sets: &'s mut Vec<(u64, Set)>, plan: &Plan) -> &'s mut Set {
    per_plan(sets, plan, || Set {
        layouts: Vec::new(),
        credit: MAX_CREDIT,
        hints: [[0; 2]; HINT_BUCKETS],
        clock: 0,
    })
}

impl Layouts {
    /// Fills `caps` from the first layout `json` matches; `None` when it matches none.
    #[inline]
    pub(crate) fn apply<'a>(
        &mut self,
        plan: &Plan,
        json: &'a str,
        caps: &mut Captures<'a>,
    ) -> Option<Escapes> {
        let (k, escapes) = self.find(plan, json)?;
        let layout = &set_of(&mut self.sets, plan).layouts[k];
        layout.fill(json, &self.starts, caps);
        Some(escapes)
    }

    /// The first layout `json` matches, read in place; `None` when it matches none.
    #[inline]
    pub(crate) fn matched<'s, 'a>(
        &'s mut self,
        plan: &Plan,
        json: &'a str,
    ) -> Option<Matched<'s, 'a>> {
        let (k, escapes) = self.find(plan, json)?;
        // The set again (its first entry, one comparison): returned from `find` instead, the
        // layout made the search loop's code worse (0.8% more instructions).
        Some(Matched {
            layout: &set_of(&mut self.sets, plan).layouts[k],
            starts: &self.starts,
            json,
            escapes,
        })
    }

    /// The index of the first layout of `plan` that `json` matches (its token starts in
    /// `self.starts`), and whether a string had an escape; `None` when it matches none.
    #[inline]
    fn find(&mut self, plan: &Plan, json: &str) -> Option<(usize, Escapes)> {
        let set = set_of(&mut self.sets, plan);
        let tries = if set.credit >= BUILD_COST {
            set.layouts.len()
        } else {
            set.layouts.len().min(TRIES_WITHOUT_CREDIT)
        };
        let b = bucket(json.len());
        // The line's marks, for all its tries.
        let marks = if tries > 0 {
            mark(&mut self.marks, json)
        } else {
            None
        };
        // The two hinted layouts first (a hint may be stale: it only orders the tries).
        // With little credit, no hints: the first two layouts alone, as without hints.
        let hinted = if tries == set.layouts.len() {
            set.hints[b].map(|h| (h as usize).wrapping_sub(1))
        } else {
            [usize::MAX; 2]
        };
        for (n, &h) in hinted.iter().enumerate() {
            let Some(layout) = set.layouts.get(h) else {
                continue;
            };
            #[cfg(test)]
            {
                self.tries += 1;
            }
            if let Some(escapes) = layout.try_match(marks, json, &mut self.starts) {
                set.matched(h);
                if n == 1 {
                    set.hints[b].swap(0, 1);
                }
                return Some((h, escapes));
            }
        }
        for k in (0..tries).filter(|k| !hinted.contains(k)) {
            #[cfg(test)]
            {
                self.tries += 1;
            }
            if let Some(escapes) = set.layouts[k].try_match(marks, json, &mut self.starts) {
                let mut at = k;
                if k > 0 {
                    set.layouts.swap(k, k - 1);
                    for h in set.hints.iter_mut().flatten() {
                        if *h as usize == k + 1 {
                            *h = k as u8;
                        } else if *h as usize == k {
                            *h = (k + 1) as u8;
                        }
                    }
                    at = k - 1;
                }
                // First in its bucket's hints (already first when the hints were skipped for
                // want of credit: it is not put in twice).
                let h = &mut set.hints[b];
                if h[0] != (at + 1) as u8 {
                    *h = [(at + 1) as u8, h[0]];
                }
                set.matched(at);
                return Some((at, escapes));
            }
        }
        set.credit = (set.credit + 1).min(MAX_CREDIT);
        None
    }

    /// Remembers the layout of `json`, which the walker accepted with `caps`, when credit allows.
    pub(crate) fn learn(&mut self, plan: &Plan, json: &str, caps: &Captures<'_>) {
        let set = set_of(&mut self.sets, plan);
        if set.credit < BUILD_COST {
            return;
        }
        set.credit -= BUILD_COST;
        let Some(layout) = Layout::new(plan, json, caps) else {
            return;
        };
        // The layout must give back exactly the walk's spans (the same bytes at the same
        // places); if not, it is not kept.
        let mut again = vec![None; caps.len()];
        let same_span = |a: &Option<&str>, b: &Option<&str>| match (a, b) {
            (Some(x), Some(y)) => x.as_ptr() == y.as_ptr() && x.len() == y.len(),
            (None, None) => true,
            _ => false,
        };
        if layout.apply(json, &mut again, &mut self.starts).is_none()
            || !again.iter().zip(caps.iter()).all(|(a, b)| same_span(a, b))
        {
            return;
        }
        let layout = Layout {
            used: set.tick(),
            ..layout
        };
        if set.layouts.len() < WAYS {
            set.layouts.push(layout);
        } else if let Some(oldest) = set.layouts.iter_mut().min_by_key(|l| l.used) {
            // Hints to the oldest now lead to the new layout: a try that may fail, no more.
            *oldest = layout;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::fast::Fast;
    use crate::extract::json::Walker;

    fn plan() -> Plan {
        let p = |s: &str| vec![s.split('.').map(str::to_owned).collect::<Vec<_>>()];
        Plan::new(&[
            p("ts"),
            p("api_key"),
            p("response"),
            p("response.isSuccess"),
            p("n"),
        ])
        .unwrap()
    }

    fn walk<'a>(plan: &Plan, json: &'a str) -> Vec<Option<&'a str>> {
        let mut caps = vec![None; plan.captures()];
        Fast::object(plan, json, &mut caps).unwrap();
        caps
    }

    #[test]
    fn a_line_of_the_same_layout_gives_the_walks_captures() {
        let plan = plan();
        let first = r#"{"ts":"2026-11-24T10:00:00Z","n":12,"api_key":"k1","response":{"isSuccess":true,"x":[1,"a"]}}"#;
        let caps = walk(&plan, first);
        let layout = Layout::new(&plan, first, &caps).unwrap();
        for line in [
            r#"{"ts":"2026-11-25T10:00:00.5Z","n":-1.5e3,"api_key":"k\u0032","response":{"isSuccess":true,"x":[0,""]}}"#,
            first,
        ] {
            let mut got = vec![None; plan.captures()];
            let escapes = layout.apply(line, &mut got, &mut [0; MAX_TOKENS + 2]);
            // `k\u0032` is an escape; `first`'s strings are read as they are.
            let want = if line == first {
                Escapes::None
            } else {
                Escapes::Maybe
            };
            assert_eq!(escapes, Some(want), "{line}");
            assert_eq!(got, walk(&plan, line), "{line}");
        }
        // Other keys, other value types, other spacing, invalid values, trailing bytes: no match.
        for line in [
            r#"{"ts":"2026-11-24T10:00:00Z","n":12,"api_key":"k1","response":{"isSuccess":false,"x":[1,"a"]}}"#,
            r#"{"ts":"2026-11-24T10:00:00Z","n":"12","api_key":"k1","response":{"isSuccess":true,"x":[1,"a"]}}"#,
            r#"{"ts":"2026-11-24T10:00:00Z","m":12,"api_key":"k1","response":{"isSuccess":true,"x":[1,"a"]}}"#,
            r#"{"ts": "2026-11-24T10:00:00Z","n":12,"api_key":"k1","response":{"isSuccess":true,"x":[1,"a"]}}"#,
            r#"{"ts":"2026-11-24T10:00:00Z","n":012,"api_key":"k1","response":{"isSuccess":true,"x":[1,"a"]}}"#,
            r#"{"ts":"2026-11-24T10:00:00Z","n":12,"api_key":"k\x","response":{"isSuccess":true,"x":[1,"a"]}}"#,
            r#"{"ts":"2026-11-24T10:00:00Z","n":12,"api_key":"k1","response":{"isSuccess":true,"x":[1,"a"]}} "#,
            "{\"ts\":\"2026-11-24T10:00:00Z\",\"n\":12,\"api_key\":\"k\t\",\"response\":{\"isSuccess\":true,\"x\":[1,\"a\"]}}",
        ] {
            assert!(!tried(&layout, &plan, line).0, "{line}");
        }
    }

    #[test]
    fn captures_are_cut_on_character_boundaries_in_multi_byte_text() {
        use crate::extract::json::Serde;
        // Multi-byte characters in literals: before places inside one (`isSuccess` is the
        // literal `true` after `"ü€"`, so its capture starts and ends inside a literal), and
        // in an unplanned member; and captured strings of other byte lengths. A capture is
        // read without boundary checks (debug builds assert them); the reference is the
        // serde walker, which never uses layouts.
        fn serde<'a>(plan: &Plan, line: &'a str) -> Vec<Option<&'a str>> {
            let mut caps = vec![None; plan.captures()];
            Serde::object(plan, line, &mut caps).unwrap();
            caps
        }
        let plan = plan();
        let first = r#"{"ts":"é2026","ключ":"значение","api_key":"ключ-é","response":{"ü€":null,"isSuccess":true,"msg":"ü€𝄞"},"n":7}"#;
        let layout = Layout::new(&plan, first, &serde(&plan, first)).unwrap();
        let others = [
            r#"{"ts":"","ключ":"","api_key":"𝄞","response":{"ü€":null,"isSuccess":true,"msg":""},"n":70}"#,
            r#"{"ts":"a","ключ":"€€","api_key":"k","response":{"ü€":null,"isSuccess":true,"msg":"é"},"n":-7}"#,
        ];
        for line in std::iter::once(first).chain(others) {
            let (matched, got) = tried(&layout, &plan, line);
            assert!(matched, "{line}");
            assert_eq!(got, serde(&plan, line), "{line}");
        }
        let (_, got) = tried(&layout, &plan, others[0]);
        for want in [
            "\"𝄞\"",
            "true",
            "70",
            r#"{"ü€":null,"isSuccess":true,"msg":""}"#,
        ] {
            assert!(got.contains(&Some(want)), "{want} in {got:?}");
        }
    }

    #[test]
    fn a_changed_byte_anywhere_is_seen() {
        use crate::extract::json::{Serde, WalkError};
        let plan = plan();
        // Literals of many lengths around the values, one ending the line.
        let line = r#"{"ts":"2026-11-24T10:00:00.134Z","method":"POST","n":12,"api_key":"wk_live_9129a293ac04eb716ed4eb8e","response":{"isSuccess":true,"data":{"messageId":"wamid.e099ec6cd736"}}}"#;
        let layout = Layout::new(&plan, line, &walk(&plan, line)).unwrap();
        let mut matched = 0;
        for at in 0..line.len() {
            for with in [b'x', b'"', b'0', b' ', b'}', b'\\', line.as_bytes()[at] ^ 1] {
                let mut bytes = line.as_bytes().to_vec();
                bytes[at] = with;
                let Ok(changed) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                let mut got = vec![None; plan.captures()];
                if layout
                    .apply(changed, &mut got, &mut [7; MAX_TOKENS + 2])
                    .is_none()
                {
                    continue;
                }
                // A match must be what the reference walker makes of the line.
                matched += 1;
                let mut want = vec![None; plan.captures()];
                let walked = Serde::object(&plan, changed, &mut want);
                assert!(!matches!(walked, Err(WalkError::Invalid(_))), "{changed}");
                assert_eq!(got, want, "{changed}");
            }
        }
        // Changes inside values still match (a digit for a digit, a letter for a letter).
        assert!(matched > 100, "{matched}");
    }

    /// [`Layout::apply`] on `line`: whether it matched, and the captures it filled.
    fn tried<'a>(layout: &Layout, plan: &Plan, line: &'a str) -> (bool, Vec<Option<&'a str>>) {
        let mut got = vec![None; plan.captures()];
        let matched = layout
            .apply(line, &mut got, &mut [0; MAX_TOKENS + 2])
            .is_some();
        (matched, got)
    }

    #[test]
    fn marked_lines_match_as_unmarked_ones_for_values_of_every_form() {
        // `Layout::apply` matches from the line's marks (in tests, made byte by byte where the
        // CPU has no AVX-512), and asserts that the unmarked match agrees, token starts and all.
        let plan = plan();
        let line = r#"{"ts":"a","n":12,"api_key":"k"}"#;
        let layout = Layout::new(&plan, line, &walk(&plan, line)).unwrap();
        let long = "7".repeat(70);
        let numbers = [
            "0", "7", "-1", "01", "00", "1.5", "1.", "1e5", "1E+5", "1e", "-", "", "x", &long,
        ];
        let pad = "p".repeat(60);
        let texts = [
            "", "a", "a\\\"b", "\\u0041", "\\x", "a\tb", "a\u{1f}b", &pad, "\"",
        ];
        let mut matched = 0;
        for n in numbers {
            for text in texts {
                // The string before the number and after it: stops in either 64-byte word.
                for (ts, key) in [(text, "k"), (&*pad, text)] {
                    let line = format!(r#"{{"ts":"{ts}","n":{n},"api_key":"{key}"}}"#);
                    let (ok, got) = tried(&layout, &plan, &line);
                    if ok {
                        matched += 1;
                        assert_eq!(got, walk(&plan, &line), "{line}");
                    }
                }
            }
        }
        assert!(matched > 50, "{matched}");
    }

    #[test]
    fn the_literal_ending_a_line_is_compared_whole_at_any_length() {
        let plan = plan();
        // End literals of 1 to 25 bytes, in lines shorter and longer than a block.
        let tails = std::iter::once("}".to_owned())
            .chain((0..16).map(|k| format!(r#","q{}":null}}"#, "x".repeat(k))));
        for tail in tails {
            for v in ["", "a", "abcdefghijklmnopqrstuvwxyz"] {
                let line = format!(r#"{{"ts":"{v}"{tail}"#);
                let layout = Layout::new(&plan, &line, &walk(&plan, &line)).unwrap();
                assert!(tried(&layout, &plan, &line).0, "{line}");
                // Another value's length: the end literal moves.
                let other = format!(r#"{{"ts":"{v}zz"{tail}"#);
                assert_eq!(tried(&layout, &plan, &other), (true, walk(&plan, &other)));
                // Any byte of the end literal changed: no match.
                let start = line.len() - tail.len();
                for at in start..line.len() {
                    let mut bytes = line.clone().into_bytes();
                    bytes[at] ^= 0x20;
                    let changed = String::from_utf8(bytes).unwrap();
                    assert!(!tried(&layout, &plan, &changed).0, "{changed}");
                }
            }
        }
    }

    #[test]
    fn with_little_credit_hints_are_not_tried() {
        let plan = plan();
        let mut l = Layouts::default();
        // Six shapes of the same length, each learned, then two matched (leaving hints).
        let shape = |k: usize| format!(r#"{{"ts":"t","k{k}":1,"api_key":"a"}}"#);
        for k in 0..6 {
            let json = shape(k);
            l.learn(&plan, &json, &walk(&plan, &json));
        }
        for k in [4, 5] {
            let mut caps = vec![None; plan.captures()];
            assert!(l.apply(&plan, &shape(k), &mut caps).is_some());
        }
        // With credit spent, a line that matches none costs two tries, its hints left out.
        l.sets[0].1.credit = 0;
        let before = l.tries;
        let mut caps = vec![None; plan.captures()];
        assert!(l.apply(&plan, &shape(9), &mut caps).is_none());
        assert_eq!(l.tries - before, TRIES_WITHOUT_CREDIT as u64);
    }

    #[test]
    fn a_busy_layout_stays_while_rare_ones_come_and_go() {
        let plan = plan();
        let mut l = Layouts::default();
        let rare = |n: usize| format!(r#"{{"ts":"t","r{n:03}":1}}"#);
        let busy = r#"{"ts":"t","api_key":"busy","response":{"isSuccess":true}}"#;
        let mut busy_walks = 0;
        // The set filled with rare shapes first, so the busy one is learned last; then it
        // alternates with new rare shapes, each learned in some layout's place.
        for n in 0..300 {
            let json = if n >= WAYS + 8 && n % 2 == 0 {
                busy.to_owned()
            } else {
                rare(n)
            };
            // Credit to learn every new shape (rare lines would soon spend it).
            if let Some((_, set)) = l.sets.first_mut() {
                set.credit = MAX_CREDIT;
            }
            let mut caps = vec![None; plan.captures()];
            if l.apply(&plan, &json, &mut caps).is_none() {
                busy_walks += usize::from(json == busy);
                l.learn(&plan, &json, &walk(&plan, &json));
            }
        }
        assert_eq!(l.sets[0].1.layouts.len(), WAYS);
        // Walked once, then always matched (dropping the last layout dropped it every time).
        assert_eq!(busy_walks, 1);
    }

    #[test]
    fn layouts_are_learned_and_used() {
        let plan = plan();
        let mut l = Layouts::default();
        let a = r#"{"ts":"t","api_key":"k1","response":{"isSuccess":true}}"#;
        let b = r#"{"ts":"u","api_key":"k22","response":{"isSuccess":true}}"#;
        let mut caps = vec![None; plan.captures()];
        assert!(l.apply(&plan, b, &mut caps).is_none());
        l.learn(&plan, a, &walk(&plan, a));
        let mut caps = vec![None; plan.captures()];
        assert_eq!(l.apply(&plan, b, &mut caps), Some(Escapes::None));
        assert_eq!(caps, walk(&plan, b));
    }

    #[test]
    fn a_matched_line_is_read_in_place_as_a_walk_fills_it() {
        // Groups of one path and of several, in an order of priority.
        let p = |paths: &[&str]| -> Vec<Vec<String>> {
            let split = |s: &&str| s.split('.').map(str::to_owned).collect();
            paths.iter().map(split).collect()
        };
        let plan = Plan::new(&[
            p(&["time", "ts"]),
            p(&["key", "api_key", "n"]),
            p(&["response.isSuccess", "isSuccess"]),
            p(&["response"]),
        ])
        .unwrap();
        let lines = [
            r#"{"ts":"t1","api_key":"k1","response":{"isSuccess":true}}"#,
            r#"{"ts":"t22","api_key":"k2","response":{"isSuccess":true}}"#,
            r#"{"time":"t","ts":"u","n":5,"key":"k","isSuccess":false}"#,
            r#"{"time":"tt","ts":"uu","n":-5e3,"key":"kk","isSuccess":false}"#,
            r#"{"n":7,"response":"text"}"#,
        ];
        let mut l = Layouts::default();
        let mut matched = 0;
        for json in lines.iter().chain(&lines) {
            let want = walk(&plan, json);
            let Some(m) = l.matched(&plan, json) else {
                l.learn(&plan, json, &want);
                continue;
            };
            matched += 1;
            let got: Vec<_> = (0..plan.captures()).map(|c| m.get(c)).collect();
            assert_eq!(got, want, "{json}");
            for g in 0..plan.groups() {
                let filled = plan.group(g).iter().copied().filter(|&c| want[c].is_some());
                assert_eq!(
                    m.present(g),
                    filled.collect::<Vec<_>>(),
                    "{json}, group {g}"
                );
            }
            let escaped = json.contains('\\');
            assert_eq!(m.escapes == Escapes::Maybe, escaped, "{json}");
        }
        // Three layouts, each learned from its first line: the other seven lines are read in place.
        assert_eq!(matched, 7);
        assert_eq!(
            l.matched(&plan, r#"{"n":7,"response":5}"#)
                .map(|m| m.escapes),
            None
        );
    }

    #[test]
    fn hints_order_the_tries_and_never_change_a_result() {
        let plan = plan();
        let mut l = Layouts::default();
        // Shapes of other keys and lengths, some sharing a length bucket, some lines longer
        // than their shape's first (their bucket's hint points elsewhere at first).
        let line = |shape: u64, n: u64| -> String {
            let pad = "x".repeat((n % 13) as usize);
            match shape {
                0 => {
                    format!(r#"{{"ts":"t{n}","api_key":"k{pad}","response":{{"isSuccess":true}}}}"#)
                }
                1 => format!(
                    r#"{{"ts":"t{n}","api_key":"k{pad}","response":{{"isSuccess":false}}}}"#
                ),
                2 => format!(
                    r#"{{"ts":"t{n}","n":{n},"response":{{"isSuccess":false,"e":"{pad}"}}}}"#
                ),
                3 => format!(r#"{{"api_key":"{pad}","ts":"t{n}"}}"#),
                4 => format!(r#"{{"ts":"t{n}","api_key":"k{pad}","other":[1,2,"{pad}"]}}"#),
                _ => format!(r#"{{"n":{n},"ts":"{pad}","api_key":null}}"#),
            }
        };
        let mut x = 7u64;
        let (mut matched, mut walked) = (0, 0);
        for n in 0..3000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let json = line((x >> 33) % 6, n);
            let want = walk(&plan, &json);
            let mut got = vec![None; plan.captures()];
            match l.apply(&plan, &json, &mut got) {
                Some(_) => {
                    assert_eq!(got, want, "{json}");
                    matched += 1;
                }
                None => {
                    l.learn(&plan, &json, &want);
                    walked += 1;
                }
            }
        }
        // Every shape is learned once (a shape is one layout whatever the values' lengths).
        assert_eq!(walked, 6);
        assert_eq!(matched, 3000 - 6);
        // Lines of 6 shapes in random order, tried in the order of the last matches alone,
        // took 3.5 tries a line; with one hint per length, 2.5; with two, 2.0 (the shapes'
        // lengths overlap: 0 and 1 differ by a byte).
        let per_line = l.tries as f64 / 3000.0;
        assert!(per_line < 2.2, "{per_line} tries a line");
    }
}
