//! Provisioning profiles: a firm's TOML file of servers, escrow, OAuth settings and policies, applied at a vault's creation and enforced after (`docs/PROFILE.md`).
//!
//! A profile is parsed strictly: an unknown key, a wrong type or an escrow
//! fingerprint that does not match is refused with the line it is on. Once
//! applied, its policies are the vault's floor: a user may be stricter (a
//! longer passphrase, a shorter auto-lock) but never laxer, and the engine,
//! not the faces, checks each one where it applies.

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::{Code, Vault, refusal};

/// A provisioning profile, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Who issued it.
    #[serde(default)]
    pub organisation: Option<Organisation>,
    /// The IMAP server accounts use.
    #[serde(default)]
    pub imap: Option<Server>,
    /// The SMTP server accounts send through.
    #[serde(default)]
    pub smtp: Option<Server>,
    /// The organisation's escrow recipient.
    #[serde(default)]
    pub escrow: Option<Escrow>,
    /// OAuth settings (the firm's own client registration).
    #[serde(default)]
    pub oauth: Option<OAuth>,
    /// Policies the user cannot weaken.
    #[serde(default)]
    pub policy: Policy,
}

/// Who issued the profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// The firm's name, shown to the user.
    pub name: String,
}

/// A server and its TLS setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// `tls` (implicit TLS, the default) or `starttls`.
    #[serde(default = "tls")]
    pub security: String,
    /// An extra CA certificate file (PEM) to trust.
    #[serde(default)]
    pub ca_file: Option<String>,
}

fn tls() -> String {
    "tls".to_owned()
}

/// The escrow recipient, pinned by its fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Escrow {
    /// The organisation's age recipient (`age1…`).
    pub recipient: String,
    /// Its fingerprint (`coffer_core::escrow::fingerprint`).
    pub fingerprint: String,
}

/// The firm's OAuth client registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth {
    /// `microsoft` or `google`.
    pub provider: String,
    /// The client ID the firm registered.
    pub client_id: String,
    /// Microsoft: the firm's tenant ID (or `organizations`).
    #[serde(default)]
    pub tenant: Option<String>,
    /// Google: the client secret of a desktop client (not a secret).
    #[serde(default)]
    pub client_secret: Option<String>,
}

/// Policies: each unset one leaves the user's choice free.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The lowest zxcvbn score (0–4) a passphrase may have; never below
    /// Coffer's own minimum.
    #[serde(default)]
    pub min_passphrase_score: Option<u8>,
    /// The app locks itself after at most this many idle minutes.
    #[serde(default)]
    pub auto_lock_minutes: Option<u32>,
    /// Folders sealing leaves as they are (e.g. one a server-side tool reads).
    #[serde(default)]
    pub unsealed_folders: Vec<String>,
    /// Originals larger than this are left unsealed (no larger limit may be asked for).
    #[serde(default)]
    pub max_message_bytes: Option<u64>,
    /// `watch` looks at every folder at least this often.
    #[serde(default)]
    pub watch_interval_seconds: Option<u64>,
}

/// The line (1-based) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

impl Profile {
    /// Parses `text` (from `source`, for messages): strict, every error
    /// naming its line.
    pub fn parse(text: &str, source: &str) -> anyhow::Result<Self> {
        let profile: Profile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| format!(" line {}:", line_of(text, s.start)));
            refusal(
                Code::BadRequest,
                format!(
                    "the profile {source} is not valid:{} {}",
                    line.unwrap_or_default(),
                    e.message()
                ),
            )
        })?;
        if let Some(escrow) = &profile.escrow {
            coffer_core::escrow::pinned(&escrow.recipient, &escrow.fingerprint).map_err(|e| {
                let line = text
                    .find("fingerprint")
                    .map(|at| format!(" line {}:", line_of(text, at)))
                    .unwrap_or_default();
                refusal(Code::BadRequest, format!("the profile {source}:{line} {e}"))
            })?;
        }
        if let Some(score) = profile.policy.min_passphrase_score
            && score > 4
        {
            let line = text
                .find("min_passphrase_score")
                .map(|at| format!(" line {}:", line_of(text, at)))
                .unwrap_or_default();
            return Err(refusal(
                Code::BadRequest,
                format!("the profile {source}:{line} min_passphrase_score is 0 to 4, not {score}"),
            ));
        }
        for server in [&profile.imap, &profile.smtp].into_iter().flatten() {
            if !matches!(server.security.as_str(), "tls" | "starttls") {
                return Err(refusal(
                    Code::BadRequest,
                    format!(
                        "the profile {source}: security is `tls` or `starttls`, not {:?}",
                        server.security
                    ),
                ));
            }
        }
        if let Some(o) = &profile.oauth
            && crate::oauth::Provider::parse(&o.provider)
                .is_none_or(|p| p == crate::oauth::Provider::Custom)
        {
            return Err(refusal(
                Code::BadRequest,
                format!(
                    "the profile {source}: oauth provider is `microsoft` or `google`, not {:?}",
                    o.provider
                ),
            ));
        }
        Ok(profile)
    }

    /// Reads and parses the profile at `path`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the profile {}", path.display()))
            .map_err(|e| crate::with_code(e, Code::Io))?;
        Self::parse(&text, &path.display().to_string())
    }
}

