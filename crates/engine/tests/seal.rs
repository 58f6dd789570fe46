//! `Vault::seal` in process against a real Dovecot: the safe path end to end,
//! idempotent re-runs, dry runs, folders changing under a run, other clients
//! working meanwhile, no UIDPLUS, size limits and forged seals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use coffer_core::Authenticity;
use coffer_core::seal::{InternalDate, SealInput, testkit};
use coffer_engine::seal::{Outcome, SealOptions, SealProgress, SealSummary};
use coffer_harness::{MailServer, PASSWORD, StoredMessage, TestVault, USER};

/// The shared fixture, with the sealing helpers these tests use.
struct Setup(TestVault);

impl std::ops::Deref for Setup {
    type Target = TestVault;
    fn deref(&self) -> &TestVault {
        &self.0
    }
}

impl Setup {
    fn new() -> Self {
        Self(TestVault::start())
    }

    fn with(server: MailServer) -> Self {
        Self(TestVault::builder().started(server).build())
    }

    fn seal(&self, options: &SealOptions, hook: impl FnMut(SealProgress)) -> SealSummary {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(self.vault.seal(None, options, hook))
            .unwrap()
    }

    fn doveadm(&self, args: &[&str]) {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.server.dir().join("dovecot.conf"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "doveadm {args:?}: {out:?}");
    }
}

fn options() -> SealOptions {
    SealOptions {
        batch_messages: 3,
        ..SealOptions::default()
    }
}

fn eml(i: usize, body_bytes: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Sender {i} <s{i}@example.org>\r\nTo: alice@example.test\r\nSubject: private {i}\r\n\
         Message-ID: <m{i}@example.org>\r\n\r\n"
    )
    .into_bytes();
    let line = b"The quick brown fox jumps over the lazy dog, privately. 0123456789\r\n";
    while m.len() < body_bytes + 120 && body_bytes > 0 {
        m.extend_from_slice(line);
    }
    m
}

fn sorted(flags: &[String]) -> Vec<String> {
    let mut f: Vec<String> = flags
        .iter()
        .filter(|f| f.as_str() != "\\Recent")
        .cloned()
        .collect();
    f.sort();
    f
}

/// Checks that `folder` holds exactly sealed copies of `originals`
/// (bytes, flags, INTERNALDATE), each verified as this vault's.
fn assert_sealed_copies_of(setup: &Setup, folder: &str, originals: &[StoredMessage]) {
    let now = setup.contents(folder);
    assert_eq!(now.len(), originals.len(), "{folder}: message count");
    let mut want: BTreeMap<Vec<u8>, &StoredMessage> =
        originals.iter().map(|m| (m.bytes.clone(), m)).collect();
    for copy in &now {
        let opened = coffer_core::open(setup.vault.keys(), &copy.bytes)
            .unwrap_or_else(|e| panic!("{folder} UID {} is not a seal: {e}", copy.uid));
        assert_eq!(opened.authenticity, Authenticity::Verified);
        assert_eq!(opened.manifest.folder, folder);
        let original = want
            .remove(&opened.original)
            .unwrap_or_else(|| panic!("{folder}: a seal of an unknown original"));
        assert_eq!(
            sorted(&copy.flags),
            sorted(&original.flags),
            "{folder}: flags"
        );
        assert_eq!(copy.internaldate, original.internaldate, "{folder}: date");
        assert_eq!(
            opened.manifest.internaldate.unix_seconds(),
            original.internaldate
        );
    }
    assert!(want.is_empty(), "{folder}: originals without a seal");
}

