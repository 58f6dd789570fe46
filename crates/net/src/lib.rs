//! Network access for Coffer: IMAP over TLS with a strict connection policy.
//!
//! This crate moves bytes and knows nothing about sealing. It is the only crate
//! in the workspace that opens sockets (see `ARCHITECTURE.md`). Every argument
//! that reaches the wire is validated here first, every response is bounded in
//! size, and every network step has a timeout.

mod config;
mod error;
pub mod imap;
pub mod keyring;
pub mod mutf7;
pub mod oauth;
pub mod smtp;
mod stream;
mod tls;
mod validate;

pub use config::{ImapConfig, Limits, Security};
pub use error::NetError;
#[cfg(feature = "fuzzing")]
pub use imap::fuzzing;
pub use imap::{AppendUid, IdleOutcome, Login, ToAppend, UidInfo};
pub use imap::{
    FetchedMessage, Folder, FolderStatus, ImapSession, MessageHead, MessageRanges, SpecialUse,
};
pub use tls::check_ca_pem;
pub use validate::validate_argument;
