//! The gateway's own request-log line, read straight: the layout the gateway writes (its keys
//! in its order, no space between tokens), checked byte for byte by code written for it, where the layout
//! matcher would check it against a layout learned at run time.
//!
//! Only the exact form is read here; any other line (another order, a space between tokens,
//! an escape in a value read, an unknown member) gets `None` and goes the general way. What a
//! line counts for never depends on this reader: it finds the values the record plan's walk
//! would capture, and `gateway_record` (record.rs) makes the record of them as
//! `Extractor::interpret` does. The worker reads such a line straight from its chunk
//! ([`read_line`], through `Extractor::classify_gateway_line`), before its end is known.

use super::fast::{self, Scanner};

/// The values of one gateway line, raw (strings with their quotes, as the walkers capture).
pub(crate) struct Fields<'a> {
    pub(crate) ts: &'a str,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) status: &'a str,
    /// `None` for `"api_key":null`.
    pub(crate) key: Option<&'a str>,
    pub(crate) is_success: &'a str,
    /// The `errors` object's code, group, description, limit type and retry-after, in the
    /// order of the error plan's groups.
    pub(crate) errors: Option<[Option<&'a str>; 5]>,
}

/// The literal `want` at `at`: the position after it.
#[inline(always)]
fn lit<const N: usize>(b: &[u8], at: usize, want: &[u8; N]) -> Option<usize> {
    let got: &[u8; N] = b.get(at..at + N)?.try_into().ok()?;
    (got == want).then_some(at + N)
}

/// A string without escapes or control bytes at `at`: it, quotes included (so it never needs
/// unescaping), and the position after it.
#[inline(always)]
fn string(json: &str, at: usize) -> Option<(&str, usize)> {
    let b = json.as_bytes();
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let end = fast::string_stop_inline(b, at + 1)?;
    if b[end] != b'"' {
        return None;
    }
    // SAFETY: the slice starts at an ASCII quote and ends just after one, so both ends are
    // character boundaries of `json`.
    Some((unsafe { json.get_unchecked(at..end + 1) }, end + 1))
}

/// A plain value that needs no nesting: a string without escapes, a number, or `true`,
/// `false` or `null`: the position after it.
#[inline(always)]
fn flat(json: &str, at: usize) -> Option<usize> {
    let b = json.as_bytes();
    match b.get(at)? {
        b'"' => string(json, at).map(|(_, end)| end),
        b't' => lit(b, at, b"true"),
        b'f' => lit(b, at, b"false"),
        b'n' => lit(b, at, b"null"),
        _ => number(json, at).map(|(_, end)| end),
    }
}

/// A value at `at` nested `depth` deep: an object of plain members without spaces read here,
/// anything else by the walkers' scanner, within the line (`json` may go on past its `\n`,
/// which that scanner would take for whitespace). The position after it.
#[inline(always)]
fn skip(json: &str, at: usize, depth: u32) -> Option<usize> {
    flat_object(json, at).or_else(|| skip_in_line(json, at, depth))
}

/// [`skip`] past a flat object, out of line: the common value stays in the caller's few
/// registers (inline, it cost every gateway line 1% more instructions).
#[inline(never)]
fn skip_in_line(json: &str, at: usize, depth: u32) -> Option<usize> {
    let end = memchr::memchr(b'\n', &json.as_bytes()[at..]).map_or(json.len(), |n| at + n);
    fast::skip_value(&json[..end], at, depth)
}

/// A non-empty object of [`flat`] members without spaces at `at`: the position after it.
#[inline(always)]
fn flat_object(json: &str, at: usize) -> Option<usize> {
    let b = json.as_bytes();
    let mut i = lit(b, at, b"{")?;
    loop {
        let (_, end) = string(json, i)?;
        i = flat(json, lit(b, end, b":")?)?;
        match b.get(i)? {
            b',' => i += 1,
            b'}' => return Some(i + 1),
            _ => return None,
        }
    }
}

