//! Sending through the `coffer` binary, against real Postfix (submission
//! with TLS and AUTH) delivering into real Dovecot: the message arrives
//! intact; Bcc stays blind; the sender keeps only a sealed copy in Sent,
//! indexed, threaded with the reply; a refused recipient is named and the
//! others get it once; with Postfix stopped the message waits in the outbox
//! and goes out exactly once when it is back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use coffer_core::mime::read_message;
use coffer_harness::proxy::FaultProxy;
use coffer_harness::{DOMAIN, MailServer, PASSWORD, StoredMessage, USER};
use serde_json::Value;
use support::{code, s, text};

mod support;

struct Sender {
    /// A TCP proxy between the account and Postfix, when asked for.
    proxy: Option<FaultProxy>,
    server: MailServer,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    pass: PathBuf,
    files: PathBuf,
}

impl Sender {
    fn new() -> Self {
        Self::build(false)
    }

    /// The account submits through a proxy that can cut the connection.
    fn with_proxy() -> Self {
        Self::build(true)
    }

    fn build(proxied: bool) -> Self {
        Self::on(
            MailServer::builder()
                .smtp()
                .user("bob", "bob-pw")
                .user("carol", "carol-pw")
                .start()
                .unwrap(),
            proxied,
        )
    }

    fn on(server: MailServer, proxied: bool) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let files = tmp.path().to_path_buf();
        std::fs::write(files.join("pass"), "pass\n").unwrap();
        std::fs::write(files.join("pw"), format!("{PASSWORD}\n")).unwrap();
        let proxy = proxied.then(|| FaultProxy::start(server.submissions_port()).unwrap());
        let me = Self {
            proxy,
            dir: files.join("v"),
            pass: files.join("pass"),
            files,
            server,
            _tmp: tmp,
        };
        me.ok(&["init"], "");
        let imap = format!("{}:{}", me.server.host(), me.server.imaps_port());
        let port = me
            .proxy
            .as_ref()
            .map_or(me.server.submissions_port(), FaultProxy::port);
        let smtp = format!("{}:{}", me.server.host(), port);
        let user = format!("{USER}@{DOMAIN}");
        let pw = me.files.join("pw");
        let ca = me.server.ca_file();
        me.ok(
            &[
                "account",
                "add",
                "mail",
                "--imap",
                &imap,
                "--user",
                &user,
                "--password-file",
                s(&pw),
                "--ca-file",
                s(&ca),
                "--smtp",
                &smtp,
            ],
            "",
        );
        me
    }

    fn coffer(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = support::coffer()
            .arg("--vault")
            .arg(&self.dir)
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: &str) -> Output {
        let out = self.coffer(args, stdin);
        assert_eq!(code(&out), 0, "{args:?}: {}", text(&out));
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_slice(&self.ok(args, "").stdout).unwrap()
    }

    fn inbox(&self, user: &str, count: usize) -> Vec<StoredMessage> {
        self.server
            .wait_for_messages(user, "INBOX", count, Duration::from_secs(30))
            .unwrap()
    }

    fn sent(&self) -> Vec<StoredMessage> {
        self.server.mailbox_contents(USER, "Sent").unwrap()
    }
}

/// Only sealed copies: the outer template, none of the message's words in
/// its headers, and a body of nothing but base64 (the age file), so no
/// plaintext can hide there. Words are not searched inside the base64 itself,
/// where a short one can turn up by chance.
fn assert_only_seals(messages: &[StoredMessage], words: &[&str]) {
    for m in messages {
        let t = String::from_utf8_lossy(&m.bytes);
        assert!(t.contains("X-Coffer-Seal"), "not a seal: {t}");
        let (head, body) = t.split_once("\r\n\r\n").unwrap_or((&t, ""));
        for w in words {
            assert!(
                !head.contains(w),
                "{w:?} readable in a sealed copy's header: {t}"
            );
        }
        for line in body.lines() {
            assert!(
                line.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=\r".contains(&b)),
                "a line that is not base64 in a sealed copy: {line:?}"
            );
        }
    }
}

