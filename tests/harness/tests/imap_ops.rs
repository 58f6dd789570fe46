//! coffer-net's operations for the safe sealing path against a real Dovecot,
//! each result checked through Dovecot's own tools (`doveadm`), not through
//! coffer-net.

use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer_harness::{MailServer, PASSWORD, USER};
use coffer_net::{AppendUid, IdleOutcome, ImapConfig, ImapSession, NetError};
use secrecy::SecretString;

/// 2023-11-14 22:13:20 UTC.
const WHEN: i64 = 1_700_000_000;

async fn connect(server: &MailServer) -> anyhow::Result<ImapSession> {
    let mut config = ImapConfig::new(server.host(), server.imaps_port());
    config.ca_file = Some(server.ca_file());
    Ok(ImapSession::connect(&config, USER, &SecretString::from(PASSWORD.to_owned())).await?)
}

fn eml(subject: &str, extra_header: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@example.test>\r\n{extra_header}\r\n{body}\r\n"
    )
    .replace("\r\n\r\n\r\n", "\r\n\r\n")
    .into_bytes()
}

fn flags(f: &[&str]) -> Vec<String> {
    f.iter().map(|s| (*s).to_owned()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.retain(|f| f != "\\Recent");
    v.sort();
    v
}

#[tokio::test]
async fn append_returns_appenduid_and_keeps_bytes_flags_and_date_exactly() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let mut s = connect(&server).await?;
    let status = s.select("INBOX").await?;
    let message = eml("exact", "", "Hello,\r\n\r\nexactly these bytes.");
    let wanted = flags(&["\\Seen", "\\Flagged", "$Label1", "\\Answered"]);
    let placed = s.append("INBOX", &wanted, WHEN, &message).await?;
    let Some(AppendUid { uid_validity, uid }) = placed else {
        panic!("Dovecot advertises UIDPLUS but no APPENDUID came back");
    };
    assert_eq!(uid_validity, status.uid_validity);
    assert_eq!(Some(uid), status.uid_next);

    let stored = server.mailbox_contents(USER, "INBOX")?;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].uid, uid);
    assert_eq!(stored[0].bytes, message);
    assert_eq!(stored[0].internaldate, WHEN);
    assert_eq!(sorted(stored[0].flags.clone()), sorted(wanted));
    Ok(())
}

#[tokio::test]
async fn append_to_a_non_ascii_folder_and_without_flags() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.create_folder(USER, "Reçus/Été")?;
    let mut s = connect(&server).await?;
    let message = eml("accents", "", "Body.");
    let placed = s.append("Reçus/Été", &[], WHEN, &message).await?;
    assert!(placed.is_some());
    let stored = server.mailbox_contents(USER, "Reçus/Été")?;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].bytes, message);
    assert_eq!(sorted(stored[0].flags.clone()), Vec::<String>::new());
    // The UIDVALIDITY in APPENDUID is the one SELECT reports for that folder.
    let status = s.select("Reçus/Été").await?;
    assert_eq!(placed.map(|p| p.uid_validity), Some(status.uid_validity));
    assert_eq!(status.exists, 1);
    Ok(())
}

