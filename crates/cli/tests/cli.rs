//! The `coffer` binary's surface: help, version, global options, status.

// Helpers outside #[test] functions: a panic is still a test failure.
#![allow(clippy::expect_used)]

use std::process::{Command, Output};

fn coffer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(args)
        .env_remove("COFFER_VAULT")
        .output()
        .expect("run coffer")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn help_names_the_global_options() {
    let out = coffer(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for needle in [
        "--vault <DIR>",
        "--passphrase-file <FILE>",
        "status",
        "Usage: coffer",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}:\n{text}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = coffer(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("coffer {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn status_reports_an_absent_vault_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    let out = coffer(&[
        "status",
        "--json",
        "--vault",
        vault.to_str().expect("utf-8 path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["state"], "absent");
    assert_eq!(json["dir"], vault.to_str().expect("utf-8 path"));
    assert!(!vault.exists(), "status must not create anything");
}

#[test]
fn the_vault_directory_can_come_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["status"])
        .env("COFFER_VAULT", dir.path())
        .output()
        .expect("run coffer");
    assert!(stdout(&out).contains(&dir.path().display().to_string()));
}

#[test]
fn an_unknown_command_is_a_bad_request() {
    let out = coffer(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"));
}
