//! `coffer status`: where the vault is, whether it exists, and (unlocked) what it holds.

use std::path::Path;

use anyhow::Context as _;
use coffer_engine::{UnlockedStatus, VaultState, VaultStatus};

/// Without a passphrase file nothing is unlocked (and nothing prompted):
/// `status` must stay safe to run from scripts and shell prompts.
pub fn run(dir: &Path, pass_file: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let status = VaultStatus::inspect(dir);
    let unlocked = match (pass_file, status.state) {
        (Some(_), VaultState::Present) => Some(super::unlock(dir, pass_file)?.status()?),
        _ => None,
    };
    if json {
        let mut value = serde_json::to_value(&status).context("writing JSON")?;
        if let (Some(u), Some(obj)) = (&unlocked, value.as_object_mut()) {
            obj.insert(
                "unlocked".into(),
                serde_json::to_value(u).context("writing JSON")?,
            );
        }
        println!("{}", crate::term::json(&value)?);
        return Ok(());
    }
    say!("vault:   {}", status.dir.display());
    match (status.state, &unlocked) {
        (VaultState::Absent, _) => {
            say!("state:   no vault here yet (create one with `coffer init`)")
        }
        (VaultState::Present, None) => say!("state:   vault present, locked"),
        (VaultState::Present, Some(u)) => print_unlocked(u),
    }
    say!("version: {}", status.version);
    Ok(())
}

fn print_unlocked(u: &UnlockedStatus) {
    let memory = match u.kdf.m_kib {
        m if m % 1024 == 0 => format!("{} MiB", m / 1024),
        m => format!("{m} KiB"),
    };
    say!("state:   vault present, passphrase accepted");
    say!("recipient: {}", u.recipient);
    say!(
        "key file:  Argon2id m={memory}, t={}, p={}",
        u.kdf.t,
        u.kdf.p
    );
    say!(
        "database:  schema {}, format {}, created at Unix time {}",
        u.schema_version,
        u.format_version,
        u.created_at
    );
    match &u.escrow {
        Some(e) => say!(
            "escrow:    ON — every new seal is also encrypted to the organisation's key {} \
             (fingerprint {})",
            e.recipient,
            e.fingerprint
        ),
        None => say!("escrow:    off (only this vault's key opens its seals)"),
    }
}
