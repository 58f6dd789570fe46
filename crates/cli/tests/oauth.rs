//! OAuth2 sign-in through the binary, without the internet: Dovecot checks
//! the access tokens itself (JWTs under a key of the test's), Postfix
//! authenticates through it, and the harness's authorization server issues
//! them. The test plays the user's browser: it reads the URL `coffer`
//! prints and opens it, following the redirect back to `coffer`'s loopback
//! listener.
//!
//! Shown: `account add --oauth` signs in and keeps the refresh token only in
//! the encrypted database; the account seals (IMAP), sends (SMTP XOAUTH2),
//! and an auditor checks the mailbox with `audit --oauth`; an access token
//! that expires while `watch` runs is refreshed; a revoked grant ends `watch`
//! with "sign in again", after one refused refresh, and `account signin`
//! brings the account back; without a client ID the sign-in says what is
//! missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coffer_harness::oauth::{AuthServer, CLIENT_ID, browse};
use coffer_harness::{DOMAIN, MailServer, TestVault, USER};
use support::{code, s, text};

mod support;

const LIMIT: Duration = Duration::from_secs(60);

struct Place {
    t: TestVault,
    auth: AuthServer,
}

impl Place {
    fn new(lifetime: Duration) -> Self {
        let server = MailServer::builder()
            .oauth()
            .smtp()
            .user("bob", "bob-pw")
            .start()
            .unwrap();
        let auth = AuthServer::start(server.oauth_key().unwrap(), USER).unwrap();
        auth.set_access_lifetime(lifetime);
        let t = TestVault::builder().started(server).no_account().build();
        Self { t, auth }
    }

    fn command(&self) -> Command {
        let mut c = self.t.command(Path::new(env!("CARGO_BIN_EXE_coffer")));
        c.env("COFFER_TEST_KDF", "weak").stdin(Stdio::null());
        c
    }

