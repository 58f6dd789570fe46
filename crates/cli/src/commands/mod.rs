//! Runs a parsed command line against the engine.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use coffer_engine::{VaultState, VaultStatus};

use crate::args::{Cli, Command};

/// Runs `cli` and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let vault_dir = vault_dir(&cli)?;
    match cli.command {
        Command::Status { json } => status(&vault_dir, json),
    }
}

fn vault_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    match &cli.vault {
        Some(dir) => Ok(dir.clone()),
        None => coffer_engine::default_vault_dir()
            .context("finding the default vault directory (no home directory?); pass --vault DIR"),
    }
}

fn status(dir: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let status = VaultStatus::inspect(dir);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).context("writing JSON")?
        );
    } else {
        println!("vault:   {}", status.dir.display());
        match status.state {
            VaultState::Absent => {
                println!("state:   no vault here yet (create one with `coffer init`)")
            }
            VaultState::Present => println!("state:   vault present, locked"),
        }
        println!("version: {}", status.version);
    }
    Ok(ExitCode::SUCCESS)
}
