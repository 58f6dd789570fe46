//! Reads a MIME message (RFC 5322 bytes) into what the index and the reader need.
//!
//! [`read_message`] never fails and never panics: a malformed message (broken
//! boundaries, unknown charsets, raw 8-bit headers, no headers at all) is read
//! as far as it can be, and whatever cannot be read is left empty. Everything
//! it keeps is bounded by [`ReadLimits`], so a hostile message cannot blow up
//! the index. Parsing is mail-parser's; HTML becomes text through html2text.

mod attachment;
mod body;
mod header;
mod limit;

use mail_parser::MessageParser;

/// An address from a `From`, `To`, `Cc` or `Bcc` field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mailbox {
    /// The display name, decoded (RFC 2047), if the field gave one.
    pub name: Option<String>,
    /// The address as written (`user@example.org`); empty when the field gave
    /// only a name.
    pub address: String,
}

/// One attachment or named inline part of a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attachment {
    /// The file name (RFC 2231 and RFC 2047 decoded), as the sender wrote it:
    /// sanitise it before using it as a path.
    pub name: Option<String>,
    /// `type/subtype`, lower case (`application/pdf`).
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// The `Content-ID` without angle brackets, for `cid:` references.
    pub content_id: Option<String>,
    /// Shown inside the message (`Content-Disposition: inline`, or an image of
    /// a `multipart/related` HTML body) rather than offered as a file.
    pub inline: bool,
}

/// Bounds on what [`read_message_with`] keeps from one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Bytes of body text kept (UTF-8; cut at a character boundary).
    pub max_text_bytes: usize,
    /// Bytes of raw HTML kept, and fed to the HTML-to-text conversion.
    pub max_html_bytes: usize,
    /// Tags (`<`) fed to the HTML-to-text conversion; the text after them is
    /// not converted. html5ever's time grows with the square of the nesting
    /// depth (8,000 nested `<div>`s take seconds), and depth is bounded by
    /// the number of tags.
    pub max_html_tags: usize,
    /// Bytes kept of the subject, of each name, address and message-id.
    pub max_header_bytes: usize,
    /// Entries kept in each list: addresses per field, references, attachments.
    pub max_list_len: usize,
}

impl Default for ReadLimits {
    /// 1 MiB of text, 4 MiB of HTML of which the first 10,000 tags are turned
    /// into text, 16 KiB per header value, 1,000 entries per list.
    fn default() -> Self {
        Self {
            max_text_bytes: 1 << 20,
            max_html_bytes: 4 << 20,
            max_html_tags: 10_000,
            max_header_bytes: 16 << 10,
            max_list_len: 1000,
        }
    }
}

/// What a message says, as far as it could be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageContent {
    /// `From` addresses.
    pub from: Vec<Mailbox>,
    /// `To` addresses (all `To` fields, groups flattened).
    pub to: Vec<Mailbox>,
    /// `Cc` addresses.
    pub cc: Vec<Mailbox>,
    /// `Bcc` addresses (present in sent mail and drafts).
    pub bcc: Vec<Mailbox>,
    /// The subject, RFC 2047 decoded.
    pub subject: Option<String>,
    /// The `Date` field as Unix seconds, when it is a valid date.
    pub date: Option<i64>,
    /// The `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
    /// The `In-Reply-To` message-ids, without angle brackets (usually one).
    pub in_reply_to: Vec<String>,
    /// The `References` message-ids, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// The body as text: the `text/plain` parts where the sender gave them,
    /// otherwise the HTML turned into text. Several inline parts are joined
    /// with a blank line.
    pub text: String,
    /// The raw HTML body, if there is one. Unsanitised: never render it
    /// outside the sandboxed mail frame.
    pub html: Option<String>,
    /// Attachments, and inline parts that have a file name, in message order.
    /// Parts of an attached message (`message/rfc822`) are not listed: the
    /// attached message itself is.
    pub attachments: Vec<Attachment>,
    /// Something was cut to fit [`ReadLimits`].
    pub truncated: bool,
}

impl MessageContent {
    /// Whether the message carries a real attachment: one that is not shown
    /// inline (so a signature logo alone does not count, as in Gmail).
    pub fn has_attachment(&self) -> bool {
        self.attachments.iter().any(|a| !a.inline)
    }
}

/// Reads `raw` with the default [`ReadLimits`].
pub fn read_message(raw: &[u8]) -> MessageContent {
    read_message_with(raw, &ReadLimits::default())
}

/// Reads `raw`, keeping no more than `limits` allow.
///
/// Input without any header (garbage, or a bare body) is read as a
/// `text/plain` body, decoded as lossy UTF-8; empty input gives an empty
/// [`MessageContent`].
pub fn read_message_with(raw: &[u8], limits: &ReadLimits) -> MessageContent {
    let mut cut = limit::Cut::new(*limits);
    let parsed = starts_like_a_message(raw)
        .then(|| MessageParser::default().parse(raw))
        .flatten();
    // mail-parser's accessors index part 0 (the top-level headers).
    let Some(message) = parsed.filter(|m| !m.parts.is_empty()) else {
        let text = cut.text(&String::from_utf8_lossy(raw));
        return MessageContent {
            text,
            truncated: cut.truncated(),
            ..MessageContent::default()
        };
    };
    let headers = header::read(&message, &mut cut);
    let text = body::text(&message, &mut cut);
    let html = body::html(&message, &mut cut);
    let attachments = attachment::list(&message, &mut cut);
    MessageContent {
        from: headers.from,
        to: headers.to,
        cc: headers.cc,
        bcc: headers.bcc,
        subject: headers.subject,
        date: headers.date,
        message_id: headers.message_id,
        in_reply_to: headers.in_reply_to,
        references: headers.references,
        text,
        html,
        attachments,
        truncated: cut.truncated(),
    }
}

/// Attachment `index` of `raw`, numbered as [`MessageContent::attachments`]
/// lists them: its description and decoded bytes (an attached message's
/// whole RFC 5322 bytes). `None` when there is no such attachment.
pub fn attachment(raw: &[u8], index: usize) -> Option<(Attachment, Vec<u8>)> {
    let message = MessageParser::default().parse(raw)?;
    let mut cut = limit::Cut::new(ReadLimits::default());
    attachment::contents(&message, index, &mut cut)
}

/// What the reader's frame shows for `raw`: its HTML body made safe (see
/// [`crate::html`]), with `cid:` images inlined; or its text, escaped.
/// `highlight` words are marked.
pub fn safe_body(raw: &[u8], highlight: &[String]) -> (crate::html::SafeBody, bool) {
    let content = read_message(raw);
    match &content.html {
        Some(html) => {
            let images = MessageParser::default()
                .parse(raw)
                .map(|m| {
                    let mut cut = limit::Cut::new(ReadLimits::default());
                    attachment::inline_images(&m, &mut cut)
                })
                .unwrap_or_default();
            (crate::html::render_html(html, &images, highlight), true)
        }
        None => (crate::html::render_text(&content.text, highlight), false),
    }
}

/// Whether `raw` opens with a header field (`Name:`) or with the blank line
/// of an empty header section. mail-parser would read the last line of
/// headerless text as a header name and drop the rest.
fn starts_like_a_message(raw: &[u8]) -> bool {
    if raw.starts_with(b"\n") || raw.starts_with(b"\r\n") {
        return true;
    }
    match raw.iter().position(|&b| b == b':') {
        Some(colon) => raw
            .get(..colon)
            .is_some_and(|name| !name.is_empty() && name.iter().all(|b| (33..=126).contains(b))),
        None => false,
    }
}

#[cfg(test)]
mod tests;
