//! Fuzzes the uid-sets Coffer sends (coffer_net::fuzzing::uid_set_round_trip):
//! the input is little-endian u32 UIDs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| coffer_net::fuzzing::uid_set_round_trip(data));