#[test]
fn every_folder_ends_up_sealed_and_a_rerun_changes_nothing() {
    let s = Setup::new();
    let folders = ["INBOX", "Work/Projects", "Ärchiv/Čeština 2024"];
    for f in &folders[1..] {
        s.server.create_folder(USER, f).unwrap();
    }
    let sizes = [0, 10, 3_000, 70_000, 1_200_000];
    let flag_sets: [&[&str]; 4] = [
        &[],
        &["\\Seen"],
        &["\\Flagged", "$Label1"],
        &["\\Answered", "\\Seen"],
    ];
    let mut n = 0;
    for (fi, folder) in folders.iter().enumerate() {
        for (si, size) in sizes.iter().enumerate() {
            n += 1;
            let date = format!("{:02}-Feb-2024 10:{:02}:00 +0000", fi + 1, si);
            s.put(folder, &eml(n, *size), flag_sets[(fi + si) % 4], &date);
        }
    }
    // One large message (20 MB body) among them.
    s.put(
        "INBOX",
        &eml(999, 20_000_000),
        &[],
        "05-Mar-2024 08:00:00 +0000",
    );
    let before: BTreeMap<&str, Vec<StoredMessage>> =
        folders.iter().map(|f| (*f, s.contents(f))).collect();

    // A dry run lists everything and changes nothing.
    let dry = s.seal(
        &SealOptions {
            dry_run: true,
            ..options()
        },
        |_| {},
    );
    assert_eq!(dry.would_seal.len(), 16);
    assert_eq!(dry.outcome(), Outcome::Complete);
    for f in folders {
        assert_eq!(s.contents(f), before[f], "dry run changed {f}");
    }

    let mut progressed = 0;
    let summary = s.seal(&options(), |p| {
        if let SealProgress::Progressed { messages, .. } = p {
            progressed += messages;
        }
    });
    assert_eq!(summary.failed, vec![], "{summary:#?}");
    assert_eq!(summary.sealed, 16, "{summary:#?}");
    assert_eq!(summary.outcome(), Outcome::Complete);
    assert_eq!(progressed, 16);
    for f in folders {
        assert_sealed_copies_of(&s, f, &before[f]);
        // \Seen was never added to unread mail.
        let unread_before = before[f]
            .iter()
            .filter(|m| !m.flags.contains(&"\\Seen".into()))
            .count();
        let unread_after = s
            .contents(f)
            .iter()
            .filter(|m| !m.flags.contains(&"\\Seen".into()))
            .count();
        assert_eq!(unread_before, unread_after, "{f}");
    }

    // Re-running: everything is already sealed, nothing moves.
    let sealed_state: BTreeMap<&str, Vec<StoredMessage>> =
        folders.iter().map(|f| (*f, s.contents(f))).collect();
    let again = s.seal(&options(), |_| {});
    assert_eq!((again.sealed, again.already_sealed), (0, 16), "{again:#?}");
    assert_eq!(again.outcome(), Outcome::Complete);
    for f in folders {
        assert_eq!(s.contents(f), sealed_state[f], "re-run changed {f}");
    }
    let counts = s.vault.store().journal_counts("test").unwrap();
    assert_eq!(counts, vec![(coffer_store::JournalState::Deleted, 16)]);
}

#[test]
fn a_folder_recreated_mid_run_stops_and_loses_nothing() {
    let s = Setup::new();
    s.server.create_folder(USER, "Box").unwrap();
    for i in 0..9 {
        s.put("Box", &eml(i, 200), &[], "01-Feb-2024 10:00:00 +0000");
        s.put(
            "INBOX",
            &eml(100 + i, 200),
            &["\\Seen"],
            "01-Feb-2024 10:00:00 +0000",
        );
    }
    let inbox = s.contents("INBOX");
    let newcomers: Vec<Vec<u8>> = (0..3).map(|i| eml(500 + i, 100)).collect();
    let mut fired = false;
    let summary = s.seal(
        &SealOptions {
            workers: 1,
            ..options()
        },
        |p| {
            if let SealProgress::Progressed { folder, .. } = p
                && folder == "Box"
                && !fired
            {
                fired = true;
                s.server.delete_folder(USER, "Box").unwrap();
                s.server.create_folder(USER, "Box").unwrap();
                for m in &newcomers {
                    s.server.deliver(USER, "Box", m).unwrap();
                }
            }
        },
    );
    assert!(fired);
    let stopped = summary.folders["Box"].stopped.clone().expect("Box stopped");
    assert!(stopped.contains("UIDVALIDITY"), "{stopped}");
    assert_eq!(summary.outcome(), Outcome::FolderChanged, "{summary:#?}");
    assert_eq!(
        summary.outcome().code(),
        Some(coffer_engine::Code::FolderChanged)
    );
    // The new folder's mail is untouched plaintext.
    let now: Vec<Vec<u8>> = s.contents("Box").into_iter().map(|m| m.bytes).collect();
    for m in &newcomers {
        assert!(
            now.contains(m),
            "a message delivered after the change was lost"
        );
    }
    assert_sealed_copies_of(&s, "INBOX", &inbox);
}

