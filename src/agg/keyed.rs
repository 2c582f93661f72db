//! A count table keyed by an optional string, looked up by `&str` without allocating on a hit.

use hashbrown::HashMap;

use super::Merge;

/// Values keyed by an optional string; `None` is the null bucket (no key, no code, ...).
#[derive(Clone, Debug)]
pub struct Keyed<V> {
    map: HashMap<String, V>,
    none: Option<V>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed {
            map: HashMap::new(),
            none: None,
        }
    }
}

impl<V: Default> Keyed<V> {
    /// The value for `key`, created empty on first use.
    #[inline]
    pub fn entry(&mut self, key: Option<&str>) -> &mut V {
        match key {
            None => self.none.get_or_insert_with(V::default),
            Some(k) => self.map.entry_ref(k).or_default(),
        }
    }
}

impl<V> Keyed<V> {
    pub fn get(&self, key: Option<&str>) -> Option<&V> {
        match key {
            None => self.none.as_ref(),
            Some(k) => self.map.get(k),
        }
    }

    /// Distinct keys, the null bucket included.
    pub fn len(&self) -> usize {
        self.map.len() + self.none.is_some() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, &V)> {
        self.none
            .iter()
            .map(|v| (None, v))
            .chain(self.map.iter().map(|(k, v)| (Some(&**k), v)))
    }
}

impl<V: Merge + Default> Merge for Keyed<V> {
    fn merge(&mut self, other: Self) {
        if let Some(v) = other.none {
            self.entry(None).merge(v);
        }
        if self.map.len() < other.map.len() {
            // Merge the smaller table into the larger.
            let mine = std::mem::replace(&mut self.map, other.map);
            for (k, v) in mine {
                self.map.entry(k).or_default().merge(v);
            }
        } else {
            for (k, v) in other.map {
                self.map.entry(k).or_default().merge(v);
            }
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
