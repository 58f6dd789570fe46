//! Fuzzes `mime::read_message`: any bytes, no panic, limits respected.
#![no_main]

use coffer_core::mime::{self, ReadLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits::default();
    let m = mime::read_message(data);
    assert!(m.text.len() <= limits.max_text_bytes);
    assert!(
        m.html
            .as_ref()
            .is_none_or(|h| h.len() <= limits.max_html_bytes)
    );
    assert!(m.attachments.len() <= limits.max_list_len);
    // Small limits exercise every cut.
    let small = ReadLimits {
        max_text_bytes: 7,
        max_html_bytes: 11,
        max_html_tags: 3,
        max_header_bytes: 5,
        max_list_len: 1,
    };
    let m = mime::read_message_with(data, &small);
    assert!(m.text.len() <= 7);
    assert!(m.subject.as_ref().is_none_or(|s| s.len() <= 5));
    assert!(m.to.len() <= 1 && m.attachments.len() <= 1);
});
