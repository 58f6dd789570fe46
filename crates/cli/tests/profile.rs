//! Provisioning profiles through the binary: a malformed profile, an
//! unknown key and an escrow fingerprint that does not match are each
//! refused naming the line, with no vault made; a valid profile at `init`
//! sets escrow, the servers `account add` uses, the OAuth client, and
//! policies the user then tries, and fails, to weaken (a weaker passphrase,
//! a larger size limit, a longer watch interval, escrow removed), while
//! sealing follows them (size limit, unsealed folder).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use coffer_harness::{MailServer, PASSWORD, USER};
use support::{code, s, text};

mod support;

const STRONG: &str = "vast orbit kettle ferns glacier 1987 tango";

struct Place {
    dir: tempfile::TempDir,
    server: MailServer,
}

impl Place {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("strong"), format!("{STRONG}\n")).unwrap();
        std::fs::write(dir.path().join("weak"), "password123\n").unwrap();
        std::fs::write(dir.path().join("mail-password"), format!("{PASSWORD}\n")).unwrap();
        Self {
            dir,
            server: MailServer::start().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn coffer(&self, args: &[&str]) -> Output {
        support::coffer()
            .arg("--vault")
            .arg(self.path("vault"))
            .arg("--passphrase-file")
            .arg(self.path("strong"))
            .args(args)
            .output()
            .unwrap()
    }

    fn profile(&self, text: &str) -> PathBuf {
        let path = self.path("profile.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

fn org_key(dir: &Path) -> (String, String) {
    let key = dir.join("org.key");
    let made = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success());
    let public = Command::new("age-keygen")
        .arg("-y")
        .arg(&key)
        .output()
        .unwrap();
    let recipient = String::from_utf8(public.stdout).unwrap().trim().to_owned();
    let fingerprint = coffer_core::escrow::fingerprint(&recipient.parse().unwrap());
    (recipient, fingerprint)
}

#[test]
fn a_bad_profile_is_refused_naming_its_line_and_no_vault_is_made() {
    let p = Place::new();
    let (recipient, _) = org_key(p.dir.path());
    let cases = [
        ("[imap]\nhost = \"x\"\nport = \"nine\"\n", "line 3"),
        (
            "[policy]\nauto_lock_minutes = 5\nsurprise = true\n",
            "line 3",
        ),
        ("[imap\nhost = \"x\"\n", "line 1"),
        (
            &*format!(
                "[escrow]\nrecipient = \"{recipient}\"\nfingerprint = \"0000 0000 0000 0000 0000 0000 0000 0000\"\n"
            ),
            "line 3",
        ),
    ];
    for (text_of, line) in cases {
        let profile = p.profile(text_of);
        let out = p.coffer(&["init", "--profile", s(&profile)]);
        assert_eq!(code(&out), 1, "{text_of}: {}", text(&out));
        assert!(text(&out).contains(line), "{text_of}: {}", text(&out));
        assert!(text(&out).contains("profile"), "{}", text(&out));
        assert!(
            !p.path("vault").join("vault.key").exists(),
            "a vault was made"
        );
        assert!(!p.path("vault").exists(), "a vault was made");
    }
}

#[test]
fn a_profile_sets_escrow_servers_oauth_and_policies_the_user_cannot_weaken() {
    let p = Place::new();
    let (recipient, fingerprint) = org_key(p.dir.path());
    let profile = p.profile(&format!(
        "[organisation]\nname = \"Example GmbH\"\n\n\
         [imap]\nhost = \"{host}\"\nport = {port}\nsecurity = \"tls\"\nca_file = \"{ca}\"\n\n\
         [escrow]\nrecipient = \"{recipient}\"\nfingerprint = \"{fingerprint}\"\n\n\
         [oauth]\nprovider = \"microsoft\"\nclient_id = \"firm-client-id\"\ntenant = \"firm-tenant\"\n\n\
         [policy]\nmin_passphrase_score = 4\nauto_lock_minutes = 10\n\
         unsealed_folders = [\"Shared\"]\nmax_message_bytes = 5000\nwatch_interval_seconds = 30\n",
        host = p.server.host(),
        port = p.server.imaps_port(),
        ca = p.server.ca_file().display(),
    ));

    // The profile's passphrase rule applies at init.
    let weak = support::coffer()
        .arg("--vault")
        .arg(p.path("vault"))
        .arg("--passphrase-file")
        .arg(p.path("weak"))
        .args(["init", "--profile", s(&profile)])
        .output()
        .unwrap();
    assert_eq!(code(&weak), 1, "{}", text(&weak));
    assert!(
        text(&weak).contains("passphrase_rejected"),
        "{}",
        text(&weak)
    );

    let init = p.coffer(&["init", "--profile", s(&profile)]);
    assert_eq!(code(&init), 0, "{}", text(&init));
    assert!(text(&init).contains("Example GmbH"), "{}", text(&init));
    let status = text(&p.coffer(&["status"]));
    assert!(status.contains("escrow:    ON"), "{status}");
    assert!(status.contains(&fingerprint), "{status}");

    // account add takes the profile's server.
    let add = p.coffer(&[
        "account",
        "add",
        "work",
        "--user",
        USER,
        "--password-file",
        s(&p.path("mail-password")),
    ]);
    assert_eq!(code(&add), 0, "{}", text(&add));
    let list: serde_json::Value =
        serde_json::from_slice(&p.coffer(&["account", "list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["imap_port"], p.server.imaps_port());

    // Sealing follows the policies: the size limit and the unsealed folder.
    p.server.create_folder(USER, "Shared").unwrap();
    let small = b"Subject: small\r\nFrom: a@example.org\r\n\r\nsmall one\r\n".to_vec();
    let mut big = b"Subject: big\r\nFrom: a@example.org\r\n\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 8000));
    for (folder, eml) in [("INBOX", &small), ("INBOX", &big), ("Shared", &small)] {
        p.server
            .append(USER, PASSWORD, folder, eml, &[], None)
            .unwrap();
    }
    let seal = p.coffer(&["seal", "--json"]);
    assert_eq!(code(&seal), 1, "{}", text(&seal));
    let summary: serde_json::Value = serde_json::from_slice(&seal.stdout).unwrap();
    assert_eq!(summary["sealed"], 1, "{summary:#}");
    assert_eq!(
        summary["skipped"].as_array().unwrap().len(),
        1,
        "{summary:#}"
    );
    assert!(summary["folders"].get("Shared").is_none(), "{summary:#}");
    let shared = p.server.mailbox_contents(USER, "Shared").unwrap();
    assert_eq!(
        shared[0].bytes, small,
        "the unsealed folder is left as it is"
    );
    let inbox = p.server.mailbox_contents(USER, "INBOX").unwrap();
    let seal_of = inbox
        .iter()
        .find(|m| coffer_core::inspect(&m.bytes).is_ok())
        .unwrap();
    assert_eq!(
        coffer_core::inspect(&seal_of.bytes)
            .unwrap()
            .recipient_count(),
        2
    );

    // Weakening each policy is refused.
    for (args, needle) in [
        (vec!["seal", "--max-message-size", "100000"], "at most 5000"),
        (vec!["watch", "--poll-seconds", "600"], "at most 30"),
        (
            vec!["escrow", "remove"],
            "profile sets the escrow recipient",
        ),
        (
            vec!["escrow", "set", &recipient, "--fingerprint", &fingerprint],
            "profile sets the escrow recipient",
        ),
    ] {
        let out = p.coffer(&args);
        assert_eq!(code(&out), 1, "{args:?}: {}", text(&out));
        assert!(text(&out).contains(needle), "{args:?}: {}", text(&out));
    }
    let passwd = p.coffer(&["passwd", "--new-passphrase-file", s(&p.path("weak"))]);
    assert_eq!(code(&passwd), 1, "{}", text(&passwd));
    assert!(
        text(&passwd).contains("passphrase_rejected"),
        "{}",
        text(&passwd)
    );

    // The profile's OAuth client: the sign-in URL carries its client ID and
    // tenant (the browser step is not taken; the process is stopped).
    let mut child = support::coffer()
        .arg("--vault")
        .arg(p.path("vault"))
        .arg("--passphrase-file")
        .arg(p.path("strong"))
        .args([
            "account",
            "add",
            "ms",
            "--imap",
            "127.0.0.1:9",
            "--user",
            "someone@example.com",
            "--oauth",
            "microsoft",
        ])
        .env("COFFER_OPENER", "true")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find(|l| l.trim().starts_with("https://"))
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        url.contains("login.microsoftonline.com/firm-tenant/oauth2/v2.0/authorize"),
        "{url}"
    );
    assert!(url.contains("client_id=firm-client-id"), "{url}");
}
