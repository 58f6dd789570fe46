//! Runs the scan: connect, list folders, EXAMINE each, read heads, classify.

use anyhow::Context as _;
use coffer_core::audit::{HEAD_BYTES, Verdict, classify};
use coffer_core::{Authenticity, VaultKeys};
use coffer_net::{ImapConfig, ImapSession, Security};
use rand::seq::SliceRandom as _;
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};

use super::report::{
    AuditReport, Counts, Finding, FolderReport, REPORT_FORMAT, ServerIdentity, Verification,
    VisibleMetadata, hex,
};

/// What to audit and how.
pub struct AuditOptions<'a> {
    /// Where the IMAP server is and how to reach it.
    pub imap: ImapConfig,
    /// The account.
    pub user: String,
    /// Its password.
    pub password: SecretString,
    /// Folders to scan; empty means every selectable folder.
    pub folders: Vec<String>,
    /// The vault's keys, to open seals and check their MAC (optional).
    pub keys: Option<&'a VaultKeys>,
    /// With keys: open only a random sample of this many seals.
    pub sample: Option<usize>,
}

impl std::fmt::Debug for AuditOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditOptions")
            .field("imap", &self.imap)
            .field("user", &self.user)
            .field("folders", &self.folders)
            .field("with_keys", &self.keys.is_some())
            .field("sample", &self.sample)
            .finish_non_exhaustive()
    }
}

/// Progress of a running audit, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProgress {
    /// The folders to scan and how many messages they hold in all.
    Planned {
        /// Number of folders.
        folders: usize,
        /// Number of messages.
        messages: u64,
    },
    /// Messages classified so far (all folders).
    Scanned {
        /// The folder being scanned.
        folder: String,
        /// Messages done.
        done: u64,
    },
    /// Seals opened so far with the vault's keys.
    Verified {
        /// Seals done.
        done: u64,
        /// Seals to open.
        total: u64,
    },
}

/// Messages whose heads are held in memory at once (8 KiB each).
const HEADS_PER_BATCH: usize = 500;

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A sealed message to open later with the keys.
struct ToVerify {
    folder: String,
    uid: u32,
    internaldate: i64,
    size: u64,
}

