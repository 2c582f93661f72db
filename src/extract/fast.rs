//! The fast walker: a hand-written, validating JSON scanner for the common case.
//!
//! It checks the full JSON grammar of the line while capturing the values a plan names, and
//! gives up ([`WalkError::Bail`]) on anything it does not handle itself: invalid JSON (so the
//! reference walker can say what is wrong), escapes in object keys, `\u` escapes of surrogates,
//! control characters, nesting deeper than [`MAX_DEPTH`]. A bail-out costs a second parse of
//! that line and nothing else, so the result is always the reference walker's.

use super::fields::{Plan, per_plan};
use super::json::{Captures, Escapes, WalkError, Walker};
use super::layout::{Layouts, Matched};
use super::swar;
use super::vector;

/// Deeper nesting is left to serde_json (whose own limit is 128).
pub const MAX_DEPTH: u32 = 100;

/// Giving up, as a zero-sized error so results travel in registers.
#[derive(Debug)]
pub(crate) struct Bail;

pub(crate) type R<T> = Result<T, Bail>;

const BAIL: Bail = Bail;

impl From<Bail> for WalkError {
    fn from(_: Bail) -> WalkError {
        WalkError::Bail
    }
}

/// The first byte at or after `i` that ends a string's plain run: sixteen bytes at a time.
/// Past the last whole block, the text's last sixteen bytes are tested, shifted so that bit 0
/// is byte `i` (a value near a line's end went eight bytes and then one at a time); a text
/// shorter than sixteen bytes goes eight bytes at a time (SWAR: a byte is flagged when it
/// equals `"` or `\\`, or is below 0x20), then one by one.
#[inline]
pub(crate) fn string_stop(b: &[u8], i: usize) -> Option<usize> {
    string_stop_inline(b, i)
}

/// [`string_stop`], always inline: the gateway's reader finds a dozen string ends a line, and a
/// call for each showed in its profile.
#[inline(always)]
pub(crate) fn string_stop_inline(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(block) = b.get(i..i + 16) {
        let hits = vector::stops(block);
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize);
        }
        i += 16;
    }
    match b.len().checked_sub(16) {
        Some(from) if i < b.len() => {
            let hits = vector::stops(&b[from..]) >> (i - from);
            return (hits != 0).then(|| i + hits.trailing_zeros() as usize);
        }
        Some(_) => return None,
        None => {}
    }
    if let Some(word) = b.get(i..i + 8) {
        let w = swar::word(word);
        let hits = swar::equal(w, b'"') | swar::equal(w, b'\\') | swar::below(w, 0x20);
        if hits != 0 {
            return Some(i + swar::first(hits));
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| vector::STOP[c as usize])
        .map(|n| i + n)
}

/// Longest `"key":` remembered, members remembered per object, and keys remembered per member
/// position (logs that mix a few layouts keep a hit for each).
const SHAPE_BYTES: usize = 32;
const SHAPE_MEMBERS: usize = 16;
const SHAPE_WAYS: usize = 4;

/// One remembered member key: its bytes from the opening quote through the colon, as words.
#[derive(Clone, Copy, Default)]
struct Seen {
    words: [u64; SHAPE_BYTES / 8],
    len: u8,
    /// The plan's node for the key, if it names it.
    child: Option<u32>,
}

impl Seen {
    fn new(bytes: &[u8], child: Option<usize>) -> Option<Seen> {
        if bytes.len() > SHAPE_BYTES {
            return None;
        }
        let mut padded = [0u8; SHAPE_BYTES];
        padded[..bytes.len()].copy_from_slice(bytes);
        let mut words = [0u64; SHAPE_BYTES / 8];
        for (w, c) in words.iter_mut().zip(padded.chunks_exact(8)) {
            *w = u64::from_le_bytes(c.try_into().unwrap_or_default());
        }
        Some(Seen {
            words,
            len: bytes.len() as u8,
            child: child.map(|c| c as u32),
        })
    }

