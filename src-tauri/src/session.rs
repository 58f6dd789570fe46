//! Commands of the vault's lifecycle: create (with the recovery key
//! confirmed), restore, unlock, lock; settings; the passphrase and the
//! recovery key. Passphrases cross IPC once, into secret types.

use coffer_engine::{Code, SecretString, Vault, VaultStatus};
use rand::seq::index::sample;
use secrecy::ExposeSecret as _;
use serde::Serialize;
use tauri::State;

use crate::engine::{DemoAccount, Engine, Pending};
use crate::error::CommandError;

/// The settings key of the auto-lock time.
const AUTO_LOCK: &str = "app.auto_lock_minutes";
/// Auto-lock after this many idle minutes unless set otherwise.
const DEFAULT_AUTO_LOCK: u32 = 10;
/// Groups of the recovery key the user types again to confirm it.
const CONFIRM_GROUPS: usize = 2;

fn secret(s: String) -> SecretString {
    SecretString::from(s)
}

/// What the app shows first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    session: &'static str,
    vault: VaultStatus,
    demo: Option<DemoAccount>,
    auto_lock_minutes: u32,
    /// The organisation escrow recipient new seals also go to (unlocked only).
    escrow: Option<coffer_engine::EscrowInfo>,
    /// The provisioning profile: the vault's (unlocked), or the one
    /// installed for the first run (no vault yet).
    profile: Option<coffer_engine::profile::Profile>,
}

#[tauri::command]
pub async fn session_info(engine: State<'_, Engine>) -> Result<SessionInfo, CommandError> {
    engine
        .run(|core| async move {
            let dir = core.dir()?;
            let vault = VaultStatus::inspect(&dir);
            let session = match (core.is_unlocked(), &vault.state) {
                (true, _) => "unlocked",
                (false, coffer_engine::VaultState::Absent) => "absent",
                (false, _) => "locked",
            };
            let (auto_lock_minutes, escrow, profile) = match core.vault() {
                Ok(v) => (auto_lock(&v), v.escrow(), v.profile()?),
                Err(_) if session == "absent" => (
                    DEFAULT_AUTO_LOCK,
                    None,
                    coffer_engine::profile::installed()?,
                ),
                Err(_) => (DEFAULT_AUTO_LOCK, None, None),
            };
            Ok(SessionInfo {
                session,
                vault,
                demo: core.demo.clone(),
                auto_lock_minutes,
                escrow,
                profile,
            })
        })
        .await
}

/// The auto-lock time: the user's, within the organisation's profile.
fn auto_lock(vault: &Vault) -> u32 {
    let chosen = vault
        .store()
        .setting(AUTO_LOCK)
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_AUTO_LOCK);
    // A stored profile that cannot be read caps auto-lock at 5 minutes.
    let cap = vault.org_policy().map_or(Some(5), |p| p.auto_lock_minutes);
    match cap {
        Some(max) if chosen == 0 || chosen > max => max,
        _ => chosen,
    }
}

/// zxcvbn's verdict, as the meter shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Strength {
    score: u8,
    acceptable: bool,
    warning: Option<String>,
    suggestions: Vec<String>,
    crack_time: String,
}

#[tauri::command]
pub async fn passphrase_strength(
    engine: State<'_, Engine>,
    passphrase: String,
) -> Result<Strength, CommandError> {
    let passphrase = secret(passphrase);
    engine
        .run(move |core| async move {
            let s = core.policy().strength(&passphrase);
            Ok(Strength {
                score: s.score,
                acceptable: s.acceptable,
                warning: s.warning,
                suggestions: s.suggestions,
                crack_time: s.crack_time,
            })
        })
        .await
}

/// The recovery key to show, and which groups to type again.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingVault {
    recovery_key: String,
    confirm_groups: Vec<usize>,
}

#[tauri::command]
pub async fn create_vault(
    engine: State<'_, Engine>,
    passphrase: String,
) -> Result<PendingVault, CommandError> {
    let passphrase = secret(passphrase);
    engine
        .run(move |core| async move {
            let dir = core.dir()?;
            let profile = coffer_engine::profile::installed()?;
            let mut policy = core.policy();
            if let Some(min) = profile.as_ref().and_then(|p| p.policy.min_passphrase_score) {
                policy = policy.at_least(min);
            }
            let vault = Vault::prepare(&dir, &passphrase, policy)?;
            let key = vault.recovery_key().expose_secret().to_owned();
            let count = key.split('-').count();
            let mut groups: Vec<usize> =
                sample(&mut rand::thread_rng(), count, CONFIRM_GROUPS.min(count))
                    .into_iter()
                    .map(|i| i + 1)
                    .collect();
            groups.sort_unstable();
            *core.pending.borrow_mut() = Some(Pending {
                vault,
                groups: groups.clone(),
                profile,
            });
            Ok(PendingVault {
                recovery_key: key,
                confirm_groups: groups,
            })
        })
        .await
}

