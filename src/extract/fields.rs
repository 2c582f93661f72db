//! Which JSON fields feed which part of a record: the default names, `--field` overrides,
//! and the compiled lookup plan (a small trie of path segments) the parser walks.

use crate::error::FieldError;

/// A part of a record that errlens looks up in each log object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Time,
    Key,
    Authorization,
    Status,
    Endpoint,
    Method,
    Envelope,
}

impl Slot {
    pub const ALL: [Slot; 7] = [
        Slot::Time,
        Slot::Key,
        Slot::Authorization,
        Slot::Status,
        Slot::Endpoint,
        Slot::Method,
        Slot::Envelope,
    ];

    /// The name used by `--field NAME=PATH`.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Time => "time",
            Slot::Key => "key",
            Slot::Authorization => "authorization",
            Slot::Status => "status",
            Slot::Endpoint => "endpoint",
            Slot::Method => "method",
            Slot::Envelope => "envelope",
        }
    }

    /// The field names looked up by default, first present wins.
    pub fn defaults(self) -> &'static [&'static str] {
        match self {
            Slot::Time => &["ts", "timestamp", "time", "@timestamp", "date"],
            Slot::Key => &["api_key", "apiKey", "key_id", "key", "client_id"],
            Slot::Authorization => &[
                "headers.authorization",
                "headers.Authorization",
                "authorization",
            ],
            Slot::Status => &["status", "status_code", "statusCode", "http_status"],
            Slot::Endpoint => &["path", "route", "endpoint", "url"],
            Slot::Method => &["method"],
            Slot::Envelope => &["response", "body", "response_body", "responseBody", "resp"],
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Field paths per slot, in priority order. Each path is a list of object keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMap {
    paths: Vec<Vec<Vec<String>>>,
}

impl Default for FieldMap {
    fn default() -> Self {
        let paths = Slot::ALL
            .iter()
            .map(|s| s.defaults().iter().map(|p| split_path(p)).collect())
            .collect();
        FieldMap { paths }
    }
}

fn split_path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_owned).collect()
}

impl FieldMap {
    /// Applies one `--field SLOT=PATH[,PATH...]` override: the given paths replace the defaults.
    pub fn set(&mut self, spec: &str) -> Result<(), FieldError> {
        let (name, paths) = spec
            .split_once('=')
            .ok_or_else(|| FieldError::Syntax(spec.to_owned()))?;
        let slot = Slot::ALL
            .iter()
            .copied()
            .find(|s| s.name() == name.trim())
            .ok_or_else(|| FieldError::UnknownSlot(name.trim().to_owned()))?;
        let list: Vec<Vec<String>> = paths
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(split_path)
            .collect();
        if list.is_empty() || list.iter().flatten().any(|seg| seg.is_empty()) {
            return Err(FieldError::Syntax(spec.to_owned()));
        }
        self.paths[slot.index()] = list;
        Ok(())
    }

    /// The paths for one slot, in priority order.
    pub fn paths(&self, slot: Slot) -> &[Vec<String>] {
        &self.paths[slot.index()]
    }
}

/// Most captures one plan can hold; ample for the defaults plus many overrides.
pub const MAX_CAPTURES: usize = 64;

/// A child key of a trie node, with its first 16 bytes as two words for a quick comparison.
#[derive(Debug)]
pub(crate) struct Child {
    pub(crate) key: Box<str>,
    pub(crate) node: usize,
    words: [u64; 2],
}

impl Child {
    fn new(key: &str, node: usize) -> Child {
        let mut padded = [0u8; 16];
        let n = key.len().min(16);
        padded[..n].copy_from_slice(&key.as_bytes()[..n]);
        Child {
            key: key.into(),
            node,
            words: [
                u64::from_le_bytes(padded[..8].try_into().unwrap_or_default()),
                u64::from_le_bytes(padded[8..].try_into().unwrap_or_default()),
            ],
        }
    }
}

