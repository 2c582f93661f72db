//! Property test: the borrowed extractor (which captures raw values and skips the rest) gives
//! the same record as a plain, obviously-correct lookup over a fully parsed `serde_json::Value`,
//! on generated lines with escapes, odd whitespace, any key order, prefixes and corruption.

mod util;

use std::borrow::Cow;

use errlens::extract::record::endpoint_path;
use errlens::extract::time::{epoch_float_to_micros, epoch_integer_to_micros};
use errlens::extract::{Envelope, ErrorItem, Extractor, FieldMap, Line, Record};
use proptest::prelude::*;
use serde_json::Value;

/// A JSON value to write out in many textual forms.
#[derive(Clone, Debug)]
enum J {
    Null,
    Bool(bool),
    Num(&'static str),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// How to write it: whitespace and escapes chosen from a seed.
struct Style(u64, bool);

impl Style {
    fn new(seed: u64) -> Style {
        Style(seed, seed.is_multiple_of(8))
    }

    fn pick(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
    fn ws(&mut self, out: &mut String) {
        match self.pick(6) {
            0 => out.push(' '),
            1 => out.push_str(" \t "),
            _ => {}
        }
    }
    /// Keys get `\u` escapes on one line in eight: rare in real logs, and the fast walker
    /// leaves such lines to the reference walker.
    fn key(&mut self, s: &str, out: &mut String) {
        if self.1 {
            self.string(s, out)
        } else {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
    }

    fn string(&mut self, s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                '/' if self.pick(2) == 0 => out.push_str("\\/"),
                c if self.pick(5) == 0 => {
                    let mut buf = [0u16; 2];
                    for u in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{:04X}", u));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
    fn write(&mut self, j: &J, out: &mut String) {
        match j {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
            J::Str(s) => self.string(s, out),
            J::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.ws(out);
                    self.write(v, out);
                    self.ws(out);
                }
                out.push(']');
            }
            J::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.ws(out);
                    self.key(k, out);
                    self.ws(out);
                    out.push(':');
                    self.ws(out);
                    self.write(v, out);
                    self.ws(out);
                }
                out.push('}');
            }
        }
    }
}

const NAMES: &[&str] = &[
    "ts",
    "timestamp",
    "time",
    "@timestamp",
    "date",
    "api_key",
    "apiKey",
    "key_id",
    "key",
    "client_id",
    "headers",
    "authorization",
    "Authorization",
    "status",
    "status_code",
    "statusCode",
    "http_status",
    "path",
    "route",
    "endpoint",
    "url",
    "method",
    "response",
    "body",
    "response_body",
    "responseBody",
    "resp",
    "isSuccess",
    "errors",
    "code",
    "group",
    "description",
    "params",
    "limit_type",
    "retry_after",
    "data",
    "level",
    "msg",
];

const STRINGS: &[&str] = &[
    "RATE_001",
    "AUTH_001",
    "GW_001",
    "Bearer abc123",
    "bearer  tok-9 ",
    "Token x",
    "Bearer ",
    "2026-11-24T10:00:00Z",
    "2026-11-24T10:00:00.123456789+03:00",
    "2026-11-24 23:59:59",
    "2026-02-30T00:00:00Z",
    "1764000000",
    "1764000000123",
    "/v1/messages?x=1",
    "https://h.example/v1/a#frag",
    "https://h.example",
    "true",
    "false",
    "429",
    " 502 ",
    "",
    "  ",
    "POST",
    "wk_live_0123456789abcdef",
    "héllo ✓",
    "a\"b\\c/d",
    "1 seconds",
    "sec",
    "{\"isSuccess\":false,\"errors\":{\"code\":\"X_1\",\"group\":\"G\"}}",
    "{\"isSuccess\":true}",
    " {\"isSuccess\":\"false\",\"errors\":[{\"code\":\"RATE_001\"},3]}",
    "<html>502</html>",
    "{\"other\":1}",
];

const NUMBERS: &[&str] = &[
    "200",
    "429",
    "502",
    "0",
    "999",
    "1000",
    "-3",
    "429.0",
    "429.5",
    "1764000000",
    "1764000000123",
    "1764000000123456",
    "1764000000123456789",
    "1.7640000005e9",
    "12345",
    "1e2",
];

fn leaf() -> impl Strategy<Value = J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        prop::sample::select(NUMBERS).prop_map(J::Num),
        prop::sample::select(STRINGS).prop_map(|s| J::Str(s.to_owned())),
        "[a-zA-Z0-9 _\\-:.{}\"\\\\é]{0,12}".prop_map(J::Str),
    ]
}

