//! Opening a session: resolve, connect, TLS (implicit or STARTTLS), greeting, LOGIN.

use std::net::SocketAddr;

use async_imap::Client;
use imap_proto::{Capability, Response, ResponseCode, Status};
use rustls_pki_types::ServerName;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::net::TcpStream;

use super::{ImapSession, error_map, timed};
use crate::stream::ImapStream;
use crate::{ImapConfig, Limits, NetError, Security, tls, validate};

/// How a session logs in.
#[derive(Clone, Copy)]
pub enum Login<'a> {
    /// LOGIN with a password.
    Password(&'a SecretString),
    /// SASL with an OAuth2 access token: OAUTHBEARER (RFC 7628) where the
    /// server offers it in its greeting, else XOAUTH2.
    Bearer(&'a SecretString),
}

impl ImapSession {
    /// Connects to the server under `config`'s security policy and logs in.
    ///
    /// Fails closed: a certificate that does not verify, a STARTTLS upgrade
    /// that does not happen, or plaintext to a non-loopback host each end the
    /// attempt before the password is sent.
    pub async fn connect(
        config: &ImapConfig,
        user: &str,
        password: &SecretString,
    ) -> Result<Self, NetError> {
        Self::connect_with(config, user, Login::Password(password)).await
    }

    /// [`ImapSession::connect`] with a password or an OAuth2 access token.
    #[tracing::instrument(skip(config, login), fields(host = %config.host, port = config.port, user))]
    pub async fn connect_with(
        config: &ImapConfig,
        user: &str,
        login: Login<'_>,
    ) -> Result<Self, NetError> {
        validate::validate_argument("user name", user)?;
        let secret = match login {
            Login::Password(p) | Login::Bearer(p) => p,
        };
        validate::validate_argument("password", secret.expose_secret())?;
        let (client, greeting_caps) = open(config).await?;
        let limits = config.limits;
        let refused = |e: async_imap::error::Error, command: &'static str| match e {
            async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason) => {
                NetError::AuthFailed {
                    user: user.to_owned(),
                    reason: clean_reason(&reason),
                }
            }
            other => error_map::imap_error(command, limits, other),
        };
        let session = timed(limits, "logging in", async {
            match login {
                // async-imap's login() quotes both strings itself.
                Login::Password(password) => client
                    .login(user, password.expose_secret())
                    .await
                    .map_err(|(e, _client)| refused(e, "LOGIN")),
                Login::Bearer(token) => {
                    let bearer = greeting_caps.iter().any(|c| c == "AUTH=OAUTHBEARER");
                    let (mechanism, response) = match bearer {
                        true => (
                            "OAUTHBEARER",
                            crate::oauth::oauthbearer_response(
                                user,
                                &config.host,
                                config.port,
                                token,
                            ),
                        ),
                        false => ("XOAUTH2", crate::oauth::xoauth2_response(user, token)),
                    };
                    client
                        .authenticate(mechanism, SaslBearer(Some(response)))
                        .await
                        .map_err(|(e, _client)| refused(e, "AUTHENTICATE"))
                }
            }
        })
        .await?;
        tracing::debug!("logged in");
        Ok(Self {
            session,
            limits,
            capability_cache: None,
        })
    }
}

/// Sends the bearer response once; to the error challenge a server sends
/// after a refused token, an empty response, after which it answers NO.
struct SaslBearer(Option<SecretString>);

impl async_imap::Authenticator for SaslBearer {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        self.0
            .take()
            .map(|r| r.expose_secret().as_bytes().to_vec())
            .unwrap_or_default()
    }
}

/// async-imap renders a NO as `code: .., info: Some("...")`; keep the text.
fn clean_reason(raw: &str) -> String {
    match raw.split_once("info: Some(\"") {
        Some((_, rest)) => rest.trim_end_matches("\")").to_owned(),
        None => raw.to_owned(),
    }
}

