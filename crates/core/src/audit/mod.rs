//! Classifies a message on the server from its first bytes and its size: a
//! Coffer seal, another tool's encryption, or plaintext — without any key.
//! A seal so classified is a well-formed seal only once the rest of its
//! structure checks out too: [`sample`] plans which byte ranges to read, and
//! [`crate::seal::Structure::check`] checks them.

pub mod sample;

use crate::seal::{self, OuterInfo, SealError, Structure};

/// How many bytes of each message an audit reads: the outer header and the
/// age header of a seal fit many times over; a MIME header almost always.
pub const HEAD_BYTES: u32 = 8192;

/// Encryption by a tool other than Coffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OtherTool {
    /// `multipart/encrypted; protocol="application/pgp-encrypted"` (RFC 3156).
    PgpMime,
    /// `application/pkcs7-mime` (RFC 8551).
    Smime,
    /// An ASCII-armoured `-----BEGIN PGP MESSAGE-----` block in the body.
    InlinePgp,
    /// `multipart/encrypted` with another protocol.
    OtherMultipartEncrypted,
}

impl OtherTool {
    /// A stable name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OtherTool::PgpMime => "pgp_mime",
            OtherTool::Smime => "smime",
            OtherTool::InlinePgp => "inline_pgp",
            OtherTool::OtherMultipartEncrypted => "multipart_encrypted",
        }
    }
}

/// What a message is, as far as the provider's copy shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A well-formed Coffer seal v1: template header, age framing, and a
    /// ciphertext length that is a padding bucket.
    Sealed(Box<OuterInfo>),
    /// Marked as a Coffer seal but not a well-formed one.
    MalformedSeal(SealError),
    /// Encrypted by another tool: not readable by the provider, not Coffer's.
    OtherEncryption(OtherTool),
    /// Readable by the provider.
    Plaintext,
}

impl Verdict {
    /// A stable name for reports: `sealed`, `malformed_seal`, `other_encryption`, `plaintext`.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Sealed(_) => "sealed",
            Verdict::MalformedSeal(_) => "malformed_seal",
            Verdict::OtherEncryption(_) => "other_encryption",
            Verdict::Plaintext => "plaintext",
        }
    }
}

/// Classifies a message from its first bytes `head` and its total size.
pub fn classify(head: &[u8], total_size: u64) -> Verdict {
    classify_with_structure(head, total_size).0
}

/// [`classify`], with what a seal's head fixes about the rest of it, to
/// check with [`sample`] and [`Structure::check`].
pub fn classify_with_structure(head: &[u8], total_size: u64) -> (Verdict, Option<Structure>) {
    let header_end = find(head, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(head, b"\n\n").map(|i| i + 2))
        .unwrap_or(head.len());
    let (header, body) = head.split_at(header_end);
    let fields = unfold(header);
    if fields
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(seal::outer::MARKER_HEADER))
    {
        return match seal::inspect_structure(head, total_size) {
            Ok((info, structure)) => (Verdict::Sealed(Box::new(info)), Some(structure)),
            Err(e) => (Verdict::MalformedSeal(e), None),
        };
    }
    (not_a_seal(&fields, body), None)
}

/// What a message without Coffer's marker is: another tool's encryption,
/// or plaintext.
fn not_a_seal(fields: &[(String, String)], body: &[u8]) -> Verdict {
    if let Some(ct) = fields
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Content-Type"))
        .map(|(_, value)| value.to_ascii_lowercase())
    {
        let compact: String = ct.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.starts_with("multipart/encrypted") {
            return if compact.contains("application/pgp-encrypted") {
                Verdict::OtherEncryption(OtherTool::PgpMime)
            } else {
                Verdict::OtherEncryption(OtherTool::OtherMultipartEncrypted)
            };
        }
        if compact.starts_with("application/pkcs7-mime")
            || compact.starts_with("application/x-pkcs7-mime")
        {
            return Verdict::OtherEncryption(OtherTool::Smime);
        }
    }
    if find(body, b"-----BEGIN PGP MESSAGE-----").is_some() {
        return Verdict::OtherEncryption(OtherTool::InlinePgp);
    }
    Verdict::Plaintext
}

/// The header fields of `header`, unfolded, as (name, value) pairs.
fn unfold(header: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(header);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    fields
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;
    use crate::keys::MasterSecret;
    use crate::seal::{InternalDate, SealInput};

    fn sealed(original: &[u8]) -> Vec<u8> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let keys = MasterSecret::generate(&mut rng).derive().unwrap();
        let input = SealInput {
            folder: "INBOX",
            flags: &["\\Seen".to_owned()],
            internaldate: InternalDate::new(1_706_781_600, 0).unwrap(),
            original,
        };
        seal::seal(&keys, &input, &mut rng).unwrap()
    }

    fn head(msg: &[u8]) -> &[u8] {
        &msg[..msg.len().min(HEAD_BYTES as usize)]
    }

    #[test]
    fn seals_of_every_size_classify_from_their_head_alone() {
        for size in [0usize, 100, 9_000, 70_000, 300_000, 2_000_000] {
            let original = vec![b'x'; size];
            let msg = sealed(&original);
            let verdict = classify(head(&msg), msg.len() as u64);
            let Verdict::Sealed(info) = &verdict else {
                panic!("{size}: {verdict:?}");
            };
            // The head-only view agrees with a full inspection.
            assert_eq!(**info, seal::inspect(&msg).unwrap(), "size {size}");
        }
    }

    #[test]
    fn a_truncated_seal_is_malformed_even_when_only_its_head_is_read() {
        let msg = sealed(&vec![b'y'; 300_000]);
        for cut in [msg.len() - 1, msg.len() - 79, msg.len() / 2, 5_000] {
            let truncated = &msg[..cut];
            let v = classify(head(truncated), truncated.len() as u64);
            assert_eq!(v.kind(), "malformed_seal", "cut at {cut}: {v:?}");
        }
    }

    #[test]
    fn a_seal_with_a_changed_header_is_malformed() {
        let msg = sealed(b"hello");
        let text = String::from_utf8(msg)
            .unwrap()
            .replace("Sealed message", "Sealed messagE");
        let v = classify(text.as_bytes(), text.len() as u64);
        assert_eq!(v.kind(), "malformed_seal");
    }

    #[test]
    fn other_tools_are_recognised() {
        let pgp_mime = b"From: a@b\r\nContent-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\"; boundary=x\r\n\r\n--x\r\n";
        assert_eq!(
            classify(pgp_mime, 500),
            Verdict::OtherEncryption(OtherTool::PgpMime)
        );
        let smime = b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nMIAG";
        assert_eq!(
            classify(smime, 500),
            Verdict::OtherEncryption(OtherTool::Smime)
        );
        let inline = b"Subject: hi\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nhQEM\r\n";
        assert_eq!(
            classify(inline, 500),
            Verdict::OtherEncryption(OtherTool::InlinePgp)
        );
    }

    #[test]
    fn ordinary_mail_is_plaintext() {
        let m = b"From: a@b\r\nSubject: lunch\r\nContent-Type: text/plain\r\n\r\nsee you";
        assert_eq!(classify(m, m.len() as u64), Verdict::Plaintext);
        assert_eq!(classify(b"", 0), Verdict::Plaintext);
        // A message that merely mentions the marker in its body is plaintext.
        let m = b"Subject: x\r\n\r\nX-Coffer-Seal: 1\r\n";
        assert_eq!(classify(m, m.len() as u64), Verdict::Plaintext);
    }
}
