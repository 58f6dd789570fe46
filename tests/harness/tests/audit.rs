//! The auditor's check against a real Dovecot: classification, findings
//! without content, read-only proof, and verification with the vault's keys.

use coffer_core::seal::{InternalDate, SealInput, testkit};
use coffer_core::{MasterSecret, VaultKeys};
use coffer_engine::audit::{AuditOptions, AuditReport, audit};
use coffer_harness::{MailServer, PASSWORD, StoredMessage, USER};
use coffer_net::ImapConfig;
use rand::SeedableRng as _;
use secrecy::SecretString;

const SECRET_SUBJECT: &str = "Quarterly merger plans (confidential)";
const SECRET_SENDER: &str = "ceo@acme.example";

fn keys(seed: u64) -> VaultKeys {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    MasterSecret::generate(&mut rng)
        .derive()
        .expect("derive keys")
}

fn original(i: usize, body_len: usize) -> Vec<u8> {
    let mut m = format!(
        "From: {SECRET_SENDER}\r\nTo: alice@example.test\r\nSubject: {SECRET_SUBJECT} #{i}\r\n\
         Message-ID: <m{i}@acme.example>\r\n\r\n"
    )
    .into_bytes();
    m.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, body_len));
    m.extend_from_slice(b"\r\n");
    m
}

fn sealed(keys: &VaultKeys, folder: &str, original: &[u8]) -> Vec<u8> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(original.len() as u64);
    let input = SealInput {
        folder,
        flags: &[],
        internaldate: InternalDate::new(1_706_781_600, 60).expect("date"),
        original,
    };
    coffer_core::seal(keys, &input, &mut rng).expect("seal")
}

/// A mailbox where everything is sealed: 3 folders, sizes from 0 to 300 KB.
fn sealed_mailbox(keys: &VaultKeys) -> anyhow::Result<MailServer> {
    let server = MailServer::start()?;
    server.create_folder(USER, "Archive/2024")?;
    server.create_folder(USER, "Reçus")?;
    let sizes = [0usize, 50, 5_000, 70_000, 300_000];
    for (i, folder) in ["INBOX", "Archive/2024", "Reçus"].iter().enumerate() {
        for (j, size) in sizes.iter().enumerate() {
            let msg = sealed(keys, folder, &original(i * 10 + j, *size));
            let flags: &[&str] = if j % 2 == 0 { &["\\Seen"] } else { &[] };
            server.append(
                USER,
                PASSWORD,
                folder,
                &msg,
                flags,
                Some("01-Feb-2024 10:00:00 +0100"),
            )?;
        }
    }
    Ok(server)
}

fn options<'a>(server: &MailServer, keys: Option<&'a VaultKeys>) -> AuditOptions<'a> {
    let mut imap = ImapConfig::new(server.host(), server.imaps_port());
    imap.ca_file = Some(server.ca_file());
    AuditOptions {
        imap,
        user: USER.to_owned(),
        password: SecretString::from(PASSWORD.to_owned()),
        oauth: false,
        folders: Vec::new(),
        keys,
        sample: None,
        structure: coffer_engine::audit::Depth::Sampled,
    }
}

fn snapshot(server: &MailServer) -> anyhow::Result<Vec<(String, Vec<StoredMessage>)>> {
    let mut all = Vec::new();
    for folder in server.folders(USER)? {
        let contents = server.mailbox_contents(USER, &folder)?;
        all.push((folder, contents));
    }
    Ok(all)
}

async fn run(server: &MailServer, keys: Option<&VaultKeys>) -> anyhow::Result<AuditReport> {
    audit(options(server, keys), |_| {}).await
}

#[tokio::test]
async fn a_fully_sealed_mailbox_is_clean_and_the_scan_changes_nothing() -> anyhow::Result<()> {
    let keys = keys(1);
    let server = sealed_mailbox(&keys)?;
    let before = snapshot(&server)?;
    let report = run(&server, None).await?;
    assert!(report.clean, "{report:#?}");
    assert_eq!(report.totals.total, 15);
    assert_eq!(report.totals.sealed, 15);
    let reçus = report
        .folders
        .iter()
        .find(|f| f.name == "Reçus")
        .expect("Reçus scanned");
    assert_eq!(reçus.counts.sealed, 5);
    // What stays visible: the template's header names, buckets, dates, flags.
    let vm = &report.visible_metadata;
    assert!(vm.header_names.contains(&"X-Coffer-Seal".to_owned()));
    assert!(vm.size_buckets.keys().all(|b| *b >= 8192));
    assert_eq!(vm.recipient_counts.get(&1), Some(&15));
    assert_eq!(vm.earliest_date.as_deref(), Some("2024-02-01T09:00:00Z"));
    assert_eq!(vm.flags.get("\\Seen"), Some(&9));
    assert!(
        report
            .server
            .certificate_sha256
            .as_deref()
            .is_some_and(|f| f.len() == 95)
    );
    assert!(report.digest_matches());
    // Read-only: no flag, message or folder changed (and nothing marked \Seen).
    assert_eq!(snapshot(&server)?, before, "the audit changed the mailbox");
    Ok(())
}

