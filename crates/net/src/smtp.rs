//! Sending over SMTP submission: implicit TLS (465) by default, STARTTLS
//! (587) when asked and refused when the upgrade does not happen, AUTH,
//! and each recipient's answer kept apart, so a caller can retry only the
//! recipients that were not accepted.
//!
//! The protocol is lettre's (`AsyncSmtpConnection`), with its rustls: the
//! system's roots and the account's extra CA, as for IMAP. Only the SMTP
//! commands are driven here, one by one, rather than lettre's all-or-nothing
//! `send`: a 5xx to one `RCPT TO` must name that recipient and leave the
//! others to go out.

use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};
use secrecy::{ExposeSecret as _, SecretString};

use crate::{NetError, Security, validate};

/// Where and how to submit mail.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// The submission server.
    pub host: String,
    /// Its port (465 implicit TLS, 587 STARTTLS).
    pub port: u16,
    /// `Tls` (implicit), `StartTls`, or `InsecureLoopback` (tests).
    pub security: Security,
    /// An extra CA certificate (PEM) to trust, as for IMAP.
    pub ca_pem: Option<Vec<u8>>,
    /// How long one step may take.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// Implicit TLS to `host:port`, a 60-second step timeout.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            security: Security::Tls,
            ca_pem: None,
            timeout: Duration::from_secs(60),
        }
    }
}

/// A server's answer to one recipient or to the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Accepted (2xx).
    Accepted,
    /// Refused for now (4xx): worth retrying later.
    Temporary(String),
    /// Refused for good (5xx), with the server's reply.
    Permanent(String),
}

/// What one submission did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Each recipient's answer to `RCPT TO`, in order.
    pub recipients: Vec<(String, Answer)>,
    /// The answer to the message itself (after the final dot); `None` when
    /// no recipient was accepted, so no data was sent.
    pub message: Option<Answer>,
}

/// A logged-in submission session.
pub struct SmtpSession {
    conn: AsyncSmtpConnection,
    /// The largest message the server takes (`SIZE`), if it says.
    max_size: Option<u64>,
    timeout: Duration,
}

impl std::fmt::Debug for SmtpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSession")
            .field("max_size", &self.max_size)
            .finish_non_exhaustive()
    }
}

fn hello() -> ClientId {
    // Not the machine's name: it would tell the server who sends.
    ClientId::Domain("localhost".into())
}

fn tls_parameters(config: &SmtpConfig) -> Result<TlsParameters, NetError> {
    let mut builder =
        TlsParameters::builder(config.host.clone()).certificate_store(CertificateStore::Default);
    if let Some(pem) = &config.ca_pem {
        let cert = Certificate::from_pem(pem).map_err(|e| NetError::CaFile {
            path: "(the account's CA)".into(),
            reason: e.to_string(),
        })?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|e| NetError::Tls(e.to_string()))
}

/// A lettre error as ours: the certificate, timeouts, the network, the server.
fn map_error(e: &lettre::transport::smtp::Error, action: &'static str, seconds: u64) -> NetError {
    let text = e.to_string();
    if e.is_timeout() {
        return NetError::Timeout { action, seconds };
    }
    if e.is_tls() {
        let lower = text.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("unknownissuer") {
            return NetError::Certificate { reason: text };
        }
        return NetError::Tls(text);
    }
    if e.is_permanent() || e.is_transient() || e.is_response() {
        return NetError::Refused {
            command: action_command(action),
            reason: text,
        };
    }
    NetError::Io(std::io::Error::other(text))
}

fn action_command(action: &'static str) -> &'static str {
    match action {
        "logging in to the SMTP server" => "AUTH",
        _ => "SMTP",
    }
}

/// Refuses a plaintext connection to anything but loopback.
async fn check_loopback(host: &str, port: u16) -> Result<(), NetError> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| NetError::Resolve {
            host: host.to_owned(),
            error,
        })?
        .collect();
    if addrs.is_empty() || !addrs.iter().all(|a| a.ip().is_loopback()) {
        return Err(NetError::InsecureNotLoopback {
            host: host.to_owned(),
        });
    }
    Ok(())
}

