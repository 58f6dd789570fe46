//! OAuth2 sign-in for IMAP and SMTP: the authorization-code flow with PKCE in the system browser, a loopback redirect, and token refresh.
//!
//! The `oauth2` crate builds the requests; its HTTP client never follows a
//! redirect (an authorization server that answers a token request with one
//! could otherwise send it, and the code, anywhere). The redirect comes back
//! to a listener on `127.0.0.1` whose port the system chose; the redirect
//! URL is built from that port. Only the one request carrying the `state`
//! this sign-in made is taken.

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// An OAuth client: who Coffer is to the authorization server, and where
/// that server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The client ID registered with the provider.
    pub client_id: String,
    /// A client secret, for providers that issue one even to desktop apps
    /// (Google); not secret in a desktop app.
    pub client_secret: Option<String>,
    /// The authorization endpoint (opened in the browser).
    pub auth_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// Extra parameters of the authorization request (Google's
    /// `access_type=offline`, for a refresh token).
    pub extra_params: Vec<(String, String)>,
}

/// What a sign-in or a refresh returned.
pub struct Tokens {
    /// The access token: the bearer credential for IMAP and SMTP.
    pub access_token: SecretString,
    /// A refresh token, when the server issued one (a refresh may keep the old).
    pub refresh_token: Option<SecretString>,
    /// How long the access token lasts, when the server said.
    pub expires_in: Option<Duration>,
}

impl Tokens {
    fn from_response(r: &oauth2::basic::BasicTokenResponse) -> Self {
        Self {
            access_token: SecretString::from(r.access_token().secret().clone()),
            refresh_token: r
                .refresh_token()
                .map(|t| SecretString::from(t.secret().clone())),
            expires_in: r.expires_in(),
        }
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("refresh_token", &self.refresh_token.is_some())
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why a sign-in or a refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The grant was revoked or has expired (`invalid_grant`): only a new
    /// sign-in helps; retrying does not.
    #[error("the authorization server no longer accepts this sign-in ({0})")]
    Revoked(String),
    /// The authorization server refused the request for another reason.
    #[error("the authorization server refused: {0}")]
    Refused(String),
    /// The browser step was not finished in time.
    #[error("the sign-in was not finished in the browser within {0} s")]
    TimedOut(u64),
    /// The browser came back with an error (the user said no, or the
    /// provider refused the client).
    #[error("the sign-in was refused in the browser: {0}")]
    Denied(String),
    /// The token endpoint could not be reached or answered nonsense.
    #[error("could not reach the authorization server: {0}")]
    Network(String),
    /// A URL or setting is unusable.
    #[error("unusable OAuth setting: {0}")]
    Config(String),
    /// The loopback listener for the redirect failed.
    #[error("could not listen on 127.0.0.1 for the browser's redirect: {0}")]
    Listener(#[from] std::io::Error),
}

/// How long the browser step may take.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// How long one request to the token endpoint may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The most bytes of a redirect request read from the browser.
const MAX_REQUEST: usize = 16 * 1024;

/// The HTTP client for the token endpoint: no redirects, a timeout.
fn http_client() -> Result<oauth2::reqwest::Client, OAuthError> {
    oauth2::reqwest::ClientBuilder::new()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|e| OAuthError::Config(format!("building the HTTP client: {e}")))
}

impl OAuthClient {
    fn basic(
        &self,
        redirect: Option<String>,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        OAuthError,
    > {
        let bad = |what: &str, e: oauth2::url::ParseError| {
            OAuthError::Config(format!("the {what} is not a URL ({e})"))
        };
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(
                AuthUrl::new(self.auth_url.clone()).map_err(|e| bad("authorization URL", e))?,
            )
            .set_token_uri(TokenUrl::new(self.token_url.clone()).map_err(|e| bad("token URL", e))?);
        if let Some(secret) = &self.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        if let Some(r) = redirect {
            client = client.set_redirect_uri(RedirectUrl::new(r).map_err(|e| bad("redirect", e))?);
        }
        Ok(client)
    }

    /// Signs in: listens on `127.0.0.1:0`, hands `open` the authorization
    /// URL (with PKCE and a fresh `state`) for the system browser, waits up
    /// to `timeout` for the redirect, then exchanges the code.
    pub async fn sign_in(
        &self,
        timeout: Duration,
        open: impl FnOnce(&str),
    ) -> Result<Tokens, OAuthError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let redirect = format!("http://127.0.0.1:{port}/");
        let client = self.basic(Some(redirect))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        for (k, v) in &self.extra_params {
            request = request.add_extra_param(k.clone(), v.clone());
        }
        let (url, state) = request.url();
        open(url.as_str());
        let code = tokio::time::timeout(timeout, wait_for_code(&listener, state.secret()))
            .await
            .map_err(|_| OAuthError::TimedOut(timeout.as_secs()))??;
        let http = http_client()?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.expose_secret().to_owned()))
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(Tokens::from_response(&tokens))
    }

    /// A fresh access token for `refresh_token`.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<Tokens, OAuthError> {
        let client = self.basic(None)?;
        let http = http_client()?;
        let tokens = client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.expose_secret().to_owned()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(Tokens::from_response(&tokens))
    }
}

