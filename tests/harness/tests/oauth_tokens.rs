//! OAuth2 bearer tokens against a real Dovecot that validates them locally
//! (its oauth2 passdb, JWTs under a key of the test's own) and a real
//! Postfix authenticating through it: a valid token logs in over IMAP
//! (OAUTHBEARER where the greeting offers it, else XOAUTH2) and SMTP
//! (XOAUTH2); an expired one and a forged one are refused with
//! `AuthFailed`; the password keeps working. And the authorization-code
//! flow of `coffer_net::oauth` against the harness's authorization server,
//! its browser step driven by the test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use coffer_harness::oauth::{AuthServer, CLIENT_ID, browse, mint_token};
use coffer_harness::{MailServer, PASSWORD, USER};
use coffer_net::oauth::OAuthClient;
use coffer_net::smtp::{SmtpConfig, SmtpSession};
use coffer_net::{ImapConfig, ImapSession, Login, NetError, Security};
use secrecy::{ExposeSecret as _, SecretString};

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn dovecot_and_postfix_take_valid_tokens_and_refuse_expired_and_forged_ones() {
    let server = MailServer::builder().oauth().smtp().start().unwrap();
    let key = server.oauth_key().unwrap().to_vec();
    let mut imap = ImapConfig::new(server.host(), server.imaps_port());
    imap.ca_file = Some(server.ca_file());
    let smtp = SmtpConfig {
        security: Security::Tls,
        ca_pem: Some(std::fs::read(server.ca_file()).unwrap()),
        timeout: Duration::from_secs(20),
        ..SmtpConfig::new(server.host(), server.submissions_port())
    };
    let valid = SecretString::from(mint_token(&key, USER, now() + 300));
    let expired = SecretString::from(mint_token(&key, USER, now() - 5));
    let forged = SecretString::from(mint_token(&[7u8; 32], USER, now() + 300));
    run(async {
        let s = ImapSession::connect_with(&imap, USER, Login::Bearer(&valid))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", server.dovecot_log()));
        s.logout().await.unwrap();
        for (what, token) in [("expired", &expired), ("forged", &forged)] {
            let err = ImapSession::connect_with(&imap, USER, Login::Bearer(token))
                .await
                .expect_err(what);
            assert!(
                matches!(err, NetError::AuthFailed { .. }),
                "{what}: {err:?}"
            );
            assert!(
                !err.to_string().contains(token.expose_secret()),
                "the token is never shown"
            );
        }
        let password = SecretString::from(PASSWORD.to_owned());
        let s = ImapSession::connect(&imap, USER, &password).await.unwrap();
        s.logout().await.unwrap();

        let s = SmtpSession::connect_with(&smtp, USER, Login::Bearer(&valid))
            .await
            .unwrap();
        s.quit().await;
        let err = SmtpSession::connect_with(&smtp, USER, Login::Bearer(&expired))
            .await
            .expect_err("expired over SMTP");
        assert!(matches!(err, NetError::AuthFailed { .. }), "{err:?}");
    });
    let log = server.dovecot_log();
    assert!(log.contains("Token has expired"), "{log}");
    assert!(log.contains("Incorrect JWT signature"), "{log}");
}

#[test]
fn the_authorization_code_flow_with_pkce_signs_in_and_refreshes() {
    let server = MailServer::builder().oauth().start().unwrap();
    let auth = AuthServer::start(server.oauth_key().unwrap(), USER).unwrap();
    let client = OAuthClient {
        client_id: CLIENT_ID.to_owned(),
        client_secret: None,
        auth_url: auth.auth_url(),
        token_url: auth.token_url(),
        scopes: vec!["mail".to_owned()],
        extra_params: Vec::new(),
    };
    let (url_tx, url_rx) = std::sync::mpsc::channel::<String>();
    let browser = std::thread::spawn(move || {
        let url = url_rx.recv().unwrap();
        // The redirect goes to a port the system chose, on 127.0.0.1.
        assert!(
            url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
            "{url}"
        );
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        browse(&url).unwrap()
    });
    let tokens = run(client.sign_in(Duration::from_secs(30), |url| {
        url_tx.send(url.to_owned()).unwrap();
    }))
    .unwrap();
    let page = browser.join().unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Signed in"), "{}", page.body);
    assert_eq!(auth.sign_ins(), 1);
    let refresh = tokens.refresh_token.expect("a refresh token");

    let mut imap = ImapConfig::new(server.host(), server.imaps_port());
    imap.ca_file = Some(server.ca_file());
    run(async {
        let s = ImapSession::connect_with(&imap, USER, Login::Bearer(&tokens.access_token))
            .await
            .unwrap();
        s.logout().await.unwrap();
    });
    let again = run(client.refresh(&refresh)).unwrap();
    assert_eq!(auth.refreshes(), 1);
    assert_ne!(
        again.access_token.expose_secret(),
        "",
        "a fresh access token"
    );
    auth.revoke_all();
    let err = run(client.refresh(&refresh)).expect_err("revoked");
    assert!(
        matches!(err, coffer_net::oauth::OAuthError::Revoked(_)),
        "{err:?}"
    );
}

#[test]
fn a_redirect_with_another_state_is_not_taken_and_the_sign_in_times_out() {
    let client = OAuthClient {
        client_id: CLIENT_ID.to_owned(),
        client_secret: None,
        auth_url: "http://127.0.0.1:9/authorize".to_owned(),
        token_url: "http://127.0.0.1:9/token".to_owned(),
        scopes: Vec::new(),
        extra_params: Vec::new(),
    };
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let forger = std::thread::spawn(move || {
        let url = rx.recv().unwrap();
        let redirect = url
            .split("redirect_uri=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .replace("%3A", ":")
            .replace("%2F", "/");
        // Another page (or a stale tab) sends a code without our state.
        browse(&format!("{redirect}?code=stolen&state=not-ours")).unwrap()
    });
    let err = run(client.sign_in(Duration::from_secs(3), |url| {
        tx.send(url.to_owned()).unwrap();
    }))
    .expect_err("a foreign state is never taken");
    assert!(
        matches!(err, coffer_net::oauth::OAuthError::TimedOut(3)),
        "{err:?}"
    );
    assert_eq!(forger.join().unwrap().status, 404);
}
