//! The manifest and the inner plaintext: what the age payload of a seal decrypts to.
//!
//! ```text
//! inner    = manifest_len:u32 ‖ manifest ‖ mac:32 ‖ original ‖ zero padding
//! manifest = version:u8 ‖ seal_id:32 ‖ unix_seconds:i64 ‖ offset_minutes:i16
//!          ‖ original_size:u64 ‖ original_sha256:32
//!          ‖ folder_len:u16 ‖ folder (UTF-8)
//!          ‖ flag_count:u16 ‖ (flag_len:u8 ‖ flag)*   (sorted, no duplicates)
//! mac      = HMAC-SHA256(seal-authentication key, manifest_len ‖ manifest)
//! ```
//!
//! Integers are big-endian. The whole inner plaintext is padded with zero
//! bytes to `padding::bucket(4 + manifest_len + 32 + original_size)`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::SealError;
use super::date::InternalDate;
use super::padding;
use crate::codec::Reader;
use crate::keys::MacKey;

/// The manifest version this build writes and reads (the seal format version).
pub const MANIFEST_VERSION: u8 = 1;
/// Length of the manifest MAC.
pub const MAC_LEN: usize = 32;
/// Longest folder name accepted, in bytes.
pub const MAX_FOLDER_LEN: usize = 1000;
/// Most flags accepted on one message.
pub const MAX_FLAGS: usize = 256;
/// Longest flag accepted, in bytes.
pub const MAX_FLAG_LEN: usize = 255;
const FIXED_LEN: usize = 1 + 32 + 8 + 2 + 8 + 32;

/// A keyed, stable identifier of an original message:
/// HMAC-SHA256(seal-id key, SHA-256(original)). Shown in the outer
/// `X-Coffer-Seal-Id` header as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SealId([u8; 32]);

impl SealId {
    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Builds a seal id from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 lowercase hex digits (the header form).
    pub fn parse_hex(text: &str) -> Option<Self> {
        crate::parse_hex32(text).map(Self)
    }

    pub(crate) fn compute(key: &MacKey, original_sha256: &[u8; 32]) -> Self {
        Self(hmac(key, &[original_sha256]))
    }

    /// The seal id keyed to one account of the vault (FORMAT.md §2.5).
    pub(crate) fn compute_in(
        key: &MacKey,
        account: &AccountScope,
        original_sha256: &[u8; 32],
    ) -> Self {
        Self(hmac(
            key,
            &[
                ACCOUNT_SEAL_ID_LABEL,
                account.as_str().as_bytes(),
                b"\0",
                original_sha256,
            ],
        ))
    }
}

/// Domain separation of account-keyed seal ids from the vault-wide form
/// (whose HMAC input is the 32-byte digest alone).
const ACCOUNT_SEAL_ID_LABEL: &[u8] = b"coffer/v1/seal-id/account\0";

/// The account a seal id is keyed to: its login `user@host`, trimmed and in
/// lower case, so that a recovered device that names the account
/// differently still recognises its seals, and the same message in two
/// accounts of one vault gets two ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountScope(String);

impl AccountScope {
    /// The scope of the login `user` on `host`.
    pub fn new(user: &str, host: &str) -> Self {
        Self(format!(
            "{}@{}",
            user.trim().to_lowercase(),
            host.trim().trim_end_matches('.').to_lowercase()
        ))
    }

    /// `user@host`, normalised.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SealId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::hex(&self.0))
    }
}

impl std::fmt::Debug for SealId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealId({self})")
    }
}

/// What a sealed message says about its original.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Manifest {
    /// Format version ([`MANIFEST_VERSION`]).
    pub version: u8,
    /// The seal id of the original.
    pub seal_id: SealId,
    /// The original's INTERNALDATE.
    pub internaldate: InternalDate,
    /// Length of the original in bytes.
    pub original_size: u64,
    /// SHA-256 of the original bytes.
    pub original_sha256: [u8; 32],
    /// The folder the original was sealed in.
    pub folder: String,
    /// The original's IMAP flags, sorted, without duplicates.
    pub flags: Vec<String>,
}