/// Where a firm's deployment puts its profile; it wins over `$COFFER_PROFILE`.
pub const INSTALLED: &str = "/etc/coffer/profile.toml";

/// The profile installed on this machine for a first run, if any: the
/// firm's [`INSTALLED`] file, which an environment variable cannot replace,
/// else `$COFFER_PROFILE`. One that does not parse is an error, never
/// ignored.
pub fn installed() -> anyhow::Result<Option<Profile>> {
    let system = std::path::PathBuf::from(INSTALLED);
    let path = match (system.exists(), std::env::var_os("COFFER_PROFILE")) {
        (true, _) => system,
        (false, Some(p)) => std::path::PathBuf::from(p),
        (false, None) => return Ok(None),
    };
    match path.exists() {
        true => Profile::read(&path).map(Some),
        false => Ok(None),
    }
}

/// The setting holding the applied profile (as TOML).
const SETTING: &str = "profile";

/// The profile stored in a vault's database, if any.
pub(crate) fn stored(store: &coffer_store::Store) -> anyhow::Result<Option<Profile>> {
    match store.setting(SETTING).context("reading the profile")? {
        Some(text) => Ok(Some(toml::from_str(&text).map_err(|e| {
            refusal(
                Code::VaultDamaged,
                format!("the vault's stored profile: {e}"),
            )
        })?)),
        None => Ok(None),
    }
}

impl Vault {
    /// Applies `profile` to this (new) vault: its escrow recipient, its OAuth
    /// client, and its policies, which from now on are the vault's floor.
    pub fn apply_profile(&mut self, profile: &Profile) -> anyhow::Result<()> {
        if let Some(e) = &profile.escrow {
            self.set_escrow(&e.recipient, &e.fingerprint)?;
        }
        if let Some(o) = &profile.oauth {
            let p = o.provider.as_str();
            self.store()
                .set_setting(&format!("oauth.{p}.client_id"), &o.client_id)
                .context("saving the profile's OAuth client ID")?;
            if let Some(t) = &o.tenant {
                self.store()
                    .set_setting(&format!("oauth.{p}.tenant"), t)
                    .context("saving the profile's OAuth tenant")?;
            }
            if let Some(s) = &o.client_secret {
                self.store()
                    .set_setting(&format!("oauth.{p}.client_secret"), s)
                    .context("saving the profile's OAuth client secret")?;
            }
        }
        let text = toml::to_string(profile).context("writing the profile")?;
        self.store()
            .set_setting(SETTING, &text)
            .context("saving the profile")?;
        self.apply_policy_floor();
        Ok(())
    }

    /// The profile this vault was provisioned with, if any.
    pub fn profile(&self) -> anyhow::Result<Option<Profile>> {
        stored(self.store())
    }

    /// The organisation's policies in force (all unset without a profile).
    /// A stored profile that cannot be read is an error, never "no policy":
    /// what it governs is refused until it reads (fails closed).
    pub fn org_policy(&self) -> anyhow::Result<Policy> {
        Ok(self.profile()?.map(|p| p.policy).unwrap_or_default())
    }

