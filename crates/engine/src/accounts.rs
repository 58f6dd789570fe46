//! The accounts a vault seals: add, list, test, remove; the connection settings the jobs use.

use std::path::PathBuf;

use anyhow::Context as _;
use coffer_net::{ImapConfig, ImapSession, Login, NetError, Security};
use coffer_store::{AccountError, AccountRecord, AccountSecurity};
use secrecy::SecretString;
use serde::Serialize;

use crate::{Vault, VaultError};

/// An account to add.
pub struct NewAccount {
    /// The name the user refers to it by (unique in the vault).
    pub name: String,
    /// IMAP host.
    pub imap_host: String,
    /// IMAP port.
    pub imap_port: u16,
    /// Login name.
    pub username: String,
    /// Login password: stored in the encrypted database only.
    pub password: SecretString,
    /// Transport security.
    pub security: Security,
    /// An extra CA certificate (PEM) to trust.
    pub ca_file: Option<PathBuf>,
    /// SMTP host and port, for sending.
    pub smtp: Option<(String, u16)>,
    /// Submit with STARTTLS (587) rather than implicit TLS (465).
    pub smtp_starttls: bool,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("name", &self.name)
            .field("imap_host", &self.imap_host)
            .field("imap_port", &self.imap_port)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What `account list` shows: everything but the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountInfo {
    /// The account's name.
    pub name: String,
    /// IMAP host.
    pub imap_host: String,
    /// IMAP port.
    pub imap_port: u16,
    /// Login name.
    pub username: String,
    /// Transport security (`tls`, `starttls` or `insecure-loopback`).
    pub security: Security,
    /// The extra CA file, if any.
    pub ca_file: Option<String>,
    /// `HOST:PORT` of the SMTP server, if any.
    pub smtp: Option<String>,
    /// Whether submission uses STARTTLS (else implicit TLS).
    pub smtp_starttls: bool,
    /// The OAuth provider it signs in with (`microsoft`, `google`,
    /// `custom`), or `None` for a password.
    pub oauth: Option<String>,
    /// When it was added (Unix seconds).
    pub created_at: i64,
}

/// What `account test` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountTest {
    /// Whether the session runs over TLS.
    pub tls: bool,
    /// The server's capabilities after login.
    pub capabilities: Vec<String>,
    /// Whether originals can be removed safely (UIDPLUS).
    pub uidplus: bool,
    /// Every folder, selectable or not.
    pub folders: Vec<String>,
    /// How originals will be removed there.
    pub deletion: crate::seal::Deletion,
    /// What the server offers and what Coffer does with it, line by line.
    pub report: Vec<CapabilityLine>,
}

/// One line of the capability report: what the server offers, and what
/// Coffer will do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapabilityLine {
    /// What is asked of the server (`UIDPLUS`, `IDLE`, `Gmail`, …).
    pub capability: String,
    /// Whether the server offers it.
    pub offered: bool,
    /// What Coffer does, given the answer.
    pub coffer_does: String,
}

/// The capability report for `caps` (upper-case names, as the server
/// announced them after login). `refused`: expunging was turned off for
/// the account after a server was caught expunging too much.
pub fn capability_report(caps: &[String], refused: bool) -> Vec<CapabilityLine> {
    let has = |name: &str| caps.iter().any(|c| c.eq_ignore_ascii_case(name));
    let line = |capability: &str, offered: bool, coffer_does: String| CapabilityLine {
        capability: capability.to_owned(),
        offered,
        coffer_does,
    };
    let gmail = has("X-GM-EXT-1");
    let deletion = crate::seal::Deletion::choose(has("UIDPLUS"), has("MOVE"), refused);
    let limit = caps
        .iter()
        .find_map(|c| c.strip_prefix("APPENDLIMIT=")?.parse::<u64>().ok());
    let max = crate::seal::SealOptions::default().max_message_bytes;
    vec![
        line(
            "Gmail (X-GM-EXT-1)",
            gmail,
            match gmail {
                true => "sealing is REFUSED: on Gmail a folder is a label and the plaintext \
                         would stay in All Mail (see docs/PROVIDERS.md); reading, sending and \
                         the audit work"
                    .to_owned(),
                false => "folders are folders: sealing works as described below".to_owned(),
            },
        ),
        line(
            "UIDPLUS",
            has("UIDPLUS"),
            format!("deletion path: {}", deletion.describe()),
        ),
        line(
            "MOVE",
            has("MOVE"),
            match (has("UIDPLUS"), has("MOVE")) {
                (true, _) => {
                    "not needed for deletion (UIDPLUS is there); used to move mail".to_owned()
                }
                (false, true) => format!(
                    "used to remove originals by way of the folder {:?}",
                    crate::seal::PURGE_FOLDER
                ),
                (false, false) => "absent too: originals are kept".to_owned(),
            },
        ),
        line(
            "MULTIAPPEND",
            has("MULTIAPPEND"),
            match has("MULTIAPPEND") {
                true => "a batch's sealed copies go up in one command, all or none".to_owned(),
                false => "sealed copies go up one APPEND at a time (slower)".to_owned(),
            },
        ),
        line(
            "IDLE",
            has("IDLE"),
            match has("IDLE") {
                true => "watch hears of new mail in INBOX at once (IDLE); other folders are \
                         polled"
                    .to_owned(),
                false => {
                    "watch polls every folder, INBOX included (every 60 s by default)".to_owned()
                }
            },
        ),
        line(
            "CONDSTORE",
            has("CONDSTORE"),
            match has("CONDSTORE") {
                true => "sync asks only for what changed since last time".to_owned(),
                false => "sync lists every folder in full each time".to_owned(),
            },
        ),
        line(
            "APPENDLIMIT",
            limit.is_some(),
            match limit {
                Some(n) => format!(
                    "the server takes messages up to {n} bytes; a sealed copy is up to ~1.55 × \
                     its original, so originals over about {} bytes are left unsealed, with a \
                     reason",
                    (n / 155).saturating_mul(100).min(max)
                ),
                None => format!(
                    "the server states no size limit; originals over {max} bytes are left \
                     unsealed, with a reason"
                ),
            },
        ),
    ]
}

