//! Rotating to a new identity: a new master secret (and recovery key), the older one kept inside the database until every seal it made is re-sealed.
//!
//! The switch is made so that a crash at any point leaves a vault that
//! unlocks with the same passphrase:
//!
//! 1. the current master secret joins the retired ones (inside the
//!    encrypted database);
//! 2. the new key file is written beside the old one (`vault.key.next`);
//! 3. the database is re-encrypted under the new master's key;
//! 4. the new key file replaces the old one.
//!
//! Unlocking finishes an interrupted switch: when the database refuses the
//! key file's master and `vault.key.next` opens it, the new key file is put
//! in place; when the old one still opens it, the half-written new one goes.

use std::path::PathBuf;

use anyhow::Context as _;
use coffer_core::{MasterSecret, SecretString, recovery};
use coffer_store::VaultLayout;

use super::{Vault, derive, read_key_file, unlock_key_file, wrap};
use crate::files::{self, Replace};

/// The setting holding the retired master secrets (hex, space-separated).
pub(super) const RETIRED: &str = "keys.retired";

/// Where the new key file waits during a switch.
pub(super) fn next_key_file(layout: &VaultLayout) -> PathBuf {
    let mut name = layout.key_file().into_os_string();
    name.push(".next");
    PathBuf::from(name)
}

/// A new identity made in memory: show [`NewIdentity::recovery_key`], have
/// the user confirm it, then [`Vault::commit_new_identity`].
pub struct NewIdentity {
    master: MasterSecret,
    recovery_key: SecretString,
}

impl std::fmt::Debug for NewIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewIdentity").finish_non_exhaustive()
    }
}

impl NewIdentity {
    /// The new recovery key, to show once.
    pub fn recovery_key(&self) -> &SecretString {
        &self.recovery_key
    }
}

impl Vault {
    /// Reads the retired master secrets into the keys (at unlock).
    pub(super) fn load_retired(&mut self) -> anyhow::Result<()> {
        let Some(list) = self
            .store
            .setting(RETIRED)
            .context("reading the older identities")?
        else {
            return Ok(());
        };
        for hex in list.split_whitespace() {
            let mut bytes = coffer_core::parse_hex32(hex)
                .ok_or_else(|| anyhow::anyhow!("an older identity in the vault is malformed"))?;
            let older = MasterSecret::from_bytes(&mut bytes);
            self.keys
                .add_retired(&older)
                .context("deriving an older identity")?;
        }
        Ok(())
    }

    /// A new master secret and its recovery key, in memory only.
    pub fn prepare_new_identity(&self) -> NewIdentity {
        let master = MasterSecret::generate(&mut rand::rngs::OsRng);
        NewIdentity {
            recovery_key: recovery::encode(&master),
            master,
        }
    }

    /// Makes `new` the vault's identity (see the module's steps). The
    /// passphrase stays the same; the old recovery key stops opening the
    /// vault. Seals already made stay readable through the retired keys
    /// until `rotate` re-seals them.
    pub fn commit_new_identity(
        &mut self,
        new: NewIdentity,
        passphrase: &SecretString,
    ) -> anyhow::Result<()> {
        let key_file = read_key_file(&self.layout, &self.policy)?;
        let current = unlock_key_file(&key_file, passphrase)?;
        let mut retired: Vec<String> = self
            .store
            .setting(RETIRED)
            .context("reading the older identities")?
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        retired.push(coffer_core::hex(current.expose_secret()));
        self.store
            .set_setting(RETIRED, &retired.join(" "))
            .context("keeping the current identity for its seals")?;
        let file = wrap(&new.master, passphrase, self.kdf)?;
        let next = next_key_file(&self.layout);
        files::write_private(&next, &file.to_bytes(), Replace::Atomically)
            .context("writing the new key file")?;
        let mut keys = derive(&new.master)?;
        self.store
            .rekey(keys.database_key())
            .context("re-encrypting the database under the new identity")?;
        std::fs::rename(&next, self.layout.key_file())
            .context("putting the new key file in place")?;
        keys.set_escrow_recipients(self.keys.escrow_recipients().to_vec());
        keys.set_generation(self.keys.generation());
        self.keys = keys;
        self.load_retired()?;
        tracing::info!("the vault has a new identity");
        Ok(())
    }
}
