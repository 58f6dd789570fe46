//! coffer-net's connection policy against a real Dovecot.

use coffer_harness::{MailServer, PASSWORD, TestCa, USER};
use coffer_net::{ImapConfig, ImapSession, NetError, Security, SpecialUse};
use secrecy::SecretString;

fn password(p: &str) -> SecretString {
    SecretString::from(p.to_owned())
}

fn imaps(server: &MailServer) -> ImapConfig {
    let mut c = ImapConfig::new(server.host(), server.imaps_port());
    c.ca_file = Some(server.ca_file());
    c
}

fn starttls(server: &MailServer) -> ImapConfig {
    let mut c = ImapConfig::new(server.host(), server.imap_port());
    c.security = Security::StartTls;
    c.ca_file = Some(server.ca_file());
    c
}

#[tokio::test]
async fn implicit_tls_with_the_servers_ca_logs_in_and_reads_capabilities() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let mut s = ImapSession::connect(&imaps(&server), USER, &password(PASSWORD)).await?;
    assert!(s.is_tls());
    let caps = s.capabilities().await?;
    for needed in ["IMAP4REV1", "UIDPLUS", "IDLE", "MOVE"] {
        assert!(
            caps.iter().any(|c| c == needed),
            "{needed} missing from {caps:?}"
        );
    }
    assert!(s.capabilities().await?.iter().any(|c| c == "UIDPLUS"));
    s.logout().await?;
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_login_error() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let err = ImapSession::connect(&imaps(&server), USER, &password("not-the-password"))
        .await
        .expect_err("login must fail");
    assert!(matches!(err, NetError::AuthFailed { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("login failed for alice"), "{text}");
    assert!(
        !text.contains("not-the-password"),
        "the password leaked into {text}"
    );
    Ok(())
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_rejected_before_login() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let other = TestCa::new()?;
    let dir = tempfile::tempdir()?;
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, &other.ca_pem)?;
    let mut config = imaps(&server);
    config.ca_file = Some(other_ca);
    let err = ImapSession::connect(&config, USER, &password(PASSWORD))
        .await
        .expect_err("an untrusted certificate must be refused");
    assert!(matches!(err, NetError::Certificate { .. }), "{err:?}");
    assert!(
        err.to_string().contains("--ca-file"),
        "the error should say what to do: {err}"
    );
    // Nobody logged in: Dovecot saw no successful login for alice.
    assert!(!server.dovecot_log().contains("Login: user=<alice>"));
    Ok(())
}

