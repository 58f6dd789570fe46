//! What a connection needs to know: where, how securely, and within which limits.

use std::path::PathBuf;
use std::time::Duration;

/// How the transport is protected. Its one string form ([`Security::as_str`],
/// also its serde form) is what every output shows: `tls`, `starttls`,
/// `insecure-loopback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Security {
    /// TLS from the first byte (IMAPS, port 993). The default.
    #[default]
    #[serde(rename = "tls")]
    Tls,
    /// A plaintext connection upgraded with STARTTLS. If the server does not
    /// offer or does not complete the upgrade, the connection is refused.
    #[serde(rename = "starttls")]
    StartTls,
    /// No TLS at all. Allowed only when every address of the host is a
    /// loopback address; meant for local test servers and bridges.
    #[serde(rename = "insecure-loopback")]
    InsecureLoopback,
}

impl Security {
    /// The string form: `tls`, `starttls` or `insecure-loopback`.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::StartTls => "starttls",
            Security::InsecureLoopback => "insecure-loopback",
        }
    }
}

impl std::fmt::Display for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// The extra CA's PEM itself, as kept in the vault; when set it is used
    /// instead of reading `ca_file` (which then only names it in errors).
    pub ca_pem: Option<Vec<u8>>,
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
            ca_pem: None,
            limits: Limits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Security;

    #[test]
    fn one_string_form_in_display_and_serde() {
        for s in [
            Security::Tls,
            Security::StartTls,
            Security::InsecureLoopback,
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(serde_json::from_str::<Security>(&json).unwrap(), s);
        }
        assert_eq!(Security::InsecureLoopback.as_str(), "insecure-loopback");
    }
}