pub(crate) fn hmac(key: &MacKey, parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so new_from_slice cannot fail; should it,
    // the zero key still yields a MAC that never verifies a real seal.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Checks an IMAP flag: `\`-prefixed or bare atom, no atom-specials.
pub(crate) fn valid_flag(flag: &str) -> bool {
    let body = flag.strip_prefix('\\').unwrap_or(flag);
    !body.is_empty()
        && flag.len() <= MAX_FLAG_LEN
        && body
            .bytes()
            .all(|c| (0x21..=0x7e).contains(&c) && !b"(){%*\"\\]".contains(&c))
}

pub(crate) fn valid_folder(folder: &str) -> bool {
    !folder.is_empty() && folder.len() <= MAX_FOLDER_LEN && !folder.chars().any(char::is_control)
}

/// The form of a server's folder name that a manifest records: control
/// characters (which the format does not carry) become U+FFFD, an empty name
/// becomes `"?"`, and a name too long is cut at a character boundary. A
/// hostile server can name a folder anything; its mail is sealed all the
/// same, and the manifest's folder is only a record of where it was.
pub fn manifest_folder(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(MAX_FOLDER_LEN));
    for c in name.chars() {
        let c = if c.is_control() { '\u{FFFD}' } else { c };
        if out.len() + c.len_utf8() > MAX_FOLDER_LEN {
            break;
        }
        out.push(c);
    }
    if out.is_empty() {
        out.push('?');
    }
    out
}

impl Manifest {
    /// Builds the manifest for an original; flags are sorted and de-duplicated.
    pub(crate) fn for_original(
        seal_id: SealId,
        original_sha256: [u8; 32],
        original_size: u64,
        folder: &str,
        flags: &[String],
        internaldate: InternalDate,
    ) -> Result<Self, SealError> {
        if !valid_folder(folder) {
            return Err(SealError::InvalidInput(format!(
                "folder name must be 1 to {MAX_FOLDER_LEN} bytes without control characters"
            )));
        }
        let mut flags = flags.to_vec();
        flags.sort();
        flags.dedup();
        if flags.len() > MAX_FLAGS {
            return Err(SealError::InvalidInput(format!(
                "more than {MAX_FLAGS} flags"
            )));
        }
        if let Some(bad) = flags.iter().find(|f| !valid_flag(f)) {
            return Err(SealError::InvalidInput(format!(
                "{bad:?} is not a valid IMAP flag"
            )));
        }
        Ok(Self {
            version: MANIFEST_VERSION,
            seal_id,
            internaldate,
            original_size,
            original_sha256,
            folder: folder.to_owned(),
            flags,
        })
    }

    /// The canonical encoding (without the length prefix).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + 4 + self.folder.len() + 16 * self.flags.len());
        out.push(self.version);
        out.extend_from_slice(self.seal_id.as_bytes());
        out.extend_from_slice(&self.internaldate.unix_seconds().to_be_bytes());
        out.extend_from_slice(&self.internaldate.offset_minutes().to_be_bytes());
        out.extend_from_slice(&self.original_size.to_be_bytes());
        out.extend_from_slice(&self.original_sha256);
        // Lengths were checked in for_original / parse, so the casts are lossless.
        out.extend_from_slice(&(self.folder.len() as u16).to_be_bytes());
        out.extend_from_slice(self.folder.as_bytes());
        out.extend_from_slice(&(self.flags.len() as u16).to_be_bytes());
        for f in &self.flags {
            out.push(f.len() as u8);
            out.extend_from_slice(f.as_bytes());
        }
        out
    }

    fn parse(bytes: &[u8]) -> Result<Self, SealError> {
        let bad = SealError::MalformedManifest;
        let mut r = Reader::new(bytes);
        let version = r.u8().ok_or(bad("empty manifest"))?;
        if version != MANIFEST_VERSION {
            return Err(SealError::UnsupportedVersion(u64::from(version)));
        }
        let short = || bad("manifest is truncated");
        let seal_id = SealId(r.array().ok_or_else(short)?);
        let unix = r.i64().ok_or_else(short)?;
        let offset = r.i16().ok_or_else(short)?;
        let internaldate =
            InternalDate::new(unix, offset).map_err(|_| bad("INTERNALDATE out of range"))?;
        let original_size = r.u64().ok_or_else(short)?;
        let original_sha256 = r.array().ok_or_else(short)?;
        let folder_len = usize::from(r.u16().ok_or_else(short)?);
        let folder = std::str::from_utf8(r.take(folder_len).ok_or_else(short)?)
            .map_err(|_| bad("folder is not UTF-8"))?;
        if !valid_folder(folder) {
            return Err(bad("invalid folder name"));
        }
        let count = usize::from(r.u16().ok_or_else(short)?);
        if count > MAX_FLAGS {
            return Err(bad("too many flags"));
        }
        let mut flags: Vec<String> = Vec::with_capacity(count);
        for _ in 0..count {
            let len = usize::from(r.u8().ok_or_else(short)?);
            let flag = std::str::from_utf8(r.take(len).ok_or_else(short)?)
                .map_err(|_| bad("flag is not ASCII"))?;
            if !valid_flag(flag) {
                return Err(bad("invalid flag"));
            }
            if flags.last().is_some_and(|prev| prev.as_str() >= flag) {
                return Err(bad("flags are not sorted and unique"));
            }
            flags.push(flag.to_owned());
        }
        if !r.remaining().is_empty() {
            return Err(bad("trailing bytes in manifest"));
        }
        Ok(Self {
            version,
            seal_id,
            internaldate,
            original_size,
            original_sha256,
            folder: folder.to_owned(),
            flags,
        })
    }
}

