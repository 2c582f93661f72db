//! Counts by name for the few names one API key meets: its RATE_001 `limit_type`s.

use super::{Keyed, Merge};

/// Past this many names, the counts move to a hash table.
const FEW: usize = 8;

/// Counts by an optional name, as a short list while the names are few (one or two per key:
/// `sec`, `min`). A hash table's smallest size (four slots, 56 bytes each then) per key was most of the
/// RATE_001 table's memory: 2.7 MB a thread at 12k keys. Hostile input with many names per
/// key still gets a table (boxed, so the list's 24 bytes are the size of this), and a count
/// never costs more than a look through eight names.
#[derive(Clone, Debug)]
pub enum NameCounts {
    Few(Vec<(Option<Box<str>>, u64)>),
    Many(Box<Keyed<u64>>),
}

impl Default for NameCounts {
    fn default() -> Self {
        NameCounts::Few(Vec::new())
    }
}

impl NameCounts {
    /// Adds `n` to `name`'s count.
    pub fn add(&mut self, name: Option<&str>, n: u64) {
        match self {
            NameCounts::Few(list) => {
                if let Some((_, count)) = list.iter_mut().find(|(k, _)| k.as_deref() == name) {
                    *count += n;
                } else if list.len() < FEW {
                    list.push((name.map(Into::into), n));
                } else {
                    let mut table = Keyed::default();
                    for (k, c) in list.drain(..) {
                        *table.entry(k.as_deref()) += c;
                    }
                    *table.entry(name) += n;
                    *self = NameCounts::Many(Box::new(table));
                }
            }
            NameCounts::Many(table) => *table.entry(name) += n,
        }
    }

    /// Every name with its count, in no particular order.
    pub fn pairs(&self) -> Vec<(Option<&str>, u64)> {
        match self {
            NameCounts::Few(list) => list.iter().map(|(k, c)| (k.as_deref(), *c)).collect(),
            NameCounts::Many(table) => table.iter().map(|(k, c)| (k, *c)).collect(),
        }
    }
}

impl Merge for NameCounts {
    fn merge(&mut self, o: NameCounts) {
        match o {
            NameCounts::Few(list) => {
                for (k, c) in list {
                    self.add(k.as_deref(), c);
                }
            }
            NameCounts::Many(table) => {
                for (k, c) in table.iter() {
                    self.add(k, *c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(c: &NameCounts) -> Vec<(Option<String>, u64)> {
        let mut v: Vec<_> = c
            .pairs()
            .into_iter()
            .map(|(k, n)| (k.map(str::to_owned), n))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_key_s_counts_take_no_more_room_than_a_vec() {
        type List = Vec<(Option<Box<str>>, u64)>;
        assert_eq!(
            std::mem::size_of::<NameCounts>(),
            std::mem::size_of::<List>()
        );
    }

    #[test]
    fn counts_stay_exact_from_few_names_to_many() {
        let mut a = NameCounts::default();
        let mut want = std::collections::BTreeMap::new();
        // The null name, repeats, then more names than the short list holds.
        let names: Vec<Option<String>> = [None, Some("sec".to_owned()), None]
            .into_iter()
            .chain((0..20).map(|i| Some(format!("t{}", i % 12))))
            .collect();
        for (i, n) in names.iter().enumerate() {
            a.add(n.as_deref(), i as u64 + 1);
            *want.entry(n.clone()).or_insert(0) += i as u64 + 1;
            if i == 5 {
                assert!(matches!(a, NameCounts::Few(_)));
            }
        }
        assert!(matches!(a, NameCounts::Many(_)));
        let want: Vec<_> = want.into_iter().collect();
        assert_eq!(sorted(&a), want);
        // Merging a short list into a table and a table into a short list.
        let mut few = NameCounts::default();
        few.add(Some("sec"), 5);
        few.add(Some("day"), 1);
        let mut many = a.clone();
        many.merge(few.clone());
        few.merge(a);
        assert_eq!(sorted(&many), sorted(&few));
        let get = |c: &NameCounts, k: &str| c.pairs().iter().find(|p| p.0 == Some(k)).map(|p| p.1);
        assert_eq!(get(&few, "sec"), Some(2 + 5));
        assert_eq!(get(&few, "day"), Some(1));
    }
}
