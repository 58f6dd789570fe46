//! Fuzzes `search::parse`: any text, any `now`, no panic; errors point inside the query.
#![no_main]

use coffer_core::search::{self, Query, Term};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes are `now`, the rest the query (lossy UTF-8, as a
    // terminal or the app could hand us).
    let (now, query) = match data.split_first_chunk::<8>() {
        Some((now, rest)) => (i64::from_le_bytes(*now), rest),
        None => (1_718_452_800, data),
    };
    let query = String::from_utf8_lossy(query);
    match search::parse(&query, now) {
        Ok(tree) => check(&tree),
        Err(e) => assert!(e.position <= query.chars().count()),
    }
});

/// Every text term is non-empty, quote-free, and compiles to one FTS5 string.
fn check(query: &Query) {
    match query {
        Query::Term(Term::Text(t)) => {
            assert!(!t.text.is_empty() && !t.text.contains('"'));
            let op = t.fts5_operand();
            let body = op.strip_suffix('*').unwrap_or(&op);
            assert!(body.len() >= 2 && body.starts_with('"') && body.ends_with('"'));
        }
        Query::Term(_) => {}
        Query::Not(inner) => check(inner),
        Query::And(items) | Query::Or(items) => {
            assert!(items.len() >= 2);
            items.iter().for_each(check);
        }
    }
}
