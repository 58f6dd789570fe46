//! The audit report: counts, findings without content, visible metadata, and
//! a digest over the whole so the report can be cited.

use std::collections::BTreeMap;

use coffer_core::hex;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// Report format identifier, bumped when fields change meaning.
pub const REPORT_FORMAT: &str = "coffer-audit/3";

/// How many messages fell in each class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// All messages the server listed.
    pub total: u64,
    /// Well-formed Coffer seals: head and structure checked without a key
    /// (sampled or in full, see [`AuditReport::structure`]). Whether they
    /// are genuine shows only in [`Verification`].
    pub sealed: u64,
    /// Readable by the provider.
    pub plaintext: u64,
    /// Encrypted by another tool (PGP/MIME, S/MIME, inline PGP).
    pub other_encryption: u64,
    /// Marked as a Coffer seal but not well-formed.
    pub malformed_seal: u64,
    /// Listed by the server, but not returned when fetched: not classified.
    pub withheld: u64,
}

impl Counts {
    pub(crate) fn add(&mut self, kind: &str) {
        self.total += 1;
        match kind {
            "sealed" => self.sealed += 1,
            "plaintext" => self.plaintext += 1,
            "other_encryption" => self.other_encryption += 1,
            WITHHELD => self.withheld += 1,
            _ => self.malformed_seal += 1,
        }
    }

    /// Whether every message is a well-formed seal.
    pub fn all_sealed(&self) -> bool {
        self.sealed == self.total
    }

    /// Whether every message listed was read and classified.
    pub fn all_classified(&self) -> bool {
        self.withheld == 0
    }
}

/// The finding kind of a message the server lists but does not return on
/// FETCH (its head, or the whole seal to be opened).
pub(crate) const WITHHELD: &str = "withheld";

/// One folder's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderReport {
    /// The folder's name (Unicode).
    pub name: String,
    /// Its UIDVALIDITY at scan time.
    pub uid_validity: u32,
    /// Its counts.
    pub counts: Counts,
}

/// A message that is not a (genuine) seal. Never its subject, sender or any
/// other content: the report must not itself leak what it audits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Folder name.
    pub folder: String,
    /// UID (with the folder's UIDVALIDITY in [`FolderReport`]).
    pub uid: u32,
    /// INTERNALDATE, RFC 3339 UTC.
    pub internaldate: String,
    /// Size in bytes (RFC822.SIZE).
    pub size: u64,
    /// `plaintext`, `other_encryption`, `malformed_seal`, `forged_seal`,
    /// `unopenable_seal`, `withheld` (listed, but not returned on FETCH).
    pub kind: String,
    /// Why: the tool, or what is wrong with the seal.
    pub detail: String,
    /// HMAC-SHA256 (hex) of the bytes read (the whole message when
    /// `hash_covers_whole_message`, else its first bytes), under a random
    /// key drawn for this report and not kept: equal hashes within one
    /// report are equal bytes, and no hash can confirm a guessed message;
    /// empty when nothing was read (`withheld`).
    pub keyed_hash: String,
    /// Whether `keyed_hash` covers the whole message.
    pub hash_covers_whole_message: bool,
}

/// What the provider can still see on the sealed copies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VisibleMetadata {
    /// The header field names of the sealed copies (the fixed template).
    pub header_names: Vec<String>,
    /// Padded plaintext size (bucket, bytes) → number of messages.
    pub size_buckets: BTreeMap<u64, u64>,
    /// Earliest INTERNALDATE of a sealed message (RFC 3339), if any.
    pub earliest_date: Option<String>,
    /// Latest INTERNALDATE of a sealed message (RFC 3339), if any.
    pub latest_date: Option<String>,
    /// Number of age recipients → number of messages.
    pub recipient_counts: BTreeMap<usize, u64>,
    /// Flags seen on sealed messages → number of messages.
    pub flags: BTreeMap<String, u64>,
}