/// Tests the settings of an account before it is added (nothing is
/// saved): the same checks as [`Vault::test_account`].
pub async fn test_new_account(account: &NewAccount) -> anyhow::Result<AccountTest> {
    let mut imap = ImapConfig::new(account.imap_host.clone(), account.imap_port);
    imap.security = account.security;
    if let Some(path) = &account.ca_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("reading the CA file {}", path.display()))?;
        coffer_net::check_ca_pem(path, &pem)?;
        imap.ca_pem = Some(pem);
    }
    test_connection(
        &Connection {
            name: account.name.clone(),
            imap,
            user: account.username.clone(),
            credential: Credential::Password(account.password.clone()),
            smtp: None,
        },
        false,
    )
    .await
}

async fn test_connection(conn: &Connection<'_>, refused: bool) -> anyhow::Result<AccountTest> {
    let mut session = conn.connect().await?;
    let capabilities = session
        .capabilities()
        .await
        .context("reading capabilities")?;
    let uidplus = session
        .has_uidplus()
        .await
        .context("reading capabilities")?;
    let folders = session
        .list_folders()
        .await
        .context("listing folders")?
        .into_iter()
        .map(|f| f.name)
        .collect();
    let tls = session.is_tls();
    if let Err(error) = session.logout().await {
        tracing::debug!(%error, "logout after account test failed");
    }
    let report = capability_report(&capabilities, refused);
    let has_move = capabilities.iter().any(|c| c.eq_ignore_ascii_case("MOVE"));
    Ok(AccountTest {
        tls,
        deletion: crate::seal::Deletion::choose(uidplus, has_move, refused),
        capabilities,
        uidplus,
        folders,
        report,
    })
}

/// A provider's servers, to fill in the account form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    /// Short name (`fastmail`), as `account add --preset` takes it.
    pub id: &'static str,
    /// The provider's name.
    pub name: &'static str,
    /// IMAP server.
    pub imap_host: &'static str,
    /// IMAP port.
    pub imap_port: u16,
    /// IMAP transport security.
    pub security: Security,
    /// SMTP server.
    pub smtp_host: &'static str,
    /// SMTP port (465: implicit TLS; 587: STARTTLS).
    pub smtp_port: u16,
    /// What the user must know (app passwords, enabling IMAP).
    pub note: &'static str,
}

/// The providers the account form knows (docs/PROVIDERS.md has more).
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "fastmail",
        name: "Fastmail",
        imap_host: "imap.fastmail.com",
        imap_port: 993,
        security: Security::Tls,
        smtp_host: "smtp.fastmail.com",
        smtp_port: 465,
        note: "Use an app password (Settings → Privacy & Security → Integrations), not your login password.",
    },
    Preset {
        id: "posteo",
        name: "Posteo",
        imap_host: "posteo.de",
        imap_port: 993,
        security: Security::Tls,
        smtp_host: "posteo.de",
        smtp_port: 465,
        note: "The user name is your full Posteo address.",
    },
    Preset {
        id: "mailbox.org",
        name: "mailbox.org",
        imap_host: "imap.mailbox.org",
        imap_port: 993,
        security: Security::Tls,
        smtp_host: "smtp.mailbox.org",
        smtp_port: 465,
        note: "The user name is your full mailbox.org address.",
    },
    Preset {
        id: "icloud",
        name: "iCloud Mail",
        imap_host: "imap.mail.me.com",
        imap_port: 993,
        security: Security::Tls,
        smtp_host: "smtp.mail.me.com",
        smtp_port: 587,
        note: "Use an app-specific password from appleid.apple.com; the user name is your iCloud address.",
    },
    Preset {
        id: "gmx",
        name: "GMX",
        imap_host: "imap.gmx.net",
        imap_port: 993,
        security: Security::Tls,
        smtp_host: "mail.gmx.net",
        smtp_port: 465,
        note: "Turn on IMAP access in GMX's settings (E-Mail → POP3 & IMAP) first.",
    },
];

