//! Checking a sealed copy fetched back from the server: same bytes as appended, opens, genuine, same original.

use coffer_core::{Authenticity, VaultKeys};

/// Checks `fetched` (the copy as the server now serves it). `appended` is
/// what was sent, or `None` for a copy a previous run made (nothing to
/// byte-compare with; it must still open, be genuine and hold the same
/// original). Returns why the copy is not good enough to delete the
/// original for.
pub(super) fn verify_copy(
    keys: &VaultKeys,
    fetched: &[u8],
    appended: Option<&[u8]>,
    original_sha256: &[u8; 32],
) -> Result<(), String> {
    if let Some(appended) = appended
        && fetched != appended
    {
        return Err(format!(
            "the sealed copy fetched back ({} bytes) differs from what was appended ({} bytes)",
            fetched.len(),
            appended.len()
        ));
    }
    // `open` checks that the original inside hashes to the manifest's
    // SHA-256; that digest must be the one of the original on the server.
    let opened = coffer_core::open(keys, fetched)
        .map_err(|e| format!("the sealed copy fetched back does not open: {e}"))?;
    if opened.authenticity != Authenticity::Verified {
        return Err("the sealed copy fetched back is not verified as this vault's".to_owned());
    }
    if &opened.manifest.original_sha256 != original_sha256 {
        return Err("the sealed copy decrypts to something other than the original".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use coffer_core::{InternalDate, MasterSecret, SealInput};
    use sha2::{Digest as _, Sha256};

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
        verify_copy(&keys, &sealed, Some(&sealed), &sha).unwrap();
        verify_copy(&keys, &sealed, None, &sha).unwrap();
        let mut changed = sealed.clone();
        let last = changed.len() - 3;
        changed[last] ^= 1;
        assert!(verify_copy(&keys, &changed, Some(&sealed), &sha).is_err());
        assert!(verify_copy(&keys, &changed, None, &sha).is_err());
        assert!(verify_copy(&keys, &sealed, Some(&sealed), &[0; 32]).is_err());
        let other = MasterSecret::from_bytes(&mut [6; 32]).derive().unwrap();
        assert!(verify_copy(&other, &sealed, None, &sha).is_err());
    }
}
