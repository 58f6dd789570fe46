//! What the tests of the `coffer` binary share: the command, isolated from
//! the caller's environment, and reading its output. Each test file uses a
//! part of it.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use coffer_harness::{MailServer, USER};

/// The `coffer` binary with no `COFFER_VAULT` or `COFFER_LOG` from the
/// caller, cheap Argon2id parameters (the binary is built with
/// test-support) and no stdin.
pub fn coffer() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coffer"));
    c.env_remove("COFFER_VAULT")
        .env_remove("COFFER_LOG")
        .env("COFFER_TEST_KDF", "weak")
        .stdin(Stdio::null());
    c
}

/// The arguments of `coffer account add NAME` for the test user on `server`.
pub fn account_add(name: &str, server: &MailServer, password_file: &Path) -> Vec<String> {
    let imap = format!("{}:{}", server.host(), server.imaps_port());
    let ca = server.ca_file();
    [
        "account",
        "add",
        name,
        "--imap",
        &imap,
        "--user",
        USER,
        "--password-file",
        s(password_file),
        "--ca-file",
        s(&ca),
    ]
    .map(str::to_owned)
    .to_vec()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// stdout and stderr, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The files under `dir` whose bytes contain `needle` (a secret that must
/// stay inside the encrypted database).
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if std::fs::read(&p)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            hits.push(p);
        }
    }
    hits
}
