//! A parsed query ([`coffer_core::search::Query`]) compiled to one SQL
//! statement over the index: text terms become FTS5 `MATCH` sub-selects,
//! the rest plain conditions. User text reaches FTS5 only as quoted strings
//! (`fts5_string`) inside bound parameters, never as SQL or FTS5 syntax.

use coffer_core::search::{
    DateBound, Query, SizeBound, Status, Term, TextField, TextKind, TextTerm, fts5_string,
};
use rusqlite::types::Value;

use super::{Indexed, cjk};
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

/// Below this many text matches a search looks its rows up by rowid.
const FEW: i64 = 400;

impl Store {
    /// Genuine messages matching `query`, newest first, at most `limit`,
    /// each with a snippet.
    pub fn index_search(&self, query: &Query, limit: usize) -> Result<Vec<Hit>, StoreError> {
        let mut c = Compiled::new();
        let condition = c.compile(query, false);
        let snippet_query = c.positive_text.join(" OR ");
        // The winners' ids first, then the whole rows of those alone (a row
        // holds its body: a page to read and decrypt per row). Few text
        // matches are looked up by rowid and sorted; otherwise the covering
        // index, in date order, is walked until the limit is reached.
        let few = !snippet_query.is_empty() && self.fts_matches(&snippet_query, FEW)? < FEW;
        let table = if few {
            "messages m NOT INDEXED"
        } else {
            "messages m"
        };
        c.sql = format!(
            "SELECT m.id FROM {table} WHERE m.trust = 'genuine' AND ({condition}) \
             ORDER BY m.date DESC, m.id DESC LIMIT {}",
            c.param(i64::try_from(limit).unwrap_or(i64::MAX))
        );
        let mut stmt = self.conn().prepare(&c.sql)?;
        let ids = stmt.query_map(rusqlite::params_from_iter(c.params.iter()), |r| {
            r.get::<_, i64>(0)
        })?;
        let ids: Vec<i64> = ids.collect::<Result<_, _>>()?;
        let mut messages: Vec<Indexed> = Vec::with_capacity(ids.len());
        for id in ids {
            messages.extend(self.index_get(id)?);
        }
        let mut snippets = self.snippets(&messages, &snippet_query)?;
        messages
            .into_iter()
            .map(|message| {
                let snippet = match snippets.remove(&message.id) {
                    Some(s) => s,
                    None => self.body_start(message.id)?,
                };
                Ok(Hit { message, snippet })
            })
            .collect()
    }

    /// How many rows match the FTS5 expression `fts`, counting up to `cap`.
    fn fts_matches(&self, fts: &str, cap: i64) -> Result<i64, StoreError> {
        Ok(self.conn().prepare_cached(
            "SELECT count(*) FROM (SELECT rowid FROM message_fts WHERE message_fts MATCH ?1 LIMIT ?2)",
        )?
        .query_row(rusqlite::params![fts, cap], |r| r.get(0))?)
    }

    /// Text around the first match of `fts` in each message's body, for
    /// those where it matches there: one FTS5 pass over the rowid range of
    /// the messages (not one per message), snippets made only for them.
    fn snippets(
        &self,
        messages: &[Indexed],
        fts: &str,
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let mut out = std::collections::HashMap::new();
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        let (Some(&lo), Some(&hi)) = (ids.iter().min(), ids.iter().max()) else {
            return Ok(out);
        };
        if fts.is_empty() {
            return Ok(out);
        }
        // Integers from the database, written as literals: no user text.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        // `+rowid` keeps the list out of FTS5's plan: it walks the range once.
        let sql = format!(
            "SELECT rowid, snippet(message_fts, 4, '[', ']', '…', 12) FROM message_fts \
             WHERE message_fts MATCH ?1 AND rowid >= ?2 AND rowid <= ?3 AND +rowid IN ({list})"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params![fts, lo, hi], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, snippet) = row?;
            if snippet.contains('[') {
                out.insert(id, one_line(&snippet));
            }
        }
        Ok(out)
    }

    /// The start of row `id`'s body, as a snippet where no text term matches.
    fn body_start(&self, id: i64) -> Result<String, StoreError> {
        use rusqlite::OptionalExtension as _;
        let body: String = self
            .conn()
            .prepare_cached("SELECT substr(body, 1, 200) FROM messages WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
        Ok(one_line(&body))
    }
}

/// White space (line breaks included) folded to single spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
