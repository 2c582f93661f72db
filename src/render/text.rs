//! Text from logs made safe for the format it lands in: control characters shown escaped,
//! CSV formula triggers neutralized, Markdown table syntax escaped, HTML escaped.

use std::borrow::Cow;

/// Control characters (ESC sequences that could repaint a terminal, newlines that could break
/// a table row) written as `\u{1b}`-style escapes.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A CSV cell: quoted when needed, and a leading `=`, `+`, `-` or `@` (a formula to a
/// spreadsheet) neutralized with a leading apostrophe.
pub fn csv_cell(s: &str) -> String {
    let s = visible(s);
    let guarded = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.into_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// A Markdown table cell: pipes, backslashes and markup characters escaped, line breaks gone.
/// Underscores stay: inside words (`wk_live`, `rate_limited`) they are not emphasis.
pub fn md_cell(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '|' | '\\' | '`' | '*' | '<' | '>' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// HTML text content and attribute values.
pub fn html(s: &str) -> String {
    html_escape::encode_quoted_attribute(&visible(s)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        assert_eq!(visible("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("-5"), "-5");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(md_cell("a|b\nc"), "a\\|b\\\\nc");
        assert_eq!(html("<script>\"x\"&"), "&lt;script&gt;&quot;x&quot;&amp;");
    }
}