/// A number by JSON's grammar at `at`: it and the position after it. The common form (an
/// integer from 1 up, without sign) is read here, any other by the walkers' scanner.
#[inline(always)]
fn number(json: &str, at: usize) -> Option<(&str, usize)> {
    let b = json.as_bytes();
    let mut i = at;
    if matches!(b.get(i), Some(b'1'..=b'9')) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if i == at || matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
        let mut s = Scanner::new(json);
        s.i = at;
        s.number().ok()?;
        i = s.i;
    }
    // SAFETY: a number is ASCII, and `at` is where a literal of `json` ended.
    Some((unsafe { json.get_unchecked(at..i) }, i))
}

/// Reads a line of the gateway's layout:
///
/// `{"ts":S,"method":S,"path":S,"status":N,"latency_ms":N,"api_key":S|null,"response":R}`,
/// with `R` one of `{"isSuccess":B}`, `{"isSuccess":B,"data":V}` and
/// `{"isSuccess":B,"errors":{"code":S,"group":S,"description":S}}`, the errors object
/// optionally ending in `,"params":{"limit_type":S,"retry_after":S}`; JSON whitespace may
/// follow (a CRLF line's `\r`). Strings `S` have no escapes or control bytes; `V` is any JSON
/// value the walkers' scanner takes (the line nested at most [`fast::MAX_DEPTH`] deep, no
/// `\u` escapes of surrogates), right after the colon.
pub(crate) fn read(json: &str) -> Option<Fields<'_>> {
    // What follows the line's end (if `json` goes on past a `\n`) is whitespace too.
    let (fields, i) = read_line(json)?;
    json.as_bytes()[i..]
        .iter()
        .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        .then_some(fields)
}

/// Reads a line of the gateway's layout at the start of `text`, a chunk's lines from there
/// on, without looking for the line's end first: the line's values and its length (to its
/// `\n`, or to the end of `text`). The lines [`read`] takes, and only those. Whitespace after
/// the object is ` `, `\t` or `\r`, then the `\n`: no byte of the line is a `\n`, since
/// strings hold no control bytes, no whitespace is read between tokens, and `data` that is
/// not a flat object is read within its line.
#[inline(always)]
pub(crate) fn read_line(text: &str) -> Option<(Fields<'_>, usize)> {
    let (fields, mut i) = object(text)?;
    let b = text.as_bytes();
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' => break,
            b' ' | b'\t' | b'\r' => i += 1,
            _ => return None,
        }
    }
    Some((fields, i))
}

