//! From one log line to a classified record: blank, malformed, unrecognized, or a request
//! with its time, API key, status, endpoint and response envelope.

use std::borrow::Cow;

use super::fast::{self, Fast};
use super::fields::{FieldMap, MAX_CAPTURES, Plan, Slot};
use super::gateway;
use super::json::{self, Serde, WalkError, Walker};
use super::layout::Matched;
use super::swar;
use super::time;
use crate::error::FieldError;

/// One error from an envelope's `errors` object (or one element of an `errors` array).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorItem<'a> {
    pub code: Option<Cow<'a, str>>,
    pub group: Option<Cow<'a, str>>,
    pub description: Option<Cow<'a, str>>,
    pub limit_type: Option<Cow<'a, str>>,
    pub retry_after: Option<Cow<'a, str>>,
}

impl<'a> ErrorItem<'a> {
    /// The item whose fields `text` gives, by the error plan's group (`ERR_CODE`...): one
    /// place for the order, whether the fields came from their own walk or the record's.
    fn of_fields(text: impl Fn(usize) -> Option<Cow<'a, str>>) -> ErrorItem<'a> {
        ErrorItem {
            code: text(ERR_CODE),
            group: text(ERR_GROUP),
            description: text(ERR_DESCRIPTION),
            limit_type: text(ERR_LIMIT_TYPE),
            retry_after: text(ERR_RETRY_AFTER),
        }
    }

    fn into_owned(self) -> ErrorItem<'static> {
        let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
        ErrorItem {
            code: own(self.code),
            group: own(self.group),
            description: own(self.description),
            limit_type: own(self.limit_type),
            retry_after: own(self.retry_after),
        }
    }
}

/// The API's response envelope: `{"isSuccess": .., "errors": ..}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// `None` when `isSuccess` is present but not a boolean.
    pub is_success: Option<bool>,
    pub errors: Vec<ErrorItem<'a>>,
}

/// A request found in a log line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record<'a> {
    /// Microseconds since the epoch: the object's time field, else the line prefix's timestamp.
    pub time: Option<i64>,
    pub key: Option<Cow<'a, str>>,
    pub status: Option<u16>,
    pub method: Option<Cow<'a, str>>,
    pub endpoint: Option<Cow<'a, str>>,
    pub envelope: Option<Envelope<'a>>,
}

impl Record<'_> {
    /// An error is an envelope saying `isSuccess: false`, or an HTTP status of 400 or more
    /// where the envelope is missing or does not say.
    pub fn is_error(&self) -> bool {
        match self.envelope.as_ref().and_then(|e| e.is_success) {
            Some(ok) => !ok,
            None => self.status.is_some_and(|s| s >= 400),
        }
    }

    /// The error items counted for this request: the envelope's, or none when it has none.
    pub fn error_items(&self) -> &[ErrorItem<'_>] {
        match &self.envelope {
            Some(e) if self.is_error() => &e.errors,
            _ => &[],
        }
    }
}

/// Why a line holds no usable JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    InvalidUtf8,
    NoObject,
    Json(String),
    TooLong(u64),
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Malformed::InvalidUtf8 => f.write_str("not valid UTF-8"),
            Malformed::NoObject => f.write_str("no JSON object on the line"),
            Malformed::Json(e) => write!(f, "invalid JSON: {e}"),
            Malformed::TooLong(n) => write!(f, "line of {n} bytes is longer than --max-line-bytes"),
        }
    }
}

/// The one bucket a line lands in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Blank,
    Malformed(Malformed),
    /// Valid JSON with neither an envelope nor an HTTP status.
    Unrecognized,
    Request(Record<'a>),
}

// Capture groups of the record plan: the slots first (by `Slot as usize`), then the root's
// own envelope fields.
const ROOT_IS_SUCCESS: usize = Slot::ALL.len();
const ROOT_ERRORS: usize = ROOT_IS_SUCCESS + 1;
// `isSuccess` and `errors` inside each envelope field, in the envelope slot's order, so an
// envelope held as an object is read in the same walk as the record.
const CAND_IS_SUCCESS: usize = ROOT_ERRORS + 1;
const CAND_ERRORS: usize = CAND_IS_SUCCESS + 1;
// The fields of an `errors` object, read in the record's walk too (a second walk of the
// object cost 2,000 instructions an error line): five groups for the root's `errors`, then
// five for the envelope fields' (one path per envelope field that has room, see
// `Extractor::new`).
const ROOT_ERR: usize = CAND_ERRORS + 1;
const CAND_ERR: usize = ROOT_ERR + ERR_FIELDS.len();
/// The error-item plan's paths, in the order of its groups (`ERR_CODE`...).
const ERR_FIELDS: [&str; 5] = [
    "code",
    "group",
    "description",
    "params.limit_type",
    "params.retry_after",
];
// Groups of the envelope plan.
const ENV_IS_SUCCESS: usize = 0;
const ENV_ERRORS: usize = 1;
// Groups of the error-item plan.
const ERR_CODE: usize = 0;
const ERR_GROUP: usize = 1;
const ERR_DESCRIPTION: usize = 2;
const ERR_LIMIT_TYPE: usize = 3;
const ERR_RETRY_AFTER: usize = 4;

