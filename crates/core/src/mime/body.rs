//! The body as text (for the index and `show`) and as raw HTML (for the viewer).

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::limit::Cut;

/// Columns html2text wraps at: readable in a terminal, and search does not
/// care where lines break.
const HTML_TEXT_WIDTH: usize = 100;

/// Blank line between two inline body parts.
const PART_SEPARATOR: &str = "\n\n";

/// The body as text, from the first of these that holds more than white space:
/// 1. the parts mail-parser chose as the text body (`text/plain` in an
///    alternative, otherwise each inline text part, HTML ones converted);
/// 2. the HTML parts, converted (an empty `text/plain` beside a real HTML part);
/// 3. unnamed text parts mail-parser set aside, and multiparts it could not
///    split (no boundary parameter): where the body of a message with broken
///    MIME structure ends up, as raw text.
pub(super) fn text(message: &Message<'_>, cut: &mut Cut) -> String {
    let text = join_text(message.text_bodies(), cut);
    if !text.trim().is_empty() {
        return text;
    }
    let from_html = join_text(
        message
            .html_bodies()
            .filter(|part| matches!(part.body, PartType::Html(_))),
        cut,
    );
    if !from_html.trim().is_empty() {
        return from_html;
    }
    join_text(
        message
            .attachments()
            .filter(|part| matches!(part.body, PartType::Text(_)) || is_unsplit_multipart(part))
            .filter(|part| part.attachment_name().is_none() && !is_attachment(part)),
        cut,
    )
}

/// A `multipart/*` part mail-parser kept whole, as bytes, because it has no
/// boundary to split it by. It is broken structure, not a file.
pub(super) fn is_unsplit_multipart(part: &MessagePart<'_>) -> bool {
    matches!(part.body, PartType::Binary(_))
        && part
            .content_type()
            .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
}

fn is_attachment(part: &MessagePart<'_>) -> bool {
    part.content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
}

/// The raw HTML parts of the HTML body, joined, or `None` when the message
/// has no HTML (mail-parser lists a `text/plain` part there too; it is not
/// HTML and is left out).
pub(super) fn html(message: &Message<'_>, cut: &mut Cut) -> Option<String> {
    let max = cut.limits().max_html_bytes;
    let mut out: Option<String> = None;
    for part in message.html_bodies() {
        let PartType::Html(html) = &part.body else {
            continue;
        };
        let out = out.get_or_insert_with(String::new);
        let room = max.saturating_sub(out.len());
        if room < html.len() {
            out.push_str(cut.prefix(html, room));
            break;
        }
        out.push_str(html);
    }
    out
}

/// The text of `parts`, each trimmed of trailing white space, joined with a
/// blank line, within the text limit.
fn join_text<'a, 'x: 'a>(
    parts: impl Iterator<Item = &'a MessagePart<'x>>,
    cut: &mut Cut,
) -> String {
    let max = cut.limits().max_text_bytes;
    let mut out = String::new();
    for part in parts {
        let piece = match &part.body {
            PartType::Text(text) => text.trim_end().to_owned(),
            PartType::Html(html) => html_to_text(html, cut),
            PartType::Binary(bytes) if is_unsplit_multipart(part) => {
                String::from_utf8_lossy(bytes).trim_end().to_owned()
            }
            // Inline images sit in mail-parser's body lists too.
            _ => continue,
        };
        if piece.trim().is_empty() {
            continue;
        }
        let separator = if out.is_empty() { "" } else { PART_SEPARATOR };
        let room = max.saturating_sub(out.len() + separator.len());
        if room == 0 {
            cut.mark();
            break;
        }
        out.push_str(separator);
        out.push_str(cut.prefix(&piece, room));
    }
    out
}

/// HTML as plain text, through html2text: links become numbered footnotes,
/// tables keep their columns. Input beyond the HTML byte or tag limit is not
/// converted. A document html2text cannot render gives no text (the raw
/// HTML is still kept for the viewer).
fn html_to_text(html: &str, cut: &mut Cut) -> String {
    let limits = *cut.limits();
    let input = cut.prefix(html, limits.max_html_bytes);
    let input = before_tag(input, limits.max_html_tags, cut);
    html2text::config::plain()
        .allow_width_overflow()
        .no_table_borders()
        .string_from_read(input.as_bytes(), HTML_TEXT_WIDTH)
        .map(|text| text.trim_end().to_owned())
        .unwrap_or_default()
}

/// `html` up to (not including) its `max_tags + 1`-th `<`; records a cut.
fn before_tag<'h>(html: &'h str, max_tags: usize, cut: &mut Cut) -> &'h str {
    match html.match_indices('<').nth(max_tags) {
        Some((at, _)) => {
            cut.mark();
            // `<` is ASCII, so `at` is a character boundary.
            html.get(..at).unwrap_or_default()
        }
        None => html,
    }
}