/// Scans the mailbox read-only and returns the report.
#[tracing::instrument(skip_all, fields(host = %opts.imap.host, user = %opts.user))]
pub async fn audit(
    opts: AuditOptions<'_>,
    mut progress: impl FnMut(AuditProgress),
) -> anyhow::Result<AuditReport> {
    let scanned_at = crate::rfc3339::now();
    let mut session = ImapSession::connect(&opts.imap, &opts.user, &opts.password)
        .await
        .with_context(|| format!("connecting to {}:{}", opts.imap.host, opts.imap.port))?;
    let server = ServerIdentity {
        host: opts.imap.host.clone(),
        port: opts.imap.port,
        security: match opts.imap.security {
            Security::Tls => "tls",
            Security::StartTls => "starttls",
            Security::InsecureLoopback => "insecure-loopback",
        }
        .to_owned(),
        certificate_sha256: session.peer_certificate_der().map(|d| fingerprint(&d)),
        user: opts.user.clone(),
    };

    let listed = session.list_folders().await.context("listing folders")?;
    let folders: Vec<String> = if opts.folders.is_empty() {
        listed
            .into_iter()
            .filter(|f| f.selectable)
            .map(|f| f.name)
            .collect()
    } else {
        for wanted in &opts.folders {
            anyhow::ensure!(
                listed.iter().any(|f| &f.name == wanted),
                "folder {wanted:?} does not exist on the server"
            );
        }
        opts.folders.clone()
    };

    // EXAMINE every folder first, for the plan (and a progress total).
    let mut plan = Vec::with_capacity(folders.len());
    let mut total_messages = 0u64;
    for name in &folders {
        let status = session
            .examine(name)
            .await
            .with_context(|| format!("opening folder {name:?} read-only"))?;
        total_messages += u64::from(status.exists);
        plan.push((name.clone(), status));
    }
    progress(AuditProgress::Planned {
        folders: plan.len(),
        messages: total_messages,
    });

    let mut totals = Counts::default();
    let mut reports = Vec::with_capacity(plan.len());
    let mut findings = Vec::new();
    let mut visible = VisibleMetadata {
        header_names: coffer_core::seal::outer::TEMPLATE_HEADER_NAMES
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        ..VisibleMetadata::default()
    };
    let mut dates: Option<(i64, i64)> = None;
    let mut sealed = Vec::new();
    let mut done = 0u64;
    for (name, _) in &plan {
        let status = session.examine(name).await?;
        let uids: Vec<u32> = session
            .uid_list()
            .await
            .with_context(|| format!("listing messages in {name:?}"))?
            .into_iter()
            .map(|m| m.uid)
            .collect();
        let mut counts = Counts::default();
        // Heads are read and classified a batch at a time, so memory stays
        // flat whatever the folder's size.
        for batch in uids.chunks(HEADS_PER_BATCH) {
            let heads = session
                .fetch_heads(batch, HEAD_BYTES)
                .await
                .with_context(|| format!("reading message heads in {name:?}"))?;
            for m in heads {
                let verdict = classify(&m.head, m.size);
                counts.add(verdict.kind());
                totals.add(verdict.kind());
                let detail = match &verdict {
                    Verdict::Sealed(info) => {
                        *visible.size_buckets.entry(info.padded_len).or_default() += 1;
                        *visible
                            .recipient_counts
                            .entry(info.recipient_count())
                            .or_default() += 1;
                        for flag in &m.flags {
                            *visible.flags.entry(flag.clone()).or_default() += 1;
                        }
                        dates = Some(match dates {
                            None => (m.internaldate, m.internaldate),
                            Some((lo, hi)) => (lo.min(m.internaldate), hi.max(m.internaldate)),
                        });
                        sealed.push(ToVerify {
                            folder: name.clone(),
                            uid: m.uid,
                            internaldate: m.internaldate,
                            size: m.size,
                        });
                        None
                    }
                    Verdict::MalformedSeal(e) => Some(e.to_string()),
                    Verdict::OtherEncryption(tool) => Some(tool.as_str().to_owned()),
                    Verdict::Plaintext => Some("readable by the provider".to_owned()),
                };
                if let Some(detail) = detail {
                    let whole = m.head.len() as u64 >= m.size;
                    findings.push(Finding {
                        folder: name.clone(),
                        uid: m.uid,
                        internaldate: crate::rfc3339::utc(m.internaldate),
                        size: m.size,
                        kind: verdict.kind().to_owned(),
                        detail,
                        sha256: hex(&Sha256::digest(&m.head)),
                        hash_covers_whole_message: whole,
                    });
                }
                done += 1;
            }
            progress(AuditProgress::Scanned {
                folder: name.clone(),
                done,
            });
        }
        reports.push(FolderReport {
            name: name.clone(),
            uid_validity: status.uid_validity,
            counts,
        });
    }
    visible.earliest_date = dates.map(|(lo, _)| crate::rfc3339::utc(lo));
    visible.latest_date = dates.map(|(_, hi)| crate::rfc3339::utc(hi));

    let verification = match opts.keys {
        Some(keys) => Some(
            verify(
                &mut session,
                keys,
                sealed,
                opts.sample,
                &mut findings,
                &mut progress,
            )
            .await?,
        ),
        None => None,
    };
    if let Err(error) = session.logout().await {
        tracing::debug!(%error, "logout after audit failed");
    }

    let mut report = AuditReport {
        format: REPORT_FORMAT,
        coffer_version: coffer_core::VERSION,
        scanned_at,
        server,
        totals,
        folders: reports,
        findings,
        visible_metadata: visible,
        verification,
        digest: String::new(),
    };
    report.seal_digest()?;
    Ok(report)
}

/// Opens sealed messages (all, or a random sample) with the vault's keys.
async fn verify(
    session: &mut ImapSession,
    keys: &VaultKeys,
    mut sealed: Vec<ToVerify>,
    sample: Option<usize>,
    findings: &mut Vec<Finding>,
    progress: &mut impl FnMut(AuditProgress),
) -> anyhow::Result<Verification> {
    let sampled = sample.is_some_and(|n| n < sealed.len());
    if let Some(n) = sample {
        sealed.shuffle(&mut rand::rngs::OsRng);
        sealed.truncate(n);
    }
    // Group by folder so each is opened once.
    sealed.sort_by(|a, b| a.folder.cmp(&b.folder).then(a.uid.cmp(&b.uid)));
    let total = sealed.len() as u64;
    let mut result = Verification {
        sampled,
        ..Verification::default()
    };
    let mut current: Option<String> = None;
    for item in sealed {
        if current.as_deref() != Some(item.folder.as_str()) {
            session.examine(&item.folder).await?;
            current = Some(item.folder.clone());
        }
        let Some(message) = session.uid_fetch_one(item.uid).await? else {
            continue; // deleted meanwhile by another client
        };
        result.checked += 1;
        let message = message.body;
        let outcome = coffer_core::open(keys, &message);
        let problem = match outcome {
            Ok(opened) if opened.authenticity == Authenticity::Verified => {
                result.verified += 1;
                None
            }
            Ok(_) => Some((
                "forged_seal",
                "opens with the vault's identity but its manifest MAC is wrong: \
                 not sealed by this vault"
                    .to_owned(),
            )),
            Err(e) => Some(("unopenable_seal", e.to_string())),
        };
        if let Some((kind, detail)) = problem {
            findings.push(Finding {
                folder: item.folder.clone(),
                uid: item.uid,
                internaldate: crate::rfc3339::utc(item.internaldate),
                size: item.size,
                kind: kind.to_owned(),
                detail,
                sha256: hex(&Sha256::digest(&message)),
                hash_covers_whole_message: true,
            });
        }
        progress(AuditProgress::Verified {
            done: result.checked,
            total,
        });
    }
    Ok(result)
}
