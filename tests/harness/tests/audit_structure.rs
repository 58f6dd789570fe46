//! The keyless audit checks a seal's structure beyond its head, against a
//! real Dovecot: a genuine seal's head over a plaintext body of the right
//! length is malformed, sampled and in full; only `--full` sees a single
//! line changed between the samples.

use coffer_core::audit::HEAD_BYTES;
use coffer_core::seal::{InternalDate, SealInput};
use coffer_core::{MasterSecret, VaultKeys};
use coffer_engine::audit::{AuditOptions, AuditReport, Depth, audit};
use coffer_harness::{MailServer, PASSWORD, USER};
use coffer_net::ImapConfig;
use rand::SeedableRng as _;
use secrecy::SecretString;

fn keys() -> VaultKeys {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    MasterSecret::generate(&mut rng)
        .derive()
        .expect("derive keys")
}

fn sealed(keys: &VaultKeys, len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let mut original = b"Subject: board minutes\r\n\r\n".to_vec();
    original.resize(len, b'x');
    let input = SealInput {
        folder: "INBOX",
        flags: &[],
        internaldate: InternalDate::new(1_706_781_600, 0).expect("date"),
        original: &original,
    };
    coffer_core::seal(keys, &input, &mut rng).expect("seal")
}

/// Plaintext lines a provider could read, as many bytes as `len`.
fn plaintext(len: usize) -> Vec<u8> {
    let line = b"From: ceo@acme.example -- the merger closes Friday, keep it quiet.\r\n";
    line.iter().copied().cycle().take(len).collect()
}

async fn run(server: &MailServer, depth: Depth) -> anyhow::Result<AuditReport> {
    let mut imap = ImapConfig::new(server.host(), server.imaps_port());
    imap.ca_file = Some(server.ca_file());
    let options = AuditOptions {
        imap,
        user: USER.to_owned(),
        password: SecretString::from(PASSWORD.to_owned()),
        oauth: false,
        folders: vec!["INBOX".to_owned()],
        keys: None,
        sample: None,
        structure: depth,
    };
    audit(options, |_| {}).await
}

fn kinds(report: &AuditReport) -> Vec<(u32, String)> {
    report
        .findings
        .iter()
        .map(|f| (f.uid, f.kind.clone()))
        .collect()
}

#[tokio::test]
async fn a_genuine_head_over_a_plaintext_body_is_malformed_without_the_key() -> anyhow::Result<()> {
    let keys = keys();
    let server = MailServer::start()?;
    let head = HEAD_BYTES as usize;
    // UID 1, 2: genuine seals, small and large.
    let small = sealed(&keys, 3_000, 1);
    let large = sealed(&keys, 400_000, 2);
    // UID 3: a genuine seal's head, then plaintext to the seal's length.
    let mut forged = large[..head].to_vec();
    forged.extend(plaintext(large.len() - head));
    // UID 4: genuine head and tail, 40 KB of plaintext in the middle.
    let mut middle = large.clone();
    let at = large.len() / 2;
    middle.splice(at..at + 40_000, plaintext(40_000));
    // UID 5: one base64 line in the middle turned into plaintext.
    let mut one_line = sealed(&keys, 400_000, 3);
    let line_at = one_line.len() / 2;
    let start = line_at
        + one_line[line_at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a line end")
        + 2;
    one_line.splice(start..start + 76, plaintext(76));
    for msg in [&small, &large, &forged, &middle, &one_line] {
        server.append(USER, PASSWORD, "INBOX", msg, &[], None)?;
    }
    // The head alone passes for each: only the rest tells them apart.
    for msg in [&forged, &middle, &one_line] {
        let verdict = coffer_core::audit::classify(&msg[..head], msg.len() as u64);
        assert_eq!(verdict.kind(), "sealed");
    }

    let sampled = run(&server, Depth::Sampled).await?;
    assert_eq!(sampled.structure, "sampled");
    let found = kinds(&sampled);
    assert!(
        found.contains(&(3, "malformed_seal".to_owned())),
        "{found:?}"
    );
    assert!(
        found.contains(&(4, "malformed_seal".to_owned())),
        "{found:?}"
    );
    assert!(!found.iter().any(|(uid, _)| *uid <= 2), "{found:?}");
    assert!(!sampled.clean && !sampled.only_ciphertext);
    assert!(
        sampled.headline().starts_with("Not clean"),
        "{}",
        sampled.headline()
    );

    let full = run(&server, Depth::Full).await?;
    assert_eq!(full.structure, "full");
    assert_eq!(
        kinds(&full),
        vec![
            (3, "malformed_seal".to_owned()),
            (4, "malformed_seal".to_owned()),
            (5, "malformed_seal".to_owned())
        ]
    );
    assert_eq!(full.totals.sealed, 2);
    assert_eq!(full.totals.malformed_seal, 3);
    // Nothing of the plaintext reaches the report.
    let json = serde_json::to_string(&full)?;
    assert!(!json.contains("merger") && !json.contains("ceo@"), "{json}");
    Ok(())
}

#[tokio::test]
async fn genuine_seals_pass_both_depths_and_a_keyless_report_never_says_only_ciphertext()
-> anyhow::Result<()> {
    let keys = keys();
    let server = MailServer::start()?;
    for (i, len) in [0usize, 100, 7_000, 70_000, 1_500_000]
        .into_iter()
        .enumerate()
    {
        server.append(
            USER,
            PASSWORD,
            "INBOX",
            &sealed(&keys, len, i as u64),
            &[],
            None,
        )?;
    }
    for depth in [Depth::Sampled, Depth::Full] {
        let report = run(&server, depth).await?;
        assert!(report.clean, "{depth:?}: {:#?}", report.findings);
        assert_eq!(report.totals.sealed, 5);
        assert!(!report.only_ciphertext);
        let headline = report.headline();
        assert!(headline.contains("well-formed seals"), "{headline}");
        assert!(
            !headline.to_lowercase().contains("only ciphertext"),
            "{headline}"
        );
        let page = coffer_engine::audit::render_html(&report);
        assert!(
            page.contains("Not checked: this audit ran without the vault"),
            "{page}"
        );
        assert!(!page.to_lowercase().contains("only ciphertext"), "{page}");
    }
    Ok(())
}
