//! Fuzzes coffer_core::fuzzing::seal_head (see there for the properties checked).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| coffer_core::fuzzing::seal_head(data));
