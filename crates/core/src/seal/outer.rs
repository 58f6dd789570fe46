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

/// Where the body lines of a whole `message` lie (its header checked).
pub(crate) fn layout_of(message: &[u8]) -> Result<BodyLayout, SealError> {
    let (_, body) = split_header(message)?;
    BodyLayout::new((message.len() - body.len()) as u64, message.len() as u64)
}

/// What the outer header says, after checking it against the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OuterHeader {
    pub(crate) date: InternalDate,
    pub(crate) message_id: String,
    pub(crate) seal_id: SealId,
}

/// Where the base64 lines of a sealed message's body lie, fixed by the
/// header's length and the message's total size alone: every line is
/// [`LINE_LEN`] characters and CRLF except the last, which has 1 to
/// [`LINE_LEN`], and the characters in all are a multiple of 4. The
/// whole-message reader, the head inspector and the auditor's range checks
/// all find the lines here and check each with [`check_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyLayout {
    /// Offset of the first body line in the message.
    pub(crate) body_start: u64,
    /// Number of body lines (at least one).
    pub(crate) lines: u64,
    /// Base64 characters on the last line (1 to [`LINE_LEN`]).
    pub(crate) last_line_chars: u64,
}

/// A full body line with its CRLF, in bytes.
pub(crate) const FULL_LINE: u64 = LINE_LEN as u64 + 2;

impl BodyLayout {
    /// The layout of a message of `total_size` bytes whose body starts at
    /// `body_start`; an error when no canonical body has that length.
    pub(crate) fn new(body_start: u64, total_size: u64) -> Result<Self, SealError> {
        let body_len = total_size
            .checked_sub(body_start)
            .filter(|&n| n > 2)
            .ok_or(malformed("empty body"))?;
        let lines = body_len.div_ceil(FULL_LINE);
        let last = body_len - (lines - 1) * FULL_LINE;
        if last < 3 {
            return Err(malformed("body lines are not 76 base64 characters"));
        }
        let layout = BodyLayout {
            body_start,
            lines,
            last_line_chars: last - 2,
        };
        if !layout.chars().is_multiple_of(4) {
            return Err(malformed("body is not canonical base64"));
        }
        Ok(layout)
    }

    /// Base64 characters in the whole body.
    pub(crate) fn chars(&self) -> u64 {
        (self.lines - 1) * LINE_LEN as u64 + self.last_line_chars
    }

    /// The message's total size.
    pub(crate) fn total_size(&self) -> u64 {
        self.line_start(self.lines - 1) + self.last_line_chars + 2
    }

    /// Offset in the message where body line `line` starts.
    pub(crate) fn line_start(&self, line: u64) -> u64 {
        self.body_start + line * FULL_LINE
    }

    /// Length of body line `line` with its CRLF.
    pub(crate) fn line_bytes(&self, line: u64) -> u64 {
        if line + 1 == self.lines {
            self.last_line_chars + 2
        } else {
            FULL_LINE
        }
    }

    /// The age file lengths the body can hold: the final `=` padding (0 to
    /// 2) is on the last line.
    pub(crate) fn payload_len_candidates(&self) -> Vec<u64> {
        let max = self.chars() / 4 * 3;
        (0..=2u64).filter_map(|pad| max.checked_sub(pad)).collect()
    }
}

/// The line-level rules of the body: `line` is one body line with its
/// CRLF, `last` whether it is the final one. A line other than the last is
/// exactly [`LINE_LEN`] characters of the base64 alphabet; the last has 1 to
/// [`LINE_LEN`] and is canonical base64 on its own (padding only at its end,
/// zero trailing bits). Returns the line's characters.
pub(crate) fn check_line(line: &[u8], last: bool) -> Result<&[u8], SealError> {
    let text = line
        .strip_suffix(b"\r\n")
        .ok_or(malformed("body lines do not end with CRLF"))?;
    if text.is_empty() || text.len() > LINE_LEN || (!last && text.len() != LINE_LEN) {
        return Err(malformed("body lines are not 76 base64 characters"));
    }
    if !last {
        if let Some(&c) = text.iter().find(|&&c| !is_base64_char(c)) {
            return Err(malformed(if c == b'=' {
                "padding inside the base64 body"
            } else {
                "body is not canonical base64"
            }));
        }
        return Ok(text);
    }
    // The last line holds a multiple of 4 characters (all others hold 76),
    // so it decodes alone; STANDARD insists on canonical padding and zero
    // trailing bits.
    let mut out = [0u8; LINE_LEN / 4 * 3];
    STANDARD
        .decode_slice(text, &mut out)
        .map_err(|_| malformed("body is not canonical base64"))?;
    Ok(text)
}

