//! OAuth2 sign-in for accounts: provider presets, where the client ID comes from, signing in, and access tokens refreshed before they expire.
//!
//! Coffer ships no client ID of its own. One comes from, in order: what
//! the caller passes (`--oauth-client-id`, the app's field), the vault's
//! settings (`oauth.microsoft.client_id`, which a provisioning profile
//! sets), or the build (`COFFER_OAUTH_MICROSOFT_CLIENT_ID` and
//! `COFFER_OAUTH_GOOGLE_CLIENT_ID` at compile time). Without one, signing
//! in stops with [`crate::Code::OAuthClientMissing`], saying what is
//! missing; `docs/PROVIDERS.md` explains how to register one.
//!
//! The grant (refresh token, current access token, endpoints) lives in the
//! encrypted database. Before each login the access token is refreshed if
//! it expires soon; a token the server refuses anyway is refreshed once and
//! tried once more. A grant the provider no longer accepts is
//! [`crate::Code::SignInAgain`]: retrying cannot help, and `watch` stops.

use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use coffer_net::oauth::{OAuthClient, OAuthError, Tokens};
use coffer_store::{OAuthGrant, Store};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

use crate::Code;

/// Who issues the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Microsoft 365 and Outlook.com (Entra ID, v2.0 endpoints).
    Microsoft,
    /// Google (Gmail, Workspace).
    Google,
    /// Any other authorization server, its endpoints given.
    Custom,
}

impl Provider {
    /// `microsoft`, `google` or `custom`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Microsoft => "microsoft",
            Provider::Google => "google",
            Provider::Custom => "custom",
        }
    }

    /// The provider called `s`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "microsoft" => Some(Provider::Microsoft),
            "google" => Some(Provider::Google),
            "custom" => Some(Provider::Custom),
            _ => None,
        }
    }

    /// The name people know it by.
    pub fn display(self) -> &'static str {
        match self {
            Provider::Microsoft => "Microsoft",
            Provider::Google => "Google",
            Provider::Custom => "the authorization server",
        }
    }

    /// The client ID compiled in, if the build had one.
    fn built_in_client_id(self) -> Option<&'static str> {
        let id = match self {
            Provider::Microsoft => option_env!("COFFER_OAUTH_MICROSOFT_CLIENT_ID"),
            Provider::Google => option_env!("COFFER_OAUTH_GOOGLE_CLIENT_ID"),
            Provider::Custom => None,
        };
        id.filter(|s| !s.is_empty())
    }

    /// The client secret compiled in (Google issues one to desktop apps).
    fn built_in_client_secret(self) -> Option<&'static str> {
        let secret = match self {
            Provider::Google => option_env!("COFFER_OAUTH_GOOGLE_CLIENT_SECRET"),
            _ => None,
        };
        secret.filter(|s| !s.is_empty())
    }
}

/// What a sign-in asks for: the provider, and anything that overrides its
/// preset (a firm's own client ID, a tenant, a custom server's endpoints).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthRequest {
    /// The provider (`None` is not allowed; `Default` is for building).
    pub provider: Option<Provider>,
    /// The client ID, over the settings and the build.
    pub client_id: Option<String>,
    /// The client secret, where the provider issues one.
    pub client_secret: Option<String>,
    /// Microsoft: the tenant (`common`, `organizations`, `consumers` or a
    /// tenant ID); `common` by default.
    pub tenant: Option<String>,
    /// Custom: the authorization endpoint.
    pub auth_url: Option<String>,
    /// Custom: the token endpoint.
    pub token_url: Option<String>,
    /// Custom: the scopes (the presets have their own).
    pub scopes: Vec<String>,
}

/// The vault setting holding a provider's client ID.
pub fn client_id_setting(provider: Provider) -> String {
    format!("oauth.{}.client_id", provider.as_str())
}

