//! Runs the scan: connect, list folders, EXAMINE each, read heads, classify.

use std::collections::HashMap;

use anyhow::Context as _;
use coffer_core::audit::sample::Depth;
use coffer_core::audit::{HEAD_BYTES, Verdict, classify_with_structure};
use coffer_core::seal::Structure;
use coffer_core::{Authenticity, VaultKeys, hex};
use coffer_net::{ImapConfig, ImapSession, MessageHead};
use rand::seq::SliceRandom as _;
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};

use super::report::{
    AuditReport, Counts, Finding, FolderReport, REPORT_FORMAT, ServerIdentity, Verification,
    VisibleMetadata, WITHHELD,
};
use super::structure::{self, Defect};

/// What to audit and how.
pub struct AuditOptions<'a> {
    /// Where the IMAP server is and how to reach it.
    pub imap: ImapConfig,
    /// The account.
    pub user: String,
    /// Its password, or with `oauth` an OAuth2 access token.
    pub password: SecretString,
    /// `password` is an OAuth2 access token (SASL OAUTHBEARER or XOAUTH2).
    pub oauth: bool,
    /// Folders to scan; empty means every selectable folder.
    pub folders: Vec<String>,
    /// The vault's keys, to open seals and check their MAC (optional).
    pub keys: Option<&'a VaultKeys>,
    /// With keys: open only a random sample of this many seals.
    pub sample: Option<usize>,
    /// How much of each seal the keyless structure check reads: the head,
    /// the tail and samples (default), or every byte.
    pub structure: Depth,
}

impl std::fmt::Debug for AuditOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditOptions")
            .field("imap", &self.imap)
            .field("user", &self.user)
            .field("folders", &self.folders)
            .field("with_keys", &self.keys.is_some())
            .field("sample", &self.sample)
            .field("structure", &self.structure)
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

/// The certificate fingerprint as browsers show it: `AB:CD:…`.
fn fingerprint(der: &[u8]) -> String {
    let hex = hex(&Sha256::digest(der)).to_ascii_uppercase();
    hex.as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair))
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
    let (mut session, server) = connect(&opts).await?;
    let folders = crate::folders::choose(&mut session, &opts.folders).await?;
    let total_messages = examine_all(&mut session, &folders).await?;
    progress(AuditProgress::Planned {
        folders: folders.len(),
        messages: total_messages,
    });
    let mut scan = Scan {
        depth: opts.structure,
        ..Scan::default()
    };
    let mut reports = Vec::with_capacity(folders.len());
    for name in &folders {
        reports.push(scan.folder(&mut session, name, &mut progress).await?);
    }
    let verification = match opts.keys {
        Some(keys) => Some(
            verify(
                &mut session,
                keys,
                std::mem::take(&mut scan.sealed),
                &scan.key,
                opts.sample,
                &mut scan.findings,
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
        structure: opts.structure.as_str(),
        totals: scan.totals,
        folders: reports,
        findings: scan.findings,
        visible_metadata: scan.visible.finish(scan.dates),
        verification,
        clean: false,
        only_ciphertext: false,
        digest: String::new(),
    };
    report.finish()?;
    Ok(report)
}

/// Logs in and notes who was audited (with the certificate's fingerprint).
async fn connect(opts: &AuditOptions<'_>) -> anyhow::Result<(ImapSession, ServerIdentity)> {
    let login = match opts.oauth {
        true => coffer_net::Login::Bearer(&opts.password),
        false => coffer_net::Login::Password(&opts.password),
    };
    let session = ImapSession::connect_with(&opts.imap, &opts.user, login)
        .await
        .with_context(|| format!("connecting to {}:{}", opts.imap.host, opts.imap.port))?;
    let server = ServerIdentity {
        host: opts.imap.host.clone(),
        port: opts.imap.port,
        security: opts.imap.security,
        certificate_sha256: session.peer_certificate_der().map(|d| fingerprint(&d)),
        user: opts.user.clone(),
    };
    Ok((session, server))
}

/// EXAMINEs every folder first, for the progress total: how many messages
/// they hold in all.
async fn examine_all(session: &mut ImapSession, folders: &[String]) -> anyhow::Result<u64> {
    let mut total = 0u64;
    for name in folders {
        let status = session
            .examine(name)
            .await
            .with_context(|| format!("opening folder {name:?} read-only"))?;
        total += u64::from(status.exists);
    }
    Ok(total)
}

/// What the scan has found so far, over all folders.
#[derive(Default)]
struct Scan {
    totals: Counts,
    findings: Vec<Finding>,
    visible: VisibleMetadata,
    /// Earliest and latest INTERNALDATE of a sealed message.
    dates: Option<(i64, i64)>,
    /// Sealed messages, to open with the keys afterwards.
    sealed: Vec<ToVerify>,
    /// Messages classified.
    done: u64,
    /// This report's key for the findings' hashes.
    key: ReportKey,
    /// How much of each seal the structure check reads.
    depth: Depth,
}

/// The key a report's findings are hashed under: random, drawn for one
/// report and never kept, so a hash cannot confirm a guessed message.
struct ReportKey(secrecy::SecretBox<[u8; 32]>);

impl Default for ReportKey {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        Self(secrecy::SecretBox::new(Box::new(key)))
    }
}

