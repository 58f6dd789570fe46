//! Runs a parsed command line against the engine: one file per subcommand.

mod account;
mod escrow;
mod export;
mod identity;
pub(crate) mod init;
mod passwd;
mod progress;
mod read;
mod recover;
mod seal;
mod send;
pub(crate) mod service;
mod status;
mod sync;
mod watch;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use coffer_engine::{KdfPolicy, Vault};

pub use account::AccountCommand;
pub use escrow::EscrowCommand;
pub use export::ExportArgs;
pub use read::{CacheArgs, DeleteArgs, MarkArgs, MoveArgs, SearchArgs, ShowArgs};
pub use seal::{RotateArgs, SealArgs};
pub use send::{OutboxArgs, SendArgs};
pub use service::ServiceCommand;
pub use sync::SyncArgs;
pub use watch::WatchArgs;

use crate::args::{Cli, Command, IdentityCommand};
use crate::exit::Outcome;
use crate::passphrase;

/// Runs `cli`: `Ok(Some(code))` when the command reported a result that is
/// not a success (see [`crate::exit`]).
pub fn run(cli: Cli) -> Outcome {
    let vault_dir = vault_dir(&cli)?;
    let pass_file = cli.passphrase_file.as_deref();
    match cli.command {
        Command::Init { profile } => init::run(&vault_dir, pass_file, profile.as_deref()),
        Command::Rekey(args) => {
            return seal::rotate(&vault_dir, pass_file, &args, true);
        }
        Command::Status { json } => status::run(&vault_dir, pass_file, json),
        Command::RecoveryKey => passwd::recovery_key(&vault_dir, pass_file),
        Command::Folders { json } => read::folders(&vault_dir, pass_file, json),
        Command::Passwd {
            new_passphrase_file,
        } => passwd::run(&vault_dir, pass_file, new_passphrase_file.as_deref()),
        Command::Recover {
            recovery_key_file,
            new_passphrase_file,
        } => recover::run(
            &vault_dir,
            recovery_key_file.as_deref(),
            new_passphrase_file.as_deref().or(pass_file),
        ),
        Command::Identity {
            command: IdentityCommand::Export { output },
        } => identity::export(&vault_dir, pass_file, output.as_deref()),
        Command::Account { command } => account::run(&vault_dir, pass_file, command),
        Command::Seal(args) => return seal::run(&vault_dir, pass_file, &args),
        Command::Rotate(args) => {
            return seal::rotate(&vault_dir, pass_file, &args.seal, args.new_identity);
        }
        Command::Watch(args) => watch::run(&vault_dir, pass_file, &args),
        Command::Search(args) => read::search(&vault_dir, pass_file, &args),
        Command::Show(args) => read::show(&vault_dir, pass_file, &args),
        Command::Mark(args) => read::mark(&vault_dir, pass_file, &args),
        Command::Cache(args) => read::cache(&vault_dir, pass_file, &args),
        Command::Move(args) => read::move_to(&vault_dir, pass_file, &args),
        Command::Delete(args) => read::delete(&vault_dir, pass_file, &args),
        Command::Export(args) => export::run(&vault_dir, pass_file, &args),
        Command::Escrow { command } => escrow::run(&vault_dir, pass_file, command),
        Command::Service { command } => service::run(&vault_dir, pass_file, command),
        Command::Send(args) => send::send(&vault_dir, pass_file, args),
        Command::Outbox(args) => send::outbox(&vault_dir, pass_file, &args),
        Command::Rebuild(args) | Command::Sync(args) => sync::run(&vault_dir, pass_file, &args),
        Command::Audit(args) => {
            let vault = match cli.vault.is_some() {
                true => Some(unlock(&vault_dir, pass_file)?),
                false => None,
            };
            return crate::audit::run(&args, vault.as_ref().map(Vault::keys));
        }
    }?;
    Ok(None)
}

fn vault_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    match &cli.vault {
        Some(dir) => Ok(dir.clone()),
        None => coffer_engine::default_vault_dir()
            .context("finding the default vault directory (no home directory?); pass --vault DIR"),
    }
}

/// A single-threaded async runtime: the jobs interleave their IMAP
/// sessions on one thread (the I/O, not the CPU, is the cost).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Unlocks the vault in `dir` with the passphrase the desktop's keyring
/// holds for it (docs/SERVICE.md).
fn unlock_from_keyring(dir: &Path) -> anyhow::Result<Vault> {
    let absolute = std::path::absolute(dir).context("resolving the vault directory")?;
    let key = absolute.to_string_lossy().into_owned();
    let passphrase = runtime()?
        .block_on(coffer_engine::net::keyring::passphrase(&key))
        .map_err(|e| coffer_engine::refusal(coffer_engine::Code::BadRequest, e))?;
    Vault::unlock(dir, &passphrase, KdfPolicy::from_env())
        .with_context(|| format!("unlocking the vault in {}", dir.display()))
}

/// Asks for the passphrase and unlocks the vault in `dir`.
fn unlock(dir: &Path, pass_file: Option<&Path>) -> anyhow::Result<Vault> {
    let passphrase = passphrase::read(pass_file, "Passphrase: ")?;
    Vault::unlock(dir, &passphrase, KdfPolicy::from_env())
        .with_context(|| format!("unlocking the vault in {}", dir.display()))
}
