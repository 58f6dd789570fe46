//! Composing outgoing mail: a [`Draft`] becomes RFC 5322 bytes through
//! mail-builder (MIME, RFC 2047 and 2231 encoding, UTF-8), never by hand.
//!
//! One message is built, with its `Bcc`: that is the copy the sender keeps
//! (sealed, in Sent). What goes to the SMTP server is the same bytes without
//! the `Bcc` field ([`without_bcc`]), so the blind copies stay blind.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use rand::{CryptoRng, RngCore};

/// A person: display name (may be empty) and address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    /// The display name.
    pub name: String,
    /// `user@example.org`.
    pub address: String,
}

impl Person {
    /// Reads `Name <user@example.org>`, `"Name" <user@example.org>` or a
    /// bare address; refuses anything else.
    pub fn parse(text: &str) -> Result<Self, ComposeError> {
        let text = text.trim();
        let (name, address) = match (text.rfind('<'), text.ends_with('>')) {
            (Some(open), true) => (
                text.get(..open)
                    .unwrap_or_default()
                    .trim()
                    .trim_matches('"')
                    .trim(),
                text.get(open + 1..text.len() - 1)
                    .unwrap_or_default()
                    .trim(),
            ),
            _ => ("", text),
        };
        let valid = address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !address
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
        });
        if !valid {
            return Err(ComposeError::BadAddress(text.to_owned()));
        }
        if name.chars().any(char::is_control) {
            return Err(ComposeError::BadAddress(text.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            address: address.to_owned(),
        })
    }

    fn address(&self) -> Address<'_> {
        if self.name.is_empty() {
            Address::from(self.address.as_str())
        } else {
            Address::from((self.name.as_str(), self.address.as_str()))
        }
    }
}

/// A file to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    /// The file name (any characters; encoded per RFC 2231).
    pub name: String,
    /// `type/subtype`.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// What the user wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    /// The sender.
    pub from: Person,
    /// `To`.
    pub to: Vec<Person>,
    /// `Cc`.
    pub cc: Vec<Person>,
    /// `Bcc`: in the envelope and the sender's copy, never in the SMTP data.
    pub bcc: Vec<Person>,
    /// The subject.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// An HTML alternative.
    pub html: Option<String>,
    /// Files.
    pub attachments: Vec<AttachmentFile>,
    /// The message replied to (its Message-ID, without angle brackets).
    pub in_reply_to: Option<String>,
    /// The conversation's References, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// This message's Message-ID, without angle brackets ([`new_message_id`]).
    pub message_id: String,
    /// The Date, Unix seconds.
    pub date: i64,
}

/// A composed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// The sender's copy, with `Bcc` (to be sealed into Sent).
    pub sent_copy: Vec<u8>,
    /// What is submitted over SMTP: the same, without `Bcc`.
    pub data: Vec<u8>,
    /// The envelope sender.
    pub envelope_from: String,
    /// Every recipient (To, Cc and Bcc), each once, in that order.
    pub recipients: Vec<String>,
}

/// Why a draft cannot be composed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ComposeError {
    /// Not an e-mail address.
    #[error("{0:?} is not an e-mail address")]
    BadAddress(String),
    /// Nobody to send to.
    #[error("the message has no recipient (To, Cc or Bcc)")]
    NoRecipient,
    /// A header value with a line break.
    #[error("the subject contains a line break")]
    BadSubject,
}

fn list(people: &[Person]) -> Address<'_> {
    Address::new_list(people.iter().map(Person::address).collect())
}

/// A new Message-ID on the sender's domain: 128 random bits.
pub fn new_message_id<R: RngCore + CryptoRng>(rng: &mut R, from: &Person) -> String {
    let mut id = [0u8; 16];
    rng.fill_bytes(&mut id);
    let domain = from
        .address
        .rsplit_once('@')
        .map_or("coffer.invalid", |(_, d)| d);
    format!("{}@{domain}", crate::hex(&id))
}

