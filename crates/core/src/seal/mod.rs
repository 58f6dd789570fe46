//! Sealed messages (format v1): seal an original into an age-encrypted MIME message, open it back.
//!
//! The layers, outside in (`docs/FORMAT.md` is the normative description):
//! [`outer`] is the constant RFC 5322/MIME template carrying the age file in
//! base64; `agehdr` checks the age framing without keys; [`manifest`] is
//! the decrypted inner plaintext (manifest, MAC, original, padding);
//! [`padding`] picks size buckets; [`date`] formats INTERNALDATE;
//! [`structure`] checks byte ranges of a sealed message without keys.
//!
//! The whole `seal` module shares one error type, [`SealError`]: its
//! submodules are layers of one format and a caller wants one answer.

mod agehdr;
pub mod date;
pub mod manifest;
pub mod outer;
pub mod padding;
pub mod structure;

use std::io::{Read, Write};

use age::x25519;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use date::InternalDate;
pub use manifest::{AccountScope, Manifest, SealId, manifest_folder};
pub use structure::{ByteRange, Structure};

use crate::keys::VaultKeys;

/// Why a message could not be sealed, opened or inspected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The message has no `X-Coffer-Seal` header: it is not a sealed message.
    #[error("not a sealed message (no X-Coffer-Seal header)")]
    NotASeal,
    /// A sealed message of a format version this build does not read.
    #[error(
        "sealed message format version {0} is not supported; this build reads version 1 (update Coffer)"
    )]
    UnsupportedVersion(u64),
    /// The outer MIME message differs from the template.
    #[error("sealed message wrapper is malformed: {0}")]
    MalformedWrapper(&'static str),
    /// The age file inside is not well-framed.
    #[error("sealed payload is not a well-formed age file: {0}")]
    MalformedPayload(&'static str),
    /// None of the given identities can decrypt the message.
    #[error("this message was not sealed for this vault (no matching identity)")]
    NotForThisVault,
    /// Decryption failed: the ciphertext was altered or truncated. Opaque on purpose.
    #[error("sealed message is damaged or has been tampered with")]
    Tampered,
    /// The decrypted content does not follow the format.
    #[error("sealed message content is malformed: {0}")]
    MalformedManifest(&'static str),
    /// Decrypted parts disagree with each other or with the outer headers.
    #[error("sealed message is inconsistent: {0}")]
    Inconsistent(&'static str),
    /// The input to `seal` cannot be sealed.
    #[error("cannot seal this message: {0}")]
    InvalidInput(String),
    /// age failed while encrypting.
    #[error("age encryption failed: {0}")]
    Encrypt(String),
}

/// An original message and its IMAP metadata, ready to seal.
#[derive(Debug, Clone, Copy)]
pub struct SealInput<'a> {
    /// The folder (mailbox name, UTF-8) the original is in.
    pub folder: &'a str,
    /// The original's flags (e.g. `\Seen`); stored sorted and de-duplicated.
    pub flags: &'a [String],
    /// The original's INTERNALDATE.
    pub internaldate: InternalDate,
    /// The original message bytes, exactly as fetched.
    pub original: &'a [u8],
}

/// How far an opened message can be trusted to come from this vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authenticity {
    /// The manifest MAC and the seal id check out under this vault's keys.
    Verified,
    /// The MAC is wrong: anyone with the public recipient (the provider, say)
    /// could have made this message. Show it as unverified; never trust it.
    Unverified,
    /// Opened with an identity alone (no MAC key), so nothing was checked.
    Unchecked,
}

/// A decrypted sealed message.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The decrypted manifest.
    pub manifest: Manifest,
    /// The original bytes, exactly; their SHA-256 matched the manifest.
    pub original: Vec<u8>,
    /// Whether the seal is genuine.
    pub authenticity: Authenticity,
}

/// What a sealed message shows without decrypting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuterInfo {
    /// The outer format version (`X-Coffer-Seal`).
    pub version: u8,
    /// The seal id from the `X-Coffer-Seal-Id` header (not authenticated).
    pub seal_id: SealId,
    /// The `Date` header (the original's INTERNALDATE).
    pub date: InternalDate,
    /// The random outer Message-ID, with angle brackets.
    pub message_id: String,
    /// The age header's stanza types, in order: one `X25519` per recipient,
    /// plus any random `…-grease` decoy stanza age adds to keep parsers honest.
    pub stanza_types: Vec<String>,
    /// Length of the age file in bytes.
    pub payload_len: usize,
    /// Length of the padded inner plaintext (a padding bucket).
    pub padded_len: u64,
}

