//! No full API key or bearer token reaches any output of any command, in any format, unless
//! `--show-keys`: every byte written (stdout, stderr, files; Parquet decoded) is scanned for the
//! keys in the input.

mod util;

use std::path::Path;

use polars::prelude::{CsvWriter, ParquetReader, SerReader, SerWriter};
use util::{Dir, files_below, fixture, run};

/// Key-like tokens of the input (`wk_...`, 16 characters or more), the partial key of a
/// truncated line included.
fn keys_in(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = text
        .match_indices("wk_")
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|k| k.len() >= 16)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn text_of(path: &Path) -> String {
    if path.extension().is_some_and(|e| e == "parquet") {
        let mut df = ParquetReader::new(std::fs::File::open(path).unwrap())
            .finish()
            .unwrap();
        let mut buf = Vec::new();
        CsvWriter::new(&mut buf).finish(&mut df).unwrap();
        String::from_utf8(buf).unwrap()
    } else {
        String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
    }
}

#[test]
fn no_output_of_any_command_holds_a_key() {
    let d = Dir::new();
    let mut input = fixture("shapes.log");
    input.extend(fixture("daily.log"));
    input.extend(fixture("offenders-a.log"));
    let log = d.write("in.log", &input);
    let keys = keys_in(&String::from_utf8_lossy(&input));
    assert!(keys.len() >= 6, "{keys:?}");
    assert!(keys.contains(&"wk_live_AAAA1111".to_owned()), "{keys:?}");
    let log = log.to_str().unwrap();
    let out = |name: &str| d.path(name).to_str().unwrap().to_owned();
    // A filter naming a key: its label in every header must be masked too.
    let key = keys.iter().find(|k| k.len() > 20).unwrap().clone();
    let mut runs: Vec<Vec<String>> = vec![];
    for f in ["table", "json", "md", "html"] {
        runs.push(vec![
            "report".into(),
            "--format".into(),
            f.into(),
            log.into(),
        ]);
        runs.push(vec![
            "report".into(),
            "--format".into(),
            f.into(),
            "--key".into(),
            key.clone(),
            log.into(),
        ]);
        runs.push(vec![
            "offenders".into(),
            "--format".into(),
            f.into(),
            log.into(),
        ]);
    }
    for f in ["csv", "parquet"] {
        runs.push(vec![
            "report".into(),
            "--format".into(),
            f.into(),
            "-o".into(),
            out(&format!("report-{f}")),
            "--rejects".into(),
            out(&format!("rejects-{f}.jsonl")),
            log.into(),
        ]);
        runs.push(vec![
            "offenders".into(),
            "--format".into(),
            f.into(),
            "-o".into(),
            out(&format!("offenders.{f}")),
            log.into(),
        ]);
    }
    runs.push(vec![
        "daily".into(),
        "--format".into(),
        "md,html,json,csv,parquet".into(),
        "--out".into(),
        out("daily"),
        "--history".into(),
        out("history.parquet"),
        log.into(),
    ]);
    // Errors name inputs, never keys: a key given where a file is expected stays in the
    // message as the path the user typed, so use a filter that fails instead.
    runs.push(vec![
        "report".into(),
        "--since".into(),
        "not-a-time".into(),
        log.into(),
    ]);
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args, None);
        for (what, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            for k in &keys {
                assert!(!text.contains(k.as_str()), "{what} of {args:?} holds {k}");
            }
        }
    }
    let files = files_below(d.root());
    assert!(files.len() > 60, "{}", files.len());
    for f in files {
        if f.file_name().is_some_and(|n| n == "in.log") {
            continue;
        }
        let text = text_of(&f);
        for k in &keys {
            assert!(!text.contains(k.as_str()), "{} holds {k}", f.display());
        }
    }
    // --show-keys does show them: the scan would see a leak.
    let o = run(&["report", "--show-keys", "--format", "json", log], None);
    assert!(String::from_utf8_lossy(&o.stdout).contains(&key));
}

#[test]
fn the_progress_bar_shows_no_key() {
    // Under a pseudo-terminal (script(1)) stderr is a terminal, so the progress bar draws.
    let d = Dir::new();
    let (log, _) = util::gen_log(&d, &["--lines", "200000", "--keys", "50"]);
    let keys = keys_in(&std::fs::read_to_string(&log).unwrap());
    assert!(keys.len() >= 40, "{}", keys.len());
    let cmd = format!(
        "{} report -j 1 --chunk-bytes 4K {}",
        env!("CARGO_BIN_EXE_errlens"),
        log.display()
    );
    let o = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .expect("script(1)");
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(shown.contains("read ("), "no progress bar drawn: {shown}");
    for k in &keys {
        assert!(!shown.contains(k.as_str()), "the terminal showed {k}");
    }
}
