//! Mail bodies made safe for the reader's sandboxed frame.
//!
//! The app shows a body only in an `<iframe sandbox="" srcdoc=…>`: no
//! script runs there and it has no path to IPC. This module is the second
//! wall: what goes into the frame is already harmless even if the sandbox
//! failed. [`render_html`] keeps formatting and drops everything that could
//! run, load or navigate:
//!
//! * scripts, event handlers, `<style>` blocks, forms, frames, objects,
//!   embeds, SVG, `<meta>`, `<link>` and `<base>` (ammonia's allow-list);
//! * every remote reference: `img` sources other than the message's own
//!   `cid:` parts (made `data:` URIs) and inline raster `data:` images,
//!   `style` attributes naming `url(`, `@import`, `expression(` or an escape;
//! * links: each `<a>` keeps its text but its `href` becomes `#link-N`, a
//!   fragment of the document itself; the real targets go to
//!   [`SafeBody::links`] for the app to show and open only after a prompt.
//!
//! The document carries its own CSP (`default-src 'none'`), so a reference
//! the sanitiser missed still loads nothing. How many remote references were
//! dropped is counted for the app's chrome.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;

/// A body ready for the frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeBody {
    /// A whole HTML document with its own CSP.
    pub document: String,
    /// Remote images, stylesheets, fonts and frames that were dropped.
    pub blocked_remote: u32,
    /// The targets of the body's links, in order: `#link-N` is `links[N-1]`.
    pub links: Vec<String>,
}

/// An inline part a `cid:` reference may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    /// The `Content-ID`, without angle brackets.
    pub content_id: String,
    /// `image/png` and the like.
    pub content_type: String,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
}

/// The frame's own policy: nothing loads but the images inlined here.
pub const FRAME_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; \
                             font-src 'none'; form-action 'none'; base-uri 'none'; \
                             frame-src 'none'; object-src 'none'";

const FRAME_STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;\
font-size:15px;line-height:1.45;margin:12px;overflow-wrap:anywhere;color:#1d2433;background:#fff}\
pre.text{white-space:pre-wrap;font-family:inherit;margin:0}\
img{max-width:100%;height:auto}\
a{color:#1f4f99;text-decoration:underline;cursor:default}\
mark{background:#ffe58a;color:inherit}\
@media (prefers-color-scheme:dark){body{color:#e3e7ee;background:#1b1f27}a{color:#8fb8ff}\
mark{background:#7a6415}}";

/// Image types shown from `cid:` parts and inline `data:` URIs (no SVG).
const RASTER: [&str; 6] = [
    "image/png",
    "image/jpeg",
    "image/jpg",
    "image/gif",
    "image/webp",
    "image/bmp",
];

/// What a link may point at to be listed (others are dropped).
const LINK_SCHEMES: [&str; 3] = ["http:", "https:", "mailto:"];

/// Sanitises an HTML body into a frame document; `highlight` words are
/// wrapped in `<mark>` in the text.
pub fn render_html(html: &str, inline: &[InlineImage], highlight: &[String]) -> SafeBody {
    let images: HashMap<String, String> = inline
        .iter()
        .filter(|p| RASTER.contains(&p.content_type.to_ascii_lowercase().as_str()))
        .map(|p| {
            let uri = format!(
                "data:{};base64,{}",
                p.content_type.to_ascii_lowercase(),
                base64::engine::general_purpose::STANDARD.encode(&p.bytes)
            );
            (p.content_id.to_ascii_lowercase(), uri)
        })
        .collect();
    let state = Arc::new(Mutex::new(Found::default()));
    let seen = Arc::clone(&state);
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["font", "center", "span", "div"])
        .add_generic_attributes(["style", "align", "dir"])
        .add_tag_attributes("font", ["color", "face", "size"])
        .add_tag_attributes(
            "table",
            ["width", "border", "cellpadding", "cellspacing", "bgcolor"],
        )
        .add_tag_attributes("td", ["width", "bgcolor", "valign", "colspan", "rowspan"])
        .add_tag_attributes("th", ["width", "bgcolor", "valign", "colspan", "rowspan"])
        .add_tag_attributes("tr", ["bgcolor", "valign"])
        .rm_tag_attributes("img", ["srcset"])
        .url_schemes(
            ["http", "https", "mailto", "data", "cid"]
                .into_iter()
                .collect(),
        )
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(move |element, attribute, value| {
            let mut found = seen.lock().unwrap_or_else(PoisonError::into_inner);
            filter(&mut found, &images, element, attribute, value)
        });
    let body = builder.clean(html).to_string();
    let found = std::mem::take(&mut *state.lock().unwrap_or_else(PoisonError::into_inner));
    SafeBody {
        document: document(&mark(&body, highlight)),
        blocked_remote: found.blocked + count_dropped_elements(html),
        links: found.links,
    }
}

/// A plain-text body as a frame document: escaped, in a `<pre>`; its
/// `http(s)` URLs listed as links (not clickable in the frame).
pub fn render_text(text: &str, highlight: &[String]) -> SafeBody {
    let links = text
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')'))
        .map(|w| w.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'']))
        .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
        .map(str::to_owned)
        .fold(Vec::new(), |mut v: Vec<String>, w| {
            if !v.contains(&w) {
                v.push(w);
            }
            v
        });
    let body = format!("<pre class=\"text\">{}</pre>", escape(text));
    SafeBody {
        document: document(&mark(&body, highlight)),
        blocked_remote: 0,
        links,
    }
}

