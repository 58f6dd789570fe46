//! Unlocking a vault: key file, passphrase, database; raising weak KDF parameters.

use std::path::Path;

use anyhow::Context as _;
use coffer_core::SecretString;
use coffer_store::VaultLayout;

use super::{Vault, derive, open_store, read_key_file, store_context, unlock_key_file, wrap};
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
        let layout = VaultLayout::new(dir);
        let key_file = read_key_file(&layout, &policy)?;
        let master = unlock_key_file(&key_file, passphrase)?;
        let keys = derive(&master)?;
        let store = open_store(&layout, &keys).with_context(|| store_context(&layout))?;
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
        Ok(Vault {
            layout,
            keys,
            kdf,
            policy,
            store,
        })
    }
}