/// The number of `=` at the end of the last line's characters.
pub(crate) fn padding_of(last_line: &[u8]) -> u64 {
    last_line.iter().rev().take_while(|&&c| c == b'=').count() as u64
}

fn is_base64_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// The start of a sealed message: its checked header, the age file bytes
/// decoded from the complete body lines available, and where the body's
/// lines lie given the message's total size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OuterPrefix {
    pub(crate) header: OuterHeader,
    pub(crate) payload_prefix: Vec<u8>,
    pub(crate) layout: BodyLayout,
    /// Body lines complete in the prefix (and checked).
    pub(crate) lines_in_prefix: u64,
}

/// Checks the header template of `prefix` (the first bytes of a message
/// whose full size is `total_size`) and decodes the body lines it holds,
/// without needing the rest of the message.
pub(crate) fn unwrap_prefix(prefix: &[u8], total_size: u64) -> Result<OuterPrefix, SealError> {
    let (header, body) = split_header(prefix)?;
    let layout = BodyLayout::new((prefix.len() - body.len()) as u64, total_size)?;
    // Decode only complete lines from the prefix; none is the last, which
    // ends the message, and the prefix is shorter than the message.
    let lines_in_prefix = (body.len() as u64 / FULL_LINE).min(layout.lines - 1);
    let mut payload_prefix = Vec::with_capacity(lines_in_prefix as usize * (LINE_LEN / 4 * 3));
    for line in body
        .chunks_exact(FULL_LINE as usize)
        .take(lines_in_prefix as usize)
    {
        let text = check_line(line, false)?;
        STANDARD
            .decode_vec(text, &mut payload_prefix)
            .map_err(|_| malformed("body is not canonical base64"))?;
    }
    Ok(OuterPrefix {
        header,
        payload_prefix,
        layout,
        lines_in_prefix,
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

/// Decodes the body: base64 lines where [`BodyLayout`] puts them, each
/// passing [`check_line`].
fn decode_body(body: &[u8]) -> Result<Vec<u8>, SealError> {
    const BATCH_LINES: usize = 64;
    let layout = BodyLayout::new(0, body.len() as u64)?;
    let mut out = Vec::with_capacity(body.len() / FULL_LINE as usize * (LINE_LEN / 4 * 3) + 64);
    let mut batch = Vec::with_capacity(BATCH_LINES * LINE_LEN);
    let mut batch_start = 0u64;
    let mut rest = body;
    for line in 0..layout.lines {
        let last = line + 1 == layout.lines;
        let (this, tail) = rest.split_at(rest.len().min(layout.line_bytes(line) as usize));
        rest = tail;
        // A full line's length and CRLF are checked here; its alphabet by
        // the decoder below, which rejects any other byte and an `=` before
        // the end (the per-byte check was most of the time spent opening a
        // seal). The last line is checked whole, canonical padding included.
        let text = match this.strip_suffix(b"\r\n") {
            Some(text) if !last && text.len() == LINE_LEN => text,
            _ => check_line(this, last)?,
        };
        batch.extend_from_slice(text);
        // Full lines are 76 characters, a multiple of 4, so batches decode
        // independently; only the batch holding the last line may end in `=`.
        if batch.len() == BATCH_LINES * LINE_LEN || last {
            let padded_early = !last && batch.last() == Some(&b'=');
            if padded_early || STANDARD.decode_vec(&batch, &mut out).is_err() {
                // The reason, as the line-by-line check gives it.
                for l in batch_start..=line {
                    let start = (l * FULL_LINE) as usize;
                    let end = start + layout.line_bytes(l) as usize;
                    check_line(
                        body.get(start..end).unwrap_or_default(),
                        l + 1 == layout.lines,
                    )?;
                }
                return Err(malformed("body is not canonical base64"));
            }
            batch.clear();
            batch_start = line + 1;
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
    fn each_line_rule() {
        let full: Vec<u8> = [b'A'; LINE_LEN].iter().chain(b"\r\n").copied().collect();
        assert!(check_line(&full, false).is_ok());
        assert!(check_line(&full, true).is_ok());
        let bad = |line: &[u8], last: bool| check_line(line, last).unwrap_err();
        // Only the last line may be shorter; none longer; each ends in CRLF.
        assert!(check_line(b"QQ==\r\n", true).is_ok());
        assert_eq!(
            bad(b"QQ==\r\n", false),
            malformed("body lines are not 76 base64 characters")
        );
        assert_eq!(
            bad(&[&full[..LINE_LEN], b"A\r\n"].concat(), true),
            malformed("body lines are not 76 base64 characters")
        );
        assert_eq!(
            bad(b"\r\n", true),
            malformed("body lines are not 76 base64 characters")
        );
        assert_eq!(
            bad(&full[..LINE_LEN], false),
            malformed("body lines do not end with CRLF")
        );
        assert_eq!(
            bad(&[&full[..LINE_LEN], b"\n"].concat(), false),
            malformed("body lines do not end with CRLF")
        );
        // The alphabet; padding only at the end of the last line.
        let mut other = full.clone();
        other[10] = b'-';
        assert_eq!(
            bad(&other, false),
            malformed("body is not canonical base64")
        );
        assert_eq!(bad(&other, true), malformed("body is not canonical base64"));
        let mut padded = full.clone();
        padded[LINE_LEN - 2..LINE_LEN].copy_from_slice(b"==");
        assert_eq!(
            bad(&padded, false),
            malformed("padding inside the base64 body")
        );
        assert!(check_line(&padded, true).is_ok());
        // The last line is canonical: whole groups, zero trailing bits.
        assert_eq!(
            bad(b"QR==\r\n", true),
            malformed("body is not canonical base64")
        );
        assert_eq!(
            bad(b"QQ=\r\n", true),
            malformed("body is not canonical base64")
        );
        assert_eq!(
            bad(b"Q=Q=\r\n", true),
            malformed("body is not canonical base64")
        );
        assert_eq!(padding_of(b"QQ=="), 2);
        assert_eq!(padding_of(b"QUE="), 1);
        assert_eq!(padding_of(b"QUFB"), 0);
    }

    #[test]
    fn the_layout_follows_from_the_sizes() {
        let l = BodyLayout::new(10, 10 + FULL_LINE + 6).unwrap();
        assert_eq!((l.lines, l.last_line_chars, l.chars()), (2, 4, 80));
        assert_eq!(l.total_size(), 10 + FULL_LINE + 6);
        assert_eq!(l.line_start(1), 10 + FULL_LINE);
        assert_eq!((l.line_bytes(0), l.line_bytes(1)), (FULL_LINE, 6));
        assert_eq!(l.payload_len_candidates(), vec![60, 59, 58]);
        // No canonical body has these lengths.
        for total in [10, 12, 10 + 5, 10 + FULL_LINE + 1, 10 + FULL_LINE + 2] {
            assert!(BodyLayout::new(10, total).is_err(), "{total}");
        }
    }

    /// Every full line of a large body, in every position of a decoding
    /// batch (64 lines), refuses padding and bytes outside the alphabet
    /// with the line check's own reason.
    #[test]
    fn every_line_of_a_large_body_is_held_to_the_alphabet() {
        let msg = sample(&[5u8; 20_000]);
        let (_, body) = split_header(&msg).unwrap();
        let start = msg.len() - body.len();
        let lines = body.len() / FULL_LINE as usize;
        assert!(lines > 130, "{lines}");
        for line in [0, 1, 62, 63, 64, 65, 127, 128, lines - 2] {
            let at = start + line * FULL_LINE as usize;
            for (pos, bad, reason) in [
                (10, b"=", "padding inside the base64 body"),
                (74, b"=", "padding inside the base64 body"),
                (75, b"=", "padding inside the base64 body"),
                (30, b"-", "body is not canonical base64"),
                (0, b" ", "body is not canonical base64"),
            ] {
                let mut m = msg.clone();
                m[at + pos] = bad[0];
                assert_eq!(
                    unwrap(&m).unwrap_err(),
                    SealError::MalformedWrapper(reason),
                    "line {line}, position {pos}"
                );
            }
            // "==" ending a full line (canonical on its own) is refused too.
            let mut m = msg.clone();
            m[at + 74..at + 76].copy_from_slice(b"==");
            assert_eq!(
                unwrap(&m).unwrap_err(),
                SealError::MalformedWrapper("padding inside the base64 body"),
                "line {line}"
            );
        }
        assert!(unwrap(&msg).is_ok());
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
