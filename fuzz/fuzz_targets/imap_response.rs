//! Fuzzes Coffer's handling of server responses (coffer_net::fuzzing::responses):
//! FETCH items, LIST names, APPENDUID sets, as the session reads them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| coffer_net::fuzzing::responses(data));
