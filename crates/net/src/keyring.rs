//! The desktop's Secret Service keyring (GNOME Keyring, KWallet) over D-Bus: where a headless service may find the vault passphrase instead of in a file.
//!
//! Coffer only reads. Whoever deploys the service stores the passphrase,
//! with the attributes `application=coffer` and `vault=DIR` (the vault's
//! absolute directory), e.g. with `secret-tool store` (docs/SERVICE.md).

use std::collections::HashMap;

use secrecy::SecretString;
use secret_service::{EncryptionType, SecretService};

/// Why the keyring gave no passphrase.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// No Secret Service answers on the session bus.
    #[error("no Secret Service keyring is reachable on the session bus ({0})")]
    Unreachable(String),
    /// The keyring holds no passphrase for this vault.
    #[error(
        "the keyring holds no passphrase for the vault {0} (attributes application=coffer, \
         vault={0})"
    )]
    NotFound(String),
    /// The item is locked and could not be unlocked without a person.
    #[error("the keyring holding the vault's passphrase is locked")]
    Locked,
    /// The keyring answered something unusable.
    #[error("the keyring failed: {0}")]
    Failed(String),
}

/// The passphrase stored for the vault in `vault_dir` (absolute).
pub async fn passphrase(vault_dir: &str) -> Result<SecretString, KeyringError> {
    let ss = SecretService::connect(EncryptionType::Dh)
        .await
        .map_err(|e| KeyringError::Unreachable(e.to_string()))?;
    let attributes = HashMap::from([("application", "coffer"), ("vault", vault_dir)]);
    let found = ss
        .search_items(attributes)
        .await
        .map_err(|e| KeyringError::Failed(e.to_string()))?;
    let item = match (found.unlocked.first(), found.locked.first()) {
        (Some(item), _) => item,
        (None, Some(item)) => {
            item.unlock().await.map_err(|_| KeyringError::Locked)?;
            item
        }
        (None, None) => return Err(KeyringError::NotFound(vault_dir.to_owned())),
    };
    let secret = item
        .get_secret()
        .await
        .map_err(|e| KeyringError::Failed(e.to_string()))?;
    let text = String::from_utf8(secret)
        .map_err(|_| KeyringError::Failed("the stored passphrase is not UTF-8".to_owned()))?;
    Ok(SecretString::from(
        text.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}