#[tauri::command]
pub async fn confirm_vault(
    engine: State<'_, Engine>,
    groups: Vec<String>,
) -> Result<(), CommandError> {
    engine
        .run(move |core| async move {
            let pending = core.pending.borrow_mut().take().ok_or_else(|| {
                CommandError::new(Code::BadRequest, "no vault is being created; start again")
            })?;
            let key = pending.vault.recovery_key().expose_secret().to_owned();
            let wanted: Vec<&str> = key.split('-').collect();
            let matches = pending.groups.len() == groups.len()
                && pending.groups.iter().zip(&groups).all(|(&n, typed)| {
                    let typed: String = typed
                        .chars()
                        .filter(|c| !c.is_whitespace() && *c != '-')
                        .collect();
                    wanted
                        .get(n.wrapping_sub(1))
                        .is_some_and(|w| w.eq_ignore_ascii_case(&typed))
                });
            if !matches {
                // Keep it: the user may look again and retype.
                *core.pending.borrow_mut() = Some(pending);
                return Err(CommandError::new(
                    Code::BadRecoveryKey,
                    "the groups typed do not match the recovery key; look at it again",
                ));
            }
            let mut vault = pending.vault.create()?;
            if let Some(profile) = &pending.profile {
                vault.apply_profile(profile)?;
            }
            core.set_unlocked(vault);
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn cancel_vault(engine: State<'_, Engine>) -> Result<(), CommandError> {
    engine
        .run(|core| async move {
            drop(core.pending.borrow_mut().take());
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn recover_vault(
    engine: State<'_, Engine>,
    recovery_key: String,
    passphrase: String,
) -> Result<(), CommandError> {
    let (key, passphrase) = (secret(recovery_key), secret(passphrase));
    engine
        .run(move |core| async move {
            let dir = core.dir()?;
            let vault = Vault::recover(&dir, &key, &passphrase, core.policy())?;
            core.set_unlocked(vault);
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn unlock(engine: State<'_, Engine>, passphrase: String) -> Result<(), CommandError> {
    let passphrase = secret(passphrase);
    engine
        .run(move |core| async move {
            let dir = core.dir()?;
            if let Some(damaged) = core.damaged.borrow().clone() {
                return Err(CommandError::new(Code::VaultDamaged, damaged));
            }
            // Argon2id takes about a second: off the engine thread, so the
            // watch and the status keep answering meanwhile.
            let policy = core.policy();
            let (vault, check) = tokio::task::spawn_blocking(move || {
                Vault::unlock_then_check(&dir, &passphrase, policy)
            })
            .await
            .map_err(|e| CommandError::new(Code::Internal, e.to_string()))??;
            // Every page of the database is checked after the inbox shows
            // (1.3 s at 100,000 messages), on a connection of its own.
            let checking = std::rc::Rc::clone(&core);
            tokio::task::spawn_local(async move {
                let failure = match tokio::task::spawn_blocking(move || check.run()).await {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => coffer_engine::message_of(&e),
                    Err(e) => e.to_string(),
                };
                checking.vault_damaged(failure).await;
            });
            core.set_unlocked(vault);
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn lock(engine: State<'_, Engine>) -> Result<(), CommandError> {
    engine
        .run(|core| async move {
            core.lock();
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn lock_and_stop(engine: State<'_, Engine>) -> Result<(), CommandError> {
    engine
        .run(|core| async move {
            core.stop_everything().await;
            Ok(())
        })
        .await
}

/// The Settings view's values.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    auto_lock_minutes: u32,
    body_cache_bytes: u64,
    body_cache_used_bytes: u64,
}

fn settings_of(vault: &Vault) -> Result<Settings, CommandError> {
    let cache = vault.body_cache(None)?;
    Ok(Settings {
        auto_lock_minutes: auto_lock(vault),
        body_cache_bytes: cache.limit_bytes,
        body_cache_used_bytes: cache.bytes,
    })
}

#[tauri::command]
pub async fn settings(engine: State<'_, Engine>) -> Result<Settings, CommandError> {
    engine
        .vault(|vault| async move { settings_of(&vault) })
        .await
}

#[tauri::command]
pub async fn set_settings(
    engine: State<'_, Engine>,
    auto_lock_minutes: u32,
    body_cache_bytes: u64,
) -> Result<Settings, CommandError> {
    engine
        .vault(move |vault| async move {
            if auto_lock_minutes > 24 * 60 {
                return Err(CommandError::new(
                    Code::BadRequest,
                    "auto-lock is at most 1440 minutes (a day); 0 turns it off",
                ));
            }
            vault.check_auto_lock(auto_lock_minutes)?;
            vault
                .store()
                .set_setting(AUTO_LOCK, &auto_lock_minutes.to_string())
                .map_err(anyhow::Error::from)?;
            vault.body_cache(Some(body_cache_bytes))?;
            settings_of(&vault)
        })
        .await
}

#[tauri::command]
pub async fn change_passphrase(
    engine: State<'_, Engine>,
    current: String,
    next: String,
) -> Result<(), CommandError> {
    let (current, next) = (secret(current), secret(next));
    engine
        .run(move |core| async move {
            let unlocked = core.vault()?;
            let dir = unlocked.dir().to_path_buf();
            let policy = core.policy();
            // The UI's handle is shared with the watch; changing the
            // passphrase rewrites the key file, through a handle of its own.
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let mut vault = Vault::unlock(&dir, &current, policy)?;
                vault.change_passphrase(&current, &next)
            })
            .await
            .map_err(|e| CommandError::new(Code::Internal, e.to_string()))??;
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn show_recovery_key(
    engine: State<'_, Engine>,
    passphrase: String,
) -> Result<String, CommandError> {
    let passphrase = secret(passphrase);
    engine
        .vault(move |vault| async move {
            Ok(vault.recovery_key(&passphrase)?.expose_secret().to_owned())
        })
        .await
}