impl OuterInfo {
    /// The number of real recipients (stanzas other than age's grease).
    pub fn recipient_count(&self) -> usize {
        self.stanza_types
            .iter()
            .filter(|t| !t.ends_with("-grease"))
            .count()
    }
}

/// The seal id the engine would give `original` in this vault: use it to find
/// an existing sealed copy with `UID SEARCH HEADER X-Coffer-Seal-Id <id>`.
pub fn seal_id(keys: &VaultKeys, original: &[u8]) -> SealId {
    seal_id_of_sha256(keys, &Sha256::digest(original).into())
}

/// [`seal_id`] from the original's SHA-256, for a caller that has it already.
pub fn seal_id_of_sha256(keys: &VaultKeys, original_sha256: &[u8; 32]) -> SealId {
    SealId::compute(keys.seal_id_key(), original_sha256)
}

/// The seal id of an original in `account` of this vault: what the engine
/// writes, and searches for with `UID SEARCH HEADER X-Coffer-Seal-Id`.
pub fn seal_id_in(keys: &VaultKeys, account: &AccountScope, original_sha256: &[u8; 32]) -> SealId {
    SealId::compute_in(keys.seal_id_key(), account, original_sha256)
}

/// Seals an original of `account` for this vault's recipients, with the
/// account-keyed seal id (what the engine writes). The RNG supplies the
/// outer Message-ID; age draws its file key from the OS.
pub fn seal_in<R: RngCore + CryptoRng>(
    keys: &VaultKeys,
    account: &AccountScope,
    input: &SealInput<'_>,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let digest: [u8; 32] = Sha256::digest(input.original).into();
    let manifest = manifest_for(seal_id_in(keys, account, &digest), digest, input)?;
    let mac = manifest::manifest_mac(keys.seal_auth_key(), &manifest.encode())?;
    assemble(&keys.recipients(), &manifest, &mac, input.original, rng)
}

/// Seals an original with the vault-wide seal id of format v1's first
/// version (still read, and used by tests and tools that have no account).
/// The RNG supplies the outer Message-ID; age draws its file key from the OS.
pub fn seal<R: RngCore + CryptoRng>(
    keys: &VaultKeys,
    input: &SealInput<'_>,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let manifest = build_manifest(keys, input)?;
    let mac = manifest::manifest_mac(keys.seal_auth_key(), &manifest.encode())?;
    assemble(&keys.recipients(), &manifest, &mac, input.original, rng)
}

/// The one pipeline from a manifest, its MAC and an original to the outer
/// message: inner plaintext with padding, age encryption, outer template.
/// The product and the test kit both go through it, so forged test vectors
/// cannot drift from the real format.
fn assemble<R: RngCore + CryptoRng>(
    recipients: &[x25519::Recipient],
    manifest: &Manifest,
    mac: &[u8; manifest::MAC_LEN],
    original: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let inner = manifest::inner_parts(&manifest.encode(), mac, original)?;
    let payload = encrypt(recipients, &inner)?;
    Ok(outer::wrap(
        &payload,
        &manifest.internaldate,
        &manifest.seal_id,
        rng,
    ))
}

fn build_manifest(keys: &VaultKeys, input: &SealInput<'_>) -> Result<Manifest, SealError> {
    let digest: [u8; 32] = Sha256::digest(input.original).into();
    manifest_for(SealId::compute(keys.seal_id_key(), &digest), digest, input)
}

fn manifest_for(
    seal_id: SealId,
    digest: [u8; 32],
    input: &SealInput<'_>,
) -> Result<Manifest, SealError> {
    Manifest::for_original(
        seal_id,
        digest,
        input.original.len() as u64,
        input.folder,
        input.flags,
        input.internaldate,
    )
}

