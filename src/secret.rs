//! API keys and bearer tokens are secrets: masked for display, fingerprinted for joining.

use sha2::{Digest, Sha256};

/// A short readable prefix, `…`, and the last characters: at most half of a key shows,
/// never more than 4 characters at either end. The `(other)` row of keys past `--max-keys`
/// is no key and shows as it is.
pub fn mask(key: &str) -> String {
    if key == crate::agg::OTHER {
        return key.to_owned();
    }
    let chars: Vec<char> = key.chars().collect();
    let show = (chars.len() / 4).min(4);
    let mut out = String::with_capacity(show * 2 + 3);
    out.extend(&chars[..show]);
    out.push('…');
    out.extend(&chars[chars.len() - show..]);
    out
}

/// A key as a report shows it: masked, or whole with `--show-keys`.
pub fn shown(key: &str, show_keys: bool) -> String {
    if show_keys { key.to_owned() } else { mask(key) }
}

/// A stable fingerprint: the first 16 hex digits of the key's SHA-256
/// (`printf %s KEY | sha256sum | cut -c1-16`), the same in every run and report.
pub fn fingerprint(key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(key.as_bytes());
    // Hex by table: a format! per byte made fingerprints a third of the time after reading.
    let mut out = String::with_capacity(16);
    for b in &digest[..8] {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_little() {
        assert_eq!(mask("wk_live_0123456789abcdef"), "wk_l…cdef");
        assert_eq!(mask("abcdefgh"), "ab…gh");
        assert_eq!(mask("abc"), "…");
        assert_eq!(mask(""), "…");
        assert_eq!(mask("ключ-ключ-ключ"), "клю…люч");
    }

    #[test]
    fn fingerprint_is_sha256_prefix() {
        // printf %s abc | sha256sum
        assert_eq!(fingerprint("abc"), "ba7816bf8f01cfea");
    }
}

/// Field names whose string values are treated as secrets in raw text.
const SECRET_FIELDS: &[&str] = &[
    "api_key",
    "apiKey",
    "key_id",
    "key",
    "client_id",
    "token",
    "authorization",
    "Authorization",
];

/// Masks what looks like a secret in raw text (a rejected line): `Bearer <token>` values
/// and the string values of key-like JSON fields.
pub fn redact(text: &str) -> String {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("bearer ") {
        let start = from + p + 7;
        let end = value_end(text, start);
        if end > start {
            spans.push((start, end));
        }
        from = start;
    }
    for name in SECRET_FIELDS {
        let pat = format!("\"{name}\"");
        let mut from = 0;
        while let Some(p) = text[from..].find(&pat) {
            let mut i = from + p + pat.len();
            from = i;
            let b = text.as_bytes();
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b.get(i) != Some(&b':') {
                continue;
            }
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b.get(i) != Some(&b'"') {
                continue;
            }
            let start = i + 1;
            let end = text[start..]
                .find(['"', '\\'])
                .map_or(text.len(), |p| start + p);
            if end > start {
                spans.push((start, end));
            }
        }
    }
    spans.sort();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in spans {
        if s < at {
            continue;
        }
        out.push_str(&text[at..s]);
        let value = &text[s..e];
        match value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        {
            Some(tok) => {
                out.push_str(&value[..value.len() - tok.len()]);
                out.push_str(&mask(tok));
            }
            None => out.push_str(&mask(value)),
        }
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// End of a secret value: the next quote, backslash, whitespace or comma.
fn value_end(text: &str, start: usize) -> usize {
    text[start..]
        .find(|c: char| c == '"' || c == '\\' || c == ',' || c.is_whitespace())
        .map_or(text.len(), |p| start + p)
}

#[cfg(test)]
mod redact_tests {
    use super::*;

    #[test]
    fn redacts_keys_and_tokens() {
        let line = r#"{"api_key" : "wk_live_0123456789abcdef","headers":{"authorization":"Bearer tok_0123456789abcdef"},"x":"#;
        let r = redact(line);
        assert!(!r.contains("0123456789abcdef"), "{r}");
        assert!(r.contains("wk_l…cdef"), "{r}");
        assert!(r.contains("Bearer tok_…cdef"), "{r}");
        assert_eq!(redact("plain text"), "plain text");
    }
}
