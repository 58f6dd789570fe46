//! `watch` sends what waits in the outbox once it is due: a message queued
//! while Postfix was down goes out on the watch's next pass after Postfix is
//! back, exactly once, and its sealed copy lands in Sent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use coffer_engine::net::Security;
use coffer_engine::send::{NewMessage, OutboxState};
use coffer_engine::watch::{WatchEvent, WatchOptions};
use coffer_engine::{KdfPolicy, NewAccount, SecretString, Vault};
use coffer_harness::{DOMAIN, MailServer, PASSWORD, USER};

#[test]
fn the_watch_sends_what_waits_in_the_outbox_once_it_is_due() {
    let server = MailServer::builder()
        .smtp()
        .user("bob", "bob-pw")
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(
        &tmp.path().join("vault"),
        &SecretString::from("vault pass"),
        KdfPolicy::weak_for_tests(),
    )
    .unwrap();
    vault
        .add_account(NewAccount {
            name: "mail".into(),
            imap_host: server.host().into(),
            imap_port: server.imaps_port(),
            username: format!("{USER}@{DOMAIN}"),
            password: SecretString::from(PASSWORD),
            security: Security::Tls,
            ca_file: Some(server.ca_file()),
            smtp: Some((server.host().into(), server.submissions_port())),
            smtp_starttls: false,
        })
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    server.stop_smtp();
    let report = rt
        .block_on(vault.send(
            None,
            NewMessage {
                to: vec!["bob@example.test".into()],
                subject: "from the outbox".into(),
                text: "Queued, then sent by watch.\n".into(),
                ..NewMessage::default()
            },
        ))
        .unwrap();
    assert_eq!(report.state, OutboxState::Queued, "{report:?}");
    server.start_smtp().unwrap();

    // Not due yet: the back-off holds it (30 s after the first try).
    let queued = vault.store().outbox_list().unwrap();
    assert!(queued[0].next_attempt_at > report_time());
    // Make it due now, as the clock would.
    let mut due = queued[0].clone();
    due.next_attempt_at = 0;
    vault.store().outbox_update(&due).unwrap();

    let mut events = Vec::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut stop = Some(stop);
    rt.block_on(vault.watch(
        None,
        &WatchOptions {
            poll_interval: Duration::from_secs(60),
            ..WatchOptions::default()
        },
        |e| {
            if matches!(e, WatchEvent::Outbox { .. })
                && let Some(s) = stop.take()
            {
                let _ = s.send(());
            }
            events.push(e);
        },
        async {
            let _ = stopped.await;
        },
    ))
    .unwrap();
    let sent = events.iter().find_map(|e| match e {
        WatchEvent::Outbox { report } => Some(report.clone()),
        _ => None,
    });
    let sent = sent.expect("the watch tried the outbox");
    assert_eq!(sent.state, OutboxState::Sent, "{sent:?}");
    let got = server
        .wait_for_messages("bob", "INBOX", 1, Duration::from_secs(30))
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!(vault.store().outbox_list().unwrap().is_empty());
    let sent_folder = server.mailbox_contents(USER, "Sent").unwrap();
    assert_eq!(sent_folder.len(), 1);
    assert!(coffer_core::open(vault.keys(), &sent_folder[0].bytes).is_ok());
}

fn report_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
