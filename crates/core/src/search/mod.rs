//! The search query language: Gmail and notmuch habits, parsed into a tree.
//!
//! [`parse`] turns what the user typed into a [`Query`]; the store compiles
//! it to SQL and FTS5 (core knows neither). The language:
//!
//! | written | means |
//! |---|---|
//! | `report`, `会議`, `café` | a word, in any script |
//! | `"quarterly report"` | a phrase |
//! | `warr*` | a prefix |
//! | `from:` `to:` `cc:` `subject:` `filename:` + word, prefix or `"phrase"` | text in one field |
//! | `in:INBOX`, `in:"Work/Q1 Plans"` | the folder |
//! | `has:attachment` | a non-inline attachment |
//! | `is:unread` `is:read` `is:flagged` `is:answered` | flags |
//! | `before:2024-03-01`, `after:2024-03-01` | dates (UTC; `after:` includes the day) |
//! | `newer_than:7d`, `older_than:3m`, `…:1y` | relative to `now_unix`: days, calendar months, years |
//! | `larger:5M`, `smaller:500K` | size in bytes; K, M, G are 1024-based |
//! | `a b`, `a AND b` | both |
//! | `a OR b` | either |
//! | `NOT a`, `-a`, `-from:x`, `-(a b)` | not |
//! | `( … )` | grouping |
//!
//! Precedence, loosest first: `OR`, then `AND` (written or implied by
//! adjacent terms), then `NOT`/`-`. So `a b OR c` is `(a b) OR c`, as in
//! notmuch and SQLite FTS5 (Gmail binds `OR` tighter). Operators are upper
//! case; `and`, `or` and `not` are words. Field names and `is:`/`has:`
//! values ignore case. An unknown `name:value` (`foo:bar`, `http://x`) is an
//! ordinary word, as in Gmail, not an error. White space and control
//! characters separate terms. Malformed queries are a [`QueryError`] naming
//! the character position and what was expected.

mod ast;
mod error;
mod fts5;
mod lexer;
mod parser;
mod value;

pub use ast::{DateBound, Query, SizeBound, Status, Term, TextField, TextKind, TextTerm};
pub use error::QueryError;
pub use fts5::fts5_string;

/// Parses `query`. `now_unix` (Unix seconds) is the instant `newer_than:`
/// and `older_than:` count back from; core never reads the clock.
pub fn parse(query: &str, now_unix: i64) -> Result<Query, QueryError> {
    let tokens = lexer::tokenize(query)?;
    parser::parse(&tokens, query.chars().count(), now_unix)
}

#[cfg(test)]
mod tests;
