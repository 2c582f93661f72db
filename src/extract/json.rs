//! Borrowed JSON walking: parse one object against a [`Plan`], keep the raw text of the
//! values the plan names, skip everything else without allocating.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::fields::{MAX_CAPTURES, Plan};

/// Raw values captured from one object, indexed by capture number.
pub type Captures<'a> = [Option<&'a RawValue>; MAX_CAPTURES];

/// Parses `json` (one whole object, surrounding whitespace allowed) and fills `caps`.
/// When a key repeats, its last occurrence wins, as in JavaScript, jq and serde_json's `Value`.
pub fn parse_object<'a>(
    plan: &Plan,
    json: &'a str,
    caps: &mut Captures<'a>,
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    ObjectSeed {
        plan,
        node: 0,
        caps,
    }
    .deserialize(&mut de)?;
    de.end()
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
                self.caps[c] = Some(raw);
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
pub fn as_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let t = raw.get();
    let inner = t.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(t).ok().map(Cow::Owned)
}

/// The kind of a raw JSON value, by its first byte.
pub fn is_number(raw: &RawValue) -> bool {
    matches!(raw.get().as_bytes().first(), Some(b'-' | b'0'..=b'9'))
}

/// A string's text, or a number's literal text; `None` for anything else.
pub fn as_text(raw: &RawValue) -> Option<Cow<'_, str>> {
    if is_number(raw) {
        Some(Cow::Borrowed(raw.get()))
    } else {
        as_str(raw)
    }
}

/// A boolean, also written as the string `"true"`/`"false"`.
pub fn as_bool(raw: &RawValue) -> Option<bool> {
    match raw.get() {
        "true" | "\"true\"" => Some(true),
        "false" | "\"false\"" => Some(false),
        _ => None,
    }
}
