//! Unlocking a vault: key file, passphrase, database; raising weak KDF parameters.

use std::path::Path;

use anyhow::Context as _;
use coffer_core::SecretString;
use coffer_store::VaultLayout;

use super::{
    IntegrityCheck, Vault, derive, open_store, read_key_file, store_context, unlock_key_file, wrap,
};
use crate::KdfPolicy;
use crate::files::{self, Replace};

impl Vault {
    /// Unlocks the vault in `dir` with `passphrase`.
    ///
    /// When the key file's Argon2id parameters are below `policy`'s target,
    /// the key file is rewritten (atomically) with raised parameters — only
    /// after the database opened, so nothing changes when anything fails.
    #[tracing::instrument(skip_all, fields(dir = %dir.display()))]
    pub fn unlock(
        dir: &Path,
        passphrase: &SecretString,
        policy: KdfPolicy,
    ) -> anyhow::Result<Vault> {
        Self::unlock_with(dir, passphrase, policy, true).map(|(vault, _)| vault)
    }

    /// [`Vault::unlock`] without reading every page of the database first
    /// (the wrong key is still caught): the caller runs the returned check,
    /// e.g. on a background thread while the app shows the inbox.
    #[tracing::instrument(skip_all, fields(dir = %dir.display()))]
    pub fn unlock_then_check(
        dir: &Path,
        passphrase: &SecretString,
        policy: KdfPolicy,
    ) -> anyhow::Result<(Vault, IntegrityCheck)> {
        let (vault, master) = Self::unlock_with(dir, passphrase, policy, false)?;
        let check = IntegrityCheck {
            layout: VaultLayout::new(dir),
            keys: derive(&master)?,
        };
        Ok((vault, check))
    }

    fn unlock_with(
        dir: &Path,
        passphrase: &SecretString,
        policy: KdfPolicy,
        check: bool,
    ) -> anyhow::Result<(Vault, coffer_core::MasterSecret)> {
        let layout = VaultLayout::new(dir);
        let open = |keys: &coffer_core::VaultKeys| match check {
            true => open_store(&layout, keys),
            false => coffer_store::Store::open(&layout.database(), keys.database_key()),
        };
        let mut key_file = read_key_file(&layout, &policy)?;
        let mut master = unlock_key_file(&key_file, passphrase)?;
        let mut keys = derive(&master)?;
        let next = super::new_identity::next_key_file(&layout);
        let store = match (open(&keys), next.exists()) {
            (Ok(store), true) => {
                // A switch to a new identity stopped before the database was
                // re-encrypted: the old key file stands, the new one goes.
                if let Err(error) = std::fs::remove_file(&next) {
                    tracing::warn!(%error, "cannot remove an unfinished new key file");
                }
                store
            }
            (Err(coffer_store::StoreError::WrongKeyOrCorrupt), true) => {
                // It stopped after: the new key file opens the database.
                let next_file = policy
                    .parse(&std::fs::read(&next).context("reading the new key file")?)
                    .context("the new key file is unusable")?;
                let next_master = unlock_key_file(&next_file, passphrase)?;
                let next_keys = derive(&next_master)?;
                let store = open(&next_keys).with_context(|| store_context(&layout))?;
                std::fs::rename(&next, layout.key_file())
                    .context("putting the new key file in place")?;
                tracing::info!("finished switching to the vault's new identity");
                (key_file, master, keys) = (next_file, next_master, next_keys);
                store
            }
            (result, _) => result.with_context(|| store_context(&layout))?,
        };
        let mut kdf = key_file.params();
        if kdf.is_below(&policy.target()) {
            let raised = kdf.raised_to(&policy.target());
            let upgraded = wrap(&master, passphrase, raised).and_then(|file| {
                files::write_private(&layout.key_file(), &file.to_bytes(), Replace::Atomically)
            });
            match upgraded {
                Ok(()) => {
                    tracing::info!(
                        m_kib = raised.m_kib(),
                        t = raised.t(),
                        p = raised.p(),
                        "raised the key file's Argon2id parameters"
                    );
                    kdf = raised;
                }
                // The vault is unlocked and the old key file intact (the
                // write is atomic): a read-only disk should not lock the
                // user out, so warn and retry on the next unlock.
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    "could not raise the key file's Argon2id parameters"
                ),
            }
        }
        tracing::debug!("vault unlocked");
        let mut vault = Vault {
            layout,
            keys,
            kdf,
            policy,
            store,
        };
        vault.load_escrow()?;
        vault.load_generation()?;
        vault.load_retired()?;
        vault.apply_policy_floor();
        Ok((vault, master))
    }
}
