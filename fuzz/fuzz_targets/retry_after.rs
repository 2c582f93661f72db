//! Any text as `params.retry_after`: no panic, never a negative wait.
#![no_main]

use errlens::extract::retry::{RetryAfter, parse_retry_after};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let RetryAfter::Millis(ms) = parse_retry_after(Some(s)) {
        assert!(ms >= 0, "{s:?} -> {ms}");
    }
});