/// Encrypts the inner plaintext, streamed part by part into age.
fn encrypt(
    recipients: &[x25519::Recipient],
    inner: &manifest::InnerParts<'_>,
) -> Result<Vec<u8>, SealError> {
    const ZEROS: [u8; 4096] = [0; 4096];
    let err = |e: std::io::Error| SealError::Encrypt(e.to_string());
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| SealError::Encrypt(e.to_string()))?;
    // age adds 16 bytes per 64 KiB chunk, a nonce and a header of a few hundred bytes.
    let mut out = Vec::with_capacity(inner.len() + inner.len() / 4096 + 1024);
    let mut writer = encryptor.wrap_output(&mut out).map_err(err)?;
    writer.write_all(&inner.prefix).map_err(err)?;
    writer.write_all(inner.original).map_err(err)?;
    let mut left = inner.padding;
    while left > 0 {
        let n = left.min(ZEROS.len());
        writer
            .write_all(ZEROS.get(..n).unwrap_or_default())
            .map_err(err)?;
        left -= n;
    }
    writer.finish().map_err(err)?;
    Ok(out)
}

/// Opens a sealed message with the vault's keys: decrypts, checks structure
/// and hash, and reports [`Authenticity::Verified`] only when the manifest
/// MAC matches this vault's keys. The MAC covers the manifest, seal id
/// included, so the id is not derived again: it may be the vault-wide form
/// or keyed to any account of the vault (a seal another client copied
/// between two accounts stays genuine).
pub fn open(keys: &VaultKeys, sealed: &[u8]) -> Result<Opened, SealError> {
    // The current identity first; then the vault's older ones (a rotation to
    // a new identity under way), each with its own MAC key.
    let mut attempt = decrypt_and_check(keys.identity(), sealed).map(|r| (r, keys.seal_auth_key()));
    for older in keys.retired() {
        if !matches!(attempt, Err(SealError::NotForThisVault)) {
            break;
        }
        attempt = decrypt_and_check(&older.identity, sealed).map(|r| (r, &older.seal_auth));
    }
    let ((mut opened, mac), seal_auth) = attempt?;
    let expected_mac = manifest::manifest_mac(seal_auth, &opened.manifest.encode())?;
    let mac_ok: bool = expected_mac.ct_eq(&mac).into();
    opened.authenticity = if mac_ok {
        Authenticity::Verified
    } else {
        Authenticity::Unverified
    };
    Ok(opened)
}

/// Opens a sealed message with an age identity alone (an auditor's exported
/// identity): everything is checked except authenticity, which is
/// [`Authenticity::Unchecked`] — never `Verified`.
pub fn open_with_identity(identity: &x25519::Identity, sealed: &[u8]) -> Result<Opened, SealError> {
    Ok(decrypt_and_check(identity, sealed)?.0)
}

/// Everything but the MAC check; returns the MAC found in the payload.
fn decrypt_and_check(
    identity: &x25519::Identity,
    sealed: &[u8],
) -> Result<(Opened, [u8; manifest::MAC_LEN]), SealError> {
    let outer = outer::unwrap(sealed)?;
    let framing = agehdr::check(&outer.payload)?;
    agehdr::check_bucket(framing.plaintext_len)?;
    let decryptor =
        age::Decryptor::new_buffered(outer.payload.as_slice()).map_err(map_decrypt_error)?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(map_decrypt_error)?;
    let mut inner = Vec::with_capacity(usize::try_from(framing.plaintext_len).unwrap_or(0));
    reader
        .read_to_end(&mut inner)
        .map_err(|_| SealError::Tampered)?;
    let decoded = manifest::decode_inner(&inner)?;
    if decoded.manifest.seal_id != outer.seal_id {
        return Err(SealError::Inconsistent(
            "seal id header does not match the manifest",
        ));
    }
    if decoded.manifest.internaldate != outer.date {
        return Err(SealError::Inconsistent(
            "Date header does not match the manifest",
        ));
    }
    // Move the original to the front of the buffer it was decrypted into,
    // rather than copying it into a fresh allocation.
    let range = decoded.original;
    inner.copy_within(range.clone(), 0);
    inner.truncate(range.len());
    let opened = Opened {
        original: inner,
        manifest: decoded.manifest,
        authenticity: Authenticity::Unchecked,
    };
    Ok((opened, decoded.mac))
}