fn value() -> impl Strategy<Value = J> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
            prop::collection::vec((prop::sample::select(NAMES), inner), 0..6)
                .prop_map(|m| { J::Obj(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()) }),
        ]
    })
}

fn s(v: &str) -> J {
    J::Str(v.to_owned())
}

/// An error envelope or a success envelope, as the gateway writes them.
fn envelope() -> impl Strategy<Value = J> {
    (
        any::<bool>(),
        prop::sample::select(STRINGS),
        prop::sample::select(STRINGS),
        0u8..4,
        leaf(),
    )
        .prop_map(|(ok, code, group, shape, odd)| {
            let item = |code: &str| {
                J::Obj(vec![
                    ("code".into(), s(code)),
                    ("group".into(), s(group)),
                    (
                        "params".into(),
                        J::Obj(vec![
                            ("limit_type".into(), s("sec")),
                            ("retry_after".into(), s("1 seconds")),
                        ]),
                    ),
                ])
            };
            let errors = match shape {
                0 => J::Arr(vec![item(code), item("RATE_001"), odd.clone()]),
                1 => odd.clone(),
                _ => item(code),
            };
            J::Obj(vec![
                ("isSuccess".into(), J::Bool(ok)),
                ("errors".into(), errors),
            ])
        })
}

/// A request record with plausible fields, some of them odd.
fn record() -> impl Strategy<Value = J> {
    (
        prop::sample::select(vec!["ts", "timestamp", "time", "@timestamp", "date"]),
        leaf(),
        prop::sample::select(vec!["api_key", "apiKey", "key_id", "key", "client_id", "x"]),
        leaf(),
        prop::sample::select(vec![
            "status",
            "status_code",
            "statusCode",
            "http_status",
            "x",
        ]),
        leaf(),
        prop::sample::select(vec![
            "response",
            "body",
            "response_body",
            "responseBody",
            "resp",
            "isSuccess",
        ]),
        envelope(),
        0u8..3,
        prop::collection::vec((prop::sample::select(NAMES), value()), 0..3),
    )
        .prop_map(|(tn, tv, kn, kv, sn, sv, en, env, how, extra)| {
            let inline = env.clone();
            let env = match (en, how) {
                ("isSuccess", _) => None,
                (_, 0) => {
                    let mut text = String::new();
                    Style::new(7).write(&env, &mut text);
                    Some(J::Str(text))
                }
                _ => Some(env.clone()),
            };
            let mut m = vec![
                (tn.to_owned(), tv),
                (kn.to_owned(), kv),
                (sn.to_owned(), sv),
            ];
            match env {
                Some(e) => m.push((en.to_owned(), e)),
                None => {
                    if let J::Obj(members) = inline {
                        m.extend(members);
                    }
                }
            }
            m.push((
                "headers".into(),
                J::Obj(vec![("authorization".into(), s("Bearer tok_1234"))]),
            ));
            m.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
            m
        })
        .prop_shuffle()
        .prop_map(dedup)
}

fn dedup(m: Vec<(String, J)>) -> J {
    let mut seen = std::collections::HashSet::new();
    J::Obj(
        m.into_iter()
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect(),
    )
}

/// A top-level object: a plausible record, or any mix of the known field names.
fn object() -> impl Strategy<Value = J> {
    prop_oneof![record(), random_object()]
}

