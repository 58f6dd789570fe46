//! `coffer watch` through the binary against a real Dovecot: mail delivered
//! while watching is sealed (IDLE for INBOX, polling for other folders), a
//! server restart does not end the watch, each seal logs its delay from
//! delivery, and the process stops cleanly (SIGTERM, `--once-sealed`).
//!
//! Every wait is bounded (`LIMIT`) and the child is killed on drop, so a
//! failure can neither hang the suite nor leave a process behind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead as _, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coffer_core::Authenticity;
use coffer_harness::{MailServer, TestVault, USER};
use support::text;

mod support;

/// The longest any single wait in these tests may take.
const LIMIT: Duration = Duration::from_secs(60);

/// The shared fixture: a vault with the account `mail` on a fresh Dovecot.
struct Place(TestVault);

impl std::ops::Deref for Place {
    type Target = TestVault;
    fn deref(&self) -> &TestVault {
        &self.0
    }
}

impl Place {
    fn new() -> Self {
        Self::on(MailServer::start().unwrap())
    }

    fn on(server: MailServer) -> Self {
        Self(TestVault::builder().started(server).account("mail").build())
    }

    fn watch(&self, args: &[&str]) -> Watcher {
        Watcher::start(coffer(self.root(), &[&["watch"], args].concat()))
    }

    fn deliver(&self, folder: &str, eml: &[u8]) {
        self.server.deliver(USER, folder, eml).unwrap();
    }

    /// Delivers a new message to `folder`, waits until it is sealed and
    /// until the watcher has logged `nth` seals there, and shows the delays.
    fn deliver_until_sealed(&self, w: &mut Watcher, folder: &str, subject: &str, nth: usize) {
        let original = eml(subject);
        self.deliver(folder, &original);
        self.wait_sealed(w, folder, &original);
        w.wait_for(&format!("sealed {folder} uid"), nth, false);
        eprintln!("delays logged: {:?}", w.delays());
    }

