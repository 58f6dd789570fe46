//! The rewriting proxy in front of a real Dovecot: transparent without
//! hooks (literals and LITERAL+ included), and able to make the server do
//! what it never would — and what coffer-net then does about it.

use coffer_harness::rewrite::{Response, RewriteProxy};
use coffer_harness::{MailServer, PASSWORD, USER};
use coffer_net::{ImapConfig, ImapSession, NetError, Security, ToAppend};
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
        assert!(f.size_matches());
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

#[tokio::test]
async fn responses_can_be_dropped_cut_or_made_partial() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    for i in 0..3 {
        server.append(USER, PASSWORD, "INBOX", &eml(i, 1000), &[], None)?;
    }
    let proxy = RewriteProxy::start(server.imap_port())?;
    let mut s = connect(&proxy).await?;
    s.select("INBOX").await?;

    // UID 2's FETCH response withheld: it is missing, as if gone.
    proxy.on_response(|bytes| match Response::parse(bytes).fetch_uid() {
        Some(2) => Vec::new(),
        _ => bytes.to_vec(),
    });
    let got: Vec<u32> = s
        .uid_fetch_many(&[1, 2, 3])
        .await?
        .iter()
        .map(|m| m.uid)
        .collect();
    assert_eq!(got, vec![1, 3]);
    assert_eq!(s.uid_fetch_one(2).await?, None);

    // UID 2's body cut, its literal count fixed up: a well-formed response
    // whose body no longer matches RFC822.SIZE.
    proxy.on_response(|bytes| {
        let mut r = Response::parse(bytes);
        if r.fetch_uid() == Some(2) && r.whole_body().is_some() {
            return r.truncate_body(100).to_bytes();
        }
        bytes.to_vec()
    });
    let fetched = s.uid_fetch_many(&[1, 2, 3]).await?;
    assert_eq!(fetched[1].body.len(), 100);
    assert_eq!(fetched[1].size, eml(1, 1000).len() as u64);
    assert!(!fetched[1].size_matches());
    assert!(fetched[0].size_matches() && fetched[2].size_matches());

    // A whole-message fetch answered with a partial BODY[]<0>: refused.
    proxy.on_response(|bytes| {
        let mut r = Response::parse(bytes);
        if r.fetch_uid() == Some(2) && r.whole_body().is_some() {
            return r.make_body_partial().to_bytes();
        }
        bytes.to_vec()
    });
    for result in [
        s.uid_fetch_many(&[1, 2, 3]).await.map(|_| ()),
        s.uid_fetch_one(2).await.map(|_| ()),
    ] {
        match result {
            Err(NetError::Protocol(m)) => assert!(m.contains("partial"), "{m}"),
            other => panic!("a partial reply was accepted: {other:?}"),
        }
    }
    // Heads are partial by request, and still read.
    let heads = s.fetch_heads(&[1, 2, 3], 64).await?;
    assert_eq!(heads.len(), 3);
    assert!(heads.iter().all(|h| h.head.len() == 64));
    proxy.clear();
    assert_eq!(s.uid_fetch_many(&[1, 2, 3]).await?.len(), 3);
    Ok(())
}
