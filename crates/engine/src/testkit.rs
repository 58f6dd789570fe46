//! TEST ONLY (feature `test-support`): helpers shared by the engine's and the
//! CLI's tests.

use std::path::{Path, PathBuf};

/// Every file directly in `dir` with its bytes, sorted by path: compare two
/// snapshots to prove an operation changed nothing.
///
/// # Panics
/// When `dir` or a file in it cannot be read (a test failure).
#[allow(clippy::unwrap_used)]
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}
