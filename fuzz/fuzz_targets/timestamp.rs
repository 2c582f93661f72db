//! Any text as a time: no panic; where errlens reads an RFC 3339 time, jiff reads the same
//! instant; a prefix read never runs past the input.
#![no_main]

use errlens::extract::time::{parse_bound, parse_epoch_text, parse_rfc3339, parse_rfc3339_prefix};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((_, used)) = parse_rfc3339_prefix(data) {
        assert!(used <= data.len());
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(us) = parse_rfc3339(s)
        && let Ok(ts) = s.parse::<jiff::Timestamp>()
    {
        // Digits past the microsecond are dropped toward the past, before 1970 too.
        assert_eq!(us as i128, ts.as_nanosecond().div_euclid(1000), "{s:?}");
    }
    let _ = parse_epoch_text(s);
    let _ = parse_bound(s, false);
    let _ = parse_bound(s, true);
    let _ = errlens::extract::record::parse_time(s);
    let _ = errlens::zone::Zone::parse(s).map(|z| z.local().day_hour(0));
});
