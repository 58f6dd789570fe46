//! Unit tests for [`super::read_message`]: well-formed, odd and hostile mail.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use proptest::prelude::*;

use super::*;

/// A message from header lines and a body, joined with CRLF.
fn eml(headers: &[&str], body: &str) -> Vec<u8> {
    let mut out = headers.join("\r\n");
    out.push_str("\r\n\r\n");
    out.push_str(body);
    out.into_bytes()
}

fn mailbox(name: Option<&str>, address: &str) -> Mailbox {
    Mailbox {
        name: name.map(str::to_owned),
        address: address.to_owned(),
    }
}

#[test]
fn plain_message_gives_every_header_field() {
    let raw = eml(
        &[
            "From: Alice Example <alice@example.org>",
            "To: bob@example.org, \"Carol C.\" <carol@example.org>",
            "To: Team: dave@example.org, erin@example.org;",
            "Cc: =?ISO-8859-1?Q?Ren=E9?= <rene@example.org>",
            "Bcc: secret@example.org",
            "Subject: Quarterly report",
            "Date: Tue, 01 Jul 2025 10:00:00 +0200",
            "Message-ID: <m1@example.org>",
            "In-Reply-To: <m0@example.org>",
            "References: <r1@example.org>",
            "  <r2@example.org> <m0@example.org>",
        ],
        "Hello Bob,\r\n\r\nthe numbers are in.\r\n",
    );
    let m = read_message(&raw);
    assert_eq!(
        m.from,
        vec![mailbox(Some("Alice Example"), "alice@example.org")]
    );
    assert_eq!(
        m.to,
        vec![
            mailbox(None, "bob@example.org"),
            mailbox(Some("Carol C."), "carol@example.org"),
            mailbox(None, "dave@example.org"),
            mailbox(None, "erin@example.org"),
        ]
    );
    assert_eq!(m.cc, vec![mailbox(Some("René"), "rene@example.org")]);
    assert_eq!(m.bcc, vec![mailbox(None, "secret@example.org")]);
    assert_eq!(m.subject.as_deref(), Some("Quarterly report"));
    assert_eq!(m.date, Some(1_751_356_800)); // 2025-07-01T08:00:00Z
    assert_eq!(m.message_id.as_deref(), Some("m1@example.org"));
    assert_eq!(m.in_reply_to, vec!["m0@example.org"]);
    assert_eq!(
        m.references,
        vec!["r1@example.org", "r2@example.org", "m0@example.org"]
    );
    assert_eq!(m.text, "Hello Bob,\r\n\r\nthe numbers are in.");
    assert_eq!(m.html, None);
    assert!(m.attachments.is_empty());
    assert!(!m.has_attachment());
    assert!(!m.truncated);
}

#[test]
fn multipart_alternative_prefers_the_plain_text_and_keeps_the_html() {
    let raw = eml(
        &[
            "From: a@example.org",
            "Subject: alt",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"b1\"",
        ],
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n\
         --b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><p>html <b>version</b></p></body></html>\r\n--b1--\r\n",
    );
    let m = read_message(&raw);
    assert_eq!(m.text, "plain version");
    let html = m.html.unwrap();
    assert!(html.contains("<b>version</b>"), "{html}");
    assert!(m.attachments.is_empty());
}

#[test]
fn empty_plain_part_falls_back_to_the_html() {
    let raw = eml(
        &[
            "Subject: alt",
            "Content-Type: multipart/alternative; boundary=\"b1\"",
        ],
        "--b1\r\nContent-Type: text/plain\r\n\r\n \r\n\
         --b1\r\nContent-Type: text/html\r\n\r\n<p>only here</p>\r\n--b1--\r\n",
    );
    assert_eq!(read_message(&raw).text, "only here");
}

#[test]
fn html_only_message_is_turned_into_text_by_html2text() {
    let raw = eml(
        &[
            "From: news@example.org",
            "Subject: Newsletter",
            "Content-Type: text/html; charset=utf-8",
        ],
        "<!DOCTYPE html><html><head><style>p { color: red }</style>\
         <script>alert('x')</script></head><body>\
         <h1>Big news</h1><p>Read the <a href=\"https://example.org/r\">report</a>.</p>\
         <table><tr><td>café</td><td>42</td></tr></table></body></html>",
    );
    let m = read_message(&raw);
    assert!(m.text.contains("Big news"), "{}", m.text);
    assert!(m.text.contains("report"), "{}", m.text);
    assert!(m.text.contains("https://example.org/r"), "{}", m.text);
    assert!(m.text.contains("café"), "{}", m.text);
    for markup in ["<", ">", "color: red", "alert("] {
        assert!(!m.text.contains(markup), "{markup} in {}", m.text);
    }
    assert!(m.html.unwrap().starts_with("<!DOCTYPE html>"));
}

