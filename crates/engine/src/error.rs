//! One error model for both faces: a stable [`Code`] rides in every error's
//! chain (as GitButler's codes do), and the CLI's exit status and the app's
//! `{ code, message }` are each derived from it in one place.
//!
//! A code gets into a chain two ways: a typed error of ours ([`VaultError`],
//! or one of `net`, `store` or `core` the engine knows) implies it, or a
//! caller attaches it with [`WithCode::code`]. [`code_of`] finds the
//! outermost one; an error that carries none is [`Code::Internal`].

use std::path::PathBuf;

use coffer_core::{KeyFileError, RecoveryError};
use coffer_net::NetError;
use coffer_store::StoreError;
use serde::Serialize;

/// What went wrong, as a caller switches on it. The string form
/// ([`Code::as_str`], also the serde form) is stable: scripts, the UI's
/// TypeScript union and `docs/CLI.md` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The passphrase does not unlock the vault.
    WrongPassphrase,
    /// A new passphrase was refused: empty, or typed twice differently.
    PassphraseRejected,
    /// There is no vault where one was expected.
    VaultMissing,
    /// A vault is already there; nothing is overwritten.
    VaultExists,
    /// The key file or the database is damaged (or not this vault's).
    VaultDamaged,
    /// The recovery key is malformed, or belongs to another vault.
    BadRecoveryKey,
    /// An account by that name already exists.
    AccountExists,
    /// No account by that name, or none named where several exist.
    NoSuchAccount,
    /// Another `seal` or `watch` is working on the account.
    AccountBusy,
    /// A file would be overwritten; nothing was written.
    WouldOverwrite,
    /// The request itself is wrong (an argument, a folder that does not exist).
    BadRequest,
    /// The user cancelled (e.g. did not confirm the recovery key).
    Cancelled,
    /// The app is locked: only unlocking and the sealing status answer.
    Locked,
    /// The operation is not available yet in this version (it says why).
    NotSupported,
    /// The audit found messages that are not genuine seals.
    NotClean,
    /// A run finished but left something undone, for reasons it lists.
    Incomplete,
    /// The server refused the login.
    LoginRefused,
    /// An OAuth sign-in is no longer accepted (revoked or expired): only
    /// signing in again helps.
    SignInAgain,
    /// No OAuth client ID is configured for the provider.
    #[serde(rename = "oauth_client_missing")]
    OAuthClientMissing,
    /// The server's certificate is not trusted (or the CA file is unusable).
    CertificateUntrusted,
    /// The server lacks a capability the operation needs (STARTTLS, UIDPLUS…).
    CapabilityMissing,
    /// A folder changed under a run (UIDVALIDITY) or could not be opened.
    FolderChanged,
    /// The server could not be reached, or the connection broke or timed out.
    Network,
    /// The server answered something unexpected or refused a command.
    Server,
    /// Some work failed; what failed is listed.
    Failed,
    /// Reading or writing a local file failed.
    Io,
    /// Anything else: a bug, or a failure without a more precise code.
    Internal,
}

impl Code {
    /// Every code, for documentation and tests.
    pub const ALL: [Code; 27] = [
        Code::WrongPassphrase,
        Code::PassphraseRejected,
        Code::VaultMissing,
        Code::VaultExists,
        Code::VaultDamaged,
        Code::BadRecoveryKey,
        Code::AccountExists,
        Code::NoSuchAccount,
        Code::AccountBusy,
        Code::WouldOverwrite,
        Code::BadRequest,
        Code::Cancelled,
        Code::Locked,
        Code::NotSupported,
        Code::NotClean,
        Code::Incomplete,
        Code::LoginRefused,
        Code::SignInAgain,
        Code::OAuthClientMissing,
        Code::CertificateUntrusted,
        Code::CapabilityMissing,
        Code::FolderChanged,
        Code::Network,
        Code::Server,
        Code::Failed,
        Code::Io,
        Code::Internal,
    ];