fn token_error<E: std::error::Error + 'static>(
    e: RequestTokenError<E, oauth2::basic::BasicErrorResponse>,
) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let text = match r.error_description() {
                Some(d) => format!("{}: {d}", r.error()),
                None => r.error().to_string(),
            };
            match r.error() {
                BasicErrorResponseType::InvalidGrant => OAuthError::Revoked(text),
                _ => OAuthError::Refused(text),
            }
        }
        RequestTokenError::Request(e) => OAuthError::Network(e.to_string()),
        RequestTokenError::Parse(e, _) => {
            OAuthError::Network(format!("the token endpoint's answer is not valid ({e})"))
        }
        RequestTokenError::Other(e) => OAuthError::Network(e),
    }
}

/// Serves the loopback redirect until a request carries our `state`, and
/// returns its code. Other requests (a favicon, a stale tab) get a 404.
async fn wait_for_code(listener: &TcpListener, state: &str) -> Result<SecretString, OAuthError> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let Ok(Some(target)) = read_request_target(&mut stream).await else {
            continue;
        };
        let params: Vec<(String, String)> =
            match oauth2::url::Url::parse("http://127.0.0.1").and_then(|base| base.join(&target)) {
                Ok(url) => url.query_pairs().into_owned().collect(),
                Err(_) => Vec::new(),
            };
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if get("state").as_deref() != Some(state) {
            respond(&mut stream, 404, "Not a Coffer sign-in.").await;
            continue;
        }
        if let Some(error) = get("error") {
            let detail = get("error_description").unwrap_or_default();
            respond(
                &mut stream,
                200,
                "The sign-in was refused. You can close this tab and return to Coffer.",
            )
            .await;
            return Err(OAuthError::Denied(
                format!("{error} {detail}").trim().to_owned(),
            ));
        }
        match get("code") {
            Some(code) => {
                respond(
                    &mut stream,
                    200,
                    "Signed in. You can close this tab and return to Coffer.",
                )
                .await;
                return Ok(SecretString::from(code));
            }
            None => respond(&mut stream, 400, "No authorization code.").await,
        }
    }
}

/// The target of a `GET` request line (`/?code=…`), or `None`.
async fn read_request_target(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    Ok(match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target.to_owned()),
        _ => None,
    })
}

/// A small plain-text page for the browser tab.
async fn respond(stream: &mut TcpStream, status: u16, text: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let page = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{text}",
        text.len()
    );
    if let Err(error) = stream.write_all(page.as_bytes()).await {
        tracing::debug!(%error, "answering the browser failed");
    }
    let _ = stream.shutdown().await;
}

/// The SASL XOAUTH2 initial response (before base64): Google's and
/// Microsoft's format.
pub fn xoauth2_response(user: &str, token: &SecretString) -> SecretString {
    SecretString::from(format!(
        "user={user}\x01auth=Bearer {}\x01\x01",
        token.expose_secret()
    ))
}

/// The SASL OAUTHBEARER initial response (RFC 7628, before base64).
pub fn oauthbearer_response(
    user: &str,
    host: &str,
    port: u16,
    token: &SecretString,
) -> SecretString {
    let user = user.replace('=', "=3D").replace(',', "=2C");
    SecretString::from(format!(
        "n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {}\x01\x01",
        token.expose_secret()
    ))
}