#[test]
fn attachment_with_rfc2231_non_ascii_filename() {
    let pdf = b"%PDF-1.4 not really a pdf\n";
    let body = format!(
        "--mix\r\nContent-Type: text/plain\r\n\r\nSee the minutes.\r\n\
         --mix\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment;\r\n filename*=UTF-8''%E4%BC%9A%E8%AD%B0%E3%83%A1%E3%83%A2.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --mix\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Disposition: attachment;\r\n filename*0*=utf-8''R%C3%A9sum%C3%A9;\r\n filename*1=\".txt\"\r\n\r\n\
         curriculum\r\n--mix--\r\n",
        B64.encode(pdf)
    );
    let raw = eml(
        &[
            "Subject: minutes",
            "Content-Type: multipart/mixed; boundary=mix",
        ],
        &body,
    );
    let m = read_message(&raw);
    assert_eq!(m.text, "See the minutes.");
    assert_eq!(m.attachments.len(), 2, "{:?}", m.attachments);
    let a = &m.attachments[0];
    assert_eq!(a.name.as_deref(), Some("会議メモ.pdf"));
    assert_eq!(a.content_type, "application/pdf");
    assert_eq!(a.size, pdf.len() as u64);
    assert!(!a.inline);
    let b = &m.attachments[1];
    assert_eq!(b.name.as_deref(), Some("Résumé.txt"));
    assert_eq!(b.content_type, "text/plain");
    assert!(m.has_attachment());
    // The attachment's text is not body text.
    assert!(!m.text.contains("curriculum"));
}

#[test]
fn inline_images_are_listed_only_with_a_name_and_are_not_attachments() {
    let png = B64.encode(b"\x89PNG fake");
    let body = format!(
        "--rel\r\nContent-Type: text/html\r\n\r\n<p>logo <img src=\"cid:logo@x\"></p>\r\n\
         --rel\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{png}\r\n\
         --rel\r\nContent-Type: image/png; name=\"chart.png\"\r\nContent-ID: <chart@x>\r\n\
         Content-Disposition: inline; filename=\"chart.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{png}\r\n--rel--\r\n"
    );
    let raw = eml(
        &["Content-Type: multipart/related; boundary=rel; type=\"text/html\""],
        &body,
    );
    let m = read_message(&raw);
    assert_eq!(m.attachments.len(), 1, "{:?}", m.attachments);
    let a = &m.attachments[0];
    assert_eq!(a.name.as_deref(), Some("chart.png"));
    assert_eq!(a.content_id.as_deref(), Some("chart@x"));
    assert_eq!(a.content_type, "image/png");
    assert_eq!(a.size, 9);
    assert!(a.inline);
    assert!(!m.has_attachment());
    assert_eq!(m.text, "logo");
}

#[test]
fn attached_message_is_listed_but_its_parts_are_not() {
    let inner = "Subject: inner\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n\
                 --in\r\nContent-Type: text/plain\r\n\r\ninner text\r\n\
                 --in\r\nContent-Type: application/zip; name=x.zip\r\n\r\nPK\r\n--in--\r\n";
    let body = format!(
        "--out\r\nContent-Type: text/plain\r\n\r\nforwarding\r\n\
         --out\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--out--\r\n"
    );
    let raw = eml(
        &[
            "Subject: fwd",
            "Content-Type: multipart/mixed; boundary=out",
        ],
        &body,
    );
    let m = read_message(&raw);
    assert_eq!(m.text, "forwarding");
    assert_eq!(m.attachments.len(), 1, "{:?}", m.attachments);
    assert_eq!(m.attachments[0].content_type, "message/rfc822");
    assert!(m.has_attachment());
}

#[test]
fn rfc2047_encoded_subject_with_cjk() {
    let subject = "明日の会議について";
    let raw = eml(
        &[
            &format!("Subject: =?UTF-8?B?{}?=", B64.encode(subject)),
            "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>",
        ],
        "本文\r\n",
    );
    let m = read_message(&raw);
    assert_eq!(m.subject.as_deref(), Some(subject));
    assert_eq!(m.from, vec![mailbox(Some("山田"), "yamada@example.jp")]);
    assert_eq!(m.text, "本文");
}