fn random_object() -> impl Strategy<Value = J> {
    prop::collection::vec((prop::sample::select(NAMES), value()), 0..10).prop_map(|m| {
        let mut seen = std::collections::HashSet::new();
        J::Obj(
            m.into_iter()
                .filter(|(k, _)| seen.insert(*k))
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    })
}

fn line() -> impl Strategy<Value = Vec<u8>> {
    (
        object(),
        any::<u64>(),
        prop::sample::select(vec![
            "",
            "2026-11-24T10:00:00.123456789Z ",
            "2026-11-24T10:00:00+01:00 stdout F ",
            "INFO request done: ",
            "2026-13-01T00:00:00Z ",
            "\u{feff}",
            "  ",
        ]),
        0u8..24,
    )
        .prop_map(|(obj, seed, prefix, damage)| {
            let mut s = String::from(prefix);
            Style::new(seed).write(&obj, &mut s);
            let mut b = s.into_bytes();
            match damage {
                0 => {
                    let n = b.len() / 2;
                    b.truncate(n);
                }
                1 => b.extend_from_slice(b" trailing"),
                2 => b.push(b'\r'),
                3 => b.insert(b.len() / 2, 0xff),
                4 => b.extend_from_slice(b" \t"),
                // A stray byte somewhere: most such lines are invalid JSON in some subtle way.
                5..=9 => {
                    const STRAY: &[u8] = b"\\\"{}[],:x0-.e\x01\t";
                    let at = (seed as usize / 7) % (b.len() + 1);
                    b.insert(at, STRAY[(seed as usize / 131) % STRAY.len()]);
                }
                _ => {}
            }
            b
        })
}

// ---- the reference: a full parse and plain lookups --------------------------------------

fn get<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(v, |v, seg| v.as_object()?.get(seg))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ref_time(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => epoch_integer_to_micros(i as i128),
            None => match n.as_u64() {
                Some(u) => epoch_integer_to_micros(u as i128),
                None => epoch_float_to_micros(n.as_f64()?),
            },
        },
        Value::String(s) => {
            let s = s.trim();
            if s.len() > 4 && s.as_bytes()[0].is_ascii_digit() && s.as_bytes()[4] == b'-' {
                ref_rfc3339(s)
            } else if !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            {
                errlens::extract::time::parse_epoch_text(s)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// RFC 3339 via jiff; no offset means UTC; a space may separate date and time. RFC 3339 allows
/// any number of fractional digits, jiff nine: the rest are cut (they are below a microsecond).
fn ref_rfc3339(s: &str) -> Option<i64> {
    let mut s = s.to_owned();
    if let Some(dot) = s.find('.') {
        let digits = s[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
        if digits > 9 {
            s.replace_range(dot + 10..dot + 1 + digits, "");
        }
    }
    let s = s.as_str();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_microsecond());
    }
    let dt: jiff::civil::DateTime = s.replacen(' ', "T", 1).parse().ok()?;
    Some(
        dt.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_microsecond(),
    )
}

fn ref_status(v: &Value) -> Option<u16> {
    let t = text(v)?;
    let t = t.trim();
    let n = match t.parse::<u64>() {
        Ok(n) => n,
        Err(_) => {
            let f: f64 = t.parse().ok()?;
            if f.fract() != 0.0 || !(0.0..1000.0).contains(&f) {
                return None;
            }
            f as u64
        }
    };
    (n < 1000).then_some(n as u16)
}

fn ref_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

fn ref_item(v: &Value) -> ErrorItem<'static> {
    let t = |p: &str| get(v, p).and_then(text).map(Cow::Owned);
    if !v.is_object() {
        return ErrorItem::default();
    }
    ErrorItem {
        code: t("code"),
        group: t("group"),
        description: t("description"),
        limit_type: t("params.limit_type"),
        retry_after: t("params.retry_after"),
    }
}

fn ref_envelope(obj: &Value) -> Option<Envelope<'static>> {
    let is_success = obj.as_object()?.get("isSuccess")?;
    let errors = match obj.get("errors") {
        Some(e @ Value::Object(_)) => vec![ref_item(e)],
        Some(Value::Array(a)) => a.iter().map(ref_item).collect(),
        _ => vec![],
    };
    Some(Envelope {
        is_success: ref_bool(is_success),
        errors,
    })
}

