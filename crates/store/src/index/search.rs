//! A parsed query ([`coffer_core::search::Query`]) compiled to one SQL
//! statement over the index: text terms become FTS5 `MATCH` sub-selects,
//! the rest plain conditions. User text reaches FTS5 only as quoted strings
//! (`fts5_string`) inside bound parameters, never as SQL or FTS5 syntax.

use coffer_core::search::{
    DateBound, Query, SizeBound, Status, Term, TextField, TextKind, TextTerm, fts5_string,
};
use rusqlite::types::Value;

use super::{Indexed, cjk, columns_of_m, read_row};
use crate::store::{Store, StoreError};

/// A search result: the message and a snippet of its text around a match
/// (the matched words between `[` and `]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The message.
    pub message: Indexed,
    /// Text around the first match, or the start of the body.
    pub snippet: String,
}

/// All the text columns a field-less term searches.
const ALL_TEXT: &str = "{subject from_addr to_addr cc_addr body filenames}";

/// A query compiled to a SQL condition over `messages m` and its parameters.
struct Compiled {
    sql: String,
    params: Vec<Value>,
    /// The FTS5 expressions of the text terms not under a NOT, for snippets.
    positive_text: Vec<String>,
}

impl Compiled {
    fn new() -> Self {
        Self {
            sql: String::new(),
            params: Vec::new(),
            positive_text: Vec::new(),
        }
    }

    fn param(&mut self, v: impl Into<Value>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }

    fn compile(&mut self, q: &Query, negated: bool) -> String {
        match q {
            Query::Term(t) => self.term(t, negated),
            Query::Not(inner) => format!("NOT ({})", self.compile(inner, !negated)),
            Query::And(children) => self.join(children, " AND ", negated),
            Query::Or(children) => self.join(children, " OR ", negated),
        }
    }

    fn join(&mut self, children: &[Query], op: &str, negated: bool) -> String {
        let parts: Vec<String> = children
            .iter()
            .map(|c| format!("({})", self.compile(c, negated)))
            .collect();
        parts.join(op)
    }

    fn term(&mut self, t: &Term, negated: bool) -> String {
        match t {
            Term::Text(text) => {
                let expr = fts5_expression(text);
                if !negated {
                    self.positive_text.push(expr.clone());
                }
                let p = self.param(expr);
                format!("m.id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH {p})")
            }
            Term::Folder(name) => {
                // IMAP's INBOX is case-insensitive; other names are exact.
                if name.eq_ignore_ascii_case("INBOX") {
                    "m.folder = 'INBOX'".to_owned()
                } else {
                    format!("m.folder = {}", self.param(name.clone()))
                }
            }
            Term::HasAttachment => "m.has_attachment = 1".to_owned(),
            Term::Is(status) => {
                let (flag, set) = match status {
                    Status::Unread => ("\\seen", false),
                    Status::Read => ("\\seen", true),
                    Status::Flagged => ("\\flagged", true),
                    Status::Answered => ("\\answered", true),
                };
                let has = format!(
                    "instr(' ' || lower(m.flags) || ' ', {}) > 0",
                    self.param(format!(" {flag} "))
                );
                if set { has } else { format!("NOT {has}") }
            }
            Term::Date(DateBound::Before(t)) => format!("m.date < {}", self.param(*t)),
            Term::Date(DateBound::Since(t)) => format!("m.date >= {}", self.param(*t)),
            Term::Size(SizeBound::Larger(n)) => {
                format!(
                    "m.size > {}",
                    self.param(i64::try_from(*n).unwrap_or(i64::MAX))
                )
            }
            Term::Size(SizeBound::Smaller(n)) => {
                format!(
                    "m.size < {}",
                    self.param(i64::try_from(*n).unwrap_or(i64::MAX))
                )
            }
        }
    }
}

/// The FTS5 expression of one text term: its columns, then the term as a
/// quoted string (a prefix query for `word*`). A term with CJK characters
/// also matches their bigrams in the `cjk` column.
fn fts5_expression(t: &TextTerm) -> String {
    let columns = match t.field {
        None => ALL_TEXT,
        Some(TextField::From) => "from_addr",
        Some(TextField::To) => "to_addr",
        Some(TextField::Cc) => "cc_addr",
        Some(TextField::Subject) => "subject",
        Some(TextField::Filename) => "filenames",
    };
    let plain = format!("{columns} : {}", t.fts5_operand());
    let grams = cjk::bigrams(&t.text);
    let cjk_ok = matches!(t.field, None | Some(TextField::Subject));
    if grams.is_empty() || !cjk_ok {
        return plain;
    }
    // A single CJK character is a prefix of the bigrams starting with it.
    let operand = match (grams.chars().count(), t.kind) {
        (1, _) | (_, TextKind::Prefix) => format!("{}*", fts5_string(&grams)),
        _ => fts5_string(&grams),
    };
    format!("({plain}) OR (cjk : {operand})")
}

impl Store {
    /// Genuine messages matching `query`, newest first, at most `limit`,
    /// each with a snippet.
    pub fn index_search(&self, query: &Query, limit: usize) -> Result<Vec<Hit>, StoreError> {
        let mut c = Compiled::new();
        let condition = c.compile(query, false);
        c.sql = format!(
            "SELECT {} FROM messages m WHERE m.trust = 'genuine' AND ({condition}) \
             ORDER BY m.date DESC, m.id DESC LIMIT {}",
            columns_of_m(),
            c.param(i64::try_from(limit).unwrap_or(i64::MAX))
        );
        let mut stmt = self.conn().prepare(&c.sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(c.params.iter()), read_row)?;
        let messages: Vec<Indexed> = rows.collect::<Result<_, _>>()?;
        let snippet_query = c.positive_text.join(" OR ");
        messages
            .into_iter()
            .map(|message| {
                let snippet = self.snippet(message.id, &snippet_query)?;
                Ok(Hit { message, snippet })
            })
            .collect()
    }

    /// Text around the first match of `fts` in row `id`'s body, or the
    /// start of its body when nothing (or no text term) matches there.
    fn snippet(&self, id: i64, fts: &str) -> Result<String, StoreError> {
        use rusqlite::OptionalExtension as _;
        if !fts.is_empty() {
            let found: Option<String> = self
                .conn()
                .query_row(
                    "SELECT snippet(message_fts, 4, '[', ']', '…', 12) FROM message_fts \
                     WHERE message_fts MATCH ?1 AND rowid = ?2",
                    rusqlite::params![fts, id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(s) = found.filter(|s| s.contains('[')) {
                return Ok(one_line(&s));
            }
        }
        let body: String = self
            .conn()
            .query_row(
                "SELECT substr(body, 1, 200) FROM messages WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default();
        Ok(one_line(&body))
    }
}

/// White space (line breaks included) folded to single spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
