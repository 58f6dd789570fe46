//! The vault commands end to end through the `coffer` binary: init, status,
//! identity export, passwd, recover, every bad input, interop with the stock
//! `age` tool, and a canary passphrase and plaintext that must leak nowhere.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use coffer_core::{InternalDate, SealInput};
use coffer_engine::testkit::snapshot;
use coffer_engine::{KdfPolicy, SecretString, Vault};

mod support;

/// A temporary place with a vault directory and files for passphrases.
struct Place {
    tmp: tempfile::TempDir,
    vault: PathBuf,
}

impl Place {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        Self { tmp, vault }
    }

    /// Writes `text` to a file outside the vault and returns its path.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs coffer with `--vault` set and cheap Argon2id parameters.
    fn coffer(&self, args: &[&str]) -> Output {
        self.coffer_env(args, &[])
    }

    fn coffer_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = support::coffer();
        cmd.arg("--vault").arg(&self.vault).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// `coffer init` with the passphrase in a file; returns the recovery key.
    fn init(&self, passphrase: &str) -> String {
        let pass = self.file("init-pass", passphrase);
        let out = self.coffer(&["init", "--passphrase-file", path(&pass)]);
        assert_ok(&out);
        recovery_key(&stdout(&out))
    }

    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        snapshot(&self.vault)
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

/// Asserts the exit code and that stderr says `needle`.
fn assert_fails(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    assert!(
        stderr(o).contains(needle),
        "stderr lacks {needle:?}: {}",
        stderr(o)
    );
}

/// The recovery key line of `coffer init`'s output (12 dash-joined groups).
fn recovery_key(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 59 + 11 && l.matches('-').count() == 11)
        .unwrap_or_else(|| panic!("no recovery key in {text}"))
        .to_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn init_status_export_passwd_recover() {
    let place = Place::new();
    let recovery = place.init("first passphrase");
    let pass1 = place.file("p1", "first passphrase\n");

    // status: locked without a passphrase, details with one.
    let out = place.coffer(&["status"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("vault present, locked"));
    let out = place.coffer(&["status", "--json", "--passphrase-file", path(&pass1)]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let recipient = json["unlocked"]["recipient"].as_str().unwrap().to_owned();
    assert!(recipient.starts_with("age1"));
    // The binary built by `cargo test` honours COFFER_TEST_KDF=weak.
    assert_eq!(json["unlocked"]["kdf"]["m_kib"], 64);

    // identity export, in age-keygen's format, to stdout and to a 0600 file.
    let out = place.coffer(&["identity", "export", "--passphrase-file", path(&pass1)]);
    assert_ok(&out);
    let text = stdout(&out);
    let lines: Vec<_> = text.lines().collect();
    assert!(lines[0].starts_with("# created: "));
    assert_eq!(lines[1], format!("# public key: {recipient}"));
    assert!(lines[2].starts_with("AGE-SECRET-KEY-1"));
    let id_file = place.tmp.path().join("identity.txt");
    let export = ["identity", "export", "-o", path(&id_file)];
    let out = place.coffer(&[&export[..], &["--passphrase-file", path(&pass1)]].concat());
    assert_ok(&out);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&id_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let before = std::fs::read(&id_file).unwrap();
    let out = place.coffer(&[&export[..], &["--passphrase-file", path(&pass1)]].concat());
    assert_fails(&out, 1, "refusing to overwrite");
    assert_eq!(std::fs::read(&id_file).unwrap(), before);

    // passwd: the old passphrase stops working, the new one works.
    let pass2 = place.file("p2", "second passphrase\n");
    let out = place.coffer(&[
        "passwd",
        "--passphrase-file",
        path(&pass1),
        "--new-passphrase-file",
        path(&pass2),
    ]);
    assert_ok(&out);
    assert_fails(
        &place.coffer(&["status", "--passphrase-file", path(&pass1)]),
        1,
        "wrong passphrase",
    );
    assert_ok(&place.coffer(&["status", "--passphrase-file", path(&pass2)]));

    // recover in place: a forgotten passphrase.
    let key_file = place.file("recovery", &format!("{recovery}\n"));
    let pass3 = place.file("p3", "third passphrase\n");
    let out = place.coffer(&[
        "recover",
        "--recovery-key-file",
        path(&key_file),
        "--new-passphrase-file",
        path(&pass3),
    ]);
    assert_ok(&out);
    assert_fails(
        &place.coffer(&["status", "--passphrase-file", path(&pass2)]),
        1,
        "wrong passphrase",
    );
    let out = place.coffer(&["status", "--json", "--passphrase-file", path(&pass3)]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["unlocked"]["recipient"], recipient.as_str());

    // recover into a new directory (a new device), with --passphrase-file.
    let other = place.tmp.path().join("new-device");
    let out = Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["--vault", path(&other), "recover", "--recovery-key-file"])
        .arg(&key_file)
        .args(["--passphrase-file", path(&pass3)])
        .env("COFFER_TEST_KDF", "weak")
        .output()
        .unwrap();
    assert_ok(&out);
    let out = Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args([
            "--vault",
            path(&other),
            "status",
            "--json",
            "--passphrase-file",
        ])
        .arg(&pass3)
        .env("COFFER_TEST_KDF", "weak")
        .output()
        .unwrap();
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["unlocked"]["recipient"], recipient.as_str());
}

