//! The attachment list: names, types, sizes and content-ids, never contents.

use std::collections::BTreeSet;

use mail_parser::{Message, MessagePart, MessagePartId, MimeHeaders, PartType};

use super::Attachment;
use super::limit::Cut;

/// The parts mail-parser counts as attachments, less the unnamed inline
/// ones: an unnamed image of an HTML body or an unnamed alternative such as
/// `text/calendar` is part of the message, not a file. A named part, a part
/// marked `Content-Disposition: attachment`, any other binary part and an
/// attached message are listed.
pub(super) fn list(message: &Message<'_>, cut: &mut Cut) -> Vec<Attachment> {
    let related = related_parts(message);
    let listed = message.attachments.iter().filter_map(|&id| {
        let part = message.parts.get(usize::try_from(id).ok()?)?;
        let inline = is_inline(part, related.contains(&id));
        is_listed(part, inline).then_some((part, inline))
    });
    let kept = cut.list(listed);
    kept.into_iter()
        .map(|(part, inline)| describe(part, inline, cut))
        .collect()
}

/// The ids of the parts that a `multipart/related` body refers to: every
/// child but the first, which is the root (RFC 2387). mail-parser reads them
/// as ordinary binary parts.
fn related_parts(message: &Message<'_>) -> BTreeSet<MessagePartId> {
    message
        .parts
        .iter()
        .filter(|part| part.is_content_type("multipart", "related"))
        .filter_map(|part| part.sub_parts())
        .flat_map(|children| children.iter().skip(1).copied())
        .collect()
}

/// Shown inside the message: marked inline, read as inline by mail-parser,
/// or referenced by `cid:` from a related HTML body — unless marked as an
/// attachment.
fn is_inline(part: &MessagePart<'_>, in_related: bool) -> bool {
    !disposition_is(part, "attachment")
        && (disposition_is(part, "inline")
            || matches!(part.body, PartType::InlineBinary(_))
            || (in_related && part.content_id().is_some()))
}

fn is_listed(part: &MessagePart<'_>, inline: bool) -> bool {
    if super::body::is_unsplit_multipart(part) {
        return false;
    }
    part.attachment_name().is_some()
        || disposition_is(part, "attachment")
        || (!inline && matches!(part.body, PartType::Binary(_) | PartType::Message(_)))
}

fn describe(part: &MessagePart<'_>, inline: bool, cut: &mut Cut) -> Attachment {
    let name = part
        .attachment_name()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| cut.header(n));
    let content_id = part
        .content_id()
        .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>'))
        .filter(|id| !id.is_empty())
        .map(|id| cut.header(id));
    Attachment {
        name,
        content_type: content_type(part, cut),
        size: u64::try_from(part.contents().len()).unwrap_or(u64::MAX),
        content_id,
        inline,
    }
}

/// `type/subtype` in lower case; when the part gives none, what mail-parser
/// read it as.
fn content_type(part: &MessagePart<'_>, cut: &mut Cut) -> String {
    match part.content_type() {
        Some(ct) => {
            let full = match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            };
            cut.header(&full.to_ascii_lowercase())
        }
        None => match part.body {
            PartType::Text(_) => "text/plain",
            PartType::Html(_) => "text/html",
            PartType::Message(_) => "message/rfc822",
            _ => "application/octet-stream",
        }
        .to_owned(),
    }
}

fn disposition_is(part: &MessagePart<'_>, kind: &str) -> bool {
    part.content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case(kind))
}

/// The decoded contents of the listed attachment `index` (as [`list`]
/// numbers them), with its description.
pub(super) fn contents(
    message: &Message<'_>,
    index: usize,
    cut: &mut Cut,
) -> Option<(Attachment, Vec<u8>)> {
    let related = related_parts(message);
    let part = message
        .attachments
        .iter()
        .filter_map(|&id| {
            let part = message.parts.get(usize::try_from(id).ok()?)?;
            let inline = is_inline(part, related.contains(&id));
            is_listed(part, inline).then_some((part, inline))
        })
        .nth(index)?;
    let (part, inline) = part;
    let bytes = match &part.body {
        PartType::Message(m) => m.raw_message().to_vec(),
        _ => part.contents().to_vec(),
    };
    Some((describe(part, inline, cut), bytes))
}

/// Every part with a `Content-ID` and an `image/*` type: what `cid:`
/// references in the HTML body may show.
pub(super) fn inline_images(message: &Message<'_>, cut: &mut Cut) -> Vec<crate::html::InlineImage> {
    message
        .parts
        .iter()
        .filter(|part| {
            part.content_type()
                .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("image"))
        })
        .filter_map(|part| {
            let described = describe(part, true, cut);
            Some(crate::html::InlineImage {
                content_id: described.content_id?,
                content_type: described.content_type,
                bytes: part.contents().to_vec(),
            })
        })
        .collect()
}