    /// Raises the passphrase rule to the profile's minimum (at unlock and
    /// when a profile is applied); to the strictest when the stored profile
    /// cannot be read.
    pub(crate) fn apply_policy_floor(&mut self) {
        match self.org_policy() {
            Ok(policy) => {
                if let Some(min) = policy.min_passphrase_score {
                    self.raise_passphrase_floor(min);
                }
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "the stored profile cannot be read"
                );
                self.raise_passphrase_floor(4);
            }
        }
    }

    /// Refuses a size limit for `seal` above the profile's.
    pub fn check_max_message_bytes(&self, asked: u64) -> anyhow::Result<()> {
        Self::within_policy(
            "the size limit (bytes)",
            asked,
            self.org_policy()?.max_message_bytes,
        )
    }

    /// Refuses a `watch` interval longer than the profile's.
    pub fn check_watch_interval(&self, seconds: u64) -> anyhow::Result<()> {
        Self::within_policy(
            "the watch interval (seconds)",
            seconds,
            self.org_policy()?.watch_interval_seconds,
        )
    }

    /// Refuses an auto-lock time longer than the profile's (0, never, too).
    pub fn check_auto_lock(&self, minutes: u32) -> anyhow::Result<()> {
        let asked = match minutes {
            0 => u32::MAX,
            m => m,
        };
        Self::within_policy(
            "auto-lock (minutes)",
            asked,
            self.org_policy()?.auto_lock_minutes,
        )
        .map_err(|e| match minutes {
            0 => refusal(
                Code::BadRequest,
                "your organisation's profile requires auto-lock: it cannot be turned off",
            ),
            _ => e,
        })
    }

    /// Refuses changing or removing an escrow recipient the profile set.
    pub(crate) fn check_escrow_change(&self) -> anyhow::Result<()> {
        match self.profile()?.and_then(|p| p.escrow) {
            Some(e) => Err(refusal(
                Code::BadRequest,
                format!(
                    "your organisation's profile sets the escrow recipient (fingerprint {}); \
                     it cannot be changed or removed here",
                    e.fingerprint
                ),
            )),
            None => Ok(()),
        }
    }

    /// Refuses `asked` when it is laxer than the profile's `limit`: `what`
    /// names the setting for the message.
    pub(crate) fn within_policy<T: PartialOrd + std::fmt::Display>(
        what: &str,
        asked: T,
        limit: Option<T>,
    ) -> anyhow::Result<()> {
        match limit {
            Some(limit) if asked > limit => Err(refusal(
                Code::BadRequest,
                format!(
                    "your organisation's profile sets {what} to at most {limit}; {asked} is not \
                     allowed"
                ),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_profile_parses() {
        let p = Profile::parse(
            "[organisation]\nname = \"Example GmbH\"\n\
             [imap]\nhost = \"imap.example.com\"\nport = 993\n\
             [smtp]\nhost = \"smtp.example.com\"\nport = 587\nsecurity = \"starttls\"\n\
             [policy]\nmin_passphrase_score = 4\nauto_lock_minutes = 10\n\
             unsealed_folders = [\"Shared\"]\nmax_message_bytes = 1000\nwatch_interval_seconds = 30\n",
            "test",
        )
        .unwrap();
        assert_eq!(p.imap.unwrap().security, "tls");
        assert_eq!(p.policy.min_passphrase_score, Some(4));
        assert_eq!(p.policy.unsealed_folders, vec!["Shared".to_owned()]);
    }

    #[test]
    fn the_example_in_docs_profile_md_parses() {
        let doc = include_str!("../../../docs/PROFILE.md");
        let example = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let p = Profile::parse(example, "docs/PROFILE.md").unwrap();
        assert_eq!(p.organisation.unwrap().name, "Example GmbH");
        assert!(p.escrow.is_some());
        assert_eq!(p.policy.min_passphrase_score, Some(4));
    }

    #[test]
    fn errors_name_their_line() {
        let unknown = Profile::parse("[policy]\nauto_lock_minutes = 5\nsurprise = 1\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("line 3"), "{unknown}");
        assert!(unknown.contains("surprise"), "{unknown}");
        let malformed = Profile::parse("[imap]\nhost = \"x\"\nport = \"nine\"\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(malformed.contains("line 3"), "{malformed}");
        let bad_score = Profile::parse("\n[policy]\nmin_passphrase_score = 7\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(bad_score.contains("line 3"), "{bad_score}");
    }

    #[test]
    fn an_escrow_fingerprint_that_does_not_match_is_refused_with_its_line() {
        let r = coffer_core::MasterSecret::from_bytes(&mut [4; 32])
            .derive()
            .unwrap()
            .recipient();
        let text = format!(
            "[escrow]\nrecipient = \"{r}\"\nfingerprint = \"0000 0000 0000 0000 0000 0000 0000 0000\"\n"
        );
        let err = Profile::parse(&text, "p.toml").unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("fingerprint is"), "{err}");
        let good = text.replace(
            "0000 0000 0000 0000 0000 0000 0000 0000",
            &coffer_core::escrow::fingerprint(&r),
        );
        assert!(Profile::parse(&good, "p.toml").is_ok());
    }
}
