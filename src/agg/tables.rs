//! Small count tables faster than a hash map for their key: HTTP statuses index an array,
//! days (few, and mostly the same as the line before) sit in a vector with a last-hit cache.

use std::hash::Hash;

use hashbrown::HashMap;

use super::Merge;

/// Values by HTTP status (0 to 999) or no status, in an array.
#[derive(Clone, Debug, Default)]
pub struct ByStatus<V> {
    /// Index 1000 is "no status"; empty until first use.
    slots: Vec<V>,
}

const NO_STATUS: usize = 1000;

impl<V: Default + Clone + PartialEq> ByStatus<V> {
    #[inline]
    pub fn entry(&mut self, status: Option<u16>) -> &mut V {
        if self.slots.is_empty() {
            self.slots = vec![V::default(); NO_STATUS + 1];
        }
        let i = status.map_or(NO_STATUS, |s| (s as usize).min(NO_STATUS - 1));
        &mut self.slots[i]
    }

    /// The statuses seen, ascending, no status last.
    pub fn iter(&self) -> impl Iterator<Item = (Option<u16>, &V)> {
        let empty = V::default();
        self.slots
            .iter()
            .enumerate()
            .filter(move |(_, v)| **v != empty)
            .map(|(i, v)| ((i != NO_STATUS).then_some(i as u16), v))
    }
}

impl<V: Merge + Default + Clone + PartialEq> Merge for ByStatus<V> {
    fn merge(&mut self, other: Self) {
        if other.slots.is_empty() {
            return;
        }
        if self.slots.is_empty() {
            *self = other;
            return;
        }
        for (a, b) in self.slots.iter_mut().zip(other.slots) {
            a.merge(b);
        }
    }
}

/// Values by a key that repeats in runs (a log's day): a vector, the last hit tried first,
/// and a hash index once there are many keys.
#[derive(Clone, Debug)]
pub struct Runs<K, V> {
    entries: Vec<(K, V)>,
    last: usize,
    index: HashMap<K, usize>,
}

const INDEX_FROM: usize = 16;

impl<K, V> Default for Runs<K, V> {
    fn default() -> Self {
        Runs {
            entries: Vec::new(),
            last: 0,
            index: HashMap::new(),
        }
    }
}

impl<K: Copy + Eq + Hash, V: Default> Runs<K, V> {
    /// The value for `key`, created empty on first use; the same key as last time is found
    /// inline.
    #[inline(always)]
    pub fn entry(&mut self, key: K) -> &mut V {
        let i = match self.entries.get(self.last) {
            Some((k, _)) if *k == key => self.last,
            _ => self.find_or_add(key),
        };
        &mut self.entries[i].1
    }

    /// The entry of `key` past the last one used (added empty if new), made the last one.
    #[inline(never)]
    fn find_or_add(&mut self, key: K) -> usize {
        let found = if self.entries.len() >= INDEX_FROM {
            self.index.get(&key).copied()
        } else {
            self.entries.iter().position(|(k, _)| *k == key)
        };
        let i = match found {
            Some(i) => i,
            None => {
                self.entries.push((key, V::default()));
                let i = self.entries.len() - 1;
                if self.entries.len() == INDEX_FROM {
                    self.index = self
                        .entries
                        .iter()
                        .enumerate()
                        .map(|(i, (k, _))| (*k, i))
                        .collect();
                } else if self.entries.len() > INDEX_FROM {
                    self.index.insert(key, i);
                }
                i
            }
        };
        self.last = i;
        i
    }

    pub fn iter(&self) -> impl Iterator<Item = (K, &V)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// The value found or made last, if any.
    pub fn last(&self) -> Option<&V> {
        self.entries.get(self.last).map(|(_, v)| v)
    }

    /// Every entry, taken out.
    pub fn into_entries(self) -> Vec<(K, V)> {
        self.entries
    }
}

impl<K: Copy + Eq + Hash, V: Merge + Default> Merge for Runs<K, V> {
    fn merge(&mut self, other: Self) {
        for (k, v) in other.entries {
            self.entry(k).merge(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_status_counts_and_merges() {
        let mut a = ByStatus::<u64>::default();
        *a.entry(Some(200)) += 2;
        *a.entry(None) += 1;
        let mut b = ByStatus::<u64>::default();
        *b.entry(Some(429)) += 5;
        *b.entry(Some(200)) += 1;
        a.merge(b);
        let got: Vec<_> = a.iter().map(|(s, v)| (s, *v)).collect();
        assert_eq!(got, [(Some(200), 3), (Some(429), 5), (None, 1)]);
    }

    #[test]
    fn runs_find_keys_before_and_after_indexing() {
        let mut r = Runs::<Option<i32>, u64>::default();
        for i in 0..100 {
            *r.entry(Some(i % 40)) += 1;
            *r.entry(None) += 1;
        }
        let mut got: Vec<_> = r.iter().map(|(k, v)| (k, *v)).collect();
        got.sort();
        assert_eq!(got.len(), 41);
        assert_eq!(got[0], (None, 100));
        assert_eq!(got[1], (Some(0), 3));
        assert_eq!(got[40], (Some(39), 2));
    }
}
