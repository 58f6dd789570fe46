//! What a connection needs to know: where, how securely, and within which limits.

use std::path::PathBuf;
use std::time::Duration;

/// How the transport is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Security {
    /// TLS from the first byte (IMAPS, port 993). The default.
    #[default]
    Tls,
    /// A plaintext connection upgraded with STARTTLS. If the server does not
    /// offer or does not complete the upgrade, the connection is refused.
    StartTls,
    /// No TLS at all. Allowed only when every address of the host is a
    /// loopback address; meant for local test servers and bridges.
    InsecureLoopback,
}

/// Bounds on what a server may make us do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Timeout for connecting, the TLS handshake and each command.
    pub timeout: Duration,
    /// The most bytes a single command's response may carry (literals
    /// included). A server that sends more is cut off with
    /// [`crate::NetError::ResponseTooLarge`].
    pub max_response_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            // Large enough for a 50 MB message plus its framing.
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Everything needed to open an IMAP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapConfig {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Transport security.
    pub security: Security,
    /// An extra CA certificate file (PEM) trusted in addition to the system roots.
    pub ca_file: Option<PathBuf>,
    /// Timeouts and size limits.
    pub limits: Limits,
}

impl ImapConfig {
    /// A configuration with implicit TLS, system roots and default limits.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            security: Security::Tls,
            ca_file: None,
            limits: Limits::default(),
        }
    }
}
