//! A realistic, reproducible mail corpus for benchmarks: mostly short text,
//! a quarter HTML, about one in twenty with a 0.2–2 MB attachment.

use rand::{Rng as _, SeedableRng as _};

/// One generated message.
#[derive(Debug, Clone)]
pub struct CorpusMessage {
    /// The RFC 5322 bytes, CRLF line endings.
    pub bytes: Vec<u8>,
    /// INTERNALDATE, seconds since the epoch.
    pub internaldate: i64,
    /// Whether the message is marked read.
    pub seen: bool,
}

const WORDS: &[&str] = &[
    "meeting", "invoice", "project", "deadline", "coffee", "report", "budget", "review",
    "schedule", "travel", "contract", "update", "question", "thanks", "draft", "launch",
    "customer", "design", "quarter", "please", "attached", "tomorrow", "office", "team",
];

fn words(rng: &mut impl rand::Rng, min: usize, max: usize) -> String {
    let n = rng.gen_range(min..max);
    (0..n)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn base64_lines(data: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(text.len() + text.len() / 38);
    for chunk in text.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// Generates `count` messages from `seed`, about `target_bytes` in all.
pub fn generate(count: usize, target_bytes: u64, seed: u64) -> Vec<CorpusMessage> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    // Attachments carry most of the bytes; size them so the total lands near
    // the target: 5 % of messages, the rest a few kilobytes each.
    let attachments = (count / 20).max(1);
    let text_bytes = (count - attachments) as u64 * 3_000;
    // Base64 makes an attachment 4/3 of its raw size on the wire.
    let per_attachment = target_bytes.saturating_sub(text_bytes) / attachments as u64 * 3 / 4;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let date = 1_600_000_000 + i as i64 * 3_607;
        let subject = words(&mut rng, 2, 7);
        let mut m = format!(
            "Return-Path: <sender{s}@example.org>\r\nFrom: Sender {s} <sender{s}@example.org>\r\n\
             To: alice@example.test\r\nSubject: {subject}\r\nMessage-ID: <corpus{i}@example.org>\r\n\
             Date: Sun, 13 Sep 2020 12:26:40 +0000\r\nMIME-Version: 1.0\r\n",
            s = rng.gen_range(0..300),
        );
        let paragraphs = rng.gen_range(1..8);
        let body: Vec<String> = (0..paragraphs).map(|_| words(&mut rng, 20, 80)).collect();
        if i % 20 == 7 {
            // Spread attachment sizes over 0.2–2 MB around the per-attachment mean.
            let size = (per_attachment as f64 * rng.gen_range(0.3..1.7)) as usize;
            let size = size.clamp(150_000, 1_500_000);
            let mut blob = vec![0u8; size];
            rng.fill(&mut blob[..]);
            m.push_str("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n");
            m.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
            m.push_str(&body.join("\r\n\r\n"));
            m.push_str("\r\n--b1\r\nContent-Type: application/pdf; name=\"doc.pdf\"\r\n");
            m.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
            m.push_str(&base64_lines(&blob));
            m.push_str("--b1--\r\n");
        } else if i % 4 == 1 {
            m.push_str("Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>");
            for p in &body {
                m.push_str("<p style=\"font-family:Arial\">");
                m.push_str(p);
                m.push_str("</p>\r\n");
            }
            m.push_str("</body></html>\r\n");
        } else {
            m.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
            m.push_str(&body.join("\r\n\r\n"));
            m.push_str("\r\n");
        }
        out.push(CorpusMessage {
            bytes: m.into_bytes(),
            internaldate: date,
            seen: rng.gen_bool(0.7),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_has_the_promised_shape() {
        let c = generate(2000, 160_000_000, 1);
        assert_eq!(c.len(), 2000);
        let total: u64 = c.iter().map(|m| m.bytes.len() as u64).sum();
        assert!((120_000_000..200_000_000).contains(&total), "{total}");
        let html = c
            .iter()
            .filter(|m| m.bytes.windows(9).any(|w| w == b"text/html"))
            .count();
        assert!((450..550).contains(&html), "{html}");
        let big = c.iter().filter(|m| m.bytes.len() > 200_000).count();
        assert_eq!(big, 100);
        // Reproducible.
        assert_eq!(
            generate(5, 1_000_000, 9)[3].bytes,
            generate(5, 1_000_000, 9)[3].bytes
        );
    }
}
