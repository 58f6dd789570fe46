//! The audit against a server that lists a message but withholds it on
//! FETCH (Dovecot behind the rewriting proxy): a finding, and never clean.

use coffer_core::seal::{InternalDate, SealInput};
use coffer_core::{MasterSecret, VaultKeys};
use coffer_engine::audit::{AuditOptions, AuditReport, audit};
use coffer_harness::rewrite::{Response, RewriteProxy};
use coffer_harness::{MailServer, PASSWORD, USER};
use coffer_net::{ImapConfig, Security};
use rand::SeedableRng as _;
use secrecy::SecretString;

fn keys() -> VaultKeys {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    MasterSecret::generate(&mut rng)
        .derive()
        .expect("derive keys")
}

/// INBOX holding three genuine seals (UIDs 1, 2, 3), behind a proxy.
fn sealed_mailbox(keys: &VaultKeys) -> anyhow::Result<(MailServer, RewriteProxy)> {
    let server = MailServer::start()?;
    for i in 0..3u8 {
        let original = format!("Subject: secret {i}\r\n\r\nbody {i}\r\n").into_bytes();
        let input = SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: InternalDate::new(1_706_781_600, 0)?,
            original: &original,
        };
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(u64::from(i));
        let sealed = coffer_core::seal(keys, &input, &mut rng)?;
        server.append(USER, PASSWORD, "INBOX", &sealed, &[], None)?;
    }
    let proxy = RewriteProxy::start(server.imap_port())?;
    Ok((server, proxy))
}

async fn run(proxy: &RewriteProxy, keys: Option<&VaultKeys>) -> anyhow::Result<AuditReport> {
    let mut imap = ImapConfig::new("127.0.0.1", proxy.port());
    imap.security = Security::InsecureLoopback;
    let options = AuditOptions {
        imap,
        user: USER.to_owned(),
        password: SecretString::from(PASSWORD.to_owned()),
        oauth: false,
        folders: vec!["INBOX".to_owned()],
        keys,
        sample: None,
        structure: coffer_engine::audit::Depth::Sampled,
    };
    audit(options, |_| {}).await
}

fn withheld(report: &AuditReport) -> Vec<u32> {
    report
        .findings
        .iter()
        .filter(|f| f.kind == "withheld")
        .map(|f| f.uid)
        .collect()
}

#[tokio::test]
async fn a_seal_withheld_from_the_keyed_audit_is_a_finding_and_not_clean() -> anyhow::Result<()> {
    let keys = keys();
    let (_server, proxy) = sealed_mailbox(&keys)?;
    // Through the proxy, untouched: clean.
    let report = run(&proxy, Some(&keys)).await?;
    assert!(report.clean, "{report:#?}");
    // UID 2's whole message is never returned: its head is, so it is
    // classified as a seal, but it cannot be opened.
    proxy.on_response(|bytes| {
        let r = Response::parse(bytes);
        match (r.fetch_uid(), r.whole_body()) {
            (Some(2), Some(_)) => Vec::new(),
            _ => bytes.to_vec(),
        }
    });
    let report = run(&proxy, Some(&keys)).await?;
    assert!(!report.clean, "{report:#?}");
    assert_eq!(withheld(&report), vec![2], "{report:#?}");
    let v = report.verification.as_ref().expect("verification");
    assert_eq!((v.selected, v.checked, v.verified), (3, 2, 2));
    assert!(report.digest_matches());
    Ok(())
}

#[tokio::test]
async fn a_head_withheld_from_the_keyless_scan_is_a_finding_and_not_clean() -> anyhow::Result<()> {
    let keys = keys();
    let (_server, proxy) = sealed_mailbox(&keys)?;
    let report = run(&proxy, None).await?;
    assert!(report.clean, "{report:#?}");
    // UID 3 is listed, but its head never comes back.
    proxy.on_response(|bytes| {
        let r = Response::parse(bytes);
        match (r.fetch_uid(), r.has_partial_body()) {
            (Some(3), true) => Vec::new(),
            _ => bytes.to_vec(),
        }
    });
    let report = run(&proxy, None).await?;
    assert!(!report.clean, "{report:#?}");
    assert_eq!(withheld(&report), vec![3], "{report:#?}");
    assert_eq!(
        (
            report.totals.total,
            report.totals.sealed,
            report.totals.withheld
        ),
        (3, 2, 1)
    );
    Ok(())
}
