//! The key hierarchy: a random master secret and the keys HKDF derives from it.
//!
//! Every key of a vault comes from one 32-byte [`MasterSecret`] through
//! HKDF-SHA256 with a distinct label (see `docs/FORMAT.md`, "Key derivation"):
//! the raw SQLCipher key, the seal-authentication (MAC) key, the seal-id key and
//! the age X25519 identity. Changing a label changes every derived key, so the
//! labels are part of the format and never change within a format version.

use std::str::FromStr;

use age::x25519;
use hkdf::Hkdf;
use rand::{CryptoRng, RngCore};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Length in bytes of the master secret and of every derived symmetric key.
pub const KEY_LEN: usize = 32;

/// HKDF info label for the raw SQLCipher database key.
pub const LABEL_DATABASE: &[u8] = b"coffer/v1/sqlcipher-key";
/// HKDF info label for the seal-authentication (manifest MAC) key.
pub const LABEL_SEAL_AUTH: &[u8] = b"coffer/v1/seal-authentication-key";
/// HKDF info label for the seal-id key.
pub const LABEL_SEAL_ID: &[u8] = b"coffer/v1/seal-id-key";
/// HKDF info label for the age X25519 identity scalar.
pub const LABEL_AGE_IDENTITY: &[u8] = b"coffer/v1/age-x25519-identity";

/// What can go wrong while deriving keys.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// The derived scalar could not be turned into an age identity. This is a
    /// bug (the encoding is fixed), never a property of the user's secret.
    #[error("could not build the age identity from the derived key: {0}")]
    IdentityEncoding(&'static str),
}

/// The vault's 32-byte master secret. Zeroized on drop; never printed.
pub struct MasterSecret(SecretBox<[u8; KEY_LEN]>);

impl MasterSecret {
    /// Draws a new master secret from a cryptographic random source.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(SecretBox::init_with_mut(|bytes: &mut [u8; KEY_LEN]| {
            rng.fill_bytes(bytes)
        }))
    }

    /// Wraps existing secret bytes (from the key file or the recovery key).
    /// The caller's copy is zeroized.
    pub fn from_bytes(bytes: &mut [u8; KEY_LEN]) -> Self {
        let secret = Self(SecretBox::init_with_mut(|b: &mut [u8; KEY_LEN]| {
            b.copy_from_slice(bytes)
        }));
        bytes.zeroize();
        secret
    }

    /// The raw secret bytes. Only for the key file and the recovery key.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        self.0.expose_secret()
    }

    /// Constant-time equality, e.g. to confirm a typed recovery key.
    pub fn ct_eq(&self, other: &MasterSecret) -> bool {
        self.expose_secret().ct_eq(other.expose_secret()).into()
    }

    /// Derives every key of the vault.
    pub fn derive(&self) -> Result<VaultKeys, KeysError> {
        VaultKeys::derive(self)
    }

    fn expand(&self, label: &[u8]) -> SecretBox<[u8; KEY_LEN]> {
        // HKDF-SHA256, empty salt (RFC 5869 then uses HashLen zero bytes): the
        // input is already uniformly random, so a salt adds nothing.
        let hk = Hkdf::<Sha256>::new(None, self.expose_secret());
        SecretBox::init_with_mut(|okm: &mut [u8; KEY_LEN]| {
            // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand
            // cannot fail; should it ever, the key stays all-zero and every
            // seal/open with it fails its MAC check instead of passing.
            if hk.expand(label, okm).is_err() {
                okm.zeroize();
            }
        })
    }
}

impl std::fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterSecret([REDACTED])")
    }
}

/// The raw 32-byte SQLCipher key. Passed raw so SQLCipher skips its own PBKDF2.
pub struct DatabaseKey(SecretBox<[u8; KEY_LEN]>);

impl DatabaseKey {
    /// The key bytes.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        self.0.expose_secret()
    }

    /// The key as SQLCipher's raw-key literal `x'<64 uppercase hex digits>'`.
    /// Use it quoted: `PRAGMA key = "x'…'";`.
    pub fn sqlcipher_raw_key(&self) -> SecretString {
        let mut out = String::with_capacity(3 + 2 * KEY_LEN);
        out.push_str("x'");
        push_hex_upper(&mut out, self.expose_secret());
        out.push('\'');
        SecretString::from(out)
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey([REDACTED])")
    }
}

fn push_hex_upper(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            // A nibble is always a valid hex digit.
            out.push(
                char::from_digit(u32::from(nibble), 16).map_or('0', |c| c.to_ascii_uppercase()),
            );
        }
    }
}

/// A derived HMAC-SHA256 key (seal authentication or seal id).
pub(crate) struct MacKey(SecretBox<[u8; KEY_LEN]>);

impl MacKey {
    pub(crate) fn expose_secret(&self) -> &[u8; KEY_LEN] {
        self.0.expose_secret()
    }
}