impl OAuthRequest {
    /// The OAuth client this request means. `setting` reads a vault
    /// setting (`oauth.microsoft.client_id`, …) where there is a vault.
    pub fn client(&self, setting: impl Fn(&str) -> Option<String>) -> anyhow::Result<OAuthClient> {
        let provider = self.provider.context("no OAuth provider named")?;
        let p = provider.as_str();
        let client_id = self
            .client_id
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| setting(&client_id_setting(provider)))
            .or_else(|| provider.built_in_client_id().map(str::to_owned))
            .ok_or_else(|| {
                crate::refusal(
                    Code::OAuthClientMissing,
                    format!(
                        "no OAuth client ID for {}: this build of Coffer has none, and none is \
                         set. Coffer cannot register one itself; register an app with {} (see \
                         docs/PROVIDERS.md, \"Registering an OAuth client ID\"), then pass it \
                         with --oauth-client-id, or have your firm's provisioning profile set \
                         `{}`",
                        provider.display(),
                        provider.display(),
                        client_id_setting(provider)
                    ),
                )
            })?;
        let client_secret = self
            .client_secret
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| setting(&format!("oauth.{p}.client_secret")))
            .or_else(|| provider.built_in_client_secret().map(str::to_owned));
        let custom = |what: Option<&String>, flag: &str| {
            what.cloned().filter(|s| !s.is_empty()).ok_or_else(|| {
                crate::refusal(Code::BadRequest, format!("--oauth custom needs {flag}"))
            })
        };
        Ok(match provider {
            Provider::Microsoft => {
                let tenant = self
                    .tenant
                    .clone()
                    .or_else(|| setting("oauth.microsoft.tenant"))
                    .unwrap_or_else(|| "common".to_owned());
                OAuthClient {
                    client_id,
                    client_secret,
                    auth_url: format!(
                        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"
                    ),
                    token_url: format!(
                        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
                    ),
                    scopes: vec![
                        "https://outlook.office.com/IMAP.AccessAsUser.All".to_owned(),
                        "https://outlook.office.com/SMTP.Send".to_owned(),
                        "offline_access".to_owned(),
                    ],
                    extra_params: Vec::new(),
                }
            }
            Provider::Google => OAuthClient {
                client_id,
                client_secret,
                auth_url: "https://accounts.google.com/o/oauth2/v2/auth".to_owned(),
                token_url: "https://oauth2.googleapis.com/token".to_owned(),
                scopes: vec!["https://mail.google.com/".to_owned()],
                extra_params: vec![
                    ("access_type".to_owned(), "offline".to_owned()),
                    ("prompt".to_owned(), "consent".to_owned()),
                ],
            },
            Provider::Custom => OAuthClient {
                client_id,
                client_secret,
                auth_url: custom(self.auth_url.as_ref(), "--oauth-auth-url")?,
                token_url: custom(self.token_url.as_ref(), "--oauth-token-url")?,
                scopes: self.scopes.clone(),
                extra_params: Vec::new(),
            },
        })
    }
}

/// A completed sign-in, not yet stored.
pub struct SignedIn {
    /// Which provider.
    pub provider: Provider,
    /// The client it was made with.
    pub client: OAuthClient,
    /// What the token endpoint issued.
    pub tokens: Tokens,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("provider", &self.provider)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// Signs in through the system browser: `open` gets the authorization URL
/// (show it, and open it). No vault is needed (the auditor's check).
pub async fn sign_in(
    request: &OAuthRequest,
    setting: impl Fn(&str) -> Option<String>,
    open: impl FnOnce(&str),
) -> anyhow::Result<SignedIn> {
    let client = request.client(setting)?;
    let provider = request.provider.unwrap_or(Provider::Custom);
    let tokens = client
        .sign_in(coffer_net::oauth::SIGN_IN_TIMEOUT, open)
        .await
        .map_err(oauth_error)
        .with_context(|| format!("signing in with {}", provider.display()))?;
    anyhow::ensure!(
        tokens.refresh_token.is_some(),
        "{} issued no refresh token (is `offline_access` allowed for this client?): Coffer \
         would have to ask you to sign in every hour",
        provider.display()
    );
    Ok(SignedIn {
        provider,
        client,
        tokens,
    })
}

/// An [`OAuthError`] with the code a caller switches on.
fn oauth_error(e: OAuthError) -> anyhow::Error {
    let code = match &e {
        OAuthError::Revoked(_) => Code::SignInAgain,
        OAuthError::Refused(_) | OAuthError::Denied(_) => Code::LoginRefused,
        OAuthError::TimedOut(_) => Code::Cancelled,
        OAuthError::Network(_) => Code::Network,
        OAuthError::Config(_) => Code::BadRequest,
        OAuthError::Listener(_) => Code::Io,
    };
    crate::with_code(anyhow::Error::new(e), code)
}

/// Seconds since the Unix epoch.
fn now() -> i64 {
    crate::rfc3339::now_unix()
}

/// The grant to store for `account` after `signed`.
pub(crate) fn grant_of(account: &str, signed: &SignedIn) -> anyhow::Result<OAuthGrant> {
    let lifetime = signed
        .tokens
        .expires_in
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Ok(OAuthGrant {
        account: account.to_owned(),
        provider: signed.provider.as_str().to_owned(),
        client_id: signed.client.client_id.clone(),
        client_secret: signed.client.client_secret.clone().unwrap_or_default(),
        auth_url: signed.client.auth_url.clone(),
        token_url: signed.client.token_url.clone(),
        scopes: signed.client.scopes.join(" "),
        refresh_token: signed
            .tokens
            .refresh_token
            .clone()
            .context("no refresh token")?,
        access_token: signed.tokens.access_token.clone(),
        expires_at: match lifetime {
            0 => 0,
            l => now().saturating_add(l),
        },
        lifetime,
    })
}

/// An account's OAuth login: the grant, kept current, and saved to the
/// vault's database when refreshed.
pub(crate) struct OAuthLogin<'v> {
    grant: Mutex<OAuthGrant>,
    /// Where refreshed tokens are saved (`None`: an auditor's sign-in).
    store: Option<&'v Store>,
    /// One refresh at a time: a refresh token is redeemed once, and the
    /// sessions waiting take the token it brought.
    refreshing: tokio::sync::Mutex<()>,
    /// A refresh token the provider refused: never sent again (a session
    /// waiting behind the refusal gets the same answer, not a second try).
    refused: Mutex<Option<SecretString>>,
}

