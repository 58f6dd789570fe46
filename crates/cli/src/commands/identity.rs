//! `coffer identity export`: the age identity, for the stock `age` tool.

use std::path::Path;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;

pub fn export(dir: &Path, pass_file: Option<&Path>, output: Option<&Path>) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    match output {
        Some(path) => {
            vault
                .export_identity_to(path)
                .context("exporting the identity")?;
            warn!(
                "Wrote the identity to {} (mode 0600). Anyone holding it can read all your sealed mail.",
                path.display()
            );
        }
        None => print!("{}", vault.identity_file().expose_secret()),
    }
    Ok(())
}
