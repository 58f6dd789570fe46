//! The harness itself: real servers start, run side by side, deliver, and stop.

use std::time::Duration;

use coffer_harness::{DOMAIN, MailServer, PASSWORD, USER};
use coffer_net::{ImapConfig, ImapSession};
use secrecy::SecretString;

fn eml(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Bob <bob@{DOMAIN}>\r\nTo: Alice <alice@{DOMAIN}>\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@{DOMAIN}>\r\nDate: Thu, 01 Feb 2024 10:00:00 +0000\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn imaps_config(server: &MailServer) -> ImapConfig {
    let mut config = ImapConfig::new(server.host(), server.imaps_port());
    config.ca_file = Some(server.ca_file());
    config
}

#[test]
fn several_servers_run_side_by_side_and_keep_their_mail_apart() -> anyhow::Result<()> {
    let a = MailServer::start()?;
    let b = MailServer::start()?;
    assert_ne!(a.imaps_port(), b.imaps_port());
    a.deliver(USER, "INBOX", &eml("only-in-a", "hello a"))?;
    b.deliver(USER, "INBOX", &eml("only-in-b", "hello b"))?;
    b.deliver(USER, "INBOX", &eml("second-in-b", "hello again"))?;
    assert_eq!(a.mailbox_contents(USER, "INBOX")?.len(), 1);
    assert_eq!(b.mailbox_contents(USER, "INBOX")?.len(), 2);
    Ok(())
}

#[test]
fn servers_stop_when_dropped_even_after_a_panic() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let dir = server.dir().to_path_buf();
    // The master's pid, not its port: tests running beside this one may
    // take the freed port for a server of their own at once.
    let pid_file = dir.join("dovecot-run/master.pid");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !pid_file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = std::fs::read_to_string(&pid_file)?.trim().to_owned();
    // Running: its /proc entry exists and is no zombie (in a container
    // nothing may reap a daemon that exited).
    let running =
        || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    assert!(running());
    let result = std::panic::catch_unwind(move || {
        let _owned = server;
        panic!("a failing test");
    });
    assert!(result.is_err());
    assert!(
        !running(),
        "dovecot (pid {pid}) still runs after the test panicked"
    );
    assert!(!dir.exists(), "the server directory was left behind");
    Ok(())
}

#[test]
fn append_keeps_flags_and_internaldate_and_lists_exact_bytes() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.create_folder(USER, "Projects/2024")?;
    let message = eml("appended", "line one\r\n.leading dot\r\nline three");
    server.append(
        USER,
        PASSWORD,
        "Projects/2024",
        &message,
        &["\\Seen", "\\Flagged", "$Work"],
        Some("01-Feb-2024 10:00:00 +0000"),
    )?;
    let msgs = server.mailbox_contents(USER, "Projects/2024")?;
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m.uid, 1);
    assert_eq!(
        m.bytes, message,
        "stored bytes differ from what was appended"
    );
    for flag in ["\\Seen", "\\Flagged", "$Work"] {
        assert!(
            m.flags.iter().any(|f| f == flag),
            "missing {flag} in {:?}",
            m.flags
        );
    }
    assert_eq!(m.internaldate, 1_706_781_600);
    assert!(server.folders(USER)?.contains(&"Projects/2024".to_owned()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_sent_through_postfix_is_read_back_through_coffer_net() -> anyhow::Result<()> {
    let server = MailServer::builder().smtp().start()?;
    let message = eml("via-smtp", "Delivered by Postfix through LMTP.");
    server.send_smtp(
        &format!("bob@{DOMAIN}"),
        &[&format!("{USER}@{DOMAIN}")],
        &message,
    )?;
    server.wait_for_messages(USER, "INBOX", 1, Duration::from_secs(30))?;

    let password = SecretString::from(PASSWORD.to_owned());
    let mut session = ImapSession::connect(&imaps_config(&server), USER, &password).await?;
    let status = session.examine("INBOX").await?;
    assert_eq!(status.exists, 1);
    let fetched = fetch_every(&mut session).await?;
    assert_eq!(fetched.len(), 1);
    let got = &fetched[0];
    let text = String::from_utf8_lossy(&got.body);
    assert!(text.contains("Subject: via-smtp"), "{text}");
    assert!(
        text.contains("Delivered by Postfix through LMTP."),
        "{text}"
    );
    // Postfix and LMTP add trace headers, so the message arrives longer.
    assert!(text.contains("Received: from"), "{text}");
    assert!(
        !got.flags.iter().any(|f| f == "\\Seen"),
        "fetching must not mark mail as read: {:?}",
        got.flags
    );
    session.logout().await?;
    // Fetching with BODY.PEEK left it unread on the server too.
    let stored = server.mailbox_contents(USER, "INBOX")?;
    assert!(!stored[0].flags.iter().any(|f| f == "\\Seen"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_keeps_its_mail_and_ports() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.deliver(USER, "INBOX", &eml("before-restart", "kept"))?;
    let port = server.imaps_port();
    server.restart_imap(Duration::from_millis(200))?;
    assert_eq!(server.imaps_port(), port);
    let password = SecretString::from(PASSWORD.to_owned());
    let mut session = ImapSession::connect(&imaps_config(&server), USER, &password).await?;
    assert_eq!(session.examine("INBOX").await?.exists, 1);
    Ok(())
}

/// Every message of the selected folder, whole, through the calls the
/// sealing engine uses (list the UIDs, then fetch them).
async fn fetch_every(
    s: &mut coffer_net::ImapSession,
) -> Result<Vec<coffer_net::FetchedMessage>, coffer_net::NetError> {
    let uids: Vec<u32> = s.uid_list().await?.into_iter().map(|m| m.uid).collect();
    s.uid_fetch_many(&uids).await
}