impl VisibleMetadata {
    /// Completes what a scan gathered: the fixed template's header names
    /// and the range of dates seen on seals.
    pub(crate) fn finish(mut self, dates: Option<(i64, i64)>) -> Self {
        self.header_names = coffer_core::seal::outer::TEMPLATE_HEADER_NAMES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        self.earliest_date = dates.map(|(lo, _)| crate::rfc3339::utc(lo));
        self.latest_date = dates.map(|(_, hi)| crate::rfc3339::utc(hi));
        self
    }
}

/// Who was audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerIdentity {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub security: coffer_net::Security,
    /// SHA-256 (hex, colon-separated) of the server's leaf certificate.
    pub certificate_sha256: Option<String>,
    /// The account (user name) scanned.
    pub user: String,
}

/// The result of opening seals with the vault's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// How many sealed messages were to be opened: every one, or the
    /// random sample drawn.
    pub selected: u64,
    /// How many of them were opened (the others were withheld).
    pub checked: u64,
    /// How many opened with a valid manifest MAC (genuine seals).
    pub verified: u64,
    /// Whether only a random sample was opened.
    pub sampled: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// [`REPORT_FORMAT`].
    pub format: &'static str,
    /// The Coffer version that made the report.
    pub coffer_version: &'static str,
    /// When the scan started (RFC 3339 UTC).
    pub scanned_at: String,
    /// The server and account.
    pub server: ServerIdentity,
    /// How much of each seal the keyless structure check read: `sampled`
    /// (the head, the tail and sampled ranges) or `full` (every byte).
    pub structure: &'static str,
    /// Totals over all folders.
    pub totals: Counts,
    /// Per-folder counts.
    pub folders: Vec<FolderReport>,
    /// Every message that is not a genuine seal.
    pub findings: Vec<Finding>,
    /// What stays visible on the sealed copies.
    pub visible_metadata: VisibleMetadata,
    /// Present when the scan opened seals with the vault's keys.
    pub verification: Option<Verification>,
    /// Whether the mailbox holds only (genuine, where checked) seals: no
    /// finding, every listed message classified as a seal, and, with the
    /// keys, every selected seal opened and genuine. The one definition of
    /// "clean", which the CLI, the HTML report and the app show as it is.
    pub clean: bool,
    /// Whether the report shows the provider holds only ciphertext: clean,
    /// and every seal opened with the vault's keys and genuine (not a
    /// sample). A keyless report never says so: a well-formed seal's base64
    /// may carry anything. The CLI, the HTML report and the app say "only
    /// ciphertext" exactly when this is true.
    pub only_ciphertext: bool,
    /// SHA-256 (hex) over the canonical JSON of every other field.
    pub digest: String,
}

impl AuditReport {
    /// Fills in the derived fields: [`AuditReport::clean`], then the digest
    /// over the report's canonical JSON (every field but `digest`, which is
    /// empty while hashing).
    pub(crate) fn finish(&mut self) -> anyhow::Result<()> {
        // A message the server withheld was never checked: not clean, even
        // if no finding said so.
        let opened_all = self
            .verification
            .as_ref()
            .is_none_or(|v| v.checked == v.selected && v.verified == v.checked);
        self.clean = self.findings.is_empty()
            && self.totals.all_classified()
            && self.totals.all_sealed()
            && opened_all;
        self.only_ciphertext = self.clean
            && self.verification.as_ref().is_some_and(|v| {
                !v.sampled && v.verified == self.totals.sealed && v.selected == self.totals.sealed
            });
        self.seal_digest()
    }