    fn coffer(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    fn server_args(&self) -> Vec<String> {
        let server = &self.t.server;
        [
            "--imap",
            &format!("{}:{}", server.host(), server.imaps_port()),
            "--user",
            &format!("{USER}@{DOMAIN}"),
            "--ca-file",
            s(&server.ca_file()),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn oauth_args(&self) -> Vec<String> {
        [
            "--oauth",
            "custom",
            "--oauth-client-id",
            CLIENT_ID,
            "--oauth-auth-url",
            &self.auth.auth_url(),
            "--oauth-token-url",
            &self.auth.token_url(),
            "--oauth-scope",
            "mail",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// `coffer ARGS`, with the test as the user's browser: the URL printed
    /// is opened, the redirect followed back to `coffer`.
    fn with_browser(&self, args: &[String]) -> Output {
        let mut child = self
            .command()
            .args(args)
            // Nothing is launched; the test opens the URL itself.
            .env("COFFER_OPENER", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let seen = Arc::new(Mutex::new(String::new()));
        let reader = {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    seen.lock().unwrap().push_str(&format!("{line}\n"));
                    let url = line.trim();
                    if url.starts_with("http://127.0.0.1") && url.contains("/authorize?") {
                        let page = browse(url).unwrap();
                        assert_eq!(page.status, 200, "{}", page.body);
                        assert!(page.body.contains("Signed in"), "{}", page.body);
                    }
                }
            })
        };
        let out = wait(child);
        reader.join().unwrap();
        Output {
            status: out.status,
            stdout: out.stdout,
            stderr: seen.lock().unwrap().clone().into_bytes(),
        }
    }

    fn add_account(&self) {
        let mut args: Vec<String> = ["account", "add", "work"].map(str::to_owned).to_vec();
        args.extend(self.server_args());
        args.extend(self.oauth_args());
        args.extend([
            "--smtp".to_owned(),
            format!(
                "{}:{}",
                self.t.server.host(),
                self.t.server.submissions_port()
            ),
        ]);
        let out = self.with_browser(&args);
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert!(text(&out).contains("signed in with"), "{}", text(&out));
    }

    fn deliver(&self, subject: &str) {
        let eml = format!(
            "From: a@example.org\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
             Message-ID: <{subject}@example.org>\r\n\r\nbody of {subject}\r\n"
        );
        self.t
            .server
            .deliver(USER, "INBOX", eml.as_bytes())
            .unwrap();
    }

    /// Waits until INBOX holds `n` messages, all seals.
    fn wait_sealed(&self, n: usize, log: impl Fn() -> String) {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Ok(inbox) = self.t.server.mailbox_contents(USER, "INBOX")
                && inbox.len() == n
                && inbox
                    .iter()
                    .all(|m| m.bytes.windows(15).any(|w| w == b"X-Coffer-Seal: "))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "INBOX not {n} seals within {LIMIT:?}:\n{}",
                log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Waits for `child` (bounded), collecting its stdout.
fn wait(mut child: Child) -> Output {
    let deadline = Instant::now() + LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("coffer did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn an_oauth_account_signs_in_in_the_browser_seals_sends_and_is_audited() {
    let p = Place::new(Duration::from_secs(3600));
    p.add_account();
    assert_eq!(p.auth.sign_ins(), 1);
    // The refresh token is in no file of the vault (the database is encrypted).
    for token in p.auth.refresh_tokens() {
        assert_eq!(
            support::files_containing(&p.t.dir(), token.as_bytes()),
            Vec::<PathBuf>::new()
        );
    }
    let list = p.coffer(&["account", "list", "--json"]);
    let accounts: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(accounts[0]["oauth"], "custom", "{accounts:#}");

    let test = p.coffer(&["account", "test", "work"]);
    assert_eq!(code(&test), 0, "{}", text(&test));

    p.deliver("first");
    let seal = p.coffer(&["seal", "--account", "work"]);
    assert_eq!(code(&seal), 0, "{}", text(&seal));
    p.wait_sealed(1, || text(&seal));

    let mut send = p
        .command()
        .args([
            "send",
            "--account",
            "work",
            "--to",
            "bob@example.test",
            "--subject",
            "by token",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    send.stdin
        .take()
        .unwrap()
        .write_all(b"sent with XOAUTH2\n")
        .unwrap();
    let sent = wait(send);
    assert_eq!(code(&sent), 0, "{}", text(&sent));
    let got =
        p.t.server
            .wait_for_messages("bob", "INBOX", 1, LIMIT)
            .unwrap();
    assert!(String::from_utf8_lossy(&got[0].bytes).contains("by token"));

    // An auditor signs in for one run, with no vault.
    let mut audit: Vec<String> = vec!["audit".to_owned()];
    audit.extend(p.server_args());
    audit.extend(p.oauth_args());
    let mut c = support::coffer();
    c.args(&audit)
        .env("COFFER_OPENER", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = {
        // Same browser as above, on a command without a vault.
        let place_cmd = c;
        run_with_browser(place_cmd)
    };
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(p.auth.sign_ins(), 2, "the auditor signed in once more");
}

/// [`Place::with_browser`] for a command built elsewhere.
fn run_with_browser(mut command: Command) -> Output {
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            seen.push_str(&format!("{line}\n"));
            let url = line.trim();
            if url.starts_with("http://127.0.0.1") && url.contains("/authorize?") {
                assert_eq!(browse(url).unwrap().status, 200);
            }
        }
        seen
    });
    let out = wait(child);
    Output {
        status: out.status,
        stdout: out.stdout,
        stderr: reader.join().unwrap().into_bytes(),
    }
}

#[test]
fn an_expiring_token_is_refreshed_mid_watch_and_a_revoked_grant_ends_watch_cleanly() {
    let lifetime = Duration::from_secs(6);
    let p = Place::new(lifetime);
    p.add_account();
    let mut child = p
        .command()
        .args(["watch", "--account", "work"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                log.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
    }
    let said = || log.lock().unwrap().clone();

    p.deliver("before expiry");
    p.wait_sealed(1, said);
    let refreshed = p.auth.refreshes();
    // The access token expires while watch runs; the next message needs new
    // sessions, which get a refreshed token.
    std::thread::sleep(lifetime + Duration::from_secs(1));
    p.deliver("after expiry");
    p.wait_sealed(2, said);
    assert!(p.auth.refreshes() > refreshed, "no refresh: {}", said());
    assert!(
        child.try_wait().unwrap().is_none(),
        "watch ended: {}",
        said()
    );

    // The grant is revoked: the next refresh is refused, and watch ends
    // with "sign in again" instead of retrying.
    p.auth.revoke_all();
    std::thread::sleep(lifetime + Duration::from_secs(1));
    p.deliver("after revocation");
    let out = wait(child);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(code(&out), 1, "{}", said());
    let all = said();
    assert!(all.contains("no longer accepted"), "{all}");
    assert!(all.contains("coffer account signin work"), "{all}");
    assert!(!all.contains("retrying in"), "retried: {all}");
    assert_eq!(p.auth.refused_refreshes(), 1, "{all}");

    // Signing in again brings the account back.
    let out = p.with_browser(&["account", "signin", "work"].map(str::to_owned));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let seal = p.coffer(&["seal", "--account", "work"]);
    assert_eq!(code(&seal), 0, "{}", text(&seal));
    p.wait_sealed(3, || text(&seal));
}

#[test]
fn without_a_client_id_the_sign_in_says_what_is_missing() {
    let t = TestVault::builder().no_account().build();
    let out = t
        .command(Path::new(env!("CARGO_BIN_EXE_coffer")))
        .env("COFFER_TEST_KDF", "weak")
        .stdin(Stdio::null())
        .args([
            "account",
            "add",
            "work",
            "--imap",
            "outlook.office365.com:993",
            "--user",
            "someone@example.com",
            "--oauth",
            "microsoft",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("no OAuth client ID for Microsoft"), "{said}");
    assert!(said.contains("docs/PROVIDERS.md"), "{said}");
    assert!(said.contains("--oauth-client-id"), "{said}");
}
