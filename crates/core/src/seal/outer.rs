//! The outer RFC 5322/MIME message: a constant header template around the base64 age file.
//!
//! ```text
//! From: Coffer <sealed@coffer.invalid>
//! To: Coffer <sealed@coffer.invalid>
//! Subject: Sealed message
//! Date: <INTERNALDATE, canonical RFC 5322 form>
//! Message-ID: <32 lowercase hex digits@coffer.invalid>
//! MIME-Version: 1.0
//! X-Coffer-Seal: 1
//! X-Coffer-Seal-Id: <64 lowercase hex digits>
//! Content-Type: application/octet-stream
//! Content-Transfer-Encoding: base64
//! Content-Disposition: attachment; filename="sealed.age"
//!
//! <the age file in base64, 76 characters per line>
//! ```
//!
//! Every line ends in CRLF, including the last; nothing follows it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::{CryptoRng, RngCore};

use super::SealError;
use super::date::InternalDate;
use super::manifest::SealId;

/// The marker header's name.
pub const MARKER_HEADER: &str = "X-Coffer-Seal";
/// The seal id header's name (search for it with `UID SEARCH HEADER`).
pub const SEAL_ID_HEADER: &str = "X-Coffer-Seal-Id";
/// The outer format version in the marker header.
pub const OUTER_VERSION: u8 = 1;

/// The header field names of every sealed message, in order: all the
/// provider sees of the outer header besides the values of `Date`,
/// `Message-ID` and `X-Coffer-Seal-Id`.
pub const TEMPLATE_HEADER_NAMES: [&str; 11] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    MARKER_HEADER,
    SEAL_ID_HEADER,
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
];
/// Base64 characters per body line.
pub const LINE_LEN: usize = 76;

const FROM: &str = "From: Coffer <sealed@coffer.invalid>";
const TO: &str = "To: Coffer <sealed@coffer.invalid>";
const SUBJECT: &str = "Subject: Sealed message";
const MIME: &str = "MIME-Version: 1.0";
const CONTENT_TYPE: &str = "Content-Type: application/octet-stream";
const CTE: &str = "Content-Transfer-Encoding: base64";
const DISPOSITION: &str = "Content-Disposition: attachment; filename=\"sealed.age\"";
const MSGID_DOMAIN: &str = "@coffer.invalid>";

/// What the outer message says, read without decrypting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outer {
    pub(crate) date: InternalDate,
    pub(crate) message_id: String,
    pub(crate) seal_id: SealId,
    pub(crate) payload: Vec<u8>,
}