/// Everything needed to open sessions for one account.
pub(crate) struct Connection<'v> {
    pub(crate) name: String,
    pub(crate) imap: ImapConfig,
    pub(crate) user: String,
    pub(crate) credential: Credential<'v>,
    /// Where the account submits mail, if it sends.
    pub(crate) smtp: Option<coffer_net::smtp::SmtpConfig>,
}

/// How an account logs in.
pub(crate) enum Credential<'v> {
    /// A password, kept in the encrypted database.
    Password(SecretString),
    /// An OAuth2 grant: access tokens refreshed as needed.
    OAuth(Box<crate::oauth::OAuthLogin<'v>>),
}

impl Connection<'_> {
    /// What this account's seal ids are keyed to: its login `user@host`.
    pub(crate) fn scope(&self) -> coffer_core::seal::AccountScope {
        coffer_core::seal::AccountScope::new(&self.user, &self.imap.host)
    }

    /// Logs in once (an OAuth account: with a current access token, and,
    /// if the server refuses it, once more with a freshly refreshed one).
    pub(crate) async fn connect(&self) -> anyhow::Result<ImapSession> {
        let imap = |login| ImapSession::connect_with(&self.imap, &self.user, login);
        let session: anyhow::Result<ImapSession> = match &self.credential {
            Credential::Password(p) => Ok(imap(Login::Password(p)).await?),
            Credential::OAuth(o) => {
                let token = o.access_token(None).await?;
                match imap(Login::Bearer(&token)).await {
                    Err(NetError::AuthFailed { .. }) => {
                        let token = o.access_token(Some(&token)).await?;
                        Ok(imap(Login::Bearer(&token)).await?)
                    }
                    other => Ok(other?),
                }
            }
        };
        session.with_context(|| {
            format!(
                "connecting to {}:{} for account {:?}",
                self.imap.host, self.imap.port, self.name
            )
        })
    }

    /// Connects to the account's SMTP server and logs in, as [`Connection::connect`].
    pub(crate) async fn connect_smtp(
        &self,
        smtp: &coffer_net::smtp::SmtpConfig,
    ) -> Result<coffer_net::smtp::SmtpSession, anyhow::Error> {
        use coffer_net::smtp::SmtpSession;
        match &self.credential {
            Credential::Password(p) => {
                Ok(SmtpSession::connect_with(smtp, &self.user, Login::Password(p)).await?)
            }
            Credential::OAuth(o) => {
                let token = o.access_token(None).await?;
                match SmtpSession::connect_with(smtp, &self.user, Login::Bearer(&token)).await {
                    Err(NetError::AuthFailed { .. }) => {
                        let token = o.access_token(Some(&token)).await?;
                        Ok(
                            SmtpSession::connect_with(smtp, &self.user, Login::Bearer(&token))
                                .await?,
                        )
                    }
                    other => Ok(other?),
                }
            }
        }
    }
}

fn to_store(security: Security) -> AccountSecurity {
    match security {
        Security::Tls => AccountSecurity::Tls,
        Security::StartTls => AccountSecurity::StartTls,
        Security::InsecureLoopback => AccountSecurity::InsecureLoopback,
    }
}

fn to_net(security: AccountSecurity) -> Security {
    match security {
        AccountSecurity::Tls => Security::Tls,
        AccountSecurity::StartTls => Security::StartTls,
        AccountSecurity::InsecureLoopback => Security::InsecureLoopback,
    }
}

fn info(r: AccountRecord) -> AccountInfo {
    AccountInfo {
        security: to_net(r.security),
        smtp: r.smtp.map(|(h, p)| format!("{h}:{p}")),
        smtp_starttls: r.smtp_starttls,
        name: r.name,
        imap_host: r.imap_host,
        imap_port: r.imap_port,
        username: r.username,
        ca_file: r.ca_file,
        created_at: r.created_at,
        oauth: None,
    }
}

