//! `errlens offenders` end to end, on fixtures with known answers (tests/fixtures/make_offenders.py
//! wrote them: four keys, shuffled across two files, each file in reverse time order).

mod util;

use serde_json::{Value, json};
use util::{Dir, fixture, run};

const PERSIST: &str = "wk_live_PERSIST000000000001";
const BURST: &str = "wk_live_BURST00000000000002";
const EARLY: &str = "wk_live_EARLY00000000000003";
const GOOD: &str = "wk_live_GOOD000000000000004";

fn files(d: &Dir) -> (String, String) {
    let a = d.write("offenders-a.log", &fixture("offenders-a.log"));
    let b = d.write("offenders-b.log", &fixture("offenders-b.log"));
    (
        a.to_string_lossy().into_owned(),
        b.to_string_lossy().into_owned(),
    )
}

/// One text column of the offenders rows, in rank order.
fn column<'a>(v: &'a Value, name: &str) -> Vec<&'a str> {
    v["offenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[name].as_str().unwrap())
        .collect()
}

fn offenders(args: &[&str]) -> (Value, i32, String) {
    let mut full = vec!["offenders", "--format", "json", "--quiet"];
    full.extend_from_slice(args);
    let out = run(&full, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (v, out.status.code().unwrap(), stderr)
}

#[test]
fn known_behaviours_get_known_verdicts() {
    let d = Dir::new();
    let (a, b) = files(&d);
    let (v, code, stderr) = offenders(&["--show-keys", &a, &b]);
    assert_eq!(code, 0, "{stderr}");
    let rows = v["offenders"].as_array().unwrap();
    assert_eq!(
        column(&v, "key"),
        [BURST, EARLY, GOOD, PERSIST],
        "ranked by RATE_001 count"
    );
    let pick = |r: &Value, cols: &[&str]| cols.iter().map(|c| r[*c].clone()).collect::<Vec<_>>();
    let cols = [
        "rank",
        "requests",
        "rate_limited",
        "days_rate_limited",
        "longest_streak_days",
        "minutes_rate_limited",
        "peak_per_minute",
        "retry_after_median_s",
        "early_retries",
        "early_retry_share",
        "verdict",
        "limit_types",
    ];
    assert_eq!(
        pick(&rows[0], &cols),
        [
            json!(1),
            json!(84),
            json!(70),
            json!(1),
            json!(1),
            json!(1),
            json!(70),
            Value::Null,
            json!(0),
            Value::Null,
            json!("bursty"),
            json!("sec=70")
        ]
    );
    assert_eq!(
        pick(&rows[1], &cols),
        [
            json!(2),
            json!(34),
            json!(20),
            json!(1),
            json!(1),
            json!(1),
            json!(20),
            json!(1.0),
            json!(19),
            json!(1.0),
            json!("ignores retry_after"),
            json!("sec=20")
        ]
    );
    assert_eq!(
        pick(&rows[2], &cols),
        [
            json!(3),
            json!(24),
            json!(10),
            json!(1),
            json!(1),
            json!(1),
            json!(10),
            json!(1.0),
            json!(0),
            json!(0.0),
            json!("-"),
            json!("sec=10")
        ]
    );
    assert_eq!(
        pick(&rows[3], &cols),
        [
            json!(4),
            json!(21),
            json!(7),
            json!(7),
            json!(7),
            json!(7),
            json!(1),
            json!(60.0),
            json!(0),
            json!(0.0),
            json!("persistent"),
            json!("day=7")
        ]
    );
    assert_eq!(rows[3]["first_rate_limited"], "2026-11-01T12:00:00Z");
    assert_eq!(rows[3]["last_rate_limited"], "2026-11-07T12:00:00Z");
    assert_eq!(
        rows[3]["rule"],
        "persistent: RATE_001 on 7 of 7 days (>= 4)"
    );
    assert!(
        rows[1]["rule"]
            .as_str()
            .unwrap()
            .starts_with("ignores retry_after: 19 of 19 retries came early")
    );
    assert_eq!(v["rules"]["bursty_peak"], 60);
}

#[test]
fn rules_are_flags() {
    let d = Dir::new();
    let (a, b) = files(&d);
    let (v, ..) = offenders(&["--bursty-peak", "10", "--min-rate-limited", "8", &a, &b]);
    assert_eq!(
        column(&v, "verdict"),
        ["bursty", "bursty, ignores retry_after", "bursty"],
        "PERSIST (7) is under --min-rate-limited 8"
    );
}

#[test]
fn fail_if_sets_the_exit_status() {
    let d = Dir::new();
    let (a, b) = files(&d);
    for (cond, want) in [
        ("rate_limited>50", 1),
        ("rate_limited>100", 0),
        ("early_retry_share>=0.9", 1),
        ("days_rate_limited >= 8", 0),
        ("peak_per_minute==70", 1),
    ] {
        let out = run(&["offenders", "--quiet", "--fail-if", cond, &a, &b], None);
        assert_eq!(out.status.code(), Some(want), "{cond}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Rate-limit offenders"),
            "the report is printed first"
        );
    }
    let out = run(&["offenders", "--fail-if", "colour>1", &a], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown column `colour`"));
}

#[test]
fn every_format_masks_keys_and_keeps_rank_order() {
    let d = Dir::new();
    let (a, b) = files(&d);
    for format in ["table", "json", "csv", "md", "html"] {
        let out = run(&["offenders", "--quiet", "--format", format, &a, &b], None);
        assert_eq!(out.status.code(), Some(0), "{format}");
        let text = String::from_utf8_lossy(&out.stdout);
        for key in [PERSIST, BURST, EARLY, GOOD] {
            assert!(!text.contains(key), "{format} shows {key}");
        }
        let burst = text
            .find("wk_l…0002")
            .unwrap_or_else(|| panic!("{format}: {text}"));
        let persist = text.find("wk_l…0001").unwrap();
        assert!(burst < persist, "{format}: rank order");
    }
    let csv =
        String::from_utf8(run(&["offenders", "--format", "csv", &a, &b], None).stdout).unwrap();
    assert!(csv.starts_with("rank,key,key_fingerprint,requests,rate_limited,"));
    assert_eq!(csv.lines().count(), 5);
    let pq = d.path("offenders.parquet");
    let out = run(
        &[
            "offenders",
            "--format",
            "parquet",
            "-o",
            pq.to_str().unwrap(),
            &a,
            &b,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(std::fs::File::open(&pq).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), 4);
    let out = run(&["offenders", "--format", "parquet", &a], None);
    assert_eq!(out.status.code(), Some(2), "parquet needs --output");
}

#[test]
fn report_has_an_offenders_section() {
    let d = Dir::new();
    let (a, b) = files(&d);
    let (v, code, _) = util::report(&[&a, &b], None);
    assert_eq!(code, 0);
    let rows = v["offenders"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["verdict"], "bursty");
    let out = run(&["report", &a, &b], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Rate-limit offenders (RATE_001)"));
}

#[test]
fn the_keys_gen_throttles_are_the_top_rows() {
    let d = Dir::new();
    let (log, s) = util::gen_log(
        &d,
        &[
            "--lines", "30000", "--days", "5", "--keys", "400", "--seed", "3",
        ],
    );
    let mut want: Vec<String> = s["throttled_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key_fingerprint"].as_str().unwrap().to_owned())
        .collect();
    want.sort();
    let (v, ..) = offenders(&[log.to_str().unwrap()]);
    let mut top = column(&v, "key_fingerprint")[..want.len()].to_vec();
    top.sort();
    assert_eq!(top, want);
}

#[test]
fn top_cuts_the_rows_but_counts_them_all() {
    let d = Dir::new();
    let (a, b) = files(&d);
    let (v, code, stderr) = offenders(&["--top", "2", "--show-keys", &a, &b]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        column(&v, "key"),
        [BURST, EARLY],
        "the first two of the full ranking"
    );
    let out = run(&["offenders", "--top", "2", &a, &b], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("showing 2 of 4 keys"), "{text}");
    // The verdict lines follow the rows shown.
    assert!(text.contains("#1 bursty:"), "{text}");
    assert!(!text.contains("#3 "), "{text}");
}
