//! Builds the [`Query`] tree from tokens: `OR` binds loosest, then `AND`
//! (written or implied), then `NOT` and `-`.

use super::ast::{DateBound, Query, SizeBound, Status, Term, TextField, TextKind, TextTerm};
use super::error::{Found, QueryError};
use super::lexer::{Field, Token, TokenKind, Value};
use super::value;

/// Parentheses and negations nest at most this deep; the parser recurses
/// once per level, and no real query needs more.
pub(super) const MAX_DEPTH: usize = 64;

/// The query `tokens` make; `len` is the query's length in characters (where
/// "end of query" is), `now` the instant relative dates count back from.
pub(super) fn parse(tokens: &[Token], len: usize, now: i64) -> Result<Query, QueryError> {
    let mut parser = Parser {
        tokens,
        next: 0,
        len,
        now,
        depth: 0,
    };
    let query = parser.or("a search term")?;
    match parser.peek() {
        None => Ok(query),
        Some(token) => Err(QueryError::new(
            token.pos,
            "a term or the end of the query",
            Found::Words("\")\" with no \"(\" before it"),
        )),
    }
}

struct Parser<'t> {
    tokens: &'t [Token],
    next: usize,
    len: usize,
    now: i64,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn bump(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.next);
        self.next += 1;
        token
    }

    /// `and ("OR" and)*`
    fn or(&mut self, expected: &str) -> Result<Query, QueryError> {
        let mut items = vec![self.and(expected)?];
        while self.peek().is_some_and(|t| t.kind == TokenKind::Or) {
            self.bump();
            items.push(self.and("a term after \"OR\"")?);
        }
        Ok(combine(items, Combine::Or))
    }

    /// `unary (["AND"] unary)*`
    fn and(&mut self, expected: &str) -> Result<Query, QueryError> {
        let mut items = vec![self.unary(expected)?];
        loop {
            match self.peek().map(|t| &t.kind) {
                Some(TokenKind::And) => {
                    self.bump();
                    items.push(self.unary("a term after \"AND\"")?);
                }
                Some(TokenKind::Or | TokenKind::Close) | None => break,
                Some(_) => items.push(self.unary("a term")?),
            }
        }
        Ok(combine(items, Combine::And))
    }

    /// `("NOT" | "-") unary | "(" or ")" | term`
    fn unary(&mut self, expected: &str) -> Result<Query, QueryError> {
        let Some(token) = self.bump().cloned() else {
            return Err(QueryError::new(self.len, expected, Found::End));
        };
        match &token.kind {
            TokenKind::Not => self.nested(token.pos, |p| {
                Ok(Query::Not(Box::new(p.unary("a term after \"NOT\"")?)))
            }),
            TokenKind::Minus => self.nested(token.pos, |p| {
                Ok(Query::Not(Box::new(p.unary("a term after \"-\"")?)))
            }),
            TokenKind::Open => self.nested(token.pos, |p| {
                let inner = p.or("a term after \"(\"")?;
                match p.bump() {
                    Some(Token {
                        kind: TokenKind::Close,
                        ..
                    }) => Ok(inner),
                    // `or` stops only at `)` or the end.
                    _ => Err(QueryError::new(
                        p.len,
                        format!("\")\" to close the \"(\" at position {}", token.pos),
                        Found::End,
                    )),
                }
            }),
            TokenKind::Close => Err(QueryError::new(token.pos, expected, Found::Text(")"))),
            TokenKind::And => Err(QueryError::new(token.pos, expected, Found::Text("AND"))),
            TokenKind::Or => Err(QueryError::new(token.pos, expected, Found::Text("OR"))),
            TokenKind::Word(word) => Ok(Query::Term(Term::Text(text_term(None, word, token.pos)?))),
            TokenKind::Phrase(text) => Ok(Query::Term(Term::Text(TextTerm {
                field: None,
                text: text.clone(),
                kind: TextKind::Phrase,
            }))),
            TokenKind::Field(field, value) => Ok(Query::Term(field_term(*field, value, self.now)?)),
        }
    }

    /// Runs `inner` one level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested(
        &mut self,
        pos: usize,
        inner: impl FnOnce(&mut Self) -> Result<Query, QueryError>,
    ) -> Result<Query, QueryError> {
        if self.depth == MAX_DEPTH {
            return Err(QueryError::new(
                pos,
                format!("at most {MAX_DEPTH} nested parentheses and negations"),
                Found::Words("more"),
            ));
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }
}

