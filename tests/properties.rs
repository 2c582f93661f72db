//! Properties of the whole pipeline (library level, so thousands of cases run in seconds):
//! for any bytes the reconciliation adds up; cutting the input into chunks at any byte, or into
//! files at any line boundary, or changing the thread count, does not change the report.

mod util;

use std::sync::Arc;

use errlens::agg::driver::{self, Options};
use errlens::agg::{Aggregate, Caps, Spill};
use errlens::catalog::Catalog;
use errlens::extract::{Extractor, FieldMap, Line};
use errlens::filter::Filter;
use errlens::input::Source;
use errlens::render::{Context, json};
use errlens::report::offenders::{Offender, Rules, offenders};
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
    // Random bytes may hold their own newlines: that only makes more lines.
    joined(line())
}

/// Up to 39 of `lines`, each ended by LF or CRLF, the last maybe by nothing.
fn joined(lines: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((lines, any::<bool>()), 0..40),
        any::<bool>(),
    )
        .prop_map(|(lines, final_newline)| {
            let mut out = Vec::new();
            for (i, (l, crlf)) in lines.iter().enumerate() {
                out.extend_from_slice(l);
                if i + 1 < lines.len() || final_newline {
                    out.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                }
            }
            out
        })
}

/// A line of the gateway's own layout, which the worker reads before its end is known (see
/// `Extractor::classify_gateway_line`).
const GATEWAY_OK: &str = r#"{"ts":"2026-11-24T10:00:00.123Z","method":"POST","path":"/v1/messages","status":201,"latency_ms":12,"api_key":"wk_a","response":{"isSuccess":true,"data":{"messageId":"wamid.1"}}}"#;
const GATEWAY_RATE: &str = r#"{"ts":"2026-11-24T10:00:01.5Z","method":"GET","path":"/v1/media?id=2","status":429,"latency_ms":3,"api_key":null,"response":{"isSuccess":false,"errors":{"code":"RATE_001","group":"TOO_MANY_REQUESTS","description":"Rate limit exceeded","params":{"limit_type":"sec","retry_after":"1 seconds"}}}}"#;