#[tokio::test]
async fn without_the_extra_ca_the_system_roots_do_not_trust_a_private_ca() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let mut config = imaps(&server);
    config.ca_file = None;
    let err = ImapSession::connect(&config, USER, &password(PASSWORD))
        .await
        .expect_err("untrusted");
    assert!(matches!(err, NetError::Certificate { .. }), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn a_ca_file_that_is_not_pem_is_reported() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let dir = tempfile::tempdir()?;
    let bad = dir.path().join("ca.pem");
    std::fs::write(&bad, "this is not a certificate\n")?;
    let mut config = imaps(&server);
    config.ca_file = Some(bad);
    let err = ImapSession::connect(&config, USER, &password(PASSWORD))
        .await
        .expect_err("bad CA file");
    assert!(matches!(err, NetError::CaFile { .. }), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn starttls_upgrades_when_asked() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let mut s = ImapSession::connect(&starttls(&server), USER, &password(PASSWORD)).await?;
    assert!(s.is_tls());
    assert!(!s.list_folders().await?.is_empty());
    s.logout().await?;
    Ok(())
}

#[tokio::test]
async fn starttls_required_but_not_offered_refuses_the_connection() -> anyhow::Result<()> {
    let server = MailServer::builder().without_tls().start()?;
    let mut config = ImapConfig::new(server.host(), server.imap_port());
    config.security = Security::StartTls;
    let err = ImapSession::connect(&config, USER, &password(PASSWORD))
        .await
        .expect_err("must not fall back to plaintext");
    assert!(
        matches!(
            err,
            NetError::StartTlsNotOffered | NetError::StartTlsFailed(_)
        ),
        "{err:?}"
    );
    assert!(
        !server.dovecot_log().contains("Login: user=<alice>"),
        "logged in without TLS"
    );
    Ok(())
}

#[tokio::test]
async fn plaintext_only_to_loopback_and_only_when_asked() -> anyhow::Result<()> {
    let server = MailServer::builder().without_tls().start()?;
    let mut config = ImapConfig::new(server.host(), server.imap_port());
    config.security = Security::InsecureLoopback;
    let s = ImapSession::connect(&config, USER, &password(PASSWORD)).await?;
    assert!(!s.is_tls());
    s.logout().await?;

    // The default policy is TLS: the same plaintext port fails the handshake.
    let plain_default = ImapConfig::new(server.host(), server.imap_port());
    assert!(
        ImapSession::connect(&plain_default, USER, &password(PASSWORD))
            .await
            .is_err()
    );

    // A non-loopback address is refused before any connection is made.
    let mut remote = ImapConfig::new("192.0.2.1", 143);
    remote.security = Security::InsecureLoopback;
    let err = ImapSession::connect(&remote, USER, &password(PASSWORD))
        .await
        .expect_err("refused");
    assert!(
        matches!(err, NetError::InsecureNotLoopback { .. }),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn folder_listing_reports_special_use() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.create_folder(USER, "Projects/2024")?;
    let mut s = ImapSession::connect(&imaps(&server), USER, &password(PASSWORD)).await?;
    let folders = s.list_folders().await?;
    let find = |name: &str| folders.iter().find(|f| f.name == name);
    for (name, role) in [
        ("Sent", SpecialUse::Sent),
        ("Drafts", SpecialUse::Drafts),
        ("Trash", SpecialUse::Trash),
        ("Junk", SpecialUse::Junk),
        ("Archive", SpecialUse::Archive),
    ] {
        assert_eq!(
            find(name).and_then(|f| f.special_use),
            Some(role),
            "{name} in {folders:?}"
        );
    }
    let inbox = find("INBOX").expect("INBOX listed");
    assert_eq!(inbox.special_use, None);
    let nested = find("Projects/2024").expect("nested folder listed");
    assert_eq!(nested.delimiter.as_deref(), Some("/"));
    Ok(())
}

#[tokio::test]
async fn non_ascii_folder_names_round_trip_as_modified_utf7() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    // One created by Dovecot's own tool, one by us.
    server.create_folder(USER, "Reçus/Été")?;
    let mut s = ImapSession::connect(&imaps(&server), USER, &password(PASSWORD)).await?;
    s.create_folder("日本語 & Ελληνικά").await?;
    let folders = s.list_folders().await?;
    let names: Vec<&str> = folders.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"Reçus/Été"), "{names:?}");
    assert!(names.contains(&"日本語 & Ελληνικά"), "{names:?}");
    let wire = folders
        .iter()
        .find(|f| f.name == "Reçus/Été")
        .map(|f| f.wire_name.clone());
    assert_eq!(wire.as_deref(), Some("Re&AOc-us/&AMk-t&AOk-"));
    // The server agrees on the Unicode name we created.
    assert!(
        server
            .folders(USER)?
            .contains(&"日本語 & Ελληνικά".to_owned())
    );
    // And the folder can be opened by its Unicode name.
    assert_eq!(s.examine("Reçus/Été").await?.exists, 0);
    Ok(())
}

#[tokio::test]
async fn folder_names_with_line_breaks_are_refused_before_sending() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let mut s = ImapSession::connect(&imaps(&server), USER, &password(PASSWORD)).await?;
    for bad in ["evil\r\na2 DELETE INBOX", "x\ny", "nul\0byte"] {
        let err = s.create_folder(bad).await.expect_err("must be refused");
        assert!(
            matches!(
                err,
                NetError::InvalidArgument {
                    what: "folder name",
                    ..
                }
            ),
            "{err:?}"
        );
        let err = s.examine(bad).await.expect_err("must be refused");
        assert!(matches!(err, NetError::InvalidArgument { .. }), "{err:?}");
    }
    // The session is still usable and nothing was injected.
    let names: Vec<String> = s
        .list_folders()
        .await?
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert!(names.contains(&"INBOX".to_owned()));
    assert!(!names.iter().any(|n| n.contains("evil")));
    Ok(())
}

