//! The one fixture for tests that need a vault with an account on a real
//! mail server: the engine's tests use its `Vault`, the CLI's tests run the
//! `coffer` binary on its directory and files.
//!
//! ```no_run
//! # use coffer_harness::{MailServer, TestVault};
//! let t = TestVault::builder()
//!     .server(MailServer::builder().without_capabilities(&["UIDPLUS"]))
//!     .account("mail")
//!     .build();
//! // t.vault (engine API), t.dir() / t.pass_file() (the CLI), t.server …
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use coffer_engine::net::Security;
use coffer_engine::{KdfPolicy, NewAccount, SecretString, Vault};

use crate::{Builder, MailServer, PASSWORD, StoredMessage, USER};

/// The vault's passphrase (also in [`TestVault::pass_file`]).
pub const PASSPHRASE: &str = "test vault passphrase";

/// A vault in a temporary directory (cheap Argon2id), a running mail server,
/// and, unless asked otherwise, one account on it.
#[derive(Debug)]
pub struct TestVault {
    /// The mail server.
    pub server: MailServer,
    /// The vault, unlocked.
    pub vault: Vault,
    /// The account's name, when one was added.
    pub account: Option<String>,
    tmp: tempfile::TempDir,
}

/// How to build a [`TestVault`].
#[derive(Debug)]
pub struct TestVaultBuilder {
    server: Option<Builder>,
    started: Option<MailServer>,
    account: Option<String>,
    imap_port: Option<u16>,
}

impl TestVaultBuilder {
    /// Start the mail server from this builder (default: [`MailServer::start`]).
    pub fn server(mut self, builder: Builder) -> Self {
        self.server = Some(builder);
        self
    }

    /// Use a server already running (e.g. one loaded before the vault).
    pub fn started(mut self, server: MailServer) -> Self {
        self.started = Some(server);
        self
    }

    /// Add the account under this name (default `test`).
    pub fn account(mut self, name: &str) -> Self {
        self.account = Some(name.to_owned());
        self
    }

    /// Add no account (tests that add it through the CLI).
    pub fn no_account(mut self) -> Self {
        self.account = None;
        self
    }

    /// Reach IMAPS on this loopback port instead of the server's (a proxy
    /// in front of it).
    pub fn imap_port(mut self, port: u16) -> Self {
        self.imap_port = Some(port);
        self
    }

    /// Starts the server, creates the vault and adds the account.
    ///
    /// # Panics
    /// When any of it fails (a test failure).
    pub fn build(self) -> TestVault {
        let server = match (self.started, self.server) {
            (Some(server), _) => server,
            (None, Some(builder)) => builder.start().expect("start the mail server"),
            (None, None) => MailServer::start().expect("start the mail server"),
        };
        let tmp = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(tmp.path().join("pass"), format!("{PASSPHRASE}\n")).expect("write");
        std::fs::write(tmp.path().join("imap-pw"), format!("{PASSWORD}\n")).expect("write");
        let (vault, _) = Vault::create(
            &tmp.path().join("vault"),
            &SecretString::from(PASSPHRASE),
            KdfPolicy::weak_for_tests(),
        )
        .expect("create the vault");
        if let Some(name) = &self.account {
            vault
                .add_account(NewAccount {
                    name: name.clone(),
                    imap_host: server.host().into(),
                    imap_port: self.imap_port.unwrap_or_else(|| server.imaps_port()),
                    username: USER.into(),
                    password: SecretString::from(PASSWORD),
                    security: Security::Tls,
                    ca_file: Some(server.ca_file()),
                    smtp: None,
                    smtp_starttls: false,
                })
                .expect("add the account");
        }
        TestVault {
            server,
            vault,
            account: self.account,
            tmp,
        }
    }
}

impl TestVault {
    /// A builder: default server, account `test`.
    pub fn builder() -> TestVaultBuilder {
        TestVaultBuilder {
            server: None,
            started: None,
            account: Some("test".to_owned()),
            imap_port: None,
        }
    }

    /// The default: a fresh server and the account `test`.
    pub fn start() -> Self {
        Self::builder().build()
    }

    /// The vault directory.
    pub fn dir(&self) -> PathBuf {
        self.path("vault")
    }

    /// A file holding the vault's passphrase (first line).
    pub fn pass_file(&self) -> PathBuf {
        self.path("pass")
    }

    /// A file holding the IMAP password (first line).
    pub fn password_file(&self) -> PathBuf {
        self.path("imap-pw")
    }

    /// The fixture's temporary directory (`vault/`, `pass`, `imap-pw`, and
    /// whatever a test puts there).
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// `name` inside the fixture's temporary directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The `coffer` binary (`bin`, e.g. `env!("CARGO_BIN_EXE_coffer")`) on
    /// this vault: `--vault` and `--passphrase-file` set, cheap Argon2id, no
    /// `COFFER_VAULT` or `COFFER_LOG` from the caller, no stdin.
    pub fn command(&self, bin: &Path) -> Command {
        let mut c = Command::new(bin);
        c.env_remove("COFFER_VAULT")
            .env_remove("COFFER_LOG")
            .env("COFFER_TEST_KDF", "weak")
            .stdin(Stdio::null())
            .arg("--vault")
            .arg(self.dir())
            .arg("--passphrase-file")
            .arg(self.pass_file());
        c
    }

    /// The arguments of `coffer account add NAME` for the test user.
    pub fn account_add_args(&self, name: &str) -> Vec<String> {
        let imap = format!("{}:{}", self.server.host(), self.server.imaps_port());
        let password = self.password_file();
        let ca = self.server.ca_file();
        [
            "account",
            "add",
            name,
            "--imap",
            &imap,
            "--user",
            USER,
            "--password-file",
            &password.to_string_lossy(),
            "--ca-file",
            &ca.to_string_lossy(),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// Appends `eml` to `folder` as another mail client would.
    ///
    /// # Panics
    /// When the server refuses (a test failure).
    pub fn put(&self, folder: &str, eml: &[u8], flags: &[&str], date: &str) {
        self.server
            .append(USER, PASSWORD, folder, eml, flags, Some(date))
            .expect("append");
    }

    /// What `folder` holds, read on the server's side (not through Coffer).
    ///
    /// # Panics
    /// When the server cannot be read (a test failure).
    pub fn contents(&self, folder: &str) -> Vec<StoredMessage> {
        self.server
            .mailbox_contents(USER, folder)
            .expect("read the mailbox")
    }
}