#[test]
fn a_sent_message_arrives_intact_bcc_stays_blind_and_only_a_seal_is_kept() {
    let me = Sender::new();
    let file = me.files.join("Übersicht März.pdf");
    std::fs::write(&file, b"%PDF-1.4\n%\xe2\xe3\n").unwrap();
    let subject = "Grüße aus dem Tresor — 会議";
    let out = me.ok(
        &[
            "send",
            "--to",
            "Bob Berg <bob@example.test>",
            "--bcc",
            "carol@example.test",
            "--subject",
            subject,
            "--attach",
            s(&file),
        ],
        "Hallo Bob,\nbis morgen im Büro.\n",
    );
    let said = text(&out);
    assert!(said.contains("sent to bob@example.test"), "{said}");
    assert!(said.contains("a sealed copy is in Sent"), "{said}");

    // Bob gets the message intact, without any trace of the Bcc.
    let got = me.inbox("bob", 1);
    let m = read_message(&got[0].bytes);
    assert_eq!(m.subject.as_deref(), Some(subject));
    assert_eq!(m.from[0].address, format!("{USER}@{DOMAIN}"));
    assert!(m.text.contains("bis morgen im Büro"), "{:?}", m.text);
    assert!(m.message_id.is_some() && m.date.is_some());
    assert_eq!(m.attachments[0].name.as_deref(), Some("Übersicht März.pdf"));
    let (_, bytes) = coffer_core::mime::attachment(&got[0].bytes, 0).unwrap();
    assert_eq!(bytes, b"%PDF-1.4\n%\xe2\xe3\n");
    assert!(m.bcc.is_empty());
    assert!(!String::from_utf8_lossy(&got[0].bytes).contains("carol@"));
    // Carol, the blind copy, gets it too.
    assert_eq!(
        read_message(&me.inbox("carol", 1)[0].bytes)
            .subject
            .as_deref(),
        Some(subject)
    );

    // The sender keeps exactly one copy, sealed; the index has it, Bcc included.
    let sent = me.sent();
    assert_eq!(sent.len(), 1);
    assert_only_seals(&sent, &["Tresor", "bob@", "carol@", "PDF"]);
    let hits = me.json(&["search", "--json", "in:Sent"]);
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits:#}");
    let id = hits[0]["id"].to_string();
    let shown = me.json(&["show", &id, "--json"]);
    assert_eq!(shown["subject"], subject);
    assert!(
        shown["bcc"]
            .as_str()
            .unwrap()
            .contains("carol@example.test"),
        "{shown:#}"
    );
    assert_eq!(me.json(&["outbox", "--json"]), Value::Array(vec![]));

    // A reply threads with its original in the index.
    me.ok(
        &["send", "--reply-to-id", &id, "--to", "bob@example.test"],
        "One more thing.\n",
    );
    let reply = read_message(
        &me.inbox("bob", 2)
            .iter()
            .map(|m| m.bytes.clone())
            .find(|b| read_message(b).subject.as_deref() == Some(&format!("Re: {subject}")))
            .unwrap(),
    );
    assert_eq!(reply.in_reply_to, [m.message_id.clone().unwrap()]);
    assert!(reply.text.contains("> Hallo Bob,"), "{:?}", reply.text);
    let threads = me.json(&["search", "--json", "--threads", "in:Sent"]);
    assert_eq!(threads.as_array().unwrap().len(), 1, "{threads:#}");
    assert_eq!(threads[0]["messages"].as_array().unwrap().len(), 2);
    assert_only_seals(&me.sent(), &["Tresor", "bob@", "One more thing"]);

    // A forward carries the original's attachments.
    me.ok(
        &["send", "--forward", &id, "--to", "bob@example.test"],
        "FYI.\n",
    );
    let forwarded = me
        .inbox("bob", 3)
        .into_iter()
        .find(|m| read_message(&m.bytes).subject.as_deref() == Some(&format!("Fwd: {subject}")))
        .unwrap();
    let f = read_message(&forwarded.bytes);
    assert!(
        f.text.contains("Forwarded message") && f.text.contains("bis morgen"),
        "{:?}",
        f.text
    );
    assert_eq!(f.attachments[0].name.as_deref(), Some("Übersicht März.pdf"));
    let (_, bytes) = coffer_core::mime::attachment(&forwarded.bytes, 0).unwrap();
    assert_eq!(bytes, b"%PDF-1.4\n%\xe2\xe3\n");
}

