//! Signed notes and verifier keys from untrusted bytes must never panic.
//!
//! The input is tried as a note against a fixed verifier (and against that
//! verifier plus an unrelated one), as a verifier key, and, when it holds a
//! NUL byte, as a key before the NUL and a note after it, so that the fuzzer
//! can reach the signature check with a key of its own choosing.
#![no_main]

use std::sync::OnceLock;

use gongshu_ledger::note::{NoteSigner, NoteVerifier, open_note};
use libfuzzer_sys::fuzz_target;

fn verifiers() -> &'static [NoteVerifier] {
    static V: OnceLock<Vec<NoteVerifier>> = OnceLock::new();
    V.get_or_init(|| {
        [("fuzz.example/log", [7u8; 32]), ("other.example", [9u8; 32])]
            .into_iter()
            .filter_map(|(name, seed)| NoteSigner::from_seed(name, &seed).ok())
            .map(|s| s.verifier())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let trusted = verifiers();
    if let Ok(opened) = open_note(text, &trusted[..1]) {
        // Whatever opened must have been signed by the trusted key.
        assert_eq!(opened.verified_by, [trusted[0].name()]);
        assert!(opened.text.ends_with('\n'));
    }
    let _ = open_note(text, trusted);
    let _ = open_note(text, &[]);
    if let Ok(v) = NoteVerifier::parse(text) {
        // A parsed key prints back to a key that parses to itself.
        let again = NoteVerifier::parse(&v.to_vkey());
        assert_eq!(again.as_ref(), Ok(&v));
    }
    if let Some((key, note)) = text.split_once('\0')
        && let Ok(v) = NoteVerifier::parse(key)
    {
        let _ = open_note(note, std::slice::from_ref(&v));
    }
});