#[derive(Debug, Default)]
struct Found {
    blocked: u32,
    links: Vec<String>,
}

fn filter<'u>(
    found: &mut Found,
    images: &HashMap<String, String>,
    element: &str,
    attribute: &str,
    value: &'u str,
) -> Option<Cow<'u, str>> {
    let lower = value.trim().to_ascii_lowercase();
    match (element, attribute) {
        ("a", "href") => {
            if !LINK_SCHEMES.iter().any(|s| lower.starts_with(s)) {
                return None;
            }
            let n = match found.links.iter().position(|l| l == value.trim()) {
                Some(i) => i + 1,
                None => {
                    found.links.push(value.trim().to_owned());
                    found.links.len()
                }
            };
            Some(Cow::Owned(format!("#link-{n}")))
        }
        ("img", "src") => {
            if let Some(cid) = lower.strip_prefix("cid:") {
                return images.get(cid.trim()).map(|uri| Cow::Owned(uri.clone()));
            }
            if let Some(rest) = lower.strip_prefix("data:") {
                let raster = RASTER.iter().any(|t| rest.starts_with(t));
                return raster.then_some(Cow::Borrowed(value));
            }
            found.blocked += 1;
            None
        }
        (_, "style") => {
            let risky = [
                "url(",
                "@import",
                "expression(",
                "image-set(",
                "\\",
                "behavior",
            ];
            if risky.iter().any(|r| lower.contains(r)) {
                if lower.contains("url(") || lower.contains("image-set(") {
                    found.blocked += 1;
                }
                return None;
            }
            Some(Cow::Borrowed(value))
        }
        // ammonia checks every other URL attribute against url_schemes;
        // only `a` and `img` carry URLs in its allow-list.
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Remote references the allow-list drops whole, counted from the source:
/// `<link>`, frames, objects, media, `background=`, and `url(` or
/// `@import` in `<style>` blocks.
fn count_dropped_elements(html: &str) -> u32 {
    let lower = html.to_ascii_lowercase();
    let tags = [
        "<link", "<iframe", "<frame", "<object", "<embed", "<video", "<audio", "<source",
    ];
    let mut n = tags.iter().map(|t| count(&lower, t)).sum::<usize>();
    n += count(&lower, " background=");
    let mut rest = lower.as_str();
    while let Some(start) = rest.find("<style") {
        let after = rest.get(start..).unwrap_or_default();
        let end = after.find("</style").unwrap_or(after.len());
        let block = after.get(..end).unwrap_or_default();
        // `@import url(…)` is one reference: count its url( only.
        n += count(block, "url(") + count(block, "@import '") + count(block, "@import \"");
        rest = after.get(end..).unwrap_or_default();
        if end == 0 {
            break;
        }
    }
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

fn document(body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{FRAME_CSP}\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <style>{FRAME_STYLE}</style></head><body>{body}</body></html>"
    )
}

/// `&`, `<`, `>` and `"` as entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Wraps each occurrence of the `words` (ASCII case-insensitive) in the
/// text of serialised HTML in `<mark>`. Tags and attribute values (always
/// double-quoted in the serialiser's output) are left alone, as are
/// character references.
fn mark(html: &str, words: &[String]) -> String {
    let needles: HashSet<String> = words
        .iter()
        .map(|w| escape(w.trim()).to_ascii_lowercase())
        .filter(|w| w.chars().count() >= 2 && !w.contains('&'))
        .collect();
    if needles.is_empty() {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut text = String::new();
    let (mut in_tag, mut quoted) = (false, false);
    for c in html.chars() {
        if in_tag {
            out.push(c);
            match c {
                '"' => quoted = !quoted,
                '>' if !quoted => in_tag = false,
                _ => {}
            }
        } else if c == '<' {
            out.push_str(&mark_text(&text, &needles));
            text.clear();
            out.push(c);
            in_tag = true;
        } else {
            text.push(c);
        }
    }
    out.push_str(&mark_text(&text, &needles));
    out
}

fn mark_text(text: &str, needles: &HashSet<String>) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'scan: while i < text.len() {
        // A character reference is copied whole, never split by a mark.
        if text.get(i..).is_some_and(|r| r.starts_with('&')) {
            let len = text.get(i..).and_then(|r| r.find(';')).map_or(1, |e| e + 1);
            out.push_str(text.get(i..i + len).unwrap_or_default());
            i += len;
            continue;
        }
        for n in needles {
            if lower
                .get(i..)
                .is_some_and(|rest| rest.starts_with(n.as_str()))
            {
                let end = i + n.len();
                out.push_str("<mark>");
                out.push_str(text.get(i..end).unwrap_or_default());
                out.push_str("</mark>");
                i = end;
                continue 'scan;
            }
        }
        let ch = text.get(i..).and_then(|r| r.chars().next()).unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests;