/// The captures of a line against the record plan, as a walk fills them or as a matched
/// layout finds them in place.
trait Captured<'a> {
    /// The text of capture `c`, if the line has it.
    fn get(&self, c: usize) -> Option<&'a str>;
    /// Which captures of `plan`'s group `g` the line may have, in priority order.
    fn present<'s>(&'s self, plan: &'s Plan, g: usize) -> &'s [usize];
}

impl<'a> Captured<'a> for [Option<&'a str>; MAX_CAPTURES] {
    #[inline]
    fn get(&self, c: usize) -> Option<&'a str> {
        self[c]
    }

    #[inline]
    fn present<'s>(&'s self, plan: &'s Plan, g: usize) -> &'s [usize] {
        plan.group(g)
    }
}

impl<'a> Captured<'a> for Matched<'_, 'a> {
    #[inline]
    fn get(&self, c: usize) -> Option<&'a str> {
        Matched::get(self, c)
    }

    /// Only the captures the layout fills: the rest are empty on every line it matches.
    #[inline]
    fn present<'s>(&'s self, _: &'s Plan, g: usize) -> &'s [usize] {
        Matched::present(self, g)
    }
}

/// Turns lines into classified records; built once from the field map and shared by workers.
#[derive(Debug)]
pub struct Extractor {
    record: Plan,
    envelope: Plan,
    error: Plan,
    /// `errors` objects whose fields the record's walk reads: none (0), the root's (1), and
    /// those of the first `errors_read - 1` envelope fields.
    errors_read: usize,
    /// Whether the fields are the defaults, under which a line of the gateway's own layout
    /// is read straight (see [`gateway`]).
    gateway: bool,
    max_line: u64,
}

fn one(p: &str) -> Vec<Vec<String>> {
    vec![p.split('.').map(str::to_owned).collect()]
}

impl Extractor {
    pub fn new(fields: &FieldMap, max_line: u64) -> Result<Extractor, FieldError> {
        let mut groups: Vec<Vec<Vec<String>>> = Slot::ALL
            .iter()
            .map(|&s| fields.paths(s).to_vec())
            .collect();
        groups.push(one("isSuccess"));
        groups.push(one("errors"));
        let envelopes = fields.paths(Slot::Envelope);
        // `leaf` (dotted) inside each of the envelope fields `paths`.
        let inside = |paths: &[Vec<String>], leaf: &str| -> Vec<Vec<String>> {
            paths
                .iter()
                .map(|p| {
                    p.iter()
                        .cloned()
                        .chain(leaf.split('.').map(str::to_owned))
                        .collect()
                })
                .collect()
        };
        groups.push(inside(envelopes, "isSuccess"));
        groups.push(inside(envelopes, "errors"));
        let envelope = Plan::new(&[one("isSuccess"), one("errors")])?;
        let error = Plan::new(&ERR_FIELDS.map(one))?;
        // The error fields inside the root's `errors` and the envelope fields' as far as the
        // captures allow (the defaults leave room for the first four envelope fields); an
        // `errors` object without them is walked on its own, as an array always is.
        let mut record = None;
        for read in (1..=envelopes.len() + 1).rev() {
            let mut all = groups.clone();
            all.extend(ERR_FIELDS.map(|f| one(&format!("errors.{f}"))));
            all.extend(ERR_FIELDS.map(|f| inside(&envelopes[..read - 1], &format!("errors.{f}"))));
            match Plan::new(&all) {
                Ok(plan) => {
                    record = Some((plan, read));
                    break;
                }
                Err(FieldError::TooMany(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        let (record, errors_read) = match record {
            Some(r) => r,
            None => (Plan::new(&groups)?, 0),
        };
        Ok(Extractor {
            record,
            envelope,
            error,
            errors_read,
            gateway: *fields == FieldMap::default(),
            max_line,
        })
    }

    /// The longest line accepted, in bytes (without its line end).
    pub fn max_line(&self) -> u64 {
        self.max_line
    }

    /// Classifies one line (without its `\n`; a trailing `\r` is allowed).
    pub fn classify<'a>(&self, line: &'a [u8]) -> Line<'a> {
        self.classify_with(line, true)
    }

    /// Like [`Extractor::classify`] for a line already known to be UTF-8 (its whole chunk was
    /// checked at once, which costs less than a check per line).
    pub fn classify_str<'a>(&self, line: &'a str) -> Line<'a> {
        self.classify_str_after(line, false)
    }

