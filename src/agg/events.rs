//! One API key's RATE_001 responses, packed: the offenders analysis needs every one (early
//! retries depend on the order in time, and inputs need not be in order), so each costs about
//! 5 bytes (a varint retry code and a varint time delta) instead of 24.

use super::Merge;
use crate::extract::retry::RetryAfter;

/// RATE_001 events in arrival order: (time in µs, retry_after).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    bytes: Vec<u8>,
    len: u64,
    /// The last time written, which the next time is a delta from.
    last: i64,
}

/// Waits longer than this (about 36,000 years) are stored as this.
const MAX_MILLIS: i64 = 1 << 60;

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get(bytes: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    v
}

impl Events {
    /// Adds one event; `None`: the request had no time.
    pub fn push(&mut self, time: Option<i64>, retry: RetryAfter) {
        let code: u64 = match retry {
            RetryAfter::Missing => 0,
            RetryAfter::Unparsed => 1,
            RetryAfter::Millis(ms) => ms.clamp(0, MAX_MILLIS) as u64 + 2,
        };
        put(&mut self.bytes, code << 1 | time.is_some() as u64);
        if let Some(t) = time {
            let d = t.wrapping_sub(self.last);
            put(&mut self.bytes, ((d << 1) ^ (d >> 63)) as u64);
            self.last = t;
        }
        self.len += 1;
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held (for the memory figures).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
    }

    /// The events in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (Option<i64>, RetryAfter)> + '_ {
        let mut at = 0;
        let mut last = 0i64;
        std::iter::from_fn(move || {
            if at >= self.bytes.len() {
                return None;
            }
            let head = get(&self.bytes, &mut at);
            let retry = match head >> 1 {
                0 => RetryAfter::Missing,
                1 => RetryAfter::Unparsed,
                c => RetryAfter::Millis((c - 2) as i64),
            };
            let time = (head & 1 == 1).then(|| {
                let z = get(&self.bytes, &mut at);
                let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
                last = last.wrapping_add(d);
                last
            });
            Some((time, retry))
        })
    }
}

impl Merge for Events {
    fn merge(&mut self, o: Events) {
        if self.is_empty() {
            *self = o;
            return;
        }
        for (t, r) in o.iter() {
            self.push(t, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_small() {
        let input = [
            (Some(1_795_597_200_000_000), RetryAfter::Millis(1000)),
            (Some(1_795_597_200_200_000), RetryAfter::Millis(1000)),
            (None, RetryAfter::Unparsed),
            (Some(1_795_597_100_000_000), RetryAfter::Missing), // earlier: a negative delta
            (Some(i64::MIN + 1), RetryAfter::Millis(i64::MAX)), // extremes
            (Some(i64::MAX), RetryAfter::Millis(0)),
        ];
        let mut e = Events::default();
        let mut other = Events::default();
        for (i, &(t, r)) in input.iter().enumerate() {
            if i < 3 {
                e.push(t, r)
            } else {
                other.push(t, r)
            }
        }
        e.merge(other);
        let got: Vec<_> = e.iter().collect();
        let mut want = input.to_vec();
        want[4].1 = RetryAfter::Millis(MAX_MILLIS);
        assert_eq!(got, want);
        assert_eq!(e.len(), 6);
        // The two ordinary events take 5 and 4 bytes... not 48.
        let mut small = Events::default();
        small.push(Some(1_795_597_200_000_000), RetryAfter::Millis(1000));
        small.push(Some(1_795_597_200_200_000), RetryAfter::Millis(1000));
        assert!(small.bytes.len() <= 16, "{}", small.bytes.len());
    }
}
