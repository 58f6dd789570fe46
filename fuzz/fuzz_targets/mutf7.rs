//! Fuzzes modified UTF-7 folder names both ways (coffer_net::fuzzing::mutf7_round_trip).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| coffer_net::fuzzing::mutf7_round_trip(data));