impl SmtpSession {
    /// Connects, secures the connection as configured, and logs in.
    pub async fn connect(
        config: &SmtpConfig,
        user: &str,
        password: &SecretString,
    ) -> Result<Self, NetError> {
        Self::connect_with(config, user, crate::Login::Password(password)).await
    }

    /// [`SmtpSession::connect`] with a password (PLAIN or LOGIN) or an
    /// OAuth2 access token (XOAUTH2: lettre has no OAUTHBEARER).
    pub async fn connect_with(
        config: &SmtpConfig,
        user: &str,
        login: crate::Login<'_>,
    ) -> Result<Self, NetError> {
        validate::validate_argument("host name", &config.host)?;
        validate::validate_argument("user name", user)?;
        let seconds = config.timeout.as_secs();
        let connecting = |e: lettre::transport::smtp::Error| {
            let text = e.to_string();
            // rustls's verdict reaches us as a connection error's text.
            if text.contains("certificate") || text.contains("UnknownIssuer") {
                NetError::Certificate { reason: text }
            } else if e.is_tls() || e.is_timeout() {
                map_error(&e, "connecting to the SMTP server", seconds)
            } else {
                NetError::Connect {
                    addr: format!("{}:{}", config.host, config.port),
                    error: std::io::Error::other(e.to_string()),
                }
            }
        };
        let mut conn = match config.security {
            Security::Tls => {
                let params = tls_parameters(config)?;
                Self::open(config, Some(params)).await.map_err(connecting)?
            }
            Security::StartTls => {
                let params = tls_parameters(config)?;
                let mut conn = Self::open(config, None).await.map_err(connecting)?;
                if !conn.can_starttls() {
                    conn.abort().await;
                    return Err(NetError::StartTlsNotOffered);
                }
                conn.starttls(params, &hello()).await.map_err(|e| {
                    match map_error(&e, "upgrading with STARTTLS", seconds) {
                        cert @ NetError::Certificate { .. } => cert,
                        _ => NetError::StartTlsFailed(e.to_string()),
                    }
                })?;
                conn
            }
            Security::InsecureLoopback => {
                check_loopback(&config.host, config.port).await?;
                Self::open(config, None).await.map_err(connecting)?
            }
        };
        // lettre keeps only the extensions it uses; SIZE is read here.
        let ehlo = conn
            .command(Ehlo::new(hello()))
            .await
            .map_err(|e| map_error(&e, "greeting the SMTP server", seconds))?;
        let max_size = ehlo.message().find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()?.eq_ignore_ascii_case("SIZE"))
                .then(|| words.next()?.parse::<u64>().ok())
                .flatten()
                .filter(|n| *n > 0)
        });
        let (secret, mechanisms, bearer) = match login {
            crate::Login::Password(p) => (p, &[Mechanism::Plain, Mechanism::Login][..], false),
            crate::Login::Bearer(t) => (t, &[Mechanism::Xoauth2][..], true),
        };
        let credentials = Credentials::new(user.to_owned(), secret.expose_secret().to_owned());
        match conn.auth(mechanisms, &credentials).await {
            Ok(_) => {}
            Err(e) if e.is_permanent() || e.is_transient() => {
                conn.abort().await;
                return Err(NetError::AuthFailed {
                    user: user.to_owned(),
                    reason: e.to_string(),
                });
            }
            // A refused token comes back as a challenge, which lettre's
            // XOAUTH2 does not expect: a refusal all the same.
            Err(e) if bearer && e.is_client() && e.to_string().contains("challenge") => {
                conn.abort().await;
                return Err(NetError::AuthFailed {
                    user: user.to_owned(),
                    reason: "the server refused the access token".to_owned(),
                });
            }
            Err(e) if bearer && e.is_client() => {
                conn.abort().await;
                return Err(NetError::MissingCapability(
                    "SMTP AUTH XOAUTH2 over this connection",
                ));
            }
            Err(e) if e.is_client() => {
                conn.abort().await;
                return Err(NetError::MissingCapability(
                    "SMTP AUTH (PLAIN or LOGIN) over this connection",
                ));
            }
            Err(e) => return Err(map_error(&e, "logging in to the SMTP server", seconds)),
        }
        Ok(Self {
            conn,
            max_size,
            timeout: config.timeout,
        })
    }

    /// Connects (with implicit TLS when `tls` is given) and reads the greeting.
    async fn open(
        config: &SmtpConfig,
        tls: Option<TlsParameters>,
    ) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        AsyncSmtpConnection::connect_tokio1(
            (config.host.as_str(), config.port),
            Some(config.timeout),
            &hello(),
            tls,
            None,
        )
        .await
    }

    /// The largest message the server takes, when it says (`SIZE`).
    pub fn max_size(&self) -> Option<u64> {
        self.max_size
    }

    /// Submits `message` from `from` to `recipients`, asking about each
    /// recipient separately. A message over the server's `SIZE` is refused
    /// before anything is sent. `Err` means the session broke (for a break
    /// after the final dot, the server may have taken the message).
    pub async fn submit(
        &mut self,
        from: &str,
        recipients: &[String],
        message: &[u8],
    ) -> Result<Submission, NetError> {
        let seconds = self.timeout.as_secs();
        if let Some(limit) = self.max_size
            && message.len() as u64 > limit
        {
            return Err(NetError::MessageTooLarge {
                size: message.len() as u64,
                limit,
            });
        }
        let sender = parse_address("sender", from)?;
        let mut options = Vec::new();
        if !message.is_ascii() {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        if let Err(e) = self.conn.command(Mail::new(Some(sender), options)).await {
            return Err(match answer(&e) {
                Some(_) => NetError::Refused {
                    command: "MAIL FROM",
                    reason: e.to_string(),
                },
                None => map_error(&e, "sending MAIL FROM", seconds),
            });
        }
        let mut answers = Vec::with_capacity(recipients.len());
        for to in recipients {
            let address = parse_address("recipient", to)?;
            let a = match self.conn.command(Rcpt::new(address, Vec::new())).await {
                Ok(_) => Answer::Accepted,
                Err(e) => answer(&e).ok_or_else(|| map_error(&e, "sending RCPT TO", seconds))?,
            };
            answers.push((to.clone(), a));
        }
        if !answers.iter().any(|(_, a)| *a == Answer::Accepted) {
            // Nothing to send to: end the transaction, keep the session.
            let _ = self.conn.command("RSET\r\n").await;
            return Ok(Submission {
                recipients: answers,
                message: None,
            });
        }
        if let Err(e) = self.conn.command(Data).await {
            return Err(match answer(&e) {
                Some(_) => NetError::Refused {
                    command: "DATA",
                    reason: e.to_string(),
                },
                None => map_error(&e, "sending DATA", seconds),
            });
        }
        // lettre ends the data with CRLF "." CRLF: a message's own final
        // CRLF is that first CRLF, or the recipient would get an extra line.
        let data = message.strip_suffix(b"\r\n").unwrap_or(message);
        let done = match self.conn.message(data).await {
            Ok(_) => Answer::Accepted,
            Err(e) => answer(&e).ok_or_else(|| map_error(&e, "sending the message", seconds))?,
        };
        Ok(Submission {
            recipients: answers,
            message: Some(done),
        })
    }

    /// Says goodbye (errors ignored: the work is done).
    pub async fn quit(mut self) {
        let _ = self.conn.quit().await;
    }
}

/// A 4xx or 5xx reply as an [`Answer`]; `None` for anything else (the
/// connection, a timeout).
fn answer(e: &lettre::transport::smtp::Error) -> Option<Answer> {
    if e.is_permanent() {
        Some(Answer::Permanent(e.to_string()))
    } else if e.is_transient() {
        Some(Answer::Temporary(e.to_string()))
    } else {
        None
    }
}

fn parse_address(what: &'static str, text: &str) -> Result<Address, NetError> {
    validate::validate_argument(what, text)?;
    text.parse().map_err(|_| NetError::InvalidArgument {
        what,
        reason: "is not an e-mail address",
    })
}
