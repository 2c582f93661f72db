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

/// Parses a `retry_after` value's text (a JSON string's content or a number's literal).
pub fn parse_retry_after(text: Option<&str>) -> RetryAfter {
    let Some(t) = text else {
        return RetryAfter::Missing;
    };
    let t = t.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let Ok(n) = num.parse::<f64>() else {
        return RetryAfter::Unparsed;
    };
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1000.0,
        "ms" | "msec" | "millisecond" | "milliseconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
        _ => return RetryAfter::Unparsed,
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
}