    /// [`Extractor::classify_str`], told whether the gateway's reader has already left the
    /// line at its start (in a chunk: it reads the lines `gateway::read` reads, so a line that
    /// starts with `{` need not be tried again).
    #[inline]
    fn classify_str_after<'a>(&self, line: &'a str, gateway_left: bool) -> Line<'a> {
        match self.prepare_str(line) {
            Ok((None, json)) if gateway_left && json.len() == line.len() => {
                self.extract_walked(None, json, true)
            }
            Ok((prefix_time, json)) => self.extract_any(prefix_time, json, true),
            Err(done) => done,
        }
    }

    fn extract_any<'a>(&self, prefix_time: Option<i64>, json: &'a str, fast: bool) -> Line<'a> {
        if fast && let Some(line) = self.extract_gateway(prefix_time, json) {
            return line;
        }
        self.extract_walked(prefix_time, json, fast)
    }

    /// [`Extractor::extract_any`] past the gateway's reader: the layouts and the walkers.
    fn extract_walked<'a>(&self, prefix_time: Option<i64>, json: &'a str, fast: bool) -> Line<'a> {
        if fast && let Ok(line) = self.extract_fast(prefix_time, json) {
            return line;
        }
        match self.extract_serde(prefix_time, json) {
            Ok(line) => line,
            Err(_) => unreachable!("the reference walker never bails"),
        }
    }

    /// Classifies with the reference walker only (`fast = false`), or the fast walker first.
    /// The results are the same; this exists to prove it.
    pub fn classify_with<'a>(&self, line: &'a [u8], fast: bool) -> Line<'a> {
        match self.prepare(line) {
            Err(done) => done,
            Ok((prefix_time, json)) => self.extract_any(prefix_time, json, fast),
        }
    }

    /// The fast walker alone: `None` where it leaves the line to the reference walker.
    pub fn classify_fast_only<'a>(&self, line: &'a [u8]) -> Option<Line<'a>> {
        match self.prepare(line) {
            Err(done) => Some(done),
            Ok((prefix_time, json)) => self.extract_fast(prefix_time, json).ok(),
        }
    }

    /// The gateway's reader alone: `None` where it leaves the line to the walkers (another
    /// layout, or fields other than the defaults), and for the lines settled before any JSON
    /// is read (blank, too long, not UTF-8, no object), which it never sees.
    pub fn classify_gateway_only<'a>(&self, line: &'a [u8]) -> Option<Line<'a>> {
        match self.prepare(line) {
            Err(_) => None,
            Ok((prefix_time, json)) => self.extract_gateway(prefix_time, json),
        }
    }

    /// The checks before any JSON: blank, too long, UTF-8, where the object starts.
    /// `Err` holds a finished classification, not a failure, so its size does not matter.
    #[allow(clippy::result_large_err)]
    fn prepare<'a>(&self, line: &'a [u8]) -> Result<(Option<i64>, &'a str), Line<'a>> {
        if line
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c'))
        {
            return Err(Line::Blank);
        }
        if line.len() as u64 > self.max_line {
            return Err(Line::Malformed(Malformed::TooLong(line.len() as u64)));
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return Err(Line::Malformed(Malformed::InvalidUtf8));
        };
        let text = text.trim_start_matches(['\u{feff}', ' ', '\t']);
        split_prefix(text).ok_or(Line::Malformed(Malformed::NoObject))
    }

    /// [`Extractor::prepare`] without the UTF-8 check.
    #[allow(clippy::result_large_err)]
    fn prepare_str<'a>(&self, line: &'a str) -> Result<(Option<i64>, &'a str), Line<'a>> {
        // The common case first: a line that is a JSON object (trimming cost 1.5% of a run).
        if line.starts_with('{') && line.len() as u64 <= self.max_line {
            return Ok((None, line));
        }
        if line
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c'))
        {
            return Err(Line::Blank);
        }
        if line.len() as u64 > self.max_line {
            return Err(Line::Malformed(Malformed::TooLong(line.len() as u64)));
        }
        let text = line.trim_start_matches(['\u{feff}', ' ', '\t']);
        split_prefix(text).ok_or(Line::Malformed(Malformed::NoObject))
    }

    /// Extracts the record from a line's JSON text with the reference walker (the fast one
    /// goes through [`Extractor::extract_fast`]).
    fn extract_serde<'a>(
        &self,
        prefix_time: Option<i64>,
        json: &'a str,
    ) -> Result<Line<'a>, WalkError> {
        let mut caps: [Option<&'a str>; MAX_CAPTURES] = [None; MAX_CAPTURES];
        let walked = Serde::object(&self.record, json, &mut caps[..self.record.captures()]);
        self.interpret_walk::<Serde>(prefix_time, walked, &caps)
    }

    /// Extracts the record with the fast walker: read in place when the line matches a
    /// remembered layout (no array of captures is filled), walked otherwise.
    fn extract_fast<'a>(
        &self,
        prefix_time: Option<i64>,
        json: &'a str,
    ) -> Result<Line<'a>, WalkError> {
        let read = |m: &Matched<'_, 'a>| self.interpret::<Fast, _>(prefix_time, m, m.escapes);
        if let Some(line) = fast::with_layout(&self.record, json, read) {
            return line;
        }
        let mut caps: [Option<&'a str>; MAX_CAPTURES] = [None; MAX_CAPTURES];
        let walked = fast::walk_top(&self.record, json, &mut caps[..self.record.captures()]);
        self.interpret_walk::<Fast>(prefix_time, walked, &caps)
    }

    /// The record of a line of the gateway's own layout, read straight (see [`gateway`]): what
    /// [`Extractor::interpret`] makes of the same captures under the default fields. Each value
    /// read is its slot's first default path, and the line holds no other path of any slot nor
    /// a root `isSuccess` or `errors`, so a value that does not parse leaves its slot empty
    /// there too, and `response` is the envelope.
    #[inline]
    fn extract_gateway<'a>(&self, prefix_time: Option<i64>, json: &'a str) -> Option<Line<'a>> {
        if !self.gateway {
            return None;
        }
        Some(gateway_record(prefix_time, gateway::read(json)?))
    }

    /// A line of the gateway's own layout at the start of `text` (a chunk's lines from there
    /// on, known to be UTF-8), read without looking for its end first (see
    /// [`gateway::read_line`]): what [`Extractor::classify_str`] makes of the line, and the
    /// line's length without its `\n`. `None`: not such a line; classify the line as usual
    /// ([`Extractor::classify_next_line`] does both).
    #[inline(always)]
    pub fn classify_gateway_line<'a>(&self, text: &'a str) -> Option<(Line<'a>, usize)> {
        if !self.gateway {
            return None;
        }
        let (f, len) = gateway::read_line(text)?;
        // As `prepare_str`'s shortcut: a line that starts with `{` (so no prefix time) and is
        // not too long goes straight to the readers; a longer one is malformed, as before.
        if len as u64 > self.max_line {
            return None;
        }
        Some((gateway_record(None, f), len))
    }

    /// The first line of `text` (a chunk's lines from there on, known to be UTF-8), as
    /// [`Extractor::classify_str`] classifies it, and its length without its `\n`. A line of
    /// the gateway's own layout is read before its end is known: its reader finds the end
    /// (searching for it first was 4% of a run); other lines' ends are searched for first.
    /// Always inline: called, it returned the record through the stack, and the worker's
    /// first read of it waited on the stores (about 4% of a run).
    #[inline(always)]
    pub fn classify_next_line<'a>(&self, text: &'a str) -> (Line<'a>, usize) {
        if let Some(read) = self.classify_gateway_line(text) {
            return read;
        }
        let len = memchr::memchr(b'\n', text.as_bytes()).unwrap_or(text.len());
        (self.classify_str_after(&text[..len], self.gateway), len)
    }

    /// The record from a walk's result and captures.
    fn interpret_walk<'a, W: Walker>(
        &self,
        prefix_time: Option<i64>,
        walked: Result<json::Escapes, WalkError>,
        caps: &[Option<&'a str>; MAX_CAPTURES],
    ) -> Result<Line<'a>, WalkError> {
        match walked {
            Ok(escapes) => self.interpret::<W, _>(prefix_time, caps, escapes),
            Err(WalkError::Invalid(e)) => Ok(Line::Malformed(Malformed::Json(e))),
            Err(WalkError::Bail) => Err(WalkError::Bail),
        }
    }

    /// The record from the captures of the record plan (`W` walks the values read further).
    /// `gateway_record` (for [`Extractor::extract_gateway`] and
    /// [`Extractor::classify_gateway_line`]) makes a gateway line's record as this does under
    /// the default fields: keep the two in step (tests/extract_agrees.rs checks them).
    fn interpret<'a, W: Walker, C: Captured<'a>>(
        &self,
        prefix_time: Option<i64>,
        caps: &C,
        escapes: json::Escapes,
    ) -> Result<Line<'a>, WalkError> {
        let plan = &self.record;
        let first = |g: usize| caps.present(plan, g).iter().filter_map(|&c| caps.get(c));

        let envelope = match caps.get(plan.group(ROOT_IS_SUCCESS)[0]) {
            Some(is_success) => Some(Envelope {
                is_success: json::as_bool(is_success),
                errors: match caps.get(plan.group(ROOT_ERRORS)[0]) {
                    Some(e) => self.errors_of::<W, C>(e, caps, self.read_fields(None), escapes)?,
                    None => Vec::new(),
                },
            }),
            None => {
                let mut found = None;
                let fields = plan.group(Slot::Envelope as usize);
                for (k, &c) in fields.iter().enumerate() {
                    let Some(raw) = caps.get(c) else { continue };
                    if raw.starts_with('{') {
                        // Read in the record's walk: an object with `isSuccess` is the envelope.
                        let Some(ok) = caps.get(plan.group(CAND_IS_SUCCESS)[k]) else {
                            continue;
                        };
                        found = Some(Envelope {
                            is_success: json::as_bool(ok),
                            errors: match caps.get(plan.group(CAND_ERRORS)[k]) {
                                Some(e) => {
                                    let fields = self.read_fields(Some(k));
                                    self.errors_of::<W, C>(e, caps, fields, escapes)?
                                }
                                None => Vec::new(),
                            },
                        });
                        break;
                    }
                    if let Some(env) = self.nested_envelope::<W>(raw)? {
                        found = Some(env);
                        break;
                    }
                }
                found
            }
        };
        let status = first(Slot::Status as usize).find_map(parse_status);
        if envelope.is_none() && status.is_none() {
            return Ok(Line::Unrecognized);
        }
        let time = first(Slot::Time as usize)
            .find_map(|r| parse_time_of(r, escapes))
            .or(prefix_time);
        let key = first(Slot::Key as usize)
            .find_map(|r| key_of(r, escapes))
            .or_else(|| first(Slot::Authorization as usize).find_map(bearer_token));
        let method = first(Slot::Method as usize).find_map(|r| method_of(r, escapes));
        let endpoint = first(Slot::Endpoint as usize).find_map(|r| endpoint_of(r, escapes));
        Ok(Line::Request(Record {
            time,
            key,
            status,
            method,
            endpoint,
            envelope,
        }))
    }

    /// An envelope held by a field: a nested object, or a string of JSON, with `isSuccess`.
    fn nested_envelope<'a, W: Walker>(
        &self,
        raw: &'a str,
    ) -> Result<Option<Envelope<'a>>, WalkError> {
        if raw.starts_with('{') {
            return self.envelope_of::<W>(raw);
        }
        let Some(s) = json::as_str(raw) else {
            return Ok(None);
        };
        if !s.trim_start().starts_with('{') {
            return Ok(None);
        }
        Ok(self.envelope_of::<W>(&s)?.map(|env| Envelope {
            is_success: env.is_success,
            errors: env.errors.into_iter().map(ErrorItem::into_owned).collect(),
        }))
    }

    fn envelope_of<'a, W: Walker>(&self, json: &'a str) -> Result<Option<Envelope<'a>>, WalkError> {
        let mut caps = [None; 2];
        match W::object(&self.envelope, json, &mut caps) {
            Ok(_) => {}
            Err(WalkError::Invalid(_)) => return Ok(None),
            Err(WalkError::Bail) => return Err(WalkError::Bail),
        }
        let Some(is_success) = caps[self.envelope.group(ENV_IS_SUCCESS)[0]] else {
            return Ok(None);
        };
        Ok(Some(Envelope {
            is_success: json::as_bool(is_success),
            errors: match caps[self.envelope.group(ENV_ERRORS)[0]] {
                Some(e) => self.error_items::<W>(e)?,
                None => Vec::new(),
            },
        }))
    }

    /// The captures of the fields of the root's `errors` object (`None`) or envelope field
    /// `k`'s, when the record's walk reads them.
    fn read_fields(&self, envelope: Option<usize>) -> Option<[usize; ERR_FIELDS.len()]> {
        let (first, k, read) = match envelope {
            None => (ROOT_ERR, 0, self.errors_read >= 1),
            Some(k) => (CAND_ERR, k, k + 1 < self.errors_read),
        };
        read.then(|| std::array::from_fn(|f| self.record.group(first + f)[k]))
    }

    /// The items of the `errors` value `raw`: for an object whose fields the record's walk
    /// read (their captures in `fields`), the item is made from those; otherwise as
    /// [`Extractor::error_items`] does.
    fn errors_of<'a, W: Walker, C: Captured<'a>>(
        &self,
        raw: &'a str,
        caps: &C,
        fields: Option<[usize; ERR_FIELDS.len()]>,
        escapes: json::Escapes,
    ) -> Result<Vec<ErrorItem<'a>>, WalkError> {
        match fields {
            Some(at) if raw.starts_with('{') => {
                let text = |f: usize| caps.get(at[f]).and_then(|r| json::as_text_of(r, escapes));
                Ok(vec![ErrorItem::of_fields(text)])
            }
            _ => self.error_items::<W>(raw),
        }
    }

    /// The items of an `errors` value: one for an object, one per element of an array.
    fn error_items<'a, W: Walker>(&self, raw: &'a str) -> Result<Vec<ErrorItem<'a>>, WalkError> {
        if raw.starts_with('{') {
            return Ok(vec![self.error_item::<W>(raw)?]);
        }
        if !raw.starts_with('[') {
            return Ok(Vec::new());
        }
        let mut items = Vec::new();
        match W::array(raw, &mut items) {
            Ok(()) => {}
            Err(WalkError::Invalid(_)) => return Ok(Vec::new()),
            Err(WalkError::Bail) => return Err(WalkError::Bail),
        }
        items
            .into_iter()
            .map(|i| {
                if i.starts_with('{') {
                    self.error_item::<W>(i)
                } else {
                    Ok(ErrorItem::default())
                }
            })
            .collect()
    }

    fn error_item<'a, W: Walker>(&self, json: &'a str) -> Result<ErrorItem<'a>, WalkError> {
        let mut caps = [None; 5];
        match W::object(&self.error, json, &mut caps) {
            Ok(_) => {}
            Err(WalkError::Invalid(_)) => return Ok(ErrorItem::default()),
            Err(WalkError::Bail) => return Err(WalkError::Bail),
        }
        let text = |g: usize| caps[self.error.group(g)[0]].and_then(json::as_text);
        Ok(ErrorItem::of_fields(text))
    }
}

