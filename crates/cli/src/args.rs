//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Coffer keeps an IMAP mailbox sealed: the provider stores only ciphertext,
/// you keep reading, searching and sending mail.
#[derive(Debug, Parser)]
#[command(name = "coffer", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The vault directory [default: the platform data directory, e.g. ~/.local/share/coffer]
    #[arg(long, global = true, value_name = "DIR", env = "COFFER_VAULT")]
    pub vault: Option<PathBuf>,

    /// Read the passphrase from FILE instead of prompting (for scripts).
    /// Only the first line is used.
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug). COFFER_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show where the vault is and whether it exists, without unlocking it.
    Status {
        /// Print machine-readable JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}
