//! The organisation escrow recipient: an age public key pinned by its fingerprint.
//!
//! A firm's provisioning profile names its escrow recipient (`age1…`)
//! together with a fingerprint, so that a profile edited on its way to a
//! laptop cannot swap in someone else's key unnoticed. The fingerprint is
//! the first 16 bytes of SHA-256 over the recipient's canonical `age1…`
//! string (lower case, as age prints it), in hex, in eight groups of four:
//! `3f1c 9a0b 7d22 e410 5b6e 0c9d 81fa 2c47` (`docs/PROFILE.md`).

use sha2::{Digest as _, Sha256};

use crate::Recipient;

/// Why an escrow recipient is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscrowError {
    /// Not an age X25519 recipient.
    #[error("{0:?} is not an age recipient (age1…)")]
    NotARecipient(String),
    /// The fingerprint given does not match the recipient.
    #[error(
        "the escrow recipient's fingerprint is {actual}, not {given} as given: the key may have \
         been swapped; nothing was changed"
    )]
    FingerprintMismatch {
        /// The fingerprint as given.
        given: String,
        /// The recipient's real fingerprint.
        actual: String,
    },
}

/// The fingerprint of `recipient`, as people compare it.
pub fn fingerprint(recipient: &Recipient) -> String {
    let digest = Sha256::digest(recipient.to_string().as_bytes());
    let hex = crate::hex(digest.get(..16).unwrap_or_default());
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `recipient` (an `age1…` string), checked against `given_fingerprint`
/// (spaces, colons and case ignored).
pub fn pinned(recipient: &str, given_fingerprint: &str) -> Result<Recipient, EscrowError> {
    let r: Recipient = recipient
        .trim()
        .parse()
        .map_err(|_| EscrowError::NotARecipient(recipient.trim().to_owned()))?;
    let actual = fingerprint(&r);
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_hexdigit())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    if norm(&actual) != norm(given_fingerprint) {
        return Err(EscrowError::FingerprintMismatch {
            given: given_fingerprint.trim().to_owned(),
            actual,
        });
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MasterSecret;

    #[test]
    fn a_fingerprint_pins_its_recipient_and_no_other() {
        let a = MasterSecret::from_bytes(&mut [1; 32])
            .derive()
            .unwrap()
            .recipient();
        let b = MasterSecret::from_bytes(&mut [2; 32])
            .derive()
            .unwrap()
            .recipient();
        let fa = fingerprint(&a);
        assert_eq!(fa.len(), 39, "{fa}");
        assert_eq!(fa.split(' ').count(), 8);
        assert_eq!(pinned(&a.to_string(), &fa).unwrap(), a);
        // Case, colons and spacing do not matter.
        let loose = fa.to_uppercase().replace(' ', ":");
        assert_eq!(pinned(&a.to_string(), &loose).unwrap(), a);
        let err = pinned(&b.to_string(), &fa).unwrap_err();
        assert!(
            matches!(err, EscrowError::FingerprintMismatch { .. }),
            "{err}"
        );
        assert!(matches!(
            pinned("age1nonsense", &fa).unwrap_err(),
            EscrowError::NotARecipient(_)
        ));
    }

    #[test]
    fn the_fingerprint_is_sha256_of_the_age1_string() {
        let a = MasterSecret::from_bytes(&mut [3; 32])
            .derive()
            .unwrap()
            .recipient();
        let digest = Sha256::digest(a.to_string().as_bytes());
        let want = crate::hex(&digest[..16]);
        assert_eq!(fingerprint(&a).replace(' ', ""), want);
    }
}