#[test]
fn legacy_charsets_in_bodies_are_decoded() {
    let mut latin1 = eml(
        &["Subject: x", "Content-Type: text/plain; charset=ISO-8859-1"],
        "",
    );
    latin1.extend_from_slice(b"caf\xe9 cr\xe8me br\xfbl\xe9e\r\n");
    assert_eq!(read_message(&latin1).text, "café crème brûlée");

    // KOI8-R and Shift_JIS need encoding_rs (mail-parser's full_encoding).
    let mut koi8 = eml(&["Content-Type: text/plain; charset=koi8-r"], "");
    koi8.extend_from_slice(b"\xf0\xd2\xc9\xd7\xc5\xd4\r\n");
    assert_eq!(read_message(&koi8).text, "Привет");
    let mut sjis = eml(&["Content-Type: text/plain; charset=Shift_JIS"], "");
    sjis.extend_from_slice(b"\x89\xef\x8b\x63\r\n");
    assert_eq!(read_message(&sjis).text, "会議");

    // An unknown charset is read as UTF-8, lossily.
    let mut unknown = eml(&["Content-Type: text/plain; charset=x-klingon"], "");
    unknown.extend_from_slice(b"ok \xff\r\n");
    assert_eq!(read_message(&unknown).text, "ok \u{fffd}");
}

#[test]
fn quoted_printable_body() {
    let raw = eml(
        &[
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ],
        "Gr=C3=BC=C3=9Fe aus K=C3=B6ln, soft=\r\nbreak\r\n",
    );
    assert_eq!(read_message(&raw).text, "Grüße aus Köln, softbreak");
}

#[test]
fn broken_boundaries_are_read_as_far_as_possible() {
    // The declared boundary never appears.
    let raw = eml(
        &[
            "Subject: broken",
            "Content-Type: multipart/mixed; boundary=nothere",
        ],
        "--other\r\nContent-Type: text/plain\r\n\r\nstill readable\r\n--other--\r\n",
    );
    let m = read_message(&raw);
    assert_eq!(m.subject.as_deref(), Some("broken"));
    assert!(m.text.contains("still readable"), "{m:?}");

    // No closing boundary, message cut in the middle of a base64 part.
    let raw = eml(
        &["Subject: cut", "Content-Type: multipart/mixed; boundary=b"],
        "--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n\
         --b\r\nContent-Type: application/pdf; name=a.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLj",
    );
    let m = read_message(&raw);
    assert_eq!(m.text, "first part");
    assert_eq!(m.attachments.len(), 1);

    // Multipart without a boundary parameter.
    let raw = eml(
        &["Content-Type: multipart/alternative"],
        "--x\r\n\r\nbody\r\n--x--\r\n",
    );
    let m = read_message(&raw);
    assert!(m.text.contains("body"), "{m:?}");
    assert!(m.attachments.is_empty(), "{m:?}");
}

#[test]
fn raw_eight_bit_headers() {
    // UTF-8 sent raw (RFC 6532 or just careless) reads as it is.
    let raw = "Subject: Grüße, 会議\r\nFrom: Jürgen <j@example.de>\r\n\r\nx\r\n";
    let m = read_message(raw.as_bytes());
    assert_eq!(m.subject.as_deref(), Some("Grüße, 会議"));
    assert_eq!(m.from, vec![mailbox(Some("Jürgen"), "j@example.de")]);

    // Latin-1 sent raw is not UTF-8: kept lossily, never a panic.
    let m = read_message(b"Subject: caf\xe9\r\nFrom: \xff\xfe <x@y>\r\n\r\nbody\r\n");
    assert!(m.subject.unwrap().starts_with("caf"));
    assert_eq!(m.text, "body");
}

#[test]
fn empty_and_headerless_input() {
    assert_eq!(read_message(b""), MessageContent::default());
    let m = read_message(b"\r\n\r\n");
    assert_eq!(m.subject, None);
    assert!(m.text.trim().is_empty());
    // Bytes without any header are kept as a text body.
    let m = read_message(b"just some words\nwith no header");
    assert!(m.text.contains("just some words"), "{m:?}");
}

#[test]
fn garbage_is_read_without_panic() {
    for raw in [
        &b"\x00\x01\x02\xff\xfe"[..],
        b":",
        b"Subject:",
        b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n----\r\n----\r\n",
        b"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n",
        b"Date: Mon, 99 Foo 99999 99:99:99 +9999\r\n\r\n",
        b"From: <<<@@@>>>, ,,, \"unterminated\r\n\r\n",
        b"Subject: =?UTF-8?B?!!!?= =?x?Q?=ZZ?=\r\n\r\n",
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!!====\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=\r\n=Z=\r\n",
    ] {
        let _ = read_message(raw);
    }
}

#[test]
fn invalid_dates_are_none() {
    let m = read_message(b"Date: yesterday at noon\r\n\r\nx");
    assert_eq!(m.date, None);
    let m = read_message(b"Date: Mon, 45 Jan 2020 00:00:00 +0000\r\n\r\nx");
    assert_eq!(m.date, None);
}

#[test]
fn deep_multipart_nesting_is_read() {
    let depth = 2000;
    let mut body = String::new();
    for i in 0..depth {
        body.push_str(&format!(
            "--b{i}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
            i + 1
        ));
    }
    body.push_str(&format!(
        "--b{depth}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--b{depth}--\r\n"
    ));
    let raw = eml(&["Content-Type: multipart/mixed; boundary=b0"], &body);
    let m = read_message(&raw);
    assert!(m.text.contains("deep"), "{}", m.text.len());
}

