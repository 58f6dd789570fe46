//! The IMAP server options that `account add` and `audit` share, and the
//! connection configuration they become.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use coffer_engine::net::{ImapConfig, Security};
use coffer_engine::{Code, WithCode as _, refusal};
use secrecy::SecretString;

/// How to reach and log in to an IMAP server.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The IMAP server, as HOST:PORT (IMAPS unless --starttls).
    #[arg(long, value_name = "HOST:PORT")]
    pub imap: String,
    /// The login name.
    #[arg(long)]
    pub user: String,
    /// A file whose first line is the account's password.
    #[arg(long, value_name = "FILE")]
    pub password_file: PathBuf,
    /// Also trust this CA certificate (PEM), for servers with a private CA.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Connect in plaintext and upgrade with STARTTLS (refused if the server does not).
    #[arg(long, conflicts_with = "insecure_loopback")]
    pub starttls: bool,
    /// No TLS at all; only allowed to a loopback address (local test servers).
    #[arg(long)]
    pub insecure_loopback: bool,
}

impl ServerArgs {
    /// The transport security asked for.
    pub fn security(&self) -> Security {
        if self.insecure_loopback {
            Security::InsecureLoopback
        } else if self.starttls {
            Security::StartTls
        } else {
            Security::Tls
        }
    }

    /// The connection configuration.
    pub fn imap_config(&self) -> anyhow::Result<ImapConfig> {
        let (host, port) = parse_host_port(&self.imap)?;
        let mut config = ImapConfig::new(host, port);
        config.security = self.security();
        config.ca_file = self.ca_file.clone();
        Ok(config)
    }

    /// The password, from the first line of --password-file.
    pub fn password(&self) -> anyhow::Result<SecretString> {
        crate::passphrase::first_line(&self.password_file, "password")
    }
}

/// Parses `HOST:PORT` (IPv6 as `[::1]:993`).
pub fn parse_host_port(s: &str) -> anyhow::Result<(String, u16)> {
    let (host, port) = s
        .rsplit_once(':')
        .with_context(|| format!("{s:?} is not HOST:PORT"))
        .code(Code::BadRequest)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(refusal(Code::BadRequest, format!("{s:?} has no host name")));
    }
    let port = port
        .parse()
        .with_context(|| format!("{port:?} is not a port number"))
        .code(Code::BadRequest)?;
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() -> anyhow::Result<()> {
        assert_eq!(
            parse_host_port("imap.example.com:993")?,
            ("imap.example.com".into(), 993)
        );
        assert_eq!(parse_host_port("[::1]:143")?, ("::1".into(), 143));
        assert!(parse_host_port("imap.example.com").is_err());
        assert!(parse_host_port(":993").is_err());
        assert!(parse_host_port("h:99999").is_err());
        Ok(())
    }
}
