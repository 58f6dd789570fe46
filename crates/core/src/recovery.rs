//! The recovery key: the master secret as grouped Crockford base32 with a BCH checksum.
//!
//! Layout: 59 symbols of Crockford base32 (`0-9 A-Z` without `I L O U`),
//! shown as 12 dash-separated groups (eleven of five, one of four):
//!
//! * symbol 0: format version (`1`);
//! * symbols 1..=52: the 32-byte master secret, big-endian, 5 bits per
//!   symbol; the last symbol's low 4 bits are zero;
//! * symbols 53..=58: a Bech32m checksum (the BCH code of BIP 350) over the
//!   human-readable part `coffer-recovery` and symbols 0..=52.
//!
//! The checksum detects every error that touches at most four symbols, so a
//! single substitution or a swap of two adjacent symbols is always reported,
//! never accepted. Parsing ignores case, spaces and dashes, and reads the
//! Crockford look-alikes `I`/`L` as `1` and `O` as `0`.

use secrecy::{ExposeSecret, SecretString};
use zeroize::{Zeroize, Zeroizing};

use crate::keys::{KEY_LEN, MasterSecret};

/// The recovery key format version this build writes and reads.
pub const VERSION: u8 = 1;
const DATA_SYMBOLS: usize = 52;
const CHECK_SYMBOLS: usize = 6;
/// Number of symbols in a recovery key.
pub const SYMBOLS: usize = 1 + DATA_SYMBOLS + CHECK_SYMBOLS;
const GROUP: usize = 5;
const HRP: &[u8] = b"coffer-recovery";
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BECH32M_CONST: u32 = 0x2bc8_30a3;

/// What is wrong with a typed recovery key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecoveryError {
    /// A character outside the alphabet.
    #[error(
        "the recovery key contains {ch:?} at symbol {position}, which is not a recovery key character"
    )]
    InvalidCharacter {
        /// The offending character.
        ch: char,
        /// Its index among the symbols (ignoring spaces and dashes), from 1.
        position: usize,
    },
    /// Too many or too few symbols.
    #[error(
        "the recovery key has {found} characters, expected {SYMBOLS}; check for a missing or extra group"
    )]
    WrongLength {
        /// Number of symbols found.
        found: usize,
    },
    /// The checksum does not match: a typo somewhere.
    #[error(
        "the recovery key contains a typo (its checksum does not match); check each group carefully"
    )]
    ChecksumMismatch,
    /// A recovery key from another format version.
    #[error("unsupported recovery key version {0}; this build reads version {VERSION}")]
    UnsupportedVersion(u8),
    /// Valid checksum but non-zero padding bits: not a key this format writes.
    #[error("the recovery key is not in canonical form")]
    NonCanonical,
}

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expanded() -> impl Iterator<Item = u8> {
    HRP.iter()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(HRP.iter().map(|c| c & 31))
}

fn checksum(symbols: &[u8]) -> [u8; CHECK_SYMBOLS] {
    let pm = polymod(
        hrp_expanded()
            .chain(symbols.iter().copied())
            .chain([0u8; CHECK_SYMBOLS]),
    ) ^ BECH32M_CONST;
    let mut out = [0u8; CHECK_SYMBOLS];
    for (i, o) in out.iter_mut().enumerate() {
        // Five bits per symbol, most significant first; the mask keeps the cast lossless.
        *o = ((pm >> (5 * (CHECK_SYMBOLS - 1 - i))) & 31) as u8;
    }
    out
}

/// Encodes the master secret as a recovery key, e.g.
/// `1ABCD-EFGH0-…-WXYZ`. Show it once; never store it.
pub fn encode(master: &MasterSecret) -> SecretString {
    let mut symbols = Zeroizing::new(Vec::with_capacity(SYMBOLS));
    symbols.push(VERSION);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in master.expose_secret() {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            symbols.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        symbols.push(((acc << (5 - bits)) & 31) as u8);
    }
    acc.zeroize();
    let check = checksum(&symbols);
    symbols.extend_from_slice(&check);

    let mut out = String::with_capacity(SYMBOLS + SYMBOLS / GROUP);
    for (i, s) in symbols.iter().enumerate() {
        if i > 0 && i % GROUP == 0 {
            out.push('-');
        }
        if let Some(&c) = ALPHABET.get(usize::from(*s)) {
            out.push(char::from(c));
        }
    }
    SecretString::from(out)
}

fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| char::from(a) == c)
        .and_then(|p| u8::try_from(p).ok())
}

