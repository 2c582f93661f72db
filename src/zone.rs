//! The time zone daily reports count days and hours in: UTC, a fixed offset, or an IANA name
//! (the tz database is bundled, so names work on machines without /usr/share/zoneinfo).

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use crate::extract::time::MICROS_PER_DAY;

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_SECOND: i64 = 1_000_000;

/// A `--tz` value that names no zone.
#[derive(Debug, thiserror::Error)]
#[error(
    "--tz `{0}`: not a time zone (use an IANA name such as Europe/Istanbul, UTC, or an offset such as +03:00)"
)]
pub struct ZoneError(String);

/// A time zone with the name the user gave it.
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Default for Zone {
    fn default() -> Self {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }
}

impl Zone {
    /// `UTC`, `Z`, an offset (`+03:00`, `-0530`, `+03`) or an IANA name.
    pub fn parse(s: &str) -> Result<Zone, ZoneError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("utc") || s == "Z" {
            return Ok(Zone::default());
        }
        if let Some(secs) = parse_offset(s) {
            let offset = Offset::from_seconds(secs).map_err(|_| ZoneError(s.into()))?;
            return Ok(Zone {
                name: offset.to_string(),
                tz: TimeZone::fixed(offset),
            });
        }
        match TimeZone::get(s) {
            Ok(tz) => Ok(Zone { name: s.into(), tz }),
            Err(_) => Err(ZoneError(s.into())),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A converter for one worker, caching the offset between transitions.
    pub fn local(&self) -> Local {
        Local {
            tz: self.tz.clone(),
            from: i64::MAX,
            until: i64::MIN,
            offset: 0,
        }
    }
}

/// `+HH:MM`, `+HHMM` or `+HH` (also `-`) as seconds.
fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || rest.len() > 5 {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    (h <= 25 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// Turns UTC instants into local days and hours. The offset in force holds until the zone's
/// next transition, so most lines cost a comparison, not a tz database lookup.
#[derive(Clone, Debug)]
pub struct Local {
    tz: TimeZone,
    /// The cached offset (µs) holds for instants in `from..until`.
    from: i64,
    until: i64,
    offset: i64,
}

impl Local {
    /// Local day number (days since 1970-01-01) and hour (0 to 23) of an instant in µs.
    #[inline]
    pub fn day_hour(&mut self, micros: i64) -> (i32, u8) {
        if micros < self.from || micros >= self.until {
            self.refresh(micros);
        }
        let local = micros.saturating_add(self.offset);
        let day = local.div_euclid(MICROS_PER_DAY) as i32;
        let hour = (local.rem_euclid(MICROS_PER_DAY) / MICROS_PER_HOUR) as u8;
        (day, hour)
    }

    fn refresh(&mut self, micros: i64) {
        let Ok(ts) = Timestamp::from_microsecond(micros) else {
            // Beyond what a calendar can hold: counted in UTC, not cached.
            self.offset = 0;
            self.from = i64::MAX;
            self.until = i64::MIN;
            return;
        };
        let offset = self.tz.to_offset(ts);
        self.offset = offset.seconds() as i64 * MICROS_PER_SECOND;
        // From this instant (a transition may fall exactly on it) to the next transition.
        self.from = micros;
        self.until = self
            .tz
            .following(ts)
            .next()
            .map_or(i64::MAX, |t| t.timestamp().as_microsecond());
        if let Some(prev) = self.tz.preceding(ts).next() {
            let at = prev.timestamp();
            if self.tz.to_offset(at) == offset {
                self.from = at.as_microsecond();
            }
        } else {
            self.from = i64::MIN;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_microsecond()
    }

    fn local(zone: &str, at: &str) -> (String, u8) {
        let (d, h) = Zone::parse(zone).unwrap().local().day_hour(us(at));
        (crate::extract::time::format_day(d), h)
    }

    #[test]
    fn days_and_hours_follow_the_zone() {
        assert_eq!(
            local("UTC", "2026-11-24T23:30:00Z"),
            ("2026-11-24".into(), 23)
        );
        assert_eq!(
            local("Europe/Istanbul", "2026-11-24T23:30:00Z"),
            ("2026-11-25".into(), 2)
        );
        assert_eq!(
            local("+03:00", "2026-11-24T21:00:00Z"),
            ("2026-11-25".into(), 0)
        );
        assert_eq!(
            local("-0530", "2026-11-24T03:00:00Z"),
            ("2026-11-23".into(), 21)
        );
        // Berlin leaves summer time on 2026-10-25 at 01:00 UTC: 02:30 local twice.
        let z = Zone::parse("Europe/Berlin").unwrap();
        let mut l = z.local();
        assert_eq!(l.day_hour(us("2026-10-25T00:30:00Z")).1, 2);
        assert_eq!(l.day_hour(us("2026-10-25T01:30:00Z")).1, 2);
        assert_eq!(l.day_hour(us("2026-10-25T02:30:00Z")).1, 3);
        // Going back in time after the cache moved on.
        assert_eq!(l.day_hour(us("2026-07-01T12:00:00Z")).1, 14);
        assert_eq!(l.day_hour(us("2026-12-01T12:00:00Z")).1, 13);
    }

    #[test]
    fn bad_zones_are_errors() {
        for bad in ["Mars/Olympus", "+3", "+25:00x", "", "03:00"] {
            assert!(Zone::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Zone::parse("utc").unwrap().name(), "UTC");
        assert_eq!(Zone::parse("+03").unwrap().name(), "+03");
    }
}