fn map_decrypt_error(e: age::DecryptError) -> SealError {
    match e {
        age::DecryptError::NoMatchingKeys => SealError::NotForThisVault,
        age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat => {
            SealError::MalformedPayload("age header is invalid")
        }
        age::DecryptError::ExcessiveWork { .. } => {
            SealError::MalformedPayload("passphrase-encrypted age file")
        }
        _ => SealError::Tampered,
    }
}

/// Validates the outer template and the age framing without decrypting.
pub fn inspect(sealed: &[u8]) -> Result<OuterInfo, SealError> {
    let outer = outer::unwrap(sealed)?;
    let framing = agehdr::check(&outer.payload)?;
    agehdr::check_bucket(framing.plaintext_len)?;
    Ok(OuterInfo {
        version: outer::OUTER_VERSION,
        seal_id: outer.seal_id,
        date: outer.date,
        message_id: outer.message_id,
        stanza_types: framing.stanza_types,
        payload_len: outer.payload.len(),
        padded_len: framing.plaintext_len,
    })
}

/// Like [`inspect`], from only the first bytes of a message (`head`) and its
/// total size (IMAP `RFC822.SIZE`): what an auditor checks without
/// downloading whole payloads. `head` must hold the outer header and the age
/// header (a few kilobytes are plenty); when it holds the whole message this
/// is exactly [`inspect`]. The rest of the body is not looked at: check it
/// with the [`Structure`] that [`inspect_structure`] returns.
pub fn inspect_head(head: &[u8], total_size: u64) -> Result<OuterInfo, SealError> {
    Ok(inspect_structure(head, total_size)?.0)
}

/// [`inspect_head`], plus what the head and the size fix about the rest of
/// the message: where its lines lie and how its last line ends, to check
/// byte ranges of it with [`Structure::check`].
pub fn inspect_structure(
    head: &[u8],
    total_size: u64,
) -> Result<(OuterInfo, Structure), SealError> {
    if head.len() as u64 >= total_size {
        let info = inspect(head)?;
        let structure = Structure::whole(head, info.payload_len as u64)?;
        return Ok((info, structure));
    }
    let outer = outer::unwrap_prefix(head, total_size)?;
    let candidates = outer.layout.payload_len_candidates();
    let framing = agehdr::check_prefix(&outer.payload_prefix, &candidates)?;
    let payload_len = candidates
        .iter()
        .copied()
        .find(|&len| {
            len.checked_sub(framing.header_len as u64)
                .is_some_and(|p| agehdr::plaintext_len(p) == Some(framing.plaintext_len))
        })
        .ok_or(SealError::MalformedPayload(
            "encrypted length is not a padding bucket",
        ))?;
    let structure = Structure::new(outer.layout, payload_len, outer.lines_in_prefix);
    let info = OuterInfo {
        version: outer::OUTER_VERSION,
        seal_id: outer.header.seal_id,
        date: outer.header.date,
        message_id: outer.header.message_id,
        stanza_types: framing.stanza_types,
        payload_len: usize::try_from(payload_len).unwrap_or(usize::MAX),
        padded_len: framing.plaintext_len,
    };
    Ok((info, structure))
}

/// The age file inside a sealed message (after checking the outer template),
/// e.g. to hand to the stock `age` tool.
pub fn payload(sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    Ok(outer::unwrap(sealed)?.payload)
}

/// TEST ONLY: builders for malformed and forged seals (test vectors, other
/// crates' tests). Not compiled into production builds.
#[cfg(any(test, feature = "test-support"))]
pub mod testkit {
    use super::*;

    /// What a provider holding only the public recipient can make: a
    /// well-formed seal whose MAC is zero and whose seal id is the plain
    /// SHA-256 of the original. Opens as [`Authenticity::Unverified`].
    pub fn forge<R: RngCore + CryptoRng>(
        recipients: &[x25519::Recipient],
        input: &SealInput<'_>,
        rng: &mut R,
    ) -> Result<Vec<u8>, SealError> {
        let digest: [u8; 32] = Sha256::digest(input.original).into();
        let manifest = Manifest::for_original(
            SealId::from_bytes(digest),
            digest,
            input.original.len() as u64,
            input.folder,
            input.flags,
            input.internaldate,
        )?;
        assemble(
            recipients,
            &manifest,
            &[0u8; manifest::MAC_LEN],
            input.original,
            rng,
        )
    }