#[tokio::test]
async fn plaintext_pgp_and_a_truncated_seal_are_each_reported() -> anyhow::Result<()> {
    let keys = keys(2);
    let server = sealed_mailbox(&keys)?;
    server.deliver(USER, "INBOX", &original(99, 200))?;
    let pgp = b"From: bob@example.test\r\nSubject: pgp\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n boundary=b\r\n\r\n\
        --b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b\r\n\
        Content-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nhQEMA\r\n\
        -----END PGP MESSAGE-----\r\n\r\n--b--\r\n";
    server.deliver(USER, "Archive/2024", pgp)?;
    let whole = sealed(&keys, "Reçus", &original(98, 100_000));
    server.deliver(USER, "Reçus", &whole[..whole.len() / 2])?;

    let report = run(&server, None).await?;
    assert!(!report.clean);
    assert_eq!(report.totals.total, 18);
    assert_eq!(report.totals.sealed, 15);
    assert_eq!(report.totals.plaintext, 1);
    assert_eq!(report.totals.other_encryption, 1);
    assert_eq!(report.totals.malformed_seal, 1);
    let kinds: Vec<(&str, &str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.folder.as_str(), f.kind.as_str(), f.detail.as_str()))
        .collect();
    assert!(
        kinds.contains(&("INBOX", "plaintext", "readable by the provider")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("Archive/2024", "other_encryption", "pgp_mime")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|(f, k, _)| *f == "Reçus" && *k == "malformed_seal"),
        "{kinds:?}"
    );
    for f in &report.findings {
        assert_eq!(f.uid, 6, "planted after five sealed messages: {f:?}");
        assert_eq!(f.keyed_hash.len(), 64);
    }
    // The report names no subject and no sender.
    let json = serde_json::to_string(&report)?;
    assert!(
        !json.contains("merger") && !json.contains(SECRET_SENDER),
        "{json}"
    );
    Ok(())
}

#[tokio::test]
async fn with_the_keys_genuine_seals_verify_and_a_forgery_is_listed() -> anyhow::Result<()> {
    let keys = keys(3);
    let server = sealed_mailbox(&keys)?;
    // The provider knows the public recipient and can encrypt to it.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let forged_original = original(77, 1000);
    let forgery = testkit::forge(
        &[keys.recipient()],
        &SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: InternalDate::new(1_706_781_600, 0)?,
            original: &forged_original,
        },
        &mut rng,
    )?;
    server.deliver(USER, "INBOX", &forgery)?;

    // Without keys the forgery is well-formed: it counts as sealed.
    let keyless = run(&server, None).await?;
    assert!(keyless.clean, "{:?}", keyless.findings);

    let before = snapshot(&server)?;
    let report = run(&server, Some(&keys)).await?;
    let v = report.verification.as_ref().expect("verification ran");
    assert_eq!((v.checked, v.verified, v.sampled), (16, 15, false));
    assert!(!report.clean);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].kind, "forged_seal");
    assert_eq!(report.findings[0].folder, "INBOX");
    assert_eq!(
        snapshot(&server)?,
        before,
        "verification changed the mailbox"
    );

    // A sample opens only that many.
    let mut opts = options(&server, Some(&keys));
    opts.sample = Some(4);
    let sampled = audit(opts, |_| {}).await?;
    let v = sampled.verification.expect("verification");
    assert_eq!((v.checked, v.sampled), (4, true));
    Ok(())
}

#[tokio::test]
async fn keys_of_another_vault_cannot_open_the_seals() -> anyhow::Result<()> {
    let server = sealed_mailbox(&keys(4))?;
    let other = keys(5);
    let mut opts = options(&server, Some(&other));
    opts.folders = vec!["INBOX".to_owned()];
    let report = audit(opts, |_| {}).await?;
    assert_eq!(report.totals.total, 5);
    assert_eq!(report.findings.len(), 5);
    assert!(report.findings.iter().all(|f| f.kind == "unopenable_seal"));
    Ok(())
}

#[tokio::test]
async fn an_unknown_folder_is_an_error() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let mut opts = options(&server, None);
    opts.folders = vec!["Nope".to_owned()];
    let err = audit(opts, |_| {}).await.expect_err("unknown folder");
    assert!(err.to_string().contains("does not exist"), "{err}");
    Ok(())
}

#[tokio::test]
async fn finding_hashes_are_keyed_per_report_and_confirm_no_guess() -> anyhow::Result<()> {
    let server = MailServer::start()?;
    let plain = original(7, 300);
    server.deliver(USER, "INBOX", &plain)?;
    let stored = server.mailbox_contents(USER, "INBOX")?.remove(0).bytes;
    let (a, b) = (run(&server, None).await?, run(&server, None).await?);
    let (ha, hb) = (&a.findings[0].keyed_hash, &b.findings[0].keyed_hash);
    assert_eq!(ha.len(), 64);
    assert_ne!(ha, hb, "each report draws its own key");
    // Whoever guesses the message cannot check the guess against a report.
    use sha2::Digest as _;
    let guess = coffer_core::hex(&sha2::Sha256::digest(&stored));
    assert_ne!(ha, &guess);
    assert!(!serde_json::to_string(&a)?.contains(&guess));
    Ok(())
}
