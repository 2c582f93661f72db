//! `errlens daily` against the real binary: golden files per format, the comparison across
//! runs through --history, days in a time zone, and what reaches a person's browser.

mod util;

use std::path::Path;

use polars::prelude::{ParquetReader, SerReader};
use serde_json::{Value, json};
use util::{Dir, fixture, run_in};

/// Runs `errlens daily ARGS` in `dir`; panics with stderr unless the exit status is `want`.
fn daily(dir: &Dir, args: &[&str], want: i32) -> String {
    let mut full = vec!["daily", "--quiet"];
    full.extend_from_slice(args);
    let out = run_in(Some(dir.root()), &full, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(want), "stderr: {stderr}");
    stderr
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .unwrap()
}

/// `table`'s rows as a JSON array of arrays of the named columns.
fn rows(v: &Value, table: &str, cols: &[&str]) -> Value {
    json!(util::rows(v, table, cols))
}

/// Compares `got` with tests/golden/daily/NAME; `ERRLENS_BLESS=1` rewrites the golden file.
fn golden(name: &str, got: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/daily")
        .join(name);
    if std::env::var_os("ERRLENS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (ERRLENS_BLESS=1 creates it)", path.display()));
    assert!(
        want == got,
        "{name} differs from its golden file (ERRLENS_BLESS=1 cargo test --test daily rewrites \
         it; review the diff)\n--- got ---\n{}",
        String::from_utf8_lossy(got)
    );
}

fn fixture_dir() -> Dir {
    let dir = Dir::new();
    dir.write("daily.log", &fixture("daily.log"));
    dir
}

const ALL_FORMATS: &str = "md,html,json,csv,parquet";