/// A node of the lookup trie: the keys below it, and the capture slot its value fills.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// Child keys and their nodes, grouped by [`bucket`] once the plan is built.
    pub(crate) children: Vec<Child>,
    /// For each bucket, the range of `children` that falls in it.
    buckets: Vec<(u8, u8)>,
    pub(crate) capture: Option<usize>,
    /// Captures strictly below this node, cleared when its key repeats (the last one wins).
    pub(crate) below: Vec<usize>,
}

const BUCKETS: usize = 64;

/// A cheap hash of a key (length, first and last byte): most keys of a log line that the plan
/// does not name land in an empty bucket and cost one comparison of nothing.
#[inline]
fn bucket(key: &[u8]) -> usize {
    match (key.first(), key.last()) {
        (Some(&f), Some(&l)) => (key.len() * 7 + f as usize * 3 + l as usize) % BUCKETS,
        _ => 0,
    }
}

/// The low `len` bytes of a little-endian word (all of it from 8 on).
#[inline]
fn low_bytes(len: usize) -> u64 {
    if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * len)) - 1
    }
}

impl Node {
    #[inline]
    fn candidates(&self, key: &[u8]) -> &[Child] {
        match self.buckets.get(bucket(key)) {
            Some(&(a, b)) => &self.children[a as usize..b as usize],
            None => &self.children,
        }
    }

    /// The child node for `key`, if the plan names it.
    #[inline]
    pub(crate) fn child(&self, key: &str) -> Option<usize> {
        let key = key.as_bytes();
        // Short keys compare inline; a libc memcmp call costs more than the comparison.
        self.candidates(key)
            .iter()
            .find(|c| {
                let k = c.key.as_bytes();
                k.len() == key.len() && k.iter().zip(key).all(|(a, b)| a == b)
            })
            .map(|c| c.node)
    }

    /// Like [`Node::child`] for the key at `line[start..end]`, comparing 16 bytes as two words
    /// when the line has them.
    #[inline]
    pub(crate) fn child_at(&self, line: &[u8], start: usize, end: usize) -> Option<usize> {
        let len = end - start;
        let Some(window) = line.get(start..start + 16).filter(|_| len <= 16) else {
            return self.child(std::str::from_utf8(&line[start..end]).ok()?);
        };
        let w0 = u64::from_le_bytes(window[..8].try_into().unwrap_or_default()) & low_bytes(len);
        let w1 = u64::from_le_bytes(window[8..].try_into().unwrap_or_default())
            & low_bytes(len.saturating_sub(8));
        let w1 = if len <= 8 { 0 } else { w1 };
        self.candidates(&line[start..end])
            .iter()
            .find(|c| c.key.len() == len && c.words == [w0, w1])
            .map(|c| c.node)
    }

    /// Groups the children by bucket (when there are few enough to index with `u8`).
    fn index(&mut self) {
        if self.children.len() > u8::MAX as usize {
            return;
        }
        self.children.sort_by_key(|c| bucket(c.key.as_bytes()));
        let mut buckets = vec![(0u8, 0u8); BUCKETS];
        let mut at = 0;
        for (b, range) in buckets.iter_mut().enumerate() {
            let start = at;
            while at < self.children.len() && bucket(self.children[at].key.as_bytes()) == b {
                at += 1;
            }
            *range = (start as u8, at as u8);
        }
        self.buckets = buckets;
    }
}

/// A compiled set of paths: parsing an object against it captures the raw value at each path.
#[derive(Debug)]
pub struct Plan {
    /// Unique for the process, so caches keyed by plan never mix two plans up.
    pub(crate) id: u64,
    pub(crate) nodes: Vec<Node>,
    /// For each group of paths (a slot, or a fixed field), its capture indices in priority order.
    groups: Vec<Vec<usize>>,
    captures: usize,
}