#[test]
fn deeply_nested_html_does_not_overflow_the_stack() {
    // Test threads have 2 MiB of stack, like tokio's workers.
    let html = format!(
        "{}hidden treasure{}",
        "<div><span><b>".repeat(20_000),
        "</b></span></div>".repeat(20_000)
    );
    let raw = eml(&["Content-Type: text/html"], &html);
    let m = read_message(&raw);
    assert!(m.html.is_some());
}

#[test]
fn limits_cut_text_html_headers_and_lists() {
    let limits = ReadLimits {
        max_text_bytes: 10,
        max_html_bytes: 20,
        max_html_tags: 100,
        max_header_bytes: 5,
        max_list_len: 2,
    };
    let raw = eml(
        &[
            "Subject: a rather long subject",
            "To: a@x, b@x, c@x",
            "References: <1@x> <2@x> <3@x>",
        ],
        "0123456789abcdef",
    );
    let m = read_message_with(&raw, &limits);
    assert_eq!(m.text, "0123456789");
    assert_eq!(m.subject.as_deref(), Some("a rat"));
    assert_eq!(m.to.len(), 2);
    assert_eq!(m.references, vec!["1@x", "2@x"]);
    assert!(m.truncated);

    let raw = eml(&["Content-Type: text/html"], "<p>ééééééééééééééééé</p>");
    let m = read_message_with(&raw, &limits);
    let html = m.html.unwrap();
    assert!(html.len() <= 20 && html.starts_with("<p>é"), "{html}");
    assert!(m.text.len() <= 10, "{}", m.text);
    assert!(m.truncated);

    // Under the limits, nothing is marked.
    assert!(!read_message_with(b"Subject: ok\r\n\r\nshort", &limits).truncated);
}

#[test]
fn html_conversion_stops_at_the_tag_limit() {
    let limits = ReadLimits {
        max_html_tags: 4,
        ..ReadLimits::default()
    };
    let raw = eml(
        &["Content-Type: text/html"],
        "<p>one</p><p>two</p><p>three</p>",
    );
    let m = read_message_with(&raw, &limits);
    assert!(
        m.text.contains("one") && m.text.contains("two"),
        "{}",
        m.text
    );
    assert!(!m.text.contains("three"), "{}", m.text);
    assert!(m.truncated);
    // The raw HTML for the viewer is not cut by the tag limit.
    assert!(m.html.unwrap().contains("three"));
}

#[test]
fn default_limits_bound_a_huge_body() {
    let body = "word ".repeat(400_000); // 2 MB
    let raw = eml(&["Subject: big"], &body);
    let m = read_message(&raw);
    assert!(m.text.len() <= ReadLimits::default().max_text_bytes);
    assert!(m.text.len() > 1_000_000);
    assert!(m.truncated);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_bytes(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_message(&raw);
    }

    #[test]
    fn never_panics_on_mime_shaped_noise(
        ctype in prop::sample::select(vec![
            "multipart/mixed; boundary=b", "multipart/alternative; boundary=b",
            "multipart/related; boundary=b", "text/html", "message/rfc822",
            "text/plain; charset=iso-2022-jp", "multipart/mixed",
        ]),
        pieces in proptest::collection::vec(prop::sample::select(vec![
            "--b\r\n", "--b--\r\n", "\r\n", "Content-Type: text/html\r\n",
            "Content-Type: multipart/mixed; boundary=b\r\n",
            "Content-Type: message/rfc822\r\n", "Content-Transfer-Encoding: base64\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n",
            "Content-Disposition: attachment; filename*0*=utf-8''%E4; filename*1=x\r\n",
            "<table><tr><td>", "</td></tr></table>", "<a href=x>", "=?UTF-8?B?5Lya?=",
            "=C3=", "\u{fffd}", "text ", "\x00",
        ]), 0..64),
    ) {
        let mut raw = format!("Subject: s\r\nContent-Type: {ctype}\r\n\r\n");
        for p in pieces {
            raw.push_str(p);
        }
        let m = read_message(raw.as_bytes());
        prop_assert!(m.text.len() <= ReadLimits::default().max_text_bytes);
    }
}

/// Found by proptest: mail-parser's quoted-printable decoder subtracts past
/// zero when a boundary follows a soft line break at the start of a part
/// (see the mail-parser profile in the root Cargo.toml).
#[test]
fn quoted_printable_boundary_right_after_soft_break() {
    let raw = "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
               Content-Transfer-Encoding: quoted-printable\r\n\
               Content-Transfer-Encoding: quoted-printable\r\n\
               Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=\r\n--b\r\n";
    let m = read_message(raw.as_bytes());
    assert_eq!(m.subject.as_deref(), Some("s"));
}