impl<'v> OAuthLogin<'v> {
    pub(crate) fn new(grant: OAuthGrant, store: Option<&'v Store>) -> Self {
        Self {
            grant: Mutex::new(grant),
            store,
            refreshing: tokio::sync::Mutex::new(()),
            refused: Mutex::new(None),
        }
    }

    fn grant(&self) -> OAuthGrant {
        match self.grant.lock() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_grant(&self, grant: OAuthGrant) {
        match self.grant.lock() {
            Ok(mut g) => *g = grant,
            Err(poisoned) => *poisoned.into_inner() = grant,
        }
    }

    /// The current access token if it can be used: not about to expire,
    /// and not the one the server just `refused`.
    fn usable(&self, refused: Option<&SecretString>) -> Option<SecretString> {
        let grant = self.grant();
        let token = grant.access_token.expose_secret();
        if token.is_empty() || refused.is_some_and(|r| r.expose_secret() == token) {
            return None;
        }
        // Refresh within a minute of expiry, or a quarter of a short lifetime.
        let margin = match grant.lifetime {
            0 => 60,
            l => (l / 4).clamp(1, 60),
        };
        (grant.expires_at == 0 || grant.expires_at.saturating_sub(margin) > now())
            .then_some(grant.access_token)
    }

    /// An access token to log in with: the current one unless it is about
    /// to expire (or is the one the server `refused`), else a fresh one
    /// from the token endpoint.
    pub(crate) async fn access_token(
        &self,
        refused: Option<&SecretString>,
    ) -> anyhow::Result<SecretString> {
        if let Some(token) = self.usable(refused) {
            return Ok(token);
        }
        let _turn = self.refreshing.lock().await;
        // Another session may have refreshed meanwhile: in this process, or
        // another one through the database (the app and a service, say).
        if let Some(store) = self.store {
            let account = self.grant().account;
            if let Ok(Some(stored)) = store.oauth_grant(&account) {
                self.set_grant(stored);
            }
        }
        if let Some(token) = self.usable(refused) {
            return Ok(token);
        }
        let grant = self.grant();
        let known_refused = match self.refused.lock() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        if known_refused.is_some_and(|r| r.expose_secret() == grant.refresh_token.expose_secret()) {
            return Err(sign_in_again(&grant.account, "refused a moment ago"));
        }
        let client = OAuthClient {
            client_id: grant.client_id.clone(),
            client_secret: (!grant.client_secret.is_empty()).then(|| grant.client_secret.clone()),
            auth_url: grant.auth_url.clone(),
            token_url: grant.token_url.clone(),
            scopes: grant.scopes.split(' ').map(str::to_owned).collect(),
            extra_params: Vec::new(),
        };
        tracing::info!(account = %grant.account, "refreshing the OAuth access token");
        let tokens = match client.refresh(&grant.refresh_token).await {
            Ok(t) => t,
            Err(OAuthError::Revoked(why)) => {
                match self.refused.lock() {
                    Ok(mut r) => *r = Some(grant.refresh_token.clone()),
                    Err(poisoned) => *poisoned.into_inner() = Some(grant.refresh_token.clone()),
                }
                return Err(sign_in_again(&grant.account, &why));
            }
            Err(e) => {
                return Err(oauth_error(e)).context("refreshing the OAuth access token");
            }
        };
        let mut updated = grant;
        updated.access_token = tokens.access_token.clone();
        if let Some(r) = tokens.refresh_token {
            // Microsoft issues a new refresh token with each refresh.
            updated.refresh_token = r;
        }
        updated.lifetime = tokens
            .expires_in
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        updated.expires_at = match updated.lifetime {
            0 => 0,
            l => now().saturating_add(l),
        };
        // Memory first: a database that cannot be written now must not
        // lose a rotated refresh token for this session.
        self.set_grant(updated.clone());
        if let Some(store) = self.store
            && let Err(error) = store.set_oauth_grant(&updated)
        {
            tracing::warn!(%error, "cannot save the refreshed OAuth tokens; kept in memory");
        }
        Ok(tokens.access_token)
    }
}

/// The error for a grant the provider no longer accepts.
fn sign_in_again(account: &str, why: &str) -> anyhow::Error {
    crate::refusal(
        Code::SignInAgain,
        format!(
            "the sign-in of account {account:?} is no longer accepted ({why}): it was revoked or \
             has expired. Sign in again: `coffer account signin {account}` (or Settings → \
             Accounts in the app)"
        ),
    )
}

/// How long a sign-in in the browser may take.
pub const SIGN_IN_TIMEOUT: Duration = coffer_net::oauth::SIGN_IN_TIMEOUT;

impl crate::Vault {
    /// A vault setting, for [`OAuthRequest::client`] (`None` when unset
    /// or unreadable).
    pub fn oauth_setting(&self, key: &str) -> Option<String> {
        self.store()
            .setting(key)
            .ok()
            .flatten()
            .filter(|s| !s.is_empty())
    }