impl Vault {
    /// Adds an account (password in the encrypted database). A name already
    /// in use is [`VaultError::AccountExists`].
    #[tracing::instrument(skip_all, fields(name = %account.name))]
    pub fn add_account(&self, account: NewAccount) -> anyhow::Result<()> {
        anyhow::ensure!(
            !account.name.is_empty() && !account.name.chars().any(char::is_control),
            "an account name must be non-empty, without control characters"
        );
        coffer_net::validate_argument("user name", &account.username)?;
        // The CA's certificates go into the vault now: a file edited or
        // replaced later (by anyone who can write it) changes nothing.
        let (ca_file, ca_pem) = match account.ca_file {
            Some(path) => {
                let pem = std::fs::read(&path)
                    .with_context(|| format!("reading the CA file {}", path.display()))?;
                coffer_net::check_ca_pem(&path, &pem)?;
                let absolute = std::path::absolute(&path)
                    .with_context(|| format!("resolving {}", path.display()))?
                    .to_str()
                    .context("the CA file's path is not valid UTF-8")?
                    .to_owned();
                (Some(absolute), pem)
            }
            None => (None, Vec::new()),
        };
        let record = AccountRecord {
            name: account.name.clone(),
            imap_host: account.imap_host,
            imap_port: account.imap_port,
            username: account.username,
            password: account.password,
            security: to_store(account.security),
            ca_file,
            ca_pem,
            smtp: account.smtp,
            smtp_starttls: account.smtp_starttls,
            created_at: 0,
        };
        match self.store().add_account(&record) {
            Err(AccountError::AlreadyExists(name)) => Err(VaultError::AccountExists(name).into()),
            other => other.context("saving the account"),
        }
    }

    /// Every account, without passwords.
    pub fn accounts(&self) -> anyhow::Result<Vec<AccountInfo>> {
        let mut all: Vec<AccountInfo> = self
            .store()
            .accounts()
            .context("reading the accounts")?
            .into_iter()
            .map(info)
            .collect();
        for a in &mut all {
            a.oauth = self.oauth_provider(&a.name)?;
        }
        Ok(all)
    }

    /// Removes an account; an unknown name is [`VaultError::NoSuchAccount`].
    pub fn remove_account(&self, name: &str) -> anyhow::Result<()> {
        if self
            .store()
            .remove_account(name)
            .context("removing the account")?
        {
            Ok(())
        } else {
            Err(VaultError::NoSuchAccount(name.to_owned()).into())
        }
    }

    /// Connects, logs in, lists folders and reads the capabilities.
    pub async fn test_account(&self, name: &str) -> anyhow::Result<AccountTest> {
        let conn = self.connection(Some(name))?;
        let refused = self.expunge_refusal(&conn.name)?.is_some();
        test_connection(&conn, refused).await
    }

    /// The settings of account `name`, or of the only account when `None`.
    pub(crate) fn connection(&self, name: Option<&str>) -> anyhow::Result<Connection<'_>> {
        let record = match name {
            Some(name) => self
                .store()
                .account(name)
                .context("reading the account")?
                .ok_or_else(|| VaultError::NoSuchAccount(name.to_owned()))?,
            None => {
                let mut all = self.store().accounts().context("reading the accounts")?;
                let count = all.len();
                match all.pop() {
                    Some(only) if count == 1 => only,
                    _ => return Err(VaultError::AccountNeeded(count).into()),
                }
            }
        };
        let mut imap = ImapConfig::new(record.imap_host, record.imap_port);
        imap.security = to_net(record.security);
        imap.ca_file = record.ca_file.map(PathBuf::from);
        imap.ca_pem = (!record.ca_pem.is_empty()).then_some(record.ca_pem);
        let smtp = record.smtp.map(|(host, port)| {
            let mut c = coffer_net::smtp::SmtpConfig::new(host, port);
            c.security = match (record.smtp_starttls, imap.security) {
                // A loopback test account without TLS submits without it too.
                (_, Security::InsecureLoopback) => Security::InsecureLoopback,
                (true, _) => Security::StartTls,
                (false, _) => Security::Tls,
            };
            c.ca_pem.clone_from(&imap.ca_pem);
            c
        });
        let credential = match self
            .store()
            .oauth_grant(&record.name)
            .context("reading the account's OAuth sign-in")?
        {
            Some(grant) => Credential::OAuth(Box::new(crate::oauth::OAuthLogin::new(
                grant,
                Some(self.store()),
            ))),
            None => Credential::Password(record.password),
        };
        Ok(Connection {
            name: record.name,
            imap,
            user: record.username,
            credential,
            smtp,
        })
    }
}