    /// Waits until `original` is gone from `folder` and a seal of this vault
    /// holding exactly its bytes is there.
    fn wait_sealed(&self, w: &Watcher, folder: &str, original: &[u8]) {
        let deadline = Instant::now() + LIMIT;
        loop {
            // doveadm lists, then reads each message: one the watcher
            // removes in between fails the read. Look again.
            let Ok(contents) = self.server.mailbox_contents(USER, folder) else {
                assert!(
                    Instant::now() < deadline,
                    "{folder} unreadable for {LIMIT:?}"
                );
                std::thread::sleep(Duration::from_millis(100));
                continue;
            };
            let plain = contents.iter().any(|m| m.bytes == original);
            let sealed = contents.iter().any(|m| {
                coffer_core::open(self.vault.keys(), &m.bytes).is_ok_and(|o| {
                    o.authenticity == Authenticity::Verified && o.original == original
                })
            });
            if sealed && !plain {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not sealed in {folder} within {LIMIT:?} (plaintext there: {plain}); watch said:\n{}",
                w.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn coffer(dir: &Path, args: &[&str]) -> Command {
    let mut c = support::coffer();
    c.arg("--vault")
        .arg(dir.join("vault"))
        .arg("--passphrase-file")
        .arg(dir.join("pass"))
        .args(args);
    c
}

/// `coffer account add NAME` for the test user on `server`, checked.
fn add_account(dir: &Path, server: &MailServer, name: &str, password_file: &Path) {
    let args = support::account_add(name, server, password_file);
    let out = coffer(dir, &[]).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

fn eml(subject: &str) -> Vec<u8> {
    format!(
        "From: a@example.org\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <{}@example.org>\r\n\r\nbody of {subject}\r\n",
        subject.replace(' ', "-")
    )
    .into_bytes()
}

/// A running `coffer watch`, its output collected as it comes; killed on drop.
struct Watcher {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Watcher {
    fn start(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        Self {
            child,
            stdout,
            stderr,
        }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn log(&self) -> String {
        format!(
            "--- stdout\n{}--- stderr\n{}",
            self.stdout(),
            self.stderr.lock().unwrap()
        )
    }

    /// Waits until stdout (or stderr) has `count` lines containing `needle`.
    fn wait_for(&mut self, needle: &str, count: usize, stderr: bool) {
        let deadline = Instant::now() + LIMIT;
        let stream = Arc::clone(if stderr { &self.stderr } else { &self.stdout });
        while stream.lock().unwrap().matches(needle).count() < count {
            assert!(
                Instant::now() < deadline,
                "no {count} × {needle:?} within {LIMIT:?}:\n{}",
                self.log()
            );
            assert!(self.child_running(), "watch exited early:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn child_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader threads take the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "watch did not exit within {LIMIT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The delays of the `sealed FOLDER uid N after D s` lines, in order.
    fn delays(&self) -> Vec<(String, f64)> {
        self.stdout()
            .lines()
            .filter(|l| l.starts_with("sealed "))
            .map(|l| {
                let d = l.split(" after ").nth(1).unwrap();
                let secs: f64 = d.trim_end_matches(" s").parse().unwrap();
                (l.to_owned(), secs)
            })
            .collect()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // Never leave a watcher running, whatever the test did.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    let out = Arc::clone(&buf);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut b = out.lock().unwrap();
            b.push_str(&line);
            b.push('\n');
        }
    });
    buf
}

#[test]
fn mail_delivered_while_watching_is_sealed_through_idle_and_sigterm_stops_cleanly() {
    let p = Place::new();
    let early = eml("before watching");
    p.deliver("INBOX", &early);
    // Polling every 5 minutes: within this test only IDLE can bring new mail in.
    let mut w = p.watch(&["--poll-seconds", "300", "--idle-seconds", "300"]);
    p.wait_sealed(&w, "INBOX", &early);
    // The IDLE session is open once its first INBOX check is done.
    w.wait_for("pass (INBOX)", 1, false);

    let late = eml("while watching");
    let delivered = Instant::now();
    p.deliver("INBOX", &late);
    p.wait_sealed(&w, "INBOX", &late);
    eprintln!(
        "delivered → sealed as the test saw it: {:?}",
        delivered.elapsed()
    );
    w.wait_for("sealed INBOX uid", 2, false);
    let delays = w.delays();
    eprintln!("delays logged: {delays:?}");
    assert_eq!(delays.len(), 2, "{}", w.log());
    // INTERNALDATE has one-second resolution.
    assert!(delays[1].1 >= -1.0 && delays[1].1 < LIMIT.as_secs_f64());

    w.terminate();
    let status = w.wait_exit();
    assert_eq!(status.code(), Some(0), "{}", w.log());
    assert!(w.stdout().ends_with("stopped\n"), "{}", w.log());
}

#[test]
fn mail_in_another_folder_is_sealed_by_polling() {
    let p = Place::new();
    p.server.create_folder(USER, "Archive/Ünïcode").unwrap();
    let mut w = p.watch(&["--poll-seconds", "2", "--idle-seconds", "300"]);
    w.wait_for("pass (all folders)", 1, false);
    p.deliver_until_sealed(&mut w, "Archive/Ünïcode", "filed away", 1);
}

#[test]
fn a_server_restart_does_not_end_the_watch() {
    let p = Place::new();
    let mut w = p.watch(&["--poll-seconds", "2", "--idle-seconds", "5"]);
    w.wait_for("pass (INBOX)", 1, false);
    p.deliver_until_sealed(&mut w, "INBOX", "before the restart", 1);

    p.server.restart_imap(Duration::from_secs(2)).unwrap();
    // It saw the connection go and is retrying, not exiting.
    w.wait_for("retrying in", 1, true);
    p.deliver_until_sealed(&mut w, "INBOX", "after the restart", 2);
    assert!(w.child_running(), "{}", w.log());
}

#[test]
fn once_sealed_exits_zero_after_n_messages_with_json_lines() {
    let p = Place::new();
    let waiting = eml("already waiting");
    p.deliver("INBOX", &waiting);
    let mut w = p.watch(&[
        "--poll-seconds",
        "2",
        "--idle-seconds",
        "5",
        "--once-sealed",
        "2",
        "--json-log",
    ]);
    w.wait_for("\"event\":\"pass_finished\"", 1, false);
    let arriving = eml("arriving");
    p.deliver("INBOX", &arriving);
    let status = w.wait_exit();
    assert_eq!(status.code(), Some(0), "{}", w.log());
    p.wait_sealed(&w, "INBOX", &waiting);
    p.wait_sealed(&w, "INBOX", &arriving);

    let events: Vec<serde_json::Value> = w
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let sealed: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["event"] == "sealed").collect();
    assert_eq!(sealed.len(), 2, "{}", w.log());
    for s in &sealed {
        assert_eq!(s["folder"], "INBOX");
        assert_eq!(s["original_removed"], true);
        assert!(s["delay_seconds"].as_f64().unwrap() >= -1.0, "{s}");
    }
    eprintln!("sealed events: {sealed:?}");
    assert_eq!(events.last().unwrap()["event"], "stopped");
}

#[test]
fn without_idle_inbox_is_polled() {
    let p = Place::on(
        MailServer::builder()
            .without_capabilities(&["IDLE"])
            .start()
            .unwrap(),
    );
    let mut w = p.watch(&["--poll-seconds", "2", "--idle-seconds", "300"]);
    w.wait_for("has no IDLE", 1, false);
    p.deliver_until_sealed(&mut w, "INBOX", "polled for", 1);
}

#[test]
fn an_unknown_account_exits_1_at_once() {
    let p = Place::new();
    let out = coffer(p.root(), &["watch", "--account", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no account named"), "{}", text(&out));
    assert!(text(&out).contains("[no_such_account]"), "{}", text(&out));
}

#[test]
fn while_watching_seal_is_refused_and_after_kill_9_it_runs() {
    let p = Place::new();
    let mut w = p.watch(&["--poll-seconds", "300", "--idle-seconds", "300"]);
    w.wait_for("pass (INBOX)", 1, false);
    // Mail waiting in a folder the watcher only polls (every 5 minutes).
    p.server.create_folder(USER, "Later").unwrap();
    let waiting = eml("waiting in Later");
    p.deliver("Later", &waiting);

    // `seal` and `watch` refuse alike: account_busy, exit 1.
    for args in [&["seal"][..], &["watch", "--once-sealed", "1"][..]] {
        let out = coffer(p.root(), args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("[account_busy]"), "{}", text(&out));
        assert!(
            text(&out).contains("is being kept sealed by a coffer process"),
            "{}",
            text(&out)
        );
    }
    // A dry run changes nothing, so it may look meanwhile.
    let out = coffer(p.root(), &["seal", "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = p.server.mailbox_contents(USER, "Later").unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].bytes, waiting, "the refused runs touched nothing");

    // The kernel drops the lock with the process: never a stale lock.
    w.child.kill().unwrap();
    w.child.wait().unwrap();
    let out = coffer(p.root(), &["seal"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    p.wait_sealed(&w, "Later", &waiting);
}

#[test]
fn a_refused_login_ends_the_watch_instead_of_retrying_forever() {
    let p = Place::new();
    let wrong = p.root().join("wrong-pw");
    std::fs::write(&wrong, "not the password\n").unwrap();
    add_account(p.root(), &p.server, "wrong", &wrong);
    let started = Instant::now();
    let mut w = p.watch(&["--account", "wrong"]);
    let status = w.wait_exit();
    assert_eq!(status.code(), Some(2), "{}", w.log());
    let log = w.log();
    assert!(log.contains("login failed"), "{log}");
    assert!(log.contains("can get the account locked"), "{log}");
    assert!(!log.contains("retrying in"), "no retry: {log}");
    assert!(
        !log.contains("not the password"),
        "the password is never shown: {log}"
    );
    eprintln!("ended after {:?}:\n{log}", started.elapsed());
}