#[derive(Clone, Copy)]
enum Combine {
    And,
    Or,
}

/// One query from `items` (never empty): the item itself when alone, else
/// an `And`/`Or` with nested ones of the same kind flattened.
fn combine(items: Vec<Query>, how: Combine) -> Query {
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match (how, item) {
            (Combine::And, Query::And(inner)) | (Combine::Or, Query::Or(inner)) => {
                flat.extend(inner);
            }
            (_, item) => flat.push(item),
        }
    }
    if flat.len() == 1
        && let Some(only) = flat.pop()
    {
        return only;
    }
    match how {
        Combine::And => Query::And(flat),
        Combine::Or => Query::Or(flat),
    }
}

/// A bare word: `warr*` is a prefix, anything else a word.
fn text_term(field: Option<TextField>, word: &str, pos: usize) -> Result<TextTerm, QueryError> {
    let stem = word.trim_end_matches('*');
    if stem.is_empty() {
        return Err(QueryError::new(
            pos,
            "a word before \"*\"",
            Found::Text(word),
        ));
    }
    let kind = if stem.len() < word.len() {
        TextKind::Prefix
    } else {
        TextKind::Word
    };
    Ok(TextTerm {
        field,
        text: stem.to_owned(),
        kind,
    })
}

fn field_term(field: Field, value: &Value, now: i64) -> Result<Term, QueryError> {
    let text_field = |f: TextField| -> Result<Term, QueryError> {
        if value.quoted {
            return Ok(Term::Text(TextTerm {
                field: Some(f),
                text: value.text.clone(),
                kind: TextKind::Phrase,
            }));
        }
        text_term(Some(f), &value.text, value.pos).map(Term::Text)
    };
    let refuse = |expected: &str| {
        QueryError::new(
            value.pos,
            format!("{expected} after {}", field.label()),
            Found::Text(&value.text),
        )
    };
    let text = value.text.as_str();
    match field {
        Field::From => text_field(TextField::From),
        Field::To => text_field(TextField::To),
        Field::Cc => text_field(TextField::Cc),
        Field::Subject => text_field(TextField::Subject),
        Field::Filename => text_field(TextField::Filename),
        Field::In => Ok(Term::Folder(value.text.clone())),
        Field::Has if text.eq_ignore_ascii_case("attachment") => Ok(Term::HasAttachment),
        Field::Has => Err(refuse("\"attachment\"")),
        Field::Is => status(text)
            .map(Term::Is)
            .ok_or_else(|| refuse("one of \"unread\", \"read\", \"flagged\", \"answered\"")),
        Field::Before | Field::After => {
            let at = value::date(text).ok_or_else(|| refuse("a date YYYY-MM-DD"))?;
            Ok(Term::Date(if field == Field::Before {
                DateBound::Before(at)
            } else {
                DateBound::Since(at)
            }))
        }
        Field::NewerThan | Field::OlderThan => {
            let at = value::duration(text)
                .and_then(|d| d.before(now))
                .ok_or_else(|| refuse("a duration such as 7d, 3m or 1y"))?;
            Ok(Term::Date(if field == Field::OlderThan {
                DateBound::Before(at)
            } else {
                DateBound::Since(at)
            }))
        }
        Field::Larger | Field::Smaller => {
            let bytes = value::size(text).ok_or_else(|| refuse("a size such as 500K or 5M"))?;
            Ok(Term::Size(if field == Field::Larger {
                SizeBound::Larger(bytes)
            } else {
                SizeBound::Smaller(bytes)
            }))
        }
    }
}

fn status(text: &str) -> Option<Status> {
    [
        ("unread", Status::Unread),
        ("read", Status::Read),
        ("flagged", Status::Flagged),
        ("answered", Status::Answered),
    ]
    .into_iter()
    .find(|(name, _)| name.eq_ignore_ascii_case(text))
    .map(|(_, s)| s)
}
