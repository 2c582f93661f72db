//! Hostile input against the real binary: every case ends without a panic, with the rest of
//! the input reported, the reconciliation adding up and the documented exit status.

mod util;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use util::{Dir, gzip, report, tables, totals};

/// Runs `errlens report --format json --quiet ARGS`, feeding stdin from `feed` (on a thread),
/// and returns the report, the exit status and the peak RSS in MiB (VmHWM, sampled from /proc
/// while the process runs).
type Feed = Box<dyn FnOnce(&mut dyn Write) + Send>;

fn report_measured(args: &[&str], feed: Option<Feed>) -> (Value, i32, u64) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_errlens"));
    cmd.args(["report", "--format", "json", "--quiet"])
        .args(args)
        .stdin(if feed.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let writer = feed.map(|f| {
        let mut w = child.stdin.take().unwrap();
        std::thread::spawn(move || f(&mut w))
    });
    let status_path = format!("/proc/{}/status", child.id());
    let out_reader = {
        let mut out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut out, &mut v).unwrap();
            v
        })
    };
    let mut peak_kib = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(l) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = l.split_whitespace().nth(1).unwrap().parse().unwrap();
            peak_kib = peak_kib.max(kib);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Some(w) = writer {
        w.join().unwrap();
    }
    let status = child.wait().unwrap();
    let stdout = out_reader.join().unwrap();
    let json = serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&stdout)));
    (json, status.code().unwrap_or(-1), peak_kib / 1024)
}

/// Memory the debug binary may use on these inputs (an idle run takes about 20 MiB).
const FLAT_MIB: u64 = 160;

#[test]
fn a_gigabyte_line_without_newline_streams_in_flat_memory() {
    let feed = |w: &mut dyn Write| {
        w.write_all(b"{\"status\":200}\n").unwrap();
        let piece = vec![b'x'; 1 << 20];
        for _ in 0..1024 {
            if w.write_all(&piece).is_err() {
                return;
            }
        }
    };
    let (r, code, peak) = report_measured(&["-"], Some(Box::new(feed)));
    assert_eq!(code, 0);
    assert_eq!(totals(&r), [2, 0, 1, 0, 0, 1, 1, 0]);
    assert_eq!(r["inputs"][0]["bytes"], 15 + (1u64 << 30));
    eprintln!("peak RSS {peak} MiB for a 1 GiB line");
    assert!(
        peak > 0 && peak < FLAT_MIB,
        "peak RSS {peak} MiB for a 1 GiB line"
    );
}

#[test]
fn a_gzip_bomb_streams_in_flat_memory() {
    // 256 MiB of zeros compress to about 250 KB; four members are 1 GiB of one endless line.
    let member = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..256 {
            e.write_all(&zeros).unwrap();
        }
        e.finish().unwrap()
    };
    assert!(member.len() < 300_000, "{}", member.len());
    let d = Dir::new();
    let mut bomb =
        b"{\"status\":429,\"response\":{\"isSuccess\":false,\"errors\":{\"code\":\"RATE_001\"}}}\n"
            .to_vec();
    bomb = gzip(&[&bomb]);
    for _ in 0..4 {
        bomb.extend_from_slice(&member);
    }
    let p = d.write("bomb.log.gz", &bomb);
    let (r, code, peak) = report_measured(&[p.to_str().unwrap()], None);
    assert_eq!(code, 0);
    assert_eq!(totals(&r), [2, 0, 1, 0, 0, 1, 0, 1]);
    assert_eq!(r["inputs"][0]["bytes"].as_u64().unwrap(), 75 + (1u64 << 30));
    eprintln!("peak RSS {peak} MiB for a gzip bomb");
    assert!(
        peak > 0 && peak < FLAT_MIB,
        "peak RSS {peak} MiB for a gzip bomb"
    );
}