thread_local! {
    /// JSON's grammar has no limit on numbers; `Value`'s f64 has, and errlens follows the
    /// grammar. Set when the reference met such a number: that line is not compared.
    static BEYOND_F64: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A string's JSON, noting numbers `Value` cannot hold.
fn value_of(s: &str) -> Option<Value> {
    serde_json::from_str(s)
        .map_err(|e| {
            if e.to_string().contains("number out of range") {
                BEYOND_F64.set(true);
            }
        })
        .ok()
}

fn ref_classify(line: &[u8]) -> Line<'static> {
    if line
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c'))
    {
        return Line::Blank;
    }
    let Ok(s) = std::str::from_utf8(line) else {
        return Line::Malformed(errlens::extract::Malformed::InvalidUtf8);
    };
    let s = s.trim_start_matches(['\u{feff}', ' ', '\t']);
    let prefix_time = if s.starts_with('{') {
        None
    } else {
        s.split_once(|c: char| c.is_ascii_whitespace())
            .and_then(|(t, _)| if t.len() >= 19 { ref_rfc3339(t) } else { None })
    };
    let Some(start) = s.find('{') else {
        return Line::Malformed(errlens::extract::Malformed::NoObject);
    };
    let v: Value = match serde_json::from_str(&s[start..]) {
        Ok(v @ Value::Object(_)) => v,
        Err(e) if e.to_string().contains("number out of range") => {
            BEYOND_F64.set(true);
            return Line::Blank;
        }
        _ => return Line::Malformed(errlens::extract::Malformed::Json(String::new())),
    };
    let fields = FieldMap::default();
    let firsts = |slot| {
        fields
            .paths(slot)
            .iter()
            .filter_map(|p| get(&v, &p.join(".")))
            .collect::<Vec<_>>()
    };
    use errlens::extract::Slot;
    let envelope = if v.get("isSuccess").is_some() {
        ref_envelope(&v)
    } else {
        firsts(Slot::Envelope).into_iter().find_map(|c| match c {
            Value::Object(_) => ref_envelope(c),
            Value::String(s) => ref_envelope(&value_of(s)?),
            _ => None,
        })
    };
    let status = firsts(Slot::Status).into_iter().find_map(ref_status);
    if envelope.is_none() && status.is_none() {
        return Line::Unrecognized;
    }
    let key = firsts(Slot::Key)
        .into_iter()
        .find_map(|k| text(k).filter(|k| !k.trim().is_empty()))
        .or_else(|| {
            firsts(Slot::Authorization).into_iter().find_map(|a| {
                let a = a.as_str()?.trim();
                let tok = a.get(..7).filter(|p| p.eq_ignore_ascii_case("bearer "))?;
                let tok = a[tok.len()..].trim();
                (!tok.is_empty()).then(|| tok.to_owned())
            })
        });
    Line::Request(Record {
        time: firsts(Slot::Time)
            .into_iter()
            .find_map(ref_time)
            .or(prefix_time),
        key: key.map(Cow::Owned),
        status,
        method: firsts(Slot::Method).into_iter().find_map(|m| {
            m.as_str()
                .filter(|m| !m.is_empty())
                .map(|m| Cow::Owned(m.to_owned()))
        }),
        endpoint: firsts(Slot::Endpoint).into_iter().find_map(|e| {
            endpoint_path(Cow::Borrowed(e.as_str()?)).map(|c| Cow::Owned(c.into_owned()))
        }),
        envelope,
    })
}

/// A number's text by value: the extractor keeps a number's literal (`1.7640000005e9`) where
/// `Value` writes it anew (`1764000000.5`).
fn num_norm(c: &mut Option<Cow<'_, str>>) {
    if let Some(t) = c.as_deref()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        && let Ok(f) = t.parse::<f64>()
    {
        *c = Some(Cow::Owned(format!("{f}")));
    }
}

