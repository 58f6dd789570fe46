//! The rewriting proxy in front of a real Dovecot: transparent without
//! hooks (literals and LITERAL+ included), and able to make the server do
//! what it never would — and what coffer-net then does about it.

use coffer_harness::rewrite::RewriteProxy;
use coffer_harness::{MailServer, PASSWORD, USER};
use coffer_net::{ImapConfig, ImapSession, Security, ToAppend};
use secrecy::SecretString;

async fn connect(proxy: &RewriteProxy) -> anyhow::Result<ImapSession> {
    let mut config = ImapConfig::new("127.0.0.1", proxy.port());
    config.security = Security::InsecureLoopback;
    Ok(ImapSession::connect(&config, USER, &SecretString::from(PASSWORD.to_owned())).await?)
}

fn eml(i: usize, body: usize) -> Vec<u8> {
    let mut m =
        format!("Subject: proxied {i}\r\nMessage-ID: <p{i}@example.test>\r\n\r\n").into_bytes();
    m.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, body));
    m.extend_from_slice(b"\r\n");
    m
}

#[tokio::test]
async fn without_hooks_the_proxy_is_transparent_literals_included() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let proxy = RewriteProxy::start(server.imap_port())?;
    let mut s = connect(&proxy).await?;
    s.select("INBOX").await?;
    // MULTIAPPEND with LITERAL+ literals from the client, one of them large
    // enough to arrive in many reads.
    let messages = [eml(1, 10), eml(2, 300_000), eml(3, 0)];
    let appends: Vec<ToAppend<'_>> = messages
        .iter()
        .map(|m| ToAppend {
            flags: &[],
            internaldate: 1_700_000_000,
            message: m,
        })
        .collect();
    s.append_many("INBOX", &appends).await?;
    let stored = server.mailbox_contents(USER, "INBOX")?;
    let bodies: Vec<&Vec<u8>> = stored.iter().map(|m| &m.bytes).collect();
    assert_eq!(bodies, messages.iter().collect::<Vec<_>>());
    let uids: Vec<u32> = stored.iter().map(|m| m.uid).collect();
    let fetched = s.uid_fetch_many(&uids).await?;
    for (f, m) in fetched.iter().zip(&messages) {
        assert_eq!(&f.body, m);
    }
    assert!(
        proxy
            .commands()
            .iter()
            .any(|c| c.contains(" APPEND ") && c.ends_with("+}")),
        "{:?}",
        proxy.commands()
    );
    Ok(())
}

#[tokio::test]
async fn a_rewritten_uid_expunge_removes_every_deleted_message() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    for i in 0..3 {
        server.append(USER, PASSWORD, "INBOX", &eml(i, 10), &["\\Deleted"], None)?;
    }
    let proxy = RewriteProxy::start(server.imap_port())?;
    proxy.on_command(|line| {
        let at = line.find(" UID EXPUNGE ")?;
        Some(format!("{} EXPUNGE", &line[..at]))
    });
    let mut s = connect(&proxy).await?;
    s.select("INBOX").await?;
    let left = s.uid_expunge_many(&[1]).await?;
    assert!(left.is_empty());
    // Dovecot honours UID EXPUNGE; through the proxy it expunged all three.
    assert!(server.mailbox_contents(USER, "INBOX")?.is_empty());
    Ok(())
}
