//! The structure of a sealed message, checked a byte range at a time and
//! without any key: what an auditor verifies beyond the head.
//!
//! A sealed message's head and size fix the shape of all the rest: where
//! each base64 line lies, and how the last line ends (its `=` padding follows
//! from the one age file length whose plaintext is a padding bucket).
//! [`Structure::check`] holds a byte range to that shape with the line rules
//! the whole-message reader applies (`outer::check_line`), so the two cannot
//! disagree. What no structure check can tell is whether the base64 carries
//! ciphertext: base64 of anything passes. Only opening with the vault's key
//! shows that.

use std::ops::Range;

use super::SealError;
use super::outer::{self, BodyLayout};

/// `len` bytes of a message from `offset` (an IMAP partial fetch
/// `BODY.PEEK[]<offset.len>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteRange {
    /// The first byte's offset in the message.
    pub offset: u64,
    /// How many bytes.
    pub len: u64,
}

impl ByteRange {
    /// The offset just past the range.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.len)
    }
}

/// What a sealed message's head and size fix about the rest of it; made by
/// [`super::inspect_structure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structure {
    layout: BodyLayout,
    /// The `=` characters that end the last line (0 to 2).
    padding: u64,
    /// Body lines already checked with the head: the first ones.
    lines_in_head: u64,
}

fn malformed(reason: &'static str) -> SealError {
    SealError::MalformedWrapper(reason)
}

impl Structure {
    /// `payload_len` is the age file's length, one of the layout's
    /// candidates (so the padding is 0 to 2).
    pub(crate) fn new(layout: BodyLayout, payload_len: u64, lines_in_head: u64) -> Self {
        let padding = (layout.chars() / 4 * 3).saturating_sub(payload_len);
        Self {
            layout,
            padding,
            lines_in_head: lines_in_head.min(layout.lines),
        }
    }

    /// The structure of a whole message that has passed [`super::inspect`]:
    /// every line is checked already.
    pub(crate) fn whole(message: &[u8], payload_len: u64) -> Result<Self, SealError> {
        let layout = outer::layout_of(message)?;
        Ok(Self::new(layout, payload_len, layout.lines))
    }

    /// The message's size in bytes.
    pub fn total_size(&self) -> u64 {
        self.layout.total_size()
    }

    /// Offset of the first body line.
    pub fn body_start(&self) -> u64 {
        self.layout.body_start
    }

    /// Number of body lines.
    pub fn lines(&self) -> u64 {
        self.layout.lines
    }

    /// Body lines the head held whole and that were checked with it: lines
    /// `0..lines_in_head()`.
    pub fn lines_in_head(&self) -> u64 {
        self.lines_in_head
    }

    /// Offset where body line `line` starts (or would start: lines past
    /// the last one continue the pattern).
    pub fn line_start(&self, line: u64) -> u64 {
        self.layout.line_start(line)
    }

    /// Lines `first..first + count` (clipped to the body) as a byte range.
    pub fn lines_range(&self, first: u64, count: u64) -> ByteRange {
        let first = first.min(self.layout.lines);
        let end = first.saturating_add(count).min(self.layout.lines);
        let offset = self.layout.line_start(first);
        let end_offset = if end == self.layout.lines {
            self.total_size()
        } else {
            self.layout.line_start(end)
        };
        ByteRange {
            offset,
            len: end_offset - offset,
        }
    }

