//! Replays the saved cargo-fuzz corpora (`fuzz/corpus/`) as ordinary tests, so
//! CI checks every saved input and regression without a nightly toolchain.
//!
//! `search_query` inputs are 8 bytes of `now` (little-endian i64) followed by
//! the query; `mime_read` and `seal_open` inputs are raw messages;
//! `seal_head` inputs are a claimed size (4 bytes, little-endian) and a head.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};

use coffer_core::mime::{self, ReadLimits};
use coffer_core::search;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

#[test]
fn search_query_corpus_parses_or_fails_cleanly() {
    for (path, data) in corpus("search_query") {
        let (now, query) = match data.split_first_chunk::<8>() {
            Some((now, rest)) => (i64::from_le_bytes(*now), rest),
            None => (1_718_452_800, &data[..]),
        };
        let query = String::from_utf8_lossy(query);
        if let Err(e) = search::parse(&query, now) {
            assert!(
                e.position <= query.chars().count(),
                "{}: {e}",
                path.display()
            );
        }
    }
}

#[test]
fn mime_read_corpus_is_read_within_limits() {
    let limits = ReadLimits::default();
    for (path, data) in corpus("mime_read") {
        let m = mime::read_message(&data);
        assert!(m.text.len() <= limits.max_text_bytes, "{}", path.display());
    }
}

#[test]
fn seal_open_corpus_opens_or_is_refused() {
    for (path, data) in corpus("seal_open") {
        eprintln!("{}", path.display());
        coffer_core::fuzzing::seal_open(&data);
    }
}

#[test]
fn seal_head_corpus_inspects_within_bounds() {
    for (path, data) in corpus("seal_head") {
        eprintln!("{}", path.display());
        coffer_core::fuzzing::seal_head(&data);
    }
}
