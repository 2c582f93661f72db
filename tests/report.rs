//! `errlens report` end to end: the real binary on files in temporary directories.

mod util;

use serde_json::{Value, json};
use util::{Dir, fixture, gzip, report, rows, run, tables, totals, zstd};

const KEY_A: &str = "wk_live_AAAA1111BBBB2222";
const KEY_C: &str = "wk_live_CCCC3333DDDD4444";
const KEY_E: &str = "wk_live_EEEE5555FFFF6666";

fn fp(key: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(key.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn every_record_shape_is_counted() {
    let d = Dir::new();
    let p = d.write("shapes.log", &fixture("shapes.log"));
    let (r, code, stderr) = report(&["--show-keys", p.to_str().unwrap()], None);
    assert_eq!(code, 0, "{stderr}");
    // lines, blank, malformed, unrecognized, filtered, requests, successes, errors
    assert_eq!(totals(&r), [14, 2, 2, 1, 0, 9, 2, 7]);
    assert_eq!(
        rows(&r, "by_code", &["code", "count", "catalogued", "group"]),
        vec![
            vec![
                json!("RATE_001"),
                json!(2),
                json!(true),
                json!("TOO_MANY_REQUESTS")
            ],
            vec![Value::Null, json!(2), json!(false), Value::Null],
            vec![
                json!("AUTH_002"),
                json!(1),
                json!(true),
                json!("UNAUTHORIZED")
            ],
            vec![
                json!("BILL_001"),
                json!(1),
                json!(true),
                json!("PAYMENT_REQUIRED")
            ],
            vec![
                json!("BILL_002"),
                json!(1),
                json!(true),
                json!("BAD_REQUEST")
            ],
            vec![json!("GW_001"), json!(1), json!(false), json!("VALIDATION")],
        ]
    );
    let gw = &r["by_code"][5];
    assert_eq!(gw["description"], "invalid recipient");
    assert_eq!(gw["expected_status"], Value::Null);
    assert_eq!(r["by_code"][0]["expected_status"], 429);
    assert_eq!(
        rows(&r, "by_group", &["group", "count"]),
        vec![
            vec![json!("TOO_MANY_REQUESTS"), json!(2)],
            vec![json!("BAD_REQUEST"), json!(1)],
            vec![json!("INTERNAL_ERROR"), json!(1)],
            vec![json!("PAYMENT_REQUIRED"), json!(1)],
            vec![json!("UNAUTHORIZED"), json!(1)],
            vec![json!("VALIDATION"), json!(1)],
            vec![Value::Null, json!(1)],
        ]
    );
    assert_eq!(
        rows(&r, "by_status", &["status", "requests", "errors"]),
        [
            [200, 1, 0],
            [201, 1, 0],
            [400, 1, 1],
            [401, 1, 1],
            [402, 1, 1],
            [429, 2, 2],
            [500, 1, 1],
            [502, 1, 1]
        ]
        .iter()
        .map(|r| r.iter().map(|n| json!(n)).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
    // Ties on errors and requests go by fingerprint.
    let mut tied = vec![
        vec![json!(KEY_C), json!(fp(KEY_C)), json!(2), json!(2), json!(0)],
        vec![json!(KEY_E), json!(fp(KEY_E)), json!(2), json!(2), json!(0)],
    ];
    tied.sort_by_key(|r| r[1].as_str().unwrap().to_owned());
    let mut want = vec![vec![
        json!(KEY_A),
        json!(fp(KEY_A)),
        json!(3),
        json!(2),
        json!(2),
    ]];
    want.extend(tied);
    want.push(vec![Value::Null, Value::Null, json!(2), json!(1), json!(0)]);
    assert_eq!(
        rows(
            &r,
            "by_key",
            &[
                "key",
                "key_fingerprint",
                "requests",
                "errors",
                "rate_limited"
            ]
        ),
        want
    );
    assert_eq!(
        rows(&r, "by_day", &["day", "requests", "errors"]),
        vec![
            vec![json!("2026-11-24"), json!(3), json!(2)],
            vec![json!("2026-11-25"), json!(5), json!(5)],
            vec![Value::Null, json!(1), json!(0)],
        ]
    );
    assert_eq!(
        rows(
            &r,
            "by_endpoint",
            &["method", "endpoint", "requests", "errors"]
        ),
        vec![
            vec![json!("POST"), json!("/v1/messages"), json!(6), json!(5)],
            vec![json!("POST"), json!("/v1/contacts"), json!(1), json!(1)],
            vec![json!("GET"), json!("/v1/templates"), json!(1), json!(1)],
            vec![Value::Null, Value::Null, json!(1), json!(0)],
        ]
    );
}

#[test]
fn crlf_and_missing_final_newline_change_nothing() {
    let d = Dir::new();
    let lf = fixture("shapes.log");
    let crlf: Vec<u8> = String::from_utf8(lf.clone())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    let bare = &lf[..lf.len() - 1];
    let (want, ..) = report(&[d.write("lf.log", &lf).to_str().unwrap()], None);
    for (name, bytes) in [("crlf.log", &crlf[..]), ("bare.log", bare)] {
        let (got, code, _) = report(&[d.write(name, bytes).to_str().unwrap()], None);
        assert_eq!(code, 0);
        assert_eq!(tables(got), tables(want.clone()), "{name}");
    }
}

#[test]
fn gzip_multi_member_and_zstd_are_found_by_magic_bytes() {
    let d = Dir::new();
    let lf = fixture("shapes.log");
    let (want, ..) = report(&[d.write("plain.log", &lf).to_str().unwrap()], None);
    let (a, b) = lf.split_at(lf.len() / 3);
    for (name, bytes) in [
        ("one-member.log", gzip(&[&lf])),
        ("two-members.txt", gzip(&[a, b])),
        ("frames.data", zstd(&lf)),
    ] {
        let (got, code, stderr) = report(&[d.write(name, &bytes).to_str().unwrap()], None);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(tables(got.clone()), tables(want.clone()), "{name}");
        let enc = got["inputs"][0]["encoding"].as_str().unwrap().to_owned();
        assert_eq!(
            enc,
            if name.ends_with("data") {
                "zstd"
            } else {
                "gzip"
            }
        );
        assert_eq!(got["inputs"][0]["lines"], 14);
    }
}

#[test]
fn stdin_is_read_without_a_path_and_with_dash() {
    let lf = fixture("shapes.log");
    let gz = gzip(&[&lf]);
    for args in [&[][..], &["-"][..]] {
        let (r, code, _) = report(args, Some(&gz));
        assert_eq!(code, 0);
        assert_eq!(totals(&r), [14, 2, 2, 1, 0, 9, 2, 7]);
        assert_eq!(r["inputs"][0]["name"], "<stdin>");
    }
}

#[test]
fn directories_are_walked_and_hidden_files_skipped() {
    let d = Dir::new();
    let lf = fixture("shapes.log");
    d.write("logs/a.log", &lf);
    d.write("logs/nested/b.log.gz", &gzip(&[&lf]));
    d.write("logs/.hidden.log", &lf);
    d.write("logs/.git/c.log", &lf);
    let (r, code, _) = report(&[d.path("logs").to_str().unwrap()], None);
    assert_eq!(code, 0);
    assert_eq!(totals(&r)[0], 28);
    let names: Vec<String> = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().replace('\\', "/"))
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names[0].ends_with("logs/a.log") && names[1].ends_with("logs/nested/b.log.gz"),
        "{names:?}"
    );
}

#[test]
fn filters_move_requests_to_filtered() {
    let d = Dir::new();
    let p = d.write("shapes.log", &fixture("shapes.log"));
    let p = p.to_str().unwrap();
    // A day: the 2026-11-24 requests (3); the one request without a time is filtered too.
    let (r, ..) = report(&["--since", "2026-11-24", "--until", "2026-11-24", p], None);
    assert_eq!(totals(&r), [14, 2, 2, 1, 6, 3, 1, 2]);
    assert_eq!(r["filters"]["since"], "2026-11-24");
    // A timestamp bound: from 12:00 UTC on the 25th.
    let (r, ..) = report(&["--since", "2026-11-25T15:00:00+03:00", p], None);
    assert_eq!(totals(&r)[5], 4);
    // A key, by value or by fingerprint.
    let (r, ..) = report(&["--key", KEY_A, p], None);
    assert_eq!(totals(&r), [14, 2, 2, 1, 6, 3, 1, 2]);
    let (r2, ..) = report(&["--key", &fp(KEY_A), p], None);
    assert_eq!(totals(&r2), totals(&r));
    assert!(
        !serde_json::to_string(&r).unwrap().contains(KEY_A),
        "the key filter leaks the key"
    );
    // Codes, repeated or comma-separated.
    let (r, ..) = report(&["--code", "RATE_001,GW_001", p], None);
    assert_eq!(totals(&r), [14, 2, 2, 1, 6, 3, 0, 3]);
    assert_eq!(
        rows(&r, "by_code", &["code", "count"]),
        vec![
            vec![json!("RATE_001"), json!(2)],
            vec![json!("BILL_002"), json!(1)],
            vec![json!("GW_001"), json!(1)]
        ]
    );
}

#[test]
fn bad_filter_values_are_clear_errors() {
    let out = run(&["report", "--since", "last tuesday", "-"], Some(b""));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--since") && err.contains("last tuesday"),
        "{err}"
    );
}

#[test]
fn keys_are_masked_unless_asked() {
    let d = Dir::new();
    let p = d.write("shapes.log", &fixture("shapes.log"));
    let p = p.to_str().unwrap();
    for format in ["table", "json"] {
        let out = run(&["report", "--format", format, p], None);
        let text = String::from_utf8_lossy(&out.stdout);
        for key in [KEY_A, KEY_C, KEY_E] {
            assert!(!text.contains(key), "{format} shows {key}");
            assert!(!text.contains(&key[8..]), "{format} shows most of {key}");
        }
        assert!(text.contains("wk_l…2222"), "{format}: {text}");
        assert!(text.contains(&fp(KEY_A)), "{format} lacks the fingerprint");
        let shown = run(&["report", "--show-keys", "--format", format, p], None);
        assert!(String::from_utf8_lossy(&shown.stdout).contains(KEY_A));
    }
}

#[test]
fn a_missing_file_is_reported_and_the_rest_still_counted() {
    let d = Dir::new();
    let p = d.write("shapes.log", &fixture("shapes.log"));
    let missing = d.path("nope.log");
    let (r, code, stderr) = report(&[missing.to_str().unwrap(), p.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope.log"), "{stderr}");
    assert_eq!(totals(&r)[0], 14);
    assert_eq!(r["input_errors"].as_array().unwrap().len(), 1);
}

#[test]
fn truncated_and_corrupt_streams_keep_what_was_read() {
    let d = Dir::new();
    // Varied lines, so that half of a compressed stream holds whole blocks.
    let log = d.path("gen.log");
    assert!(
        run(
            &["gen", "--lines", "20000", "-o", log.to_str().unwrap()],
            None
        )
        .status
        .success()
    );
    let many = std::fs::read(&log).unwrap();
    let gz = gzip(&[&many]);
    let cut = d.write("cut.log.gz", &gz[..gz.len() / 2]);
    let zs = zstd(&many);
    let zcut = d.write("cut.log.zst", &zs[..zs.len() / 2]);
    let mut bad = gzip(&[&many]);
    let mid = bad.len() / 2;
    bad[mid..mid + 64].fill(0xAA);
    let corrupt = d.write("corrupt.log.gz", &bad);
    for p in [cut, zcut, corrupt] {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let (r, code, stderr) = report(&[p.to_str().unwrap()], None);
        assert_eq!(code, 2, "{name}");
        assert!(
            stderr.contains(&name) && stderr.contains("stopped after"),
            "{name}: {stderr}"
        );
        let lines = totals(&r)[0];
        assert!(lines > 1000 && lines < 20_000, "{name}: {lines} lines");
        assert_eq!(r["inputs"][0]["lines"], lines);
    }
}

#[test]
fn report_is_the_same_for_any_chunk_size_and_thread_count() {
    let d = Dir::new();
    let log = d.path("gen.log");
    let out = run(
        &[
            "gen",
            "--lines",
            "3000",
            "--days",
            "3",
            "--keys",
            "30",
            "--seed",
            "5",
            "-o",
            log.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success());
    let log = log.to_str().unwrap();
    let (want, ..) = report(&["--threads", "1", log], None);
    totals(&want);
    for chunk in ["1", "7", "100", "4096", "1M"] {
        for threads in ["1", "3"] {
            let (got, ..) = report(&["--threads", threads, "--chunk-bytes", chunk, log], None);
            assert_eq!(got, want, "chunk {chunk}, threads {threads}");
        }
    }
}

#[test]
fn several_compressed_logs_give_the_report_of_their_lines_in_one_file() {
    // Several gzip and zstd files: at -j 3 more than one may be read at once (a parsing
    // thread the readers leave idle takes the next file), which must change no number and
    // no file's line count.
    let d = Dir::new();
    let (log, _) = util::gen_log(
        &d,
        &[
            "--lines", "24000", "--days", "3", "--keys", "500", "--seed", "9",
        ],
    );
    let all = std::fs::read(&log).unwrap();
    // Where each line ends: the parts are 4000 lines each.
    let ends: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(ends.len(), 24000);
    let mut paths = Vec::new();
    let mut from = 0;
    for n in 0..6 {
        let to = ends[4000 * n + 3999];
        let part = &all[from..to];
        let (name, bytes) = if n % 2 == 0 {
            (format!("part{n}.log.gz"), gzip(&[part]))
        } else {
            (format!("part{n}.log.zst"), zstd(part))
        };
        paths.push(d.write(&name, &bytes).to_str().unwrap().to_owned());
        from = to;
    }
    let (want, ..) = report(&["--threads", "1", log.to_str().unwrap()], None);
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    for threads in ["1", "3"] {
        // Small chunks give a parsing thread more chances to find the queue empty and read a
        // file itself (in a release build, 2 runs of 5 did; the driver's tests force it).
        let opts = ["--threads", threads, "--chunk-bytes", "8K"];
        let (got, code, stderr) = report(&[&opts[..], &args].concat(), None);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            tables(got.clone()),
            tables(want.clone()),
            "threads {threads}"
        );
        let lines: Vec<u64> = got["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["lines"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, [4000; 6], "threads {threads}");
        let encodings: Vec<&str> = got["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["encoding"].as_str().unwrap())
            .collect();
        assert_eq!(encodings, ["gzip", "zstd", "gzip", "zstd", "gzip", "zstd"]);
    }
}

#[test]
fn gen_output_matches_what_gen_says_it_wrote() {
    let d = Dir::new();
    let (log, s) = util::gen_log(
        &d,
        &[
            "--lines", "20000", "--days", "4", "--keys", "300", "--seed", "11",
        ],
    );
    let (r, code, _) = report(&[log.to_str().unwrap()], None);
    assert_eq!(code, 0);
    for k in [
        "lines",
        "blank",
        "malformed",
        "unrecognized",
        "requests",
        "successes",
        "errors",
    ] {
        assert_eq!(r["totals"][k], s[k], "{k}");
        assert!(s[k].as_u64().unwrap() > 0, "the generator wrote no {k}");
    }
    let mut by_code: Vec<(Value, Value)> = r["by_code"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].clone(), c["count"].clone()))
        .collect();
    by_code.sort_by_key(|(c, _)| c.to_string());
    let mut want: Vec<(Value, Value)> = s["by_code"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].clone(), c["count"].clone()))
        .collect();
    want.sort_by_key(|(c, _)| c.to_string());
    assert_eq!(by_code, want);
    for row in r["by_day"].as_array().unwrap() {
        let day = row["day"].as_str().unwrap();
        assert_eq!(row["requests"], s["by_day"][day]["requests"], "{day}");
        assert_eq!(row["errors"], s["by_day"][day]["errors"], "{day}");
    }
    assert_eq!(r["by_day"].as_array().unwrap().len(), 4);
    // The keys the generator throttles are the top rate-limited keys.
    let throttled = s["throttled_keys"].as_array().unwrap();
    assert_eq!(throttled.len(), 3);
    for t in throttled {
        let row = r["by_key"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["key_fingerprint"] == t["key_fingerprint"])
            .expect("throttled key in by_key");
        assert_eq!(row["rate_limited"], t["rate_limited"]);
    }
    let mut rated: Vec<u64> = r["by_key"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["rate_limited"].as_u64().unwrap())
        .collect();
    rated.sort_unstable_by(|a, b| b.cmp(a));
    let min_throttled = throttled
        .iter()
        .map(|t| t["rate_limited"].as_u64().unwrap())
        .min()
        .unwrap();
    assert!(
        rated[3] < min_throttled,
        "a key outside the throttled ones is rate limited as often"
    );
}

#[test]
fn rejects_name_file_and_line_and_mask_secrets() {
    let d = Dir::new();
    let p = d.write("shapes.log", &fixture("shapes.log"));
    let rej = d.path("rejects.jsonl");
    let (_, code, _) = report(
        &["--rejects", rej.to_str().unwrap(), p.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&rej).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line"], 12);
    assert_eq!(lines[1]["line"], 13);
    assert!(lines[0]["source"].as_str().unwrap().ends_with("shapes.log"));
    assert!(
        lines[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON")
    );
    assert_eq!(lines[1]["reason"], "no JSON object on the line");
    assert!(!text.contains("wk_live_AAAA1111"), "{text}");
}

#[test]
fn long_lines_binary_and_invalid_utf8_are_malformed() {
    let d = Dir::new();
    let mut data = Vec::new();
    data.extend_from_slice(b"{\"status\":200}\n");
    data.extend(std::iter::repeat_n(b'x', 5000));
    data.extend_from_slice(
        b"\n{\"status\":200,\"x\":\"\xff\xfe\"}\n\x00\x01\x02\xff\n{\"status\":500}",
    );
    let p = d.write("bad.log", &data);
    let rej = d.path("rejects.jsonl");
    let (r, code, _) = report(
        &[
            "--max-line-bytes",
            "1K",
            "--chunk-bytes",
            "64",
            "--rejects",
            rej.to_str().unwrap(),
            p.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(totals(&r), [5, 0, 3, 0, 0, 2, 1, 1]);
    let text = std::fs::read_to_string(&rej).unwrap();
    let reasons: Vec<(u64, String)> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            (
                v["line"].as_u64().unwrap(),
                v["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons[0],
        (
            2,
            "line of 5000 bytes is longer than --max-line-bytes".to_owned()
        )
    );
    assert_eq!(reasons[1], (3, "not valid UTF-8".to_owned()));
    assert_eq!(reasons[2], (4, "not valid UTF-8".to_owned()));
}

#[test]
fn a_closed_pipe_exits_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let d = Dir::new();
    let log = d.path("gen.log");
    assert!(
        run(
            &[
                "gen",
                "--lines",
                "30000",
                "--keys",
                "5000",
                "-o",
                log.to_str().unwrap()
            ],
            None
        )
        .status
        .success()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_errlens"))
        .args(["report", "--top", "0", log.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn table_output_reads_well() {
    let d = Dir::new();
    let p = d.write("shapes.log", &fixture("shapes.log"));
    let out = run(&["report", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "errlens report: 1 input, 14 lines",
        "adds up",
        "error rate 77.8%",
        "Errors by code",
        "rate limit exceeded",
        "Requests by day (UTC)",
        "2026-11-24",
        "Top endpoints by errors",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn field_overrides_reach_nested_paths() {
    let d = Dir::new();
    let log = concat!(
        r#"{"at":"2026-11-24T10:00:00Z","request":{"auth":{"key":"k-nested-0001"},"route":"/v1/x"},"http":{"code":429},"out":{"isSuccess":false,"errors":{"code":"RATE_001"}}}"#,
        "\n",
        r#"{"at":"2026-11-25T10:00:00Z","request":{"auth":{"key":"k-nested-0002"},"route":"/v1/y"},"http":{"code":"200"},"out":{"isSuccess":true}}"#,
        "\n"
    );
    let p = d.write("custom.log", log.as_bytes());
    let p = p.to_str().unwrap();
    // Without overrides nothing is recognized.
    let (r, ..) = report(&[p], None);
    assert_eq!(totals(&r), [2, 0, 0, 2, 0, 0, 0, 0]);
    let (r, code, _) = report(
        &[
            "--show-keys",
            "--field",
            "key=request.auth.key",
            "--field",
            "status=http.code",
            "--field",
            "time=at",
            "--field",
            "endpoint=request.route",
            "--field",
            "envelope=out",
            p,
        ],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(totals(&r), [2, 0, 0, 0, 0, 2, 1, 1]);
    assert_eq!(
        rows(&r, "by_key", &["key", "rate_limited"]),
        vec![
            vec![json!("k-nested-0001"), json!(1)],
            vec![json!("k-nested-0002"), json!(0)]
        ]
    );
    assert_eq!(
        rows(&r, "by_day", &["day"]),
        vec![vec![json!("2026-11-24")], vec![json!("2026-11-25")]]
    );
    assert_eq!(
        rows(&r, "by_status", &["status"]),
        vec![vec![json!(200)], vec![json!(429)]]
    );
    let out = run(&["report", "--field", "colour=x", p], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown name `colour`"));
}

#[test]
fn catalog_files_add_codes_and_errlens_catalog_lists_them() {
    let d = Dir::new();
    let p = d.write("shapes.log", &fixture("shapes.log"));
    let cat = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/catalog.toml");
    let (r, code, _) = report(
        &["--catalog", cat.to_str().unwrap(), p.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0);
    let gw = r["by_code"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "GW_001")
        .unwrap();
    assert_eq!(gw["catalogued"], true);
    assert_eq!(gw["expected_status"], 400);
    assert_eq!(gw["description"], "invalid recipient");
    let out = run(
        &[
            "catalog",
            "--catalog",
            cat.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "AUTH_001", "AUTH_002", "AUTH_003", "AUTH_004", "AUTH_005", "BILL_001", "BILL_002",
            "GW_001", "RATE_001", "WABA_001"
        ]
    );
    let bad = d.write(
        "bad.toml",
        b"[[code]]\ncode = \"X\"\nstatus = \"four hundred\"\n",
    );
    let out = run(
        &[
            "report",
            "--catalog",
            bad.to_str().unwrap(),
            p.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("line 3"), "{err}");
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let out = run(&["completions", "bash"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("_errlens()")
            && text.contains("offenders")
            && text.contains("--max-line-bytes")
    );
    let out = run(&["man"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(".TH errlens 1") && text.contains("report"));
}

#[test]
fn markdown_html_csv_and_parquet_carry_the_same_tables_and_escape_log_text() {
    let d = Dir::new();
    let mut log = fixture("shapes.log");
    log.extend_from_slice(
        br#"{"ts":"2026-11-25T17:00:00Z","status":400,"path":"/v1/a|b","response":{"isSuccess":false,"errors":{"code":"<script>alert(1)</script>","group":"=HYPERLINK(\"x\")","description":"a\u001b[2Jb"}}}"#,
    );
    let p = d.write("hostile.log", &log);
    let p = p.to_str().unwrap();
    let html = String::from_utf8(run(&["report", "--format", "html", p], None).stdout).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.contains("<table>"));
    assert!(!html.contains("<script>"), "log text became markup");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let md = String::from_utf8(run(&["report", "--format", "md", p], None).stdout).unwrap();
    assert!(md.contains("/v1/a\\|b"), "a pipe breaks the Markdown table");
    assert!(
        !md.contains('\u{1b}'),
        "an escape sequence reached the output"
    );
    // Shown as `a\u{1b}[2Jb` once Markdown has taken its own escapes off.
    assert!(
        md.contains("a\\\\u{1b}\\[2Jb"),
        "the escape sequence is not shown as text"
    );
    let dir = d.path("csv");
    let out = run(
        &["report", "--format", "csv", "-o", dir.to_str().unwrap(), p],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by_group = std::fs::read_to_string(dir.join("by_group.csv")).unwrap();
    assert!(by_group.starts_with("group,count\n"));
    assert!(
        by_group.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "formula not neutralized: {by_group}"
    );
    let totals = std::fs::read_to_string(dir.join("totals.csv")).unwrap();
    assert!(
        totals.contains("lines,15\n") && totals.contains("errors,8\n"),
        "{totals}"
    );
    let pq = d.path("pq");
    let out = run(
        &[
            "report",
            "--format",
            "parquet",
            "-o",
            pq.to_str().unwrap(),
            p,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(
        std::fs::File::open(pq.join("by_code.parquet")).unwrap(),
    )
    .finish()
    .unwrap();
    assert_eq!(df.height(), 7);
    let out = run(&["report", "--format", "csv", p], None);
    assert_eq!(out.status.code(), Some(2), "csv without --output DIR");
}

/// Runs `errlens report LOG` under a pseudo-terminal (script(1), util-linux) and returns what
/// the terminal showed.
fn on_a_terminal(log: &std::path::Path, no_color: Option<&str>) -> String {
    let cmd = format!(
        "{} report --quiet {}",
        env!("CARGO_BIN_EXE_errlens"),
        log.display()
    );
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
    if let Some(v) = no_color {
        c.env("NO_COLOR", v);
    }
    let out = c
        .output()
        .expect("script(1) from util-linux runs the binary under a pseudo-terminal");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let dir = Dir::new();
    let log = dir.write("shapes.log", &fixture("shapes.log"));
    let tty = on_a_terminal(&log, None);
    assert!(tty.contains("\x1b[1mErrors by code\x1b[0m"), "{tty}");
    // NO_COLOR set to anything but "" turns colour off; "" does not (no-color.org).
    let plain = on_a_terminal(&log, Some("1"));
    assert!(
        plain.contains("Errors by code") && !plain.contains('\x1b'),
        "{plain}"
    );
    assert!(on_a_terminal(&log, Some("")).contains('\x1b'));
    // Not a terminal: no colour.
    let out = run(&["report", "--quiet", log.to_str().unwrap()], None);
    assert!(!out.stdout.contains(&0x1b));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Errors by code"));
}

#[test]
fn output_files_get_the_usual_mode_or_keep_their_own() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    let log = dir.write("shapes.log", &fixture("shapes.log"));
    let out = dir.path("report.md");
    let write = || {
        let status = std::process::Command::new("sh")
            .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_errlens"))
            .args(["report", "--quiet", "--format", "md", "-o"])
            .arg(&out)
            .arg(&log)
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(write(), 0o644, "a new report is not private to its writer");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(write(), 0o600, "a replaced report keeps its mode");
}

/// RATE_001 events spilled to a temporary file give the same offenders as events held in
/// memory; when no temporary file can be made, a warning says so and nothing is lost.
#[test]
fn spilled_events_give_the_same_offenders() {
    let d = Dir::new();
    let log = d.path("gen.log");
    let log = log.to_str().unwrap();
    assert!(
        run(&["gen", "--lines", "20000", "-o", log], None)
            .status
            .success()
    );
    let offenders = |extra: &[&str], tmpdir: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_errlens"));
        cmd.args(["offenders", "--format", "json", "--top", "0", log])
            .args(extra);
        if let Some(t) = tmpdir {
            cmd.env("TMPDIR", t);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{extra:?}");
        let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            v.as_object_mut().unwrap().remove("offenders").unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (held, _) = offenders(&["--spill-after", "1G"], None);
    let rows = held.as_array().unwrap();
    assert!(rows.len() >= 3, "{held}");
    assert!(rows[0]["rate_limited"].as_u64().unwrap() > 100, "{held}");
    let tmp = d.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let small = ["--spill-after", "1K", "-j", "3", "--chunk-bytes", "16K"];
    let (spilled, stderr) = offenders(&small, tmp.to_str());
    assert_eq!(held, spilled);
    assert!(stderr.is_empty(), "{stderr}");
    // The file is unlinked as soon as it is made: nothing is left behind.
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    let (kept, stderr) = offenders(&small, Some("/nonexistent/errlens-tmp"));
    assert_eq!(held, kept);
    assert!(
        stderr.contains("could not move RATE_001 events to a temporary file"),
        "{stderr}"
    );
}