    /// The stable string form, e.g. `account_busy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::WrongPassphrase => "wrong_passphrase",
            Code::PassphraseRejected => "passphrase_rejected",
            Code::VaultMissing => "vault_missing",
            Code::VaultExists => "vault_exists",
            Code::VaultDamaged => "vault_damaged",
            Code::BadRecoveryKey => "bad_recovery_key",
            Code::AccountExists => "account_exists",
            Code::NoSuchAccount => "no_such_account",
            Code::AccountBusy => "account_busy",
            Code::WouldOverwrite => "would_overwrite",
            Code::BadRequest => "bad_request",
            Code::Cancelled => "cancelled",
            Code::Locked => "locked",
            Code::NotSupported => "not_supported",
            Code::NotClean => "not_clean",
            Code::Incomplete => "incomplete",
            Code::LoginRefused => "login_refused",
            Code::SignInAgain => "sign_in_again",
            Code::OAuthClientMissing => "oauth_client_missing",
            Code::CertificateUntrusted => "certificate_untrusted",
            Code::CapabilityMissing => "capability_missing",
            Code::FolderChanged => "folder_changed",
            Code::Network => "network",
            Code::Server => "server",
            Code::Failed => "failed",
            Code::Io => "io",
            Code::Internal => "internal",
        }
    }

    /// The `coffer` command's exit status: 1 for a refusal or a result the
    /// user can act on (the vault, the account or the mailbox is not as
    /// asked), 2 for an error (the server, the network, a file, a bug).
    /// Success is 0 and has no code.
    pub fn exit_status(self) -> u8 {
        match self {
            Code::WrongPassphrase
            | Code::PassphraseRejected
            | Code::VaultMissing
            | Code::VaultExists
            | Code::BadRecoveryKey
            | Code::AccountExists
            | Code::NoSuchAccount
            | Code::AccountBusy
            | Code::WouldOverwrite
            | Code::BadRequest
            | Code::Cancelled
            | Code::Locked
            | Code::NotSupported
            | Code::NotClean
            | Code::Incomplete
            | Code::SignInAgain
            | Code::OAuthClientMissing
            | Code::FolderChanged => 1,
            Code::VaultDamaged
            | Code::LoginRefused
            | Code::CertificateUntrusted
            | Code::CapabilityMissing
            | Code::Network
            | Code::Server
            | Code::Failed
            | Code::Io
            | Code::Internal => 2,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error marked with a [`Code`]. It stands in the chain in place of the
/// error it marks, showing that error's message and continuing with its
/// sources, so messages read the same with or without a code.
#[derive(Debug)]
struct Coded {
    code: Code,
    inner: anyhow::Error,
}

impl std::fmt::Display for Coded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for Coded {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

/// Attaches a [`Code`] to an error on its way up.
pub trait WithCode<T> {
    /// Marks the error (if any) with `code`.
    fn code(self, code: Code) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> WithCode<T> for Result<T, E> {
    fn code(self, code: Code) -> anyhow::Result<T> {
        self.map_err(|e| with_code(e.into(), code))
    }
}

/// `error`, marked with `code`.
pub fn with_code(error: anyhow::Error, code: Code) -> anyhow::Error {
    anyhow::Error::new(Coded { code, inner: error })
}

/// A refusal with its code and a message for people: what the engine (or a
/// face) returns when it will not do what was asked.
pub fn refusal(code: Code, message: impl std::fmt::Display) -> anyhow::Error {
    with_code(anyhow::Error::msg(message.to_string()), code)
}

/// The code of `error`: the outermost one attached or implied in its chain,
/// else [`Code::Internal`].
pub fn code_of(error: &anyhow::Error) -> Code {
    error
        .chain()
        .find_map(implied_code)
        .unwrap_or(Code::Internal)
}

/// The code a link of a chain carries, if it is a type we know.
fn implied_code(e: &(dyn std::error::Error + 'static)) -> Option<Code> {
    if let Some(coded) = e.downcast_ref::<Coded>() {
        return Some(coded.code);
    }
    if let Some(v) = e.downcast_ref::<VaultError>() {
        return Some(v.code());
    }
    if let Some(n) = e.downcast_ref::<NetError>() {
        return Some(net_code(n));
    }
    if let Some(s) = e.downcast_ref::<StoreError>() {
        return Some(match s {
            StoreError::Missing(_) => Code::VaultMissing,
            StoreError::AlreadyExists(_) => Code::VaultExists,
            StoreError::Access { .. } => Code::Io,
            StoreError::WrongKeyOrCorrupt | StoreError::Migration(_) | StoreError::Sqlite(_) => {
                Code::VaultDamaged
            }
        });
    }
    if let Some(k) = e.downcast_ref::<KeyFileError>() {
        return Some(match k {
            KeyFileError::WrongPassphrase => Code::WrongPassphrase,
            _ => Code::VaultDamaged,
        });
    }
    if e.is::<RecoveryError>() {
        return Some(Code::BadRecoveryKey);
    }
    if e.is::<std::io::Error>() {
        return Some(Code::Io);
    }
    None
}

fn net_code(e: &NetError) -> Code {
    match e {
        NetError::InvalidArgument { .. } | NetError::InsecureNotLoopback { .. } => Code::BadRequest,
        NetError::Resolve { .. }
        | NetError::Connect { .. }
        | NetError::Timeout { .. }
        | NetError::Io(_) => Code::Network,
        NetError::Certificate { .. } | NetError::CaFile { .. } => Code::CertificateUntrusted,
        NetError::StartTlsNotOffered | NetError::MissingCapability(_) => Code::CapabilityMissing,
        NetError::AuthFailed { .. } => Code::LoginRefused,
        NetError::Tls(_)
        | NetError::StartTlsFailed(_)
        | NetError::ResponseTooLarge { .. }
        | NetError::Protocol(_)
        | NetError::Refused { .. }
        | NetError::MessageTooLarge { .. } => Code::Server,
    }
}

/// The message of `error` for people: its chain on one line ("action:
/// cause").
pub fn message_of(error: &anyhow::Error) -> String {
    format!("{error:#}")
}

/// A refusal or a user mistake about the vault, as opposed to a broken file
/// or system. Each implies a [`Code`].
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The passphrase does not unlock the key file.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// `create` found a vault (a key file or a database) already there.
    #[error("a vault already exists in {0}; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// No key file where a vault was expected.
    #[error("there is no vault in {0} (create one with `coffer init`)")]
    NotFound(PathBuf),
    /// The typed recovery key is malformed (a typo, a missing group…).
    #[error(transparent)]
    BadRecoveryKey(#[from] RecoveryError),
    /// The recovery key is well formed but does not decrypt the database.
    #[error(
        "the recovery key does not open the database in {0}: it belongs to another vault, or the database is corrupted"
    )]
    RecoveryKeyMismatch(PathBuf),
    /// Recovering into a directory that has a key file but no database: the
    /// key file may belong to another vault, so it is not replaced blindly.
    #[error(
        "{0} has a key file but no database; move the key file away before recovering into this directory"
    )]
    KeyFileWithoutDatabase(PathBuf),
    /// `account add` with a name already in use.
    #[error("an account named {0:?} already exists (remove it first, or pick another name)")]
    AccountExists(String),
    /// No account by that name.
    #[error("there is no account named {0:?} (see `coffer account list`)")]
    NoSuchAccount(String),
    /// No account was named and the vault does not have exactly one.
    #[error(
        "the vault has {0} accounts; name one with --account (add one with `coffer account add`)"
    )]
    AccountNeeded(usize),
    /// Another `seal` or `watch` is working on this account right now.
    #[error(
        "account {0:?} is being sealed by another coffer process (a `seal` or `watch`, or the app); \
         wait for it to finish or stop it, then try again"
    )]
    AccountBusy(String),
    /// An export target already exists.
    #[error("{0} already exists; refusing to overwrite it")]
    WouldOverwrite(PathBuf),
}