/// Every key of one vault, derived from its master secret, plus the set of
/// recipients each sealed message is encrypted to.
pub struct VaultKeys {
    database: DatabaseKey,
    seal_auth: MacKey,
    /// The seal-id key of generation 0 (what HKDF gives).
    seal_id_base: MacKey,
    /// The seal-id key of the current key generation.
    seal_id: MacKey,
    /// The key generation new seals belong to (0 until the first rotation).
    generation: u32,
    identity: x25519::Identity,
    /// Cached: computing it is a scalar multiplication, and every seal needs it.
    recipient: x25519::Recipient,
    escrow: Vec<x25519::Recipient>,
    /// The keys of older identities (before a rotation to a new master
    /// secret): their seals still open and verify until each is re-sealed.
    retired: Vec<RetiredKeys>,
}

/// What is kept of an older identity: enough to open and verify its seals.
pub(crate) struct RetiredKeys {
    pub(crate) identity: x25519::Identity,
    pub(crate) seal_auth: MacKey,
}

impl VaultKeys {
    /// Derives the vault's keys from its master secret.
    pub fn derive(master: &MasterSecret) -> Result<Self, KeysError> {
        let scalar = master.expand(LABEL_AGE_IDENTITY);
        let identity = identity_from_scalar(scalar.expose_secret())?;
        Ok(Self {
            database: DatabaseKey(master.expand(LABEL_DATABASE)),
            seal_auth: MacKey(master.expand(LABEL_SEAL_AUTH)),
            seal_id_base: MacKey(master.expand(LABEL_SEAL_ID)),
            seal_id: MacKey(master.expand(LABEL_SEAL_ID)),
            generation: 0,
            recipient: identity.to_public(),
            identity,
            escrow: Vec::new(),
            retired: Vec::new(),
        })
    }

    /// The raw SQLCipher key.
    pub fn database_key(&self) -> &DatabaseKey {
        &self.database
    }

    /// The vault's age identity (decrypts every sealed message).
    pub fn identity(&self) -> &x25519::Identity {
        &self.identity
    }

    /// The vault's own age recipient (`age1…`).
    pub fn recipient(&self) -> x25519::Recipient {
        self.recipient.clone()
    }

    /// The identity in age's `AGE-SECRET-KEY-1…` form, for the stock `age` tool.
    pub fn export_identity(&self) -> SecretString {
        self.identity.to_string()
    }

    /// Adds the organisation escrow recipients: every message sealed with these
    /// keys is also encrypted to them. Duplicates of the vault's own recipient
    /// or of each other are dropped, so the recipient set stays canonical.
    pub fn with_escrow_recipients(mut self, escrow: Vec<x25519::Recipient>) -> Self {
        self.set_escrow_recipients(escrow);
        self
    }

    /// Replaces the escrow recipients (as [`VaultKeys::with_escrow_recipients`]):
    /// what new seals are encrypted to besides the vault's own recipient.
    pub fn set_escrow_recipients(&mut self, escrow: Vec<x25519::Recipient>) {
        self.escrow.clear();
        for r in escrow {
            if r != self.recipient && !self.escrow.contains(&r) {
                self.escrow.push(r);
            }
        }
    }

    /// The escrow recipients, in order.
    pub fn escrow_recipients(&self) -> &[x25519::Recipient] {
        &self.escrow
    }

    /// All recipients of a sealed message: the vault's own first, then escrow.
    pub fn recipients(&self) -> Vec<x25519::Recipient> {
        let mut all = Vec::with_capacity(1 + self.escrow.len());
        all.push(self.recipient.clone());
        all.extend(self.escrow.iter().cloned());
        all
    }

    pub(crate) fn seal_auth_key(&self) -> &MacKey {
        &self.seal_auth
    }

    /// Moves new seals to key generation `generation`: their seal ids are
    /// keyed anew (generation 0 is the HKDF key itself; generation g the
    /// HMAC-SHA256 of `coffer/v1/seal-id-generation/g` under it), so a
    /// rotation's new seals are never taken for the old ones they replace.
    /// Seals of every generation keep opening and verifying: the identity
    /// and the MAC key do not change.
    pub fn set_generation(&mut self, generation: u32) {
        self.generation = generation;
        let base = self.seal_id_base.expose_secret();
        self.seal_id = match generation {
            0 => MacKey(SecretBox::new(Box::new(*base))),
            g => {
                let label = format!("coffer/v1/seal-id-generation/{g}");
                let key = crate::seal::manifest::hmac(&self.seal_id_base, &[label.as_bytes()]);
                MacKey(SecretBox::new(Box::new(key)))
            }
        };
    }

    /// Keeps an older master secret's identity and MAC key, so that seals
    /// made under it still open and verify (never for new seals).
    pub fn add_retired(&mut self, older: &MasterSecret) -> Result<(), KeysError> {
        let scalar = older.expand(LABEL_AGE_IDENTITY);
        let identity = identity_from_scalar(scalar.expose_secret())?;
        if identity.to_public() == self.recipient {
            return Ok(());
        }
        self.retired.push(RetiredKeys {
            identity,
            seal_auth: MacKey(older.expand(LABEL_SEAL_AUTH)),
        });
        Ok(())
    }

    /// The older identities kept, how many.
    pub fn retired_count(&self) -> usize {
        self.retired.len()
    }