#[test]
fn other_clients_deleting_moving_and_flagging_during_a_run_lose_nothing() {
    let s = Setup::new();
    s.server.create_folder(USER, "Archive").unwrap();
    for i in 0..12 {
        s.put("INBOX", &eml(i, 500), &[], "01-Feb-2024 10:00:00 +0000");
    }
    // Marked \Deleted by another client before the run, never expunged: it
    // is sealed all the same, and its copy carries the \Deleted.
    s.put(
        "INBOX",
        &eml(77, 100),
        &["\\Deleted"],
        "01-Feb-2024 10:00:00 +0000",
    );
    let before = s.contents("INBOX");
    let marked = before
        .iter()
        .find(|m| m.flags.contains(&"\\Deleted".into()))
        .unwrap()
        .clone();
    let mut fired = false;
    let summary = s.seal(
        &SealOptions {
            workers: 2,
            batch_messages: 2,
            ..options()
        },
        |p| {
            if let SealProgress::BatchStarted { folder, .. } = p
                && folder == "INBOX"
                && !fired
            {
                fired = true;
                // UIDs 7..12 are still plaintext: flag one, move one,
                // delete one (expunged by the other client itself), and
                // mark one \Deleted without expunging.
                s.doveadm(&[
                    "flags",
                    "add",
                    "-u",
                    USER,
                    "\\Flagged",
                    "mailbox",
                    "INBOX",
                    "uid",
                    "9",
                ]);
                s.doveadm(&[
                    "move", "-u", USER, "Archive", "mailbox", "INBOX", "uid", "10",
                ]);
                s.doveadm(&["expunge", "-u", USER, "mailbox", "INBOX", "uid", "11"]);
                s.doveadm(&[
                    "flags",
                    "add",
                    "-u",
                    USER,
                    "\\Deleted",
                    "mailbox",
                    "INBOX",
                    "uid",
                    "12",
                ]);
            }
        },
    );
    assert!(fired);
    assert!(summary.failed.is_empty(), "{summary:#?}");
    let inbox = s.contents("INBOX");
    // The pre-marked message and the one marked during the run were sealed
    // too: no plaintext waits on the server for another client's expunge.
    // Their copies carry the \Deleted, so that expunge removes the copies;
    // Coffer never expunges a copy.
    let twelve = before.iter().find(|m| m.uid == 12).unwrap().clone();
    for original in [&marked, &twelve] {
        assert!(
            !inbox.iter().any(|m| m.uid == original.uid),
            "UID {} left",
            original.uid
        );
        let copy = inbox
            .iter()
            .find(|c| {
                coffer_core::open(s.vault.keys(), &c.bytes)
                    .is_ok_and(|o| o.original == original.bytes)
            })
            .unwrap_or_else(|| panic!("no sealed copy of UID {}", original.uid));
        assert!(copy.flags.contains(&"\\Deleted".into()), "{:?}", copy.flags);
    }
    // Everything else is sealed; the moved message is in Archive, where a
    // second run seals it.
    let archive = s.contents("Archive");
    assert_eq!(archive.len(), 1);
    let expunged = before.iter().find(|m| m.uid == 11).unwrap();
    let mut originals_left = 0;
    for m in &before {
        if m.uid == 11 {
            continue;
        }
        let in_archive = archive.iter().any(|a| a.bytes == m.bytes);
        let sealed = inbox.iter().any(|c| {
            coffer_core::open(s.vault.keys(), &c.bytes).is_ok_and(|o| o.original == m.bytes)
        });
        assert!(in_archive || sealed, "UID {} was lost", m.uid);
        originals_left += usize::from(in_archive);
    }
    assert_eq!(originals_left, 1);
    assert!(!inbox.iter().any(|c| c.bytes == expunged.bytes));
    let again = s.seal(&options(), |_| {});
    assert!(again.failed.is_empty(), "{again:#?}");
    assert!(coffer_core::open(s.vault.keys(), &s.contents("Archive")[0].bytes).is_ok());
}