/// Parses a typed recovery key back into the master secret.
pub fn decode(text: &SecretString) -> Result<MasterSecret, RecoveryError> {
    let mut symbols = Zeroizing::new(Vec::with_capacity(SYMBOLS));
    for c in text.expose_secret().chars() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        let v = symbol_value(c).ok_or(RecoveryError::InvalidCharacter {
            ch: c,
            position: symbols.len() + 1,
        })?;
        symbols.push(v);
    }
    if symbols.len() != SYMBOLS {
        return Err(RecoveryError::WrongLength {
            found: symbols.len(),
        });
    }
    if polymod(hrp_expanded().chain(symbols.iter().copied())) != BECH32M_CONST {
        return Err(RecoveryError::ChecksumMismatch);
    }
    let version = symbols.first().copied().unwrap_or_default();
    if version != VERSION {
        return Err(RecoveryError::UnsupportedVersion(version));
    }
    let data = symbols
        .get(1..=DATA_SYMBOLS)
        .ok_or(RecoveryError::WrongLength {
            found: symbols.len(),
        })?;
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut out = bytes.iter_mut();
    for &s in data {
        acc = ((acc << 5) | u32::from(s)) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            if let Some(o) = out.next() {
                *o = ((acc >> bits) & 0xff) as u8;
            }
        }
    }
    // 52 × 5 = 260 bits: the 4 left over must be zero.
    let leftover = acc & ((1 << bits) - 1);
    acc.zeroize();
    if bits != 4 || leftover != 0 {
        return Err(RecoveryError::NonCanonical);
    }
    Ok(MasterSecret::from_bytes(&mut bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample(seed: u64) -> MasterSecret {
        MasterSecret::generate(&mut rand::rngs::StdRng::seed_from_u64(seed))
    }

    fn s(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[test]
    fn round_trip_and_shape() {
        for seed in 0..50 {
            let m = sample(seed);
            let key = encode(&m);
            let text = key.expose_secret();
            assert_eq!(text.len(), SYMBOLS + 11);
            assert_eq!(text.split('-').count(), 12);
            assert!(text.starts_with('1'));
            assert!(decode(&key).unwrap().ct_eq(&m));
        }
        let zero = MasterSecret::from_bytes(&mut [0u8; KEY_LEN]);
        assert!(decode(&encode(&zero)).unwrap().ct_eq(&zero));
        let ones = MasterSecret::from_bytes(&mut [0xff; KEY_LEN]);
        assert!(decode(&encode(&ones)).unwrap().ct_eq(&ones));
    }

    #[test]
    fn tolerates_case_spaces_dashes_and_lookalikes() {
        let m = sample(1);
        let key = encode(&m).expose_secret().to_owned();
        let variants = [
            key.to_lowercase(),
            key.replace('-', " "),
            key.replace('-', ""),
            format!("  {}\n", key.replace('-', " - ")),
            key.replace('1', "l").replace('0', "o"),
            key.replace('1', "I"),
        ];
        for v in variants {
            assert!(decode(&s(&v)).unwrap().ct_eq(&m), "{v}");
        }
    }

    fn compact(m: &MasterSecret) -> Vec<char> {
        encode(m)
            .expose_secret()
            .chars()
            .filter(|c| *c != '-')
            .collect()
    }

    #[test]
    fn every_single_substitution_is_detected() {
        for seed in 0..5 {
            let chars = compact(&sample(seed));
            for i in 0..chars.len() {
                for &a in ALPHABET {
                    let a = char::from(a);
                    if a == chars[i] {
                        continue;
                    }
                    let mut typo = chars.clone();
                    typo[i] = a;
                    let text: String = typo.into_iter().collect();
                    assert!(
                        decode(&s(&text)).is_err(),
                        "accepted substitution at {i}: {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_is_detected() {
        for seed in 0..20 {
            let chars = compact(&sample(seed));
            for i in 0..chars.len() - 1 {
                if chars[i] == chars[i + 1] {
                    continue;
                }
                let mut typo = chars.clone();
                typo.swap(i, i + 1);
                let text: String = typo.into_iter().collect();
                assert_eq!(
                    decode(&s(&text)).err(),
                    Some(RecoveryError::ChecksumMismatch),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn clear_errors() {
        let key: String = compact(&sample(3)).into_iter().collect();
        assert_eq!(
            decode(&s(&key[..key.len() - 5])).err(),
            Some(RecoveryError::WrongLength { found: SYMBOLS - 5 })
        );
        assert_eq!(
            decode(&s(&format!("{key}A"))).err(),
            Some(RecoveryError::WrongLength { found: SYMBOLS + 1 })
        );
        assert!(matches!(
            decode(&s(&format!("U{}", &key[1..]))).err(),
            Some(RecoveryError::InvalidCharacter {
                ch: 'U',
                position: 1
            })
        ));
        assert_eq!(
            decode(&s("")).err(),
            Some(RecoveryError::WrongLength { found: 0 })
        );
    }

    #[test]
    fn other_versions_and_padding_are_rejected() {
        // Hand-build keys with a valid checksum but wrong version / padding.
        let m = sample(4);
        let chars = compact(&m);
        let mut symbols: Vec<u8> = chars[..SYMBOLS - CHECK_SYMBOLS]
            .iter()
            .map(|c| symbol_value(*c).unwrap())
            .collect();
        symbols[0] = 2;
        let build = |symbols: &[u8]| -> String {
            symbols
                .iter()
                .chain(checksum(symbols).iter())
                .map(|v| char::from(ALPHABET[usize::from(*v)]))
                .collect()
        };
        assert_eq!(
            decode(&s(&build(&symbols))).err(),
            Some(RecoveryError::UnsupportedVersion(2))
        );
        symbols[0] = 1;
        symbols[DATA_SYMBOLS] |= 1;
        assert_eq!(
            decode(&s(&build(&symbols))).err(),
            Some(RecoveryError::NonCanonical)
        );
    }
}