/// Connects and returns a client that has read the greeting, over TLS unless
/// the insecure loopback mode was asked for.
async fn open(config: &ImapConfig) -> Result<(Client<ImapStream>, Vec<String>), NetError> {
    validate::validate_argument("host name", &config.host)?;
    let limits = config.limits;
    let addrs = resolve(config).await?;
    if config.security == Security::InsecureLoopback && !addrs.iter().all(|a| a.ip().is_loopback())
    {
        return Err(NetError::InsecureNotLoopback {
            host: config.host.clone(),
        });
    }
    // Build the TLS configuration before connecting, so a bad --ca-file is
    // reported without touching the network.
    let tls_config = match config.security {
        Security::InsecureLoopback => None,
        Security::Tls | Security::StartTls => Some(tls::client_config(
            config.ca_file.as_deref(),
            config.ca_pem.as_deref(),
        )?),
    };
    let tcp = connect_any(&addrs, limits).await?;
    let budget = limits.max_response_bytes;
    match (config.security, tls_config) {
        (Security::Tls, Some(tls_config)) => {
            let stream = handshake(config, tls_config, tcp).await?;
            let mut client = Client::new(ImapStream::tls(stream, budget));
            let caps = read_greeting(&mut client, limits).await?;
            Ok((client, caps))
        }
        (Security::StartTls, Some(tls_config)) => {
            let mut client = Client::new(ImapStream::plain(tcp, budget));
            let caps = read_greeting(&mut client, limits).await?;
            if !caps.is_empty() && !caps.iter().any(|c| c == "STARTTLS") {
                return Err(NetError::StartTlsNotOffered);
            }
            timed(limits, "asking for STARTTLS", async {
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| match e {
                        async_imap::error::Error::No(r) | async_imap::error::Error::Bad(r) => {
                            NetError::StartTlsFailed(clean_reason(&r))
                        }
                        other => error_map::imap_error("STARTTLS", limits, other),
                    })
            })
            .await?;
            // Anything the server sent after its OK and before the handshake is
            // dropped with the old client: it could be an injection.
            let tcp = client.into_inner().into_plain().ok_or_else(|| {
                NetError::StartTlsFailed("transport was already encrypted".into())
            })?;
            let stream = handshake(config, tls_config, tcp).await?;
            // After STARTTLS there is no second greeting (RFC 3501 §6.2.1),
            // and what was announced before it is not trusted.
            Ok((Client::new(ImapStream::tls(stream, budget)), Vec::new()))
        }
        (Security::InsecureLoopback, _) => {
            tracing::warn!(host = %config.host, "connecting without TLS (loopback only)");
            let mut client = Client::new(ImapStream::plain(tcp, budget));
            let caps = read_greeting(&mut client, limits).await?;
            Ok((client, caps))
        }
        (Security::Tls | Security::StartTls, None) => {
            Err(NetError::Tls("no TLS configuration".into()))
        }
    }
}

async fn resolve(config: &ImapConfig) -> Result<Vec<SocketAddr>, NetError> {
    let host = config.host.clone();
    let port = config.port;
    timed(config.limits, "resolving the host name", async move {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|error| NetError::Resolve {
                host: host.clone(),
                error,
            })?
            .collect();
        if addrs.is_empty() {
            return Err(NetError::Resolve {
                host,
                error: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
            });
        }
        Ok(addrs)
    })
    .await
}

async fn connect_any(addrs: &[SocketAddr], limits: Limits) -> Result<TcpStream, NetError> {
    let mut last = None;
    for addr in addrs {
        let attempt = timed(limits, "connecting", async {
            TcpStream::connect(addr)
                .await
                .map_err(|error| NetError::Connect {
                    addr: addr.to_string(),
                    error,
                })
        })
        .await;
        match attempt {
            Ok(tcp) => {
                // Small commands should not wait for Nagle.
                if let Err(error) = tcp.set_nodelay(true) {
                    tracing::debug!(%error, "cannot set TCP_NODELAY");
                }
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| NetError::Connect {
        addr: String::new(),
        error: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
    }))
}

async fn handshake(
    config: &ImapConfig,
    tls_config: std::sync::Arc<rustls::ClientConfig>,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, NetError> {
    let name =
        ServerName::try_from(config.host.clone()).map_err(|_| NetError::InvalidArgument {
            what: "host name",
            reason: "is not a valid DNS name or IP address",
        })?;
    let connector = tokio_rustls::TlsConnector::from(tls_config);
    timed(config.limits, "negotiating TLS", async {
        connector
            .connect(name, tcp)
            .await
            .map_err(tls::handshake_error)
    })
    .await
}

/// Reads the server greeting and returns the capabilities it announces, if any.
async fn read_greeting(
    client: &mut Client<ImapStream>,
    limits: Limits,
) -> Result<Vec<String>, NetError> {
    let response = timed(limits, "waiting for the server greeting", async {
        client
            .read_response()
            .await
            .map_err(|e| error_map::io_error(limits, e))?
            .ok_or_else(|| NetError::Protocol("connection closed before the greeting".into()))
    })
    .await?;
    match response.parsed() {
        Response::Data { status, outcome } => match status {
            Status::Ok | Status::PreAuth => {
                let caps = match &outcome.code {
                    Some(ResponseCode::Capabilities(caps)) => {
                        caps.iter().map(capability_name).collect()
                    }
                    _ => Vec::new(),
                };
                Ok(caps)
            }
            Status::Bye => Err(NetError::Refused {
                command: "the connection",
                reason: outcome.information.as_deref().unwrap_or("BYE").to_owned(),
            }),
            other => Err(NetError::Protocol(format!(
                "unexpected greeting status {other:?}"
            ))),
        },
        other => Err(NetError::Protocol(format!("unexpected greeting {other:?}"))),
    }
}

fn capability_name(c: &Capability<'_>) -> String {
    match c {
        Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
        Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
        Capability::Atom(a) => a.to_ascii_uppercase(),
    }
}