    /// Whether `b` holds exactly these bytes at `at`.
    #[inline]
    fn matches(&self, b: &[u8], at: usize) -> bool {
        let len = self.len as usize;
        if len == 0 {
            return false;
        }
        let Some(window) = b.get(at..at + len.next_multiple_of(8)) else {
            return false;
        };
        for (k, (w, c)) in self.words.iter().zip(window.chunks_exact(8)).enumerate() {
            let word = u64::from_le_bytes(c.try_into().unwrap_or_default());
            let left = len - k * 8;
            let mask = if left >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * left)) - 1
            };
            if word & mask != *w {
                return false;
            }
        }
        true
    }
}

/// The member keys of the last object walked at each plan node: logs repeat their layout line
/// after line, so a key is first compared with the one at the same place last time, as bytes,
/// before it is scanned and looked up. A match is exact (quotes and colon included), so the
/// walk is the same either way; only the work differs.
#[derive(Default)]
struct Shapes {
    /// (plan id, remembered keys by node * SHAPE_MEMBERS + member position, newest first).
    plans: Vec<(u64, Vec<[Seen; SHAPE_WAYS]>)>,
}

impl Shapes {
    fn of(&mut self, plan: &Plan) -> &mut Vec<[Seen; SHAPE_WAYS]> {
        per_plan(&mut self.plans, plan, || {
            vec![[Seen::default(); SHAPE_WAYS]; plan.nodes.len() * SHAPE_MEMBERS]
        })
    }
}

thread_local! {
    static SHAPES: std::cell::RefCell<Shapes> = std::cell::RefCell::new(Shapes::default());
}

thread_local! {
    static LAYOUTS: std::cell::RefCell<Layouts> = std::cell::RefCell::new(Layouts::default());
}

thread_local! {
    /// The layouts of the record walks that [`with_layout`] reads in place, apart from
    /// [`LAYOUTS`], so that the values nested in such a record are walked with theirs.
    static TOP: std::cell::RefCell<Layouts> = std::cell::RefCell::new(Layouts::default());
}

/// Runs `then` on `json` read in place, when it matches a layout remembered for `plan`; `None`
/// when it matches none (then [`walk_top`] walks it).
#[inline]
pub(crate) fn with_layout<'a, R>(
    plan: &Plan,
    json: &'a str,
    then: impl FnOnce(&Matched<'_, 'a>) -> R,
) -> Option<R> {
    TOP.with(|layouts| {
        let mut layouts = layouts.try_borrow_mut().ok()?;
        let matched = layouts.matched(plan, json)?;
        Some(then(&matched))
    })
}

/// Walks `json`, which matched no layout of `plan` in [`with_layout`], and remembers its
/// layout for the lines after it.
pub(crate) fn walk_top<'a>(
    plan: &Plan,
    json: &'a str,
    caps: &mut Captures<'a>,
) -> Result<Escapes, WalkError> {
    TOP.with(|layouts| {
        walk_and_learn(
            layouts.try_borrow_mut().ok().as_deref_mut(),
            plan,
            json,
            caps,
        )
    })
}

/// Walks `json`, which matched no layout, and remembers its layout in `layouts` (when the
/// set is not in use further up the stack).
fn walk_and_learn<'a>(
    layouts: Option<&mut Layouts>,
    plan: &Plan,
    json: &'a str,
    caps: &mut Captures<'a>,
) -> Result<Escapes, WalkError> {
    walk(plan, json, caps)?;
    if let Some(l) = layouts {
        l.learn(plan, json, caps);
    }
    Ok(Escapes::Maybe)
}

/// The fast walker.
pub struct Fast;

/// Walks `json` member by member (the lines that match no remembered layout).
fn walk<'a>(plan: &Plan, json: &'a str, caps: &mut Captures<'a>) -> Result<(), WalkError> {
    SHAPES.with(|shapes| {
        let mut fresh = Vec::new();
        let mut held = shapes.try_borrow_mut();
        let seen = match &mut held {
            Ok(s) => s.of(plan),
            Err(_) => &mut fresh,
        };
        let mut s = Scanner::new(json);
        s.ws();
        if s.peek() != Some(b'{') {
            return Err(WalkError::Bail);
        }
        s.object(plan, 0, caps, 1, seen)?;
        s.ws();
        if s.i != s.b.len() {
            return Err(WalkError::Bail);
        }
        Ok(())
    })
}

