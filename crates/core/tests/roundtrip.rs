//! Property tests: open(seal(x)) == x for arbitrary originals, folders and flags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use coffer_core::seal::{self, Authenticity, InternalDate, SealInput};
use coffer_core::{MasterSecret, VaultKeys};
use proptest::prelude::*;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn keys() -> VaultKeys {
    MasterSecret::from_bytes(&mut [0x5a; 32]).derive().unwrap()
}

fn flag() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\\Seen".to_string()),
        Just("\\Answered".to_string()),
        Just("\\Flagged".to_string()),
        Just("\\Draft".to_string()),
        "[$A-Za-z0-9_.-]{1,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn open_seal_is_identity(
        original in prop::collection::vec(any::<u8>(), 0..20_000),
        folder in "[^\\p{Cc}]{1,40}",
        flags in prop::collection::vec(flag(), 0..6),
        unix in -2_208_988_800i64..253_402_200_000,
        offset in -1439i16..=1439,
    ) {
        let keys = keys();
        let input = SealInput {
            folder: &folder,
            flags: &flags,
            internaldate: InternalDate::new(unix, offset).unwrap(),
            original: &original,
        };
        let mut rng = ChaCha20Rng::seed_from_u64(original.len() as u64);
        let sealed = seal::seal(&keys, &input, &mut rng).unwrap();
        let opened = seal::open(&keys, &sealed).unwrap();
        prop_assert_eq!(&opened.original, &original);
        prop_assert_eq!(opened.authenticity, Authenticity::Verified);
        prop_assert_eq!(&opened.manifest.folder, &folder);
        prop_assert_eq!(opened.manifest.internaldate, input.internaldate);
        let mut want = flags.clone();
        want.sort();
        want.dedup();
        prop_assert_eq!(&opened.manifest.flags, &want);
        prop_assert!(seal::inspect(&sealed).is_ok());
    }

    #[test]
    fn a_changed_byte_is_never_verified_with_other_content(
        original in prop::collection::vec(any::<u8>(), 0..3_000),
        pos in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        let keys = keys();
        let input = SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: InternalDate::new(1_751_364_000, 0).unwrap(),
            original: &original,
        };
        let mut sealed = seal::seal(&keys, &input, &mut ChaCha20Rng::seed_from_u64(9)).unwrap();
        let i = pos.index(sealed.len());
        sealed[i] ^= xor;
        // Only the random Message-ID may change without breaking the seal.
        if let Ok(opened) = seal::open(&keys, &sealed) {
            prop_assert_eq!(opened.authenticity, Authenticity::Verified);
            prop_assert_eq!(&opened.original, &original);
        }
    }

    #[test]
    fn open_never_panics_on_garbage(bytes in prop::collection::vec(any::<u8>(), 0..4_000)) {
        let _ = seal::open(&keys(), &bytes);
        let _ = seal::inspect(&bytes);
    }
}

#[test]
fn multi_megabyte_message_round_trips() {
    let keys = keys();
    let mut original = vec![0u8; 6 * 1024 * 1024 + 12_345];
    ChaCha20Rng::seed_from_u64(6).fill_bytes(&mut original);
    let input = SealInput {
        folder: "INBOX",
        flags: &[],
        internaldate: InternalDate::new(1_751_364_000, 0).unwrap(),
        original: &original,
    };
    let sealed = seal::seal(&keys, &input, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    let info = seal::inspect(&sealed).unwrap();
    assert!(info.padded_len >= original.len() as u64);
    assert!(info.padded_len <= original.len() as u64 * 112 / 100);
    let opened = seal::open(&keys, &sealed).unwrap();
    assert_eq!(opened.authenticity, Authenticity::Verified);
    assert!(opened.original == original);
}