/// Finds the JSON object on a line: at its start, or after a prefix (an RFC 3339 timestamp
/// as `kubectl logs --timestamps` writes it, or any other text) at the first `{`.
fn split_prefix(text: &str) -> Option<(Option<i64>, &str)> {
    if text.starts_with('{') {
        return Some((None, text));
    }
    let prefix_time = time::parse_rfc3339_prefix(text.as_bytes())
        .filter(|&(_, used)| {
            text.as_bytes()
                .get(used)
                .is_some_and(|b| b.is_ascii_whitespace())
        })
        .map(|(t, _)| t);
    let start = text.find('{')?;
    Some((prefix_time, &text[start..]))
}

/// The record of a gateway line's values (see [`Extractor::extract_gateway`]).
#[inline(always)]
fn gateway_record<'a>(prefix_time: Option<i64>, f: gateway::Fields<'a>) -> Line<'a> {
    // The values read are strings without a backslash, numbers and literals.
    let escapes = json::Escapes::None;
    let errors = match f.errors {
        Some(fields) => vec![ErrorItem::of_fields(|k| {
            fields[k].and_then(|r| json::as_text_of(r, escapes))
        })],
        None => Vec::new(),
    };
    Line::Request(Record {
        time: parse_time_of(f.ts, escapes).or(prefix_time),
        key: f.key.and_then(|r| key_of(r, escapes)),
        status: parse_status(f.status),
        method: method_of(f.method, escapes),
        endpoint: endpoint_of(f.path, escapes),
        envelope: Some(Envelope {
            is_success: json::as_bool(f.is_success),
            errors,
        }),
    })
}

