//! Properties of the whole pipeline (library level, so thousands of cases run in seconds):
//! for any bytes the reconciliation adds up; cutting the input into chunks at any byte, or into
//! files at any line boundary, or changing the thread count, does not change the report.

mod util;

use std::sync::Arc;

use errlens::agg::driver::{self, Options};
use errlens::catalog::Catalog;
use errlens::extract::{Extractor, FieldMap};
use errlens::filter::Filter;
use errlens::input::Source;
use errlens::render::{Context, json};
use errlens::report::{self, ReportOptions};
use proptest::prelude::*;

/// Lines a log can hold, hostile ones included.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(br#"{"ts":"2026-11-24T10:00:00Z","status":200,"api_key":"wk_a","response":{"isSuccess":true}}"#.to_vec()),
        Just(br#"{"ts":"2026-11-24T11:00:00Z","status":429,"api_key":"wk_b","response":{"isSuccess":false,"errors":{"code":"RATE_001","params":{"retry_after":"1 seconds"}}}}"#.to_vec()),
        Just(br#"2026-11-25T01:00:00Z {"status":401,"path":"/v1/m","errors":{"code":"AUTH_001"},"isSuccess":false}"#.to_vec()),
        Just(br#"{"status":502,"body":"<html>bad gateway</html>"}"#.to_vec()),
        Just(br#"{"level":"info","msg":"started"}"#.to_vec()),
        Just(b"".to_vec()),
        Just(b"   ".to_vec()),
        Just(b"{\"status\":200".to_vec()),
        Just(b"\xEF\xBB\xBF{\"status\":500}".to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
    ]
}

/// Lines joined by LF or CRLF, maybe without a final newline.
fn log() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((line(), any::<bool>()), 0..40),
        any::<bool>(),
    )
        .prop_map(|(lines, final_newline)| {
            let mut out = Vec::new();
            for (i, (l, crlf)) in lines.iter().enumerate() {
                // Random bytes may hold their own newlines: that only makes more lines.
                out.extend_from_slice(l);
                if i + 1 < lines.len() || final_newline {
                    out.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                }
            }
            out
        })
}

fn report_of(sources: &[Source], chunk: usize, threads: usize) -> (serde_json::Value, bool) {
    let ex = Extractor::new(&FieldMap::default(), 1 << 10).unwrap();
    let opts = Options {
        threads,
        chunk_size: chunk,
        ..Options::default()
    };
    let run = driver::run(sources, &ex, &Filter::default(), &opts).unwrap();
    let reconciles = run.agg.totals.reconciles();
    let rep = report::build(&run.agg, &Catalog::builtin(), &ReportOptions::default()).unwrap();
    let text = json::render(&rep, &Context::default()).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("inputs");
    (v, reconciles)
}

fn bytes(name: &str, b: &[u8]) -> Source {
    Source::Bytes(name.into(), Arc::from(b))
}

fn config() -> ProptestConfig {
    util::proptest_config(300, 0x5eed_0002)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_reconcile(data in prop::collection::vec(any::<u8>(), 0..2000), chunk in 1usize..300) {
        let (r, ok) = report_of(&[bytes("x", &data)], chunk, 2);
        prop_assert!(ok, "{}", r["totals"]);
    }

    #[test]
    fn chunks_threads_and_files_do_not_change_the_report(
        data in log(),
        chunk in 1usize..200,
        threads in 1usize..4,
        cut in any::<prop::sample::Index>(),
    ) {
        let (whole, ok) = report_of(&[bytes("x", &data)], 1 << 20, 1);
        prop_assert!(ok);
        let (chunked, _) = report_of(&[bytes("x", &data)], chunk, threads);
        prop_assert_eq!(&whole, &chunked);
        // Two files, cut after any newline (a cut inside a line would make two lines of it).
        // A file's line ends are its own: a part with CRs but no LF would be read as a
        // classic-Mac file (README: Hostile input), a different reading, so not such a cut.
        let ends: Vec<usize> = data.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1).collect();
        // Likewise a part that starts with gzip's or zstd's magic bytes is read as such.
        let lf_convention = |part: &[u8]| {
            part.contains(&b'\n') || part.iter().filter(|b| **b == b'\r').count() < 2
        };
        let plain = |part: &[u8]| !part.starts_with(&[0x1f, 0x8b]) && !part.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        if !ends.is_empty() && lf_convention(&data[ends[cut.index(ends.len())]..]) && plain(&data[ends[cut.index(ends.len())]..]) {
            let at = ends[cut.index(ends.len())];
            let (split, _) = report_of(&[bytes("a", &data[..at]), bytes("b", &data[at..])], chunk, threads);
            prop_assert_eq!(&whole, &split);
        }
    }
}