impl Walker for Fast {
    fn object<'a>(
        plan: &Plan,
        json: &'a str,
        caps: &mut Captures<'a>,
    ) -> Result<Escapes, WalkError> {
        LAYOUTS.with(|layouts| {
            let mut layouts = layouts.try_borrow_mut().ok();
            if let Some(l) = &mut layouts
                && let Some(escapes) = l.apply(plan, json, caps)
            {
                return Ok(escapes);
            }
            walk_and_learn(layouts.as_deref_mut(), plan, json, caps)
        })
    }

    fn array<'a>(json: &'a str, out: &mut Vec<&'a str>) -> Result<(), WalkError> {
        let mut s = Scanner::new(json);
        s.ws();
        if s.peek() != Some(b'[') {
            return Err(WalkError::Bail);
        }
        s.i += 1;
        s.ws();
        if s.peek() == Some(b']') {
            s.i += 1;
        } else {
            loop {
                s.ws();
                let start = s.i;
                s.value(2)?;
                out.push(&json[start..s.i]);
                s.ws();
                match s.next()? {
                    b',' => continue,
                    b']' => break,
                    _ => return Err(WalkError::Bail),
                }
            }
        }
        s.ws();
        if s.i != s.b.len() {
            return Err(WalkError::Bail);
        }
        Ok(())
    }
}

/// Where the escape sequence at `b[i]` (a backslash) ends, if it is one the fast walker takes.
/// A function of the bytes alone, not a method: the scanner's position then stays in a
/// register through a string instead of living in memory for a call that rarely happens.
#[inline(never)]
fn escape_end(b: &[u8], i: usize) -> R<usize> {
    match *b.get(i + 1).ok_or(BAIL)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(i + 2),
        b'u' => {
            let hex = b.get(i + 2..i + 6).ok_or(BAIL)?;
            let mut v = 0u32;
            for &h in hex {
                v = v * 16 + (h as char).to_digit(16).ok_or(BAIL)?;
            }
            if (0xD800..0xE000).contains(&v) {
                return Err(BAIL);
            }
            Ok(i + 6)
        }
        _ => Err(BAIL),
    }
}

/// Skips the JSON value at `at` in `json`, nested `depth` deep, checked as the walkers check
/// it: the position after it; `None` where a walker would bail out.
pub(crate) fn skip_value(json: &str, at: usize, depth: u32) -> Option<usize> {
    let mut s = Scanner::new(json);
    s.i = at;
    s.value(depth).ok()?;
    Some(s.i)
}

