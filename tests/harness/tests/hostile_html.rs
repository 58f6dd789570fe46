//! The hostile corpus (`coffer_harness::demo::hostile`) through the reader's
//! sanitiser: nothing that could run, load or navigate reaches the frame's
//! document. The app's end-to-end test (`ui/e2e/hostile.test.mjs`) renders
//! the same corpus in the real app and counts requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use coffer_core::mime::safe_body;
use coffer_harness::demo;

#[test]
fn no_hostile_message_keeps_anything_active() {
    let beacon = "http://beacon.test:9";
    let corpus = demo::hostile(beacon);
    assert_eq!(corpus.len(), 10);
    let mut blocked = 0;
    for m in &corpus {
        let (body, _) = safe_body(&m.bytes, &[]);
        let doc = body.document.to_ascii_lowercase();
        let subject = String::from_utf8_lossy(&m.bytes)
            .lines()
            .find(|l| l.starts_with("Subject:"))
            .unwrap()
            .to_owned();
        assert!(!doc.contains("beacon.test"), "{subject}: {doc}");
        for active in [
            "<script",
            " onload",
            " onerror",
            " onclick",
            " onmouseover",
            " ontoggle",
            "<iframe",
            "<frame",
            "<object",
            "<embed",
            "<svg",
            "<math",
            "<form",
            "<input",
            "<button",
            "<link",
            "<base",
            "<video",
            "<audio",
            "<portal",
            "<applet",
            "javascript:",
            "srcset",
            "background=",
            "url(",
            "@import",
            "@font-face",
        ] {
            assert!(
                !doc.contains(active),
                "{subject}: {active:?} survived in {doc}"
            );
        }
        // The one meta is the document's own CSP; no refresh.
        assert_eq!(doc.matches("<meta").count(), 3, "{subject}: {doc}");
        assert!(!doc.contains("http-equiv=\"refresh"), "{subject}: {doc}");
        blocked += body.blocked_remote;
        // Links are listed for the chrome, never navigable in the frame.
        for link in &body.links {
            assert!(
                link.starts_with("http") || link.starts_with("mailto:"),
                "{link}"
            );
        }
    }
    assert!(blocked >= 20, "remote references counted: {blocked}");
}