fn normalized(l: &Line<'_>) -> Line<'static> {
    match l {
        Line::Request(r) => {
            let own = |c: &Option<Cow<'_, str>>| c.as_deref().map(|s| Cow::Owned(s.to_owned()));
            let mut key = own(&r.key);
            num_norm(&mut key);
            Line::Request(Record {
                time: r.time,
                key,
                status: r.status,
                method: own(&r.method),
                endpoint: own(&r.endpoint),
                envelope: r.envelope.as_ref().map(|e| Envelope {
                    is_success: e.is_success,
                    errors: e
                        .errors
                        .iter()
                        .map(|i| {
                            let mut i = ErrorItem {
                                code: own(&i.code),
                                group: own(&i.group),
                                description: own(&i.description),
                                limit_type: own(&i.limit_type),
                                retry_after: own(&i.retry_after),
                            };
                            for f in [
                                &mut i.code,
                                &mut i.group,
                                &mut i.description,
                                &mut i.limit_type,
                                &mut i.retry_after,
                            ] {
                                num_norm(f);
                            }
                            i
                        })
                        .collect(),
                }),
            })
        }
        Line::Malformed(errlens::extract::Malformed::Json(_)) => {
            Line::Malformed(errlens::extract::Malformed::Json(String::new()))
        }
        Line::Malformed(m) => Line::Malformed(m.clone()),
        Line::Blank => Line::Blank,
        Line::Unrecognized => Line::Unrecognized,
    }
}

/// Compares ignoring the text of JSON error messages and how numbers are spelled.
fn same(a: &Line<'_>, b: &Line<'_>) -> bool {
    normalized(a) == normalized(b)
}

fn config() -> ProptestConfig {
    util::proptest_config(3000, 0x5eed_e441)
}

proptest! {
    // A fixed seed keeps CI deterministic; ERRLENS_PROPTEST_RANDOM=1 (with PROPTEST_CASES=N)
    // explores new lines, as a longer local campaign should.
    #![proptest_config(config())]

    #[test]
    fn extractor_agrees_with_full_parse(line in line()) {
        let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
        let got = ex.classify_with(&line, false);
        BEYOND_F64.set(false);
        let want = ref_classify(&line);
        prop_assume!(!BEYOND_F64.get(), "a number beyond f64");
        prop_assert!(same(&got, &want), "line: {}\n got: {:?}\nwant: {:?}", String::from_utf8_lossy(&line), got, want);
    }

    /// The fast walker, where it does not bail out, gives exactly the reference walker's record.
    #[test]
    fn fast_path_agrees_with_reference_walker(line in line()) {
        let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
        let slow = ex.classify_with(&line, false);
        if let Some(fast) = ex.classify_fast_only(&line) {
            prop_assert_eq!(&fast, &slow, "line: {}", String::from_utf8_lossy(&line));
        }
        prop_assert_eq!(ex.classify(&line), slow);
    }

    /// Whatever lines came before (the fast walker remembers their keys), a line reads as the
    /// reference walker reads it.
    #[test]
    fn earlier_lines_do_not_change_a_line(lines in prop::collection::vec(line(), 1..12)) {
        let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
        for line in lines.iter().chain(lines.iter().rev()) {
            let slow = ex.classify_with(line, false);
            if let Some(fast) = ex.classify_fast_only(line) {
                prop_assert_eq!(&fast, &slow, "line: {}", String::from_utf8_lossy(line));
            }
        }
    }
}

/// A value of kind `kind` (string, number, literal, container) for
/// [`same_layout_other_values`]: mostly valid, sometimes not, so that lines share a layout and
/// some of them carry a bad value in one of its places.
fn layout_value(kind: usize) -> BoxedStrategy<String> {
    let pick = |good: &'static [&'static str], bad: &'static [&'static str]| {
        prop_oneof![
            8 => prop::sample::select(good).prop_map(str::to_owned),
            1 => prop::sample::select(bad).prop_map(str::to_owned),
        ]
        .boxed()
    };
    match kind {
        // Strings, with escapes (good and bad), quotes, control bytes and multi-byte text.
        0 => prop::collection::vec(
            pick(
                &[
                    "a", "RATE_001", " ", "é", "\\\"", "\\\\", "\\n", "\\u0041", "\\u00e9",
                ],
                &["\\ud800", "\\x", "\\", "\"", "\t", "\u{1}", "\\u12"],
            ),
            0..6,
        )
        .prop_map(|parts| format!("\"{}\"", parts.concat()))
        .boxed(),
        1 => pick(
            &[
                "0",
                "429",
                "-1",
                "1.5",
                "-0.0e+3",
                "1E9",
                "12345678901234567890",
            ],
            &["01", "1.", "-", "1e", "+1", ".5", "1.5.5", "0x1"],
        ),
        2 => pick(&["true", "false", "null"], &["tru", "nul", "True"]),
        _ => pick(
            &["{}", "[]", "[1,\"a\"]", "{\"code\":\"X\"}"],
            &["{", "[1,]", "{\"a\"}"],
        ),
    }
}

/// Lines of one layout: the nested record with the same kind of value in each place.
fn layout_lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(0..4usize, 9).prop_flat_map(|kinds| {
        let line: Vec<BoxedStrategy<String>> = kinds.iter().map(|&k| layout_value(k)).collect();
        prop::collection::vec(line.prop_map(|v| layout_line(&v)), 2..8)
    })
}

/// The nested record with its values left open.
fn layout_line(v: &[String]) -> String {
    format!(
        r#"{{"ts":{},"method":{},"path":{},"status":{},"api_key":{},"response":{{"isSuccess":{},"errors":{{"code":{},"group":{},"params":{{"retry_after":{}}}}}}}}}"#,
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]
    )
}

proptest! {
    #![proptest_config(config())]

    /// A line of a remembered layout (the same keys and punctuation) with any values in its
    /// places reads exactly as the reference walker reads it.
    #[test]
    fn same_layout_other_values(lines in layout_lines()) {
        let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
        for line in &lines {
            let slow = ex.classify_with(line.as_bytes(), false);
            if let Some(fast) = ex.classify_fast_only(line.as_bytes()) {
                prop_assert_eq!(&fast, &slow, "line: {}", line);
            }
            prop_assert_eq!(ex.classify(line.as_bytes()), slow, "line: {}", line);
        }
    }
}

