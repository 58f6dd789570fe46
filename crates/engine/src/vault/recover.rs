//! Recovering a vault from its recovery key, in place or into a new directory.

use std::path::Path;

use anyhow::Context as _;
use coffer_core::{SecretString, recovery};
use coffer_store::{StoreError, VaultLayout};

use super::{Vault, create::initialise, derive, open_store, store_context, wrap};
use crate::files::{self, Replace};
use crate::{KdfPolicy, VaultError};

impl Vault {
    /// Restores access with the recovery key and sets `new_passphrase`.
    ///
    /// * `dir` holds this vault's database: the key file is (re)written for it
    ///   — the way back from a forgotten passphrase or a damaged key file.
    ///   The database is opened first, so a recovery key of another vault
    ///   changes nothing.
    /// * `dir` is empty or absent: a new key file and a fresh database (the
    ///   local index is rebuilt from the server later).
    #[tracing::instrument(skip_all, fields(dir = %dir.display()))]
    pub fn recover(
        dir: &Path,
        recovery_key: &SecretString,
        new_passphrase: &SecretString,
        policy: KdfPolicy,
    ) -> anyhow::Result<Vault> {
        let master = recovery::decode(recovery_key).map_err(VaultError::BadRecoveryKey)?;
        policy.check_new_passphrase(new_passphrase)?;
        let layout = VaultLayout::new(dir);
        if !files::exists(&layout.database())? {
            if files::exists(&layout.key_file())? {
                return Err(VaultError::KeyFileWithoutDatabase(dir.to_path_buf()).into());
            }
            let vault = initialise(layout, &master, new_passphrase, policy)?;
            tracing::info!("vault recovered into a new directory");
            return Ok(vault);
        }
        let keys = derive(&master)?;
        let store = match open_store(&layout, &keys) {
            Ok(store) => store,
            Err(StoreError::WrongKeyOrCorrupt) => {
                return Err(VaultError::RecoveryKeyMismatch(dir.to_path_buf()).into());
            }
            Err(e) => return Err(e).with_context(|| store_context(&layout)),
        };
        // The organisation's profile, inside the database, may ask for a
        // stronger passphrase than Coffer's own rule.
        let profile_min =
            crate::profile::stored(&store)?.and_then(|p| p.policy.min_passphrase_score);
        if let Some(min) = profile_min {
            policy.at_least(min).check_new_passphrase(new_passphrase)?;
        }
        let file = wrap(&master, new_passphrase, policy.target())?;
        files::write_private(&layout.key_file(), &file.to_bytes(), Replace::Atomically)
            .context("writing the key file")?;
        tracing::info!("vault recovered in place");
        let mut vault = Vault {
            layout,
            keys,
            kdf: file.params(),
            policy,
            store,
        };
        vault.load_escrow()?;
        vault.load_generation()?;
        vault.load_retired()?;
        vault.apply_policy_floor();
        Ok(vault)
    }
}