#[test]
fn a_recovery_key_with_one_typo_is_rejected() {
    let place = Place::new();
    let recovery = place.init("pass");
    let mut typo = recovery.clone();
    let i = 14; // inside the third group
    let swap = if &typo[i..=i] == "7" { "8" } else { "7" };
    typo.replace_range(i..=i, swap);
    let key_file = place.file("recovery", &typo);
    let new = place.file("new", "new pass");
    let before = place.snapshot();
    let out = place.coffer(&[
        "recover",
        "--recovery-key-file",
        path(&key_file),
        "--new-passphrase-file",
        path(&new),
    ]);
    assert_fails(&out, 1, "typo");
    assert_eq!(place.snapshot(), before);
}

#[test]
fn init_refuses_an_existing_vault() {
    let place = Place::new();
    place.init("pass");
    let before = place.snapshot();
    let pass = place.file("other", "other pass");
    let out = place.coffer(&["init", "--passphrase-file", path(&pass)]);
    assert_fails(&out, 1, "already exists");
    assert_eq!(place.snapshot(), before);
}

#[test]
fn a_wrong_passphrase_exits_1_and_changes_nothing() {
    let place = Place::new();
    place.init("right");
    let wrong = place.file("wrong", "wrong");
    let new = place.file("new", "new");
    let before = place.snapshot();
    for args in [
        vec!["status"],
        vec!["identity", "export"],
        vec!["passwd", "--new-passphrase-file", path(&new)],
    ] {
        let out = place.coffer(&[&args[..], &["--passphrase-file", path(&wrong)]].concat());
        assert_fails(&out, 1, "wrong passphrase");
        assert!(out.stdout.is_empty() || !stdout(&out).contains("AGE-SECRET-KEY"));
        assert_eq!(place.snapshot(), before);
    }
}

#[test]
fn damaged_files_exit_2_with_a_clear_message_and_change_nothing() {
    let place = Place::new();
    place.init("pass");
    let pass = place.file("pass", "pass");
    let key = place.vault.join("vault.key");
    let good = std::fs::read(&key).unwrap();
    let status = ["status", "--passphrase-file", path(&pass)];

    for (bytes, needle) in [
        (good[..50].to_vec(), "key file is truncated"),
        (vec![0x42; good.len()], "not a Coffer key file"),
    ] {
        std::fs::write(&key, &bytes).unwrap();
        let before = place.snapshot();
        assert_fails(&place.coffer(&status), 2, needle);
        assert_eq!(place.snapshot(), before);
    }
    std::fs::write(&key, &good).unwrap();
    assert_ok(&place.coffer(&status));

    let db = place.vault.join("vault.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 16] {
        *b = !*b;
    }
    std::fs::write(&db, &bytes).unwrap();
    let before = place.snapshot();
    assert_fails(
        &place.coffer(&status),
        2,
        "cannot be decrypted: wrong key or corrupted file",
    );
    assert_eq!(place.snapshot(), before);
}

