//! Test support: real mail servers on loopback for Coffer's tests.
//!
//! [`MailServer`] starts a real Dovecot (IMAPS with a throwaway CA, IMAP with
//! STARTTLS, LMTP) and, when asked, a real Postfix that delivers into that
//! Dovecot through LMTP — each on free loopback ports, in its own temporary
//! directory, so several run side by side. Dropping the server stops it, also
//! when a test panics. Helpers inspect and change the mailbox through
//! Dovecot's own tools (`doveadm`), independently of `coffer-net`, so tests
//! never check Coffer's IMAP code with itself.

pub mod architecture;
mod certs;
pub mod corpus;
pub mod demo;
mod dovecot;
pub mod oauth;
mod ports;
mod postfix;
mod process;
pub mod proxy;
mod raw_imap;
pub mod rewrite;
mod smtp;
mod vault;

pub use certs::TestCa;
pub use dovecot::StoredMessage;
pub use ports::free_port;
pub use vault::{PASSPHRASE, TestVault, TestVaultBuilder};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

/// The user every server is created with.
pub const USER: &str = "alice";
/// Alice's password.
pub const PASSWORD: &str = "alice-secret-pw";
/// The mail domain Postfix accepts for local delivery.
pub const DOMAIN: &str = "example.test";

/// How a [`MailServer`] is set up.
#[derive(Debug, Clone)]
pub struct Builder {
    smtp: bool,
    tls: bool,
    users: Vec<(String, String)>,
    dovecot_extra: String,
    postfix_extra: String,
    hidden_capabilities: Vec<String>,
    command_log: bool,
    oauth_key: Option<Vec<u8>>,
}

/// What Dovecot 2.3 advertises after login with the harness's settings: the
/// one list that [`Builder::without_capabilities`] takes names from.
pub const DOVECOT_CAPABILITIES: &[&str] = &[
    "IMAP4rev1",
    "SASL-IR",
    "LOGIN-REFERRALS",
    "ID",
    "ENABLE",
    "IDLE",
    "SORT",
    "SORT=DISPLAY",
    "THREAD=REFERENCES",
    "THREAD=REFS",
    "THREAD=ORDEREDSUBJECT",
    "MULTIAPPEND",
    "URL-PARTIAL",
    "CATENATE",
    "UNSELECT",
    "CHILDREN",
    "NAMESPACE",
    "UIDPLUS",
    "I18NLEVEL=1",
    "CONDSTORE",
    "QRESYNC",
    "ESEARCH",
    "ESORT",
    "SEARCHRES",
    "WITHIN",
    "CONTEXT=SEARCH",
    "LIST-STATUS",
    "BINARY",
    "MOVE",
    "SNIPPET=FUZZY",
    "PREVIEW=FUZZY",
    "STATUS=SIZE",
    "SAVEDATE",
    "LITERAL+",
    "NOTIFY",
    "SPECIAL-USE",
];

impl Default for Builder {
    fn default() -> Self {
        Self {
            smtp: false,
            tls: true,
            users: vec![(USER.to_owned(), PASSWORD.to_owned())],
            dovecot_extra: String::new(),
            postfix_extra: String::new(),
            hidden_capabilities: Vec::new(),
            command_log: false,
            oauth_key: None,
        }
    }
}

impl Builder {
    /// Also start Postfix (SMTP on loopback, delivering through LMTP). Adds
    /// about three seconds to start-up.
    pub fn smtp(mut self) -> Self {
        self.smtp = true;
        self
    }

    /// Turn TLS off in Dovecot: no IMAPS port and no STARTTLS offered.
    pub fn without_tls(mut self) -> Self {
        self.tls = false;
        self
    }