/// An API key from a key field's raw value: a string or a number, not blank.
/// ([`Extractor::interpret`] and `gateway_record` share these, so that both read a value
/// alike.)
#[inline]
fn key_of(raw: &str, escapes: json::Escapes) -> Option<Cow<'_, str>> {
    json::as_text_of(raw, escapes).filter(|k| !super::trim(k).is_empty())
}

/// A method from a method field's raw value: a string, not empty.
#[inline]
fn method_of(raw: &str, escapes: json::Escapes) -> Option<Cow<'_, str>> {
    json::as_str_of(raw, escapes).filter(|m| !m.is_empty())
}

/// An endpoint's path from an endpoint field's raw value (see [`endpoint_path`]).
#[inline]
fn endpoint_of(raw: &str, escapes: json::Escapes) -> Option<Cow<'_, str>> {
    json::as_str_of(raw, escapes).and_then(endpoint_path)
}

/// An HTTP status from a number or a numeric string, 0 to 999.
#[inline]
pub fn parse_status(raw: &str) -> Option<u16> {
    // The common case, inline: a number of three digits.
    if let &[a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] = raw.as_bytes() {
        return Some((a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16);
    }
    parse_status_text(raw)
}

/// [`parse_status`] past the common case.
#[inline(never)]
fn parse_status_text(raw: &str) -> Option<u16> {
    let t = json::as_text(raw)?;
    let t = super::trim(&t);
    let v: u64 = match t.parse::<u64>() {
        Ok(v) => v,
        Err(_) => {
            let f: f64 = t.parse().ok()?;
            if f.fract() != 0.0 || !(0.0..1000.0).contains(&f) {
                return None;
            }
            f as u64
        }
    };
    (v < 1000).then_some(v as u16)
}

/// A time from an RFC 3339 string, or an epoch number (or numeric string) by magnitude.
pub fn parse_time(raw: &str) -> Option<i64> {
    parse_time_of(raw, json::Escapes::Maybe)
}

/// [`parse_time`], its string read with [`json::as_str_of`]. An RFC 3339 string is read
/// inline (a call a line was 2.6% of a run); an epoch in a string out of line.
#[inline(always)]
fn parse_time_of(raw: &str, escapes: json::Escapes) -> Option<i64> {
    if json::is_number(raw) {
        return time::parse_epoch_text(raw);
    }
    let s = json::as_str_of(raw, escapes)?;
    let s = super::trim(&s);
    // Starting like `YYYY-`: RFC 3339, never an epoch.
    if s.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && s.len() > 4
        && s.as_bytes()[4] == b'-'
    {
        match time::parse_rfc3339_prefix(s.as_bytes()) {
            Some((v, used)) if used == s.len() => Some(v),
            _ => None,
        }
    } else {
        parse_epoch_str(s)
    }
}

/// An epoch in a string: digits, `.` and `-` only.
#[inline(never)]
fn parse_epoch_str(s: &str) -> Option<i64> {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        time::parse_epoch_text(s)
    } else {
        None
    }
}