#[tokio::test]
async fn a_user_name_with_a_line_break_is_refused() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let err = ImapSession::connect(&imaps(&server), "alice\r\na1 LOGOUT", &password(PASSWORD))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            NetError::InvalidArgument {
                what: "user name",
                ..
            }
        ),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_response_over_the_limit_is_cut_off() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let big = format!(
        "Subject: big\r\n\r\n{}\r\n",
        "0123456789abcdef".repeat(64 * 1024) // 1 MiB body
    );
    server.deliver(USER, "INBOX", big.as_bytes())?;
    let mut config = imaps(&server);
    config.limits.max_response_bytes = 256 * 1024;
    let mut s = ImapSession::connect(&config, USER, &password(PASSWORD)).await?;
    s.examine("INBOX").await?;
    let err = fetch_every(&mut s).await.expect_err("over the limit");
    assert!(
        matches!(err, NetError::ResponseTooLarge { limit: 262_144 }),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() -> anyhow::Result<()> {
    // A listener that accepts and stays silent: no greeting ever comes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let hold = tokio::spawn(async move {
        let conn = listener.accept().await;
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        drop(conn);
    });
    let mut config = ImapConfig::new("127.0.0.1", port);
    config.security = Security::InsecureLoopback;
    config.limits.timeout = std::time::Duration::from_millis(300);
    let err = ImapSession::connect(&config, USER, &password(PASSWORD))
        .await
        .expect_err("timeout");
    assert!(matches!(err, NetError::Timeout { .. }), "{err:?}");
    hold.abort();
    Ok(())
}

#[tokio::test]
async fn a_closed_port_is_a_clear_error_that_names_its_cause_once() -> anyhow::Result<()> {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = ImapConfig::new("127.0.0.1", port);
    let err = ImapSession::connect(&config, USER, &password(PASSWORD))
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, NetError::Connect { .. }), "{err:?}");
    let shown = format!("{:#}", anyhow::Error::new(err));
    assert_eq!(shown.matches("refused").count(), 1, "{shown}");
    assert!(
        shown.starts_with(&format!("cannot connect to 127.0.0.1:{port}")),
        "{shown}"
    );
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

/// Found by cargo-fuzz (`imap_response`): imap-proto panics on a response
/// code followed by text that is not UTF-8. Through Dovecot behind the
/// rewriting proxy, EXAMINE's tagged OK gets such text: a clear protocol
/// error, not a crash.
#[tokio::test]
async fn a_response_the_parser_panics_on_is_a_protocol_error() -> anyhow::Result<()> {
    use coffer_harness::rewrite::RewriteProxy;

    let server = MailServer::builder().without_tls().start()?;
    let proxy = RewriteProxy::start(server.imap_port())?;
    let mut config = ImapConfig::new("127.0.0.1", proxy.port());
    config.security = Security::InsecureLoopback;
    let mut session = ImapSession::connect(&config, USER, &password(PASSWORD)).await?;
    proxy.on_response(|bytes| {
        let text = String::from_utf8_lossy(bytes);
        match text.find(" OK [READ-ONLY]") {
            Some(at) => {
                let mut out = bytes[..at].to_vec();
                out.extend_from_slice(b" OK [READ-ONLY]\xff\xffExamine completed\r\n");
                out
            }
            None => bytes.to_vec(),
        }
    });
    let err = session.examine("INBOX").await.expect_err("unreadable");
    assert!(
        matches!(&err, NetError::Protocol(m) if m.contains("cannot read")),
        "{err:?}"
    );
    Ok(())
}