#[tokio::test]
async fn bad_flags_and_folder_names_are_refused_before_sending() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let mut s = connect(&server).await?;
    let message = eml("refused", "", "Body.");
    for bad in [
        "\\Recent",
        "\\Important",
        "two words",
        "x)",
        "a]b",
        "\r\nA1 LOGOUT",
        "",
    ] {
        let err = s
            .append("INBOX", &flags(&[bad]), WHEN, &message)
            .await
            .expect_err("a bad flag must be refused");
        assert!(
            matches!(err, NetError::InvalidArgument { what: "flag", .. }),
            "{bad:?}: {err:?}"
        );
    }
    for bad in ["evil\r\nA1 DELETE INBOX", "", "nul\0"] {
        let err = s
            .append(bad, &[], WHEN, &message)
            .await
            .expect_err("a bad folder name must be refused");
        assert!(
            matches!(
                err,
                NetError::InvalidArgument {
                    what: "folder name",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
    // Nothing reached the server, and the session still works.
    assert!(server.mailbox_contents(USER, "INBOX")?.is_empty());
    assert!(!server.dovecot_log().contains("evil"));
    assert!(s.append("INBOX", &[], WHEN, &message).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn append_to_a_missing_folder_is_refused_and_the_session_stays_in_step() -> anyhow::Result<()>
{
    let server = MailServer::start()?;
    let mut s = connect(&server).await?;
    // With LITERAL+ the literal is sent before the server can say NO; the
    // connection must still be in step afterwards.
    let message = eml("nowhere", "", &"line of text\r\n".repeat(1000));
    let err = s
        .append("Does/Not/Exist", &[], WHEN, &message)
        .await
        .expect_err("no such folder");
    assert!(
        matches!(
            err,
            NetError::Refused {
                command: "APPEND",
                ..
            }
        ),
        "{err:?}"
    );
    s.select("INBOX").await?;
    let placed = s.append("INBOX", &[], WHEN, &message).await?;
    assert!(placed.is_some());
    assert_eq!(s.uid_list().await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn uid_list_reports_uids_sizes_flags_and_dates_without_bodies() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.deliver(USER, "INBOX", &eml("one", "", "short"))?;
    server.append(
        USER,
        PASSWORD,
        "INBOX",
        &eml("two", "", &"x".repeat(10_000)),
        &["\\Flagged", "$Work"],
        Some("01-Feb-2024 10:00:00 +0100"),
    )?;
    server.deliver(USER, "INBOX", &eml("three", "", ""))?;
    let mut s = connect(&server).await?;
    s.examine("INBOX").await?;
    let listed = s.uid_list().await?;
    let stored = server.mailbox_contents(USER, "INBOX")?;
    assert_eq!(listed.len(), 3);
    for (l, st) in listed.iter().zip(&stored) {
        assert_eq!(l.uid, st.uid);
        assert_eq!(
            l.size as usize,
            st.bytes.len(),
            "RFC822.SIZE of UID {}",
            l.uid
        );
        assert_eq!(l.internaldate, st.internaldate);
        assert_eq!(sorted(l.flags.clone()), sorted(st.flags.clone()));
    }
    assert_eq!(listed[1].internaldate, 1_706_778_000);
    // An empty folder lists as empty, not as an error.
    s.examine("Archive").await?;
    assert!(s.uid_list().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn fetch_one_returns_the_exact_message_and_never_sets_seen() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let message = eml("unread", "", "Still unread after Coffer read it.");
    server.deliver(USER, "INBOX", &message)?;
    let mut s = connect(&server).await?;
    // Read-write, so a plain BODY[] would set \Seen.
    s.select("INBOX").await?;
    let uid = server.mailbox_contents(USER, "INBOX")?[0].uid;
    let fetched = s.uid_fetch_one(uid).await?.expect("the message exists");
    assert_eq!(fetched.uid, uid);
    assert_eq!(fetched.body, message);
    assert!(!fetched.flags.iter().any(|f| f == "\\Seen"), "{fetched:?}");
    let stored = server.mailbox_contents(USER, "INBOX")?;
    assert_eq!(fetched.internaldate, stored[0].internaldate);
    assert!(
        !stored[0].flags.iter().any(|f| f == "\\Seen"),
        "fetching set \\Seen: {:?}",
        stored[0].flags
    );
    // A UID that does not exist is None; UID 0 is refused before sending.
    assert_eq!(s.uid_fetch_one(uid + 100).await?, None);
    assert!(matches!(
        s.uid_fetch_one(0).await,
        Err(NetError::InvalidArgument { what: "UID", .. })
    ));
    Ok(())
}

#[tokio::test]
async fn search_by_header_finds_the_appended_message() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.deliver(USER, "INBOX", &eml("plain", "", "not sealed"))?;
    let mut s = connect(&server).await?;
    s.select("INBOX").await?;
    let sealed = eml("sealed", "X-Coffer-Seal-Id: 7f3a9c01d2e4\r\n", "ciphertext");
    let placed = s
        .append("INBOX", &[], WHEN, &sealed)
        .await?
        .expect("APPENDUID");
    assert_eq!(
        s.uid_search_header("X-Coffer-Seal-Id", "7f3a9c01d2e4")
            .await?,
        vec![placed.uid]
    );
    assert!(
        s.uid_search_header("X-Coffer-Seal-Id", "0000000000")
            .await?
            .is_empty()
    );
    for (name, value) in [
        ("X-Coffer: Seal", "v"),
        ("X Coffer", "v"),
        ("", "v"),
        ("X-Coffer-Seal-Id", "a\r\nA1 LOGOUT"),
        ("X-Coffer-Seal-Id", "café"),
    ] {
        let err = s.uid_search_header(name, value).await.expect_err("refused");
        assert!(matches!(err, NetError::InvalidArgument { .. }), "{err:?}");
    }
    Ok(())
}

#[tokio::test]
async fn expunge_removes_only_our_uid_never_other_clients_deleted_mail() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let theirs = eml("theirs", "", "another client marked this deleted");
    server.append(USER, PASSWORD, "INBOX", &theirs, &["\\Deleted"], None)?;
    let mut s = connect(&server).await?;
    assert!(s.has_uidplus().await?);
    s.select("INBOX").await?;
    let ours = s
        .append("INBOX", &[], WHEN, &eml("ours", "", "the original"))
        .await?
        .expect("APPENDUID");
    assert!(s.uid_store_deleted(ours.uid).await?);
    // Marking it again is confirmed too (the server sends no FETCH then).
    assert!(s.uid_store_deleted(ours.uid).await?);
    let flagged = server.mailbox_contents(USER, "INBOX")?;
    assert_eq!(flagged.len(), 2);
    assert!(
        flagged
            .iter()
            .all(|m| m.flags.iter().any(|f| f == "\\Deleted"))
    );

    s.uid_expunge(ours.uid).await?;
    let left = server.mailbox_contents(USER, "INBOX")?;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].bytes, theirs);
    assert!(left[0].flags.iter().any(|f| f == "\\Deleted"));
    // Expunging a UID that is gone changes nothing and is not an error.
    s.uid_expunge(ours.uid).await?;
    assert_eq!(server.mailbox_contents(USER, "INBOX")?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_store_the_server_ignores_in_a_read_only_folder_is_an_error() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.deliver(USER, "INBOX", &eml("ro", "", "read-only"))?;
    let mut s = connect(&server).await?;
    s.examine("INBOX").await?;
    let uid = server.mailbox_contents(USER, "INBOX")?[0].uid;
    let err = s
        .uid_store_deleted(uid)
        .await
        .expect_err("EXAMINE is read-only");
    assert!(
        matches!(
            err,
            NetError::Refused {
                command: "UID STORE",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("read-only"), "{err}");
    let flags_now = server.mailbox_contents(USER, "INBOX")?[0].flags.clone();
    assert_eq!(sorted(flags_now), Vec::<String>::new());
    // A UID that does not exist is reported as not marked, not as an error.
    s.select("INBOX").await?;
    assert!(!s.uid_store_deleted(uid + 100).await?);
    Ok(())
}

#[tokio::test]
async fn without_uidplus_expunge_is_refused_and_nothing_is_removed() -> anyhow::Result<()> {
    let server = MailServer::builder()
        .without_capabilities(&["UIDPLUS"])
        .start()?;
    let mut s = connect(&server).await?;
    let caps = s.capabilities().await?;
    assert!(!caps.iter().any(|c| c == "UIDPLUS"), "{caps:?}");
    assert!(!s.has_uidplus().await?);
    s.select("INBOX").await?;
    let message = eml("no-uidplus", "X-Coffer-Seal-Id: 42\r\n", "sealed copy");
    // Dovecot 2.3 still sends [APPENDUID] (and would run UID EXPUNGE) when
    // imap_capability hides UIDPLUS. A server that does not promise UIDPLUS
    // is not relied on for it: the copy is found by its header.
    let placed = s.append("INBOX", &[], WHEN, &message).await?;
    assert_eq!(
        placed, None,
        "APPENDUID taken from a server without UIDPLUS"
    );
    let found = s.uid_search_header("X-Coffer-Seal-Id", "42").await?;
    assert_eq!(found.len(), 1);

    let uid = found[0];
    assert!(s.uid_store_deleted(uid).await?);
    let err = s.uid_expunge(uid).await.expect_err("no UIDPLUS");
    assert!(
        matches!(err, NetError::MissingCapability("UIDPLUS")),
        "{err:?}"
    );
    assert!(err.to_string().contains("UIDPLUS"), "{err}");
    let left = server.mailbox_contents(USER, "INBOX")?;
    assert_eq!(left.len(), 1, "nothing may be expunged: {left:?}");
    assert!(left[0].flags.iter().any(|f| f == "\\Deleted"));
    Ok(())
}

#[tokio::test]
async fn without_literal_plus_or_idle_append_waits_and_idle_is_refused() -> anyhow::Result<()> {
    let server = MailServer::builder()
        .without_capabilities(&["LITERAL+", "IDLE"])
        .start()?;
    let mut s = connect(&server).await?;
    assert!(!s.capabilities().await?.iter().any(|c| c == "LITERAL+"));
    let message = eml("sync-literal", "", "sent after the + continuation");
    let placed = s
        .append("INBOX", &flags(&["\\Draft"]), WHEN, &message)
        .await?;
    assert!(placed.is_some());
    let err = s
        .append("Missing", &[], WHEN, &message)
        .await
        .expect_err("no such folder");
    assert!(matches!(err, NetError::Refused { .. }), "{err:?}");
    let stored = server.mailbox_contents(USER, "INBOX")?;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].bytes, message);
    // Without IDLE the caller is told to poll, and nothing is sent.
    s.select("INBOX").await?;
    let err = s
        .idle_wait(Duration::from_secs(1))
        .await
        .expect_err("no IDLE");
    assert!(
        matches!(err, NetError::MissingCapability("IDLE")),
        "{err:?}"
    );
    assert_eq!(s.uid_list().await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_20_mb_message_appends_and_fetches_back_byte_exact() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/0123456789\r\n";
    let body = line.repeat(20 * 1024 * 1024 / line.len() + 1);
    let message = eml("big", "Content-Type: text/plain\r\n", &body);
    assert!(message.len() > 20 * 1024 * 1024);
    let mut s = connect(&server).await?;
    s.select("INBOX").await?;
    let started = Instant::now();
    let placed = s
        .append("INBOX", &flags(&["\\Seen"]), WHEN, &message)
        .await?
        .expect("APPENDUID");
    let fetched = s.uid_fetch_one(placed.uid).await?.expect("fetched back");
    eprintln!("20 MB append + fetch back: {:?}", started.elapsed());
    assert!(
        fetched.body == message,
        "the copy differs from what was appended"
    );
    assert_eq!(fetched.internaldate, WHEN);
    let listed = s.uid_list().await?;
    assert_eq!(listed[0].size as usize, message.len());
    Ok(())
}

#[tokio::test]
async fn a_message_over_the_response_limit_is_refused_before_sending() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let mut config = ImapConfig::new(server.host(), server.imaps_port());
    config.ca_file = Some(server.ca_file());
    config.limits.max_response_bytes = 64 * 1024;
    let mut s =
        ImapSession::connect(&config, USER, &SecretString::from(PASSWORD.to_owned())).await?;
    let message = eml("too-big", "", &"y".repeat(64 * 1024));
    let err = s
        .append("INBOX", &[], WHEN, &message)
        .await
        .expect_err("over the limit");
    assert!(matches!(err, NetError::MessageTooLarge { .. }), "{err:?}");
    assert!(server.mailbox_contents(USER, "INBOX")?.is_empty());
    Ok(())
}

#[tokio::test]
async fn idle_wakes_up_when_mail_arrives_and_times_out_when_none_does() -> anyhow::Result<()> {
    let server = Arc::new(MailServer::start()?);
    let mut s = connect(&server).await?;
    s.select("INBOX").await?;

    let started = Instant::now();
    assert_eq!(
        s.idle_wait(Duration::from_millis(500)).await?,
        IdleOutcome::Timeout
    );
    assert!(started.elapsed() >= Duration::from_millis(500));

    let delivering = Arc::clone(&server);
    let delivery = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        delivering.deliver(USER, "INBOX", &eml("new", "", "arrived while idling"))
    });
    let started = Instant::now();
    let outcome = s.idle_wait(Duration::from_secs(20)).await?;
    let waited = started.elapsed();
    delivery.join().expect("delivery thread")?;
    assert_eq!(outcome, IdleOutcome::NewData);
    assert!(waited < Duration::from_secs(10), "woke after {waited:?}");
    // The session is out of IDLE and usable.
    assert_eq!(s.uid_list().await?.len(), 1);
    s.logout().await?;
    Ok(())
}

/// Dovecot refusing any message over 64 KiB (the quota plugin's size limit).
const SIZE_LIMIT: &str = "mail_plugins = quota\nplugin {\n  quota = maildir:User quota\n  \
                          quota_max_mail_size = 64k\n}";

fn batch() -> Vec<(Vec<String>, i64, Vec<u8>)> {
    vec![
        (flags(&["\\Seen"]), WHEN, eml("one", "", "first")),
        (flags(&[]), WHEN - 86_400, eml("two", "", "")),
        (
            flags(&["\\Flagged", "$Label2"]),
            WHEN + 3_600,
            eml("three", "", &"x".repeat(50_000)),
        ),
        (flags(&["\\Answered"]), 0, eml("four", "", "the epoch")),
    ]
}

fn to_append(b: &[(Vec<String>, i64, Vec<u8>)]) -> Vec<coffer_net::ToAppend<'_>> {
    b.iter()
        .map(|(f, d, m)| coffer_net::ToAppend {
            flags: f,
            internaldate: *d,
            message: m,
        })
        .collect()
}

#[tokio::test]
async fn append_many_places_each_message_with_its_flags_and_date_in_order() -> anyhow::Result<()> {
    // As one MULTIAPPEND, one with a `+` to wait for before each message,
    // and as separate APPENDs.
    for (multiappend, hidden) in [
        (true, &[][..]),
        (true, &["LITERAL+"][..]),
        (false, &["MULTIAPPEND"][..]),
    ] {
        let server = MailServer::builder().without_capabilities(hidden).start()?;
        let mut s = connect(&server).await?;
        let caps = s.capabilities().await?;
        assert_eq!(caps.iter().any(|c| c == "MULTIAPPEND"), multiappend);
        let status = s.select("INBOX").await?;
        let messages = batch();
        let placed = s.append_many("INBOX", &to_append(&messages)).await?;
        assert_eq!(placed.len(), messages.len());
        let stored = server.mailbox_contents(USER, "INBOX")?;
        assert_eq!(stored.len(), messages.len());
        for (p, (f, date, bytes)) in placed.iter().zip(&messages) {
            let p = p.expect("APPENDUID for every message");
            assert_eq!(p.uid_validity, status.uid_validity);
            let got = stored.iter().find(|m| m.uid == p.uid).expect("stored");
            assert_eq!(&got.bytes, bytes, "hidden: {hidden:?}");
            assert_eq!(got.internaldate, *date);
            assert_eq!(sorted(got.flags.clone()), sorted(f.clone()));
        }
        assert!(s.append_many("INBOX", &[]).await?.is_empty());
        // An empty message would cancel a MULTIAPPEND: refused, nothing sent.
        let mut with_empty = to_append(&messages);
        with_empty[1].message = b"";
        let err = s
            .append_many("INBOX", &with_empty)
            .await
            .expect_err("empty");
        assert!(matches!(err, NetError::InvalidArgument { .. }), "{err:?}");
        assert_eq!(
            server.mailbox_contents(USER, "INBOX")?.len(),
            messages.len()
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_refused_message_fails_a_multiappend_whole_and_separate_appends_part_way()
-> anyhow::Result<()> {
    for multiappend in [true, false] {
        let hidden: &[&str] = if multiappend { &[] } else { &["MULTIAPPEND"] };
        let server = MailServer::builder()
            .dovecot_config(SIZE_LIMIT)
            .without_capabilities(hidden)
            .start()?;
        let mut s = connect(&server).await?;
        let mut messages = batch();
        // The third message is over the server's size limit.
        messages[2].2 = eml("three", "", &"x".repeat(100_000));
        let err = s
            .append_many("INBOX", &to_append(&messages))
            .await
            .expect_err("the server refuses the large message");
        assert!(matches!(err, NetError::Refused { .. }), "{err:?}");
        let stored = server.mailbox_contents(USER, "INBOX")?;
        if multiappend {
            // All or none (RFC 3502).
            assert!(stored.is_empty(), "{stored:?}");
        } else {
            let bytes: Vec<&Vec<u8>> = stored.iter().map(|m| &m.bytes).collect();
            assert_eq!(bytes, vec![&messages[0].2, &messages[1].2]);
        }
        // The session is still usable afterwards.
        assert_eq!(s.select("INBOX").await?.exists, stored.len() as u32);
    }
    Ok(())
}