/// The fast walker remembers the member keys of earlier lines (a log repeats its layout) and
/// compares a key with the remembered one before scanning it: lines that differ from the
/// remembered layout by one byte, a space, an escape, a duplicate or a cut must still read
/// exactly as the reference walker reads them.
#[test]
fn remembered_layouts_do_not_fool_the_fast_walker() {
    let base = r#"{"ts":"2026-11-24T10:00:00.123Z","method":"POST","path":"/v1/messages","status":429,"latency_ms":42,"api_key":"wk_live_0123456789abcdef01234567","response":{"isSuccess":false,"errors":{"code":"RATE_001","group":"TOO_MANY_REQUESTS","params":{"retry_after":"1 seconds"}}}}"#;
    let variants = [
        base.replace(r#""api_key":"#, r#""api_kez":"#),
        base.replace(r#""api_key":"#, r#""api_key" :"#),
        base.replace(r#""api_key":"#, r#""api_keyy":"#),
        base.replace(r#""api_key":"#, r#""api_ke":"#),
        base.replace(r#""api_key":"#, r#""api_\u006bey":"#),
        base.replace(r#""ts":"#, r#""tS":"#),
        base.replace(r#""ts":"#, r#""t":"#),
        base.replace(r#""status":429,"#, r#""status":200,"status":429,"#),
        base.replace(
            r#""method":"POST","#,
            r#""api_key":"first","method":"POST","#,
        ),
        base.replace(r#""isSuccess":false"#, r#""isSuccesss":false"#),
        // Same length as the remembered key, different in its second word.
        base.replace(r#""response":"#, r#""responsX":"#),
        base.replace(r#""isSuccess":"#, r#""isSuccesX":"#),
        base.replace(r#""retry_after":"#, r#""retry_aftex":"#),
        base.replace(r#""code":"RATE_001""#, r#""cod":"RATE_001""#),
        base.replace(r#""response":{"#, r#""response" : {"#),
        base.replace(r#""retry_after":"#, r#""retry_afte\u0072":"#),
        base.replace(r#""path":"/v1/messages","#, ""),
        r#"{"ts":"#.to_owned(),
        r#"{"ts""#.to_owned(),
        r#"{"ts":"2026-11-24T10:00:00Z","method""#.to_owned(),
        base[..base.len() - 1].to_owned(),
        format!("{base} "),
    ];
    let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
    // Each variant right after the base line (remembered) and after itself.
    for v in &variants {
        for line in [base, v.as_str(), v.as_str(), base] {
            let slow = ex.classify_with(line.as_bytes(), false);
            if let Some(fast) = ex.classify_fast_only(line.as_bytes()) {
                assert_eq!(fast, slow, "line: {line}");
            }
            assert_eq!(ex.classify(line.as_bytes()), slow, "line: {line}");
        }
    }
    let Line::Request(r) = ex.classify(variants[8].as_bytes()) else {
        panic!("not a request")
    };
    assert_eq!(r.key.as_deref(), Some("wk_live_0123456789abcdef01234567"));
    let Line::Request(r) = ex.classify(variants[0].as_bytes()) else {
        panic!("not a request")
    };
    assert_eq!(r.key, None);
}

#[test]
fn escapes_do_not_fool_the_extractor() {
    let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
    let line = br#"{ "api\u005fkey" : "k\u0031" , "status":"429", "response" : {"errors":{"code":"RATE\u005f001"} ,"isSuccess" : false}}"#;
    let Line::Request(r) = ex.classify(line) else {
        panic!("not a request")
    };
    assert_eq!(r.key.as_deref(), Some("k1"));
    assert_eq!(r.status, Some(429));
    assert!(r.is_error());
    assert_eq!(r.error_items()[0].code.as_deref(), Some("RATE_001"));
}

/// The generator reaches every bucket and the interesting record shapes, so the property
/// above is tested on more than malformed lines.
#[test]
fn generated_lines_cover_every_shape() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
    let mut runner = TestRunner::deterministic();
    let (
        mut malformed,
        mut unrecognized,
        mut requests,
        mut errors,
        mut coded,
        mut keyed,
        mut timed,
    ) = (0, 0, 0, 0, 0, 0, 0);
    let (mut valid, mut fast) = (0, 0);
    for _ in 0..3000 {
        let line = line().new_tree(&mut runner).unwrap().current();
        if matches!(ex.classify(&line), Line::Request(_) | Line::Unrecognized) {
            valid += 1;
            fast += ex.classify_fast_only(&line).is_some() as u32;
        }
        match ex.classify(&line) {
            Line::Malformed(_) => malformed += 1,
            Line::Unrecognized => unrecognized += 1,
            Line::Request(r) => {
                requests += 1;
                errors += r.is_error() as u32;
                coded += r.error_items().iter().any(|i| i.code.is_some()) as u32;
                keyed += r.key.is_some() as u32;
                timed += r.time.is_some() as u32;
            }
            Line::Blank => {}
        }
    }
    for (what, n) in [
        ("malformed", malformed),
        ("unrecognized", unrecognized),
        ("requests", requests),
        ("errors", errors),
        ("coded errors", coded),
        ("keyed", keyed),
        ("timed", timed),
    ] {
        assert!(n >= 60, "only {n} {what} lines in 3000");
    }
    // Most valid lines take the fast path (the rest have escaped keys or surrogate escapes).
    assert!(
        fast * 10 >= valid * 7,
        "the fast walker took only {fast} of {valid} valid lines"
    );
}

/// A value of kind `kind` (as in [`layout_value`], and 4 for an API key) as the gateway
/// writes it, 3 times in 4: plain strings (empty, blank, multi-byte, times, URLs), integers,
/// booleans, keys (strings or `null`), objects (flat ones, as the gateway's reader reads them
/// itself, and others); else any value of [`layout_value`], good or bad.
fn gateway_value(kind: usize) -> BoxedStrategy<String> {
    let plain: &'static [&'static str] = match kind {
        0 => &[
            r#""""#,
            r#"" ""#,
            r#""RATE_001""#,
            r#""é€𝄞""#,
            r#""2026-11-24T10:00:00.123Z""#,
            r#""2026-11-24T10:00:00+02:00""#,
            r#""1764000000""#,
            r#""/v1/messages""#,
            r#""https://gw.example/v1/media?id=1#x""#,
            r#""wk_live_0123456789abcdef01234567""#,
            r#""Bearer abc""#,
            r#""1 seconds""#,
        ],
        1 => &["0", "7", "201", "429", "99999", "1764000000"],
        2 => &["true", "false"],
        4 => &[
            "null",
            r#""wk_live_0123456789abcdef01234567""#,
            r#"" ""#,
            r#""é""#,
        ],
        _ => &[
            r#"{"messageId":"wamid.e099ec6cd736"}"#,
            r#"{"a":1,"b":true,"c":null,"d":"x"}"#,
            "{}",
            r#"{"a":[1,{"b":"\n"}]}"#,
        ],
    };
    prop_oneof![
        3 => prop::sample::select(plain).prop_map(str::to_owned),
        1 => (0..4usize).prop_flat_map(layout_value),
    ]
    .boxed()
}

/// The values of a gateway line, one for each of its places, and the form of its end (see
/// [`gateway_line`]).
fn gateway_values() -> impl Strategy<Value = (Vec<String>, usize)> {
    // String, string, string, number, number, key (a string or null), literal, then the
    // error's strings and the `data` value.
    const KINDS: [usize; 13] = [0, 0, 0, 1, 1, 4, 2, 0, 0, 0, 0, 0, 3];
    let places: Vec<BoxedStrategy<String>> = KINDS.iter().map(|&k| gateway_value(k)).collect();
    (places, 0..5usize)
}

/// A line of the gateway's layout with the values `v` in its places, and `tail` choosing
/// what follows `isSuccess`: nothing, `data`, errors with or without params, or a member
/// the gateway reader does not take.
fn gateway_line(v: &[String], tail: usize) -> String {
    let rest = match tail {
        0 => String::new(),
        1 => format!(r#","data":{}"#, v[12]),
        2 => format!(
            r#","errors":{{"code":{},"group":{},"description":{}}}"#,
            v[7], v[8], v[9]
        ),
        3 => format!(
            r#","errors":{{"code":{},"group":{},"description":{},"params":{{"limit_type":{},"retry_after":{}}}}}"#,
            v[7], v[8], v[9], v[10], v[11]
        ),
        _ => format!(r#","errors":{{"code":{}}},"data":{}"#, v[7], v[12]),
    };
    format!(
        r#"{{"ts":{},"method":{},"path":{},"status":{},"latency_ms":{},"api_key":{},"response":{{"isSuccess":{}{rest}}}}}"#,
        v[0], v[1], v[2], v[3], v[4], v[5], v[6]
    )
}

proptest! {
    #![proptest_config(config())]

    /// A line of the gateway's layout, with any values in its places, reads exactly as the
    /// reference walker reads it, whether the gateway's reader takes it or leaves it.
    #[test]
    fn gateway_lines_read_as_the_reference_walker_reads_them(
        (v, tail) in gateway_values(),
        prefix in prop::sample::select(vec!["", "2026-11-24T10:00:00.5Z "]),
        suffix in prop::sample::select(vec!["", "\r", " \r", "\t", "\n", "\x0b", "\x0c", " x"]),
    ) {
        let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
        let line = format!("{prefix}{}{suffix}", gateway_line(&v, tail));
        let slow = ex.classify_with(line.as_bytes(), false);
        if let Some(read) = ex.classify_gateway_only(line.as_bytes()) {
            prop_assert_eq!(&read, &slow, "line: {}", line);
        }
        prop_assert_eq!(ex.classify(line.as_bytes()), slow, "line: {}", line);

        // Read in a chunk, before its end is known: the same line, ended where its `\n` is;
        // and so is every line read in a chunk, taken by the gateway's reader or not.
        let text = format!("{line}\n{}", gateway_line(&v, 1));
        let first = text.split('\n').next().unwrap_or_default();
        let reference = ex.classify_with(first.as_bytes(), false);
        if let Some((read, len)) = ex.classify_gateway_line(&text) {
            prop_assert_eq!(len, first.len(), "text: {}", text);
            prop_assert_eq!(&read, &reference, "text: {}", text);
        }
        let (next, len) = ex.classify_next_line(&text);
        prop_assert_eq!(len, first.len(), "text: {}", text);
        prop_assert_eq!(next, reference, "text: {}", text);
    }
}

/// The property above is not met by leaving every line to the walkers: the gateway's reader
/// does take the generated lines whose every value is one it reads in its place (a string
/// without escapes or control bytes, a valid number, `true` or `false`, a string or `null`
/// key, any valid `data`): about one in ten here. And it reads their values.
#[test]
fn the_gateway_reader_takes_the_gateways_lines() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let ex = Extractor::new(&FieldMap::default(), 1 << 20).unwrap();
    let mut runner = TestRunner::deterministic();
    let (mut taken, mut tried, mut in_chunk) = (0, 0, 0);
    for _ in 0..2000 {
        let (v, tail) = gateway_values().new_tree(&mut runner).unwrap().current();
        tried += 1;
        let line = gateway_line(&v, tail);
        let only = ex.classify_gateway_only(line.as_bytes());
        taken += only.is_some() as u32;
        // Read in a chunk, the same, and never a line left above.
        let text = format!("{line}\n{line}");
        if let Some((read, len)) = ex.classify_gateway_line(&text) {
            assert_eq!((Some(read), len), (only, line.len()), "{line}");
            in_chunk += 1;
        }
    }
    // A line is taken when each of its 7 to 12 places holds a value the reader reads there
    // and its end is not the fifth form.
    assert!(
        taken * 20 >= tried,
        "the reader took {taken} of {tried} lines"
    );
    // In a chunk as in a line: `data` that nests is read within its line.
    assert_eq!(in_chunk, taken);

    let line = r#"{"ts":"2026-11-24T10:00:00.5Z","method":"POST","path":"https://gw.example/v1/messages?x=1","status":429,"latency_ms":12.5,"api_key":"k1","response":{"isSuccess":false,"errors":{"code":"RATE_001","group":"TOO_MANY_REQUESTS","description":"Rate limit exceeded","params":{"limit_type":"sec","retry_after":"1 seconds"}}}}"#;
    let Some(Line::Request(r)) = ex.classify_gateway_only(line.as_bytes()) else {
        panic!("not read as a request")
    };
    assert_eq!(r.time, Some(1_795_514_400_500_000));
    assert_eq!((r.key.as_deref(), r.status), (Some("k1"), Some(429)));
    assert_eq!(r.method.as_deref(), Some("POST"));
    assert_eq!(r.endpoint.as_deref(), Some("/v1/messages"));
    let item = &r.error_items()[0];
    assert_eq!(item.code.as_deref(), Some("RATE_001"));
    assert_eq!(item.description.as_deref(), Some("Rate limit exceeded"));
    assert_eq!(item.group.as_deref(), Some("TOO_MANY_REQUESTS"));
    assert_eq!(item.limit_type.as_deref(), Some("sec"));
    assert_eq!(item.retry_after.as_deref(), Some("1 seconds"));
    assert_eq!(
        ex.classify(line.as_bytes()),
        ex.classify_with(line.as_bytes(), false)
    );

    // Under other fields than the defaults, the walkers read every line.
    let mut fields = FieldMap::default();
    fields.set("key=client").unwrap();
    let other = Extractor::new(&fields, 1 << 20).unwrap();
    assert_eq!(other.classify_gateway_only(line.as_bytes()), None);
    let Line::Request(r) = other.classify(line.as_bytes()) else {
        panic!("not a request")
    };
    assert_eq!(r.key, None);
}
