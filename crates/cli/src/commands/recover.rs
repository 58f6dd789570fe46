//! `coffer recover`: a new passphrase from the recovery key.

use std::path::Path;

use anyhow::Context as _;
use coffer_engine::{KdfPolicy, SecretString, Vault};

use crate::passphrase;

pub fn run(
    dir: &Path,
    recovery_file: Option<&Path>,
    new_pass_file: Option<&Path>,
) -> anyhow::Result<()> {
    let recovery = match recovery_file {
        // The whole file: the key may be split over lines; whitespace and
        // dashes are ignored by the decoder.
        Some(path) => SecretString::from(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the recovery key file {}", path.display()))?,
        ),
        None => SecretString::from(rpassword::prompt_password("Recovery key: ").context(
            "reading the recovery key from the terminal (use --recovery-key-file in scripts)",
        )?),
    };
    let new = passphrase::read_new(new_pass_file, "New passphrase")?;
    let vault = Vault::recover(dir, &recovery, &new, KdfPolicy::from_env())
        .with_context(|| format!("recovering the vault in {}", dir.display()))?;
    say!(
        "Vault in {} recovered; it now opens with the new passphrase.",
        vault.dir().display()
    );
    Ok(())
}
