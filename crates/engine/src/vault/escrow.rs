//! The organisation escrow recipient: every new seal is also encrypted to it.
//!
//! Kept in the vault's settings (`escrow.recipient`), read at unlock into the
//! keys' recipient set. Setting or changing it needs the unlocked vault (the
//! passphrase) and a fingerprint that matches ([`coffer_core::escrow`]); it
//! applies to new seals. Seals already on the server change only when `rotate`
//! re-seals them.

use anyhow::Context as _;
use coffer_core::Recipient;
use serde::Serialize;

use super::Vault;
use crate::{Code, refusal};

/// The setting that holds the recipient (`age1…`).
const SETTING: &str = "escrow.recipient";

/// The escrow recipient, as `coffer status` and the app show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscrowInfo {
    /// The organisation's age recipient (`age1…`).
    pub recipient: String,
    /// Its fingerprint, in eight groups of four hex digits.
    pub fingerprint: String,
}

fn info(r: &Recipient) -> EscrowInfo {
    EscrowInfo {
        recipient: r.to_string(),
        fingerprint: coffer_core::escrow::fingerprint(r),
    }
}

impl Vault {
    /// Reads the escrow recipient from the settings into the keys (at unlock).
    pub(super) fn load_escrow(&mut self) -> anyhow::Result<()> {
        let Some(stored) = self
            .store
            .setting(SETTING)
            .context("reading the escrow recipient")?
        else {
            return Ok(());
        };
        let r: Recipient = stored.parse().map_err(|_| {
            refusal(
                Code::VaultDamaged,
                "the vault's escrow recipient setting is not an age recipient",
            )
        })?;
        self.keys.set_escrow_recipients(vec![r]);
        Ok(())
    }

    /// A rotation under way seals to the recipient set it began with: the
    /// set changes only once it is finished.
    fn refuse_during_rotation(&self) -> anyhow::Result<()> {
        match self.rotation_pending()? {
            Some(_) => Err(refusal(
                Code::BadRequest,
                "a rotation is under way: finish it with `coffer rotate`, then change the \
                 escrow recipient",
            )),
            None => Ok(()),
        }
    }

    /// The escrow recipient new seals are also encrypted to, if any.
    pub fn escrow(&self) -> Option<EscrowInfo> {
        self.keys.escrow_recipients().first().map(info)
    }

    /// Sets (or changes) the escrow recipient, after checking `fingerprint`
    /// against it. Applies to new seals.
    pub fn set_escrow(&mut self, recipient: &str, fingerprint: &str) -> anyhow::Result<EscrowInfo> {
        self.check_escrow_change()?;
        self.refuse_during_rotation()?;
        let r = coffer_core::escrow::pinned(recipient, fingerprint)
            .map_err(|e| refusal(Code::BadRequest, e))?;
        if r == self.keys.recipient() {
            return Err(refusal(
                Code::BadRequest,
                "that is this vault's own recipient, not an organisation's",
            ));
        }
        self.store
            .set_setting(SETTING, &r.to_string())
            .context("saving the escrow recipient")?;
        self.keys.set_escrow_recipients(vec![r.clone()]);
        tracing::info!(fingerprint = %coffer_core::escrow::fingerprint(&r), "escrow recipient set");
        Ok(info(&r))
    }

    /// Removes the escrow recipient: new seals go to the vault alone.
    /// Returns the one removed.
    pub fn remove_escrow(&mut self) -> anyhow::Result<Option<EscrowInfo>> {
        self.check_escrow_change()?;
        self.refuse_during_rotation()?;
        let before = self.escrow();
        self.store
            .remove_setting(SETTING)
            .context("removing the escrow recipient")?;
        self.keys.set_escrow_recipients(Vec::new());
        Ok(before)
    }
}
