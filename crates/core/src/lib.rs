//! Coffer's pure logic: bytes in, bytes out.
//!
//! Architecture invariant: this crate does no I/O — no files, no sockets, no
//! clock reads, no async runtime. Time comes in as a parameter and randomness
//! through an `RngCore + CryptoRng` argument (age alone draws its file keys
//! from the OS). Everything here can be tested with plain byte slices.
//!
//! * [`keys`] — the master secret and the keys HKDF derives from it;
//! * [`keyfile`] — the master secret wrapped under the passphrase;
//! * [`recovery`] — the master secret as a checksummed recovery key;
//! * [`escrow`] — the organisation escrow recipient, pinned by fingerprint;
//! * [`mod@seal`] — the sealed-message format v1 (see `docs/FORMAT.md`);
//! * [`audit`] — what a message on the server is, judged from its first bytes;
//! * [`calendar`] — the one calendar (days ↔ dates, RFC 3339) of the workspace;
//! * [`mime`] — a message's addresses, subject, text, HTML and attachment list;
//! * [`search`] — the search query language, parsed into a tree the store compiles.
//!
//! The `test-support` feature adds cheap Argon2id parameters
//! ([`KdfParams::new_unchecked_for_tests`], [`KeyFile::parse_for_tests`]) and
//! forgery/tampering builders (`seal::testkit`) for tests; production builds
//! never enable it, so production parsing always enforces the Argon2id floor.

// Tests may unwrap and index; the non-test build is linted in full.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod audit;
pub mod calendar;
mod codec;
pub mod compose;
pub mod escrow;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod html;
pub mod keyfile;
pub mod keys;
pub mod mime;
pub mod passphrase;
pub mod recovery;
pub mod seal;
pub mod search;

pub use age::x25519::{Identity, Recipient};
pub use codec::{hex, parse_hex32};
pub use keyfile::{KdfParams, KeyFile, KeyFileError};
pub use keys::{DatabaseKey, KeysError, MasterSecret, VaultKeys};
pub use recovery::RecoveryError;
pub use seal::{
    Authenticity, InternalDate, Manifest, Opened, OuterInfo, SealError, SealId, SealInput, inspect,
    inspect_head, open, open_with_identity, seal,
};
pub use secrecy::{ExposeSecret, SecretString};

/// The product name, as shown to users.
pub const PRODUCT: &str = "Coffer";

/// The version of this build of Coffer.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
