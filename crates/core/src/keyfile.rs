//! The key file: the master secret wrapped under the passphrase (Argon2id + XChaCha20-Poly1305).
//!
//! Layout (all integers big-endian; see `docs/FORMAT.md`, "Key file"):
//!
//! ```text
//! offset size  field
//!      0    8  magic "COFFERKF"
//!      8    1  version = 1
//!      9    4  Argon2id memory cost m, in KiB
//!     13    4  Argon2id time cost t (passes)
//!     17    4  Argon2id parallelism p (lanes)
//!     21   16  salt
//!     37   24  XChaCha20-Poly1305 nonce
//!     61   48  ciphertext of the 32-byte master secret + 16-byte tag
//!    109       end (no trailing bytes)
//! ```
//!
//! The AEAD key is Argon2id(passphrase, salt, m, t, p) → 32 bytes; the associated
//! data is bytes 0..61 (everything before the ciphertext), so a changed
//! parameter, salt or version makes unlocking fail instead of silently
//! deriving a different key.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::codec::Reader;
use crate::keys::{KEY_LEN, MasterSecret};

/// The first eight bytes of every key file.
pub const MAGIC: &[u8; 8] = b"COFFERKF";
/// The key file version this build writes and reads.
pub const VERSION: u8 = 1;
/// Length of the Argon2id salt.
pub const SALT_LEN: usize = 16;
/// Length of the XChaCha20-Poly1305 nonce.
pub const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + 1 + 12 + SALT_LEN + NONCE_LEN;
/// Exact length of a version-1 key file.
pub const FILE_LEN: usize = HEADER_LEN + KEY_LEN + TAG_LEN;

