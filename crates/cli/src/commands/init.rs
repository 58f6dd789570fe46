//! `coffer init`: create a vault and hand the user its recovery key.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::Context as _;
use coffer_engine::profile::Profile;
use coffer_engine::{
    Code, KdfPolicy, SecretString, Vault, VaultError, VaultState, VaultStatus, refusal,
};
use secrecy::ExposeSecret as _;
use secrecy::zeroize::Zeroizing;
use subtle::ConstantTimeEq as _;

use crate::passphrase;

/// Which group of the recovery key the user re-types (1-based): not the
/// first, which people copy carelessly, and short enough to type.
const CONFIRM_GROUP: usize = 3;

pub fn run(dir: &Path, pass_file: Option<&Path>, profile: Option<&Path>) -> anyhow::Result<()> {
    // Fail before asking for a passphrase; the engine checks again.
    if VaultStatus::inspect(dir).state == VaultState::Present {
        return Err(VaultError::AlreadyExists(dir.to_path_buf()).into());
    }
    // A profile with an error is refused before anything else.
    let profile = match profile {
        Some(path) => Some(Profile::read(path)?),
        // The firm's installed profile applies without the flag too.
        None => coffer_engine::profile::installed()?,
    };
    let mut policy = KdfPolicy::from_env();
    if let Some(min) = profile.as_ref().and_then(|p| p.policy.min_passphrase_score) {
        policy = policy.at_least(min);
    }
    let passphrase = passphrase::read_new(pass_file, "New passphrase")?;
    let interactive = std::io::stdin().is_terminal();
    let (mut vault, _) = Vault::create_confirmed(dir, &passphrase, policy, |recovery| {
        show(recovery);
        if interactive {
            confirm(recovery)
        } else {
            Ok(())
        }
    })
    .with_context(|| format!("creating a vault in {}", dir.display()))?;
    say!("Vault created in {}.", vault.dir().display());
    say!("Public key (age recipient): {}", vault.keys().recipient());
    if let Some(profile) = &profile {
        vault
            .apply_profile(profile)
            .context("applying the provisioning profile")?;
        let firm = profile
            .organisation
            .as_ref()
            .map_or("your organisation", |o| o.name.as_str());
        say!("Provisioned by {firm}'s profile: its policies apply to this vault.");
        if let Some(e) = vault.escrow() {
            say!(
                "Escrow is ON: every seal is also encrypted to {firm}'s key (fingerprint {}).",
                e.fingerprint
            );
        }
    }
    Ok(())
}

pub(crate) fn show(recovery: &SecretString) {
    say!("Your recovery key — shown only now:");
    say!();
    println!("    {}", recovery.expose_secret());
    say!();
    say!("Write it down and keep it away from this computer. With it, anyone can");
    say!("read all your sealed mail; without it, a forgotten passphrase means the");
    say!("mail is lost. `coffer recover` uses it to set a new passphrase.");
    say!();
}

/// Asks for one group until it is typed right. Nothing is written before,
/// so giving up (Ctrl-D) leaves no vault behind.
pub(crate) fn confirm(recovery: &SecretString) -> anyhow::Result<()> {
    let expected = recovery
        .expose_secret()
        .split('-')
        .nth(CONFIRM_GROUP - 1)
        .map(str::to_owned)
        .map(SecretString::from)
        .context("the recovery key has too few groups")?;
    let stdin = std::io::stdin();
    loop {
        print!(
            "To confirm you wrote it down, type group {CONFIRM_GROUP} (the {CONFIRM_GROUP}rd block of 5): "
        );
        std::io::stdout().flush().context("writing the prompt")?;
        // Zeroizing: the group is part of the secret (even if it is on screen).
        let mut line = Zeroizing::new(String::new());
        let read = stdin
            .lock()
            .read_line(&mut line)
            .context("reading the confirmation")?;
        if read == 0 {
            return Err(refusal(
                Code::Cancelled,
                "recovery key not confirmed; no vault was created",
            ));
        }
        let typed = Zeroizing::new(line.trim().to_ascii_uppercase());
        let ok: bool = typed
            .as_bytes()
            .ct_eq(expected.expose_secret().as_bytes())
            .into();
        if ok {
            return Ok(());
        }
        say!("That does not match group {CONFIRM_GROUP}. Check what you wrote down and try again.");
    }
}