/// Builds the message.
pub fn compose(d: &Draft) -> Result<Composed, ComposeError> {
    build(d, true)
}

/// Builds an unfinished message to keep as a draft: recipients optional.
pub fn compose_draft(d: &Draft) -> Result<Composed, ComposeError> {
    build(d, false)
}

fn build(d: &Draft, needs_recipient: bool) -> Result<Composed, ComposeError> {
    if d.subject.contains(['\r', '\n']) {
        return Err(ComposeError::BadSubject);
    }
    let mut recipients: Vec<String> = Vec::new();
    for p in d.to.iter().chain(&d.cc).chain(&d.bcc) {
        if !recipients
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&p.address))
        {
            recipients.push(p.address.clone());
        }
    }
    if recipients.is_empty() && needs_recipient {
        return Err(ComposeError::NoRecipient);
    }
    let mut m = MessageBuilder::new()
        .from(d.from.address())
        .subject(d.subject.as_str())
        .message_id(d.message_id.as_str())
        .date(d.date)
        .text_body(d.text.as_str());
    if !d.to.is_empty() {
        m = m.to(list(&d.to));
    }
    if !d.cc.is_empty() {
        m = m.cc(list(&d.cc));
    }
    if !d.bcc.is_empty() {
        m = m.bcc(list(&d.bcc));
    }
    if let Some(parent) = &d.in_reply_to {
        m = m.in_reply_to(parent.as_str());
    }
    if !d.references.is_empty() {
        m = m.references(
            d.references
                .iter()
                .map(String::as_str)
                .collect::<Vec<&str>>(),
        );
    }
    if let Some(html) = &d.html {
        m = m.html_body(html.as_str());
    }
    for a in &d.attachments {
        m = m.attachment(a.content_type.as_str(), a.name.as_str(), a.bytes.as_slice());
    }
    let sent_copy = m.write_to_vec().unwrap_or_default();
    Ok(Composed {
        data: without_bcc(&sent_copy),
        sent_copy,
        envelope_from: d.from.address.clone(),
        recipients,
    })
}

