//! Hash tiles and entry bundles from untrusted bytes must never panic; what
//! parses must re-encode to the same bytes.
#![no_main]

use gongshu_ledger::tiles::{encode_bundle, parse_bundle, parse_tile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the width a tile is expected to have (1..=256,
    // with 0 standing for the full width), as a verifier would.
    if let Some((&w, rest)) = data.split_first() {
        let width = if w == 0 { 256 } else { u64::from(w) };
        if let Ok(hashes) = parse_tile(rest, width) {
            assert_eq!(hashes.len() as u64, width);
            assert_eq!(hashes.concat(), rest);
        }
    }
    for width in [0, 1, 255, 256, u64::MAX] {
        let _ = parse_tile(data, width);
    }
    if let Ok(entries) = parse_bundle(data) {
        let again = encode_bundle(entries.iter().copied());
        assert_eq!(again.as_deref(), Ok(data));
    }
});