    /// Checks the bytes a server returned for `range` of this message: that
    /// there are as many as the message's size says (none past its end), and
    /// every body line wholly inside them. Returns the lines checked; a
    /// range that starts or ends inside a line leaves that line out (plan
    /// ranges with [`Structure::lines_range`] to check every line).
    pub fn check(&self, range: ByteRange, bytes: &[u8]) -> Result<Range<u64>, SealError> {
        let total = self.total_size();
        let expected = total.saturating_sub(range.offset).min(range.len);
        let got = bytes.len() as u64;
        if got > expected {
            return Err(malformed("data after the final line"));
        }
        if got < expected {
            return Err(malformed("message is shorter than its size"));
        }
        let layout = &self.layout;
        // The first line starting at or after the range's offset.
        let first = range
            .offset
            .saturating_sub(layout.body_start)
            .div_ceil(outer::FULL_LINE)
            .min(layout.lines);
        let end = range.offset + got;
        let mut line = first;
        while line < layout.lines {
            let start = layout.line_start(line);
            let stop = start + layout.line_bytes(line);
            if stop > end {
                break;
            }
            let bytes = usize::try_from(start - range.offset)
                .ok()
                .zip(usize::try_from(stop - range.offset).ok())
                .and_then(|(a, b)| bytes.get(a..b))
                .ok_or(malformed("message is shorter than its size"))?;
            let last = line + 1 == layout.lines;
            let text = outer::check_line(bytes, last)?;
            if last && outer::padding_of(text) != self.padding {
                return Err(SealError::MalformedPayload(
                    "encrypted length is not a padding bucket",
                ));
            }
            line += 1;
        }
        Ok(first..line)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;
    use crate::audit::HEAD_BYTES;
    use crate::keys::MasterSecret;
    use crate::seal::{self, InternalDate, SealInput, outer::FULL_LINE};

    fn sealed(len: usize) -> Vec<u8> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(len as u64);
        let keys = MasterSecret::generate(&mut rng).derive().unwrap();
        let original = vec![b'q'; len];
        let input = SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: InternalDate::new(1_706_781_600, 0).unwrap(),
            original: &original,
        };
        seal::seal(&keys, &input, &mut rng).unwrap()
    }

    fn head(msg: &[u8]) -> &[u8] {
        &msg[..msg.len().min(HEAD_BYTES as usize)]
    }

    fn structure(msg: &[u8]) -> Structure {
        seal::inspect_structure(head(msg), msg.len() as u64)
            .unwrap()
            .1
    }

    /// Checks every line after the head, as one range: what `--full` does.
    fn check_rest(s: &Structure, msg: &[u8]) -> Result<Range<u64>, SealError> {
        let range = s.lines_range(s.lines_in_head(), u64::MAX);
        let range = ByteRange {
            len: range.len + FULL_LINE,
            ..range
        };
        s.check(range, &msg[range.offset as usize..])
    }

    /// Replaces body line `line` (its characters, not the CRLF) of `msg`.
    fn with_line(msg: &[u8], s: &Structure, line: u64, text: &[u8]) -> Vec<u8> {
        let start = s.line_start(line) as usize;
        let len = s.lines_range(line, 1).len as usize - 2;
        assert_eq!(text.len(), len);
        let mut out = msg.to_vec();
        out[start..start + len].copy_from_slice(text);
        out
    }

    #[test]
    fn a_genuine_seal_passes_every_range_and_every_line_is_checked() {
        for len in [0usize, 5_000, 70_000, 300_000] {
            let msg = sealed(len);
            let s = structure(&msg);
            assert_eq!(s.total_size(), msg.len() as u64);
            let lines = check_rest(&s, &msg).unwrap();
            assert_eq!(lines, s.lines_in_head()..s.lines(), "{len}");
            // Line by line too.
            for line in s.lines_in_head()..s.lines() {
                let r = s.lines_range(line, 1);
                let got = s
                    .check(r, &msg[r.offset as usize..r.end() as usize])
                    .unwrap();
                assert_eq!(got, line..line + 1);
            }
        }
    }

    #[test]
    fn a_line_of_another_length_is_malformed() {
        let msg = sealed(70_000);
        let s = structure(&msg);
        let line = s.lines_in_head() + 3;
        let at = s.line_start(line) as usize;
        // Move the CRLF one character to the left: same size, a short line.
        let mut bad = msg.clone();
        bad[at + 75..at + 78].copy_from_slice(b"\r\nA");
        let e = check_rest(&s, &bad).unwrap_err();
        assert!(matches!(e, SealError::MalformedWrapper(_)), "{e}");
    }

    #[test]
    fn a_character_outside_the_alphabet_is_malformed() {
        let msg = sealed(70_000);
        let s = structure(&msg);
        let line = s.lines_in_head() + 1;
        let text = [b'A'; 75].iter().chain(b"-").copied().collect::<Vec<_>>();
        let bad = with_line(&msg, &s, line, &text);
        assert_eq!(
            check_rest(&s, &bad).unwrap_err(),
            SealError::MalformedWrapper("body is not canonical base64")
        );
        // A plaintext line of the right length is no better.
        let text = b"Dear Bob, the merger closes on Friday. Please keep this to yourself. Alice..";
        let bad = with_line(&msg, &s, line, &text[..76]);
        assert!(check_rest(&s, &bad).is_err());
    }

    #[test]
    fn padding_before_the_last_line_is_malformed() {
        let msg = sealed(70_000);
        let s = structure(&msg);
        let text = [b'A'; 74].iter().chain(b"==").copied().collect::<Vec<_>>();
        let bad = with_line(&msg, &s, s.lines() - 2, &text);
        assert_eq!(
            check_rest(&s, &bad).unwrap_err(),
            SealError::MalformedWrapper("padding inside the base64 body")
        );
    }

    #[test]
    fn the_last_line_must_be_canonical_and_end_the_message() {
        let msg = sealed(70_000);
        let s = structure(&msg);
        let last = s.lines() - 1;
        let r = s.lines_range(last, 1);
        let text = &msg[r.offset as usize..r.end() as usize - 2];
        let n = text.len();
        // Non-zero trailing bits before the padding ("AB==" decodes the
        // same byte as "AA==" in a lenient decoder).
        let mut odd = text.to_vec();
        odd[n - 4..].copy_from_slice(b"AB==");
        let bad = with_line(&msg, &s, last, &odd);
        assert_eq!(
            check_rest(&s, &bad).unwrap_err(),
            SealError::MalformedWrapper("body is not canonical base64")
        );
        // Anything after the final CRLF.
        let mut longer = msg.clone();
        longer.extend_from_slice(b"x");
        assert_eq!(
            check_rest(&s, &longer).unwrap_err(),
            SealError::MalformedWrapper("data after the final line")
        );
        // A message cut short of its size.
        assert_eq!(
            check_rest(&s, &msg[..msg.len() - 1]).unwrap_err(),
            SealError::MalformedWrapper("message is shorter than its size")
        );
        // No CRLF at the end: the last line runs into the end.
        let mut no_crlf = msg.clone();
        let len = no_crlf.len();
        no_crlf[len - 2..].copy_from_slice(b"AA");
        assert!(check_rest(&s, &no_crlf).is_err());
    }

    #[test]
    fn the_final_padding_must_give_the_size_bucket() {
        let msg = sealed(70_000);
        let s = structure(&msg);
        let last = s.lines() - 1;
        let r = s.lines_range(last, 1);
        let mut text = msg[r.offset as usize..r.end() as usize - 2].to_vec();
        let n = text.len();
        // Canonical on its own, but one padding character more or less
        // changes the age file's length, whose plaintext is then no bucket.
        let other: &[u8] = if text.ends_with(b"==") {
            b"AAAA"
        } else {
            b"AA=="
        };
        text[n - 4..].copy_from_slice(other);
        let bad = with_line(&msg, &s, last, &text);
        assert_eq!(
            check_rest(&s, &bad).unwrap_err(),
            SealError::MalformedPayload("encrypted length is not a padding bucket")
        );
    }

    #[test]
    fn the_size_must_fit_a_padded_bucket() {
        let msg = sealed(70_000);
        // One more body line claimed by the size: 57 more bytes of age file,
        // whose plaintext is then no bucket.
        for extra in [FULL_LINE, 4, 1] {
            assert!(
                seal::inspect_structure(head(&msg), msg.len() as u64 + extra).is_err(),
                "{extra}"
            );
        }
    }

    #[test]
    fn a_genuine_head_over_a_plaintext_body_passes_the_head_but_not_the_rest() {
        let msg = sealed(70_000);
        let mut forged = head(&msg).to_vec();
        let filler = b"Subject: the real mail\r\n\r\nPlaintext the provider can read, padded.\r\n";
        while forged.len() < msg.len() {
            forged.push(filler[forged.len() % filler.len()]);
        }
        // The head alone cannot tell.
        assert!(seal::inspect_head(head(&forged), forged.len() as u64).is_ok());
        let s = structure(&forged);
        // The tail tells.
        let tail = s.lines_range(s.lines() - 2, 2);
        let tail = ByteRange {
            len: tail.len + FULL_LINE,
            ..tail
        };
        assert!(s.check(tail, &forged[tail.offset as usize..]).is_err());
        // So does any sample in between.
        let r = s.lines_range(s.lines() / 2, 7);
        assert!(
            s.check(r, &forged[r.offset as usize..r.end() as usize])
                .is_err()
        );
        assert!(check_rest(&s, &forged).is_err());
    }

    #[test]
    fn ranges_cut_inside_a_line_check_only_whole_lines() {
        let msg = sealed(70_000);
        let s = structure(&msg);
        let line = s.lines_in_head() + 2;
        let r = ByteRange {
            offset: s.line_start(line) + 5,
            len: 3 * FULL_LINE,
        };
        let got = s
            .check(r, &msg[r.offset as usize..r.end() as usize])
            .unwrap();
        assert_eq!(got, line + 1..line + 3);
    }
}
