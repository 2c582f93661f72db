//! Borrowed JSON walking: parse one object against a [`Plan`], keep the raw text of the
//! values the plan names, skip everything else without allocating.
//!
//! Two walkers do this: [`Serde`], serde_json underneath, the reference that handles any input
//! and explains what is wrong with invalid JSON; and [`Fast`](super::fast::Fast), a hand-written
//! scanner for the common case that bails out to [`Serde`] whenever it is not sure.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::fields::Plan;
use super::swar;

/// The raw JSON text of captured values, indexed by capture number (one per capture of the
/// plan: see [`Plan::captures`]).
pub type Captures<'a> = [Option<&'a str>];

/// Why a walk stopped.
#[derive(Debug)]
pub enum WalkError {
    /// Not valid JSON (or not an object); the message says why.
    Invalid(String),
    /// The fast walker met something it leaves to the reference walker.
    Bail,
}

/// Whether a walked object's string values may hold escapes: when none can, a captured
/// string is its text between the quotes, without a look for backslashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escapes {
    /// No string value of the object has a `\`.
    None,
    Maybe,
}

/// Walks JSON text, capturing what a plan names.
pub trait Walker {
    /// Parses `json` (one whole object, surrounding whitespace allowed) and fills `caps`.
    /// When a key repeats, its last occurrence wins, as in JavaScript, jq and serde_json's
    /// `Value`.
    fn object<'a>(
        plan: &Plan,
        json: &'a str,
        caps: &mut Captures<'a>,
    ) -> Result<Escapes, WalkError>;
    /// The raw text of each element of a JSON array.
    fn array<'a>(json: &'a str, out: &mut Vec<&'a str>) -> Result<(), WalkError>;
}

/// The reference walker: serde_json, for any input.
pub struct Serde;

impl Walker for Serde {
    fn object<'a>(
        plan: &Plan,
        json: &'a str,
        caps: &mut Captures<'a>,
    ) -> Result<Escapes, WalkError> {
        let mut de = serde_json::Deserializer::from_str(json);
        ObjectSeed {
            plan,
            node: 0,
            caps,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| WalkError::Invalid(e.to_string()))?;
        Ok(Escapes::Maybe)
    }

    fn array<'a>(json: &'a str, out: &mut Vec<&'a str>) -> Result<(), WalkError> {
        let items: Vec<&'a RawValue> =
            serde_json::from_str(json).map_err(|e| WalkError::Invalid(e.to_string()))?;
        out.extend(items.into_iter().map(RawValue::get));
        Ok(())
    }
}

struct ObjectSeed<'p, 'c, 'a> {
    plan: &'p Plan,
    node: usize,
    caps: &'c mut Captures<'a>,
}

impl<'a> DeserializeSeed<'a> for ObjectSeed<'_, '_, 'a> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for ObjectSeed<'_, '_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'a>>(self, mut map: M) -> Result<(), M::Error> {
        let plan = self.plan;
        while let Some(child) = map.next_key_seed(KeySeed {
            plan,
            node: self.node,
        })? {
            let Some(child) = child else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let raw: &'a RawValue = map.next_value()?;
            let node = &plan.nodes[child];
            if let Some(c) = node.capture {
                self.caps[c] = Some(raw.get());
            }
            for &c in &node.below {
                self.caps[c] = None;
            }
            if !node.children.is_empty() && raw.get().starts_with('{') {
                let mut de = serde_json::Deserializer::from_str(raw.get());
                ObjectSeed {
                    plan,
                    node: child,
                    caps: self.caps,
                }
                .deserialize(&mut de)
                .map_err(de::Error::custom)?;
            }
        }
        Ok(())
    }
}

/// Matches an object key against the children of a trie node without allocating.
struct KeySeed<'p> {
    plan: &'p Plan,
    node: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.plan.nodes[self.node].child(v))
    }
}

/// The text of a JSON string value, borrowed when it has no escapes.
pub fn as_str(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if !has_backslash(inner.as_bytes()) {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
}

/// [`as_str`], or when `escapes` says no string can hold an escape, the text between the
/// quotes as it is.
#[inline]
pub fn as_str_of(raw: &str, escapes: Escapes) -> Option<Cow<'_, str>> {
    match escapes {
        Escapes::None => raw.strip_prefix('"')?.strip_suffix('"').map(Cow::Borrowed),
        Escapes::Maybe => as_str(raw),
    }
}

/// [`as_text`] with [`as_str_of`].
#[inline]
pub fn as_text_of(raw: &str, escapes: Escapes) -> Option<Cow<'_, str>> {
    if is_number(raw) {
        Some(Cow::Borrowed(raw))
    } else {
        as_str_of(raw, escapes)
    }
}

/// Whether `s` holds a backslash, eight bytes at a time (values are short: a call to std's
/// memchr per value cost more than the search). Not [`swar::find_words`]: an overlapping
/// last word measured +0.13% instructions on the mixed log and was not faster there.
#[inline]
fn has_backslash(s: &[u8]) -> bool {
    let mut words = s.chunks_exact(8);
    if words
        .by_ref()
        .any(|c| swar::equal(swar::word(c), b'\\') != 0)
    {
        return true;
    }
    words.remainder().contains(&b'\\')
}

/// Whether a raw JSON value is a number, by its first byte.
pub fn is_number(raw: &str) -> bool {
    matches!(raw.as_bytes().first(), Some(b'-' | b'0'..=b'9'))
}

/// A string's text, or a number's literal text; `None` for anything else.
pub fn as_text(raw: &str) -> Option<Cow<'_, str>> {
    as_text_of(raw, Escapes::Maybe)
}

/// A boolean, also written as the string `"true"`/`"false"`.
#[inline]
pub fn as_bool(raw: &str) -> Option<bool> {
    // The JSON literals inline (every line's `isSuccess`); strings out of line.
    match raw.as_bytes() {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => as_bool_text(raw),
    }
}

/// [`as_bool`] past the JSON literals.
#[inline(never)]
fn as_bool_text(raw: &str) -> Option<bool> {
    match raw {
        "\"true\"" => Some(true),
        "\"false\"" => Some(false),
        _ if raw.starts_with('"') && raw.contains('\\') => match as_str(raw)?.as_ref() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_literals_and_strings() {
        let cases = [
            ("true", Some(true)),
            ("false", Some(false)),
            (r#""true""#, Some(true)),
            (r#""false""#, Some(false)),
            (r#""tru\u0065""#, Some(true)),
            (r#""f\u0061lse""#, Some(false)),
            (r#""TRUE""#, None),
            (r#"" true""#, None),
            ("truex", None),
            ("fals", None),
            ("1", None),
            ("null", None),
            ("", None),
        ];
        for (raw, want) in cases {
            assert_eq!(as_bool(raw), want, "{raw}");
        }
    }

    #[test]
    fn a_backslash_is_found_at_every_place_of_every_length() {
        for n in 0..=40 {
            assert!(!has_backslash(&vec![b'a'; n]), "none in {n}");
            for at in 0..n {
                let mut s = vec![b'a'; n];
                s[at] = b'\\';
                assert!(has_backslash(&s), "at {at} of {n}");
            }
        }
    }
}
