//! The fault proxy forwards IMAP faithfully and cuts at the byte asked for.

use coffer_harness::proxy::FaultProxy;
use coffer_harness::{MailServer, PASSWORD, USER};
use coffer_net::{ImapConfig, ImapSession};
use secrecy::SecretString;

fn config(server: &MailServer, proxy: &FaultProxy) -> ImapConfig {
    let mut c = ImapConfig::new(server.host(), proxy.port());
    c.ca_file = Some(server.ca_file());
    c
}

#[tokio::test]
async fn without_a_limit_the_proxy_is_transparent() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.deliver(
        USER,
        "INBOX",
        b"Subject: through the proxy\r\n\r\nhello\r\n",
    )?;
    let proxy = FaultProxy::start(server.imaps_port())?;
    let pass = SecretString::from(PASSWORD.to_owned());
    let mut s = ImapSession::connect(&config(&server, &proxy), USER, &pass).await?;
    s.examine("INBOX").await?;
    let msgs = fetch_every(&mut s).await?;
    assert_eq!(msgs.len(), 1);
    assert!(proxy.bytes_passed() > 1000);
    assert_eq!(proxy.cuts(), 0);
    Ok(())
}

#[tokio::test]
async fn a_limit_cuts_the_connection_mid_session_and_can_be_lifted() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    server.deliver(USER, "INBOX", &vec![b'x'; 200_000])?;
    let proxy = FaultProxy::start(server.imaps_port())?;
    let pass = SecretString::from(PASSWORD.to_owned());
    let mut s = ImapSession::connect(&config(&server, &proxy), USER, &pass).await?;
    s.examine("INBOX").await?;
    // Cut in the middle of the 200 KB literal.
    proxy.cut_after(50_000);
    assert!(
        fetch_every(&mut s).await.is_err(),
        "the fetch must fail when cut"
    );
    assert_eq!(proxy.cuts(), 1);
    // New connections are refused while over the limit...
    assert!(
        ImapSession::connect(&config(&server, &proxy), USER, &pass)
            .await
            .is_err()
    );
    // ...and work again once it is lifted.
    proxy.unlimited();
    let mut s = ImapSession::connect(&config(&server, &proxy), USER, &pass).await?;
    s.examine("INBOX").await?;
    assert_eq!(fetch_every(&mut s).await?[0].body.len(), 200_000);
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