/// What can go wrong reading, writing or unlocking a key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file does not start with the key file magic.
    #[error("not a Coffer key file (wrong magic bytes)")]
    NotAKeyFile,
    /// The file was written by a newer (or unknown) version of Coffer.
    #[error("unsupported key file version {0}; this build reads version {VERSION}")]
    UnsupportedVersion(u8),
    /// The file ends early.
    #[error("key file is truncated: {len} bytes, expected {FILE_LEN}")]
    Truncated {
        /// Length found.
        len: usize,
    },
    /// The file has bytes after its end.
    #[error("key file is corrupt: {extra} unexpected bytes after the end")]
    TrailingBytes {
        /// Number of extra bytes.
        extra: usize,
    },
    /// The stored Argon2id parameters are weaker than the floor.
    #[error(
        "key file is corrupt or tampered: Argon2id parameters m={m_kib} KiB, t={t}, p={p} are below the floor m={} KiB, t={}, p={}",
        KdfParams::FLOOR.m_kib, KdfParams::FLOOR.t, KdfParams::FLOOR.p
    )]
    ParamsBelowFloor {
        /// Memory cost in KiB.
        m_kib: u32,
        /// Time cost.
        t: u32,
        /// Parallelism.
        p: u32,
    },
    /// The stored Argon2id parameters exceed what this build will run.
    #[error(
        "key file is corrupt: Argon2id parameters m={m_kib} KiB, t={t}, p={p} exceed the limit m={} KiB, t={}, p={}",
        KdfParams::LIMIT.m_kib, KdfParams::LIMIT.t, KdfParams::LIMIT.p
    )]
    ParamsAboveLimit {
        /// Memory cost in KiB.
        m_kib: u32,
        /// Time cost.
        t: u32,
        /// Parallelism.
        p: u32,
    },
    /// The passphrase is wrong (or the ciphertext was altered: the two cannot
    /// be told apart, by design).
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// An empty passphrase was offered for a new key file.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// Argon2 rejected the parameters or failed.
    #[error("Argon2id failed: {0}")]
    Kdf(String),
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl KdfParams {
    /// The weakest parameters ever accepted: m = 64 MiB, t = 3, p = 4.
    pub const FLOOR: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };

    /// The strongest parameters this build will run (protects against a
    /// corrupted file asking for terabytes of memory).
    pub const LIMIT: KdfParams = KdfParams {
        m_kib: 4 * 1024 * 1024,
        t: 64,
        p: 64,
    };

    /// The current default, calibrated so that unlocking takes about half a
    /// second on the reference machine (2 cores; `cargo bench -p coffer-core`
    /// prints the figure). The `argon2` crate computes lanes sequentially,
    /// so time grows with m × t and not with p. Memory is 128 MiB rather
    /// than 256 MiB with t = 3 (the same time): the whole `coffer seal`
    /// process must stay under 200 MB of peak RSS, and the Argon2id buffer
    /// is the largest allocation it ever makes.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 128 * 1024,
        t: 6,
        p: 4,
    };

    /// Parameters checked against [`KdfParams::FLOOR`] and [`KdfParams::LIMIT`].
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self, KeyFileError> {
        let params = Self { m_kib, t, p };
        if m_kib < Self::FLOOR.m_kib || t < Self::FLOOR.t || p < Self::FLOOR.p {
            return Err(KeyFileError::ParamsBelowFloor { m_kib, t, p });
        }
        params.check_limit()?;
        Ok(params)
    }

    /// TEST ONLY: cheap parameters below the floor, so debug-mode tests do not
    /// spend seconds in Argon2id. Not compiled into production builds; a key
    /// file written with them is rejected by [`KeyFile::parse`].
    #[cfg(any(test, feature = "test-support"))]
    pub fn new_unchecked_for_tests(m_kib: u32, t: u32, p: u32) -> Self {
        Self { m_kib, t, p }
    }

    fn check_limit(&self) -> Result<(), KeyFileError> {
        if self.m_kib > Self::LIMIT.m_kib || self.t > Self::LIMIT.t || self.p > Self::LIMIT.p {
            return Err(KeyFileError::ParamsAboveLimit {
                m_kib: self.m_kib,
                t: self.t,
                p: self.p,
            });
        }
        Ok(())
    }

    /// Memory cost in KiB.
    pub fn m_kib(&self) -> u32 {
        self.m_kib
    }

    /// Time cost (passes over memory).
    pub fn t(&self) -> u32 {
        self.t
    }

    /// Parallelism (lanes).
    pub fn p(&self) -> u32 {
        self.p
    }

    /// True when any parameter is below `target`.
    pub fn is_below(&self, target: &KdfParams) -> bool {
        self.m_kib < target.m_kib || self.t < target.t || self.p < target.p
    }

    /// The component-wise maximum: raising to `target` never lowers a cost.
    pub fn raised_to(&self, target: &KdfParams) -> KdfParams {
        KdfParams {
            m_kib: self.m_kib.max(target.m_kib),
            t: self.t.max(target.t),
            p: self.p.max(target.p),
        }
    }

    fn derive_key(
        &self,
        passphrase: &SecretString,
        salt: &[u8; SALT_LEN],
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyFileError> {
        let params = Params::new(self.m_kib, self.t, self.p, Some(KEY_LEN))
            .map_err(|e| KeyFileError::Kdf(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        argon
            .hash_password_into(passphrase.expose_secret().as_bytes(), salt, key.as_mut())
            .map_err(|e| KeyFileError::Kdf(e.to_string()))?;
        Ok(key)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A parsed key file. Holds no plaintext secret until [`KeyFile::unlock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFile {
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: [u8; KEY_LEN + TAG_LEN],
}

impl KeyFile {
    /// Wraps `master` under `passphrase` with fresh salt and nonce.
    pub fn create<R: RngCore + CryptoRng>(
        master: &MasterSecret,
        passphrase: &SecretString,
        params: KdfParams,
        rng: &mut R,
    ) -> Result<Self, KeyFileError> {
        if passphrase.expose_secret().is_empty() {
            return Err(KeyFileError::EmptyPassphrase);
        }
        params.check_limit()?;
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut file = Self {
            params,
            salt,
            nonce,
            ciphertext: [0u8; KEY_LEN + TAG_LEN],
        };
        let key = params.derive_key(passphrase, &salt)?;
        let aad = file.header();
        let sealed = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.as_slice()))
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: master.expose_secret(),
                    aad: &aad,
                },
            )
            .map_err(|_| KeyFileError::Kdf("AEAD encryption failed".into()))?;
        file.ciphertext = sealed
            .as_slice()
            .try_into()
            .map_err(|_| KeyFileError::Kdf("unexpected AEAD output length".into()))?;
        Ok(file)
    }

    /// Parses a key file strictly, enforcing the Argon2id floor.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyFileError> {
        let file = Self::parse_structure(bytes)?;
        let p = file.params;
        KdfParams::new(p.m_kib, p.t, p.p)?;
        Ok(file)
    }

    /// TEST ONLY: parses without the Argon2id floor, so tests can store key
    /// files made with [`KdfParams::new_unchecked_for_tests`].
    #[cfg(any(test, feature = "test-support"))]
    pub fn parse_for_tests(bytes: &[u8]) -> Result<Self, KeyFileError> {
        let file = Self::parse_structure(bytes)?;
        file.params.check_limit()?;
        Ok(file)
    }

    fn parse_structure(bytes: &[u8]) -> Result<Self, KeyFileError> {
        let truncated = KeyFileError::Truncated { len: bytes.len() };
        match bytes.get(..MAGIC.len()) {
            Some(m) if m == MAGIC => {}
            Some(_) => return Err(KeyFileError::NotAKeyFile),
            None if MAGIC.starts_with(bytes) => return Err(truncated),
            None => return Err(KeyFileError::NotAKeyFile),
        }
        let mut r = Reader::new(bytes);
        r.take(MAGIC.len()).ok_or(KeyFileError::NotAKeyFile)?;
        let version = r.u8().ok_or(truncated)?;
        if version != VERSION {
            return Err(KeyFileError::UnsupportedVersion(version));
        }
        if bytes.len() < FILE_LEN {
            return Err(KeyFileError::Truncated { len: bytes.len() });
        }
        if bytes.len() > FILE_LEN {
            return Err(KeyFileError::TrailingBytes {
                extra: bytes.len() - FILE_LEN,
            });
        }
        let short = || KeyFileError::Truncated { len: bytes.len() };
        let params = KdfParams {
            m_kib: r.u32().ok_or_else(short)?,
            t: r.u32().ok_or_else(short)?,
            p: r.u32().ok_or_else(short)?,
        };
        Ok(Self {
            params,
            salt: r.array().ok_or_else(short)?,
            nonce: r.array().ok_or_else(short)?,
            ciphertext: r.array().ok_or_else(short)?,
        })
    }

    fn header(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.params.m_kib.to_be_bytes());
        out.extend_from_slice(&self.params.t.to_be_bytes());
        out.extend_from_slice(&self.params.p.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.nonce);
        out
    }

    /// The canonical encoding ([`FILE_LEN`] bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// The stored Argon2id parameters.
    pub fn params(&self) -> KdfParams {
        self.params
    }

    /// True when the stored parameters are below [`KdfParams::default`]: the
    /// caller should re-wrap with [`KeyFile::upgraded`] after a successful
    /// unlock.
    pub fn needs_upgrade(&self) -> bool {
        self.params.is_below(&KdfParams::default())
    }

    /// Unwraps the master secret. Any AEAD failure is [`KeyFileError::WrongPassphrase`].
    pub fn unlock(&self, passphrase: &SecretString) -> Result<MasterSecret, KeyFileError> {
        let key = self.params.derive_key(passphrase, &self.salt)?;
        let aad = self.header();
        let plain = Zeroizing::new(
            XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.as_slice()))
                .decrypt(
                    XNonce::from_slice(&self.nonce),
                    Payload {
                        msg: &self.ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| KeyFileError::WrongPassphrase)?,
        );
        let mut bytes: Zeroizing<[u8; KEY_LEN]> = Zeroizing::new(
            plain
                .as_slice()
                .try_into()
                .map_err(|_| KeyFileError::WrongPassphrase)?,
        );
        Ok(MasterSecret::from_bytes(&mut bytes))
    }

    /// A new key file for the same master secret and passphrase with the
    /// parameters raised to the default (fresh salt and nonce). Used after a
    /// successful unlock when [`KeyFile::needs_upgrade`] is true.
    pub fn upgraded<R: RngCore + CryptoRng>(
        &self,
        master: &MasterSecret,
        passphrase: &SecretString,
        rng: &mut R,
    ) -> Result<Self, KeyFileError> {
        Self::create(
            master,
            passphrase,
            self.params.raised_to(&KdfParams::default()),
            rng,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn cheap() -> KdfParams {
        KdfParams::new_unchecked_for_tests(64, 1, 1)
    }

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn sample() -> (MasterSecret, KeyFile) {
        let mut rng = StdRng::seed_from_u64(42);
        let master = MasterSecret::generate(&mut rng);
        let file = KeyFile::create(&master, &pass("correct horse"), cheap(), &mut rng).unwrap();
        (master, file)
    }

    #[test]
    fn round_trip_and_unlock() {
        let (master, file) = sample();
        let bytes = file.to_bytes();
        assert_eq!(bytes.len(), FILE_LEN);
        let parsed = KeyFile::parse_for_tests(&bytes).unwrap();
        assert_eq!(parsed, file);
        let unlocked = parsed.unlock(&pass("correct horse")).unwrap();
        assert!(unlocked.ct_eq(&master));
    }

    #[test]
    fn wrong_passphrase_is_one_opaque_error() {
        let (_, file) = sample();
        assert!(matches!(
            file.unlock(&pass("wrong")),
            Err(KeyFileError::WrongPassphrase)
        ));
        // A flipped ciphertext or header bit reads the same.
        let mut bytes = file.to_bytes();
        if let Some(b) = bytes.last_mut() {
            *b ^= 1;
        }
        let tampered = KeyFile::parse_for_tests(&bytes).unwrap();
        assert!(matches!(
            tampered.unlock(&pass("correct horse")),
            Err(KeyFileError::WrongPassphrase)
        ));
        let mut bytes = file.to_bytes();
        if let Some(b) = bytes.get_mut(30) {
            *b ^= 1; // inside the salt
        }
        let tampered = KeyFile::parse_for_tests(&bytes).unwrap();
        assert!(matches!(
            tampered.unlock(&pass("correct horse")),
            Err(KeyFileError::WrongPassphrase)
        ));
    }

    #[test]
    fn strict_parsing_has_distinct_errors() {
        let (_, file) = sample();
        let good = file.to_bytes();

        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(matches!(
            KeyFile::parse_for_tests(&bad),
            Err(KeyFileError::NotAKeyFile)
        ));
        assert!(matches!(
            KeyFile::parse_for_tests(b"hello world, not a key"),
            Err(KeyFileError::NotAKeyFile)
        ));

        let mut bad = good.clone();
        bad[8] = 2;
        assert!(matches!(
            KeyFile::parse_for_tests(&bad),
            Err(KeyFileError::UnsupportedVersion(2))
        ));

        for len in [0, 3, 8, 9, 50, FILE_LEN - 1] {
            assert!(
                matches!(
                    KeyFile::parse_for_tests(&good[..len]),
                    Err(KeyFileError::Truncated { .. })
                ),
                "len {len}"
            );
        }

        let mut bad = good.clone();
        bad.push(0);
        assert!(matches!(
            KeyFile::parse_for_tests(&bad),
            Err(KeyFileError::TrailingBytes { extra: 1 })
        ));

        // Production parsing enforces the floor.
        assert!(matches!(
            KeyFile::parse(&good),
            Err(KeyFileError::ParamsBelowFloor { .. })
        ));

        let mut bad = good.clone();
        bad[9..13].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            KeyFile::parse_for_tests(&bad),
            Err(KeyFileError::ParamsAboveLimit { .. })
        ));
    }

    #[test]
    fn floor_applies_to_every_parameter() {
        assert!(KdfParams::new(64 * 1024, 3, 4).is_ok());
        assert!(KdfParams::new(64 * 1024 - 1, 3, 4).is_err());
        assert!(KdfParams::new(64 * 1024, 2, 4).is_err());
        assert!(KdfParams::new(64 * 1024, 3, 3).is_err());
        assert!(
            KdfParams::new(
                KdfParams::DEFAULT.m_kib,
                KdfParams::DEFAULT.t,
                KdfParams::DEFAULT.p
            )
            .is_ok()
        );
    }

    #[test]
    fn floor_file_parses_and_needs_upgrade() {
        // Build a floor-parameter file by hand (no Argon2 run needed to parse).
        let (_, file) = sample();
        let mut bytes = file.to_bytes();
        bytes[9..13].copy_from_slice(&KdfParams::FLOOR.m_kib.to_be_bytes());
        bytes[13..17].copy_from_slice(&KdfParams::FLOOR.t.to_be_bytes());
        bytes[17..21].copy_from_slice(&KdfParams::FLOOR.p.to_be_bytes());
        let parsed = KeyFile::parse(&bytes).unwrap();
        assert_eq!(parsed.params(), KdfParams::FLOOR);
        assert_eq!(
            parsed.needs_upgrade(),
            KdfParams::FLOOR.is_below(&KdfParams::DEFAULT)
        );
        let raised = parsed.params().raised_to(&KdfParams::DEFAULT);
        assert!(!raised.is_below(&KdfParams::DEFAULT));
    }

    #[test]
    fn upgrade_rewraps_the_same_secret() {
        let (master, file) = sample();
        assert!(file.needs_upgrade());
        // Upgrading to the real default costs real Argon2 time; check the
        // mechanics with another cheap target instead.
        let target = KdfParams::new_unchecked_for_tests(128, 2, 1);
        let mut rng = StdRng::seed_from_u64(7);
        let up = KeyFile::create(
            &master,
            &pass("correct horse"),
            file.params().raised_to(&target),
            &mut rng,
        )
        .unwrap();
        assert_eq!(up.params(), target);
        assert!(up.unlock(&pass("correct horse")).unwrap().ct_eq(&master));
        assert_ne!(up.to_bytes(), file.to_bytes());
    }

    #[test]
    fn empty_passphrase_is_refused() {
        let mut rng = StdRng::seed_from_u64(1);
        let master = MasterSecret::generate(&mut rng);
        assert!(matches!(
            KeyFile::create(&master, &pass(""), cheap(), &mut rng),
            Err(KeyFileError::EmptyPassphrase)
        ));
    }

    #[test]
    fn key_file_has_no_plaintext_secret() {
        let (master, file) = sample();
        let bytes = file.to_bytes();
        assert!(!bytes.windows(KEY_LEN).any(|w| w == master.expose_secret()));
        assert!(!bytes.windows(13).any(|w| w == b"correct horse"));
    }
}
