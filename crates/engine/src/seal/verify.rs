//! Checking a sealed copy fetched back from the server: same bytes as appended, opens, genuine, same original.

use coffer_core::{Authenticity, VaultKeys};
use sha2::{Digest as _, Sha256};

/// What was appended, remembered as its length and SHA-256 so the copy
/// need not stay in memory while the server stores it: a fetched copy that
/// differs in any byte has a different digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Appended {
    pub(super) len: usize,
    pub(super) sha256: [u8; 32],
}

impl Appended {
    pub(super) fn of(bytes: &[u8]) -> Self {
        Self {
            len: bytes.len(),
            sha256: Sha256::digest(bytes).into(),
        }
    }
}

/// Checks `fetched` (the copy as the server now serves it). `appended` is
/// `None` for a copy a previous run made (nothing to byte-compare with; it
/// must still open, be genuine and hold the same original). Returns why
/// the copy is not good enough to delete the original for.
pub(super) fn verify_copy(
    keys: &VaultKeys,
    fetched: &[u8],
    appended: Option<Appended>,
    original_sha256: &[u8; 32],
) -> Result<(), String> {
    if let Some(appended) = appended
        && Appended::of(fetched) != appended
    {
        return Err(format!(
            "the sealed copy fetched back ({} bytes) differs from what was appended ({} bytes)",
            fetched.len(),
            appended.len
        ));
    }
    let opened = coffer_core::open(keys, fetched)
        .map_err(|e| format!("the sealed copy fetched back does not open: {e}"))?;
    if opened.authenticity != Authenticity::Verified {
        return Err("the sealed copy fetched back is not verified as this vault's".to_owned());
    }
    let digest: [u8; 32] = Sha256::digest(&opened.original).into();
    if &digest != original_sha256 || &opened.manifest.original_sha256 != original_sha256 {
        return Err("the sealed copy decrypts to something other than the original".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use coffer_core::{InternalDate, MasterSecret, SealInput};

    use super::*;

    #[test]
    fn a_good_copy_passes_and_any_difference_fails() {
        let keys = MasterSecret::from_bytes(&mut [5; 32]).derive().unwrap();
        let original = b"Subject: hi\r\n\r\nbody\r\n";
        let input = SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: InternalDate::new(1_700_000_000, 0).unwrap(),
            original,
        };
        let sealed = coffer_core::seal(&keys, &input, &mut rand::rngs::OsRng).unwrap();
        let sha: [u8; 32] = Sha256::digest(original).into();
        let appended = Appended::of(&sealed);
        verify_copy(&keys, &sealed, Some(appended), &sha).unwrap();
        verify_copy(&keys, &sealed, None, &sha).unwrap();
        let mut changed = sealed.clone();
        let last = changed.len() - 3;
        changed[last] ^= 1;
        assert!(verify_copy(&keys, &changed, Some(appended), &sha).is_err());
        assert!(verify_copy(&keys, &sealed, Some(appended), &[0; 32]).is_err());
        let other = MasterSecret::from_bytes(&mut [6; 32]).derive().unwrap();
        assert!(verify_copy(&other, &sealed, None, &sha).is_err());
    }
}
