//! User text as FTS5 string literals, so it can never be read as FTS5 syntax.

use super::ast::{TextKind, TextTerm};

/// `s` as one FTS5 string: in double quotes, each `"` doubled, control
/// characters (NUL included) replaced by spaces.
///
/// Inside an FTS5 string nothing is syntax — not `*`, `^`, `:`, `NEAR(`,
/// `AND`, `OR`, `NOT` or a column name — so the tokenizer sees only text.
/// **The store must splice user text into a `MATCH` expression only through
/// this function** (or [`TextTerm::fts5_operand`]), and pass the whole
/// expression as a bound parameter, never inside the SQL text. Control
/// characters separate tokens anyway; replacing them keeps NUL out of
/// SQLite's strings.
pub fn fts5_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\"\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl TextTerm {
    /// The term as an FTS5 operand, without any column filter (the store
    /// maps [`TextTerm::field`] to its columns): `"warr"*` for a prefix,
    /// `"text"` otherwise. A word or phrase of several tokens matches them
    /// as a phrase.
    pub fn fts5_operand(&self) -> String {
        let quoted = fts5_string(&self.text);
        match self.kind {
            TextKind::Prefix => quoted + "*",
            TextKind::Word | TextKind::Phrase => quoted,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The FTS5 string `quoted` stands for, or `None` if it is not exactly
    /// one string literal (an unpaired `"` inside would end it early).
    fn unquote(quoted: &str) -> Option<String> {
        let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '"' && chars.next() != Some('"') {
                return None;
            }
            out.push(c);
        }
        Some(out)
    }

    #[test]
    fn hostile_text_stays_one_string() {
        for (input, expected) in [
            ("\"", r#""""""#),
            ("a\"b", r#""a""b""#),
            ("\" OR \"x", r#"""" OR ""x""#),
            ("*", r#""*""#),
            ("warr*", r#""warr*""#),
            ("NEAR(a b, 2)", r#""NEAR(a b, 2)""#),
            ("^start", r#""^start""#),
            (":", r#"":""#),
            ("subject:secret", r#""subject:secret""#),
            ("{from to}: x", r#""{from to}: x""#),
            ("a AND b OR NOT c", r#""a AND b OR NOT c""#),
            ("a\u{0}b", r#""a b""#),
            ("line\nbreak\r", r#""line break ""#),
            ("", r#""""#),
            ("会議 café", r#""会議 café""#),
        ] {
            let quoted = fts5_string(input);
            assert_eq!(quoted, expected, "{input:?}");
            assert!(unquote(&quoted).is_some(), "{quoted}");
        }
    }

    #[test]
    fn operands_mark_prefixes_outside_the_string() {
        let term = |text: &str, kind| TextTerm {
            field: None,
            text: text.to_owned(),
            kind,
        };
        assert_eq!(term("warr", TextKind::Prefix).fts5_operand(), r#""warr"*"#);
        assert_eq!(term("a\"b", TextKind::Word).fts5_operand(), r#""a""b""#);
        assert_eq!(term("x y", TextKind::Phrase).fts5_operand(), r#""x y""#);
    }

    proptest! {
        #[test]
        fn any_text_is_exactly_one_string_literal(s in any::<String>()) {
            let quoted = fts5_string(&s);
            let back = unquote(&quoted);
            prop_assert!(back.is_some(), "{quoted:?}");
            let expected: String =
                s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            prop_assert_eq!(back.unwrap(), expected);
            prop_assert!(!quoted.chars().any(char::is_control));
        }
    }
}