    /// A genuine seal whose manifest claims another version (with a valid MAC).
    pub fn seal_with_manifest_version<R: RngCore + CryptoRng>(
        keys: &VaultKeys,
        input: &SealInput<'_>,
        version: u8,
        rng: &mut R,
    ) -> Result<Vec<u8>, SealError> {
        let mut manifest = build_manifest(keys, input)?;
        manifest.version = version;
        let mac = manifest::manifest_mac(keys.seal_auth_key(), &manifest.encode())?;
        assemble(&keys.recipients(), &manifest, &mac, input.original, rng)
    }

    /// Wraps an arbitrary age file in the outer template.
    pub fn wrap_payload<R: RngCore + CryptoRng>(
        payload: &[u8],
        date: &InternalDate,
        seal_id: &SealId,
        rng: &mut R,
    ) -> Vec<u8> {
        outer::wrap(payload, date, seal_id, rng)
    }

    /// The decrypted inner plaintext (manifest, MAC, original, padding).
    pub fn decrypt_inner(keys: &VaultKeys, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let outer = outer::unwrap(sealed)?;
        let decryptor =
            age::Decryptor::new_buffered(outer.payload.as_slice()).map_err(map_decrypt_error)?;
        let mut reader = decryptor
            .decrypt(std::iter::once(keys.identity() as &dyn age::Identity))
            .map_err(map_decrypt_error)?;
        let mut inner = Vec::new();
        reader
            .read_to_end(&mut inner)
            .map_err(|_| SealError::Tampered)?;
        Ok(inner)
    }

