//! Key rotation: every seal of this vault re-sealed to the current recipient set, by the sealing engine's own safe path.
//!
//! A rotation moves the vault to a new **key generation**: new seals get
//! seal ids under a key of that generation (`VaultKeys::set_generation`),
//! so a new seal is never mistaken for the old one it replaces, and a
//! rotation cut anywhere resumes without duplicates. Seals of every
//! generation count as this vault's (same identity, same MAC key): `seal`
//! and `watch` leave them alone; only `rotate` re-seals them. Each old seal
//! goes through the safe path as an original does: fetched and opened, its
//! original sealed anew to the current recipients (the organisation's
//! escrow key added, changed or removed), appended, fetched back and
//! verified, and only then the old seal removed (`UID EXPUNGE`, or the MOVE
//! path), with the journal written before each step.
//!
//! A new *identity* (`Vault::commit_new_identity`, `coffer rekey`) is the
//! same rotation after the vault's master secret was replaced: the old
//! identity is kept inside the database, so old seals open and verify until
//! each is re-sealed. A new identity waits while a rotation is under way
//! (both generations would be re-sealed, twice), and so does a change of
//! the escrow recipient.

use anyhow::Context as _;
use coffer_core::seal::AccountScope;
use coffer_core::{Authenticity, VaultKeys};
use coffer_net::FetchedMessage;
use sha2::{Digest as _, Sha256};

use super::{SealOptions, SealProgress, SealSummary};
use crate::{Code, Vault};

/// What a message fetched by a rotation is.
pub(super) enum Unwrapped {
    /// A seal of the current generation: nothing to do.
    Current,
    /// What to seal: the original inside an old seal of this vault, or the
    /// message itself (plaintext, or a seal this vault did not make).
    Original(FetchedMessage),
}

/// Opens `m` if it is this vault's seal: its original (with the seal's
/// flags and INTERNALDATE), or [`Unwrapped::Current`] when it is of the
/// current generation already.
pub(super) fn unwrap(keys: &VaultKeys, scope: &AccountScope, m: FetchedMessage) -> Unwrapped {
    let Ok(opened) = coffer_core::open(keys, &m.body) else {
        return Unwrapped::Original(m);
    };
    if opened.authenticity != Authenticity::Verified {
        return Unwrapped::Original(m);
    }
    let current = coffer_core::seal::seal_id_in(keys, scope, &opened.manifest.original_sha256);
    if opened.manifest.seal_id == current {
        return Unwrapped::Current;
    }
    Unwrapped::Original(FetchedMessage {
        body: opened.original,
        ..m
    })
}

/// The setting holding the key generation new seals belong to.
const GENERATION: &str = "keys.generation";
/// The generation a rotation under way is moving to.
const PENDING: &str = "rotation.pending";
/// The recipient set the last finished rotation sealed to.
const RECIPIENTS: &str = "rotation.recipients";

fn done_key(account: &str) -> String {
    format!("rotation.done:{account}")
}

/// An id of the vault's current recipient set.
fn recipients_id(keys: &VaultKeys) -> String {
    let mut all: Vec<String> = keys.recipients().iter().map(ToString::to_string).collect();
    all.sort();
    coffer_core::hex(&Sha256::digest(all.join("\n").as_bytes()))
}

/// What `rotate` did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RotateSummary {
    /// The key generation seals were moved to (`None`: nothing to rotate).
    pub generation: Option<u32>,
    /// Whether every account is done (the rotation is finished).
    pub finished: bool,
    /// Each account's run.
    pub runs: Vec<SealSummary>,
}

impl Vault {
    /// Reads the key generation at unlock.
    pub(crate) fn load_generation(&mut self) -> anyhow::Result<()> {
        let g = self
            .store()
            .setting(GENERATION)
            .context("reading the key generation")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        self.keys_mut().set_generation(g);
        Ok(())
    }

    /// The key generation a rotation under way moves to, if one is under
    /// way (a new identity waits until it is finished: its seals and the
    /// unfinished rotation's would otherwise both be re-sealed, twice).
    pub fn rotation_pending(&self) -> anyhow::Result<Option<u32>> {
        Ok(self
            .store()
            .setting(PENDING)
            .context("reading the rotation")?
            .and_then(|v| v.parse().ok()))
    }

    /// Re-seals this vault's seals (of `account`, or of every account) to
    /// the current recipient set, under a new key generation; resumes a
    /// rotation under way. Nothing to do when the recipient set is the one
    /// the last finished rotation sealed to.
    pub async fn rotate(
        &mut self,
        account: Option<&str>,
        options: &SealOptions,
        mut progress: impl FnMut(SealProgress),
    ) -> anyhow::Result<RotateSummary> {
        let store = self.store();
        let pending: Option<u32> = store
            .setting(PENDING)
            .context("reading the rotation")?
            .and_then(|v| v.parse().ok());
        let recipients = recipients_id(self.keys());
        let generation = match pending {
            Some(g) => g,
            None => {
                let last = store.setting(RECIPIENTS).context("reading the rotation")?;
                if last.as_deref() == Some(recipients.as_str()) {
                    return Ok(RotateSummary {
                        generation: None,
                        finished: true,
                        runs: Vec::new(),
                    });
                }
                let g = self.keys().generation() + 1;
                store
                    .set_setting(GENERATION, &g.to_string())
                    .and_then(|()| store.set_setting(PENDING, &g.to_string()))
                    .context("starting the rotation")?;
                g
            }
        };
        self.keys_mut().set_generation(generation);
        let names: Vec<String> = match account {
            Some(a) => vec![self.connection(Some(a))?.name],
            None => self.accounts()?.into_iter().map(|a| a.name).collect(),
        };
        if names.is_empty() {
            return Err(crate::refusal(
                Code::NoSuchAccount,
                "the vault has no account to rotate",
            ));
        }
        let options = SealOptions {
            rotate: true,
            dry_run: false,
            ..options.clone()
        };
        let mut runs = Vec::new();
        for name in &names {
            let conn = self.connection(Some(name))?;
            let _lock = self.lock_account(&conn.name)?;
            let summary = self.seal_locked(&conn, &options, &mut progress).await?;
            // Only a run over every folder finishes an account.
            if summary.outcome() == super::Outcome::Complete && options.folders.is_empty() {
                self.store()
                    .set_setting(&done_key(name), &generation.to_string())
                    .context("recording the rotation")?;
            }
            runs.push(summary);
        }
        // Finished when every account is at this generation.
        let mut finished = true;
        for a in self.accounts()? {
            let done = self
                .store()
                .setting(&done_key(&a.name))
                .context("reading the rotation")?;
            finished &= done.as_deref() == Some(generation.to_string().as_str());
        }
        if finished {
            self.store()
                .set_setting(RECIPIENTS, &recipients)
                .and_then(|()| self.store().remove_setting(PENDING).map(drop))
                .context("finishing the rotation")?;
        }
        Ok(RotateSummary {
            generation: Some(generation),
            finished,
            runs,
        })
    }
}