/// The token of a `Bearer <token>` value.
fn bearer_token(raw: &str) -> Option<Cow<'_, str>> {
    let s = json::as_str(raw)?;
    let t = s.trim();
    if !t
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
    {
        return None;
    }
    let token = t[7..].trim();
    if token.is_empty() {
        return None;
    }
    Some(match s {
        Cow::Borrowed(b) => {
            let start = token.as_ptr() as usize - b.as_ptr() as usize;
            Cow::Borrowed(&b[start..start + token.len()])
        }
        Cow::Owned(_) => Cow::Owned(token.to_owned()),
    })
}

/// The path of an endpoint: scheme and host dropped from a full URL, query and fragment dropped.
// Always inline, as the PGO build has it (see `Aggregate::add_hinted`).
#[inline(always)]
pub fn endpoint_path(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let full = s.as_ref();
    let mut start = 0;
    if !full.starts_with('/')
        && let Some(i) = full.find("://")
    {
        start = full[i + 3..]
            .find('/')
            .map(|j| i + 3 + j)
            .unwrap_or(full.len());
    }
    let end = query_or_fragment(&full.as_bytes()[start..]).map_or(full.len(), |j| start + j);
    if start == end {
        // A bare host means the root path; an empty string means no endpoint.
        return (start > 0).then_some(Cow::Borrowed("/"));
    }
    Some(match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[start..end]),
        Cow::Owned(o) => Cow::Owned(o[start..end].to_owned()),
    })
}

