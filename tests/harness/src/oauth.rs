//! OAuth2 without the internet: an authorization server on loopback whose access tokens Dovecot checks itself, and a "browser" a test drives.
//!
//! [`AuthServer`] is a small authorization server: `/authorize` takes the
//! authorization-code request with PKCE (S256 only) and redirects to the
//! client's loopback address with a code; `/token` exchanges codes and
//! refresh tokens for access tokens. The access tokens are JWTs signed with
//! HMAC-SHA256 under the key of a [`crate::MailServer`] built with
//! [`crate::Builder::oauth`], whose Dovecot validates them locally (its
//! `oauth2` passdb, `introspection_mode = local`): IMAP, and Postfix's SASL
//! through Dovecot, accept them and refuse expired or forged ones. Grants
//! can be revoked, and access tokens made short-lived, to test expiry.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// The client ID the test server knows.
pub const CLIENT_ID: &str = "coffer-test-client";

/// The issuer Dovecot is told to accept.
pub const ISSUER: &str = "https://idp.coffer-test.invalid";

/// The Dovecot configuration that checks tokens signed with `key` locally,
/// for a server directory `dir` (writes the key file and the oauth2 file).
pub(crate) fn dovecot_config(dir: &std::path::Path, key: &[u8]) -> Result<String> {
    let keys = dir.join("oauth2-keys").join("default").join("HS256");
    std::fs::create_dir_all(&keys)?;
    std::fs::write(keys.join("default"), STANDARD.encode(key))?;
    crate::process::chmod(&dir.join("oauth2-keys"), 0o755)?;
    crate::process::chmod(&dir.join("oauth2-keys").join("default"), 0o755)?;
    crate::process::chmod(&keys, 0o755)?;
    crate::process::chmod(&keys.join("default"), 0o644)?;
    let conf = dir.join("oauth2.conf.ext");
    std::fs::write(
        &conf,
        format!(
            "introspection_mode = local\n\
             local_validation_key_dict = fs:posix:prefix={}/\n\
             username_attribute = sub\n\
             username_format = %Lu\n\
             issuers = {ISSUER}\n\
             active_attribute =\n\
             active_value =\n",
            dir.join("oauth2-keys").display()
        ),
    )?;
    crate::process::chmod(&conf, 0o644)?;
    Ok(format!(
        "auth_mechanisms = plain login xoauth2 oauthbearer\nauth_verbose = yes\n\
         passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {}\n}}\n",
        conf.display()
    ))
}

