//! Coffer's pure logic: bytes in, bytes out.
//!
//! Architecture invariant: this crate does no I/O — no files, no sockets, no
//! clock reads that matter, no async runtime. Everything here can be tested
//! with plain byte slices. The key hierarchy and the sealed-message format
//! land here (see `docs/FORMAT.md`).

/// The product name, as shown to users.
pub const PRODUCT: &str = "Coffer";

/// The version of this build of Coffer.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