#[test]
fn deep_nesting_nul_bytes_bom_and_invalid_utf8() {
    let d = Dir::new();
    let mut data = Vec::new();
    // 1: a UTF-8 byte-order mark before the first record (a request).
    data.extend_from_slice(b"\xEF\xBB\xBF{\"status\":401,\"response\":{\"isSuccess\":false,\"errors\":{\"code\":\"AUTH_001\"}}}\n");
    // 2: 100,000 nested arrays inside a record (malformed: too deep).
    data.extend_from_slice(b"{\"status\":200,\"a\":");
    data.extend(std::iter::repeat_n(b'[', 100_000));
    data.push(b'\n');
    // 3: 100,000 `{` (malformed).
    data.extend(std::iter::repeat_n(b'{', 100_000));
    data.push(b'\n');
    // 4: a NUL inside a string (JSON forbids raw control characters: malformed).
    data.extend_from_slice(b"{\"status\":200,\"x\":\"a\x00b\"}\n");
    // 5: NULs before the record (a prefix, as text before `{` is: a request).
    data.extend_from_slice(b"\x00\x00{\"status\":200}\n");
    // 6: a NUL after the record (trailing bytes: malformed).
    data.extend_from_slice(b"{\"status\":200}\x00\n");
    // 7, 8: invalid UTF-8 inside a string and outside the JSON (malformed).
    data.extend_from_slice(b"{\"status\":200,\"x\":\"\xC3\x28\"}\n");
    data.extend_from_slice(b"\xFF{\"status\":200}\n");
    // 9: a request after all that.
    data.extend_from_slice(b"{\"status\":200}\n");
    let p = d.write("hostile.log", &data);
    let (r, code, stderr) = report(&[p.to_str().unwrap()], None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(totals(&r), [9, 0, 6, 0, 0, 3, 2, 1]);
    let codes: Vec<&str> = r["by_code"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(codes, ["AUTH_001"]);
}

#[test]
fn cr_only_line_ends_are_line_ends() {
    let d = Dir::new();
    let lines = [
        r#"{"status":200}"#,
        r#"{"status":429,"response":{"isSuccess":false,"errors":{"code":"RATE_001"}}}"#,
        r#"{"status":200}"#,
    ];
    let text = lines.join("\r") + "\r";
    let plain = d.write("mac.log", text.as_bytes());
    let gz = d.write("mac.log.gz", &gzip(&[text.as_bytes()]));
    for p in [plain, gz] {
        let (r, code, _) = report(&[p.to_str().unwrap()], None);
        assert_eq!(code, 0);
        assert_eq!(totals(&r), [3, 0, 0, 0, 0, 3, 2, 1], "{}", p.display());
    }
}

#[test]
fn one_gzip_member_or_thousands_give_the_same_report() {
    let d = Dir::new();
    let (log, _) = util::gen_log(&d, &["--lines", "5000", "--days", "2", "--seed", "3"]);
    let text = std::fs::read(&log).unwrap();
    let one = d.write("one.log.gz", &gzip(&[&text]));
    let pieces: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
    assert_eq!(pieces.len(), 5000);
    let many = d.write("many.log.gz", &gzip(&pieces));
    let (a, ca, _) = report(&[log.to_str().unwrap()], None);
    let (b, cb, _) = report(&[one.to_str().unwrap()], None);
    let (c, cc, _) = report(&[many.to_str().unwrap()], None);
    assert_eq!((ca, cb, cc), (0, 0, 0));
    assert_eq!(tables(a.clone()), tables(b));
    assert_eq!(tables(a), tables(c));
}

#[test]
fn an_empty_file_is_an_empty_report() {
    let d = Dir::new();
    let p = d.write("empty.log", b"");
    let gz = d.write("empty.log.gz", &gzip(&[b""]));
    for p in [p, gz] {
        let (r, code, stderr) = report(&[p.to_str().unwrap()], None);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(totals(&r), [0; 8]);
    }
}

fn mkfifo(path: &std::path::Path) {
    assert!(
        Command::new("mkfifo").arg(path).status().unwrap().success(),
        "mkfifo"
    );
}

#[test]
fn a_fifo_named_is_read_and_a_fifo_met_in_a_walk_is_named() {
    let d = Dir::new();
    let fifo = d.path("pipe");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            f.write_all(b"{\"status\":200}\n{\"status\":500}\n")
                .unwrap();
        })
    };
    let (r, code, stderr) = report(&[fifo.to_str().unwrap()], None);
    writer.join().unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(totals(&r)[5], 2);

    // In a directory nobody writes to the FIFO: reading it would block forever.
    let dir = d.path("logs");
    std::fs::create_dir(&dir).unwrap();
    d.write("logs/a.log", b"{\"status\":200}\n");
    mkfifo(&dir.join("b.fifo"));
    let (r, code, stderr) = report(&[dir.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("b.fifo") && stderr.contains("not a regular file"),
        "{stderr}"
    );
    assert_eq!(totals(&r)[5], 1);
}

