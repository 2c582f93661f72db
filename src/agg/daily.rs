//! Per-day aggregates for `errlens daily`: the whole-range [`Aggregate`] for each local day,
//! plus what only a day's report shows (hours by group, each key's codes).

use super::{Aggregate, Caps, Folded, Hint, Keyed, Merge, ReqErr, Runs, Sink, Totals};
use crate::extract::Record;
use crate::zone::{Local, Zone};

/// One local day.
#[derive(Clone, Debug, Default)]
pub struct Day {
    /// Requests of the day (its `totals` count requests only: lines have no day).
    pub agg: Aggregate,
    /// Requests and error responses by local hour.
    pub hours: [ReqErr; 24],
    /// Error items by group, then hour.
    pub hour_groups: Keyed<[u64; 24]>,
    /// Error items by API key, then code.
    pub key_codes: Keyed<Keyed<u64>>,
}

impl Merge for Day {
    fn merge(&mut self, o: Day) {
        self.agg.merge(o.agg);
        for (a, b) in self.hours.iter_mut().zip(o.hours) {
            a.merge(b);
        }
        self.hour_groups.merge(o.hour_groups);
        self.key_codes.merge(o.key_codes);
    }
}

/// Requests by local day; `None` holds requests without a time.
#[derive(Clone, Debug)]
pub struct Daily {
    local: Local,
    caps: Caps,
    /// Line buckets (lines, blank, malformed, unrecognized, filtered); requests are in `days`.
    lines: Totals,
    pub days: Runs<Option<i32>, Day>,
}

impl Daily {
    pub fn new(zone: &Zone, caps: Caps) -> Daily {
        Daily {
            local: zone.local(),
            caps,
            lines: Totals::default(),
            days: Runs::default(),
        }
    }

    /// Every line's bucket, requests summed over the days.
    pub fn totals(&self) -> Totals {
        let mut t = self.lines;
        for (_, d) in self.days.iter() {
            t.merge(d.agg.totals);
        }
        t
    }

    /// One local day, if the input had requests on it.
    pub fn day(&self, day: i32) -> Option<&Day> {
        self.days
            .iter()
            .find(|(k, _)| *k == Some(day))
            .map(|(_, d)| d)
    }

    /// What folded into `(other)` rows, over every day.
    pub fn folded(&self) -> Folded {
        let mut f = Folded::default();
        for (_, d) in self.days.iter() {
            f.merge(d.agg.folded);
        }
        f
    }

    pub fn caps(&self) -> Caps {
        self.caps
    }

    /// Every day merged: the whole range as one aggregate. Its `days` are UTC days, as in
    /// `errlens report` and `errlens offenders` (offender persistence counts UTC days).
    pub fn range(&self) -> Aggregate {
        let mut all = Aggregate::with_caps(self.caps);
        for (_, d) in self.days.iter() {
            all.merge(d.agg.clone());
        }
        all.totals = self.totals();
        all
    }
}

impl Merge for Daily {
    fn merge(&mut self, o: Daily) {
        self.lines.merge(o.lines);
        for (day, d) in o.days.into_entries() {
            let mine = self.days.entry(day);
            // A day new to this side starts with the run's caps, not the defaults.
            mine.agg.caps = self.caps;
            mine.merge(d);
        }
    }
}

impl Sink for Daily {
    fn totals(&mut self) -> &mut Totals {
        &mut self.lines
    }

    /// The key's slot in the day of the last request counted (lines mostly share their
    /// day); the hint is used only if this one is counted in that day too.
    fn prefetch(&self, rec: &Record<'_>) -> Hint {
        match self.days.last() {
            Some(d) => d.agg.keys.prefetch(rec.key.as_deref()),
            None => Hint::default(),
        }
    }

    fn add_request(&mut self, rec: &Record<'_>, hint: Hint) {
        let (day, hour) = match rec.time {
            Some(t) => {
                let (d, h) = self.local.day_hour(t);
                (Some(d), h as usize)
            }
            None => (None, 0),
        };
        let d = self.days.entry(day);
        d.agg.caps = self.caps;
        d.agg.add_hinted(rec, hint);
        let cap = self.caps.codes;
        let error = rec.is_error();
        d.hours[hour].merge(ReqErr {
            requests: 1,
            errors: error as u64,
        });
        if !error {
            return;
        }
        let items = rec.error_items();
        // The key as the day's key table has it: itself, or (other) past the cap.
        let (key, _) = d.agg.keys.capped(rec.key.as_deref(), self.caps.keys);
        let codes = d.key_codes.entry(key);
        if items.is_empty() {
            d.hour_groups.entry(None)[hour] += 1;
            *codes.entry(None) += 1;
        }
        for item in items {
            let (g, _) = d.hour_groups.capped(item.group.as_deref(), cap);
            d.hour_groups.entry(g)[hour] += 1;
            let (c, _) = codes.capped(item.code.as_deref(), cap);
            *codes.entry(c) += 1;
        }
    }
}
