//! The errors of network access, each saying what failed and what to do next.

use std::path::PathBuf;

/// What went wrong while talking to a mail server.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// An argument would have been sent to the server but is not allowed.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument (e.g. "folder name").
        what: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Host name resolution failed.
    #[error("cannot resolve {host}: {error}")]
    Resolve {
        /// The host that was looked up.
        host: String,
        /// The resolver's error (shown in the message, not a separate
        /// `source`, so an error chain does not print it twice).
        error: std::io::Error,
    },
    /// The TCP connection could not be made.
    #[error("cannot connect to {addr}: {error}")]
    Connect {
        /// The address tried.
        addr: String,
        /// The socket error (in the message, as for `Resolve`).
        error: std::io::Error,
    },
    /// A network step took longer than the configured timeout.
    #[error("timed out while {action} (after {seconds} s)")]
    Timeout {
        /// What was being done.
        action: &'static str,
        /// The limit that was hit.
        seconds: u64,
    },
    /// The server's certificate was not trusted.
    #[error(
        "the server's certificate was rejected: {reason}; if your organisation uses its own \
         certificate authority, pass its certificate with --ca-file"
    )]
    Certificate {
        /// The verifier's reason.
        reason: String,
    },
    /// The TLS handshake failed for a reason other than the certificate.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The extra CA file could not be used.
    #[error("cannot use CA file {path}: {reason}")]
    CaFile {
        /// The file given with --ca-file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// STARTTLS was required but the server does not advertise it.
    #[error(
        "the server does not offer STARTTLS; refusing to continue without TLS \
         (try implicit TLS on port 993)"
    )]
    StartTlsNotOffered,
    /// STARTTLS was required but the server refused or failed the upgrade.
    #[error("the server did not complete STARTTLS ({0}); refusing to continue without TLS")]
    StartTlsFailed(String),
    /// A plaintext connection was asked for to a host that is not loopback.
    #[error(
        "refusing a connection without TLS to {host}: plaintext is only allowed to a \
         loopback address"
    )]
    InsecureNotLoopback {
        /// The host that was asked for.
        host: String,
    },
    /// The server rejected the user name or password.
    #[error("login failed for {user}: {reason}")]
    AuthFailed {
        /// The user name.
        user: String,
        /// The server's message.
        reason: String,
    },
    /// A response went over [`crate::Limits::max_response_bytes`].
    #[error("the server sent a response larger than the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit in force.
        limit: u64,
    },
    /// The server sent something we could not interpret.
    #[error("unexpected response from the server: {0}")]
    Protocol(String),
    /// The server answered NO or BAD to a command.
    #[error("the server refused {command}: {reason}")]
    Refused {
        /// The command.
        command: &'static str,
        /// The server's message.
        reason: String,
    },
    /// The server lacks a capability that the operation needs to be safe.
    #[error(
        "the server does not support {0}; refusing an operation that would be unsafe without it"
    )]
    MissingCapability(&'static str),
    /// A message is too large to be fetched back within the response limit.
    #[error("the message is {size} bytes, over the limit of {limit} bytes")]
    MessageTooLarge {
        /// The message's size.
        size: u64,
        /// The largest message the limits allow.
        limit: u64,
    },
    /// The connection broke.
    #[error("connection lost: {0}")]
    Io(#[from] std::io::Error),
}
