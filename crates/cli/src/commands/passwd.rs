//! `coffer passwd`: change the passphrase.

use std::path::Path;

use anyhow::Context as _;

use coffer_engine::core::ExposeSecret as _;
use coffer_engine::{KdfPolicy, Vault};

use crate::passphrase;

pub fn run(
    dir: &Path,
    pass_file: Option<&Path>,
    new_pass_file: Option<&Path>,
) -> anyhow::Result<()> {
    let old = passphrase::read(pass_file, "Current passphrase: ")?;
    let mut vault = coffer_engine::Vault::unlock(dir, &old, coffer_engine::KdfPolicy::from_env())
        .with_context(|| format!("unlocking the vault in {}", dir.display()))?;
    let new = passphrase::read_new(new_pass_file, "New passphrase")?;
    vault
        .change_passphrase(&old, &new)
        .context("changing the passphrase")?;
    say!("Passphrase changed. The old one no longer unlocks the vault.");
    Ok(())
}

/// `coffer recovery-key`: the recovery key again, checked against the passphrase.
pub fn recovery_key(dir: &Path, pass_file: Option<&Path>) -> anyhow::Result<()> {
    let passphrase = crate::passphrase::read(pass_file, "Passphrase: ")?;
    let vault = Vault::unlock(dir, &passphrase, KdfPolicy::from_env())
        .with_context(|| format!("unlocking the vault in {}", dir.display()))?;
    let key = vault.recovery_key(&passphrase)?;
    say!("{}", key.expose_secret());
    warn!("keep it offline: with it, anyone can open every sealed message of this vault");
    Ok(())
}
