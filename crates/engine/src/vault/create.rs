//! Creating a vault: a new master secret, its key file, a fresh database.

use std::path::Path;

use anyhow::Context as _;
use coffer_core::{MasterSecret, SecretString, recovery};
use coffer_store::{Store, VaultLayout};

use super::{Vault, derive, wrap};
use crate::files::{self, Replace};
use crate::{KdfPolicy, VaultError};

impl Vault {
    /// Creates a vault in `dir` and returns it with its recovery key, which
    /// the caller must show the user once. Refuses when a vault is there.
    pub fn create(
        dir: &Path,
        passphrase: &SecretString,
        policy: KdfPolicy,
    ) -> anyhow::Result<(Vault, SecretString)> {
        Self::create_confirmed(dir, passphrase, policy, |_| Ok(()))
    }

    /// Like [`create`](Self::create), but calls `confirm` with the recovery
    /// key before anything is written: if it fails (the user mistyped the
    /// recovery key, or gave up), nothing exists on disk.
    #[tracing::instrument(skip_all, fields(dir = %dir.display()))]
    pub fn create_confirmed(
        dir: &Path,
        passphrase: &SecretString,
        policy: KdfPolicy,
        confirm: impl FnOnce(&SecretString) -> anyhow::Result<()>,
    ) -> anyhow::Result<(Vault, SecretString)> {
        let new = Self::prepare(dir, passphrase, policy)?;
        confirm(new.recovery_key())?;
        let recovery_key = new.recovery_key().clone();
        Ok((new.create()?, recovery_key))
    }

    /// The first step of creating a vault in `dir` when the user confirms
    /// the recovery key later (the app): checks the passphrase and that no
    /// vault is there, and makes the master secret, in memory only.
    pub fn prepare(
        dir: &Path,
        passphrase: &SecretString,
        policy: KdfPolicy,
    ) -> anyhow::Result<NewVault> {
        let layout = VaultLayout::new(dir);
        refuse_existing(&layout)?;
        policy.check_new_passphrase(passphrase)?;
        let master = MasterSecret::generate(&mut rand::rngs::OsRng);
        Ok(NewVault {
            recovery_key: recovery::encode(&master),
            master,
            passphrase: passphrase.clone(),
            policy,
            layout,
        })
    }
}

/// A vault made in memory, not yet written: show [`NewVault::recovery_key`],
/// have the user confirm it, then [`NewVault::create`]. Dropping it leaves
/// nothing on disk.
pub struct NewVault {
    master: MasterSecret,
    recovery_key: SecretString,
    passphrase: SecretString,
    policy: KdfPolicy,
    layout: VaultLayout,
}

impl std::fmt::Debug for NewVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewVault")
            .field("dir", &self.layout.root())
            .finish_non_exhaustive()
    }
}

impl NewVault {
    /// The recovery key, to show the user once.
    pub fn recovery_key(&self) -> &SecretString {
        &self.recovery_key
    }

    /// Writes the vault (refusing if one appeared meanwhile) and returns it unlocked.
    pub fn create(self) -> anyhow::Result<Vault> {
        refuse_existing(&self.layout)?;
        let vault = initialise(self.layout, &self.master, &self.passphrase, self.policy)?;
        tracing::info!("vault created");
        Ok(vault)
    }
}

fn refuse_existing(layout: &VaultLayout) -> anyhow::Result<()> {
    if files::exists(&layout.key_file())? || files::exists(&layout.database())? {
        return Err(VaultError::AlreadyExists(layout.root().to_path_buf()).into());
    }
    Ok(())
}

/// Writes a new vault for `master` into an empty directory: the database
/// first, then the key file (never replacing one). If the key file cannot be
/// written the new database is removed again, so a failed run leaves nothing
/// that would make the next `init` refuse.
#[tracing::instrument(skip_all, fields(dir = %layout.root().display()))]
pub(super) fn initialise(
    layout: VaultLayout,
    master: &MasterSecret,
    passphrase: &SecretString,
    policy: KdfPolicy,
) -> anyhow::Result<Vault> {
    let key_file = wrap(master, passphrase, policy.target())?;
    let keys = derive(master)?;
    files::create_private_dir(layout.root())?;
    let store = Store::create(&layout.database(), keys.database_key())
        .with_context(|| format!("creating the database {}", layout.database().display()))?;
    if let Err(e) = files::write_private(&layout.key_file(), &key_file.to_bytes(), Replace::Never) {
        drop(store);
        // Only the database files this call created; the key file (if one
        // appeared meanwhile) is someone else's.
        for path in layout.files().iter().skip(1) {
            if let Err(remove) = std::fs::remove_file(path)
                && remove.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %remove, "could not remove a partial vault file");
            }
        }
        return Err(e.context("writing the key file"));
    }
    Ok(Vault {
        layout,
        keys,
        kdf: key_file.params(),
        policy,
        store,
    })
}
