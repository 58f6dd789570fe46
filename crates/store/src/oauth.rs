//! The OAuth2 grants of accounts that sign in with OAuth: endpoints, client, refresh token, and the current access token.

use rusqlite::{OptionalExtension as _, Row, params};
use secrecy::{ExposeSecret as _, SecretString};

use crate::{Store, StoreError};

/// One account's grant as stored.
#[derive(Debug, Clone)]
pub struct OAuthGrant {
    /// The account it belongs to.
    pub account: String,
    /// `microsoft`, `google` or `custom`.
    pub provider: String,
    /// The client ID Coffer signed in with.
    pub client_id: String,
    /// The client secret, for providers that issue one to desktop apps ('' none).
    pub client_secret: String,
    /// The authorization endpoint.
    pub auth_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The scopes, space-separated.
    pub scopes: String,
    /// The refresh token (never logged, never written outside this database).
    pub refresh_token: SecretString,
    /// The current access token ('' none).
    pub access_token: SecretString,
    /// When the access token expires (Unix seconds; 0 unknown).
    pub expires_at: i64,
    /// How long access tokens last, as last issued (seconds; 0 unknown).
    pub lifetime: i64,
}

const COLUMNS: &str = "account, provider, client_id, client_secret, auth_url, token_url, \
                       scopes, refresh_token, access_token, expires_at, lifetime";

fn read_row(row: &Row<'_>) -> rusqlite::Result<OAuthGrant> {
    Ok(OAuthGrant {
        account: row.get(0)?,
        provider: row.get(1)?,
        client_id: row.get(2)?,
        client_secret: row.get(3)?,
        auth_url: row.get(4)?,
        token_url: row.get(5)?,
        scopes: row.get(6)?,
        refresh_token: SecretString::from(row.get::<_, String>(7)?),
        access_token: SecretString::from(row.get::<_, String>(8)?),
        expires_at: row.get(9)?,
        lifetime: row.get(10)?,
    })
}

impl Store {
    /// The grant of `account`, if it signs in with OAuth.
    pub fn oauth_grant(&self, account: &str) -> Result<Option<OAuthGrant>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM oauth_grants WHERE account = ?1"),
                [account],
                read_row,
            )
            .optional()?)
    }

    /// Stores `grant`, replacing the account's previous one.
    pub fn set_oauth_grant(&self, grant: &OAuthGrant) -> Result<(), StoreError> {
        self.conn().execute(
            &format!(
                "INSERT OR REPLACE INTO oauth_grants ({COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ),
            params![
                grant.account,
                grant.provider,
                grant.client_id,
                grant.client_secret,
                grant.auth_url,
                grant.token_url,
                grant.scopes,
                grant.refresh_token.expose_secret(),
                grant.access_token.expose_secret(),
                grant.expires_at,
                grant.lifetime,
            ],
        )?;
        Ok(())
    }

    /// Forgets the grant of `account` (the account was removed).
    pub fn remove_oauth_grant(&self, account: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM oauth_grants WHERE account = ?1", [account])?
            > 0)
    }
}

#[cfg(test)]
mod tests {
    use coffer_core::MasterSecret;

    use super::*;

    #[test]
    fn a_grant_is_stored_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let keys = MasterSecret::from_bytes(&mut [5; 32]).derive().unwrap();
        let store = Store::create(&dir.path().join("vault.db"), keys.database_key()).unwrap();
        assert!(store.oauth_grant("work").unwrap().is_none());
        let mut grant = OAuthGrant {
            account: "work".into(),
            provider: "microsoft".into(),
            client_id: "id".into(),
            client_secret: String::new(),
            auth_url: "https://a.example/authorize".into(),
            token_url: "https://a.example/token".into(),
            scopes: "a b".into(),
            refresh_token: SecretString::from("r1"),
            access_token: SecretString::from("a1"),
            expires_at: 100,
            lifetime: 3600,
        };
        store.set_oauth_grant(&grant).unwrap();
        grant.refresh_token = SecretString::from("r2");
        store.set_oauth_grant(&grant).unwrap();
        let back = store.oauth_grant("work").unwrap().unwrap();
        assert_eq!(back.refresh_token.expose_secret(), "r2");
        assert_eq!((back.expires_at, back.lifetime), (100, 3600));
        assert!(store.remove_oauth_grant("work").unwrap());
        assert!(store.oauth_grant("work").unwrap().is_none());
    }
}
