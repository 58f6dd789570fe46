//! Modified UTF-7 (RFC 3501 §5.1.3), the encoding of IMAP folder names.
//!
//! Decoding is strict: a name the server sends that is not canonical modified
//! UTF-7 is an error, never a guess, so two different wire names can never
//! decode to the same folder.

use base64::Engine as _;
use base64::alphabet::Alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// A wire name that is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("folder name {0:?} is not valid modified UTF-7")]
pub struct InvalidMutf7(pub String);

fn engine() -> Result<GeneralPurpose, InvalidMutf7> {
    // The alphabet is a constant, so this cannot fail in practice; an error
    // is still reported rather than panicking.
    let alphabet =
        Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")
            .map_err(|_| InvalidMutf7(String::new()))?;
    Ok(GeneralPurpose::new(
        &alphabet,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(false),
    ))
}

fn is_direct(c: char) -> bool {
    ('\x20'..='\x7e').contains(&c) && c != '&'
}

/// Encodes a Unicode folder name for the wire.
pub fn encode(name: &str) -> String {
    let Ok(engine) = engine() else {
        return name.to_owned();
    };
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&engine.encode(bytes));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if is_direct(c) {
            flush(&mut pending, &mut out);
            out.push(c);
        } else if c == '&' {
            flush(&mut pending, &mut out);
            out.push_str("&-");
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Decodes a folder name received from the server.
pub fn decode(wire: &str) -> Result<String, InvalidMutf7> {
    let bad = || InvalidMutf7(wire.to_owned());
    let engine = engine()?;
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(pos) = rest.find('&') {
        let (direct, tail) = rest.split_at(pos);
        if !direct.chars().all(is_direct) {
            return Err(bad());
        }
        out.push_str(direct);
        let tail = tail.get(1..).ok_or_else(bad)?;
        let end = tail.find('-').ok_or_else(bad)?;
        let (b64, after) = tail.split_at(end);
        rest = after.get(1..).ok_or_else(bad)?;
        if b64.is_empty() {
            out.push('&');
            continue;
        }
        let bytes = engine.decode(b64).map_err(|_| bad())?;
        if bytes.len() % 2 != 0 {
            return Err(bad());
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .filter_map(|p| <[u8; 2]>::try_from(p).ok())
            .map(u16::from_be_bytes)
            .collect();
        let decoded = String::from_utf16(&units).map_err(|_| bad())?;
        // Canonical form: characters that could be written directly must not be
        // base64-encoded, and two encoded runs must not be adjacent.
        let adjacent_run = rest.starts_with('&') && !rest.starts_with("&-");
        if decoded.chars().any(is_direct) || decoded.contains('&') || adjacent_run {
            return Err(bad());
        }
        out.push_str(&decoded);
    }
    if !rest.chars().all(is_direct) {
        return Err(bad());
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() -> Result<(), InvalidMutf7> {
        // RFC 3501's own example and common real-world folder names.
        let cases = [
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
            ("Reçus", "Re&AOc-us"),
            ("Tom & Jerry", "Tom &- Jerry"),
            ("INBOX", "INBOX"),
            ("📬 mail", "&2D3c7A- mail"),
        ];
        for (plain, wire) in cases {
            assert_eq!(encode(plain), wire, "encoding {plain}");
            assert_eq!(decode(wire)?, plain, "decoding {wire}");
        }
        Ok(())
    }

    #[test]
    fn rejects_non_canonical_or_broken() {
        for bad in [
            "&",
            "&AGE",
            "&AGEAYg-",
            "a&Jjo-&Jjo-",
            "&Jj-",
            "caf\u{e9}",
            "&2D0-",
        ] {
            assert!(decode(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn round_trips_arbitrary_text() -> Result<(), InvalidMutf7> {
        for s in [
            "",
            "a",
            "&&",
            "é&é",
            "x🎉y&-z",
            "日本語/Sub Folder",
            "\u{7f}",
        ] {
            assert_eq!(decode(&encode(s))?, s);
        }
        Ok(())
    }
}