#[test]
fn flags_another_client_changes_before_the_original_goes_carry_over_to_the_copy() {
    let s = Setup::new();
    s.put("INBOX", &eml(1, 300), &[], "01-Mar-2024 09:00:00 +0000");
    s.put(
        "INBOX",
        &eml(2, 300),
        &["\\Answered"],
        "01-Mar-2024 09:00:00 +0000",
    );
    s.put(
        "INBOX",
        &eml(3, 300),
        &["\\Seen"],
        "01-Mar-2024 09:00:00 +0000",
    );
    let mut before = s.contents("INBOX");
    let flags = |op: &str, flags: &str, uid: u32| {
        let uid = uid.to_string();
        s.doveadm(&[
            "flags", op, "-u", USER, flags, "mailbox", "INBOX", "uid", &uid,
        ]);
    };
    let mut fired = false;
    let summary = s.seal(&options(), |p| {
        // The copies (UIDs 4, 5, 6) are verified; the originals are about
        // to go. Another client reads and flags the first original and
        // labels its copy, un-answers the second, and flags the third but
        // expunges its copy.
        if let SealProgress::BatchVerified { uids, .. } = p
            && !fired
        {
            fired = true;
            assert_eq!(uids, vec![1, 2, 3]);
            flags("add", "\\Seen \\Flagged", 1);
            flags("add", "$OnCopy", 4);
            flags("remove", "\\Answered", 2);
            flags("add", "\\Flagged", 3);
            s.doveadm(&["expunge", "-u", USER, "mailbox", "INBOX", "uid", "6"]);
        }
    });
    assert!(fired);
    // The third original stays: its copy was gone.
    assert_eq!(summary.failed.len(), 1, "{summary:#?}");
    assert_eq!(summary.failed[0].uid, Some(3));
    assert!(
        summary.failed[0].error.contains("copy vanished"),
        "{summary:#?}"
    );
    let inbox = s.contents("INBOX");
    assert!(
        inbox.iter().any(|m| m.bytes == before[2].bytes),
        "original 3 kept"
    );

    // A second run seals it; the copies carry the flags as they were when
    // the originals went, and the copy keeps the label it was given.
    let again = s.seal(&options(), |_| {});
    assert!(again.failed.is_empty(), "{again:#?}");
    before[0].flags = vec!["$OnCopy".into(), "\\Flagged".into(), "\\Seen".into()];
    before[1].flags = Vec::new();
    before[2].flags = vec!["\\Flagged".into(), "\\Seen".into()];
    assert_sealed_copies_of(&s, "INBOX", &before);
}

#[test]
fn without_uidplus_or_move_copies_are_made_and_originals_kept() {
    let s = Setup::with(
        MailServer::builder()
            .without_capabilities(&["UIDPLUS", "MOVE"])
            .start()
            .unwrap(),
    );
    for i in 0..4 {
        s.put("INBOX", &eml(i, 300), &[], "01-Feb-2024 10:00:00 +0000");
    }
    let before = s.contents("INBOX");
    let summary = s.seal(&options(), |_| {});
    assert!(!summary.uidplus);
    assert_eq!(summary.kept_originals, 4, "{summary:#?}");
    assert_eq!(summary.sealed, 0);
    assert_eq!(summary.outcome(), Outcome::Incomplete);
    assert!(summary.warnings.iter().any(|w| w.contains("UIDPLUS")));
    let now = s.contents("INBOX");
    assert_eq!(now.len(), 8);
    for m in &before {
        assert!(now.iter().any(|n| n.bytes == m.bytes), "original kept");
    }
    // A re-run makes no second copy.
    let again = s.seal(&options(), |_| {});
    assert_eq!(s.contents("INBOX").len(), 8, "{again:#?}");
    assert_eq!(again.kept_originals, 4);
}

