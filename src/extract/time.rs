//! Timestamps: a fast exact RFC 3339 parser for the hot path, epoch numbers by magnitude,
//! and user-facing bounds (`--since`/`--until`) parsed with jiff.
//!
//! Every instant is carried as microseconds since the Unix epoch (UTC) in an `i64`.

/// Microseconds in one day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The UTC day number of an instant.
pub fn day_of(micros: i64) -> i32 {
    micros.div_euclid(MICROS_PER_DAY) as i32
}

/// `YYYY-MM-DD` for a day number.
pub fn format_day(day: i32) -> String {
    let (y, m, d) = civil_from_days(day as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

thread_local! {
    /// The date and minute (`YYYY-MM-DDTHH:MM`, as two words) parsed last on this thread and
    /// its seconds since the epoch: a log's lines mostly share their minute, so most lines
    /// have only their seconds read and checked. It starts as 1970-01-01T00:00, a valid
    /// entry: a start of zeros would take 16 NUL bytes for that minute.
    static LAST_MINUTE: std::cell::Cell<(u64, u64, i64)> = const {
        std::cell::Cell::new((
            u64::from_le_bytes(*b"1970-01-"),
            u64::from_le_bytes(*b"01T00:00"),
            0,
        ))
    };
}

/// Seconds since the epoch of the valid `YYYY-MM-DDTHH:MM` (`T`, `t` or a space between date
/// and time) at the start of `b` (at least 16 bytes).
#[inline]
fn minute_secs(b: &[u8]) -> Option<i64> {
    let w0 = u64::from_le_bytes(b[..8].try_into().ok()?);
    let w1 = u64::from_le_bytes(b[8..16].try_into().ok()?);
    let (c0, c1, secs) = LAST_MINUTE.get();
    if c0 == w0 && c1 == w1 {
        return Some(secs);
    }
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    // A new minute of the remembered date (its first ten bytes) takes the date's day from the
    // memo: hours and minutes add less than a day.
    let days = if c0 == w0 && c1 as u16 == w1 as u16 {
        secs.div_euclid(86_400)
    } else {
        date_days(b)?
    };
    let (h, mi) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    if h > 23 || mi > 59 {
        return None;
    }
    let secs = days * 86_400 + (h * 3600 + mi * 60) as i64;
    LAST_MINUTE.set((w0, w1, secs));
    Some(secs)
}

/// The day number of the valid date `YYYY-MM-DD` at the start of `b` (at least 10 bytes).
fn date_days(b: &[u8]) -> Option<i64> {
    let y = digits(b, 0, 4)? as i64;
    let mo = digits(b, 5, 2)?;
    let d = digits(b, 8, 2)?;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    Some(days_from_civil(y, mo, d))
}

/// Parses an RFC 3339 timestamp at the start of `b` and returns it with the number of bytes used.
///
/// Accepts `T`, `t` or a space between date and time, any number of fractional digits
/// (kept to the microsecond, truncated), and `Z`, `z`, `±HH:MM`, `±HHMM` or `±HH`. A missing offset
/// is read as UTC, the way most loggers mean it. A leap second (`:60`) reads as `:59`.
// Always inline, as the PGO build has it (see `Aggregate::add_hinted`).
#[inline(always)]
pub fn parse_rfc3339_prefix(b: &[u8]) -> Option<(i64, usize)> {
    if b.len() < 19 {
        return None;
    }
    let minute = minute_secs(b)?;
    let s = digits(b, 17, 2)?;
    if b[16] != b':' || s > 60 {
        return None;
    }
    let secs = minute + s.min(59) as i64;
    // The common end, inline: milliseconds and `Z`, as the gateway writes its times.
    if let Some(
        &[
            b'.',
            a @ b'0'..=b'9',
            m @ b'0'..=b'9',
            c @ b'0'..=b'9',
            b'Z',
        ],
    ) = b.get(19..24)
    {
        let ms = (a - b'0') as i64 * 100 + (m - b'0') as i64 * 10 + (c - b'0') as i64;
        return Some((secs * 1_000_000 + ms * 1_000, 24));
    }
    let mut i = 19;
    let mut frac_us: i64 = 0;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        i += 1;
        let start = i;
        // Each digit's weight from a table, not a division a digit.
        const SCALE: [i64; 6] = [100_000, 10_000, 1_000, 100, 10, 1];
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            // Past the microsecond, digits are read and dropped.
            if let Some(&scale) = SCALE.get(i - start) {
                frac_us += (c - b'0') as i64 * scale;
            }
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let mut offset_s: i64 = 0;
    match b.get(i) {
        Some(b'Z' | b'z') => i += 1,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let (om, used) = if b.get(i + 3) == Some(&b':') {
                (digits(b, i + 4, 2)?, 6)
            } else if let Some(m) = digits(b, i + 3, 2) {
                (m, 5)
            } else {
                // `+01`: hours only, as ISO 8601 (and jiff) allow.
                (0, 3)
            };
            if oh > 23 || om > 59 {
                return None;
            }
            offset_s = (oh * 3600 + om * 60) as i64;
            if sign == b'-' {
                offset_s = -offset_s;
            }
            i += used;
        }
        _ => {}
    }
    Some(((secs - offset_s) * 1_000_000 + frac_us, i))
}

/// Parses a whole string as an RFC 3339 timestamp (surrounding whitespace allowed).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let t = super::trim(s);
    match parse_rfc3339_prefix(t.as_bytes()) {
        Some((v, used)) if used == t.len() => Some(v),
        _ => None,
    }
}

