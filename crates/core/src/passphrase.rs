//! How strong a passphrase is: zxcvbn's estimate, and the rule the vault applies.
//!
//! The engine refuses a new passphrase below [`MIN_SCORE`] at `init`,
//! `recover` and `passwd`, and the app's meter shows the same verdict, so
//! the rule is one function for both faces.

/// The lowest zxcvbn score (0–4) a new passphrase may have: 3 is "safely
/// unguessable: moderate protection from an offline slow-hash scenario".
pub const MIN_SCORE: u8 = 3;

/// zxcvbn's verdict on a passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    /// 0 (too guessable) to 4 (very unguessable).
    pub score: u8,
    /// Whether it meets the minimum it was judged against.
    pub acceptable: bool,
    /// What is wrong with it, if zxcvbn says.
    pub warning: Option<String>,
    /// How to make it stronger.
    pub suggestions: Vec<String>,
    /// Time to guess it offline against a slow hash ("3 hours", "centuries").
    pub crack_time: String,
}

/// Judges `passphrase` against `min_score` (normally [`MIN_SCORE`]).
/// `context` holds words a guesser would try first (the user name, the
/// product's name).
pub fn strength(passphrase: &str, min_score: u8, context: &[&str]) -> Strength {
    let mut inputs = vec!["coffer", "vault", "mail", "passphrase"];
    inputs.extend_from_slice(context);
    let estimate = zxcvbn::zxcvbn(passphrase, &inputs);
    let score = u8::from(estimate.score());
    let feedback = estimate.feedback();
    Strength {
        score,
        acceptable: score >= min_score && !passphrase.is_empty(),
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
        crack_time: estimate
            .crack_times()
            .offline_slow_hashing_1e4_per_second()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passphrases_fall_short_and_strong_ones_pass() {
        for weak in ["", "password", "coffer2026", "qwertyuiop", "letmein!"] {
            let s = strength(weak, MIN_SCORE, &[]);
            assert!(!s.acceptable, "{weak:?} accepted: {s:?}");
        }
        let strong = strength("tulip orbit cactus lantern", MIN_SCORE, &[]);
        assert!(strong.acceptable, "{strong:?}");
        assert!(strong.score >= 3);
    }

    #[test]
    fn the_user_name_counts_against_a_passphrase() {
        let alone = strength("ZoltanBerenyi1987", MIN_SCORE, &[]);
        let known = strength("ZoltanBerenyi1987", MIN_SCORE, &["zoltanberenyi"]);
        assert!(known.score <= alone.score, "{alone:?} {known:?}");
    }

    #[test]
    fn a_lower_minimum_accepts_what_the_default_refuses() {
        assert!(strength("password", 0, &[]).acceptable);
        assert!(
            !strength("", 0, &[]).acceptable,
            "empty is never acceptable"
        );
    }
}
