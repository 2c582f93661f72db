//! `params.retry_after` as the gateway writes it: `"1 seconds"`, `"2 minutes"`, `"30"`, `"1s"`,
//! or a number of seconds.

/// A parsed `retry_after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RetryAfter {
    /// No `retry_after` in the error.
    Missing,
    /// Present but not understood; counted, never dropped.
    Unparsed,
    /// How long to wait, in milliseconds.
    Millis(i64),
}

/// The units understood, any case, with their milliseconds (compared in place: a
/// lowercased copy was an allocation per RATE_001 error).
const UNITS: [(&[&str], f64); 4] = [
    (&["", "s", "sec", "secs", "second", "seconds"], 1000.0),
    (&["ms", "msec", "millisecond", "milliseconds"], 1.0),
    (&["m", "min", "mins", "minute", "minutes"], 60_000.0),
    (&["h", "hr", "hrs", "hour", "hours"], 3_600_000.0),
];

/// Parses a `retry_after` value's text (a JSON string's content or a number's literal).
pub fn parse_retry_after(text: Option<&str>) -> RetryAfter {
    let Some(t) = text else {
        return RetryAfter::Missing;
    };
    // The gateway's own form, `<n> seconds`, without the searches below (they were 1.8% of a
    // run on the nested log). Up to 12 digits, so that the milliseconds stay below the 1e15
    // limit and the float path would be exact too: the result is the same.
    if let Some(num) = t.strip_suffix(" seconds")
        && (1..=12).contains(&num.len())
        && let Some(n) = num.bytes().try_fold(0i64, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    {
        return RetryAfter::Millis(n * 1000);
    }
    parse_general(t)
}

/// [`parse_retry_after`] past the gateway's own form.
#[inline(never)]
fn parse_general(t: &str) -> RetryAfter {
    let t = t.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    // Whole numbers (all the gateway writes) without the float parser: exact below 2^53.
    let n = match num.parse::<u64>() {
        Ok(n) if n < 1 << 53 => n as f64,
        _ => match num.parse::<f64>() {
            Ok(n) => n,
            Err(_) => return RetryAfter::Unparsed,
        },
    };
    let unit = unit.trim();
    let Some(&(_, scale)) = UNITS
        .iter()
        .find(|(names, _)| names.iter().any(|u| u.eq_ignore_ascii_case(unit)))
    else {
        return RetryAfter::Unparsed;
    };
    let ms = n * scale;
    if !ms.is_finite() || ms > 1e15 {
        return RetryAfter::Unparsed;
    }
    RetryAfter::Millis(ms.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::RetryAfter::*;
    use super::*;

    #[test]
    fn forms_the_gateway_writes() {
        for (text, want) in [
            ("1 seconds", Millis(1000)),
            ("2 minutes", Millis(120_000)),
            ("30", Millis(30_000)),
            ("1s", Millis(1000)),
            ("1.5", Millis(1500)),
            (" 250 ms ", Millis(250)),
            ("1 hour", Millis(3_600_000)),
            ("soon", Unparsed),
            ("-1", Unparsed),
            ("5 fortnights", Unparsed),
            ("", Unparsed),
        ] {
            assert_eq!(parse_retry_after(Some(text)), want, "{text:?}");
        }
        assert_eq!(parse_retry_after(None), Missing);
    }

    /// The parser as first written: a float parse and a lowercased copy of the unit.
    fn reference(t: &str) -> RetryAfter {
        let t = t.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let Ok(n) = num.parse::<f64>() else {
            return Unparsed;
        };
        let scale = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "s" | "sec" | "secs" | "second" | "seconds" => 1000.0,
            "ms" | "msec" | "millisecond" | "milliseconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
            _ => return Unparsed,
        };
        let ms = n * scale;
        if !ms.is_finite() || ms > 1e15 {
            return Unparsed;
        }
        Millis(ms.round() as i64)
    }

    #[test]
    fn whole_numbers_and_units_parse_as_the_float_parser_did() {
        let numbers = [
            "",
            "0",
            "7",
            "007",
            "1.",
            ".5",
            "1.2.3",
            "60",
            "999999999999",
            "1000000000000",
            "1000000000001",
            "9999999999999",
            "0000000000001",
            "9007199254740991",
            "9007199254740993",
            "18446744073709551616",
            "99999999999999999999999",
            "+5",
            "-1",
        ];
        let units = [
            "",
            "s",
            "S",
            " seconds",
            "SeConDs",
            "ms",
            " MS ",
            "m",
            "Min",
            "hours",
            "HRS",
            "fortnight",
            "s s",
            "ſ",
            "ＭＳ",
        ];
        for n in numbers {
            for u in units {
                for text in [format!("{n}{u}"), format!(" {n} {u} ")] {
                    assert_eq!(parse_retry_after(Some(&text)), reference(&text), "{text:?}");
                }
            }
        }
    }
}
