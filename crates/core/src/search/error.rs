//! What is wrong with a query, and where.

/// A query that cannot be parsed: where, what was expected, what was there.
///
/// Reads like `at position 7: expected a date YYYY-MM-DD after "before:",
/// found "2024-13-01"`. Positions count characters (not bytes) from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at position {position}: expected {expected}, found {found}")]
pub struct QueryError {
    /// Character offset in the query where the problem is.
    pub position: usize,
    /// What would have been valid there, in words.
    pub expected: String,
    /// What was there instead: quoted text, or `end of query`.
    pub found: String,
}

/// How much of the offending text an error quotes.
const MAX_QUOTED_CHARS: usize = 40;

impl QueryError {
    pub(super) fn new(position: usize, expected: impl Into<String>, found: Found<'_>) -> Self {
        Self {
            position,
            expected: expected.into(),
            found: found.describe(),
        }
    }
}

/// What an error found, before it is put into words.
#[derive(Debug, Clone, Copy)]
pub(super) enum Found<'a> {
    /// Some text, quoted in the message (control characters escaped, long
    /// text shortened).
    Text(&'a str),
    /// The end of the query.
    End,
    /// A description, used as it is (`a space`).
    Words(&'a str),
}

impl Found<'_> {
    fn describe(self) -> String {
        match self {
            Found::Text(text) => {
                let mut shown: String = text.chars().take(MAX_QUOTED_CHARS).collect();
                if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
                    shown.push('…');
                }
                // Debug quoting escapes quotes and control characters, so the
                // message is one clean line whatever the user typed.
                format!("{shown:?}")
            }
            Found::End => "end of query".to_owned(),
            Found::Words(words) => words.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_like_a_sentence() {
        let e = QueryError::new(
            7,
            "a date YYYY-MM-DD after \"before:\"",
            Found::Text("2024-13-01"),
        );
        assert_eq!(
            e.to_string(),
            "at position 7: expected a date YYYY-MM-DD after \"before:\", found \"2024-13-01\""
        );
        let e = QueryError::new(3, "\")\"", Found::End);
        assert_eq!(
            e.to_string(),
            "at position 3: expected \")\", found end of query"
        );
    }

    #[test]
    fn found_text_is_escaped_and_shortened() {
        let e = QueryError::new(0, "x", Found::Text("a\u{0}b\"\n"));
        assert_eq!(e.found, r#""a\0b\"\n""#);
        let long = "é".repeat(100);
        let e = QueryError::new(0, "x", Found::Text(&long));
        assert_eq!(e.found.chars().count(), 40 + 3); // two quotes and an ellipsis
    }
}
