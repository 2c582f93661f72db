//! Faults during writes: a signal at any moment of `errlens daily --history` leaves every
//! output whole or absent, the history file whole (old or new), and no temporary file.

mod util;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::{DataFrame, ParquetReader, SerReader};
use util::{Dir, files_below};

fn frame(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap_or_else(|e| panic!("{}: not a whole Parquet file: {e}", path.display()))
}

fn daily(log: &Path, out: &Path, history: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_errlens"));
    c.args([
        "daily",
        "--quiet",
        "--format",
        "md,html,json,csv,parquet",
        "--out",
    ])
    .arg(out)
    .arg("--history")
    .arg(history)
    .arg(log)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    c
}

/// Every file is whole: JSON parses, Parquet loads, text ends as its format ends.
fn check_whole(path: &Path) {
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        !name.starts_with(".errlens-"),
        "temporary file left: {}",
        path.display()
    );
    let bytes = std::fs::read(path).unwrap();
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        Some("parquet") => drop(frame(path)),
        Some("html") => assert!(bytes.ends_with(b"</html>\n"), "{}", path.display()),
        Some("md") | Some("csv") => assert!(bytes.ends_with(b"\n"), "{}", path.display()),
        _ => panic!("unexpected file {}", path.display()),
    }
}

#[test]
fn signals_mid_write_leave_whole_files_and_a_whole_history() {
    let d = Dir::new();
    let (log1, _) = util::gen_log(&d, &["--lines", "30000", "--days", "3", "--keys", "5000"]);
    std::fs::rename(&log1, d.path("one.log")).unwrap();
    let (log2, _) = util::gen_log(
        &d,
        &[
            "--lines",
            "30000",
            "--days",
            "3",
            "--keys",
            "5000",
            "--seed",
            "2",
            "--start",
            "2026-11-03",
        ],
    );
    let log1 = d.path("one.log");
    let history = d.path("history.parquet");
    // State A: the history after the first log; state B: after both, from a run left alone.
    assert!(
        daily(&log1, &d.path("a"), &history)
            .status()
            .unwrap()
            .success()
    );
    let a_bytes = std::fs::read(&history).unwrap();
    let a = frame(&history);
    let started = Instant::now();
    assert!(
        daily(&log2, &d.path("b"), &history)
            .status()
            .unwrap()
            .success()
    );
    let full = started.elapsed();
    let b = frame(&history);
    assert!(!a.equals_missing(&b));

    let signals = ["INT", "TERM", "HUP", "KILL"];
    let mut killed_mid_run = 0;
    for i in 0..24 {
        std::fs::write(&history, &a_bytes).unwrap();
        let out = d.path(&format!("out{i}"));
        let mut child = daily(&log2, &out, &history).spawn().unwrap();
        if i % 2 == 0 {
            // Spread over the whole run, writes at the end included.
            std::thread::sleep(full.mul_f64(i as f64 / 23.0));
        } else {
            // The moment a temporary file exists: mid-write for sure.
            let start = Instant::now();
            while start.elapsed() < full * 2
                && !files_below(&out)
                    .iter()
                    .chain(
                        files_below(d.root())
                            .iter()
                            .filter(|p| p.parent() == Some(d.root())),
                    )
                    .any(|p| {
                        p.file_name()
                            .unwrap()
                            .to_string_lossy()
                            .starts_with(".errlens-")
                    })
            {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        let sig = signals[i % signals.len()];
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status();
        let status = child.wait_timeout(Duration::from_secs(60));
        // Finished (0), or dead of the signal after cleaning up (as a shell wants it).
        if status.code() != Some(0) {
            use std::os::unix::process::ExitStatusExt;
            killed_mid_run += 1;
            let number = match sig {
                "INT" => 2,
                "TERM" => 15,
                "HUP" => 1,
                _ => 9,
            };
            assert_eq!(
                status.signal(),
                Some(number),
                "SIG{sig} at step {i}: {status:?}"
            );
        }
        let h = frame(&history);
        assert!(
            h.equals_missing(&a) || h.equals_missing(&b),
            "history neither old nor new after SIG{sig} at step {i}"
        );
        for f in files_below(&out) {
            if sig == "KILL"
                && f.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(".errlens-")
            {
                continue; // nothing can clean up after SIGKILL; the name says what it is
            }
            check_whole(&f);
        }
        if sig != "KILL" {
            let strays: Vec<_> = std::fs::read_dir(d.root())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".errlens-"))
                .collect();
            assert!(strays.is_empty(), "SIG{sig} at step {i} left {strays:?}");
        }
    }
    assert!(
        killed_mid_run >= 8,
        "only {killed_mid_run} runs were cut short"
    );
}

trait WaitTimeout {
    fn wait_timeout(&mut self, limit: Duration) -> std::process::ExitStatus;
}

impl WaitTimeout for std::process::Child {
    fn wait_timeout(&mut self, limit: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < limit,
                "errlens did not end after a signal"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