#[test]
fn an_unreachable_vault_directory_exits_2() {
    // Tests run as root here, where chmod 000 does not stop reads: use a
    // vault path whose parent is a regular file, which fails for anyone.
    let place = Place::new();
    let blocker = place.file("not-a-dir", "x");
    let pass = place.file("pass", "pass");
    for args in [vec!["init"], vec!["status"], vec!["identity", "export"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_coffer"))
            .arg("--vault")
            .arg(blocker.join("vault"))
            .args(&args)
            .args(["--passphrase-file", path(&pass)])
            .env("COFFER_TEST_KDF", "weak")
            .output()
            .unwrap();
        if args == ["status"] {
            // Without unlocking, status only reports what it sees.
            assert_ok(&out);
            continue;
        }
        assert_fails(&out, 2, "Not a directory");
    }
    assert_eq!(std::fs::read(&blocker).unwrap(), b"x");
}

/// Seals `original` with the vault's keys, as the sealing job will.
fn seal(vault: &Vault, original: &[u8]) -> Vec<u8> {
    let input = SealInput {
        folder: "INBOX",
        flags: &["\\Seen".to_owned()],
        internaldate: InternalDate::new(1_700_000_000, 60).unwrap(),
        original,
    };
    coffer_core::seal(vault.keys(), &input, &mut rand::rngs::OsRng).unwrap()
}

#[test]
fn the_stock_age_tool_opens_a_sealed_message_with_the_exported_identity() {
    // Must fail, not skip, when age is missing: interop is a promise.
    let age = Path::new("/usr/bin/age");
    assert!(
        age.exists(),
        "the stock `age` tool is required (apt-get install age)"
    );
    let place = Place::new();
    place.init("pass");
    let pass = place.file("pass", "pass");
    let id_file = place.tmp.path().join("identity.txt");
    assert_ok(&place.coffer(&[
        "identity",
        "export",
        "--output",
        path(&id_file),
        "--passphrase-file",
        path(&pass),
    ]));

    let vault = Vault::unlock(
        &place.vault,
        &SecretString::from("pass".to_owned()),
        KdfPolicy::weak_for_tests(),
    )
    .unwrap();
    let original = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody \xff bytes\r\n".to_vec();
    let sealed = seal(&vault, &original);
    let payload_path = place.tmp.path().join("payload.age");
    std::fs::write(&payload_path, coffer_core::seal::payload(&sealed).unwrap()).unwrap();

    let out = Command::new(age)
        .arg("-d")
        .arg("-i")
        .arg(&id_file)
        .arg(&payload_path)
        .output()
        .unwrap();
    assert_ok(&out);
    // The age plaintext is the manifest and padding around the original
    // (docs/FORMAT.md); the original bytes come out exactly.
    assert!(contains(&out.stdout, &original));
    let opened = coffer_core::open(vault.keys(), &sealed).unwrap();
    assert_eq!(opened.original, original);
}

/// A `Write` that appends to a shared buffer, for capturing logs in-process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_canary_passphrase_and_plaintext_leak_into_no_log_and_no_file() {
    const PASS: &str = "canary-pass-7Hq2xZ";
    const PASS2: &str = "canary-pass2-Lw9rK4";
    const PLAIN: &str = "canary-plaintext-Qm4vT8";
    let place = Place::new();
    let trace = [("COFFER_LOG", "trace")];
    let p1 = place.file("p1", PASS);
    let p2 = place.file("p2", PASS2);
    let mut logs = Vec::new();
    let mut run = |args: &[&str]| {
        let out = place.coffer_env(&[args, &["-vv"]].concat(), &trace);
        assert_ok(&out);
        logs.extend_from_slice(&out.stdout);
        logs.extend_from_slice(&out.stderr);
    };
    run(&["init", "--passphrase-file", path(&p1)]);
    run(&["status", "--passphrase-file", path(&p1)]);
    run(&["identity", "export", "--passphrase-file", path(&p1)]);
    run(&[
        "passwd",
        "--passphrase-file",
        path(&p1),
        "--new-passphrase-file",
        path(&p2),
    ]);

    // In-process: unlock, seal and open a canary message, and put the
    // plaintext in the database (as the index will), all traced.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let vault = Vault::unlock(
            &place.vault,
            &SecretString::from(PASS2.to_owned()),
            KdfPolicy::weak_for_tests(),
        )
        .unwrap();
        let original = format!("Subject: {PLAIN}\r\n\r\n{PLAIN}\r\n");
        let sealed = seal(&vault, original.as_bytes());
        assert!(!contains(&sealed, PLAIN.as_bytes()));
        let opened = coffer_core::open(vault.keys(), &sealed).unwrap();
        assert_eq!(opened.original, original.as_bytes());
        vault.store().set_setting("canary", PLAIN).unwrap();
        tracing::info!(sealed_len = sealed.len(), "sealed and opened the canary");
    });
    logs.extend_from_slice(&captured.0.lock().unwrap());

    let text = String::from_utf8_lossy(&logs);
    // The logs are real: trace level reached the engine and the store.
    assert!(text.contains("vault created"), "{text}");
    assert!(text.contains("applied schema migration"), "{text}");
    assert!(text.contains("passphrase changed"), "{text}");
    for secret in [PASS, PASS2] {
        assert!(!text.contains(secret), "log leaks {secret}");
    }
    let files = snapshot(&place.vault);
    assert!(files.len() >= 2);
    for (file, bytes) in &files {
        for canary in [PASS, PASS2, PLAIN] {
            assert!(
                !contains(bytes, canary.as_bytes()),
                "{} contains {canary}",
                file.display()
            );
        }
    }
    // The plaintext really is in the database, readable once unlocked.
    let vault = Vault::unlock(
        &place.vault,
        &SecretString::from(PASS2.to_owned()),
        KdfPolicy::weak_for_tests(),
    )
    .unwrap();
    assert_eq!(
        vault.store().setting("canary").unwrap().as_deref(),
        Some(PLAIN)
    );
    let _ = std::io::stderr().flush();
}

/// `coffer init` applies the app's strength rule (zxcvbn score 3 or more):
/// a guessable passphrase is refused with the reason, and nothing is written.
#[test]
fn init_refuses_a_guessable_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "password1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args([
            "--vault",
            path(&dir),
            "init",
            "--passphrase-file",
            path(&pass),
        ])
        .env_remove("COFFER_TEST_KDF")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("too easy to guess"), "{stderr}");
    assert!(stderr.contains("passphrase_rejected"), "{stderr}");
    assert!(!dir.join("vault.key").exists());
}

/// `coffer account presets` lists the servers the app's form fills in.
#[test]
fn account_presets_lists_the_known_providers() {
    let out = Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["account", "presets", "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for id in ["fastmail", "posteo", "mailbox.org", "icloud", "gmx"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}
