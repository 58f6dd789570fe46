//! Commands of the account form: presets, test a connection before saving,
//! add, list and remove accounts.

use std::path::PathBuf;

use coffer_engine::net::Security;
use coffer_engine::{AccountInfo, AccountTest, Code, NewAccount, PRESETS, Preset};
use serde::Deserialize;
use tauri::State;

use crate::engine::Engine;
use crate::error::CommandError;

/// What the account form sends. The password crosses IPC once, into a
/// secret type.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRequest {
    name: String,
    host: String,
    port: u16,
    security: Security,
    user: String,
    password: String,
    ca_file: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
}

impl AccountRequest {
    fn into_new(self) -> NewAccount {
        NewAccount {
            name: self.name.trim().to_owned(),
            imap_host: self.host.trim().to_owned(),
            imap_port: self.port,
            username: self.user,
            password: self.password.into(),
            security: self.security,
            ca_file: self
                .ca_file
                .filter(|f| !f.trim().is_empty())
                .map(|f| PathBuf::from(f.trim())),
            // 587 is submission with STARTTLS (RFC 6409); 465 and others
            // implicit TLS (RFC 8314).
            smtp_starttls: self.smtp_port == Some(587),
            smtp: self
                .smtp_host
                .filter(|h| !h.trim().is_empty())
                .map(|h| (h.trim().to_owned(), self.smtp_port.unwrap_or(465))),
        }
    }
}

#[tauri::command]
pub fn presets() -> &'static [Preset] {
    PRESETS
}

#[tauri::command]
pub async fn accounts(engine: State<'_, Engine>) -> Result<Vec<AccountInfo>, CommandError> {
    engine
        .vault(|vault| async move { Ok(vault.accounts()?) })
        .await
}

/// Logs in with the form's settings, saving nothing. A server that cannot
/// remove originals safely (no UIDPLUS) is a `capability_missing` error:
/// sealing would keep every plaintext original there.
#[tauri::command]
pub async fn test_account(
    engine: State<'_, Engine>,
    request: AccountRequest,
) -> Result<AccountTest, CommandError> {
    let account = request.into_new();
    engine
        .vault(move |_| async move {
            let test = coffer_engine::test_new_account(&account).await?;
            if !test.uidplus {
                return Err(CommandError::new(
                    Code::CapabilityMissing,
                    "the server logs in, but lacks UIDPLUS, which Coffer needs to remove a \
                     plaintext original safely: sealed copies would be made and every original \
                     KEPT on the server (see docs/PROVIDERS.md)",
                ));
            }
            Ok(test)
        })
        .await
}

#[tauri::command]
pub async fn add_account(
    engine: State<'_, Engine>,
    request: AccountRequest,
) -> Result<(), CommandError> {
    let account = request.into_new();
    engine
        .run(move |core| async move {
            let vault = core.vault()?;
            vault.add_account(account)?;
            // The status line names the account, waiting for its first seal.
            core.start_watch(&vault);
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn remove_account(engine: State<'_, Engine>, name: String) -> Result<(), CommandError> {
    engine
        .run(move |core| async move {
            let vault = core.vault()?;
            if core.status().account.as_deref() == Some(name.as_str()) {
                core.stop_watch().await;
            }
            vault.remove_account(&name)?;
            Ok(())
        })
        .await
}
