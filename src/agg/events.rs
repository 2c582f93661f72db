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

/// Bytes of the longest varint (a u64's 64 bits, 7 a byte).
pub(crate) const MAX_VARINT: usize = 10;

/// Writes `v` as a varint into `out` at `at`; returns where it ends. The one encoder of
/// the packed events, here and in spill files.
#[inline]
pub(crate) fn put_at(out: &mut [u8], mut at: usize, mut v: u64) -> usize {
    while v >= 0x80 {
        out[at] = v as u8 | 0x80;
        at += 1;
        v >>= 7;
    }
    out[at] = v as u8;
    at + 1
}

fn put(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; MAX_VARINT];
    let n = put_at(&mut buf, 0, v);
    out.extend_from_slice(&buf[..n]);
}

/// Reads the varint at `at` and moves `at` past it: to the end of `bytes` when the number is
/// cut short, or runs on past a u64's [`MAX_VARINT`] bytes (corrupt bytes, not read further).
/// The one decoder of packed events, here and in spill files read from a buffer.
pub(crate) fn get(bytes: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
        if shift >= 64 {
            // Past `MAX_VARINT` bytes (a corrupt spill file): not shifted out of range.
            *at = bytes.len();
            break;
        }
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
        // Both varints into a buffer, then one copy: the Vec's growth is checked once, not
        // per byte.
        let mut buf = [0u8; 2 * MAX_VARINT];
        let mut n = put_at(&mut buf, 0, code << 1 | time.is_some() as u64);
        if let Some(t) = time {
            n = put_at(&mut buf, n, zigzag(t.wrapping_sub(self.last)));
            self.last = t;
        }
        self.bytes.extend_from_slice(&buf[..n]);
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

    /// The packed bytes, the event count and the last time (for writing them elsewhere).
    pub fn parts(&self) -> (&[u8], u64, i64) {
        (&self.bytes, self.len, self.last)
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
                last = last.wrapping_add(unzigzag(get(&self.bytes, &mut at)));
                last
            });
            Some((time, retry))
        })
    }
}

impl Merge for Events {
    /// Appends `o`'s bytes as they are, rewriting only the delta of its first timed event
    /// (`o`'s deltas start from 0, ours continue from our last time): a copy, not a re-encoding,
    /// and no more memory than the two take.
    fn merge(&mut self, o: Events) {
        if self.is_empty() {
            *self = o;
        } else {
            self.append(&o);
        }
    }
}

impl Events {
    /// Room for `bytes` more packed bytes.
    pub fn reserve(&mut self, bytes: usize) {
        self.bytes.reserve_exact(bytes);
    }

    /// [`Merge::merge`] from a borrowed `o` (copied, not taken).
    pub fn append(&mut self, o: &Events) {
        self.append_parts(&o.bytes, o.len, o.last);
    }

    /// [`Events::append`] from the [`Events::parts`] of other events.
    pub fn append_parts(&mut self, bytes: &[u8], len: u64, last: i64) {
        if len == 0 {
            return;
        }
        self.bytes.reserve_exact(bytes.len() + MAX_VARINT);
        self.len += len;
        let mut at = 0;
        while at < bytes.len() {
            if get(bytes, &mut at) & 1 == 0 {
                continue; // an event without a time: no delta follows
            }
            let delta_at = at;
            let first = unzigzag(get(bytes, &mut at));
            self.bytes.extend_from_slice(&bytes[..delta_at]);
            put(&mut self.bytes, zigzag(first.wrapping_sub(self.last)));
            self.bytes.extend_from_slice(&bytes[at..]);
            self.last = last;
            return;
        }
        self.bytes.extend_from_slice(bytes);
    }
}

fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_decode_to_the_largest_and_stop_past_it() {
        let mut buf = [0u8; MAX_VARINT];
        for v in [0, 1, 127, 128, 1 << 59, u64::MAX] {
            let n = put_at(&mut buf, 0, v);
            let mut at = 0;
            assert_eq!((get(&buf[..n], &mut at), at), (v, n), "{v}");
        }
        // More continuation bytes than a u64 has room for: read to the end, no overflow.
        let long = [0xffu8; 2 * MAX_VARINT];
        let mut at = 0;
        get(&long, &mut at);
        assert_eq!(at, long.len());
        // Cut short: the bytes there are, to the end.
        let mut at = 0;
        assert_eq!(get(&[0x81, 0x82], &mut at), 1 | 2 << 7);
        assert_eq!(at, 2);
    }

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
        // Merging: a side that starts without a time, and a side with no time at all.
        let mut a = Events::default();
        a.push(Some(100), RetryAfter::Millis(5));
        let mut b = Events::default();
        b.push(None, RetryAfter::Missing);
        b.push(Some(40), RetryAfter::Unparsed);
        b.push(Some(90), RetryAfter::Millis(1));
        let mut c = Events::default();
        c.push(None, RetryAfter::Millis(7));
        a.merge(b);
        a.merge(c);
        a.push(Some(95), RetryAfter::Missing);
        let got: Vec<_> = a.iter().collect();
        assert_eq!(
            got,
            [
                (Some(100), RetryAfter::Millis(5)),
                (None, RetryAfter::Missing),
                (Some(40), RetryAfter::Unparsed),
                (Some(90), RetryAfter::Millis(1)),
                (None, RetryAfter::Millis(7)),
                (Some(95), RetryAfter::Missing),
            ]
        );
        assert_eq!(a.len(), 6);
    }
}
