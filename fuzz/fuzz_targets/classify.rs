//! Any bytes as a log line: no panic, and the gateway's reader and the fast walker agree with
//! the reference walker wherever they do not hand the line over (the gateway's reader also
//! reading the bytes as a chunk, where it finds the line's end).
#![no_main]

use std::sync::OnceLock;

use errlens::extract::{Extractor, FieldMap};
use libfuzzer_sys::fuzz_target;

fn extractor() -> &'static Extractor {
    static EX: OnceLock<Extractor> = OnceLock::new();
    EX.get_or_init(|| Extractor::new(&FieldMap::default(), 1 << 20).expect("default fields"))
}

fuzz_target!(|line: &[u8]| {
    let ex = extractor();
    let reference = ex.classify_with(line, false);
    if let Some(read) = ex.classify_gateway_only(line) {
        assert_eq!(read, reference, "the gateway's reader and the reference walker disagree");
    }
    if let Some(fast) = ex.classify_fast_only(line) {
        assert_eq!(fast, reference, "fast and reference walkers disagree");
    }
    assert_eq!(ex.classify(line), reference);
    if let Ok(text) = std::str::from_utf8(line) {
        assert_eq!(ex.classify_str(text), reference);
        // The input as a chunk's lines: the next line is the first line, read as a line is
        // (by the gateway's reader, which finds its end, or the walkers).
        let first = text.split('\n').next().unwrap_or_default();
        let first_reference = ex.classify_with(first.as_bytes(), false);
        if let Some((read, len)) = ex.classify_gateway_line(text) {
            assert_eq!(len, first.len(), "the gateway's reader ended the line elsewhere");
            assert_eq!(read, first_reference);
        }
        let (next, len) = ex.classify_next_line(text);
        assert_eq!(len, first.len(), "the next line ended elsewhere");
        assert_eq!(next, first_reference);
    }
});