/// The inner plaintext as parts, so it can be streamed into age without
/// first copying the original into one buffer.
pub(crate) struct InnerParts<'a> {
    /// `manifest_len ‖ manifest ‖ mac`.
    pub(crate) prefix: Vec<u8>,
    /// The original bytes.
    pub(crate) original: &'a [u8],
    /// Number of zero bytes that follow.
    pub(crate) padding: usize,
}

impl InnerParts<'_> {
    /// Total length (a padding bucket).
    pub(crate) fn len(&self) -> usize {
        self.prefix.len() + self.original.len() + self.padding
    }
}

/// Lays out the padded inner plaintext around `original`, with `mac` given
/// (normally the real MAC; tests pass a forged one).
pub(crate) fn inner_parts<'a>(
    manifest_bytes: &[u8],
    mac: &[u8; MAC_LEN],
    original: &'a [u8],
) -> Result<InnerParts<'a>, SealError> {
    let manifest_len = u32::try_from(manifest_bytes.len())
        .map_err(|_| SealError::InvalidInput("manifest too large".into()))?;
    let content = 4 + manifest_bytes.len() + MAC_LEN + original.len();
    let padded = usize::try_from(padding::bucket(content as u64))
        .map_err(|_| SealError::InvalidInput("message too large".into()))?;
    let mut prefix = Vec::with_capacity(4 + manifest_bytes.len() + MAC_LEN);
    prefix.extend_from_slice(&manifest_len.to_be_bytes());
    prefix.extend_from_slice(manifest_bytes);
    prefix.extend_from_slice(mac);
    Ok(InnerParts {
        prefix,
        original,
        padding: padded - content,
    })
}

/// MAC over `manifest_len ‖ manifest`.
pub(crate) fn manifest_mac(
    key: &MacKey,
    manifest_bytes: &[u8],
) -> Result<[u8; MAC_LEN], SealError> {
    let len = u32::try_from(manifest_bytes.len())
        .map_err(|_| SealError::InvalidInput("manifest too large".into()))?;
    Ok(hmac(key, &[&len.to_be_bytes(), manifest_bytes]))
}

/// The decoded inner plaintext.
pub(crate) struct Inner {
    pub(crate) manifest: Manifest,
    pub(crate) mac: [u8; MAC_LEN],
    /// Where the original starts in the inner plaintext, and its length.
    pub(crate) original: std::ops::Range<usize>,
}