    /// Adds an account that signs in with OAuth: the account (without a
    /// password) and its grant, both in the encrypted database.
    pub fn add_oauth_account(
        &self,
        mut account: crate::NewAccount,
        signed: &SignedIn,
    ) -> anyhow::Result<()> {
        account.password = SecretString::from(String::new());
        let name = account.name.clone();
        let grant = grant_of(&name, signed)?;
        self.add_account(account)?;
        self.store()
            .set_oauth_grant(&grant)
            .context("saving the account's OAuth sign-in")?;
        self.remember_client_id(signed)
    }

    /// A Microsoft or Google client ID given with a sign-in becomes the
    /// vault's setting, for later sign-ins, unless one is set already.
    fn remember_client_id(&self, signed: &SignedIn) -> anyhow::Result<()> {
        let key = client_id_setting(signed.provider);
        if signed.provider == Provider::Custom
            || self.oauth_setting(&key).is_some()
            || signed.provider.built_in_client_id() == Some(signed.client.client_id.as_str())
        {
            return Ok(());
        }
        self.store()
            .set_setting(&key, &signed.client.client_id)
            .context("remembering the OAuth client ID")
    }

    /// What signing in again to `account` asks for: the provider and client
    /// it signed in with before.
    pub fn oauth_request(&self, account: &str) -> anyhow::Result<OAuthRequest> {
        let conn = self.connection(Some(account))?;
        let grant = self
            .store()
            .oauth_grant(&conn.name)
            .context("reading the account's OAuth sign-in")?
            .ok_or_else(|| {
                crate::refusal(
                    Code::BadRequest,
                    format!(
                        "account {:?} signs in with a password, not OAuth",
                        conn.name
                    ),
                )
            })?;
        Ok(OAuthRequest {
            // A stored custom grant keeps its endpoints, whatever the preset.
            provider: Some(Provider::Custom),
            client_id: Some(grant.client_id),
            client_secret: (!grant.client_secret.is_empty()).then_some(grant.client_secret),
            tenant: None,
            auth_url: Some(grant.auth_url),
            token_url: Some(grant.token_url),
            scopes: grant
                .scopes
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    /// Replaces the grant of `account` after signing in again.
    pub fn replace_oauth_grant(&self, account: &str, signed: &SignedIn) -> anyhow::Result<()> {
        let conn = self.connection(Some(account))?;
        let before = self
            .store()
            .oauth_grant(&conn.name)
            .context("reading the account's OAuth sign-in")?;
        let mut grant = grant_of(&conn.name, signed)?;
        if let Some(b) = before {
            // The provider's name stays what the account was added with.
            grant.provider = b.provider;
        }
        self.store()
            .set_oauth_grant(&grant)
            .context("saving the account's OAuth sign-in")
    }

    /// How `account` signs in: `None` with a password, else the provider.
    pub fn oauth_provider(&self, account: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .store()
            .oauth_grant(account)
            .context("reading the account's OAuth sign-in")?
            .map(|g| g.provider))
    }
}
