//! The IMAP server options that `account add` and `audit` share, and the
//! connection configuration they become.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use coffer_engine::net::{ImapConfig, Security};
use coffer_engine::oauth::{OAuthRequest, Provider, SignedIn};
use coffer_engine::{Code, WithCode as _, refusal};
use secrecy::SecretString;

/// How to reach and log in to an IMAP server.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The IMAP server, as HOST:PORT (IMAPS unless --starttls); `account
    /// add` takes it from the provisioning profile when not given.
    #[arg(long, value_name = "HOST:PORT")]
    pub imap: Option<String>,
    /// The login name.
    #[arg(long)]
    pub user: String,
    /// A file whose first line is the account's password (not with --oauth).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "oauth",
        conflicts_with = "oauth"
    )]
    pub password_file: Option<PathBuf>,
    /// Sign in with OAuth2 in the system browser instead of a password:
    /// `microsoft` (Microsoft 365, Outlook.com), `google`, or `custom`
    /// (with --oauth-auth-url and --oauth-token-url).
    #[arg(long, value_name = "PROVIDER", value_parser = ["microsoft", "google", "custom"])]
    pub oauth: Option<String>,
    /// The OAuth client ID (else the vault's setting, else the build's).
    #[arg(long, value_name = "ID", requires = "oauth")]
    pub oauth_client_id: Option<String>,
    /// The OAuth client secret, for providers that issue one to desktop
    /// apps (Google); it is not a secret in a desktop app.
    #[arg(long, value_name = "SECRET", requires = "oauth")]
    pub oauth_client_secret: Option<String>,
    /// Microsoft: the tenant (`common`, `organizations`, `consumers` or an ID).
    #[arg(long, value_name = "TENANT", requires = "oauth")]
    pub oauth_tenant: Option<String>,
    /// Custom: the authorization endpoint.
    #[arg(long, value_name = "URL", requires = "oauth")]
    pub oauth_auth_url: Option<String>,
    /// Custom: the token endpoint.
    #[arg(long, value_name = "URL", requires = "oauth")]
    pub oauth_token_url: Option<String>,
    /// Custom: a scope to ask for (repeatable).
    #[arg(long = "oauth-scope", value_name = "SCOPE", requires = "oauth")]
    pub oauth_scopes: Vec<String>,
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
        let imap = self
            .imap
            .as_deref()
            .ok_or_else(|| refusal(Code::BadRequest, "--imap HOST:PORT is needed"))?;
        let (host, port) = parse_host_port(imap)?;
        let mut config = ImapConfig::new(host, port);
        config.security = self.security();
        config.ca_file = self.ca_file.clone();
        Ok(config)
    }

    /// The password, from the first line of --password-file.
    pub fn password(&self) -> anyhow::Result<SecretString> {
        let file = self.password_file.as_deref().ok_or_else(|| {
            refusal(
                Code::BadRequest,
                "--password-file is needed without --oauth",
            )
        })?;
        crate::passphrase::first_line(file, "password")
    }

    /// What a one-off run (audit, the firm's export) logs in with: the
    /// password, or, with `--oauth`, an access token from a sign-in kept for
    /// this run only (`true`).
    pub fn run_login(&self) -> anyhow::Result<(SecretString, bool)> {
        match self.oauth_request() {
            Some(request) => Ok((sign_in(&request, |_| None)?.tokens.access_token, true)),
            None => Ok((self.password()?, false)),
        }
    }

    /// What `--oauth …` asks for, if it was given.
    pub fn oauth_request(&self) -> Option<OAuthRequest> {
        let provider = Provider::parse(self.oauth.as_deref()?)?;
        Some(OAuthRequest {
            provider: Some(provider),
            client_id: self.oauth_client_id.clone(),
            client_secret: self.oauth_client_secret.clone(),
            tenant: self.oauth_tenant.clone(),
            auth_url: self.oauth_auth_url.clone(),
            token_url: self.oauth_token_url.clone(),
            scopes: self.oauth_scopes.clone(),
        })
    }
}

/// Signs in through the system browser: prints the URL (and opens it with
/// `$COFFER_OPENER`, else `xdg-open` on a desktop), then waits for the
/// redirect. `setting` reads the vault's settings, where there is a vault.
pub fn sign_in(
    request: &OAuthRequest,
    setting: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<SignedIn> {
    let runtime = crate::commands::runtime()?;
    let provider = request.provider.map_or("the provider", Provider::display);
    runtime.block_on(coffer_engine::oauth::sign_in(request, setting, |url| {
        warn!("coffer: sign in with {provider} in your browser:\n\n  {url}\n");
        warn!(
            "coffer: waiting for the browser (up to {} minutes)…",
            coffer_engine::oauth::SIGN_IN_TIMEOUT.as_secs() / 60
        );
        open_in_browser(url);
    }))
}

/// Opens `url` with `$COFFER_OPENER`, else `xdg-open` where there is a
/// desktop; a failure only means the user opens the printed URL.
fn open_in_browser(url: &str) {
    let opener = match std::env::var_os("COFFER_OPENER") {
        Some(o) => o,
        None if std::env::var_os("DISPLAY").is_some()
            || std::env::var_os("WAYLAND_DISPLAY").is_some() =>
        {
            "xdg-open".into()
        }
        None => return,
    };
    let spawned = std::process::Command::new(&opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        warn!("coffer: could not start {opener:?} ({e}); open the URL above yourself");
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