#[test]
fn oversized_messages_are_skipped_and_forgeries_are_sealed_as_they_are() {
    let s = Setup::new();
    s.put("INBOX", &eml(1, 300), &[], "01-Feb-2024 10:00:00 +0000");
    s.put("INBOX", &eml(2, 200_000), &[], "01-Feb-2024 10:00:00 +0000");
    let original = eml(3, 100);
    let flags: Vec<String> = Vec::new();
    let forged = testkit::forge(
        &[s.vault.keys().recipient()],
        &SealInput {
            folder: "INBOX",
            flags: &flags,
            internaldate: InternalDate::new(1_706_781_600, 0).unwrap(),
            original: &original,
        },
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    s.server.deliver(USER, "INBOX", &forged).unwrap();
    let summary = s.seal(
        &SealOptions {
            max_message_bytes: 100_000,
            ..options()
        },
        |_| {},
    );
    // The forgery is no seal of this vault: it is sealed like any other
    // message, its bytes kept exactly inside the genuine seal.
    assert_eq!(summary.sealed, 2, "{summary:#?}");
    assert_eq!(summary.already_sealed, 0);
    assert_eq!(summary.skipped.len(), 1);
    assert!(summary.skipped[0].reason.contains("size limit"));
    assert_eq!(summary.not_ours.len(), 1);
    assert!(summary.not_ours[0].reason.contains("forged"));
    assert_eq!(summary.outcome(), Outcome::Incomplete, "the oversized one");
    let now = s.contents("INBOX");
    assert!(
        !now.iter().any(|m| m.bytes == forged),
        "the forgery is gone"
    );
    assert!(
        now.iter()
            .any(|m| coffer_core::open(s.vault.keys(), &m.bytes)
                .is_ok_and(|o| o.authenticity == coffer_core::Authenticity::Verified
                    && o.original == forged)),
        "the forgery is inside a genuine seal"
    );
    assert!(
        now.iter().any(|m| m.bytes == eml(2, 200_000)),
        "the large one"
    );
}

/// The seal path's journal survives: a vault reopened sees the rows.
#[test]
fn accounts_are_listed_without_passwords_and_removed() {
    let s = Setup::new();
    let list = s.vault.accounts().unwrap();
    assert_eq!(list.len(), 1);
    let json = serde_json::to_string(&list).unwrap();
    assert!(!json.contains(PASSWORD));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let test = rt.block_on(s.vault.test_account("test")).unwrap();
    assert!(test.uidplus && test.tls);
    assert!(test.folders.contains(&"INBOX".to_owned()));
    s.vault.remove_account("test").unwrap();
    assert!(s.vault.remove_account("test").is_err());
    let _: PathBuf = s.server.ca_file();
}

/// The app's Pause and Cancel act between batches: a paused run starts no
/// batch until resumed, a cancelled one ends after the batch in flight, and
/// every message is either sealed (verified copy only) or untouched.
#[test]
fn pause_and_cancel_stop_between_batches_and_lose_nothing() {
    use coffer_engine::seal::SealControl;
    use std::sync::Arc;

    let s = Setup::new();
    for i in 0..9 {
        s.put("INBOX", &eml(i, 500), &[], "01-Feb-2024 10:00:00 +0000");
    }
    let before = s.contents("INBOX");

    // Cancel as the first batch is verified: it finishes, nothing more starts.
    let control = Arc::new(SealControl::default());
    let opts = SealOptions {
        workers: 1,
        control: Some(Arc::clone(&control)),
        ..options()
    };
    let mut started = 0;
    let summary = s.seal(&opts, |p| match p {
        SealProgress::BatchStarted { .. } => started += 1,
        SealProgress::BatchVerified { .. } => control.cancel(),
        _ => {}
    });
    assert!(summary.cancelled);
    assert_eq!((started, summary.sealed), (1, 3), "{summary:?}");
    let now = s.contents("INBOX");
    assert_eq!(now.len(), 9, "3 sealed copies and 6 untouched originals");
    let plaintext: Vec<_> = now
        .iter()
        .filter(|m| coffer_core::open(s.vault.keys(), &m.bytes).is_err())
        .map(|m| m.bytes.clone())
        .collect();
    assert_eq!(plaintext.len(), 6);
    assert!(
        plaintext
            .iter()
            .all(|p| before.iter().any(|b| &b.bytes == p))
    );

    // Pause after a batch: nothing starts while paused; resume finishes.
    let control = Arc::new(SealControl::default());
    let opts = SealOptions {
        workers: 1,
        control: Some(Arc::clone(&control)),
        ..options()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let events = std::cell::RefCell::new(Vec::new());
    let summary = rt.block_on(async {
        let resumer = {
            let control = Arc::clone(&control);
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                assert!(control.is_paused());
                control.resume();
            }
        };
        let run = s.vault.seal(None, &opts, |p| {
            if let SealProgress::Progressed { .. } = p
                && events.borrow().iter().all(|e: &String| e != "paused")
            {
                control.pause();
                events.borrow_mut().push("paused".into());
            }
            if let SealProgress::BatchStarted { .. } = p {
                events
                    .borrow_mut()
                    .push(format!("started paused={}", control.is_paused()));
            }
        });
        let (summary, ()) = tokio::join!(run, resumer);
        summary.unwrap()
    });
    assert!(!summary.cancelled);
    assert_eq!(summary.sealed, 6, "{summary:?}");
    assert!(
        events.borrow().iter().all(|e| e != "started paused=true"),
        "a batch started while paused: {:?}",
        events.borrow()
    );
    assert_sealed_copies_of(&s, "INBOX", &before);
}
