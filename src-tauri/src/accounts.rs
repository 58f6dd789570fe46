//! Commands of the account form: presets, test a connection before saving,
//! add, list and remove accounts.

use std::path::PathBuf;

use coffer_engine::net::Security;
use coffer_engine::oauth::{OAuthRequest, Provider};
use coffer_engine::seal::Deletion;
use coffer_engine::{AccountInfo, AccountTest, Code, NewAccount, PRESETS, Preset};
use serde::{Deserialize, Serialize};
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

/// A server that cannot remove originals safely (neither UIDPLUS nor MOVE)
/// is a `capability_missing` error: sealing would keep every plaintext
/// original there.
fn refuse_keeping(test: &AccountTest) -> Result<(), CommandError> {
    if test.deletion == Deletion::Keep {
        return Err(CommandError::new(
            Code::CapabilityMissing,
            "the server logs in, but offers neither UIDPLUS nor MOVE, one of which Coffer needs \
             to remove a plaintext original safely: sealed copies would be made and every \
             original KEPT on the server (see docs/PROVIDERS.md)",
        ));
    }
    Ok(())
}

/// Logs in with the form's settings, saving nothing (see [`refuse_keeping`]).
#[tauri::command]
pub async fn test_account(
    engine: State<'_, Engine>,
    request: AccountRequest,
) -> Result<AccountTest, CommandError> {
    let account = request.into_new();
    engine
        .vault(move |_| async move {
            let test = coffer_engine::test_new_account(&account).await?;
            refuse_keeping(&test)?;
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

/// A provider the app can sign in with, and whether it can now.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthProvider {
    provider: Provider,
    label: &'static str,
    imap_host: &'static str,
    imap_port: u16,
    smtp_host: &'static str,
    smtp_port: u16,
    /// Why the button cannot work yet (no client ID), in plain words.
    missing: Option<String>,
}

/// The "Sign in with …" buttons: Microsoft and Google, each saying plainly
/// when no client ID is configured.
#[tauri::command]
pub async fn oauth_providers(
    engine: State<'_, Engine>,
) -> Result<Vec<OAuthProvider>, CommandError> {
    engine
        .vault(|vault| async move {
            let rows = [
                (
                    Provider::Microsoft,
                    "Microsoft 365 / Outlook.com",
                    "outlook.office365.com",
                    993,
                    "smtp.office365.com",
                    587,
                ),
                (
                    Provider::Google,
                    "Google",
                    "imap.gmail.com",
                    993,
                    "smtp.gmail.com",
                    465,
                ),
            ];
            Ok(rows
                .into_iter()
                .map(
                    |(provider, label, imap_host, imap_port, smtp_host, smtp_port)| {
                        let request = OAuthRequest {
                            provider: Some(provider),
                            ..OAuthRequest::default()
                        };
                        let missing = request
                            .client(|k| vault.oauth_setting(k))
                            .err()
                            .map(|e| coffer_engine::message_of(&e));
                        OAuthProvider {
                            provider,
                            label,
                            imap_host,
                            imap_port,
                            smtp_host,
                            smtp_port,
                            missing,
                        }
                    },
                )
                .collect())
        })
        .await
}

/// What "Sign in with …" sends: the account's name, the provider, the
/// login name, and optionally a client ID typed in (a firm's own).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthAccountRequest {
    name: String,
    provider: Provider,
    user: String,
    client_id: Option<String>,
    tenant: Option<String>,
}

/// Signs in in the system browser, adds the account with its grant, and
/// tests it; an account that cannot be sealed safely is removed again.
#[tauri::command]
pub async fn add_oauth_account(
    engine: State<'_, Engine>,
    request: OAuthAccountRequest,
) -> Result<AccountTest, CommandError> {
    let (imap_host, smtp_host, smtp_port) = match request.provider {
        Provider::Microsoft => ("outlook.office365.com", "smtp.office365.com", 587),
        Provider::Google => ("imap.gmail.com", "smtp.gmail.com", 465),
        Provider::Custom => {
            return Err(CommandError::new(
                Code::BadRequest,
                "the app signs in with Microsoft or Google; use `coffer account add --oauth \
                 custom` for another server",
            ));
        }
    };
    let oauth = OAuthRequest {
        provider: Some(request.provider),
        client_id: request.client_id.filter(|s| !s.trim().is_empty()),
        tenant: request.tenant.filter(|s| !s.trim().is_empty()),
        ..OAuthRequest::default()
    };
    let account = NewAccount {
        name: request.name.trim().to_owned(),
        imap_host: imap_host.to_owned(),
        imap_port: 993,
        username: request.user.trim().to_owned(),
        password: String::new().into(),
        security: Security::Tls,
        ca_file: None,
        smtp: Some((smtp_host.to_owned(), smtp_port)),
        smtp_starttls: smtp_port == 587,
    };
    engine
        .run(move |core| async move {
            let vault = core.vault()?;
            let signed = coffer_engine::oauth::sign_in(
                &oauth,
                |k| vault.oauth_setting(k),
                |url| {
                    if let Err(e) = crate::mail::open_with_system(std::ffi::OsStr::new(url)) {
                        tracing::warn!(error = %e.message, "could not open the browser");
                    }
                },
            )
            .await?;
            // The browser step may take minutes: the vault it began with
            // must still be the one open (not locked or replaced meanwhile).
            still_open(&core, &vault)?;
            let name = account.name.clone();
            vault.add_oauth_account(account, &signed)?;
            let test = match vault.test_account(&name).await {
                Ok(t) => t,
                Err(e) => {
                    vault.remove_account(&name)?;
                    return Err(e.into());
                }
            };
            if let Err(e) = refuse_keeping(&test) {
                vault.remove_account(&name)?;
                return Err(e);
            }
            core.start_watch(&vault);
            Ok(test)
        })
        .await
}

/// Signs in again to an OAuth account whose sign-in was revoked or expired.
#[tauri::command]
pub async fn sign_in_again(engine: State<'_, Engine>, name: String) -> Result<(), CommandError> {
    engine
        .run(move |core| async move {
            let vault = core.vault()?;
            let request = vault.oauth_request(&name)?;
            let signed = coffer_engine::oauth::sign_in(
                &request,
                |k| vault.oauth_setting(k),
                |url| {
                    if let Err(e) = crate::mail::open_with_system(std::ffi::OsStr::new(url)) {
                        tracing::warn!(error = %e.message, "could not open the browser");
                    }
                },
            )
            .await?;
            still_open(&core, &vault)?;
            vault.replace_oauth_grant(&name, &signed)?;
            core.start_watch(&vault);
            Ok(())
        })
        .await
}

/// Refuses to go on when `vault` is no longer the one open (the app was
/// locked, or another vault opened, while the browser step ran).
fn still_open(
    core: &std::rc::Rc<crate::engine::Core>,
    vault: &std::rc::Rc<coffer_engine::Vault>,
) -> Result<(), CommandError> {
    match core.vault() {
        Ok(now) if std::rc::Rc::ptr_eq(&now, vault) => Ok(()),
        _ => Err(CommandError::new(
            Code::Locked,
            "the app was locked while you signed in; unlock it and sign in again",
        )),
    }
}
