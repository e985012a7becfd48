//! Receipts (C2SP tlog-proof) from untrusted text must never panic, neither
//! when parsed nor when verified; a parsed receipt must survive a round trip.
#![no_main]

use std::sync::OnceLock;

use gongshu_ledger::Receipt;
use gongshu_ledger::note::{NoteSigner, NoteVerifier};
use libfuzzer_sys::fuzz_target;

fn verifier() -> Option<&'static NoteVerifier> {
    static V: OnceLock<Option<NoteVerifier>> = OnceLock::new();
    V.get_or_init(|| {
        NoteSigner::from_seed("fuzz.example/log", &[7u8; 32])
            .ok()
            .map(|s| s.verifier())
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(r) = Receipt::parse(text) else {
        return;
    };
    let again = Receipt::parse(&r.to_text());
    assert_eq!(again.as_ref(), Ok(&r));
    if let Some(v) = verifier() {
        let _ = r.verify(v, None);
    }
});
