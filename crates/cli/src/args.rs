//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Shown at the end of `--help`: scripts switch on these.
const EXIT_CODES: &str = "\
Exit status (the same for every command; docs/CLI.md has the whole table):
  0  success
  1  refused, or a result you can act on: wrong_passphrase, passphrase_rejected,
     vault_missing, vault_exists, bad_recovery_key, account_exists,
     no_such_account, account_busy, would_overwrite, bad_request, cancelled,
     not_supported,
     not_clean (audit), incomplete and folder_changed (seal)
  2  error: vault_damaged, login_refused, certificate_untrusted,
     capability_missing, network, server, failed, io, internal
An error is printed as `coffer: error: MESSAGE [code]`.
`coffer watch` never exits on a server or network error it can retry.";

/// Coffer keeps an IMAP mailbox sealed: the provider stores only ciphertext,
/// you keep reading, searching and sending mail.
#[derive(Debug, Parser)]
#[command(
    name = "coffer",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = EXIT_CODES
)]
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
    /// Create a new vault and show its recovery key (once).
    ///
    /// On a terminal the passphrase is asked twice and you re-type part of
    /// the recovery key before anything is written.
    Init {
        /// Apply a firm's provisioning profile (TOML; docs/PROFILE.md): its
        /// servers, escrow recipient, OAuth client and policies.
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
    },

    /// Show where the vault is and whether it exists; with
    /// --passphrase-file, unlock it and show its recipient and key settings.
    Status {
        /// Print machine-readable JSON instead of text.
        #[arg(long)]
        json: bool,
    },

    /// Send a message: the text from standard input, a sealed copy kept in
    /// Sent. Queued in the outbox first, so nothing is lost if the server
    /// is away.
    Send(crate::commands::SendArgs),

    /// The messages not sent yet: list them, try them again, or discard one.
    Outbox(crate::commands::OutboxArgs),

    /// Show the recovery key again (after the passphrase), for a lost copy.
    RecoveryKey,

    /// The folders in the index, with their message and unread counts.
    Folders {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },

    /// Change the vault's passphrase (the old one stops working).
    Passwd {
        /// Read the new passphrase from FILE (first line) instead of prompting.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },

    /// Regain access with the recovery key and set a new passphrase, in the
    /// same vault directory or a new one.
    Recover {
        /// Read the recovery key from FILE instead of prompting.
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
        /// Read the new passphrase from FILE (first line). --passphrase-file
        /// works too: recovery has no old passphrase.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },

    /// Check, read-only, that a mailbox holds only ciphertext (for auditors:
    /// needs no vault). With --vault (or COFFER_VAULT) also open every sealed
    /// message, or --sample N, and check it is genuine. Exit status: 0 all
    /// sealed, 1 something is not (not_clean), 2 the audit failed.
    Audit(crate::audit::AuditArgs),

    /// Manage the IMAP accounts the vault seals (passwords are stored in
    /// the encrypted vault database, nowhere else).
    Account {
        /// What to do.
        #[command(subcommand)]
        command: crate::commands::AccountCommand,
    },

    /// Seal every folder of an account: each message is sealed, appended,
    /// fetched back and verified before its plaintext original is removed.
    /// Safe to re-run (already sealed mail is counted, never duplicated).
    Seal(crate::commands::SealArgs),

    /// Keep an account sealed as mail arrives: a full seal pass, then IDLE
    /// on INBOX and a pass over every folder each poll interval. Survives
    /// server restarts and network loss (retries with back-off); stops
    /// cleanly on Ctrl-C or SIGTERM. Logs the delay from delivery to sealed
    /// for each message.
    Watch(crate::commands::WatchArgs),

    /// Re-key the vault: a new identity (master secret, recovery key shown
    /// once), then every message re-sealed to it (`rotate --new-identity`).
    /// The passphrase stays; an old copy of the key file stops working.
    Rekey(crate::commands::SealArgs),
    /// Re-seal every seal of the vault to its current recipient set (after
    /// the escrow recipient was added, changed or removed, or with
    /// --new-identity), under a new key generation, by the same safe path
    /// as `seal`; resumes after an interruption. `--account` limits one run.
    Rotate(crate::commands::RotateArgs),
    /// Search the sealed mail (the local index): words, "phrases", warr*,
    /// from: to: cc: subject: in: filename: has:attachment is:unread
    /// before:/after:DATE newer_than:/older_than: larger:/smaller:, AND OR
    /// NOT -word ( ). Newest first.
    Search(crate::commands::SearchArgs),
    /// Show a message from the index: headers, text, attachments; or its
    /// exact original (--raw), HTML (--html) or header block (--headers).
    Show(crate::commands::ShowArgs),
    /// Mark a message read, unread, flagged or not, on the server's sealed
    /// copy and in the index.
    Mark(crate::commands::MarkArgs),
    /// Show or set the size of the body cache (originals kept inside the
    /// encrypted database so that reading needs no download).
    Cache(crate::commands::CacheArgs),
    /// Move a message's sealed copy to another folder on the server.
    Move(crate::commands::MoveArgs),
    /// Delete a message: its sealed copy goes to Trash (--now: removed from
    /// the server at once).
    Delete(crate::commands::DeleteArgs),
    /// Write the originals out, byte for byte: a Maildir tree per account
    /// or one mbox file.
    Export(crate::commands::ExportArgs),
    /// Fill the index from the server (a new device after `recover`):
    /// every genuine seal is downloaded and opened. Resumes after an
    /// interruption; a second run fetches only what changed.
    Rebuild(crate::commands::SyncArgs),
    /// Bring the index in step with the server: flag changes, moves and
    /// deletions other clients made, and new sealed mail.
    Sync(crate::commands::SyncArgs),
    /// The organisation escrow recipient (set, remove), and the firm's
    /// tools to open seals with its key alone (open, export).
    Escrow {
        /// What to do.
        #[command(subcommand)]
        command: crate::commands::EscrowCommand,
    },
    /// `coffer watch` as a systemd user service (install, status, uninstall).
    Service {
        /// What to do.
        #[command(subcommand)]
        command: crate::commands::ServiceCommand,
    },
    /// The vault's age identity.
    Identity {
        /// What to do with it.
        #[command(subcommand)]
        command: IdentityCommand,
    },
}

/// `coffer identity …`
#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Print the identity (AGE-SECRET-KEY-1…) in age's identity file format,
    /// for `age -d -i FILE`. Anyone holding it can read all your sealed mail.
    Export {
        /// Write it to FILE (mode 0600, never overwriting) instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}