impl Plan {
    /// Compiles groups of paths; the capture indices of group `g` come back from [`Plan::group`].
    pub fn new(groups: &[Vec<Vec<String>>]) -> Result<Plan, FieldError> {
        let mut nodes = vec![Node::default()];
        let mut out = Vec::with_capacity(groups.len());
        let mut next_capture = 0usize;
        for paths in groups {
            let mut caps = Vec::with_capacity(paths.len());
            for path in paths {
                let mut at = 0usize;
                for seg in path {
                    at = match nodes[at].child(seg) {
                        Some(n) => n,
                        None => {
                            nodes.push(Node::default());
                            let n = nodes.len() - 1;
                            nodes[at].children.push(Child::new(seg, n));
                            n
                        }
                    };
                }
                let cap = match nodes[at].capture {
                    Some(c) => c,
                    None => {
                        if next_capture == MAX_CAPTURES {
                            return Err(FieldError::TooMany(MAX_CAPTURES));
                        }
                        nodes[at].capture = Some(next_capture);
                        next_capture += 1;
                        next_capture - 1
                    }
                };
                caps.push(cap);
            }
            out.push(caps);
        }
        for n in &mut nodes {
            n.index();
        }
        // Children are always pushed after their parent, so a reverse pass sees them first.
        for n in (1..nodes.len()).rev() {
            let mut below = Vec::new();
            for c in nodes[n].children.iter().map(|c| c.node) {
                below.extend(nodes[c].capture);
                below.extend(nodes[c].below.iter().copied());
            }
            nodes[n].below = below;
        }
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Ok(Plan {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            nodes,
            groups: out,
            captures: next_capture,
        })
    }

    /// How many captures a walk against this plan fills.
    pub fn captures(&self) -> usize {
        self.captures
    }

    /// How many groups of paths the plan was made from.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// Capture indices of group `g`, in priority order.
    #[inline]
    pub fn group(&self, g: usize) -> &[usize] {
        &self.groups[g]
    }
}

/// Plans a thread keeps per-plan state for (remembered keys, layouts); the oldest goes first.
const PLANS_KEPT: usize = 8;

/// `plan`'s entry in a thread's per-plan state, made with `new` the first time.
#[inline(always)]
pub(crate) fn per_plan<'c, T>(
    cache: &'c mut Vec<(u64, T)>,
    plan: &Plan,
    new: impl FnOnce() -> T,
) -> &'c mut T {
    // Most runs use one plan: its entry is the first, found without a call.
    if cache.first().is_some_and(|(id, _)| *id == plan.id) {
        return &mut cache[0].1;
    }
    per_plan_search(cache, plan, new)
}

/// [`per_plan`] past the first entry.
#[inline(never)]
fn per_plan_search<'c, T>(
    cache: &'c mut Vec<(u64, T)>,
    plan: &Plan,
    new: impl FnOnce() -> T,
) -> &'c mut T {
    let at = match cache.iter().position(|(id, _)| *id == plan.id) {
        Some(at) => at,
        None => {
            if cache.len() >= PLANS_KEPT {
                cache.remove(0);
            }
            cache.push((plan.id, new()));
            cache.len() - 1
        }
    };
    &mut cache[at].1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_replaces_defaults() {
        let mut f = FieldMap::default();
        f.set("key=request.auth.key, client").unwrap();
        assert_eq!(
            f.paths(Slot::Key),
            &[
                vec!["request".to_string(), "auth".into(), "key".into()],
                vec!["client".to_string()]
            ]
        );
        assert!(matches!(f.set("colour=x"), Err(FieldError::UnknownSlot(_))));
        assert!(matches!(f.set("key"), Err(FieldError::Syntax(_))));
        assert!(matches!(f.set("key=a..b"), Err(FieldError::Syntax(_))));
    }

    #[test]
    fn shared_paths_share_a_capture() {
        let p = |s: &str| vec![split_path(s)];
        let plan = Plan::new(&[p("a.b"), p("a.b"), p("a")]).unwrap();
        assert_eq!(plan.group(0), plan.group(1));
        assert_ne!(plan.group(0), plan.group(2));
    }
}