#[test]
fn a_refused_recipient_is_named_and_the_others_get_it_once() {
    let me = Sender::new();
    let out = me.coffer(
        &[
            "send",
            "--to",
            "nobody@example.test",
            "--to",
            "bob@example.test",
            "--subject",
            "partial",
        ],
        "Hello.\n",
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("nobody@example.test"), "{said}");
    assert!(said.contains("no such user"), "{said}");
    assert_eq!(me.inbox("bob", 1).len(), 1);
    // Failed for nobody@, kept with the server's reply; bob@ is never sent to again.
    let outbox = me.json(&["outbox", "--json"]);
    assert_eq!(outbox[0]["state"], "failed", "{outbox:#}");
    me.ok(&["outbox", "--retry"], "");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(me.server.mailbox_contents("bob", "INBOX").unwrap().len(), 1);
    assert_eq!(me.sent().len(), 1, "one sealed copy for the one message");
    me.ok(&["outbox", "--discard", &outbox[0]["id"].to_string()], "");
    assert_eq!(me.json(&["outbox", "--json"]), Value::Array(vec![]));
}

#[test]
fn with_postfix_stopped_the_message_waits_and_goes_out_exactly_once() {
    let me = Sender::new();
    me.server.stop_smtp();
    let out = me.coffer(
        &["send", "--to", "bob@example.test", "--subject", "patience"],
        "Sent when the server is back.\n",
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("kept in the outbox"), "{}", text(&out));
    let queued = me.json(&["outbox", "--json"]);
    assert_eq!(queued[0]["state"], "queued", "{queued:#}");
    assert!(me.sent().is_empty(), "nothing is stored before it is sent");

    me.server.start_smtp().unwrap();
    me.ok(&["outbox", "--retry"], "");
    assert_eq!(me.inbox("bob", 1).len(), 1);
    me.ok(&["outbox", "--retry"], "");
    std::thread::sleep(Duration::from_secs(2));
    let got = me.server.mailbox_contents("bob", "INBOX").unwrap();
    assert_eq!(got.len(), 1, "sent exactly once");
    assert_eq!(
        read_message(&got[0].bytes).subject.as_deref(),
        Some("patience")
    );
    assert_eq!(me.sent().len(), 1);
    assert_eq!(me.json(&["outbox", "--json"]), Value::Array(vec![]));
}