#[test]
fn a_symlink_loop_and_an_unreadable_file_are_named_and_the_rest_read() {
    let d = Dir::new();
    let dir = d.path("logs");
    std::fs::create_dir(&dir).unwrap();
    d.write("logs/a.log", b"{\"status\":200}\n");
    std::os::unix::fs::symlink(dir.join("loop2"), dir.join("loop1")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop1"), dir.join("loop2")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("up")).unwrap(); // a directory link: not followed
    std::os::unix::fs::symlink(dir.join("gone"), dir.join("dangling")).unwrap();
    // A file whose read fails, even for root: /proc/self/mem at offset 0 (EIO).
    std::os::unix::fs::symlink("/proc/self/mem", dir.join("y-unreadable.log")).unwrap();
    let secret = d.write("logs/z-secret.log", b"{\"status\":200}\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    // root reads a file whatever its mode; the case only exists for other users.
    let unreadable = std::fs::File::open(&secret).is_err();
    let (r, code, stderr) = report(&[dir.to_str().unwrap()], None);
    assert_eq!(code, 2);
    for name in ["loop1", "loop2", "dangling"] {
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
    assert!(stderr.contains("symbolic links"), "{stderr}");
    assert!(
        stderr.contains("y-unreadable.log: stopped after 0 bytes"),
        "{stderr}"
    );
    if unreadable {
        assert!(stderr.contains("z-secret.log"), "{stderr}");
        assert_eq!(totals(&r)[5], 1);
    } else {
        assert_eq!(totals(&r)[5], 2);
    }
}

#[test]
fn a_file_that_grows_while_read_is_counted_consistently() {
    let d = Dir::new();
    let p = d.path("growing.log");
    let line = b"{\"status\":200}\n";
    std::fs::write(&p, line.repeat(10_000)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (p, stop) = (p.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
            // Pieces that cut lines in two, so a read can end inside a line.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(&line[..7]).unwrap();
                f.write_all(&line[7..]).unwrap();
            }
        })
    };
    let (r, code, stderr) = report(&[p.to_str().unwrap(), "--chunk-bytes", "4K"], None);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(code, 0, "{stderr}");
    let t = totals(&r);
    assert!(t[5] >= 10_000, "{t:?}");
    assert!(
        t[2] <= 1,
        "at most the line cut by the end of the read: {t:?}"
    );
    assert_eq!(t[0], r["inputs"][0]["lines"].as_u64().unwrap());
}

#[test]
fn a_write_error_is_exit_2_and_leaves_no_report() {
    let d = Dir::new();
    let (log, _) = util::gen_log(&d, &["--lines", "2000"]);
    // A file-size limit of 8 KiB (SIGXFSZ ignored, so a write fails with EFBIG, as on a full
    // disk it fails with ENOSPC).
    let out = d.path("report.json");
    let o = Command::new("sh")
        .args(["-c", "trap '' XFSZ; ulimit -f 16; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_errlens"))
        .args(["report", "--quiet", "--format", "json", "-o"])
        .arg(&out)
        .arg(&log)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("report.json"), "{stderr}");
    assert!(!out.exists(), "a truncated report was left");
    let left: Vec<_> = std::fs::read_dir(d.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".errlens-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    // stdout to a full device.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_errlens"))
        .args(["report", "--quiet", "--format", "json"])
        .arg(&log)
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left"), "{stderr}");
}

/// One error per line, each with its own API key; codes and endpoints cycle through `distinct`.
fn cardinality_feed(lines: usize, distinct: usize) -> Feed {
    Box::new(move |w: &mut dyn Write| {
        let mut w = std::io::BufWriter::new(w);
        for i in 0..lines {
            let j = i % distinct;
            let r = writeln!(
                w,
                "{{\"status\":400,\"method\":\"POST\",\"path\":\"/v1/p{j}\",\"api_key\":\"key_{i:07}\",\
                 \"response\":{{\"isSuccess\":false,\"errors\":{{\"code\":\"C{j}\",\"group\":\"G\"}}}}}}"
            );
            if r.is_err() {
                return;
            }
        }
    })
}