/// The line's object at the start of `json` (a line, or a chunk's lines from there on), up
/// to its closing brace: its values and the position after it.
#[inline(always)]
fn object(json: &str) -> Option<(Fields<'_>, usize)> {
    let b = json.as_bytes();
    let i = lit(b, 0, br#"{"ts":"#)?;
    let (ts, i) = string(json, i)?;
    let i = lit(b, i, br#","method":"#)?;
    let (method, i) = string(json, i)?;
    let i = lit(b, i, br#","path":"#)?;
    let (path, i) = string(json, i)?;
    let i = lit(b, i, br#","status":"#)?;
    let (status, i) = number(json, i)?;
    let i = lit(b, i, br#","latency_ms":"#)?;
    let (_, i) = number(json, i)?;
    let i = lit(b, i, br#","api_key":"#)?;
    let (key, i) = match b.get(i) {
        Some(b'n') => (None, lit(b, i, b"null")?),
        _ => {
            let (k, i) = string(json, i)?;
            (Some(k), i)
        }
    };
    let i = lit(b, i, br#","response":{"isSuccess":"#)?;
    let at = i;
    let i = match b.get(i) {
        Some(b't') => lit(b, i, b"true")?,
        _ => lit(b, i, b"false")?,
    };
    // SAFETY: `true` or `false`, after a literal of `json`.
    let is_success = unsafe { json.get_unchecked(at..i) };
    let mut errors = None;
    let i = if let Some(i) = lit(b, i, br#","errors":{"code":"#) {
        let (code, i) = string(json, i)?;
        let i = lit(b, i, br#","group":"#)?;
        let (group, i) = string(json, i)?;
        let i = lit(b, i, br#","description":"#)?;
        let (description, i) = string(json, i)?;
        let (params, i) = match lit(b, i, br#","params":{"limit_type":"#) {
            Some(i) => {
                let (limit, i) = string(json, i)?;
                let i = lit(b, i, br#","retry_after":"#)?;
                let (retry, i) = string(json, i)?;
                ([Some(limit), Some(retry)], lit(b, i, b"}")?)
            }
            None => ([None, None], i),
        };
        errors = Some([
            Some(code),
            Some(group),
            Some(description),
            params[0],
            params[1],
        ]);
        lit(b, i, b"}")?
    } else if let Some(i) = lit(b, i, br#","data":"#) {
        // At the depth the walkers would reach it: the line's object is 1, `response` 2.
        skip(json, i, 3)?
    } else {
        i
    };
    let i = lit(b, i, b"}}")?;
    let fields = Fields {
        ts,
        method,
        path,
        status,
        key,
        is_success,
        errors,
    };
    Some((fields, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUCCESS: &str = r#"{"ts":"2026-11-01T00:00:00.134Z","method":"POST","path":"/v1/media","status":201,"latency_ms":138,"api_key":"wk_live_9129a293ac04eb716ed4eb8e","response":{"isSuccess":true,"data":{"messageId":"wamid.e099ec6cd736"}}}"#;
    const RATE: &str = r#"{"ts":"2026-11-01T00:00:01.237Z","method":"POST","path":"/v1/media","status":429,"latency_ms":236,"api_key":null,"response":{"isSuccess":false,"errors":{"code":"RATE_001","group":"TOO_MANY_REQUESTS","description":"Rate limit exceeded","params":{"limit_type":"sec","retry_after":"1 seconds"}}}}"#;

    #[test]
    fn the_gateways_lines_are_read_with_their_values_raw() {
        let f = read(SUCCESS).unwrap();
        assert_eq!(f.ts, r#""2026-11-01T00:00:00.134Z""#);
        assert_eq!(
            (f.method, f.path, f.status),
            (r#""POST""#, r#""/v1/media""#, "201")
        );
        assert_eq!(f.key, Some(r#""wk_live_9129a293ac04eb716ed4eb8e""#));
        assert_eq!((f.is_success, f.errors), ("true", None));

        let f = read(RATE).unwrap();
        assert_eq!((f.key, f.is_success), (None, "false"));
        assert_eq!(
            f.errors.unwrap(),
            [
                Some(r#""RATE_001""#),
                Some(r#""TOO_MANY_REQUESTS""#),
                Some(r#""Rate limit exceeded""#),
                Some(r#""sec""#),
                Some(r#""1 seconds""#),
            ]
        );
        let plain = RATE.replace(
            r#","params":{"limit_type":"sec","retry_after":"1 seconds"}"#,
            "",
        );
        let e = read(&plain).unwrap().errors.unwrap();
        assert_eq!(
            (e[2], e[3], e[4]),
            (Some(r#""Rate limit exceeded""#), None, None)
        );
    }

    #[test]
    fn a_line_read_in_a_chunk_ends_at_its_newline() {
        let len = |text: &str| read_line(text).map(|(_, n)| n);
        let n = SUCCESS.len();
        // Followed by another line, by nothing, or by whitespace before the `\n`.
        assert_eq!(len(&format!("{SUCCESS}\n{RATE}\n")), Some(n));
        assert_eq!(len(SUCCESS), Some(n));
        assert_eq!(len(&format!("{SUCCESS}\r\n{RATE}")), Some(n + 1));
        assert_eq!(len(&format!("{SUCCESS} \t\r")), Some(n + 3));
        assert_eq!(len(&format!("{RATE}\n\n")), Some(RATE.len()));
        let two = format!("{RATE}\n{SUCCESS}");
        let (f, _) = read_line(&two).unwrap();
        assert_eq!(f.errors.unwrap()[0], Some(r#""RATE_001""#));
        // `data` as a plain value, or empty.
        for data in ["null", "7", r#""x""#, "true", "{}", "[]"] {
            let line = SUCCESS.replace(r#"{"messageId":"wamid.e099ec6cd736"}"#, data);
            assert_eq!(len(&format!("{line}\n")), Some(line.len()), "{line}");
        }
        // `data` that nests, read within its line.
        let nested = SUCCESS.replace(r#"{"messageId""#, r#"{"a":[1, {}],"messageId""#);
        assert_eq!(len(&format!("{nested}\n{nested}")), Some(nested.len()));
        // Not read: something else before the `\n`, or a `\n` inside the line (in a string, or
        // between the tokens of a nesting `data`; the walkers read such text as a line).
        let spans = SUCCESS.replace(r#""wamid.e099ec6cd736"}"#, "\n\"w\"}");
        let split = nested.replace("[1, {}]", "[1,\n{}]");
        for text in [
            format!("{SUCCESS} x\n"),
            format!("{SUCCESS}\x0c\n"),
            format!("{SUCCESS}}}\n"),
            SUCCESS.replace(r#","method""#, "\n,\"method\""),
            spans,
            split,
            format!(" {SUCCESS}\n"),
        ] {
            assert_eq!(len(&text), None, "{text}");
        }
    }

    #[test]
    fn any_other_form_is_left_to_the_general_way() {
        let others = [
            SUCCESS.replace(r#""method":"#, r#""method" :"#),
            SUCCESS.replace("wk_live", r"wk\u005flive"),
            SUCCESS.replace(r#""status":201"#, r#""status":"201""#),
            SUCCESS.replace(r#""status":201"#, r#""status":0201"#),
            SUCCESS.replace(r#"true,"data""#, r#""true","data""#),
            SUCCESS.replace(r#""data""#, r#""date""#),
            SUCCESS.replace(r#""data":{"#, r#""data":{"a":1,}"#),
            SUCCESS.replace("wamid", "\u{1}"),
            format!("{SUCCESS}x"),
            format!("{SUCCESS}\x0c"),
            format!("{SUCCESS} }}"),
            SUCCESS[..SUCCESS.len() - 1].to_owned(),
            SUCCESS.replace("POST", "PO\u{1}T"),
            SUCCESS.replace("00.134Z", r"00.134\u005a"),
            RATE.replace("null", "nul"),
            RATE.replace("null", "nullx"),
            SUCCESS.replace("201", "1."),
            SUCCESS.replace("201", "-"),
            SUCCESS.replace("201", "1e"),
            SUCCESS.replace(r#""data":{"#, r#""data": {"#),
            SUCCESS.replace(
                r#""data":{"messageId":"wamid.e099ec6cd736"}"#,
                &format!(r#""data":{}1{}"#, "[".repeat(120), "]".repeat(120)),
            ),
            RATE.replace(r#""group""#, r#""grouP""#),
            RATE.replace(r#""sec","#, r#""sec","x":1,"#),
            RATE.replace(r#""errors":{"#, r#""errors":[{"#)
                .replace("}}}}", "}]}}"),
        ];
        for line in &others {
            assert!(read(line).is_none(), "{line}");
        }
        // A string skipped in `data` may have an escape, a number any form, and the line may
        // end in JSON whitespace (a CRLF line's `\r`).
        let escaped = SUCCESS.replace("wamid.", r"wamid\n");
        assert!(read(&escaped).is_some());
        let nested = SUCCESS.replace(r#"{"messageId""#, r#"{"a":[{"b":{}}],"messageId""#);
        assert!(read(&nested).is_some());
        let float = SUCCESS.replace(r#""latency_ms":138"#, r#""latency_ms":-1.5e3"#);
        assert_eq!(read(&float).unwrap().status, "201");
        for end in ["\r", " \t\r"] {
            assert!(read(&format!("{SUCCESS}{end}")).is_some());
        }
    }
}
