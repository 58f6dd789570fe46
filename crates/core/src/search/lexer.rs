//! Splits a query into tokens: parentheses, operators, words, phrases and
//! `field:value` pairs, each with its character position.

use super::error::{Found, QueryError};

/// One token and the character offset where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) pos: usize,
    pub(super) kind: TokenKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenKind {
    Open,
    Close,
    /// `-` directly before a term: negation.
    Minus,
    And,
    Or,
    Not,
    /// A bare word as typed, possibly ending in `*`.
    Word(String),
    /// The text between double quotes, trimmed; never empty.
    Phrase(String),
    /// `name:value` with a known name.
    Field(Field, Value),
}

/// The value of a `field:value` token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Value {
    /// The value as typed; for a quoted value, the text between the quotes.
    pub(super) text: String,
    pub(super) quoted: bool,
    /// Character offset of the value (of its opening quote, if quoted).
    pub(super) pos: usize,
}

/// The field names the query language knows. Any other `name:` is part of
/// an ordinary word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    From,
    To,
    Cc,
    Subject,
    Filename,
    In,
    Has,
    Is,
    Before,
    After,
    NewerThan,
    OlderThan,
    Larger,
    Smaller,
}

const FIELDS: [(&str, Field); 14] = [
    ("from", Field::From),
    ("to", Field::To),
    ("cc", Field::Cc),
    ("subject", Field::Subject),
    ("filename", Field::Filename),
    ("in", Field::In),
    ("has", Field::Has),
    ("is", Field::Is),
    ("before", Field::Before),
    ("after", Field::After),
    ("newer_than", Field::NewerThan),
    ("older_than", Field::OlderThan),
    ("larger", Field::Larger),
    ("smaller", Field::Smaller),
];

impl Field {
    /// The field named `name`, in any letter case.
    fn named(name: &str) -> Option<Self> {
        FIELDS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, f)| f)
    }

    /// The name as written in queries, with its colon: `"before:"`.
    pub(super) fn label(self) -> String {
        let name = FIELDS
            .iter()
            .find(|&&(_, f)| f == self)
            .map_or("", |&(n, _)| n);
        format!("\"{name}:\"")
    }
}

/// White space, and control characters, which no search could mean.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

/// Ends a bare word.
fn ends_word(c: char) -> bool {
    is_space(c) || matches!(c, '(' | ')' | '"')
}

/// The tokens of `query`.
pub(super) fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        let (kind, next) = match c {
            c if is_space(c) => {
                at += 1;
                continue;
            }
            '(' => (TokenKind::Open, at + 1),
            ')' => (TokenKind::Close, at + 1),
            '"' => {
                let (text, next) = phrase(&chars, at)?;
                (TokenKind::Phrase(text), next)
            }
            '-' => {
                let next = chars.get(at + 1).copied();
                if next.is_none_or(|n| is_space(n) || n == ')') {
                    return Err(QueryError::new(
                        at + 1,
                        "a term after \"-\"",
                        describe(next),
                    ));
                }
                (TokenKind::Minus, at + 1)
            }
            _ => word(&chars, at)?,
        };
        tokens.push(Token { pos: at, kind });
        at = next;
    }
    Ok(tokens)
}