/// Converts an epoch number to microseconds, choosing the unit by magnitude:
/// below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
pub fn epoch_integer_to_micros(v: i128) -> Option<i64> {
    let a = v.unsigned_abs();
    let us = if a < 100_000_000_000 {
        v.checked_mul(1_000_000)?
    } else if a < 100_000_000_000_000 {
        v.checked_mul(1_000)?
    } else if a < 100_000_000_000_000_000 {
        v
    } else {
        v.div_euclid(1_000)
    };
    i64::try_from(us).ok()
}

/// Like [`epoch_integer_to_micros`] for a number with a fraction or an exponent.
pub fn epoch_float_to_micros(v: f64) -> Option<i64> {
    if !v.is_finite() {
        return None;
    }
    let a = v.abs();
    let us = if a < 1e11 {
        v * 1e6
    } else if a < 1e14 {
        v * 1e3
    } else if a < 1e17 {
        v
    } else {
        v / 1e3
    };
    if us.abs() >= 9.2e18 {
        return None;
    }
    Some(us.floor() as i64)
}

/// Parses a JSON number's text as an epoch timestamp.
pub fn parse_epoch_text(text: &str) -> Option<i64> {
    if text.bytes().all(|c| c.is_ascii_digit() || c == b'-') {
        epoch_integer_to_micros(text.parse::<i128>().ok()?)
    } else {
        epoch_float_to_micros(text.parse::<f64>().ok()?)
    }
}

