//! Text from a message or a server, made safe for a terminal: control
//! characters (ESC above all) and bidirectional overrides are shown escaped,
//! so nothing the provider or a sender wrote can drive the terminal.

/// Whether output goes to journald (`coffer watch --service`): every line
/// then starts with its syslog level, `<6>` info, `<4>` warning, `<3>` error,
/// which systemd reads from a service's stdout and stderr.
static JOURNAL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes every line from now on for journald.
pub fn set_journal() {
    JOURNAL.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The level prefix of a line (`<N>`), or nothing outside journald mode.
pub fn level(n: u8) -> String {
    match JOURNAL.load(std::sync::atomic::Ordering::Relaxed) {
        true => format!("<{n}>"),
        false => String::new(),
    }
}

/// `s` with every control character except line feed and tab, and every
/// bidi control, shown as `\u{…}`.
pub fn safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\n' || c == '\t' || !(c.is_control() || is_bidi_control(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// `s` on one line: like [`safe`], with line feeds and tabs escaped too.
pub fn safe_line(s: &str) -> String {
    safe(s).replace('\n', "\\n").replace('\t', "\\t")
}

/// `value` as pretty JSON for a terminal: serde already escapes control
/// characters; bidi controls are escaped too (`\u202e`, still valid JSON and
/// the same string), so no field can reorder what the terminal shows.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let text = serde_json::to_string_pretty(value).context("writing JSON")?;
    Ok(escape_bidi_json(&text))
}

/// [`json`] on one line (for logs of one object per line).
pub fn json_line<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let text = serde_json::to_string(value).context("writing JSON")?;
    Ok(escape_bidi_json(&text))
}

fn escape_bidi_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_bidi_control(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_could_drive_a_terminal() {
        assert_eq!(safe("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(safe("line\nnext\ttab\r"), "line\nnext\ttab\\u{d}");
        assert_eq!(safe("evil\u{202E}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(safe_line("a\nb"), "a\\nb");
        assert_eq!(safe("café 会議"), "café 会議");
        let j = json(&["a\u{202e}b\u{1b}"]).unwrap();
        assert!(j.contains("a\\u202eb\\u001b"), "{j}");
        let back: Vec<String> = serde_json::from_str(&j).unwrap();
        assert_eq!(back, ["a\u{202e}b\u{1b}"]);
    }
}