    pub(crate) fn retired(&self) -> &[RetiredKeys] {
        &self.retired
    }

    /// The key generation new seals belong to.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    pub(crate) fn seal_id_key(&self) -> &MacKey {
        &self.seal_id
    }
}

impl std::fmt::Debug for VaultKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultKeys")
            .field("recipient", &self.recipient().to_string())
            .field("escrow", &self.escrow.len())
            .finish_non_exhaustive()
    }
}

/// Builds an age identity from 32 derived bytes by encoding them the way age
/// itself does (Bech32, HRP `AGE-SECRET-KEY-`, upper case) and parsing that.
fn identity_from_scalar(scalar: &[u8; KEY_LEN]) -> Result<x25519::Identity, KeysError> {
    let hrp = bech32::Hrp::parse("age-secret-key-")
        .map_err(|_| KeysError::IdentityEncoding("invalid human-readable part"))?;
    let lower = Zeroizing::new(
        bech32::encode::<bech32::Bech32>(hrp, scalar)
            .map_err(|_| KeysError::IdentityEncoding("bech32 encoding failed"))?,
    );
    let upper = Zeroizing::new(lower.to_uppercase());
    let identity = x25519::Identity::from_str(&upper).map_err(KeysError::IdentityEncoding)?;
    // age stores the scalar unclamped and re-encodes it verbatim: a mismatch
    // would mean the encoding above differs from age's own.
    if identity.to_string().expose_secret().as_bytes() != upper.as_bytes() {
        return Err(KeysError::IdentityEncoding("identity does not round-trip"));
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn master(fill: u8) -> MasterSecret {
        MasterSecret::from_bytes(&mut [fill; KEY_LEN])
    }

    #[test]
    fn derived_keys_are_distinct_and_stable() {
        let m = master(7);
        let a = m.derive().unwrap();
        let b = m.derive().unwrap();
        assert_eq!(
            a.database_key().expose_secret(),
            b.database_key().expose_secret()
        );
        assert_eq!(a.recipient(), b.recipient());
        let keys = [
            *a.database_key().expose_secret(),
            *a.seal_auth_key().expose_secret(),
            *a.seal_id_key().expose_secret(),
        ];
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[1], keys[2]);
        assert_ne!(keys[0], keys[2]);
        assert!(keys.iter().all(|k| k != m.expose_secret()));
    }

    #[test]
    fn different_masters_give_different_identities() {
        assert_ne!(
            master(1).derive().unwrap().recipient(),
            master(2).derive().unwrap().recipient()
        );
    }

    #[test]
    fn identity_export_round_trips_through_age() {
        let keys = master(9).derive().unwrap();
        let exported = keys.export_identity();
        assert!(exported.expose_secret().starts_with("AGE-SECRET-KEY-1"));
        let parsed = x25519::Identity::from_str(exported.expose_secret()).unwrap();
        assert_eq!(parsed.to_public(), keys.recipient());
        assert!(keys.recipient().to_string().starts_with("age1"));
    }

    #[test]
    fn sqlcipher_key_literal_shape() {
        let keys = master(3).derive().unwrap();
        let lit = keys.database_key().sqlcipher_raw_key();
        let s = lit.expose_secret();
        assert_eq!(s.len(), 67);
        assert!(s.starts_with("x'") && s.ends_with('\''));
        assert!(
            s[2..66]
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
        );
    }

    #[test]
    fn generate_uses_the_rng_and_debug_redacts() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let a = MasterSecret::generate(&mut rng);
        let b = MasterSecret::generate(&mut rng);
        assert!(!a.ct_eq(&b));
        assert!(a.ct_eq(&MasterSecret::from_bytes(&mut a.expose_secret().clone())));
        assert_eq!(format!("{a:?}"), "MasterSecret([REDACTED])");
    }

    #[test]
    fn a_new_generation_keys_seal_ids_anew_and_old_seals_still_open() {
        let mut keys = master(6).derive().unwrap();
        let sha = [3u8; 32];
        let gen0 = crate::seal::seal_id_of_sha256(&keys, &sha);
        let input = crate::SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: crate::InternalDate::new(1_700_000_000, 0).unwrap(),
            original: b"Subject: old\r\n\r\nbody\r\n",
        };
        let old = crate::seal(&keys, &input, &mut rand::rngs::OsRng).unwrap();
        keys.set_generation(1);
        let gen1 = crate::seal::seal_id_of_sha256(&keys, &sha);
        assert_ne!(gen0, gen1);
        assert_eq!(keys.generation(), 1);
        let opened = crate::open(&keys, &old).unwrap();
        assert_eq!(opened.authenticity, crate::Authenticity::Verified);
        keys.set_generation(0);
        assert_eq!(crate::seal::seal_id_of_sha256(&keys, &sha), gen0);
    }

    #[test]
    fn escrow_recipients_are_deduplicated() {
        let keys = master(4).derive().unwrap();
        let own = keys.recipient();
        let other = master(5).derive().unwrap().recipient();
        let keys = keys.with_escrow_recipients(vec![own.clone(), other.clone(), other.clone()]);
        assert_eq!(keys.recipients(), vec![own, other]);
    }
}