/// A `--since`/`--until` bound: an RFC 3339 timestamp, or a date meaning that day's start (UTC).
/// For an `--until` date the bound is the end of that day, so `--until 2026-11-24` includes it.
pub fn parse_bound(s: &str, end_of_day: bool) -> Result<i64, String> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_microsecond());
    }
    if let Some(us) = parse_rfc3339(s) {
        return Ok(us);
    }
    match s.parse::<jiff::civil::Date>() {
        Ok(d) => {
            let day = days_from_civil(d.year() as i64, d.month() as u32, d.day() as u32);
            let day = if end_of_day { day + 1 } else { day };
            Ok(day * MICROS_PER_DAY)
        }
        Err(_) => Err(format!(
            "`{s}` is neither an RFC 3339 timestamp (2026-11-24T10:00:00Z) nor a date (2026-11-24)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jiff's instant, sub-microsecond digits dropped toward the past (jiff's own
    /// `as_microsecond` drops them toward zero, which differs before 1970).
    fn jiff_us(s: &str) -> i64 {
        let ns = s.parse::<jiff::Timestamp>().unwrap().as_nanosecond();
        ns.div_euclid(1000) as i64
    }

    #[test]
    fn rfc3339_agrees_with_jiff() {
        for s in [
            "2026-11-24T10:00:00Z",
            "2026-11-24T10:00:00.123456789Z",
            "2026-11-24T10:00:00.5+03:00",
            "2024-02-29T23:59:59-07:30",
            "1969-12-31T23:59:59.999999Z",
            "2000-01-01t00:00:00z",
            "2026-11-24 10:00:00+00:00",
            "2026-11-24T10:00:00+01",
            "2026-11-24T10:00:00-0530",
            // Found by the timestamp fuzzer: before 1970 with nanoseconds.
            "0226-11-24t10:00:00.123456789+03:00",
            "1969-12-31T23:59:59.9999999Z",
            // Milliseconds and `Z`, read inline, and their near misses, read the long way.
            "2026-11-24T10:00:00.123Z",
            "1969-12-31T23:59:59.999Z",
            "2026-11-24T10:00:00.000Z",
            "2026-11-24T10:00:00.1234Z",
            "2026-11-24T10:00:00.12Z",
            "2026-11-24T10:00:00.123z",
            "2026-11-24T10:00:00,123Z",
            "2026-11-24T10:00:00.123+01:00",
        ] {
            assert_eq!(parse_rfc3339(s), Some(jiff_us(s)), "{s}");
        }
    }

    #[test]
    fn a_remembered_minute_still_has_its_seconds_and_end_read() {
        // Every time after the first shares its first 16 bytes (date and minute) with the
        // one read before it, so its minute comes from the memo.
        let first = "2026-11-24T10:07:00.123Z";
        assert_eq!(parse_rfc3339(first), Some(jiff_us(first)));
        for s in [
            "2026-11-24T10:07:59.999Z",
            "2026-11-24T10:07:05+01:00",
            "2026-11-24T10:07:00.5-07:30",
        ] {
            assert_eq!(parse_rfc3339(s), Some(jiff_us(s)), "{s}");
        }
        assert_eq!(
            parse_rfc3339("2026-11-24T10:07:09"),
            Some(jiff_us("2026-11-24T10:07:09Z"))
        );
        assert_eq!(
            parse_rfc3339("2026-11-24T10:07:60Z"),
            Some(jiff_us("2026-11-24T10:07:59Z"))
        );
        for s in [
            "2026-11-24T10:07:61Z",
            "2026-11-24T10:07:6xZ",
            "2026-11-24T10:07:x5Z",
            "2026-11-24T10:07:/5Z",
            "2026-11-24T10:07-05Z",
            "2026-11-24T10:07:05.Z",
            "2026-11-24T10:07:0",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
        // A thread's first time meets the memo's starting entry, never an empty one: 16 NUL
        // bytes (a file cut by `copytruncate` starts with them) are no minute.
        let nul = std::thread::spawn(|| {
            let mut b = [0u8; 19];
            b[16..].copy_from_slice(b":00");
            parse_rfc3339_prefix(&b)
        });
        assert_eq!(nul.join().unwrap(), None);
        let epoch = std::thread::spawn(|| parse_rfc3339("1970-01-01T00:00:07Z"));
        assert_eq!(epoch.join().unwrap(), Some(7_000_000));
        // A near miss of the remembered minute is read in full, and so are its faults.
        for s in ["2026-11-24t10:07:00Z", "2026-11-24T10:08:00Z"] {
            assert_eq!(parse_rfc3339(s), Some(jiff_us(s)), "{s}");
        }
        for s in [
            "2026-11-24T10:7:00Z ",
            "2026-11-24X10:07:00Z",
            "2026-11-31T10:07:00Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn rfc3339_rejects_bad_dates() {
        for s in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T10:00Z",
            "2026-11-24T10:00:00.Z",
            "2026-11-24X10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn missing_offset_is_utc_and_prefix_reports_length() {
        assert_eq!(
            parse_rfc3339("2026-11-24T00:00:00"),
            Some(jiff_us("2026-11-24T00:00:00Z"))
        );
        let line = b"2026-11-24T10:00:00.123456789Z {\"a\":1}";
        assert_eq!(parse_rfc3339_prefix(line).unwrap().1, 30);
        let line = b"2026-11-24T10:00:00.123Z {\"a\":1}";
        let want = jiff_us("2026-11-24T10:00:00.123Z");
        assert_eq!(parse_rfc3339_prefix(line), Some((want, 24)));
        assert_eq!(parse_rfc3339("2026-11-24T10:00:00.123Z "), Some(want));
        assert_eq!(parse_rfc3339("2026-11-24T10:00:00.123Zx"), None);
    }

    #[test]
    fn epoch_units_by_magnitude() {
        let s = 1_764_000_000i128;
        let want = 1_764_000_000_000_000i64;
        assert_eq!(epoch_integer_to_micros(s), Some(want));
        assert_eq!(epoch_integer_to_micros(s * 1_000), Some(want));
        assert_eq!(epoch_integer_to_micros(s * 1_000_000), Some(want));
        assert_eq!(epoch_integer_to_micros(s * 1_000_000_000), Some(want));
        assert_eq!(parse_epoch_text("1764000000.25"), Some(want + 250_000));
    }

    #[test]
    fn civil_round_trip() {
        for day in [-800_000, -1, 0, 1, 20_000, 20_416, 2_000_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(format_day(20_416), "2025-11-24");
        assert_eq!(day_of(-1), -1);
    }

    #[test]
    fn bounds() {
        assert_eq!(
            parse_bound("2026-11-24", false).unwrap(),
            jiff_us("2026-11-24T00:00:00Z")
        );
        assert_eq!(
            parse_bound("2026-11-24", true).unwrap(),
            jiff_us("2026-11-25T00:00:00Z")
        );
        assert_eq!(
            parse_bound("2026-11-24T01:00:00+01:00", true).unwrap(),
            jiff_us("2026-11-24T00:00:00Z")
        );
        assert!(parse_bound("yesterday", false).is_err());
    }
}