/// Splits and strictly checks the inner plaintext: structure, exact padding,
/// and the SHA-256 of the original. The MAC is checked by the caller.
pub(crate) fn decode_inner(inner: &[u8]) -> Result<Inner, SealError> {
    let bad = SealError::MalformedManifest;
    let mut r = Reader::new(inner);
    let manifest_len = usize::try_from(r.u32().ok_or(bad("payload is too short"))?)
        .map_err(|_| bad("manifest length out of range"))?;
    let manifest_bytes = r.take(manifest_len).ok_or(bad("manifest is truncated"))?;
    let manifest = Manifest::parse(manifest_bytes)?;
    let mac = r.array().ok_or(bad("MAC is truncated"))?;
    let size =
        usize::try_from(manifest.original_size).map_err(|_| bad("original size out of range"))?;
    let original_start = inner.len() - r.remaining().len();
    let original = r.take(size).ok_or(bad("original is truncated"))?;
    let padding = r.remaining();
    let content = 4 + manifest_len + MAC_LEN + size;
    if padding::bucket(content as u64) != inner.len() as u64 {
        return Err(bad("padding does not match the size bucket"));
    }
    if padding.iter().any(|&b| b != 0) {
        return Err(bad("padding is not all zero"));
    }
    let digest: [u8; 32] = Sha256::digest(original).into();
    if digest != manifest.original_sha256 {
        return Err(SealError::Inconsistent(
            "SHA-256 of the original does not match the manifest",
        ));
    }
    Ok(Inner {
        manifest,
        mac,
        original: original_start..original_start + size,
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn any_server_folder_name_has_a_manifest_form() {
        assert_eq!(manifest_folder("INBOX"), "INBOX");
        assert_eq!(manifest_folder("Evil\u{1b}[2J"), "Evil\u{FFFD}[2J");
        assert_eq!(manifest_folder(""), "?");
        let long = "ü".repeat(MAX_FOLDER_LEN);
        let cut = manifest_folder(&long);
        assert!(cut.len() <= MAX_FOLDER_LEN && valid_folder(&cut));
        for name in ["a\u{0}b", "\u{7f}", "tab\there"] {
            assert!(valid_folder(&manifest_folder(name)), "{name:?}");
        }
    }

    use super::*;

    fn manifest(flags: &[&str]) -> Manifest {
        let original = b"hello";
        Manifest::for_original(
            SealId([7; 32]),
            Sha256::digest(original).into(),
            5,
            "INBOX/Ärchiv",
            &flags.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            InternalDate::new(1_700_000_000, -60).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn manifest_round_trip_sorted_flags() {
        let m = manifest(&["\\Seen", "$Label1", "\\Flagged", "\\Seen"]);
        assert_eq!(m.flags, vec!["$Label1", "\\Flagged", "\\Seen"]);
        let bytes = m.encode();
        assert_eq!(Manifest::parse(&bytes).unwrap(), m);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Manifest::parse(&longer).is_err());
        for cut in 0..bytes.len() {
            assert!(Manifest::parse(&bytes[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn unsorted_flags_are_not_canonical() {
        let m = manifest(&["\\Seen", "\\Answered"]);
        let mut bytes = m.encode();
        // Swap the two (equal-length) flags on the wire.
        let n = bytes.len();
        let (a, b) = (n - 16, n - 8);
        let first = bytes[a..a + 8].to_vec();
        let second = bytes[b..b + 8].to_vec();
        bytes[a..a + 8].copy_from_slice(&second);
        bytes[b..b + 8].copy_from_slice(&first);
        assert!(matches!(
            Manifest::parse(&bytes),
            Err(SealError::MalformedManifest(_))
        ));
    }

    #[test]
    fn flag_and_folder_validation() {
        for ok in ["\\Seen", "$Junk", "NonJunk", "\\Answered", "a"] {
            assert!(valid_flag(ok), "{ok}");
        }
        for bad in [
            "",
            "\\",
            "has space",
            "a(b",
            "x\\y",
            "\\\\Seen",
            "quo\"te",
            "br]acket",
            "ünï",
        ] {
            assert!(!valid_flag(bad), "{bad}");
        }
        assert!(valid_folder("INBOX"));
        assert!(!valid_folder(""));
        assert!(!valid_folder("a\r\nb"));
        assert!(!valid_folder(&"x".repeat(MAX_FOLDER_LEN + 1)));
    }

    #[test]
    fn seal_id_hex_round_trip() {
        let id = SealId([0xab; 32]);
        assert_eq!(SealId::parse_hex(&id.to_string()), Some(id));
        assert_eq!(SealId::parse_hex(&id.to_string().to_uppercase()), None);
        assert_eq!(SealId::parse_hex("ab"), None);
    }
}
