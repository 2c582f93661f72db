//! A count table keyed by an optional string, looked up by `&str` without allocating on a hit.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::Merge;

/// Values keyed by an optional string; `None` is the null bucket (no key, no code, ...).
///
/// A `HashTable` rather than a `HashMap`, so that equality is compared inline (API keys and
/// endpoints are short; a memcmp call per hit cost more than the comparison).
#[derive(Clone, Debug, Default)]
pub struct Keyed<V> {
    table: HashTable<(Name, V)>,
    hasher: DefaultHashBuilder,
    none: Option<V>,
}

/// Longest key kept inside its table entry.
const INLINE: usize = 38;

/// A key, inside its table entry when short (API keys, endpoints, codes), so that finding one
/// reads the entry alone instead of following a pointer (with 20k keys, that second cache
/// miss was most of a lookup).
#[derive(Clone)]
enum Name {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Name {
    fn new(s: &str) -> Name {
        if s.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Name::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Name::Heap(s.into())
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            Name::Inline { len, bytes } => &bytes[..*len as usize],
            Name::Heap(b) => b.as_bytes(),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Name::Inline { len, bytes } => std::str::from_utf8(&bytes[..*len as usize])
                .expect("an inline name is a copy of a whole str"),
            Name::Heap(b) => b,
        }
    }

    fn into_boxed(self) -> Box<str> {
        match self {
            Name::Heap(b) => b,
            inline => inline.as_str().into(),
        }
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Byte equality, eight bytes at a time, without a library call.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        let word = |s: &[u8]| u64::from_ne_bytes(s.try_into().unwrap_or_default());
        if word(p) != word(q) {
            return false;
        }
    }
    x.remainder().iter().zip(y.remainder()).all(|(p, q)| p == q)
}

impl<V: Default> Keyed<V> {
    /// The value for `key`, created empty on first use.
    #[inline]
    pub fn entry(&mut self, key: Option<&str>) -> &mut V {
        match key {
            None => self.none.get_or_insert_with(V::default),
            Some(k) => {
                let hash = self.hasher.hash_one(k);
                let hasher = &self.hasher;
                &mut self
                    .table
                    .entry(
                        hash,
                        |(e, _)| same(e.as_bytes(), k.as_bytes()),
                        |(e, _)| hasher.hash_one(e.as_str()),
                    )
                    .or_insert_with(|| (Name::new(k), V::default()))
                    .into_mut()
                    .1
            }
        }
    }
}

impl<V> Keyed<V> {
    pub fn get(&self, key: Option<&str>) -> Option<&V> {
        match key {
            None => self.none.as_ref(),
            Some(k) => self
                .table
                .find(self.hasher.hash_one(k), |(e, _)| {
                    same(e.as_bytes(), k.as_bytes())
                })
                .map(|(_, v)| v),
        }
    }

    /// Distinct keys, the null bucket included.
    pub fn len(&self) -> usize {
        self.table.len() + self.none.is_some() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry, taken out, in no particular order.
    pub fn iter_owned(self) -> impl Iterator<Item = (Option<Box<str>>, V)> {
        self.none.into_iter().map(|v| (None, v)).chain(
            self.table
                .into_iter()
                .map(|(k, v)| (Some(k.into_boxed()), v)),
        )
    }

    /// Every entry, values mutable, in no particular order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Option<&str>, &mut V)> {
        self.none
            .iter_mut()
            .map(|v| (None, v))
            .chain(self.table.iter_mut().map(|(k, v)| (Some(k.as_str()), v)))
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, &V)> {
        self.none
            .iter()
            .map(|v| (None, v))
            .chain(self.table.iter().map(|(k, v)| (Some(k.as_str()), v)))
    }
}

impl<V: Merge + Default> Merge for Keyed<V> {
    fn merge(&mut self, mut other: Self) {
        if self.table.len() < other.table.len() {
            // Merge the smaller table into the larger.
            std::mem::swap(self, &mut other);
        }
        if let Some(v) = other.none {
            self.entry(None).merge(v);
        }
        for (k, v) in other.table {
            self.entry(Some(k.as_str())).merge(v);
        }
    }
}