/// Where a path's query (`?`) or fragment (`#`) starts, eight bytes at a time (a byte-by-byte
/// search was 1.5% of a run).
#[inline]
fn query_or_fragment(b: &[u8]) -> Option<usize> {
    let find = |at: usize| {
        let w = swar::word(&b[at..at + 8]);
        let hits = swar::equal(w, b'?') | swar::equal(w, b'#');
        (hits != 0).then(|| at + swar::first(hits))
    };
    if b.len() < 8 {
        return b.iter().position(|&c| c == b'?' || c == b'#');
    }
    // The last word overlaps the one before, whose bytes hold neither: its first hit is
    // the path's first.
    swar::find_words(b.len(), find)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::FieldMap;

    #[test]
    fn times_from_rfc_3339_strings_and_epochs() {
        let t = 1_795_514_400_000_000i64; // 2026-11-24T10:00:00Z
        let cases = [
            (r#""2026-11-24T10:00:00Z""#, Some(t)),
            (r#"" 2026-11-24T10:00:00.5Z ""#, Some(t + 500_000)),
            (r#""2026-11-24T1\u0030:00:00Z""#, Some(t)),
            (r#""2026-11-24T10:00:00Z x""#, None),
            (r#""2026-13-24T10:00:00Z""#, None),
            (r#""2026-11""#, None),
            ("1795514400", Some(t)),
            ("1795514400000", Some(t)),
            ("1795514400.25", Some(t + 250_000)),
            (r#""1795514400""#, Some(t)),
            (r#""2026""#, Some(2_026_000_000)),
            (r#""""#, None),
            ("true", None),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_time(raw), want, "{raw}");
        }
    }

    #[test]
    fn errors_read_in_the_record_walk_are_the_items_of_their_own_walk() {
        let ex = Extractor::new(&FieldMap::default(), 1 << 16).unwrap();
        // The defaults read the root's errors and the first four envelope fields' in the
        // record's walk, which then holds every capture it can; `resp` is walked on its own.
        assert!(ex.read_fields(None).is_some());
        assert!(ex.read_fields(Some(3)).is_some());
        assert!(ex.read_fields(Some(4)).is_none());
        assert_eq!(ex.record.captures(), MAX_CAPTURES);
        let errors = [
            r#"{"code":"RATE_001","group":"TOO_MANY_REQUESTS","description":"Rate limit exceeded","params":{"limit_type":"sec","retry_after":"1 seconds"}}"#,
            r#"{"code":"AUTH_\u0030\u00301","description":"a \"quoted\" word\n","group":7}"#,
            r#"{"code":"A","code":"B","params":{"limit_type":"min"},"params":{"retry_after":2}}"#,
            r#"{"params":{"retry_after":{"x":1}},"code":null,"group":["G"],"extra":{"code":"no"}}"#,
            r#"{}"#,
            r#"[{"code":"X1"},{"code":"X2","params":{"retry_after":"3s"}},"oops",{}]"#,
            r#""not an object""#,
        ];
        for e in errors {
            let want = ex.error_items::<Serde>(e).unwrap();
            let lines = [
                format!(r#"{{"status":429,"isSuccess":false,"errors":{e}}}"#),
                format!(r#"{{"status":429,"response":{{"isSuccess":false,"errors":{e}}}}}"#),
                format!(r#"{{"body":{{"errors":{e},"isSuccess":false}},"status":429}}"#),
                format!(r#"{{"status":429,"resp":{{"isSuccess":false,"errors":{e}}}}}"#),
                format!(r#"{{"errors":{e},"isSuccess":false,"errors":{e}}}"#),
            ];
            for line in &lines {
                for fast in [true, false] {
                    let Line::Request(rec) = ex.classify_with(line.as_bytes(), fast) else {
                        panic!("{line}");
                    };
                    let got = rec.envelope.map(|env| env.errors);
                    assert_eq!(got.as_ref(), Some(&want), "{line} (fast: {fast})");
                }
            }
        }
        // A later `errors` replaces an earlier one, fields and all.
        let line = r#"{"isSuccess":false,"errors":{"code":"A","group":"G"},"errors":{"code":"B"}}"#;
        let Line::Request(rec) = ex.classify(line.as_bytes()) else {
            panic!("{line}");
        };
        let items = rec.envelope.unwrap().errors;
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].code.as_deref(), Some("B"));
        assert_eq!(items[0].group, None);
    }

    #[test]
    fn query_or_fragment_finds_the_first_like_a_byte_loop() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'?' || c == b'#');
        // Fillers next to '?' (0x3f) and '#' (0x23) in value, and bytes above 0x7f, where a
        // borrow between bytes could flag the wrong one.
        let fillers: [&[u8]; 4] = [
            b"/v1/messages",
            b"\x22\x24\x3e\x40",
            "é/ü".as_bytes(),
            b"\0",
        ];
        for filler in fillers {
            for len in 0..40 {
                let base: Vec<u8> = filler.iter().copied().cycle().take(len).collect();
                assert_eq!(query_or_fragment(&base), naive(&base));
                for at in 0..len {
                    for (mark, second) in [(b'?', None), (b'#', None), (b'#', Some(b'?'))] {
                        let mut b = base.clone();
                        b[at] = mark;
                        if let Some(s) = second {
                            b[len - 1] = s;
                        }
                        assert_eq!(query_or_fragment(&b), naive(&b), "{b:?}");
                    }
                }
            }
        }
        assert_eq!(
            endpoint_path(Cow::Borrowed("https://api.example.com/v1/messages?x=1#y")).as_deref(),
            Some("/v1/messages")
        );
    }
}
