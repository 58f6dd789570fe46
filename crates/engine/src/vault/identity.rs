//! Exporting the vault's age identity in age's own identity-file format.

use std::path::Path;

use coffer_core::{ExposeSecret as _, SecretString};

use super::Vault;
use crate::files::{self, Replace};

impl Vault {
    /// The identity as `age-keygen` writes it, so `age -d -i FILE` reads it:
    ///
    /// ```text
    /// # created: 2025-01-31T12:00:00Z
    /// # public key: age1…
    /// AGE-SECRET-KEY-1…
    /// ```
    pub fn identity_file(&self) -> SecretString {
        SecretString::from(format!(
            "# created: {}\n# public key: {}\n{}\n",
            crate::rfc3339::now(),
            self.keys.recipient(),
            self.export_identity().expose_secret()
        ))
    }

    /// Writes [`identity_file`](Self::identity_file) to `path` with mode
    /// 0600. Refuses to replace an existing file: it might be another
    /// identity, and losing one loses the mail sealed to it.
    #[tracing::instrument(skip_all, fields(path = %path.display()))]
    pub fn export_identity_to(&self, path: &Path) -> anyhow::Result<()> {
        let text = self.identity_file();
        files::write_private(path, text.expose_secret().as_bytes(), Replace::Never)?;
        tracing::info!("identity exported");
        Ok(())
    }
}
