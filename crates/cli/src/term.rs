//! Text from a message or a server, made safe for a terminal: control
//! characters (ESC above all) and bidirectional overrides are shown escaped,
//! so nothing the provider or a sender wrote can drive the terminal.

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
    }
}