/// A JWT for `sub`, signed with HMAC-SHA256 under `key`, expiring at `exp`.
pub fn mint_token(key: &[u8], sub: &str, exp: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({ "iss": ISSUER, "sub": sub, "iat": now(), "exp": exp });
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{body}");
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn random_token() -> String {
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// A code waiting to be exchanged.
struct PendingCode {
    redirect_uri: String,
    challenge: String,
}

/// What the server knows and counts.
struct State {
    key: Vec<u8>,
    user: String,
    access_lifetime: u64,
    codes: HashMap<String, PendingCode>,
    /// Refresh tokens, and whether each was revoked.
    grants: HashMap<String, bool>,
    /// Access tokens issued by refreshing.
    refreshes: u32,
    /// Refreshes refused (revoked or unknown grant).
    refused: u32,
    /// Codes exchanged.
    sign_ins: u32,
}

/// The authorization server on loopback (stops when dropped).
pub struct AuthServer {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AuthServer {
    /// Starts a server issuing tokens for `user`, signed with `key` (the
    /// mail server's, [`crate::MailServer::oauth_key`]).
    pub fn start(key: &[u8], user: &str) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the auth server")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State {
            key: key.to_vec(),
            user: user.to_owned(),
            access_lifetime: 3600,
            codes: HashMap::new(),
            grants: HashMap::new(),
            refreshes: 0,
            refused: 0,
            sign_ins: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Err(e) = serve(stream, &state) {
                                eprintln!("auth server: {e:#}");
                            }
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
        };
        Ok(Self {
            port,
            state,
            stop,
            thread: Some(thread),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The authorization endpoint.
    pub fn auth_url(&self) -> String {
        format!("http://127.0.0.1:{}/authorize", self.port)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// Access tokens issued from now on last `lifetime`.
    pub fn set_access_lifetime(&self, lifetime: Duration) {
        self.state().access_lifetime = lifetime.as_secs().max(1);
    }

    /// Revokes every grant: refreshing fails with `invalid_grant`.
    pub fn revoke_all(&self) {
        for revoked in self.state().grants.values_mut() {
            *revoked = true;
        }
    }

    /// Access tokens issued by refreshing so far.
    pub fn refreshes(&self) -> u32 {
        self.state().refreshes
    }

    /// Refreshes refused so far (revoked or unknown grants).
    pub fn refused_refreshes(&self) -> u32 {
        self.state().refused
    }

    /// Every refresh token issued (to check none is stored in the clear).
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.state().grants.keys().cloned().collect()
    }

    /// Authorization codes exchanged so far.
    pub fn sign_ins(&self) -> u32 {
        self.state().sign_ins
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One parsed HTTP request.
struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    form: HashMap<String, String>,
}

fn read_request(stream: &mut TcpStream) -> Result<Request> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((name, value)) = h.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Ok(Request {
        method,
        path: path.to_owned(),
        query: parse_form(query),
        form: parse_form(&String::from_utf8_lossy(&body)),
    })
}

/// `a=1&b=x%20y` as a map (`+` is a space).
fn parse_form(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<()> {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes())?;
    Ok(())
}

fn json_error(stream: &mut TcpStream, error: &str, description: &str) -> Result<()> {
    let body = serde_json::json!({ "error": error, "error_description": description }).to_string();
    respond(
        stream,
        "400 Bad Request",
        &[("Content-Type", "application/json")],
        &body,
    )
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) -> Result<()> {
    let req = read_request(&mut stream)?;
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/authorize") => {
            let q = |k: &str| req.query.get(k).cloned().unwrap_or_default();
            let redirect = q("redirect_uri");
            if q("client_id") != CLIENT_ID
                || q("response_type") != "code"
                || q("code_challenge_method") != "S256"
                || q("code_challenge").is_empty()
                || !redirect.starts_with("http://127.0.0.1:")
            {
                return respond(
                    &mut stream,
                    "400 Bad Request",
                    &[],
                    "bad authorization request",
                );
            }
            let code = random_token();
            s.codes.insert(
                code.clone(),
                PendingCode {
                    redirect_uri: redirect.clone(),
                    challenge: q("code_challenge"),
                },
            );
            let location = format!(
                "{redirect}?code={}&state={}",
                percent_encode(&code),
                percent_encode(&q("state"))
            );
            respond(&mut stream, "302 Found", &[("Location", &location)], "")
        }
        ("POST", "/token") => {
            let f = |k: &str| req.form.get(k).cloned().unwrap_or_default();
            let lifetime = s.access_lifetime;
            match f("grant_type").as_str() {
                "authorization_code" => {
                    let Some(pending) = s.codes.remove(&f("code")) else {
                        return json_error(&mut stream, "invalid_grant", "unknown code");
                    };
                    let verifier_hash = URL_SAFE_NO_PAD.encode(Sha256::digest(f("code_verifier")));
                    if pending.redirect_uri != f("redirect_uri")
                        || verifier_hash != pending.challenge
                        || f("client_id") != CLIENT_ID
                    {
                        return json_error(
                            &mut stream,
                            "invalid_grant",
                            "PKCE or redirect mismatch",
                        );
                    }
                    let refresh = random_token();
                    s.grants.insert(refresh.clone(), false);
                    s.sign_ins += 1;
                    let access = mint_token(&s.key, &s.user, now() + lifetime as i64);
                    let body = serde_json::json!({
                        "access_token": access, "token_type": "Bearer",
                        "expires_in": lifetime, "refresh_token": refresh,
                    });
                    respond(
                        &mut stream,
                        "200 OK",
                        &[("Content-Type", "application/json")],
                        &body.to_string(),
                    )
                }
                "refresh_token" => {
                    if s.grants.get(&f("refresh_token")) != Some(&false) {
                        s.refused += 1;
                        return json_error(&mut stream, "invalid_grant", "the grant was revoked");
                    }
                    s.refreshes += 1;
                    let access = mint_token(&s.key, &s.user, now() + lifetime as i64);
                    let body = serde_json::json!({
                        "access_token": access, "token_type": "Bearer", "expires_in": lifetime,
                    });
                    respond(
                        &mut stream,
                        "200 OK",
                        &[("Content-Type", "application/json")],
                        &body.to_string(),
                    )
                }
                _ => json_error(&mut stream, "unsupported_grant_type", "no such grant type"),
            }
        }
        _ => respond(&mut stream, "404 Not Found", &[], "not found"),
    }
}

/// What a "browser" got: the status and body of the last page.
#[derive(Debug)]
pub struct Page {
    /// The HTTP status code.
    pub status: u16,
    /// The body.
    pub body: String,
}

/// The test's browser: opens `url` (an `http://127.0.0.1` address) and
/// follows redirects to loopback addresses, as a user's browser would after
/// signing in.
pub fn browse(url: &str) -> Result<Page> {
    let mut url = url.to_owned();
    for _ in 0..5 {
        let rest = url
            .strip_prefix("http://")
            .with_context(|| format!("not an http URL: {url}"))?;
        let (host, path) = rest
            .split_once('/')
            .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
        if !host.starts_with("127.0.0.1:") {
            bail!("the browser would leave loopback: {url}");
        }
        let mut stream = TcpStream::connect(host)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .context("no HTTP status")?;
        let location = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("location")
                .then(|| v.trim().to_owned())
        });
        match (status, location) {
            (301 | 302 | 303 | 307, Some(next)) => url = next,
            _ => {
                return Ok(Page {
                    status,
                    body: body.to_owned(),
                });
            }
        }
    }
    bail!("too many redirects")
}