/// A position in JSON text, and the grammar's pieces read from there.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    pub(crate) i: usize,
    /// Set when a string had an escape.
    pub(crate) escaped: bool,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            b: text.as_bytes(),
            i: 0,
            escaped: false,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn next(&mut self) -> R<u8> {
        let c = *self.b.get(self.i).ok_or(BAIL)?;
        self.i += 1;
        Ok(c)
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// At a `"`: skips the string and returns its content span and whether it has escapes.
    #[inline]
    fn string(&mut self) -> R<(usize, usize, bool)> {
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            self.i = string_stop(self.b, self.i).ok_or(BAIL)?;
            match self.b[self.i] {
                b'"' => {
                    let end = self.i;
                    self.i += 1;
                    return Ok((start, end, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                _ => return Err(BAIL),
            }
        }
    }

    /// At a `"`: skips the string, checking what [`Scanner::string`] checks (for a remembered
    /// layout, which needs no span).
    #[inline(always)]
    pub(crate) fn skip_string(&mut self) -> R<()> {
        self.i += 1;
        loop {
            self.i = string_stop(self.b, self.i).ok_or(BAIL)?;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Ok(());
                }
                b'\\' => self.escape()?,
                _ => return Err(BAIL),
            }
        }
    }

    /// At a `\`: checks one escape sequence (see [`escape_end`]).
    #[inline(always)]
    fn escape(&mut self) -> R<()> {
        self.escaped = true;
        self.i = escape_end(self.b, self.i)?;
        Ok(())
    }

    #[inline]
    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// A number, by JSON's grammar.
    #[inline(always)]
    pub(crate) fn number(&mut self) -> R<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(BAIL),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(BAIL);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(BAIL);
            }
        }
        Ok(())
    }

    fn literal(&mut self, lit: &[u8]) -> R<()> {
        if self.b[self.i..].starts_with(lit) {
            self.i += lit.len();
            Ok(())
        } else {
            Err(BAIL)
        }
    }

    /// Skips one value (after whitespace) at nesting `depth`.
    fn value(&mut self, depth: u32) -> R<()> {
        match self.peek().ok_or(BAIL)? {
            b'"' => self.string().map(drop),
            b'{' => self.skip_object(depth),
            b'[' => self.skip_array(depth),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    // skip_object, skip_array and object repeat the member loop on purpose: folding them into
    // one generic loop with a closure per member measured 2-8% slower in the classify benches.
    fn skip_object(&mut self, depth: u32) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(BAIL);
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(BAIL);
            }
            self.string()?;
            self.ws();
            if self.next()? != b':' {
                return Err(BAIL);
            }
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Ok(()),
                _ => return Err(BAIL),
            }
        }
    }

    fn skip_array(&mut self, depth: u32) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(BAIL);
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.next()? {
                b',' => continue,
                b']' => return Ok(()),
                _ => return Err(BAIL),
            }
        }
    }

    /// At a `{`: walks an object at trie node `node`, capturing what the plan names. `seen`
    /// holds the member keys met last time (see [`Shapes`]); an empty one remembers nothing.
    fn object(
        &mut self,
        plan: &Plan,
        node: usize,
        caps: &mut Captures<'a>,
        depth: u32,
        seen: &mut [[Seen; SHAPE_WAYS]],
    ) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(BAIL);
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let mut position = 0;
        loop {
            self.ws();
            let slot = (position < SHAPE_MEMBERS)
                .then_some(node * SHAPE_MEMBERS + position)
                .filter(|&k| k < seen.len());
            position += 1;
            let known =
                slot.and_then(|k| seen[k].iter().find(|s| s.matches(self.b, self.i)).copied());
            let child = match known {
                Some(s) => {
                    self.i += s.len as usize;
                    s.child.map(|c| c as usize)
                }
                None => {
                    if self.peek() != Some(b'"') {
                        return Err(BAIL);
                    }
                    let key_start = self.i;
                    let (ks, ke, escaped) = self.string()?;
                    if escaped {
                        return Err(BAIL);
                    }
                    self.ws();
                    if self.next()? != b':' {
                        return Err(BAIL);
                    }
                    let child = plan.nodes[node].child_at(self.b, ks, ke);
                    // Remembered only as written without spaces: `"key":`.
                    if let Some(k) = slot
                        && self.i == ke + 2
                        && let Some(s) = Seen::new(&self.b[key_start..self.i], child)
                    {
                        seen[k].copy_within(..SHAPE_WAYS - 1, 1);
                        seen[k][0] = s;
                    }
                    child
                }
            };
            self.ws();
            match child {
                None => self.value(depth + 1)?,
                Some(child) => {
                    let n = &plan.nodes[child];
                    let start = self.i;
                    for &c in &n.below {
                        caps[c] = None;
                    }
                    if !n.children.is_empty() && self.peek() == Some(b'{') {
                        self.object(plan, child, caps, depth + 1, seen)?;
                    } else {
                        self.value(depth + 1)?;
                    }
                    if let Some(c) = n.capture {
                        caps[c] = Some(&self.text[start..self.i]);
                    }
                }
            }
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Ok(()),
                _ => return Err(BAIL),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_stops_at_its_first_quote_backslash_or_control_byte_from_any_start() {
        // Every text length around the block sizes, every stop byte at every place (or none),
        // every start: against the byte-by-byte answer.
        for len in 0..50 {
            // Bytes from 0x80 up are no stops (UTF-8 text runs on).
            for stop in [
                None,
                Some(b'"'),
                Some(b'\\'),
                Some(b'\n'),
                Some(0x1f),
                Some(0xc3),
            ] {
                for at in 0..len.max(1) {
                    let mut b = vec![b'a'; len];
                    if let Some(c) = stop
                        && len > 0
                    {
                        b[at] = c;
                    }
                    for i in 0..=len {
                        let want = (i..len).find(|&k| vector::STOP[b[k] as usize]);
                        assert_eq!(
                            string_stop(&b, i),
                            want,
                            "len {len}, stop at {at}, from {i}"
                        );
                    }
                }
            }
        }
    }
}