    /// Encrypts an arbitrary inner plaintext to the vault's recipients and wraps it.
    pub fn seal_raw_inner<R: RngCore + CryptoRng>(
        keys: &VaultKeys,
        inner: &[u8],
        date: &InternalDate,
        seal_id: &SealId,
        rng: &mut R,
    ) -> Result<Vec<u8>, SealError> {
        let parts = manifest::InnerParts {
            prefix: Vec::new(),
            original: inner,
            padding: 0,
        };
        let payload = encrypt(&keys.recipients(), &parts)?;
        Ok(outer::wrap(&payload, date, seal_id, rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::MasterSecret;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn keys(fill: u8) -> VaultKeys {
        MasterSecret::from_bytes(&mut [fill; 32]).derive().unwrap()
    }

    fn flags() -> Vec<String> {
        vec!["\\Seen".into(), "$Important".into()]
    }

    fn input<'a>(original: &'a [u8], flags: &'a [String]) -> SealInput<'a> {
        SealInput {
            folder: "INBOX",
            flags,
            internaldate: InternalDate::new(1_751_364_000, 120).unwrap(),
            original,
        }
    }

    const MAIL: &[u8] = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: secret plans\r\n\r\nHello Bob.\r\n";

    #[test]
    fn seal_then_open_is_verified_and_exact() {
        let k = keys(1);
        let f = flags();
        let sealed = seal(&k, &input(MAIL, &f), &mut StdRng::seed_from_u64(1)).unwrap();
        let opened = open(&k, &sealed).unwrap();
        assert_eq!(opened.original, MAIL);
        assert_eq!(opened.authenticity, Authenticity::Verified);
        assert_eq!(opened.manifest.folder, "INBOX");
        assert_eq!(opened.manifest.flags, vec!["$Important", "\\Seen"]);
        assert_eq!(opened.manifest.seal_id, seal_id(&k, MAIL));
        assert_eq!(opened.manifest.original_size, MAIL.len() as u64);
    }

    #[test]
    fn outer_message_leaks_nothing_of_the_original() {
        let k = keys(1);
        let f = flags();
        let sealed = seal(&k, &input(MAIL, &f), &mut StdRng::seed_from_u64(1)).unwrap();
        for needle in [&b"alice"[..], b"secret plans", b"Hello", b"INBOX", b"Seen"] {
            assert!(!sealed.windows(needle.len()).any(|w| w == needle));
        }
        let digest = Sha256::digest(MAIL);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!sealed.windows(hex.len()).any(|w| w == hex.as_bytes()));
    }

    #[test]
    fn account_keyed_seal_ids_differ_per_account_and_still_verify() {
        let k = keys(1);
        let f = flags();
        let digest: [u8; 32] = Sha256::digest(MAIL).into();
        let alice = AccountScope::new(" Alice ", "IMAP.Example.ORG.");
        assert_eq!(alice.as_str(), "alice@imap.example.org");
        let bob = AccountScope::new("bob", "imap.example.org");
        let (a, b) = (
            seal_id_in(&k, &alice, &digest),
            seal_id_in(&k, &bob, &digest),
        );
        assert_ne!(a, b, "one message in two accounts: two ids");
        assert_ne!(a, seal_id(&k, MAIL), "not the vault-wide form");
        assert_eq!(
            a,
            seal_id_in(&k, &AccountScope::new("alice", "imap.example.org"), &digest)
        );
        let sealed = seal_in(&k, &alice, &input(MAIL, &f), &mut StdRng::seed_from_u64(3)).unwrap();
        assert_eq!(inspect(&sealed).unwrap().seal_id, a);
        let opened = open(&k, &sealed).unwrap();
        assert_eq!(opened.authenticity, Authenticity::Verified);
        // The vault-wide form of older seals still verifies.
        let old = seal(&k, &input(MAIL, &f), &mut StdRng::seed_from_u64(4)).unwrap();
        assert_eq!(open(&k, &old).unwrap().authenticity, Authenticity::Verified);
        // Another vault's keys do not.
        assert!(open(&keys(2), &sealed).is_err());
    }

    #[test]
    fn seal_id_is_stable_and_keyed() {
        let (a, b) = (keys(1), keys(2));
        assert_eq!(seal_id(&a, MAIL), seal_id(&a, MAIL));
        assert_ne!(seal_id(&a, MAIL), seal_id(&b, MAIL));
        assert_ne!(seal_id(&a, MAIL), seal_id(&a, b"other"));
        let f = flags();
        let s1 = seal(&a, &input(MAIL, &f), &mut StdRng::seed_from_u64(1)).unwrap();
        let s2 = seal(&a, &input(MAIL, &f), &mut StdRng::seed_from_u64(2)).unwrap();
        assert_ne!(s1, s2);
        assert_eq!(inspect(&s1).unwrap().seal_id, inspect(&s2).unwrap().seal_id);
    }

    #[test]
    fn forgery_with_the_public_key_is_unverified() {
        let k = keys(1);
        let f = flags();
        let forged = testkit::forge(
            &k.recipients(),
            &input(MAIL, &f),
            &mut StdRng::seed_from_u64(1),
        )
        .unwrap();
        let opened = open(&k, &forged).unwrap();
        assert_eq!(opened.original, MAIL);
        assert_eq!(opened.authenticity, Authenticity::Unverified);
    }

    #[test]
    fn identity_only_open_is_unchecked() {
        let k = keys(1);
        let f = flags();
        let sealed = seal(&k, &input(MAIL, &f), &mut StdRng::seed_from_u64(1)).unwrap();
        let opened = open_with_identity(k.identity(), &sealed).unwrap();
        assert_eq!(opened.authenticity, Authenticity::Unchecked);
        assert_eq!(opened.original, MAIL);
    }

    #[test]
    fn wrong_identity_and_escrow() {
        let k = keys(1);
        let escrow = keys(9);
        let f = flags();
        let sealed = seal(&k, &input(MAIL, &f), &mut StdRng::seed_from_u64(1)).unwrap();
        assert!(matches!(
            open(&escrow, &sealed),
            Err(SealError::NotForThisVault)
        ));

        let k = keys(1).with_escrow_recipients(vec![escrow.recipient()]);
        let sealed = seal(&k, &input(MAIL, &f), &mut StdRng::seed_from_u64(1)).unwrap();
        let info = inspect(&sealed).unwrap();
        assert_eq!(info.recipient_count(), 2);
        assert_eq!(
            info.stanza_types.iter().filter(|t| *t == "X25519").count(),
            2
        );
        assert_eq!(
            open(&k, &sealed).unwrap().authenticity,
            Authenticity::Verified
        );
        let by_escrow = open_with_identity(escrow.identity(), &sealed).unwrap();
        assert_eq!(by_escrow.original, MAIL);
        // The escrow holder has other seal keys: what it opens is not Verified.
        assert_eq!(
            open(&escrow, &sealed).unwrap().authenticity,
            Authenticity::Unverified
        );
    }

    #[test]
    fn empty_and_odd_sizes_round_trip() {
        let k = keys(3);
        let f: Vec<String> = vec![];
        for len in [0usize, 1, 8000, 8200, 70_000, 200_000] {
            let original: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal(
                &k,
                &input(&original, &f),
                &mut StdRng::seed_from_u64(len as u64),
            )
            .unwrap();
            let info = inspect(&sealed).unwrap();
            assert!(padding::is_bucket(info.padded_len));
            let opened = open(&k, &sealed).unwrap();
            assert_eq!(opened.original, original);
            assert_eq!(opened.authenticity, Authenticity::Verified);
        }
    }

    #[test]
    fn invalid_input_is_refused() {
        let k = keys(1);
        let bad_flags = vec!["has space".to_string()];
        let mut rng = StdRng::seed_from_u64(1);
        assert!(matches!(
            seal(&k, &input(MAIL, &bad_flags), &mut rng),
            Err(SealError::InvalidInput(_))
        ));
        let f = flags();
        let mut i = input(MAIL, &f);
        i.folder = "";
        assert!(matches!(
            seal(&k, &i, &mut rng),
            Err(SealError::InvalidInput(_))
        ));
    }

    #[test]
    fn manifest_version_and_inner_tampering() {
        let k = keys(1);
        let f = flags();
        let mut rng = StdRng::seed_from_u64(5);
        let v2 = testkit::seal_with_manifest_version(&k, &input(MAIL, &f), 2, &mut rng).unwrap();
        assert!(matches!(
            open(&k, &v2),
            Err(SealError::UnsupportedVersion(2))
        ));

        let sealed = seal(&k, &input(MAIL, &f), &mut rng).unwrap();
        let info = inspect(&sealed).unwrap();
        let inner = testkit::decrypt_inner(&k, &sealed).unwrap();
        // Non-zero padding, extra padding, changed original: each refused.
        let mut bad = inner.clone();
        if let Some(b) = bad.last_mut() {
            *b = 1;
        }
        let resealed =
            testkit::seal_raw_inner(&k, &bad, &info.date, &info.seal_id, &mut rng).unwrap();
        assert!(matches!(
            open(&k, &resealed),
            Err(SealError::MalformedManifest(_))
        ));
        let mut longer = inner.clone();
        longer.push(0);
        let resealed =
            testkit::seal_raw_inner(&k, &longer, &info.date, &info.seal_id, &mut rng).unwrap();
        assert!(matches!(
            open(&k, &resealed),
            Err(SealError::MalformedPayload(_))
        ));
        let pos = inner.windows(5).position(|w| w == b"Hello").unwrap();
        let mut changed = inner.clone();
        changed[pos] = b'J';
        let resealed =
            testkit::seal_raw_inner(&k, &changed, &info.date, &info.seal_id, &mut rng).unwrap();
        assert!(matches!(
            open(&k, &resealed),
            Err(SealError::Inconsistent(_))
        ));
        // A header seal id that differs from the manifest's.
        let other = SealId::from_bytes([0; 32]);
        let resealed = testkit::seal_raw_inner(&k, &inner, &info.date, &other, &mut rng).unwrap();
        assert!(matches!(
            open(&k, &resealed),
            Err(SealError::Inconsistent(_))
        ));
    }

    #[test]
    fn ciphertext_bit_flips_are_tampering() {
        let k = keys(1);
        let f = flags();
        let mut rng = StdRng::seed_from_u64(8);
        let sealed = seal(&k, &input(MAIL, &f), &mut rng).unwrap();
        let info = inspect(&sealed).unwrap();
        let age_file = payload(&sealed).unwrap();
        for pos in [
            age_file.len() - 1,
            age_file.len() - 5000,
            age_file.len() - 8000,
        ] {
            let mut bad = age_file.clone();
            bad[pos] ^= 0x40;
            let rewrapped = testkit::wrap_payload(&bad, &info.date, &info.seal_id, &mut rng);
            assert!(
                matches!(open(&k, &rewrapped), Err(SealError::Tampered)),
                "{pos}"
            );
        }
    }
}