/// Writes the outer message around an age file.
pub(crate) fn wrap<R: RngCore + CryptoRng>(
    payload: &[u8],
    date: &InternalDate,
    seal_id: &SealId,
    rng: &mut R,
) -> Vec<u8> {
    let mut id = [0u8; 16];
    rng.fill_bytes(&mut id);
    let id = crate::hex(&id);

    let b64_len = payload.len().div_ceil(3) * 4;
    let mut out = Vec::with_capacity(700 + b64_len + 2 * b64_len.div_ceil(LINE_LEN));
    let mut line = |s: &str| {
        out.extend_from_slice(s.as_bytes());
        out.extend_from_slice(b"\r\n");
    };
    line(FROM);
    line(TO);
    line(SUBJECT);
    line(&format!("Date: {date}"));
    line(&format!("Message-ID: <{id}{MSGID_DOMAIN}"));
    line(MIME);
    line(&format!("{MARKER_HEADER}: {OUTER_VERSION}"));
    line(&format!("{SEAL_ID_HEADER}: {seal_id}"));
    line(CONTENT_TYPE);
    line(CTE);
    line(DISPOSITION);
    line("");
    // Encode a batch of lines at a time into a small buffer (57 input bytes
    // make one 76-character line), then copy the lines out with CRLF.
    const BATCH_LINES: usize = 64;
    let mut buf = String::with_capacity(BATCH_LINES * LINE_LEN);
    for batch in payload.chunks(BATCH_LINES * LINE_LEN / 4 * 3) {
        buf.clear();
        STANDARD.encode_string(batch, &mut buf);
        for chunk in buf.as_bytes().chunks(LINE_LEN) {
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn malformed(reason: &'static str) -> SealError {
    SealError::MalformedWrapper(reason)
}

/// Parses and strictly checks the outer message; decodes the age file.
pub(crate) fn unwrap(message: &[u8]) -> Result<Outer, SealError> {
    let (header, body) = split_header(message)?;
    let payload = decode_body(body)?;
    Ok(Outer {
        date: header.date,
        message_id: header.message_id,
        seal_id: header.seal_id,
        payload,
    })
}

/// What the outer header says, after checking it against the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OuterHeader {
    pub(crate) date: InternalDate,
    pub(crate) message_id: String,
    pub(crate) seal_id: SealId,
}

/// The start of a sealed message: its checked header, the age file bytes
/// decoded from the complete body lines available, and the lengths the whole
/// age file can have given the message's total size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OuterPrefix {
    pub(crate) header: OuterHeader,
    pub(crate) payload_prefix: Vec<u8>,
    /// One to three candidates: the final base64 padding (0–2 `=`) is not
    /// in the prefix.
    pub(crate) payload_len_candidates: Vec<u64>,
}

/// Checks the header template of `prefix` (the first bytes of a message
/// whose full size is `total_size`) and decodes the body lines it holds,
/// without needing the rest of the message.
pub(crate) fn unwrap_prefix(prefix: &[u8], total_size: u64) -> Result<OuterPrefix, SealError> {
    let (header, body) = split_header(prefix)?;
    let header_len = (prefix.len() - body.len()) as u64;
    let body_len = total_size
        .checked_sub(header_len)
        .filter(|&n| n > 2)
        .ok_or(malformed("empty body"))?;
    // Every line is 76 characters + CRLF except the last, which has 1 to 76.
    let full = (LINE_LEN + 2) as u64;
    let lines = body_len.div_ceil(full);
    let last = body_len - (lines - 1) * full;
    if last < 3 {
        return Err(malformed("body lines are not 76 base64 characters"));
    }
    let chars = (lines - 1) * LINE_LEN as u64 + (last - 2);
    if !chars.is_multiple_of(4) {
        return Err(malformed("body is not canonical base64"));
    }
    let max = chars / 4 * 3;
    let payload_len_candidates = (0..=2u64).filter_map(|pad| max.checked_sub(pad)).collect();
    // Decode only complete full-length lines from the prefix.
    let complete = body.len() / (LINE_LEN + 2) * (LINE_LEN + 2);
    let available = body.get(..complete).unwrap_or_default();
    let mut payload_prefix = Vec::with_capacity(complete / (LINE_LEN + 2) * (LINE_LEN / 4 * 3));
    for line in available.chunks(LINE_LEN + 2) {
        let text = line
            .strip_suffix(b"\r\n")
            .filter(|t| t.len() == LINE_LEN)
            .ok_or(malformed("body lines are not 76 base64 characters"))?;
        if text.contains(&b'=') && (complete as u64) < body_len {
            return Err(malformed("padding inside the base64 body"));
        }
        STANDARD
            .decode_vec(text, &mut payload_prefix)
            .map_err(|_| malformed("body is not canonical base64"))?;
    }
    Ok(OuterPrefix {
        header,
        payload_prefix,
        payload_len_candidates,
    })
}

/// Splits `message` at the blank line and checks the header template.
fn split_header(message: &[u8]) -> Result<(OuterHeader, &[u8]), SealError> {
    let split =
        find(message, b"\r\n\r\n").ok_or(malformed("no blank line between header and body"))?;
    let (head, body) = message.split_at(split);
    let body = body.get(4..).ok_or(malformed("no body"))?;
    let head = std::str::from_utf8(head).map_err(|_| malformed("header is not ASCII"))?;
    let lines: Vec<&str> = head.split("\r\n").collect();

    // The version decides the template, so check it before anything else.
    let marker_prefix = format!("{MARKER_HEADER}: ");
    let marker = lines
        .iter()
        .find_map(|l| l.strip_prefix(&marker_prefix))
        .ok_or(SealError::NotASeal)?;
    if marker.is_empty() || marker.len() > 9 || !marker.bytes().all(|c| c.is_ascii_digit()) {
        return Err(malformed("marker header has no version number"));
    }
    let version: u64 = marker
        .parse()
        .map_err(|_| malformed("marker header has no version number"))?;
    if version != u64::from(OUTER_VERSION) || marker.starts_with('0') {
        return Err(SealError::UnsupportedVersion(version));
    }

    let [
        from,
        to,
        subject,
        date,
        msgid,
        mime,
        mark,
        sid,
        ctype,
        cte,
        disp,
    ] = lines.as_slice()
    else {
        return Err(malformed("header lines differ from the template"));
    };
    let fixed = [
        (from, FROM),
        (to, TO),
        (subject, SUBJECT),
        (mime, MIME),
        (ctype, CONTENT_TYPE),
        (cte, CTE),
        (disp, DISPOSITION),
    ];
    if fixed.iter().any(|(got, want)| *got != want)
        || *mark != format!("{marker_prefix}{OUTER_VERSION}")
    {
        return Err(malformed("header lines differ from the template"));
    }
    let date = date
        .strip_prefix("Date: ")
        .ok_or(malformed("Date header missing"))?;
    let date =
        InternalDate::parse_rfc5322(date).map_err(|_| malformed("Date header is not canonical"))?;
    let message_id = msgid
        .strip_prefix("Message-ID: <")
        .and_then(|m| m.strip_suffix(MSGID_DOMAIN))
        .filter(|m| m.len() == 32 && m.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or(malformed("Message-ID is not in the template form"))?;
    let seal_id = sid
        .strip_prefix(&format!("{SEAL_ID_HEADER}: "))
        .and_then(SealId::parse_hex)
        .ok_or(malformed("seal id header is not 64 lowercase hex digits"))?;
    Ok((
        OuterHeader {
            date,
            message_id: format!("<{message_id}{MSGID_DOMAIN}"),
            seal_id,
        },
        body,
    ))
}

/// Decodes base64 lines of exactly [`LINE_LEN`] characters (the last one
/// shorter or equal), each ended by CRLF, with canonical padding.
fn decode_body(body: &[u8]) -> Result<Vec<u8>, SealError> {
    const BATCH_LINES: usize = 64;
    if body.is_empty() {
        return Err(malformed("empty body"));
    }
    let mut out = Vec::with_capacity(body.len() / (LINE_LEN + 2) * (LINE_LEN / 4 * 3) + 64);
    let mut batch = Vec::with_capacity(BATCH_LINES * LINE_LEN);
    let mut lines = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&c| c == b'\r')
            .ok_or(malformed("body does not end with CRLF"))?;
        let (line, tail) = rest.split_at(end);
        rest = tail
            .strip_prefix(b"\r\n")
            .ok_or(malformed("body lines do not end with CRLF"))?;
        let last = rest.is_empty();
        if line.is_empty() || line.len() > LINE_LEN || (!last && line.len() != LINE_LEN) {
            return Err(malformed("body lines are not 76 base64 characters"));
        }
        batch.extend_from_slice(line);
        lines += 1;
        if lines == BATCH_LINES || last {
            // Full lines are 76 characters, a multiple of 4, so batches decode
            // independently; padding may only appear in the final batch.
            // STANDARD insists on canonical padding and zero trailing bits, so
            // one age file has exactly one body.
            if !last && batch.contains(&b'=') {
                return Err(malformed("padding inside the base64 body"));
            }
            STANDARD
                .decode_vec(&batch, &mut out)
                .map_err(|_| malformed("body is not canonical base64"))?;
            batch.clear();
            lines = 0;
        }
    }
    Ok(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample(payload: &[u8]) -> Vec<u8> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        wrap(
            payload,
            &InternalDate::new(1_700_000_000, 60).unwrap(),
            &SealId::from_bytes([1; 32]),
            &mut rng,
        )
    }

    #[test]
    fn wrap_unwrap_round_trip() {
        for len in [1, 56, 57, 58, 1000] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let msg = sample(&payload);
            let outer = unwrap(&msg).unwrap();
            assert_eq!(outer.payload, payload);
            assert_eq!(outer.seal_id, SealId::from_bytes([1; 32]));
            assert!(msg.ends_with(b"\r\n"));
            assert!(!msg.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
        }
    }

    #[test]
    fn strictness() {
        let msg = sample(&[9u8; 200]);
        let text = String::from_utf8(msg.clone()).unwrap();
        let cases: Vec<(String, &str)> = vec![
            (text.replace("\r\n", "\n"), "LF endings"),
            (format!("{text}x"), "trailing data"),
            (format!("{text}\r\n"), "trailing blank line"),
            (
                text.replace("Subject: Sealed message", "Subject: Hi"),
                "subject",
            ),
            (text.replace("MIME-Version: 1.0\r\n", ""), "missing header"),
            (
                text.replacen("From:", "X-Extra: 1\r\nFrom:", 1),
                "extra header",
            ),
            (text[..text.len() - 2].to_string(), "no final CRLF"),
            (text[..text.len() - 5].to_string() + "\r\n", "cut base64"),
            (text.replace("Date: Tue", "Date: Wed"), "weekday"),
        ];
        for (bad, what) in cases {
            assert!(
                matches!(unwrap(bad.as_bytes()), Err(SealError::MalformedWrapper(_))),
                "{what}"
            );
        }
        assert!(matches!(
            unwrap(b"From: a\r\n\r\nbody\r\n"),
            Err(SealError::NotASeal)
        ));
        let v2 = text.replace("X-Coffer-Seal: 1", "X-Coffer-Seal: 2");
        assert!(matches!(
            unwrap(v2.as_bytes()),
            Err(SealError::UnsupportedVersion(2))
        ));
    }
}
