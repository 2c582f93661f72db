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
    table: HashTable<(Box<str>, V)>,
    hasher: DefaultHashBuilder,
    none: Option<V>,
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
                        |(e, _)| hasher.hash_one(&**e),
                    )
                    .or_insert_with(|| (k.into(), V::default()))
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

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, &V)> {
        self.none
            .iter()
            .map(|v| (None, v))
            .chain(self.table.iter().map(|(k, v)| (Some(&**k), v)))
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
            self.entry(Some(&k)).merge(v);
        }
    }
}

impl<V: Merge + Default> Keyed<V> {
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
    fn same_compares_every_byte() {
        assert!(same(b"", b""));
        assert!(same(b"0123456789", b"0123456789"));
        assert!(!same(b"0123456789", b"0123456788"));
        assert!(!same(b"01234567", b"01234568"));
        assert!(!same(b"abc", b"abcd"));
    }
}