impl VaultError {
    /// The code this refusal implies.
    pub fn code(&self) -> Code {
        match self {
            VaultError::WrongPassphrase => Code::WrongPassphrase,
            VaultError::AlreadyExists(_) | VaultError::KeyFileWithoutDatabase(_) => {
                Code::VaultExists
            }
            VaultError::NotFound(_) => Code::VaultMissing,
            VaultError::BadRecoveryKey(_) | VaultError::RecoveryKeyMismatch(_) => {
                Code::BadRecoveryKey
            }
            VaultError::AccountExists(_) => Code::AccountExists,
            VaultError::NoSuchAccount(_) | VaultError::AccountNeeded(_) => Code::NoSuchAccount,
            VaultError::AccountBusy(_) => Code::AccountBusy,
            VaultError::WouldOverwrite(_) => Code::WouldOverwrite,
        }
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    use super::*;

    #[test]
    fn string_forms_are_unique_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{s}\""));
        }
    }

    #[test]
    fn the_outermost_code_wins_and_the_message_is_unchanged() {
        let inner: anyhow::Result<()> = Err(VaultError::AccountBusy("work".into()).into());
        let e = inner.context("sealing").unwrap_err();
        assert_eq!(code_of(&e), Code::AccountBusy);
        let e = with_code(e, Code::Incomplete);
        assert_eq!(code_of(&e), Code::Incomplete);
        assert!(message_of(&e).starts_with("sealing: account \"work\" is being sealed"));
        assert_eq!(message_of(&e), format!("{e:#}"));
        assert_eq!(e.to_string(), "sealing");
        assert_eq!(e.chain().count(), 2);
    }

    #[test]
    fn every_net_error_has_its_code() {
        let io = || std::io::Error::other("x");
        let cases = [
            (
                NetError::InvalidArgument {
                    what: "w",
                    reason: "r",
                },
                Code::BadRequest,
            ),
            (
                NetError::Resolve {
                    host: "h".into(),
                    error: io(),
                },
                Code::Network,
            ),
            (
                NetError::Connect {
                    addr: "a".into(),
                    error: io(),
                },
                Code::Network,
            ),
            (
                NetError::Timeout {
                    action: "a",
                    seconds: 1,
                },
                Code::Network,
            ),
            (
                NetError::Certificate { reason: "r".into() },
                Code::CertificateUntrusted,
            ),
            (NetError::Tls("t".into()), Code::Server),
            (
                NetError::CaFile {
                    path: "p".into(),
                    reason: "r".into(),
                },
                Code::CertificateUntrusted,
            ),
            (NetError::StartTlsNotOffered, Code::CapabilityMissing),
            (NetError::StartTlsFailed("f".into()), Code::Server),
            (
                NetError::InsecureNotLoopback { host: "h".into() },
                Code::BadRequest,
            ),
            (
                NetError::AuthFailed {
                    user: "u".into(),
                    reason: "r".into(),
                },
                Code::LoginRefused,
            ),
            (NetError::ResponseTooLarge { limit: 1 }, Code::Server),
            (NetError::Protocol("p".into()), Code::Server),
            (
                NetError::Refused {
                    command: "C",
                    reason: "r".into(),
                },
                Code::Server,
            ),
            (
                NetError::MissingCapability("UIDPLUS"),
                Code::CapabilityMissing,
            ),
            (
                NetError::MessageTooLarge { size: 2, limit: 1 },
                Code::Server,
            ),
            (NetError::Io(io()), Code::Network),
        ];
        for (error, code) in cases {
            let shown = error.to_string();
            assert_eq!(code_of(&anyhow::Error::new(error)), code, "{shown}");
        }
        assert_eq!(crate::seal::Outcome::Failed.code(), Some(Code::Failed));
        assert_eq!(
            crate::seal::Outcome::Incomplete.code(),
            Some(Code::Incomplete)
        );
        assert_eq!(crate::seal::Outcome::Complete.code(), None);
    }

    #[test]
    fn typed_errors_imply_their_code() {
        let net = anyhow::Error::new(NetError::AuthFailed {
            user: "u".into(),
            reason: "no".into(),
        })
        .context("connecting");
        assert_eq!(code_of(&net), Code::LoginRefused);
        let cert = anyhow::Error::new(NetError::Certificate { reason: "x".into() });
        assert_eq!(code_of(&cert), Code::CertificateUntrusted);
        let io = anyhow::Error::new(std::io::Error::other("disk")).context("writing");
        assert_eq!(code_of(&io), Code::Io);
        assert_eq!(code_of(&anyhow::anyhow!("what?")), Code::Internal);
        let refused = refusal(Code::BadRequest, "no such folder");
        assert_eq!(code_of(&refused), Code::BadRequest);
        assert_eq!(message_of(&refused), "no such folder");
    }
}
