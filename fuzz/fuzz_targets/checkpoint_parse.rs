//! Checkpoint bodies and signed checkpoints from untrusted text must never
//! panic, and a body that parses must print back to the same text.
#![no_main]

use std::sync::OnceLock;

use gongshu_ledger::note::{NoteSigner, NoteVerifier};
use gongshu_ledger::{Checkpoint, open_checkpoint};
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
    if let Ok(cp) = Checkpoint::parse(text) {
        // Parsing is canonical: the only text that parses to `cp` is its own.
        assert_eq!(cp.to_text(), text);
    }
    if let Some(v) = verifier() {
        let _ = open_checkpoint(text, v, None);
        let _ = open_checkpoint(text, v, Some("fuzz.example/log"));
    }
});
