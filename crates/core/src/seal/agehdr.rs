//! Checks the framing of an age v1 file without decrypting: header, stanzas, payload length.
//!
//! This is what an auditor can check with no key: that the payload is an age
//! file, to how many recipients (and of which types) it is encrypted, and
//! that the encrypted length is exactly one of Coffer's padding buckets.
//! Decryption (the age crate) re-checks everything cryptographically.

use super::SealError;
use super::padding;

const INTRO: &[u8] = b"age-encryption.org/v1\n";
const NONCE_LEN: u64 = 16;
const TAG_LEN: u64 = 16;
const CHUNK: u64 = 64 * 1024;

/// What the age header reveals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgeFraming {
    /// Recipient stanza types, in order (e.g. `["X25519"]`).
    pub(crate) stanza_types: Vec<String>,
    /// Length of the header, up to and including the MAC line.
    pub(crate) header_len: usize,
    /// Plaintext length implied by the STREAM payload length.
    pub(crate) plaintext_len: u64,
}

fn bad(reason: &'static str) -> SealError {
    SealError::MalformedPayload(reason)
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// Splits off the next LF-terminated line.
fn take_line<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], SealError> {
    let end = rest
        .iter()
        .position(|&c| c == b'\n')
        .ok_or(bad("age header is truncated"))?;
    let (line, tail) = rest.split_at(end);
    *rest = tail.get(1..).unwrap_or_default();
    Ok(line)
}

pub(crate) fn check(file: &[u8]) -> Result<AgeFraming, SealError> {
    let (stanza_types, header_len) = parse_header(file)?;
    let payload_len = (file.len() - header_len) as u64;
    let plaintext_len =
        plaintext_len(payload_len).ok_or(bad("age payload length is impossible"))?;
    Ok(AgeFraming {
        stanza_types,
        header_len,
        plaintext_len,
    })
}

/// Checks the framing from the first bytes of an age file whose total
/// length is one of `file_len_candidates`; the plaintext length must be a
/// padding bucket for one of them.
pub(crate) fn check_prefix(
    prefix: &[u8],
    file_len_candidates: &[u64],
) -> Result<AgeFraming, SealError> {
    let (stanza_types, header_len) = parse_header(prefix)?;
    let plaintext_len = file_len_candidates
        .iter()
        .filter_map(|&len| len.checked_sub(header_len as u64))
        .filter_map(plaintext_len)
        .find(|&len| check_bucket(len).is_ok())
        .ok_or(bad("encrypted length is not a padding bucket"))?;
    Ok(AgeFraming {
        stanza_types,
        header_len,
        plaintext_len,
    })
}

/// Parses the header up to and including the MAC line; returns the stanza
/// types and the header's length.
fn parse_header(file: &[u8]) -> Result<(Vec<String>, usize), SealError> {
    let mut rest = file.strip_prefix(INTRO).ok_or(bad("not an age v1 file"))?;
    let mut stanza_types = Vec::new();
    loop {
        let line = take_line(&mut rest)?;
        if let Some(mac) = line.strip_prefix(b"--- ") {
            if mac.len() != 43 || !mac.iter().all(|&c| is_b64(c)) {
                return Err(bad("age header MAC is malformed"));
            }
            break;
        }
        let args = line
            .strip_prefix(b"-> ")
            .ok_or(bad("age header line is malformed"))?;
        let mut parts = args.split(|&c| c == b' ');
        let tag = parts.next().unwrap_or_default();
        if tag.is_empty()
            || parts
                .chain(std::iter::once(tag))
                .any(|a| a.is_empty() || !a.iter().all(|c| (0x21..=0x7e).contains(c)))
        {
            return Err(bad("age stanza arguments are malformed"));
        }
        stanza_types.push(String::from_utf8_lossy(tag).into_owned());
        // Body: base64 lines of 64 characters, ended by a shorter line.
        loop {
            let body = take_line(&mut rest)?;
            if body.len() > 64 || !body.iter().all(|&c| is_b64(c)) {
                return Err(bad("age stanza body is malformed"));
            }
            if body.len() < 64 {
                break;
            }
        }
    }
    if stanza_types.is_empty() {
        return Err(bad("age header has no recipients"));
    }
    Ok((stanza_types, file.len() - rest.len()))
}

/// The plaintext length for an age payload (nonce + STREAM chunks) length.
pub(crate) fn plaintext_len(payload_len: u64) -> Option<u64> {
    let p = payload_len.checked_sub(NONCE_LEN)?;
    if p < TAG_LEN {
        return None;
    }
    let chunks = p.div_ceil(CHUNK + TAG_LEN);
    let len = p - chunks * TAG_LEN;
    // A length just past a chunk boundary has no valid split: None, not
    // an underflow (the candidates come from a server-given size).
    let last = len.checked_sub((chunks - 1) * CHUNK)?;
    // Only a lone chunk may be empty.
    (last <= CHUNK && (last > 0 || chunks == 1)).then_some(len)
}

/// Checks that the decrypted length is a padding bucket.
pub(crate) fn check_bucket(plaintext_len: u64) -> Result<(), SealError> {
    if plaintext_len < padding::MIN_BUCKET || !padding::is_bucket(plaintext_len) {
        return Err(bad("encrypted length is not a padding bucket"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_between_chunk_counts_are_refused_without_overflow() {
        for extra in 1..=TAG_LEN {
            assert_eq!(plaintext_len(NONCE_LEN + CHUNK + TAG_LEN + extra), None);
        }
    }

    fn stream_len(len: u64) -> u64 {
        let chunks = if len == 0 { 1 } else { len.div_ceil(CHUNK) };
        NONCE_LEN + len + chunks * TAG_LEN
    }

    #[test]
    fn payload_length_inverts_stream_framing() {
        for len in [
            0,
            1,
            100,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            2 * CHUNK,
            10 * CHUNK + 5,
            10_223_616,
        ] {
            assert_eq!(plaintext_len(stream_len(len)), Some(len), "{len}");
        }
        assert_eq!(plaintext_len(0), None);
        assert_eq!(plaintext_len(31), None);
        // One byte past a full chunk's tag cannot be a valid chunk.
        assert_eq!(plaintext_len(NONCE_LEN + CHUNK + TAG_LEN + 16), None);
    }
}