/// The phrase whose opening quote is at `open`, and the offset after its
/// closing quote.
fn phrase(chars: &[char], open: usize) -> Result<(String, usize), QueryError> {
    let start = open + 1;
    let len = chars
        .get(start..)
        .and_then(|rest| rest.iter().position(|&c| c == '"'))
        .ok_or_else(|| {
            QueryError::new(
                chars.len(),
                format!("a closing '\"' for the quote at position {open}"),
                Found::End,
            )
        })?;
    let text: String = chars
        .get(start..start + len)
        .unwrap_or_default()
        .iter()
        .map(|&c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    if text.is_empty() {
        let quoted: String = chars
            .get(open..start + len + 1)
            .unwrap_or_default()
            .iter()
            .collect();
        return Err(QueryError::new(
            open,
            "some text between the quotes",
            Found::Text(&quoted),
        ));
    }
    Ok((text.to_owned(), start + len + 1))
}

/// The word, keyword or `field:value` starting at `start`, and the offset
/// after it.
fn word(chars: &[char], start: usize) -> Result<(TokenKind, usize), QueryError> {
    let len = chars
        .get(start..)
        .unwrap_or_default()
        .iter()
        .position(|&c| ends_word(c))
        .unwrap_or(chars.len().saturating_sub(start));
    let end = start + len;
    let run: String = chars.get(start..end).unwrap_or_default().iter().collect();
    match run.as_str() {
        // Operators are upper case only: `and`, `or`, `not` are words.
        "AND" => return Ok((TokenKind::And, end)),
        "OR" => return Ok((TokenKind::Or, end)),
        "NOT" => return Ok((TokenKind::Not, end)),
        _ => {}
    }
    let Some((name, rest)) = run.split_once(':') else {
        return Ok((TokenKind::Word(run), end));
    };
    let Some(field) = Field::named(name) else {
        // An unknown `name:value` is an ordinary word, as in Gmail.
        return Ok((TokenKind::Word(run), end));
    };
    let value_pos = start + name.chars().count() + 1;
    if !rest.is_empty() {
        let value = Value {
            text: rest.to_owned(),
            quoted: false,
            pos: value_pos,
        };
        return Ok((TokenKind::Field(field, value), end));
    }
    match chars.get(end) {
        Some('"') => {
            let (text, next) = phrase(chars, end)?;
            let value = Value {
                text,
                quoted: true,
                pos: value_pos,
            };
            Ok((TokenKind::Field(field, value), next))
        }
        other => Err(QueryError::new(
            value_pos,
            format!("a value after {}", field.label()),
            describe(other.copied()),
        )),
    }
}

/// What an error found at a character (or at the end).
fn describe(c: Option<char>) -> Found<'static> {
    match c {
        None => Found::End,
        Some(c) if is_space(c) => Found::Words("a space"),
        Some('(') => Found::Text("("),
        Some(')') => Found::Text(")"),
        Some(_) => Found::Words("another character"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(query: &str) -> Vec<TokenKind> {
        tokenize(query)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    fn word(s: &str) -> TokenKind {
        TokenKind::Word(s.to_owned())
    }

    #[test]
    fn splits_words_operators_and_parentheses() {
        use TokenKind::*;
        assert_eq!(
            kinds("(a OR b)AND NOT -c and or not"),
            vec![
                Open,
                word("a"),
                Or,
                word("b"),
                Close,
                And,
                Not,
                Minus,
                word("c"),
                word("and"),
                word("or"),
                word("not"),
            ]
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let tokens = tokenize("会議 \"東京\" from:山田").unwrap();
        let positions: Vec<usize> = tokens.iter().map(|t| t.pos).collect();
        assert_eq!(positions, vec![0, 3, 8]);
        let TokenKind::Field(Field::From, value) = &tokens[2].kind else {
            panic!("{tokens:?}")
        };
        assert_eq!(value.pos, 13);
        assert_eq!(value.text, "山田");
    }

    #[test]
    fn minus_negates_only_at_the_start_of_a_term() {
        use TokenKind::*;
        assert_eq!(kinds("e-mail"), vec![word("e-mail")]);
        assert_eq!(kinds("-(a)"), vec![Minus, Open, word("a"), Close]);
        assert_eq!(kinds("-\"x y\""), vec![Minus, Phrase("x y".into())]);
        assert_eq!(kinds("--a"), vec![Minus, Minus, word("a")]);
        let e = tokenize("a - b").unwrap_err();
        assert_eq!((e.position, e.found.as_str()), (3, "a space"));
        let e = tokenize("a -").unwrap_err();
        assert_eq!((e.position, e.found.as_str()), (3, "end of query"));
    }

    #[test]
    fn phrases_and_quoted_field_values() {
        assert_eq!(
            kinds("in:\"Work/Q1 Plans\" x"),
            vec![
                TokenKind::Field(
                    Field::In,
                    Value {
                        text: "Work/Q1 Plans".into(),
                        quoted: true,
                        pos: 3
                    }
                ),
                word("x")
            ]
        );
        // Control characters inside quotes become spaces; outer space is trimmed.
        assert_eq!(
            kinds("\" a\u{0}b \""),
            vec![TokenKind::Phrase("a b".into())]
        );
        let e = tokenize("ab \"cd").unwrap_err();
        assert_eq!(e.position, 6);
        assert_eq!(e.expected, "a closing '\"' for the quote at position 3");
        let e = tokenize("\"  \"").unwrap_err();
        assert_eq!((e.position, e.found.as_str()), (0, r#""\"  \"""#));
    }

    #[test]
    fn field_names_ignore_case_and_unknown_names_are_words() {
        assert!(matches!(
            kinds("FROM:x")[0],
            TokenKind::Field(Field::From, _)
        ));
        assert_eq!(kinds("foo:bar"), vec![word("foo:bar")]);
        assert_eq!(kinds("http://x"), vec![word("http://x")]);
        let e = tokenize("from: x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "at position 5: expected a value after \"from:\", found a space"
        );
        let e = tokenize("(to:)").unwrap_err();
        assert_eq!(
            e.to_string(),
            "at position 4: expected a value after \"to:\", found \")\""
        );
    }

    #[test]
    fn control_characters_separate_words() {
        assert_eq!(kinds("a\u{0}b\tc"), vec![word("a"), word("b"), word("c")]);
    }
}