/// Lines of the gateway's own layout, `data` that nests among them, and near misses the
/// worker leaves to the search for the line's end: longer than [`MAX_LINE`], a `\n` anywhere
/// inside (two lines), junk after the object, escapes.
fn gateway_line() -> impl Strategy<Value = Vec<u8>> {
    let (ok, rate) = (GATEWAY_OK, GATEWAY_RATE);
    let data = r#"{"messageId":"wamid.1"}"#;
    prop_oneof![
        Just(ok.to_owned()),
        Just(rate.to_owned()),
        Just(format!("{ok}  \t")),
        Just(format!("{ok} x")),
        Just(ok.replace(data, r#"{"a":[1]}"#)),
        Just(ok.replace(data, "{}")),
        Just(ok.replace(data, "null")),
        Just(ok.replace("wk_a", r"wk\u005fa")),
        Just(rate.replace(r#""sec""#, r#""sec\tx""#)),
        // Around the longest line read: lines of 996 to 1055 bytes.
        (830usize..890)
            .prop_map(move |n| ok.replace("/v1/messages", &format!("/{}", "v".repeat(n - 1)))),
        (0..rate.len()).prop_map(move |at| format!("{}\n{}", &rate[..at], &rate[at..])),
        // Nesting `data` with a `\n` between its tokens, where a scan past the line's end
        // would take it for whitespace.
        (0..8usize).prop_map(move |at| {
            let nests = r#"{"a":[1,{"b":2}],"c":[]}"#;
            ok.replace(data, &format!("{}\n{}", &nests[..at + 6], &nests[at + 6..]))
        }),
    ]
    .prop_map(String::into_bytes)
}

/// Text lines of every kind, the gateway's among them, joined by LF or CRLF, maybe without a
/// final newline.
fn text_log() -> impl Strategy<Value = Vec<u8>> {
    joined(prop_oneof![
        3 => gateway_line(),
        // Text without a CR: no input is taken for gzip or zstd (their magic bytes are not
        // UTF-8) or for a classic-Mac file (CR line ends), readings of their own.
        1 => line().prop_filter("text", |l| std::str::from_utf8(l).is_ok_and(|t| !t.contains('\r'))),
    ])
}

/// The report of `data` with every line split at `\n` (`scan::lines`) and classified alone
/// (`Extractor::classify`), then counted: what the workers must count, however they find
/// the lines.
fn report_line_by_line(data: &[u8]) -> serde_json::Value {
    let ex = extractor();
    let mut agg = Aggregate::default();
    for line in errlens::scan::lines(data) {
        agg.totals.lines += 1;
        match ex.classify(line) {
            Line::Blank => agg.totals.blank += 1,
            Line::Malformed(_) => agg.totals.malformed += 1,
            Line::Unrecognized => agg.totals.unrecognized += 1,
            Line::Request(rec) => agg.add_request(&rec),
        }
    }
    report_json(&agg)
}

/// Longest line the properties' extractors read (longer ones are malformed: too long).
const MAX_LINE: u64 = 1 << 10;

fn extractor() -> Extractor {
    Extractor::new(&FieldMap::default(), MAX_LINE).unwrap()
}

/// The report of `agg` as JSON, without the inputs (which name the sources).
fn report_json(agg: &Aggregate) -> serde_json::Value {
    let rep = report::build(agg, &Catalog::builtin(), &ReportOptions::default()).unwrap();
    let text = json::render(&rep, &Context::default()).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("inputs");
    v
}

fn report_of(sources: &[Source], chunk: usize, threads: usize) -> (serde_json::Value, bool) {
    report_read(sources, chunk, threads, Options::default().idle_chunks)
}

/// [`report_of`], a parsing thread reading a source of its own after finding no chunk
/// queued `idle` times in a row (0: every thread reads while sources are left).
fn report_read(
    sources: &[Source],
    chunk: usize,
    threads: usize,
    idle: u32,
) -> (serde_json::Value, bool) {
    let ex = extractor();
    let opts = Options {
        threads,
        chunk_size: chunk,
        idle_chunks: idle,
        ..Options::default()
    };
    let run = driver::run(sources, &ex, &Filter::default(), &opts).unwrap();
    (report_json(&run.agg), run.agg.totals.reconciles())
}

/// A RATE_001 line: key `k`, at second `t` (or no time), with a `retry_after` code `r`.
fn throttled(k: u8, t: Option<u32>, r: u8) -> String {
    let ts = t.map_or(String::new(), |t| {
        format!(r#""ts":{},"#, 1_795_000_000_000u64 + t as u64 * 1000)
    });
    let retry = match r {
        0 => String::new(),
        1 => r#","params":{"retry_after":"soon"}"#.to_owned(),
        r => format!(
            r#","params":{{"retry_after":"{} seconds","limit_type":"t{}"}}"#,
            r % 7,
            r % 3
        ),
    };
    format!(
        r#"{{{ts}"status":429,"api_key":"wk_{k}","response":{{"isSuccess":false,"errors":{{"code":"RATE_001"{retry}}}}}}}"#
    )
}

/// The offenders of `log`, spilling RATE_001 events past `budget` bytes (`None`: never).
fn offenders_of(
    log: &[u8],
    budget: Option<usize>,
    caps: Caps,
    chunk: usize,
    threads: usize,
) -> (Vec<Offender>, usize) {
    let ex = extractor();
    let opts = Options {
        threads,
        chunk_size: chunk,
        ..Options::default()
    };
    let spill = Arc::new(Spill::new(budget.unwrap_or(usize::MAX)));
    let run = driver::run_with(&[bytes("x", log)], &ex, &Filter::default(), &opts, || {
        Aggregate::with_caps(caps).with_spill(spill.clone())
    })
    .unwrap();
    (
        offenders(&run.agg, &Rules::default(), 1).unwrap(),
        spill.spills(),
    )
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
            let parts = [bytes("a", &data[..at]), bytes("b", &data[at..])];
            let (split, _) = report_of(&parts, chunk, threads);
            prop_assert_eq!(&whole, &split);
            // With two threads or more, both parts read at once, each by its own thread.
            let (side_by_side, _) = report_read(&parts, chunk, threads, 0);
            prop_assert_eq!(&whole, &side_by_side);
        }
    }

    /// The workers count each line as `Extractor::classify` reads it alone, whether they
    /// found its end first or the gateway's reader found it (at a `\n`, or at the input's
    /// end).
    #[test]
    fn the_workers_count_each_line_as_it_reads_alone(
        data in text_log(),
        chunk in 1usize..1200,
        threads in 1usize..3,
    ) {
        // The gateway's lines are read in the chunk here, not all left to the line reading.
        prop_assert!(extractor().classify_gateway_line(GATEWAY_OK).is_some());
        let (driven, ok) = report_of(&[bytes("x", &data)], chunk, threads);
        prop_assert!(ok);
        prop_assert_eq!(driven, report_line_by_line(&data), "{}", String::from_utf8_lossy(&data));
    }

    /// Spilling RATE_001 events to disk (down to one spill per event) changes no offender.
    #[test]
    fn spilling_events_changes_no_offender(
        events in prop::collection::vec((0u8..5, prop::option::weighted(0.9, 0u32..100_000), 0u8..9), 0..80),
        budget in 1usize..64,
        chunk in 64usize..2000,
        threads in 1usize..4,
    ) {
        let mut log = String::new();
        for (i, &(k, t, r)) in events.iter().enumerate() {
            log.push_str(&throttled(k, t, r));
            log.push('\n');
            if i % 3 == 0 {
                log.push_str(r#"{"status":200,"api_key":"wk_1","response":{"isSuccess":true}}"#);
                log.push('\n');
            }
        }
        let caps = Caps::default();
        let (held, no_runs) = offenders_of(log.as_bytes(), None, caps, 1 << 20, 1);
        prop_assert_eq!(no_runs, 0);
        let (spilled, spills) = offenders_of(log.as_bytes(), Some(budget), caps, chunk, threads);
        // An event's first bytes take 8 (the smallest allocation): past a budget under 8,
        // every event spills.
        if budget < 8 {
            prop_assert_eq!(spills >= events.len(), true, "{} spills", spills);
        }
        prop_assert_eq!(held, spilled);
    }
}

/// Keys past `--max-keys` fold into `(other)`, which offenders leave out: their spilled events
/// must stay out too, and the kept keys must get all of theirs.
#[test]
fn spilled_events_of_folded_keys_stay_out() {
    let mut log = String::new();
    for i in 0..300u32 {
        // wk_0 and wk_1 come first and keep rows; wk_2..wk_4 fold (cap 2).
        log.push_str(&throttled(
            (i % 5) as u8,
            Some(i * 7 % 1000),
            2 + (i % 5) as u8,
        ));
        log.push('\n');
    }
    let caps = Caps {
        keys: 2,
        ..Caps::default()
    };
    // One worker: which keys fold is first come, so the same for both runs.
    let (held, _) = offenders_of(log.as_bytes(), None, caps, 1 << 20, 1);
    let (spilled, spills) = offenders_of(log.as_bytes(), Some(1), caps, 1 << 20, 1);
    // Every event spills (more runs than the reader takes at once, so they are merged first).
    assert_eq!(spills, 300);
    let keys: Vec<_> = held.iter().map(|o| o.key.clone().unwrap()).collect();
    assert_eq!(keys, ["wk_0", "wk_1"]);
    assert_eq!(held[0].rate_limited, 60);
    assert_eq!(held, spilled);
}
