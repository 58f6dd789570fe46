//! Fuzzes Coffer's handling of server responses (coffer_net::fuzzing::responses):
//! FETCH items, LIST names, APPENDUID sets, as the session reads them.
#![no_main]

use libfuzzer_sys::fuzz_target;

static QUIET: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys aborts in its panic hook, before any catch. A parser
    // panic that Coffer catches (as the session does) is not a crash, so the
    // hook is silenced; a panic Coffer does not catch still aborts, through
    // libfuzzer-sys's own catch around this closure.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    coffer_net::fuzzing::responses(data);
});
