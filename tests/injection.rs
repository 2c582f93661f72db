//! Text from logs never becomes markup or control in any command's output: no raw ESC reaches a
//! terminal table, Markdown rows stay rows, CSV formula triggers are neutralized, HTML escaped.

mod util;

use util::{Dir, run};

const HOSTILE: &str = r#"{"ts":"2026-11-25T10:00:00Z","status":429,"method":"POST","path":"@SUM(A1)|x","api_key":"wk_live_ZZZZ9999YYYY8888","response":{"isSuccess":false,"errors":{"code":"-2+3","group":"+cmd|\u001b]8;;http://x\u0007","description":"line1\nline2 \u001b[31mred\u001b[0m | <b>bold</b>","params":{"limit_type":"=1+1\u001b[2J","retry_after":"1 seconds"}}}}"#;

/// Markdown tables: every line between a header row and the blank line after is a row.
fn md_rows_are_whole(md: &str, what: &str) {
    let mut in_table = false;
    for line in md.lines() {
        if line.starts_with('|') && line.ends_with('|') {
            in_table = true;
        } else if in_table && !line.is_empty() {
            panic!("{what}: a table row broke: {line:?}");
        } else if line.is_empty() {
            in_table = false;
        }
    }
}

fn csv_cells_are_inert(csv: &str, what: &str) {
    for line in csv.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            if cell.starts_with(['=', '+', '@'])
                || (cell.starts_with('-') && cell.parse::<f64>().is_err())
            {
                panic!("{what}: a cell a spreadsheet would run: {cell:?} in {line:?}");
            }
        }
    }
}

/// No raw control character; in HTML, no log text as markup.
fn check(text: &str, what: &str) {
    assert!(!text.contains('\u{1b}'), "{what}: a raw ESC");
    assert!(!text.contains('\u{7}'), "{what}: a raw BEL");
    if what.contains("html") {
        assert!(!text.contains("<b>"), "{what}: log text became markup");
        // The offenders table holds no description.
        if !what.contains("offenders") && !what.contains("index") {
            assert!(
                text.contains("&lt;b&gt;bold&lt;/b&gt;"),
                "{what}: the text is gone"
            );
        }
    }
}

#[test]
fn log_text_is_inert_in_every_format() {
    let d = Dir::new();
    let log = d.write("hostile.log", format!("{HOSTILE}\n{HOSTILE}\n").as_bytes());
    let log = log.to_str().unwrap();
    for cmd in ["report", "offenders"] {
        for f in ["table", "json", "md", "html"] {
            let o = run(&[cmd, "--format", f, log], None);
            assert_eq!(o.status.code(), Some(0), "{cmd} {f}");
            let text = String::from_utf8(o.stdout).unwrap();
            let what = format!("{cmd} --format {f}");
            check(&text, &what);
            if f == "md" {
                md_rows_are_whole(&text, &what);
            }
        }
        let dir = d.path(&format!("{cmd}-csv"));
        let target = if cmd == "report" {
            dir.clone()
        } else {
            dir.join("offenders.csv")
        };
        std::fs::create_dir_all(&dir).unwrap();
        let o = run(
            &[cmd, "--format", "csv", "-o", target.to_str().unwrap(), log],
            None,
        );
        assert_eq!(o.status.code(), Some(0));
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            check(&text, &p.display().to_string());
            csv_cells_are_inert(&text, &p.display().to_string());
        }
    }
    let out = d.path("daily");
    let o = run(
        &[
            "daily",
            "--format",
            "md,html,json,csv",
            "--out",
            out.to_str().unwrap(),
            log,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let mut stack = vec![out];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let what = p.display().to_string();
            check(&text, &what);
            match p.extension().and_then(|e| e.to_str()) {
                Some("md") => md_rows_are_whole(&text, &what),
                Some("csv") => csv_cells_are_inert(&text, &what),
                _ => {}
            }
        }
    }
}
