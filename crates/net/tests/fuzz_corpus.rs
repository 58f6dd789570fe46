//! Replays the saved cargo-fuzz corpora of coffer-net's targets
//! (`fuzz/corpus/{imap_response,mutf7,uid_set}`) on stable, so CI checks
//! every saved input and regression without a nightly toolchain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;

use coffer_net::fuzzing;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        eprintln!("{}", path.display());
        check(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no corpus in {}", dir.display());
}

#[test]
fn imap_response_corpus_is_handled() {
    replay("imap_response", fuzzing::responses);
}

#[test]
fn mutf7_corpus_round_trips() {
    replay("mutf7", fuzzing::mutf7_round_trip);
}

#[test]
fn uid_set_corpus_round_trips() {
    replay("uid_set", fuzzing::uid_set_round_trip);
}
