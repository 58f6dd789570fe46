//! How hard the passphrase is stretched: always the default, except in tests.

use coffer_core::passphrase::Strength;
use coffer_core::{ExposeSecret as _, KdfParams, KeyFile, KeyFileError, SecretString};

use crate::{Code, refusal};

/// The environment variable that selects cheap Argon2id parameters in a build
/// with the `test-support` feature.
pub const TEST_KDF_ENV: &str = "COFFER_TEST_KDF";

/// The Argon2id parameters new key files get, and the minimum an existing key
/// file is raised to on unlock.
///
/// Why an environment variable and not a hidden CLI flag: the binary under
/// test and in-process engine tests pick it up the same way, no subcommand
/// has to thread a flag through, and the code that reads it only exists in
/// builds with the `test-support` feature — `cargo test` turns that on
/// through dev-dependencies, a release build (`cargo build --release -p
/// coffer`) never does, so there the variable is ignored with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfPolicy {
    target: KdfParams,
    /// The lowest zxcvbn score a new passphrase may have
    /// ([`coffer_core::passphrase::MIN_SCORE`]; 0 only in test builds).
    min_passphrase_score: u8,
    /// Accept key files below the Argon2id floor (only test-support builds
    /// can set this).
    below_floor: bool,
}

impl Default for KdfPolicy {
    fn default() -> Self {
        Self {
            target: KdfParams::DEFAULT,
            min_passphrase_score: coffer_core::passphrase::MIN_SCORE,
            below_floor: false,
        }
    }
}

impl KdfPolicy {
    /// The policy for this process: the default, or the weak test policy when
    /// `COFFER_TEST_KDF=weak` and the build has `test-support`.
    pub fn from_env() -> Self {
        let wanted = std::env::var(TEST_KDF_ENV).ok();
        match wanted.as_deref() {
            None => Self::default(),
            #[cfg(feature = "test-support")]
            Some("weak") => Self::weak_for_tests(),
            Some(other) => {
                tracing::warn!(
                    value = other,
                    "{TEST_KDF_ENV} is ignored: this build always uses the default Argon2id parameters"
                );
                Self::default()
            }
        }
    }

    /// Cheap parameters (64 KiB, t = 1, p = 1), far below the floor: a key
    /// file made with them unlocks in about a millisecond.
    #[cfg(any(test, feature = "test-support"))]
    pub fn weak_for_tests() -> Self {
        Self::weak_target_for_tests(KdfParams::new_unchecked_for_tests(64, 1, 1))
    }

    /// A below-floor policy with the given target, e.g. to test raising.
    #[cfg(any(test, feature = "test-support"))]
    pub fn weak_target_for_tests(target: KdfParams) -> Self {
        Self {
            target,
            min_passphrase_score: 0,
            below_floor: true,
        }
    }

    /// This policy with another minimum passphrase strength (tests of the
    /// rule with cheap Argon2id parameters).
    #[cfg(any(test, feature = "test-support"))]
    pub fn requiring_strength(mut self, min_score: u8) -> Self {
        self.min_passphrase_score = min_score;
        self
    }

    /// This policy, its passphrase minimum raised to `min_score` if that is
    /// higher (a provisioning profile's): never lowered.
    pub fn at_least(mut self, min_score: u8) -> Self {
        self.min_passphrase_score = self.min_passphrase_score.max(min_score.min(4));
        self
    }

    /// The parameters for new key files and the minimum for existing ones.
    pub fn target(&self) -> KdfParams {
        self.target
    }

    /// How strong `passphrase` is, judged against this policy's minimum.
    pub fn strength(&self, passphrase: &SecretString) -> Strength {
        coffer_core::passphrase::strength(
            passphrase.expose_secret(),
            self.min_passphrase_score,
            &[],
        )
    }

    /// Refuses a new passphrase below the minimum strength, saying why
    /// ([`Code::PassphraseRejected`]): `init`, `recover` and `passwd` apply
    /// the same rule as the app's meter.
    pub(crate) fn check_new_passphrase(&self, passphrase: &SecretString) -> anyhow::Result<()> {
        let s = self.strength(passphrase);
        if s.acceptable {
            return Ok(());
        }
        let mut why = format!(
            "the new passphrase is too easy to guess (strength {}/4, at least {} needed; \
             an attacker with the key file would need about {})",
            s.score, self.min_passphrase_score, s.crack_time
        );
        if passphrase.expose_secret().is_empty() {
            why = "the new passphrase is empty".to_owned();
        }
        if let Some(w) = &s.warning {
            why.push_str(&format!(": {w}"));
        }
        if !s.suggestions.is_empty() {
            why.push_str(&format!(". {}", s.suggestions.join(" ")));
        }
        Err(refusal(Code::PassphraseRejected, why))
    }

    /// Parses key file bytes under this policy.
    pub(crate) fn parse(&self, bytes: &[u8]) -> Result<KeyFile, KeyFileError> {
        #[cfg(feature = "test-support")]
        if self.below_floor {
            return KeyFile::parse_for_tests(bytes);
        }
        KeyFile::parse(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_core_default() {
        assert_eq!(KdfPolicy::default().target(), KdfParams::DEFAULT);
    }

    #[test]
    fn weak_policy_is_below_the_floor() {
        assert!(
            KdfPolicy::weak_for_tests()
                .target()
                .is_below(&KdfParams::FLOOR)
        );
    }
}