    /// Add a user.
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.to_owned(), password.to_owned()));
        self
    }

    /// Have Dovecot also accept OAuth2 access tokens (SASL XOAUTH2 and
    /// OAUTHBEARER, for IMAP and Postfix's submission), which it validates
    /// locally: JWTs signed with a fresh key ([`MailServer::oauth_key`]),
    /// as [`oauth::AuthServer`] issues them. Passwords keep working.
    pub fn oauth(mut self) -> Self {
        let mut key = vec![0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut key);
        self.oauth_key = Some(key);
        self
    }

    /// Have Dovecot log every IMAP session's traffic (its `rawlog`), for
    /// [`MailServer::imap_commands`]: proof of what a client sent.
    pub fn command_log(mut self) -> Self {
        self.command_log = true;
        self
    }

    /// Extra top-level Dovecot settings (e.g. `imap_capability = ...`).
    pub fn dovecot_config(mut self, extra: &str) -> Self {
        self.dovecot_extra.push_str(extra);
        self.dovecot_extra.push('\n');
        self
    }

    /// Appends lines to Postfix's `main.cf` (with `.smtp()`).
    pub fn postfix_extra(mut self, extra: &str) -> Self {
        self.postfix_extra.push_str(extra);
        self.postfix_extra.push('\n');
        self
    }

    /// Hide these capabilities (names from [`DOVECOT_CAPABILITIES`]): Dovecot
    /// advertises the others only. What it does is unchanged — Dovecot still
    /// answers a UID EXPUNGE with UIDPLUS hidden — so tests check what the
    /// client sends, not only what it is told.
    pub fn without_capabilities(mut self, names: &[&str]) -> Self {
        for name in names {
            assert!(
                DOVECOT_CAPABILITIES.contains(name),
                "{name} is not in DOVECOT_CAPABILITIES"
            );
            self.hidden_capabilities.push((*name).to_owned());
        }
        self
    }

    /// Start the servers.
    pub fn start(mut self) -> Result<MailServer> {
        if !self.hidden_capabilities.is_empty() {
            let shown: Vec<&str> = DOVECOT_CAPABILITIES
                .iter()
                .copied()
                .filter(|c| !self.hidden_capabilities.iter().any(|h| h == c))
                .collect();
            let line = format!("imap_capability = {}", shown.join(" "));
            self = self.dovecot_config(&line);
        }
        MailServer::start_with(self)
    }
}

/// A running Dovecot (and optionally Postfix) on loopback.
#[derive(Debug)]
pub struct MailServer {
    dovecot: dovecot::Dovecot,
    postfix: Option<postfix::Postfix>,
    ca: TestCa,
    oauth_key: Option<Vec<u8>>,
    // Dropped last: the servers stop before their files go.
    dir: tempfile::TempDir,
}

impl MailServer {
    /// Starts Dovecot with TLS and the default user.
    pub fn start() -> Result<Self> {
        Builder::default().start()
    }

    /// A builder for other set-ups.
    pub fn builder() -> Builder {
        Builder::default()
    }