#[test]
fn drafts_are_sealed_replaced_by_uid_resumed_on_another_device_and_sent() {
    let me = Sender::new();
    let first: Value = serde_json::from_slice(
        &me.ok(
            &[
                "send",
                "--save-draft",
                "--json",
                "--to",
                "bob@example.test",
                "--subject",
                "plan",
            ],
            "First thoughts.\n",
        )
        .stdout,
    )
    .unwrap();
    let first = first["draft"].to_string();
    let drafts = me.server.mailbox_contents(USER, "Drafts").unwrap();
    assert_eq!(drafts.len(), 1);
    assert_only_seals(&drafts, &["plan", "thoughts", "bob@"]);

    // Saving again replaces the previous draft on the server, by its UID.
    let second: Value = serde_json::from_slice(
        &me.ok(
            &[
                "send",
                "--save-draft",
                "--json",
                "--replaces-draft",
                &first,
                "--to",
                "bob@example.test",
                "--subject",
                "plan",
            ],
            "Second, better thoughts.\n",
        )
        .stdout,
    )
    .unwrap();
    let second = second["draft"].to_string();
    let drafts = me.server.mailbox_contents(USER, "Drafts").unwrap();
    assert_eq!(drafts.len(), 1, "one draft: the previous one was replaced");
    assert_only_seals(&drafts, &["plan", "thoughts"]);

    // Another device finds it after rebuilding its index from the server.
    let key = {
        let out = me.ok(&["recovery-key"], "");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let other = me.files.join("other");
    let key_file = me.files.join("key");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    let other_dev = |args: &[&str]| {
        let out = support::coffer()
            .arg("--vault")
            .arg(&other)
            .arg("--passphrase-file")
            .arg(&me.pass)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{args:?}: {}", text(&out));
        out
    };
    other_dev(&["recover", "--recovery-key-file", s(&key_file)]);
    let pw = me.files.join("pw");
    let imap = format!("{}:{}", me.server.host(), me.server.imaps_port());
    let user = format!("{USER}@{DOMAIN}");
    let ca = me.server.ca_file();
    other_dev(&[
        "account",
        "add",
        "mail",
        "--imap",
        &imap,
        "--user",
        &user,
        "--password-file",
        s(&pw),
        "--ca-file",
        s(&ca),
    ]);
    other_dev(&["rebuild"]);
    let found: Value =
        serde_json::from_slice(&other_dev(&["search", "--json", "in:Drafts"]).stdout).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found:#}");
    let shown: Value =
        serde_json::from_slice(&other_dev(&["show", &found[0]["id"].to_string(), "--json"]).stdout)
            .unwrap();
    assert!(
        shown["text"]
            .as_str()
            .unwrap()
            .contains("Second, better thoughts"),
        "{shown:#}"
    );

    // Sending it removes the draft; only the sealed copy in Sent stays.
    me.ok(
        &[
            "send",
            "--replaces-draft",
            &second,
            "--to",
            "bob@example.test",
            "--subject",
            "plan",
        ],
        "Second, better thoughts.\n",
    );
    assert_eq!(me.inbox("bob", 1).len(), 1);
    assert!(
        me.server
            .mailbox_contents(USER, "Drafts")
            .unwrap()
            .is_empty()
    );
    assert_eq!(me.sent().len(), 1);
}

#[test]
fn a_server_gone_mid_send_keeps_the_message_and_it_goes_out_once() {
    let me = Sender::with_proxy();
    let file = me.files.join("big.bin");
    std::fs::write(&file, vec![7u8; 200_000]).unwrap();
    // Cut the connection in the middle of the message's data.
    me.proxy.as_ref().unwrap().cut_after(60_000);
    let out = me.coffer(
        &[
            "send",
            "--to",
            "bob@example.test",
            "--subject",
            "cut",
            "--attach",
            s(&file),
        ],
        "Large.\n",
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("kept in the outbox"), "{}", text(&out));
    assert!(me.proxy.as_ref().unwrap().cuts() > 0, "the cut happened");
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        me.server
            .mailbox_contents("bob", "INBOX")
            .unwrap()
            .is_empty()
    );
    assert!(me.sent().is_empty());

    me.proxy.as_ref().unwrap().unlimited();
    me.ok(&["outbox", "--retry"], "");
    let got = me.inbox("bob", 1);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(me.server.mailbox_contents("bob", "INBOX").unwrap().len(), 1);
    let (_, bytes) = coffer_core::mime::attachment(&got[0].bytes, 0).unwrap();
    assert_eq!(bytes.len(), 200_000);
    assert_eq!(me.sent().len(), 1);
}

/// A provider that files its own copy of sent mail in Sent (as Gmail and
/// Outlook do; here Postfix copies the sender's mail to `alice+Sent`, which
/// Dovecot's LMTP saves into Sent): Coffer adds no second copy, and sealing
/// seals the provider's, so Sent holds exactly one sealed copy per message.
#[test]
fn a_provider_that_files_its_own_copy_gets_no_second_one() {
    let server = MailServer::builder()
        .smtp()
        .user("bob", "bob-pw")
        .dovecot_config("recipient_delimiter = +\nlmtp_save_to_detail_mailbox = yes")
        .postfix_extra(&format!("sender_bcc_maps = static:{USER}+Sent@{DOMAIN}"))
        .start()
        .unwrap();
    let me = Sender::on(server, false);
    for (n, subject) in ["filed one", "filed two"].iter().enumerate() {
        let out = me.ok(
            &["send", "--to", "bob@example.test", "--subject", subject],
            "Hi.\n",
        );
        assert!(
            text(&out).contains("the provider filed its own copy in Sent"),
            "{}",
            text(&out)
        );
        assert_eq!(me.inbox("bob", n + 1).len(), n + 1);
        let sent = me.sent();
        assert_eq!(sent.len(), n + 1, "no second copy from Coffer");
        me.ok(&["seal"], "");
        let sent = me.sent();
        assert_eq!(sent.len(), n + 1, "exactly one copy per message in Sent");
        assert_only_seals(&sent, &["filed", "bob@"]);
    }
    let hits = me.json(&["search", "--json", "in:Sent"]);
    assert_eq!(hits.as_array().unwrap().len(), 2, "{hits:#}");
    assert_eq!(me.json(&["outbox", "--json"]), Value::Array(vec![]));
}