/// The row that keys past a cap fold into (see [`Keyed::capped`]).
pub const OTHER: &str = "(other)";

impl<V> Keyed<V> {
    /// `key`, or [`OTHER`] when `cap` distinct keys are held and `key` is not one of them;
    /// the flag says whether it folded. A lookup only once the table is full.
    #[inline]
    pub fn capped<'k>(&self, key: Option<&'k str>, cap: usize) -> (Option<&'k str>, bool) {
        if self.table.len() >= cap && key.is_some_and(|k| k != OTHER) && self.get(key).is_none() {
            (Some(OTHER), true)
        } else {
            (key, false)
        }
    }
}

impl<V: Merge + Default> Keyed<V> {
    /// [`Merge::merge`] holding at most `cap` keys (plus [`OTHER`]): the rest of `other`
    /// folds into [`OTHER`]. Returns the summed `weight` of what folded.
    pub fn merge_capped(&mut self, mut other: Self, cap: usize, weight: impl Fn(&V) -> u64) -> u64 {
        if self.table.len() < other.table.len() {
            std::mem::swap(self, &mut other);
        }
        if let Some(v) = other.none {
            self.entry(None).merge(v);
        }
        let mut folded = 0;
        for (k, v) in other.table {
            let (key, f) = self.capped(Some(k.as_str()), cap);
            if f {
                folded += weight(&v);
            }
            self.entry(key).merge(v);
        }
        folded
    }

    /// The key with the largest value by `weight`, ties to the smallest key; `None` when empty.
    pub fn top_by(&self, weight: impl Fn(&V) -> u64) -> Option<Option<&str>> {
        self.iter()
            .max_by(|(ka, va), (kb, vb)| weight(va).cmp(&weight(vb)).then_with(|| kb.cmp(ka)))
            .map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merge_and_find() {
        let mut a = Keyed::<u64>::default();
        *a.entry(Some("wk_live_0123456789abcdef")) += 2;
        *a.entry(Some("x")) += 1;
        *a.entry(None) += 4;
        let mut b = Keyed::<u64>::default();
        for i in 0..100 {
            *b.entry(Some(&format!("k{i}"))) += 1;
        }
        *b.entry(Some("x")) += 10;
        a.merge(b);
        assert_eq!(a.len(), 103);
        assert_eq!(a.get(Some("x")), Some(&11));
        assert_eq!(a.get(Some("wk_live_0123456789abcdef")), Some(&2));
        assert_eq!(a.get(Some("wk_live_0123456789abcdeF")), None);
        assert_eq!(a.get(None), Some(&4));
        assert_eq!(a.top_by(|v| *v), Some(Some("x")));
    }

    #[test]
    fn caps_fold_new_keys_into_other() {
        let mut a = Keyed::<u64>::default();
        for k in ["a", "b", "c", "a"] {
            let (key, _) = a.capped(Some(k), 2);
            *a.entry(key) += 1;
        }
        assert_eq!(a.get(Some("a")), Some(&2));
        assert_eq!(a.get(Some(OTHER)), Some(&1));
        // Known keys and the null bucket never fold.
        assert_eq!(a.capped(Some("b"), 2), (Some("b"), false));
        assert_eq!(a.capped(None, 2), (None, false));
        let mut b = Keyed::<u64>::default();
        for k in ["b", "d", "e"] {
            *b.entry(Some(k)) += 10;
        }
        let folded = a.merge_capped(b, 2, |v| *v);
        assert_eq!(folded, 20);
        assert_eq!(a.get(Some("b")), Some(&11));
        assert_eq!(a.get(Some(OTHER)), Some(&21));
        assert_eq!(a.len(), 3);
        assert_eq!(a.iter().map(|(_, v)| v).sum::<u64>(), 34);
    }

    #[test]
    fn same_compares_every_byte() {
        assert!(same(b"", b""));
        assert!(same(b"0123456789", b"0123456789"));
        assert!(!same(b"0123456789", b"0123456788"));
        assert!(!same(b"01234567", b"01234568"));
        assert!(!same(b"abc", b"abcd"));
    }
}