    fn start_with(b: Builder) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("coffer-mailserver-")
            .tempdir()
            .context("creating the server directory")?;
        // Dovecot's unprivileged processes must traverse it.
        process::chmod(dir.path(), 0o755)?;
        let ca = TestCa::new().context("generating throwaway TLS certificates")?;
        ca.write_to(dir.path())?;
        let dovecot = dovecot::Dovecot::start(dir.path(), &b, &ca)?;
        let postfix = if b.smtp {
            let sasl = dovecot
                .sasl_port
                .context("dovecot was started without its SASL listener")?;
            Some(postfix::Postfix::start(
                dir.path(),
                dovecot.lmtp_port,
                sasl,
                &b.postfix_extra,
            )?)
        } else {
            None
        };
        Ok(Self {
            dovecot,
            postfix,
            ca,
            oauth_key: b.oauth_key.clone(),
            dir,
        })
    }

    /// The loopback address the servers listen on.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The IMAPS (implicit TLS) port. Panics on a server built without TLS.
    pub fn imaps_port(&self) -> u16 {
        self.dovecot
            .imaps_port
            .expect("this server was built without TLS")
    }

    /// The IMAP port (STARTTLS offered unless built without TLS).
    pub fn imap_port(&self) -> u16 {
        self.dovecot.imap_port
    }

    /// The LMTP port.
    pub fn lmtp_port(&self) -> u16 {
        self.dovecot.lmtp_port
    }

    /// The SMTP port. Panics if the server was built without `.smtp()`.
    pub fn smtp_port(&self) -> u16 {
        self.postfix.as_ref().expect("built without .smtp()").port
    }

    /// The SMTP submission port with implicit TLS (465-style) and AUTH, for
    /// the user's own login. Panics if the server was built without `.smtp()`.
    pub fn submissions_port(&self) -> u16 {
        self.postfix
            .as_ref()
            .expect("built without .smtp()")
            .submissions_port
    }

    /// The SMTP submission port with STARTTLS required (587-style), then AUTH.
    pub fn submission_port(&self) -> u16 {
        self.postfix
            .as_ref()
            .expect("built without .smtp()")
            .submission_port
    }

    /// The PEM file of the throwaway CA that signed the server certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("tls").join("ca.pem")
    }

    /// The throwaway CA.
    pub fn ca(&self) -> &TestCa {
        &self.ca
    }

    /// The server's working directory (config, logs, mail).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Puts `eml` into `folder` of `user` as new mail (through `doveadm save`).
    pub fn deliver(&self, user: &str, folder: &str, eml: &[u8]) -> Result<()> {
        self.dovecot.save(user, folder, eml)
    }

    /// Creates a folder (Unicode name, `/` as the hierarchy delimiter).
    pub fn create_folder(&self, user: &str, folder: &str) -> Result<()> {
        self.dovecot.create_folder(user, folder)
    }

    /// Makes a folder straight on disk, as a hostile or buggy server may hold
    /// one that its own CREATE would refuse (Dovecot refuses control
    /// characters in new names, but lists and serves an existing folder whose
    /// name has them). `wire_name` is the name as IMAP sends it (modified
    /// UTF-7: the on-disk form). `messages` go into it as new mail.
    pub fn plant_folder(&self, user: &str, wire_name: &str, messages: &[&[u8]]) -> Result<()> {
        self.dovecot.plant_folder(user, wire_name, messages)
    }

    /// Deletes a folder and its messages.
    pub fn delete_folder(&self, user: &str, folder: &str) -> Result<()> {
        self.dovecot.delete_folder(user, folder)
    }

    /// Every folder of `user`, as Unicode names.
    pub fn folders(&self, user: &str) -> Result<Vec<String>> {
        self.dovecot.folders(user)
    }

    /// Appends a message with flags and an INTERNALDATE (RFC 3501 date-time,
    /// e.g. `"01-Feb-2024 10:00:00 +0000"`), over a plain IMAP connection of
    /// the harness's own, as another mail client would.
    pub fn append(
        &self,
        user: &str,
        password: &str,
        folder: &str,
        eml: &[u8],
        flags: &[&str],
        internaldate: Option<&str>,
    ) -> Result<()> {
        raw_imap::append(
            self.imap_port(),
            user,
            password,
            folder,
            eml,
            flags,
            internaldate,
        )
    }

    /// The messages in `folder`: UID, flags, INTERNALDATE and exact bytes.
    pub fn mailbox_contents(&self, user: &str, folder: &str) -> Result<Vec<StoredMessage>> {
        self.dovecot.contents(user, folder)
    }

    /// Waits until `folder` holds at least `count` messages.
    pub fn wait_for_messages(
        &self,
        user: &str,
        folder: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<StoredMessage>> {
        let deadline = Instant::now() + timeout;
        loop {
            let msgs = self.mailbox_contents(user, folder)?;
            if msgs.len() >= count {
                return Ok(msgs);
            }
            if Instant::now() > deadline {
                bail!(
                    "{folder} of {user} has {} message(s), expected {count} within {timeout:?}; \
                     postfix log:\n{}",
                    msgs.len(),
                    self.postfix.as_ref().map(|p| p.log()).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `eml` through Postfix's SMTP port from `from` to `to`.
    pub fn send_smtp(&self, from: &str, to: &[&str], eml: &[u8]) -> Result<()> {
        smtp::send(self.smtp_port(), from, to, eml)
    }

    /// Writes messages straight into `user`'s INBOX maildir, for loading
    /// benchmark corpora fast (no IMAP round trips); Dovecot indexes them on
    /// first access. INTERNALDATE is the file's modification time.
    pub fn load_inbox(&self, user: &str, messages: &[corpus::CorpusMessage]) -> Result<()> {
        let cur = self.dir.path().join("mail").join(user).join("cur");
        std::fs::create_dir_all(&cur)?;
        for (i, m) in messages.iter().enumerate() {
            let flags = if m.seen { "S" } else { "" };
            let name = format!(
                "{}.M{i}P1.bench,S={}:2,{flags}",
                m.internaldate,
                m.bytes.len()
            );
            let path = cur.join(name);
            std::fs::write(&path, &m.bytes)?;
            let time = std::time::UNIX_EPOCH + Duration::from_secs(m.internaldate.max(0) as u64);
            std::fs::File::options()
                .write(true)
                .open(&path)?
                .set_modified(time)?;
        }
        process::chown_recursive(&self.dir.path().join("mail"), "nobody:nogroup")?;
        Ok(())
    }

    /// Stops Dovecot, waits `down_for`, and starts it again on the same
    /// ports with the same mail: a server restart as clients see it.
    pub fn restart_imap(&self, down_for: Duration) -> Result<()> {
        self.dovecot.restart(down_for)
    }

    /// Stops Postfix (the mail server stays up): sending fails until
    /// [`MailServer::start_smtp`].
    pub fn stop_smtp(&self) {
        if let Some(p) = &self.postfix {
            p.stop();
        }
    }

    /// Starts Postfix again after [`MailServer::stop_smtp`].
    pub fn start_smtp(&self) -> Result<()> {
        match &self.postfix {
            Some(p) => p.start_again(),
            None => bail!("built without .smtp()"),
        }
    }

    /// Every command line clients sent over IMAP, one list per session in
    /// the order sent, from Dovecot's own record of each session (built
    /// with [`Builder::command_log`]): tagged lines (`tag COMMAND …`),
    /// without message literals. Passwords in LOGIN and AUTHENTICATE lines
    /// are in it.
    pub fn imap_sessions(&self) -> Result<Vec<Vec<String>>> {
        let dir = self.dir.path().join("rawlog");
        anyhow::ensure!(dir.is_dir(), "built without .command_log()");
        let mut sessions = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "in") {
                let bytes = std::fs::read(&path)?;
                sessions.push(
                    String::from_utf8_lossy(&bytes)
                        .split("\r\n")
                        // Each line starts with the time it was read.
                        .map(|l| match l.split_once(' ') {
                            Some((t, rest))
                                if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
                            {
                                rest
                            }
                            _ => l,
                        })
                        .filter(|l| {
                            let mut words = l.split(' ');
                            let tag = words.next().unwrap_or_default();
                            let command = words.next().unwrap_or_default();
                            !tag.is_empty()
                                && tag.bytes().all(|b| b.is_ascii_alphanumeric())
                                && !command.is_empty()
                                && command.bytes().all(|b| b.is_ascii_uppercase())
                        })
                        .map(str::to_owned)
                        .collect(),
                );
            }
        }
        Ok(sessions)
    }

    /// The key Dovecot checks access tokens with (built with [`Builder::oauth`]).
    pub fn oauth_key(&self) -> Option<&[u8]> {
        self.oauth_key.as_deref()
    }

    /// Dovecot's log, for failure messages.
    pub fn dovecot_log(&self) -> String {
        self.dovecot.log()
    }
}
