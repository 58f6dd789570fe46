//! `Vault::seal` against a real Dovecot behind a rewriting proxy: a server
//! that cuts a body, answers a whole fetch with part of it, loses a copy
//! between verify and removal, or treats `UID EXPUNGE` as a bare `EXPUNGE`.
//! No plaintext original goes without a whole, verified copy, and none is
//! left `\Deleted` without one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use coffer_core::SecretString;
use coffer_engine::net::Security;
use coffer_engine::seal::{SealOptions, SealProgress, SealSummary};
use coffer_engine::{KdfPolicy, NewAccount, Vault};
use coffer_harness::rewrite::{Response, RewriteProxy};
use coffer_harness::{MailServer, PASSWORD, StoredMessage, USER};

/// A vault whose account reaches Dovecot through a [`RewriteProxy`].
struct Hostile {
    _tmp: tempfile::TempDir,
    server: MailServer,
    proxy: RewriteProxy,
    vault: Vault,
}

impl Hostile {
    fn new() -> Self {
        let server = MailServer::start().unwrap();
        let proxy = RewriteProxy::start(server.imap_port()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let (vault, _) = Vault::create(
            &tmp.path().join("vault"),
            &SecretString::from("vault pass"),
            KdfPolicy::weak_for_tests(),
        )
        .unwrap();
        vault
            .add_account(NewAccount {
                name: "test".into(),
                imap_host: "127.0.0.1".into(),
                imap_port: proxy.port(),
                username: USER.into(),
                password: SecretString::from(PASSWORD),
                security: Security::InsecureLoopback,
                ca_file: None,
                smtp: None,
                smtp_starttls: false,
            })
            .unwrap();
        Self {
            _tmp: tmp,
            server,
            proxy,
            vault,
        }
    }

    fn put(&self, eml: &[u8], flags: &[&str]) {
        self.server
            .append(
                USER,
                PASSWORD,
                "INBOX",
                eml,
                flags,
                Some("01-Feb-2024 10:00:00 +0000"),
            )
            .unwrap();
    }

    fn inbox(&self) -> Vec<StoredMessage> {
        self.server.mailbox_contents(USER, "INBOX").unwrap()
    }

    fn seal(&self, hook: impl FnMut(SealProgress)) -> SealSummary {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(self.vault.seal(None, &options(), hook))
            .unwrap()
    }

    /// Whether `original` is in INBOX as it was (plaintext, same bytes).
    fn kept(&self, original: &StoredMessage) -> Option<StoredMessage> {
        self.inbox()
            .into_iter()
            .find(|m| m.uid == original.uid && m.bytes == original.bytes)
    }

    /// The originals the sealed copies in INBOX open to.
    fn sealed_originals(&self) -> Vec<Vec<u8>> {
        self.inbox()
            .iter()
            .filter_map(|m| coffer_core::open(self.vault.keys(), &m.bytes).ok())
            .map(|o| o.original)
            .collect()
    }

    /// The UID of the sealed copy of `original` in INBOX.
    fn copy_of(&self, original: &[u8]) -> Option<u32> {
        self.inbox()
            .into_iter()
            .find(|m| {
                coffer_core::open(self.vault.keys(), &m.bytes).is_ok_and(|o| o.original == original)
            })
            .map(|m| m.uid)
    }

    fn config(&self) -> PathBuf {
        self.server.dir().join("dovecot.conf")
    }
}

/// Another client expunging INBOX's message `uid` (through `doveadm`).
fn expunge(config: &PathBuf, uid: u32) {
    let uid = uid.to_string();
    let out = Command::new("doveadm")
        .arg("-c")
        .arg(config)
        .args(["expunge", "-u", USER, "mailbox", "INBOX", "uid", &uid])
        .output()
        .unwrap();
    assert!(out.status.success(), "doveadm expunge: {out:?}");
}

fn mark_deleted(config: &PathBuf, uid: u32) {
    let uid = uid.to_string();
    let out = Command::new("doveadm")
        .arg("-c")
        .arg(config)
        .args([
            "flags",
            "add",
            "-u",
            USER,
            "\\Deleted",
            "mailbox",
            "INBOX",
            "uid",
            &uid,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "doveadm flags: {out:?}");
}

fn options() -> SealOptions {
    SealOptions {
        workers: 1,
        batch_messages: 3,
        ..SealOptions::default()
    }
}

fn eml(i: usize) -> Vec<u8> {
    let mut m = format!(
        "From: s{i}@example.org\r\nTo: alice@example.test\r\nSubject: private {i}\r\n\
         Message-ID: <h{i}@example.org>\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..40 {
        m.extend_from_slice(b"Confidential text that must not stay on the server.\r\n");
    }
    m
}

/// A hook that rewrites the whole-body FETCH responses for `uid`.
fn on_body_of(
    uid: u32,
    mut change: impl FnMut(&mut Response) + Send + 'static,
) -> impl FnMut(&[u8]) -> Vec<u8> + Send + 'static {
    move |bytes| {
        let mut r = Response::parse(bytes);
        if r.fetch_uid() == Some(uid) && r.whole_body().is_some() {
            change(&mut r);
            return r.to_bytes();
        }
        bytes.to_vec()
    }
}

#[test]
fn a_body_cut_on_its_way_keeps_its_original_and_is_reported() {
    let h = Hostile::new();
    for i in 1..=3 {
        h.put(&eml(i), &["\\Seen"]);
    }
    let before = h.inbox();
    // The first time UID 2 is fetched whole, its body is cut to 200 bytes
    // and the literal's count fixed: a well-formed answer, short of its
    // RFC822.SIZE. The second fetch is whole, so the two differ.
    let mut cuts = 0;
    h.proxy.on_response(on_body_of(2, move |r| {
        if cuts == 0 {
            r.truncate_body(200);
        }
        cuts += 1;
    }));
    let summary = h.seal(|_| {});
    assert_eq!(summary.sealed, 2, "{summary:#?}");
    assert_eq!(summary.failed.len(), 1, "{summary:#?}");
    assert_eq!(summary.failed[0].uid, Some(2));
    assert!(
        summary.failed[0].error.contains("did not match the size"),
        "{summary:#?}"
    );
    let kept = h.kept(&before[1]).expect("the original of UID 2 was kept");
    assert!(!kept.flags.contains(&"\\Deleted".to_owned()));
    // No seal of a cut message was made.
    let mut sealed = h.sealed_originals();
    sealed.sort();
    assert_eq!(
        sealed,
        vec![before[0].bytes.clone(), before[2].bytes.clone()]
    );

    // With an honest path, a second run seals it whole.
    h.proxy.clear();
    let again = h.seal(|_| {});
    assert!(again.failed.is_empty(), "{again:#?}");
    assert!(h.sealed_originals().contains(&before[1].bytes));
}

#[test]
fn a_partial_reply_to_a_whole_fetch_is_refused() {
    let h = Hostile::new();
    for i in 1..=3 {
        h.put(&eml(i), &[]);
    }
    let before = h.inbox();
    // UID 2 answered with its first 300 bytes as BODY[]<0>, consistently.
    h.proxy.on_response(on_body_of(2, |r| {
        r.truncate_body(300).make_body_partial();
    }));
    let summary = h.seal(|_| {});
    assert_eq!(summary.sealed, 0, "{summary:#?}");
    assert!(
        summary
            .failed
            .iter()
            .any(|f| f.uid == Some(2) && f.error.contains("partial")),
        "{summary:#?}"
    );
    for m in &before {
        assert!(h.kept(m).is_some(), "original {} removed", m.uid);
    }
    assert!(h.sealed_originals().is_empty());
}

#[test]
fn a_size_the_server_only_estimates_does_not_block_sealing() {
    let h = Hostile::new();
    for i in 1..=3 {
        h.put(&eml(i), &[]);
    }
    let before = h.inbox();
    // Every whole fetch declares 17 bytes more than it sends, as a server
    // estimating sizes would: the bytes are the same each time.
    h.proxy.on_response(move |bytes| {
        let mut r = Response::parse(bytes);
        match r.whole_body().map(Vec::len) {
            Some(len) => r.set_size(len as u64 + 17).to_bytes(),
            None => bytes.to_vec(),
        }
    });
    let summary = h.seal(|_| {});
    assert!(summary.failed.is_empty(), "{summary:#?}");
    assert_eq!(summary.sealed, 3);
    let mut sealed = h.sealed_originals();
    sealed.sort();
    let mut want: Vec<Vec<u8>> = before.into_iter().map(|m| m.bytes).collect();
    want.sort();
    assert_eq!(sealed, want);
    // The originals were fetched a second time to confirm them.
    let fetches = h
        .proxy
        .commands()
        .iter()
        .filter(|c| c.ends_with(" UID FETCH 1:3 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"))
        .count();
    assert_eq!(fetches, 2, "{:?}", h.proxy.commands());
}

#[test]
fn a_copy_gone_before_the_originals_are_marked_leaves_its_original_unmarked() {
    let h = Hostile::new();
    for i in 1..=3 {
        h.put(&eml(i), &["\\Seen"]);
    }
    let before = h.inbox();
    let mut fired = false;
    // The copies are verified; before anything is marked, another client
    // expunges the copy of UID 2 (its original's flags unchanged).
    let summary = h.seal(|p| {
        if let SealProgress::BatchVerified { .. } = p
            && !fired
        {
            fired = true;
            expunge(&h.config(), h.copy_of(&before[1].bytes).unwrap());
        }
    });
    assert!(fired);
    assert_eq!(summary.sealed, 2, "{summary:#?}");
    assert_eq!(summary.failed.len(), 1, "{summary:#?}");
    assert_eq!(summary.failed[0].uid, Some(2));
    assert!(summary.failed[0].error.contains("copy vanished"));
    let kept = h.kept(&before[1]).expect("original 2 kept");
    assert!(
        !kept.flags.contains(&"\\Deleted".to_owned()),
        "left \\Deleted without a copy: {:?}",
        kept.flags
    );
    let again = h.seal(|_| {});
    assert!(again.failed.is_empty(), "{again:#?}");
    assert!(h.copy_of(&before[1].bytes).is_some() && h.kept(&before[1]).is_none());
}

#[test]
fn a_copy_gone_after_the_originals_are_marked_has_the_mark_taken_off_again() {
    let h = Hostile::new();
    for i in 1..=3 {
        h.put(&eml(i), &[]);
    }
    let before = h.inbox();
    // The copy of UID 2 is expunged by another client just before the
    // server carries out the STORE of \Deleted on the originals.
    let copy = Arc::new(AtomicU32::new(0));
    let (config, armed) = (h.config(), Arc::clone(&copy));
    h.proxy.on_command(move |line| {
        let uid = armed.load(Ordering::SeqCst);
        if uid != 0 && line.contains(" UID STORE ") && line.contains("+FLAGS.SILENT (\\Deleted)") {
            expunge(&config, uid);
            armed.store(0, Ordering::SeqCst);
        }
        None
    });
    let summary = h.seal(|p| {
        if let SealProgress::BatchVerified { .. } = p {
            copy.store(h.copy_of(&before[1].bytes).unwrap(), Ordering::SeqCst);
        }
    });
    let kept = h.kept(&before[1]).expect("original 2 kept");
    assert!(
        !kept.flags.contains(&"\\Deleted".to_owned()),
        "left \\Deleted without a copy: {:?}",
        kept.flags
    );
    assert_eq!(summary.sealed, 2, "{summary:#?}");
    assert_eq!(summary.failed.len(), 1, "{summary:#?}");
    assert_eq!(summary.failed[0].uid, Some(2));
    assert!(summary.failed[0].error.contains("copy vanished"));
    // The mark was taken off again.
    assert!(
        h.proxy.commands().iter().any(|c| c.contains("-FLAGS")),
        "{:?}",
        h.proxy.commands()
    );
}

#[test]
fn a_server_whose_uid_expunge_removes_all_deleted_mail_is_caught_and_remembered() {
    let h = Hostile::new();
    // Another client's mail, marked \Deleted and left for it to expunge: a
    // sealed message deleted in that client (plaintext marked \Deleted is
    // sealed like any other, so it would not stay to be noticed).
    h.put(&eml(9), &[]);
    assert_eq!(h.seal(|_| {}).sealed, 1);
    let theirs = h.inbox()[0].clone();
    mark_deleted(&h.config(), theirs.uid);
    let theirs = h.inbox()[0].clone();
    assert!(theirs.flags.contains(&"\\Deleted".to_owned()));
    for i in 1..=2 {
        h.put(&eml(i), &[]);
    }
    h.proxy.on_command(|line| {
        let at = line.find(" UID EXPUNGE ")?;
        Some(format!("{} EXPUNGE", &line[..at]))
    });
    let summary = h.seal(|_| {});
    // Our originals went, as asked; the other client's message went too.
    assert_eq!(summary.sealed, 2, "{summary:#?}");
    assert!(h.kept(&theirs).is_none());
    let stopped = summary.folders["INBOX"]
        .stopped
        .clone()
        .expect("INBOX stopped");
    assert!(stopped.contains("UID EXPUNGE"), "{stopped}");
    let alarm = summary
        .failed
        .iter()
        .find(|f| f.uid.is_none())
        .expect("the folder's failure");
    assert!(alarm.error.contains("bare EXPUNGE"), "{}", alarm.error);
    assert!(
        alarm.error.contains(&format!("UID {}", theirs.uid)),
        "{}",
        alarm.error
    );
    assert!(
        alarm.error.contains("another client expunging"),
        "{}",
        alarm.error
    );
    assert!(h.vault.expunge_refusal("test").unwrap().is_some());

    // The next run expunges nothing: it seals and keeps the original.
    h.put(&eml(3), &[]);
    let third = h.inbox().into_iter().find(|m| m.bytes == eml(3)).unwrap();
    h.proxy.forget_commands();
    let again = h.seal(|_| {});
    assert!(
        !h.proxy.commands().iter().any(|c| c.contains("EXPUNGE")),
        "{:?}",
        h.proxy.commands()
    );
    assert_eq!(again.kept_originals, 1, "{again:#?}");
    assert!(
        again
            .warnings
            .iter()
            .any(|w| w.contains("expunging is off"))
    );
    let kept = h.kept(&third).expect("the original kept");
    assert!(!kept.flags.contains(&"\\Deleted".to_owned()));
    assert!(h.copy_of(&third.bytes).is_some());

    // Until the user allows it again.
    assert!(h.vault.allow_expunge("test").unwrap());
    assert!(!h.vault.allow_expunge("test").unwrap());
    h.proxy.clear();
    let last = h.seal(|_| {});
    assert!(last.failed.is_empty(), "{last:#?}");
    assert_eq!(last.sealed, 1);
    assert!(h.kept(&third).is_none());
}