#[test]
fn a_million_keys_and_100k_codes_and_endpoints_fold_into_other() {
    let (r, code, capped_peak) =
        report_measured(&["-"], Some(cardinality_feed(1_000_000, 100_000)));
    assert_eq!(code, 0);
    assert_eq!(totals(&r), [1_000_000, 0, 0, 0, 0, 1_000_000, 0, 1_000_000]);
    let sum = |table: &str, col: &str| -> u64 {
        r[table]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row[col].as_u64().unwrap())
            .sum()
    };
    let other = |table: &str, col: &str, name: &str| -> u64 {
        r[table]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row[col] == "(other)")
            .unwrap_or_else(|| panic!("no (other) row in {table}"))[name]
            .as_u64()
            .unwrap()
    };
    // Every dimension holds its cap plus one (other) row, and still adds up to the totals.
    assert_eq!(r["by_key"].as_array().unwrap().len(), 100_001);
    assert_eq!(sum("by_key", "requests"), 1_000_000);
    assert_eq!(other("by_key", "key", "requests"), 900_000);
    assert_eq!(r["by_code"].as_array().unwrap().len(), 1_001);
    assert_eq!(sum("by_code", "count"), 1_000_000);
    // Each code comes 10 times; with several workers a kept code's items met by a worker
    // that had already folded it are in (other), so the named rows hold at most 10,000.
    assert!(other("by_code", "code", "count") >= 990_000);
    assert_eq!(r["by_endpoint"].as_array().unwrap().len(), 10_001);
    assert_eq!(sum("by_endpoint", "requests"), 1_000_000);
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("more than 100000 distinct API keys: 900000 requests"),
        "{notes}"
    );
    // The same input with the caps raised past it: memory follows the distinct values.
    let (r2, _, uncapped_peak) = report_measured(
        &[
            "-",
            "--max-keys",
            "2000000",
            "--max-codes",
            "200000",
            "--max-endpoints",
            "200000",
            "--top",
            "1",
        ],
        Some(cardinality_feed(1_000_000, 100_000)),
    );
    assert_eq!(r2["by_key"][0]["requests"], 1);
    eprintln!("peak RSS: {capped_peak} MiB capped, {uncapped_peak} MiB uncapped");
    assert!(
        capped_peak * 2 < uncapped_peak,
        "caps did not bound memory: {capped_peak} MiB capped, {uncapped_peak} MiB uncapped"
    );
}

#[test]
fn folded_keys_take_their_rate_limits_with_them() {
    // Ten keys, each rate limited 3 times; room for 2 keys, 2 workers, small chunks.
    let mut log = String::new();
    for round in 0..3 {
        for k in 0..10 {
            log.push_str(&format!(
                "{{\"ts\":\"2026-11-24T10:{k:02}:0{round}Z\",\"status\":429,\"api_key\":\"key_{k:02}_padding_padding\",\
                 \"response\":{{\"isSuccess\":false,\"errors\":{{\"code\":\"RATE_001\",\"params\":{{\"retry_after\":\"1 seconds\"}}}}}}}}\n"
            ));
        }
    }
    let d = Dir::new();
    let p = d.write("ten.log", log.as_bytes());
    let (r, code, stderr) = report(
        &[
            "--max-keys",
            "2",
            "-j",
            "2",
            "--chunk-bytes",
            "512",
            p.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    let keys = r["by_key"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "two keys and (other)");
    let total: u64 = keys
        .iter()
        .map(|k| k["rate_limited"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 30);
    // Offenders are real keys of the key table, never the (other) mix of many keys.
    let offenders = r["offenders"].as_array().unwrap();
    assert!(
        !offenders.is_empty() && offenders.len() <= 2,
        "{offenders:?}"
    );
    for o in offenders {
        assert_ne!(o["key"], "(other)");
        let row = keys
            .iter()
            .find(|k| k["key_fingerprint"] == o["key_fingerprint"])
            .expect("an offender missing from the key table");
        assert_eq!(row["rate_limited"], o["rate_limited"]);
        assert_eq!(row["requests"], o["requests"]);
    }
}