#[test]
fn golden_files_of_every_format() {
    let dir = fixture_dir();
    daily(
        &dir,
        &[
            "daily.log",
            "--out",
            "out",
            "--format",
            ALL_FORMATS,
            "--spike-min-excess",
            "2",
        ],
        0,
    );
    let out = dir.path("out");
    for name in [
        "2026-11-24.md",
        "2026-11-24.html",
        "2026-11-24.json",
        "index.md",
        "index.html",
        "index.json",
        "2026-11-24/by_code.csv",
        "2026-11-24/hourly.csv",
        "index/day_code.csv",
    ] {
        golden(name, &std::fs::read(out.join(name)).unwrap());
    }
    // Parquet holds the same table as CSV.
    let file = std::fs::File::open(out.join("2026-11-24/by_code.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    let csv = std::fs::read_to_string(out.join("2026-11-24/by_code.csv")).unwrap();
    assert_eq!(df.height(), csv.lines().count() - 1);
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names.join(","), csv.lines().next().unwrap());
}

#[test]
fn a_day_compares_with_the_day_before() {
    let dir = fixture_dir();
    daily(
        &dir,
        &[
            "daily.log",
            "--out",
            "out",
            "--format",
            "json",
            "--spike-min-excess",
            "2",
        ],
        0,
    );
    let d = json(&dir.path("out/2026-11-24.json"));
    assert_eq!(
        util::totals(&d)[5..],
        [8, 2, 6],
        "requests, successes, errors of the day"
    );
    // count, previous_day, change per code; codes of the previous day only show as gone.
    assert_eq!(
        rows(
            &d,
            "by_code",
            &["code", "count", "previous_day", "change", "mean_7d"]
        ),
        json!([
            ["AUTH_002", 3, 0, 3, 0.0],
            ["AUTH_004", 1, 0, 1, 0.0],
            ["GW_001", 1, 0, 1, 0.0],
            ["RATE_001", 1, 2, -1, 2.0],
        ])
    );
    assert_eq!(
        rows(&d, "new_codes", &["code"]),
        json!([["AUTH_002"], ["AUTH_004"], ["GW_001"]])
    );
    assert_eq!(
        rows(&d, "gone_codes", &["code", "previous_day"]),
        json!([["AUTH_001", 1], ["BILL_001", 1]])
    );
    // Hour 15 (3 errors, no traffic at 15:00 the day before: baseline = the day's median, 0)
    // is a spike with --spike-min-excess 2; hour 10 (2 errors against 2) is not.
    assert_eq!(
        rows(&d, "spikes", &["hour", "errors", "baseline"]),
        json!([[15, 3, 0.0]])
    );
    assert_eq!(
        rows(
            &d,
            "status_mismatches",
            &["code", "expected_status", "status", "count"]
        ),
        json!([["AUTH_004", 500, 503, 1]])
    );
    let hourly = rows(
        &d,
        "hourly",
        &["hour", "requests", "errors", "UNAUTHORIZED"],
    );
    assert_eq!(hourly.as_array().unwrap().len(), 24);
    assert_eq!(hourly[15], json!([15, 3, 3, 3]));
    assert_eq!(hourly[9], json!([9, 2, 1, 0]));
    let keys = rows(
        &d,
        "by_key",
        &["key", "errors", "top_code", "top_code_errors"],
    );
    assert_eq!(keys[0], json!(["wk_l…8888", 3, "AUTH_002", 3]));
    // The rate-limit offenders section (the same analysis as `errlens offenders`).
    assert_eq!(
        rows(&d, "offenders", &["key", "rate_limited"]),
        json!([["wk_l…2222", 1]])
    );
    // The index: every line in one bucket, undated requests named.
    let idx = json(&dir.path("out/index.json"));
    assert_eq!(util::totals(&idx), [17, 1, 1, 0, 0, 15, 5, 10]);
    assert!(
        idx["notes"]
            .to_string()
            .contains("1 requests (0 errors) had no time"),
        "{}",
        idx["notes"]
    );
    assert_eq!(
        rows(&idx, "days", &["day", "requests", "errors", "report"]),
        json!([
            ["2026-11-23", 6, 4, "2026-11-23"],
            ["2026-11-24", 8, 6, "2026-11-24"],
        ])
    );
    assert_eq!(
        rows(&idx, "day_code", &["day", "RATE_001", "AUTH_002"]),
        json!([["2026-11-23", 2, 0], ["2026-11-24", 1, 3]])
    );
}

/// Splits the fixture by day: lines of 2026-11-23 and the rest.
fn split_fixture(dir: &Dir) {
    let text = String::from_utf8(fixture("daily.log")).unwrap();
    let (mut first, mut second) = (String::new(), String::new());
    for line in text.lines() {
        let target = if line.contains("2026-11-23T") {
            &mut first
        } else {
            &mut second
        };
        target.push_str(line);
        target.push('\n');
    }
    dir.write("day1.log", first.as_bytes());
    dir.write("day2.log", second.as_bytes());
}

/// A day's report without what names the inputs.
fn comparable(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("inputs");
    o.remove("input_errors");
    v
}

#[test]
fn two_runs_with_history_equal_one_run_over_both_days() {
    let dir = fixture_dir();
    split_fixture(&dir);
    let args = [
        "--format",
        "json",
        "--spike-min-excess",
        "2",
        "--history",
        "h.parquet",
    ];
    let one = |log: &str, out: &str| {
        let mut a = vec![log, "--out", out];
        a.extend_from_slice(&args);
        daily(&dir, &a, 0);
    };
    one("day1.log", "run1");
    one("day2.log", "run2");
    daily(
        &dir,
        &[
            "daily.log",
            "--out",
            "both",
            "--format",
            "json",
            "--spike-min-excess",
            "2",
        ],
        0,
    );
    let split = comparable(json(&dir.path("run2/2026-11-24.json")));
    let whole = comparable(json(&dir.path("both/2026-11-24.json")));
    assert_eq!(split, whole);
    assert!(!split["gone_codes"].as_array().unwrap().is_empty());

    // Running day 2 again replaces it in the history; nothing is counted twice.
    let before = std::fs::read(dir.path("h.parquet")).unwrap();
    one("day2.log", "run3");
    let idx = json(&dir.path("run3/index.json"));
    assert_eq!(
        rows(&idx, "days", &["day", "requests", "source"]),
        json!([["2026-11-23", 6, "history"], ["2026-11-24", 8, "run"]])
    );
    let after = std::fs::read(dir.path("h.parquet")).unwrap();
    let frame = |b: Vec<u8>| {
        ParquetReader::new(std::io::Cursor::new(b))
            .finish()
            .unwrap()
    };
    assert!(frame(before).equals_missing(&frame(after)));
}

#[test]
fn history_in_another_zone_or_unreadable_is_refused_untouched() {
    let dir = fixture_dir();
    daily(
        &dir,
        &["daily.log", "--out", "a", "--history", "h.parquet"],
        0,
    );
    let before = std::fs::read(dir.path("h.parquet")).unwrap();
    let err = daily(
        &dir,
        &[
            "daily.log",
            "--out",
            "b",
            "--history",
            "h.parquet",
            "--tz",
            "+03:00",
        ],
        2,
    );
    assert!(
        err.contains("h.parquet") && err.contains("UTC") && err.contains("+03"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.path("h.parquet")).unwrap(), before);
    dir.write("bad.parquet", b"PAR1 but not really");
    let err = daily(
        &dir,
        &["daily.log", "--out", "c", "--history", "bad.parquet"],
        2,
    );
    assert!(err.contains("bad.parquet"), "{err}");
    assert_eq!(
        std::fs::read(dir.path("bad.parquet")).unwrap(),
        b"PAR1 but not really"
    );
}

#[test]
fn days_and_hours_follow_tz_and_day_selects() {
    let dir = fixture_dir();
    let stderr = daily(
        &dir,
        &[
            "daily.log",
            "--out",
            "out",
            "--format",
            "json",
            "--tz",
            "Europe/Istanbul",
            "--day",
            "2026-11-24",
            "--history",
            "h.parquet",
        ],
        0,
    );
    assert!(stderr.is_empty(), "{stderr}");
    let names: Vec<String> = std::fs::read_dir(dir.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["2026-11-24.json", "index.json"]);
    let d = json(&dir.path("out/2026-11-24.json"));
    assert_eq!(d["tz"], "Europe/Istanbul");
    // 15:00Z is 18:00 in Istanbul (UTC+3).
    let hourly = rows(&d, "hourly", &["hour", "errors"]);
    assert_eq!(hourly[18], json!([18, 3]));
    let idx = json(&dir.path("out/index.json"));
    assert!(
        idx["notes"].to_string().contains("outside --day"),
        "{}",
        idx["notes"]
    );
    // Only the selected day went into the history.
    let df = ParquetReader::new(std::fs::File::open(dir.path("h.parquet")).unwrap())
        .finish()
        .unwrap();
    let days = df
        .column("day")
        .unwrap()
        .as_materialized_series()
        .unique()
        .unwrap();
    assert_eq!(days.len(), 1);
    // A day with no request is reported empty and said so.
    let err = daily(
        &dir,
        &["daily.log", "--out", "o2", "--day", "2026-12-01"],
        0,
    );
    assert!(err.contains("2026-12-01: no request"), "{err}");
    assert!(dir.path("o2/2026-12-01.md").exists());
}

#[test]
fn html_shows_log_markup_as_text() {
    let dir = fixture_dir();
    daily(&dir, &["daily.log", "--out", "out", "--format", "html"], 0);
    let page = std::fs::read_to_string(dir.path("out/2026-11-24.html")).unwrap();
    let doc = scraper::Html::parse_document(&page);
    let script = scraper::Selector::parse("script").unwrap();
    assert_eq!(
        doc.select(&script).count(),
        0,
        "a log string became a <script> element"
    );
    let cell = scraper::Selector::parse("td").unwrap();
    assert!(
        doc.select(&cell).any(
            |td| td.text().collect::<String>() == "Invalid recipient <script>alert(1)</script>"
        ),
        "the description is not shown as text"
    );
    // The chart is inline SVG: nothing to fetch.
    assert!(page.contains("<svg"));
    assert!(
        !page.contains("src=") && !page.contains("href=\"http") && !page.contains("url("),
        "the page loads something"
    );
}

#[test]
fn a_partial_day_does_not_replace_a_fuller_one_unless_asked() {
    let dir = fixture_dir();
    daily(
        &dir,
        &[
            "daily.log",
            "--out",
            "a",
            "--format",
            "json",
            "--history",
            "h.parquet",
        ],
        0,
    );
    // Today's dump begins with the last line of yesterday, as after a rotation at 06:25.
    let text = String::from_utf8(fixture("daily.log")).unwrap();
    let tail: String = text
        .lines()
        .filter(|l| l.contains("2026-11-23T12:00") || l.contains("2026-11-24T"))
        .map(|l| format!("{l}\n"))
        .collect();
    dir.write("today.log", tail.as_bytes());
    let err = daily(
        &dir,
        &[
            "today.log",
            "--out",
            "b",
            "--format",
            "json",
            "--history",
            "h.parquet",
        ],
        0,
    );
    assert!(
        err.contains("2026-11-23: this input has 1 requests of it, the history 6"),
        "{err}"
    );
    assert!(!dir.path("b/2026-11-23.json").exists());
    let idx = json(&dir.path("b/index.json"));
    assert_eq!(
        rows(&idx, "days", &["day", "requests", "source"]),
        json!([["2026-11-23", 6, "history"], ["2026-11-24", 8, "run"]])
    );
    // --day replaces it: the user said so.
    daily(
        &dir,
        &[
            "today.log",
            "--out",
            "c",
            "--format",
            "json",
            "--history",
            "h.parquet",
            "--day",
            "2026-11-23",
        ],
        0,
    );
    let idx = json(&dir.path("c/index.json"));
    assert_eq!(
        rows(&idx, "days", &["day", "requests"])[0],
        json!(["2026-11-23", 1])
    );
}

#[test]
fn history_is_not_written_from_filtered_figures() {
    let dir = fixture_dir();
    let err = daily(
        &dir,
        &[
            "daily.log",
            "--out",
            "a",
            "--history",
            "h.parquet",
            "--code",
            "RATE_001",
        ],
        2,
    );
    assert!(err.contains("--history keeps whole days"), "{err}");
    assert!(!dir.path("h.parquet").exists());
}

#[test]
fn caps_hold_in_every_day_whatever_the_workers() {
    let mut log = String::new();
    for k in 0..400 {
        log.push_str(&format!(
            "{{\"ts\":\"2026-11-24T10:{:02}:{:02}Z\",\"status\":401,\"api_key\":\"key_{k:03}_padding_padding\",\
             \"response\":{{\"isSuccess\":false,\"errors\":{{\"code\":\"AUTH_001\"}}}}}}\n",
            k / 60,
            k % 60
        ));
    }
    let dir = Dir::new();
    dir.write("keys.log", log.as_bytes());
    let err = daily(
        &dir,
        &[
            "keys.log",
            "--out",
            "o",
            "--format",
            "json",
            "--max-keys",
            "3",
            "-j",
            "2",
            "--chunk-bytes",
            "256",
        ],
        0,
    );
    assert!(err.contains("more than 3 distinct API keys"), "{err}");
    let d = json(&dir.path("o/2026-11-24.json"));
    let keys = d["by_key"].as_array().unwrap();
    assert_eq!(keys.len(), 4, "3 keys and (other): {keys:?}");
    let total: u64 = keys.iter().map(|k| k["requests"].as_u64().unwrap()).sum();
    assert_eq!(total, 400);
}
