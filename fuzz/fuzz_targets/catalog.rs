//! Any text as a catalog file, TOML or JSON: an error or entries, never a panic; what loads
//! can be looked up.
#![no_main]

use errlens::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for is_json in [Some(true), Some(false), None] {
        let mut c = Catalog::builtin();
        if c.extend_from_text("fuzz", s, is_json).is_ok() {
            for e in c.entries() {
                assert!(c.get(&e.code).is_some());
            }
        }
    }
});