/// `message` without its `Bcc` field (and the field's folded lines); the
/// body and every other byte unchanged.
pub fn without_bcc(message: &[u8]) -> Vec<u8> {
    let head_end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(message.len(), |i| i + 2);
    let (head, body) = message.split_at(head_end);
    let mut out = Vec::with_capacity(message.len());
    let mut skipping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        let folded = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !folded {
            skipping = line.len() >= 4
                && line
                    .get(..4)
                    .is_some_and(|n| n.eq_ignore_ascii_case(b"bcc:"));
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

/// The text of a reply: the original's lines quoted with `> `, after an
/// attribution line.
pub fn quote(original_text: &str, who: &str, date: &str) -> String {
    let mut out = format!("\n\nOn {date}, {who} wrote:\n");
    for line in original_text.lines() {
        out.push('>');
        if !line.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `Re: subject`, not `Re: Re: subject`.
pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    if s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:")) {
        s.to_owned()
    } else {
        format!("Re: {s}")
    }
}

/// `Fwd: subject`.
pub fn forward_subject(subject: &str) -> String {
    let s = subject.trim();
    if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("fwd:")) {
        s.to_owned()
    } else {
        format!("Fwd: {s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::read_message;

    fn draft() -> Draft {
        Draft {
            from: Person::parse("Alice Ärger <alice@example.test>").unwrap(),
            to: vec![Person::parse("bob@example.test").unwrap()],
            cc: vec![Person::parse("\"Carol\" <carol@example.test>").unwrap()],
            bcc: vec![Person::parse("Dave <dave@example.test>").unwrap()],
            subject: "Grüße — 会議".into(),
            text: "Hallo Bob,\nbis morgen.\n".into(),
            html: Some("<p>Hallo <b>Bob</b></p>".into()),
            attachments: vec![AttachmentFile {
                name: "Übersicht März.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: b"%PDF-1.4\n".to_vec(),
            }],
            in_reply_to: Some("parent@example.test".into()),
            references: vec!["root@example.test".into(), "parent@example.test".into()],
            message_id: "m1@example.test".into(),
            date: 1_733_400_000,
        }
    }

    #[test]
    fn a_draft_reads_back_as_written_and_bcc_stays_out_of_the_data() {
        let c = compose(&draft()).unwrap();
        assert_eq!(c.envelope_from, "alice@example.test");
        assert_eq!(
            c.recipients,
            [
                "bob@example.test",
                "carol@example.test",
                "dave@example.test"
            ]
        );
        let copy = read_message(&c.sent_copy);
        assert_eq!(copy.subject.as_deref(), Some("Grüße — 会議"));
        assert_eq!(copy.from[0].name.as_deref(), Some("Alice Ärger"));
        assert_eq!(copy.bcc[0].address, "dave@example.test");
        assert_eq!(copy.message_id.as_deref(), Some("m1@example.test"));
        assert_eq!(copy.in_reply_to, ["parent@example.test"]);
        assert_eq!(
            copy.references,
            ["root@example.test", "parent@example.test"]
        );
        assert_eq!(copy.date, Some(1_733_400_000));
        assert!(copy.text.contains("bis morgen"), "{:?}", copy.text);
        assert!(
            copy.html
                .as_deref()
                .unwrap_or_default()
                .contains("<b>Bob</b>")
        );
        assert_eq!(
            copy.attachments[0].name.as_deref(),
            Some("Übersicht März.pdf")
        );
        assert_eq!(
            crate::mime::attachment(&c.sent_copy, 0).unwrap().1,
            b"%PDF-1.4\n"
        );
        // The data is the copy without its Bcc field, nothing else.
        let data = read_message(&c.data);
        assert!(data.bcc.is_empty());
        assert!(
            !String::from_utf8_lossy(&c.data)
                .to_ascii_lowercase()
                .contains("dave@")
        );
        assert_eq!(c.sent_copy.len() - c.data.len(), {
            let text = String::from_utf8_lossy(&c.sent_copy);
            let start = text.find("Bcc:").unwrap();
            let end = start + text[start..].find("\r\n").unwrap() + 2;
            end - start
        });
        // Headers stay 7-bit: non-ASCII is encoded (RFC 2047 / 2231).
        let head_end = c.data.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        assert!(c.data[..head_end].is_ascii());
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(Person::parse("not an address").is_err());
        assert!(Person::parse("a@b").is_err());
        assert!(Person::parse("Eve <eve@example.test>\r\nBcc: x@y.z").is_err());
        let mut d = draft();
        d.subject = "two\r\nBcc: x@example.test".into();
        assert_eq!(compose(&d), Err(ComposeError::BadSubject));
        let mut d = draft();
        d.to.clear();
        d.cc.clear();
        d.bcc.clear();
        assert_eq!(compose(&d), Err(ComposeError::NoRecipient));
        assert!(
            compose_draft(&d).is_ok(),
            "a draft may have no recipient yet"
        );
    }

    #[test]
    fn bcc_removal_takes_folded_lines_and_nothing_else() {
        let m = b"From: a@x.y\r\nBcc: b@x.y,\r\n c@x.y\r\nSubject: s\r\n\r\nBcc: in the body\r\n";
        assert_eq!(
            without_bcc(m),
            b"From: a@x.y\r\nSubject: s\r\n\r\nBcc: in the body\r\n".to_vec()
        );
    }

    #[test]
    fn replies_quote_and_keep_one_prefix() {
        assert_eq!(reply_subject("Re: budget"), "Re: budget");
        assert_eq!(reply_subject("budget"), "Re: budget");
        assert_eq!(forward_subject("budget"), "Fwd: budget");
        assert_eq!(
            quote("one\n\ntwo", "Bob", "Mon"),
            "\n\nOn Mon, Bob wrote:\n> one\n>\n> two\n"
        );
    }
}