    /// How the structure check ran, in words: `structure sampled` or
    /// `structure checked in full`.
    pub fn structure_words(&self) -> &'static str {
        if self.structure == "full" {
            "structure checked in full"
        } else {
            "structure sampled"
        }
    }

    /// The verdict in one sentence, as the CLI and the HTML report print
    /// it: "only ciphertext" only when [`AuditReport::only_ciphertext`].
    pub fn headline(&self) -> String {
        let t = &self.totals;
        if self.only_ciphertext {
            return format!(
                "Only ciphertext: all {} message(s) are genuine seals, opened with the vault's key.",
                t.total
            );
        }
        if self.clean {
            let opened = match &self.verification {
                Some(v) => format!(
                    "{} of them, a random sample, opened with the vault's key and are genuine; \
                     the rest were not opened.",
                    v.verified
                ),
                None => "None was opened with the vault's key, so none is shown to be genuine: \
                         audit with the vault to open them."
                    .to_owned(),
            };
            return format!(
                "All {} message(s) are well-formed seals ({}). {opened}",
                t.total,
                self.structure_words()
            );
        }
        format!(
            "Not clean: {} finding(s); {} of {} message(s) are not well-formed seals.",
            self.findings.len(),
            t.total.saturating_sub(t.sealed),
            t.total
        )
    }

    fn seal_digest(&mut self) -> anyhow::Result<()> {
        self.digest = String::new();
        self.digest = hex(&Sha256::digest(serde_json::to_vec(self)?));
        Ok(())
    }

    /// Recomputes the digest and compares: true when the report is unchanged.
    pub fn digest_matches(&self) -> bool {
        let mut copy = self.clone();
        copy.seal_digest().is_ok() && copy.digest == self.digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> AuditReport {
        AuditReport {
            format: REPORT_FORMAT,
            coffer_version: "0",
            scanned_at: "2026-01-01T00:00:00Z".into(),
            server: ServerIdentity {
                host: "h".into(),
                port: 993,
                security: coffer_net::Security::Tls,
                certificate_sha256: None,
                user: "u".into(),
            },
            structure: "sampled",
            totals: Counts::default(),
            folders: vec![],
            findings: vec![],
            visible_metadata: VisibleMetadata::default(),
            verification: None,
            clean: false,
            only_ciphertext: false,
            digest: String::new(),
        }
    }

    #[test]
    fn clean_needs_every_listed_message_classified_and_every_selected_seal_opened()
    -> anyhow::Result<()> {
        let mut r = report();
        r.totals = Counts {
            total: 2,
            sealed: 2,
            ..Counts::default()
        };
        r.verification = Some(Verification {
            selected: 2,
            checked: 2,
            verified: 2,
            sampled: false,
        });
        r.finish()?;
        assert!(r.clean);
        assert!(r.only_ciphertext);
        // A seal selected but never opened, with no finding to say so.
        r.verification = Some(Verification {
            selected: 2,
            checked: 1,
            verified: 1,
            sampled: false,
        });
        r.finish()?;
        assert!(!r.clean);
        r.verification = None;
        r.totals.withheld = 1;
        r.finish()?;
        assert!(!r.clean);
        Ok(())
    }

    #[test]
    fn only_every_seal_opened_and_genuine_is_only_ciphertext() -> anyhow::Result<()> {
        let mut r = report();
        r.totals = Counts {
            total: 3,
            sealed: 3,
            ..Counts::default()
        };
        // Without the keys: well-formed seals, clean, but not proven.
        r.finish()?;
        assert!(r.clean && !r.only_ciphertext);
        // A random sample opened: not every seal was shown genuine.
        r.verification = Some(Verification {
            selected: 2,
            checked: 2,
            verified: 2,
            sampled: true,
        });
        r.finish()?;
        assert!(r.clean && !r.only_ciphertext);
        r.verification = Some(Verification {
            selected: 3,
            checked: 3,
            verified: 3,
            sampled: false,
        });
        r.finish()?;
        assert!(r.only_ciphertext);
        Ok(())
    }

    #[test]
    fn the_digest_changes_when_any_field_changes() -> anyhow::Result<()> {
        let mut r = report();
        r.seal_digest()?;
        assert_eq!(r.digest.len(), 64);
        assert!(r.digest_matches());
        let mut changed = r.clone();
        changed.totals.plaintext = 1;
        assert!(!changed.digest_matches());
        Ok(())
    }
}
