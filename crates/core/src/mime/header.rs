//! The top-level header fields: addresses, subject, date and message-ids.

use mail_parser::{Address, HeaderValue, Message};

use super::Mailbox;
use super::limit::Cut;

/// The header fields [`super::MessageContent`] keeps.
pub(super) struct Headers {
    pub(super) from: Vec<Mailbox>,
    pub(super) to: Vec<Mailbox>,
    pub(super) cc: Vec<Mailbox>,
    pub(super) bcc: Vec<Mailbox>,
    pub(super) subject: Option<String>,
    pub(super) date: Option<i64>,
    pub(super) message_id: Option<String>,
    pub(super) in_reply_to: Vec<String>,
    pub(super) references: Vec<String>,
}

/// Reads the header fields of `message`, which has at least one part.
pub(super) fn read(message: &Message<'_>, cut: &mut Cut) -> Headers {
    Headers {
        from: mailboxes(message.from().into_iter(), cut),
        to: mailboxes(message.all_to(), cut),
        cc: mailboxes(message.all_cc(), cut),
        bcc: mailboxes(message.all_bcc(), cut),
        subject: message
            .subject()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| cut.header(s)),
        // mail-parser's own check: years 1900–3000, fields in range.
        date: message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp()),
        message_id: message
            .message_id()
            .map(strip_angles)
            .filter(|id| !id.is_empty())
            .map(|id| cut.header(id)),
        in_reply_to: ids(message.in_reply_to(), cut),
        references: ids(message.references(), cut),
    }
}

/// The addresses of one or more fields of a kind, groups flattened.
fn mailboxes<'a, 'x: 'a>(
    fields: impl Iterator<Item = &'a Address<'x>>,
    cut: &mut Cut,
) -> Vec<Mailbox> {
    let kept = cut.list(fields.flat_map(|field| field.iter()).filter_map(|addr| {
        let name = addr
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let address = addr.address.as_deref().map(str::trim).unwrap_or_default();
        (name.is_some() || !address.is_empty()).then_some((name, address))
    }));
    kept.into_iter()
        .map(|(name, address)| Mailbox {
            name: name.map(|n| cut.header(n)),
            address: cut.header(address),
        })
        .collect()
}

/// The message-ids of an `In-Reply-To` or `References` field.
fn ids(value: &HeaderValue<'_>, cut: &mut Cut) -> Vec<String> {
    let ids: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(AsRef::as_ref).collect(),
        _ => Vec::new(),
    };
    let ids: Vec<&str> = ids
        .into_iter()
        .map(strip_angles)
        .filter(|id| !id.is_empty())
        .collect();
    let kept = cut.list(ids.into_iter());
    kept.into_iter().map(|id| cut.header(id)).collect()
}

/// `<id@host>` → `id@host` (mail-parser already strips them; a stray one
/// left by a malformed field is removed here).
fn strip_angles(id: &str) -> &str {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
}
