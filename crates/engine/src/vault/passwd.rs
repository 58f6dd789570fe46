//! Changing the passphrase: re-wrap the same master secret.

use coffer_core::SecretString;

use super::{Vault, derive, read_key_file, unlock_key_file, wrap};
use crate::KdfPolicy;
use crate::files::{self, Replace};

impl Vault {
    /// Replaces the passphrase. `old` must unlock the key file on disk; the
    /// key file is then rewritten atomically, so the old passphrase stops
    /// working and a crash leaves one of the two, never neither. The master
    /// secret, and so every key and the recovery key, stays the same.
    #[tracing::instrument(skip_all, fields(dir = %self.dir().display()))]
    pub fn change_passphrase(
        &mut self,
        old: &SecretString,
        new: &SecretString,
    ) -> anyhow::Result<()> {
        // Check against the file on disk, not the one read at unlock: that is
        // the one the old passphrase has to stop opening.
        let on_disk = read_key_file(&self.layout, &self.policy)?;
        let master = unlock_key_file(&on_disk, old)?;
        self.policy.check_new_passphrase(new)?;
        if derive(&master)?.recipient() != self.keys.recipient() {
            anyhow::bail!(
                "the key file in {} changed since the vault was unlocked; unlock it again",
                self.dir().display()
            );
        }
        let params = on_disk.params().raised_to(&self.policy.target());
        let file = wrap(&master, new, params)?;
        files::write_private(
            &self.layout.key_file(),
            &file.to_bytes(),
            Replace::Atomically,
        )?;
        self.kdf = params;
        tracing::info!("passphrase changed");
        Ok(())
    }

    /// The recovery key again, for the user who lost the paper: only with
    /// the passphrase (checked against the key file on disk).
    #[tracing::instrument(skip_all, fields(dir = %self.dir().display()))]
    pub fn recovery_key(&self, passphrase: &SecretString) -> anyhow::Result<SecretString> {
        let on_disk = read_key_file(&self.layout, &self.policy)?;
        let master = unlock_key_file(&on_disk, passphrase)?;
        if derive(&master)?.recipient() != self.keys.recipient() {
            anyhow::bail!(
                "the key file in {} changed since the vault was unlocked; unlock it again",
                self.dir().display()
            );
        }
        Ok(coffer_core::recovery::encode(&master))
    }

    /// The rules this vault applies to a new passphrase.
    pub fn policy(&self) -> KdfPolicy {
        self.policy
    }
}