impl ReportKey {
    /// HMAC-SHA256 of `bytes` under this key, in hex.
    fn hash(&self, bytes: &[u8]) -> String {
        use hmac::Mac as _;
        use secrecy::ExposeSecret as _;
        // HMAC takes keys of any length: new_from_slice cannot fail here.
        match hmac::Hmac::<Sha256>::new_from_slice(self.0.expose_secret()) {
            Ok(mut mac) => {
                mac.update(bytes);
                hex(&mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }
}

impl Scan {
    /// Classifies every message of one folder from its head, a batch of
    /// heads at a time so memory stays flat whatever the folder's size. A
    /// message listed but whose head the server does not return is a
    /// finding (`withheld`): it was never classified.
    async fn folder(
        &mut self,
        session: &mut ImapSession,
        name: &str,
        progress: &mut impl FnMut(AuditProgress),
    ) -> anyhow::Result<FolderReport> {
        let status = session.examine(name).await?;
        let listed = session
            .uid_list()
            .await
            .with_context(|| format!("listing messages in {name:?}"))?;
        let mut counts = Counts::default();
        for batch in listed.chunks(HEADS_PER_BATCH) {
            let uids: Vec<u32> = batch.iter().map(|m| m.uid).collect();
            let mut heads: HashMap<u32, MessageHead> = session
                .fetch_heads(&uids, HEAD_BYTES)
                .await
                .with_context(|| format!("reading message heads in {name:?}"))?
                .into_iter()
                .map(|m| (m.uid, m))
                .collect();
            let mut classified = Vec::with_capacity(batch.len());
            for info in batch {
                match heads.remove(&info.uid) {
                    Some(m) => {
                        let (verdict, structure) = classify_with_structure(&m.head, m.size);
                        classified.push((m, verdict, structure));
                    }
                    None => self.count_withheld(
                        &mut counts,
                        withheld(
                            name,
                            info.uid,
                            info.internaldate,
                            u64::from(info.size),
                            "listed by the server, but its head was not returned when fetched \
                             (withheld, or removed by another client during the scan): not checked",
                        ),
                    ),
                }
            }
            // A seal's head is not enough: the rest of its structure is
            // checked too, sampled or in full, before it counts as sealed.
            let seals: Vec<(u32, Structure)> = classified
                .iter_mut()
                .filter_map(|(m, _, s)| Some((m.uid, s.take()?)))
                .collect();
            let mut defects = structure::check(session, &seals, self.depth)
                .await
                .with_context(|| format!("checking the structure of seals in {name:?}"))?;
            for (m, verdict, _) in classified {
                let verdict = match defects.remove(&m.uid) {
                    None => verdict,
                    Some(Defect::Malformed(e)) => Verdict::MalformedSeal(e),
                    Some(Defect::Withheld) => {
                        self.count_withheld(
                            &mut counts,
                            withheld(
                                name,
                                m.uid,
                                m.internaldate,
                                m.size,
                                "its head is a seal's, but the server did not return the parts \
                                 of it asked for to check its structure: not checked",
                            ),
                        );
                        continue;
                    }
                };
                counts.add(verdict.kind());
                self.totals.add(verdict.kind());
                self.record(name, &m, &verdict);
                self.done += 1;
            }
            progress(AuditProgress::Scanned {
                folder: name.to_owned(),
                done: self.done,
            });
        }
        Ok(FolderReport {
            name: name.to_owned(),
            uid_validity: status.uid_validity,
            counts,
        })
    }

    /// Counts a message the server listed but withheld, with its finding.
    fn count_withheld(&mut self, counts: &mut Counts, finding: Finding) {
        counts.add(WITHHELD);
        self.totals.add(WITHHELD);
        self.findings.push(finding);
        self.done += 1;
    }

    /// A seal adds to what stays visible and waits to be opened; anything
    /// else is a finding.
    fn record(&mut self, folder: &str, m: &MessageHead, verdict: &Verdict) {
        let detail = match verdict {
            Verdict::Sealed(info) => {
                let visible = &mut self.visible;
                *visible.size_buckets.entry(info.padded_len).or_default() += 1;
                *visible
                    .recipient_counts
                    .entry(info.recipient_count())
                    .or_default() += 1;
                for flag in &m.flags {
                    *visible.flags.entry(flag.clone()).or_default() += 1;
                }
                self.dates = Some(match self.dates {
                    None => (m.internaldate, m.internaldate),
                    Some((lo, hi)) => (lo.min(m.internaldate), hi.max(m.internaldate)),
                });
                self.sealed.push(ToVerify {
                    folder: folder.to_owned(),
                    uid: m.uid,
                    internaldate: m.internaldate,
                    size: m.size,
                });
                return;
            }
            Verdict::MalformedSeal(e) => e.to_string(),
            Verdict::OtherEncryption(tool) => tool.as_str().to_owned(),
            Verdict::Plaintext => "readable by the provider".to_owned(),
        };
        self.findings.push(Finding {
            folder: folder.to_owned(),
            uid: m.uid,
            internaldate: crate::rfc3339::utc(m.internaldate),
            size: m.size,
            kind: verdict.kind().to_owned(),
            detail,
            keyed_hash: self.key.hash(&m.head),
            hash_covers_whole_message: m.head.len() as u64 >= m.size,
        });
    }
}

/// A message the server listed but did not return: a finding with nothing
/// read, so nothing hashed.
fn withheld(folder: &str, uid: u32, internaldate: i64, size: u64, detail: &str) -> Finding {
    Finding {
        folder: folder.to_owned(),
        uid,
        internaldate: crate::rfc3339::utc(internaldate),
        size,
        kind: WITHHELD.to_owned(),
        detail: detail.to_owned(),
        keyed_hash: String::new(),
        hash_covers_whole_message: false,
    }
}

/// Opens sealed messages (all, or a random sample) with the vault's keys.
/// One the server listed but does not return whole is a finding
/// (`withheld`), and leaves `checked` short of `selected`.
async fn verify(
    session: &mut ImapSession,
    keys: &VaultKeys,
    mut sealed: Vec<ToVerify>,
    key: &ReportKey,
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
        selected: total,
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
            findings.push(withheld(
                &item.folder,
                item.uid,
                item.internaldate,
                item.size,
                "a seal listed by the server, but not returned when fetched whole to be opened \
                 (withheld, or removed by another client during the audit): not verified",
            ));
            continue;
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
                keyed_hash: key.hash(&message),
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
