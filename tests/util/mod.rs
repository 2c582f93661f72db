//! Helpers for tests that run the real `errlens` binary on files in a temporary directory.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// A temporary directory that goes away with the test.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes `bytes` to `name` (parent folders created) and returns the path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// Property-test settings: `default_cases` cases with a fixed seed, so CI is deterministic;
/// `PROPTEST_CASES=N` sets the number, `ERRLENS_PROPTEST_RANDOM=1` explores new cases.
pub fn proptest_config(default_cases: u32, seed: u64) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    let mut c = proptest::test_runner::Config {
        cases,
        ..Default::default()
    };
    if std::env::var_os("ERRLENS_PROPTEST_RANDOM").is_none() {
        c.rng_seed = proptest::test_runner::RngSeed::Fixed(seed);
    }
    c
}

/// Every file below `dir`, at any depth.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A fixture from tests/fixtures.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// gzip, as one member per piece (several pieces make a multi-member stream).
pub fn gzip(pieces: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pieces {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(p).unwrap();
        out.extend(e.finish().unwrap());
    }
    out
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

/// Runs errlens with `args`, feeding `stdin` if given.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_in(None, args, stdin)
}

/// Runs errlens in directory `cwd` (relative paths in `args` stay short and stable).
pub fn run_in(cwd: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_errlens"));
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.args(args)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run errlens");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&input);
        });
    }
    child.wait_with_output().unwrap()
}

/// Runs `errlens report --format json ARGS` and parses its output.
pub fn report(args: &[&str], stdin: Option<&[u8]>) -> (Value, i32, String) {
    let mut full = vec!["report", "--format", "json", "--quiet"];
    full.extend_from_slice(args);
    let out = run(&full, stdin);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (json, out.status.code().unwrap_or(-1), stderr)
}

/// A report without what names its inputs, to compare runs over differently packed input.
pub fn tables(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("inputs");
    o.remove("input_errors");
    v
}

/// `rows` as (first column value, rest) pairs for compact assertions.
pub fn rows(v: &Value, table: &str, cols: &[&str]) -> Vec<Vec<Value>> {
    v[table]
        .as_array()
        .unwrap_or_else(|| panic!("no table {table}"))
        .iter()
        .map(|r| cols.iter().map(|c| r[*c].clone()).collect())
        .collect()
}

pub fn totals(v: &Value) -> [u64; 8] {
    let t = &v["totals"];
    let g = |k: &str| t[k].as_u64().unwrap_or_else(|| panic!("totals.{k}"));
    let arr = [
        g("lines"),
        g("blank"),
        g("malformed"),
        g("unrecognized"),
        g("filtered"),
        g("requests"),
        g("successes"),
        g("errors"),
    ];
    assert_eq!(
        arr[1] + arr[2] + arr[3] + arr[4] + arr[5],
        arr[0],
        "reconciliation: {t}"
    );
    assert_eq!(
        arr[6] + arr[7],
        arr[5],
        "requests = successes + errors: {t}"
    );
    arr
}

/// Runs `errlens gen ARGS` into `dir/gen.log` and returns that path and the summary gen wrote.
pub fn gen_log(dir: &Dir, args: &[&str]) -> (PathBuf, Value) {
    let log = dir.path("gen.log");
    let summary = dir.path("summary.json");
    let mut full = vec![
        "gen",
        "-o",
        log.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ];
    full.extend_from_slice(args);
    let out = run(&full, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    (log, s)
}
