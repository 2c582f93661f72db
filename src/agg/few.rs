//! Counts by name for the few names one API key meets: its RATE_001 `limit_type`s.

use super::{Keyed, Merge};

/// Past this many names, the counts move to a hash table.
const FEW: usize = 8;

/// Counts by an optional name, as a short list while the names are few (one or two per key:
/// `sec`, `min`) and short. A hash table's smallest size (four slots, 56 bytes each then) per
/// key was most of the RATE_001 table's memory: 2.7 MB a thread at 12k keys. Input with many
/// names per key, or any name over 15 bytes (`SHORT`), still gets a table (boxed, so the list's
/// 24 bytes are the size of this), and a count never costs more than a look through eight
/// names. A log whose limit types are all that long would pay a table per throttled key.
#[derive(Clone, Debug)]
pub enum NameCounts {
    Few(Vec<Short>),
    Many(Box<Keyed<u64>>),
}

/// Longest name the short list holds.
const SHORT: usize = 15;

/// A name as the short list holds it: its length byte (`u8::MAX` for the null name), then
/// its bytes, zero-padded.
type Packed = [u8; SHORT + 1];

/// One name of the short list and its count. The name is held inside, [`Packed`] (a boxed
/// name was a second allocation per name, and a second cache miss per count): 16 bytes
/// compared at once.
#[derive(Clone, Debug)]
pub struct Short {
    name: Packed,
    count: u64,
}

impl Short {
    /// `name` as the list holds it; `None` when it is too long for the list.
    fn pack(name: Option<&str>) -> Option<Packed> {
        let mut b = [0u8; SHORT + 1];
        match name {
            None => b[0] = u8::MAX,
            Some(s) if s.len() <= SHORT => {
                b[0] = s.len() as u8;
                b[1..=s.len()].copy_from_slice(s.as_bytes());
            }
            Some(_) => return None,
        }
        Some(b)
    }

    fn name(&self) -> Option<&str> {
        match self.name[0] {
            u8::MAX => None,
            len => Some(
                std::str::from_utf8(&self.name[1..=len as usize])
                    .expect("a short name is a copy of a whole str"),
            ),
        }
    }
}

impl Default for NameCounts {
    fn default() -> Self {
        NameCounts::Few(Vec::new())
    }
}

impl NameCounts {
    /// Adds `n` to `name`'s count.
    pub fn add(&mut self, name: Option<&str>, n: u64) {
        self.add_packed(Short::pack(name), || name, n);
    }

    /// [`NameCounts::add`], with the name packed already (`None`: too long for the list) and
    /// read out by `name` only where a table needs it (a merge's names would each be read
    /// back, a UTF-8 check, to be dropped unused). Inlined, so that `add` stays one function
    /// on the per-line path.
    #[inline]
    fn add_packed<'n>(
        &mut self,
        packed: Option<Packed>,
        name: impl FnOnce() -> Option<&'n str>,
        n: u64,
    ) {
        match self {
            NameCounts::Few(list) => {
                if let Some(p) = packed
                    && let Some(e) = list.iter_mut().find(|e| e.name == p)
                {
                    e.count += n;
                } else if let Some(p) = packed
                    && list.len() < FEW
                {
                    if list.capacity() == 0 {
                        // Most keys meet one or two names: room for two, not Vec's four.
                        list.reserve_exact(2);
                    }
                    list.push(Short { name: p, count: n });
                } else {
                    let mut table = Keyed::default();
                    for e in list.drain(..) {
                        *table.entry(e.name()) += e.count;
                    }
                    *table.entry(name()) += n;
                    *self = NameCounts::Many(Box::new(table));
                }
            }
            NameCounts::Many(table) => *table.entry(name()) += n,
        }
    }

    /// Every name with its count, in no particular order.
    pub fn pairs(&self) -> Vec<(Option<&str>, u64)> {
        match self {
            NameCounts::Few(list) => list.iter().map(|e| (e.name(), e.count)).collect(),
            NameCounts::Many(table) => table.iter().map(|(k, c)| (k, *c)).collect(),
        }
    }
}

impl Merge for NameCounts {
    fn merge(&mut self, o: NameCounts) {
        match o {
            NameCounts::Few(list) => {
                for e in &list {
                    // Already packed: compared and kept as it is.
                    self.add_packed(Some(e.name), || e.name(), e.count);
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
        assert_eq!(
            std::mem::size_of::<NameCounts>(),
            std::mem::size_of::<Vec<Short>>()
        );
        // A name and its count in three words, as a boxed name and its count were.
        assert_eq!(std::mem::size_of::<Short>(), 24);
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
            // Names 0..=8 are eight distinct ones (the null name twice); name 9 is the ninth.
            assert_eq!(matches!(a, NameCounts::Few(_)), i < 9, "after name {i}");
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

    #[test]
    fn names_up_to_fifteen_bytes_stay_in_the_list_and_longer_ones_move_it_to_a_table() {
        let fifteen = "abcdefghijklmno";
        let mut c = NameCounts::default();
        // The empty name and the null name differ; so do names one a prefix of the other.
        for (name, n) in [(Some(""), 1), (None, 2), (Some("s"), 3), (Some("sec"), 4)] {
            c.add(name, n);
        }
        c.add(Some(fifteen), 5);
        c.add(Some(&fifteen[..14]), 6);
        // Fifteen bytes that differ from `fifteen` in the last one only.
        let twin = "abcdefghijklmnO";
        c.add(Some(twin), 8);
        c.add(Some("sec"), 10);
        assert!(matches!(c, NameCounts::Few(ref l) if l.len() == 7), "{c:?}");
        let want = |extra: &[(Option<&str>, u64)]| {
            let mut v: Vec<(Option<String>, u64)> = [
                (None, 2),
                (Some(""), 1),
                (Some("s"), 3),
                (Some("sec"), 14),
                (Some(&fifteen[..14]), 6),
                (Some(twin), 8),
                (Some(fifteen), 5),
            ]
            .iter()
            .chain(extra)
            .map(|(k, n)| (k.map(str::to_owned), *n))
            .collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&c), want(&[]));
        // A sixteen-byte name does not fit: the counts move to a table, none lost.
        let sixteen = "abcdefghijklmnop";
        c.add(Some(sixteen), 7);
        assert!(matches!(c, NameCounts::Many(_)));
        assert_eq!(sorted(&c), want(&[(Some(sixteen), 7)]));
        // A key's first name gets room for two, not Vec's four.
        let mut one = NameCounts::default();
        one.add(Some("sec"), 1);
        assert!(
            matches!(one, NameCounts::Few(ref l) if l.capacity() == 2),
            "{one:?}"
        );
        // Multi-byte UTF-8 that fills the fifteen bytes exactly comes back whole.
        let mut u = NameCounts::default();
        let wide = "ééééééé\u{1}"; // 7 × 2 bytes + 1
        u.add(Some(wide), 1);
        assert!(matches!(u, NameCounts::Few(_)));
        assert_eq!(u.pairs(), vec![(Some(wide), 1)]);
    }
}
