//! Which requests a report covers: `--since`, `--until`, `--key`, `--code`.

use crate::extract::Record;
use crate::secret;

/// Request filters; an empty filter keeps everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Inclusive lower bound, microseconds since the epoch.
    pub since: Option<i64>,
    /// Exclusive upper bound.
    pub until: Option<i64>,
    /// Keys to keep, given as the key itself or its fingerprint.
    pub keys: Vec<String>,
    /// Error codes to keep: a request is kept when one of its error items has one of them.
    pub codes: Vec<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.keys.is_empty()
            && self.codes.is_empty()
    }

    /// Whether the report counts this request. A time bound drops requests without a time.
    #[inline(always)]
    pub fn accepts(&self, rec: &Record<'_>) -> bool {
        // No filter (the common case) decided inline, without a call per line.
        self.is_empty() || self.accepts_filtered(rec)
    }

    /// [`Filter::accepts`] for a filter that is set.
    #[inline(never)]
    fn accepts_filtered(&self, rec: &Record<'_>) -> bool {
        if self.since.is_some() || self.until.is_some() {
            let Some(t) = rec.time else { return false };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t >= u) {
                return false;
            }
        }
        if !self.keys.is_empty() {
            let Some(k) = rec.key.as_deref() else {
                return false;
            };
            if !self.keys.iter().any(|want| want == k) {
                let fp = secret::fingerprint(k);
                if !self.keys.contains(&fp) {
                    return false;
                }
            }
        }
        if !self.codes.is_empty() {
            let hit = rec.error_items().iter().any(|i| {
                i.code
                    .as_deref()
                    .is_some_and(|c| self.codes.iter().any(|w| w == c))
            });
            if !hit {
                return false;
            }
        }
        true
    }
}
