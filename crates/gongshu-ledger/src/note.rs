//! C2SP signed-note with Ed25519 keys: verifier keys (`name+id+key`), signer
//! keys (`PRIVATE+KEY+name+id+key`), signing and opening notes.
//!
//! Written here rather than taken from a crate because the verifier must stick
//! to the spec byte for byte (including Go's rejection of control characters)
//! and the few crates that exist pin older RustCrypto generations.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

use crate::hash::sha256;

/// Signature type byte for Ed25519 in C2SP signed-note.
const ALG_ED25519: u8 = 0x01;
/// At most this many signature lines (C2SP signed-note).
const MAX_SIGNATURES: usize = 100;
/// Every signature line starts with an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// What was wrong with a note or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The verifier key text is malformed.
    #[error("malformed verifier key: {0}")]
    BadVerifierKey(&'static str),
    /// The signer key text is malformed.
    #[error("malformed signer key: {0}")]
    BadSignerKey(&'static str),
    /// A key name is empty or contains '+' or whitespace.
    #[error("invalid key name")]
    BadKeyName,
    /// The note's layout breaks the signed-note format.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// More than 100 signatures.
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// A signature by a trusted key does not verify.
    #[error("signature by key {name} does not verify")]
    InvalidSignature {
        /// Name of the key whose signature failed.
        name: String,
    },
    /// No signature by any trusted key.
    #[error("note carries no signature from a trusted key")]
    NoTrustedSignature,
}

fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c == '+' || c.is_whitespace() || c.is_control())
}

fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    let mut buf = Vec::with_capacity(name.len() + 2 + 32);
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'\n');
    buf.push(ALG_ED25519);
    buf.extend_from_slice(public);
    let h = sha256(&buf);
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// A public Ed25519 note verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses `name+hexid+base64(0x01‖pubkey)`.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let vkey = vkey.trim_end_matches(['\n', '\r']);
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadVerifierKey("expected name+id+key"));
        };
        if !valid_key_name(name) {
            return Err(NoteError::BadKeyName);
        }
        if id_hex.len() != 8 {
            return Err(NoteError::BadVerifierKey("key id is not 8 hex digits"));
        }
        let id = u32::from_str_radix(id_hex, 16)
            .map_err(|_| NoteError::BadVerifierKey("key id is not hex"))?;
        let raw = B64
            .decode(key_b64)
            .map_err(|_| NoteError::BadVerifierKey("key is not base64"))?;
        let Some((&alg, public)) = raw.split_first() else {
            return Err(NoteError::BadVerifierKey("empty key"));
        };
        if alg != ALG_ED25519 {
            return Err(NoteError::BadVerifierKey("unknown algorithm"));
        }
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| NoteError::BadVerifierKey("public key is not 32 bytes"))?;
        if key_id(name, &public) != id {
            return Err(NoteError::BadVerifierKey("key id does not match the key"));
        }
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| NoteError::BadVerifierKey("not a valid Ed25519 point"))?;
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// Key name (for a log, its origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// 32-bit key id.
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The vkey text.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }

    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(sig) else {
            return false;
        };
        self.key.verify(text, &sig).is_ok()
    }
}

/// An Ed25519 note signer. Its Debug output never shows the key.
pub struct NoteSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        if !valid_key_name(name) {
            return Err(NoteError::BadKeyName);
        }
        let key = SigningKey::from_bytes(seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// A signer with a fresh random key.
    pub fn generate(name: &str) -> Result<Self, crate::LedgerError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| crate::LedgerError::Random(e.to_string()))?;
        Ok(Self::from_seed(name, &seed)?)
    }

    /// Parses `PRIVATE+KEY+name+hexid+base64(0x01‖seed)`.
    pub fn parse(skey: &str) -> Result<Self, NoteError> {
        let skey = skey.trim_end_matches(['\n', '\r']);
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::BadSignerKey("missing PRIVATE+KEY+ prefix"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadSignerKey("expected name+id+key"));
        };
        let id = u32::from_str_radix(id_hex, 16)
            .map_err(|_| NoteError::BadSignerKey("key id is not hex"))?;
        let raw = B64
            .decode(key_b64)
            .map_err(|_| NoteError::BadSignerKey("key is not base64"))?;
        let Some((&alg, seed)) = raw.split_first() else {
            return Err(NoteError::BadSignerKey("empty key"));
        };
        if alg != ALG_ED25519 {
            return Err(NoteError::BadSignerKey("unknown algorithm"));
        }
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| NoteError::BadSignerKey("seed is not 32 bytes"))?;
        let signer = Self::from_seed(name, &seed)?;
        if signer.id != id {
            return Err(NoteError::BadSignerKey("key id does not match the key"));
        }
        Ok(signer)
    }

    /// The skey text. Secret: write it only to the key file.
    pub fn to_skey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(raw)
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Signs `text` (which must end in a newline) and returns the whole note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text does not end in a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("text contains a control character"));
    }
    Ok(())
}

/// A note whose signature by at least one trusted key verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedNote {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Names of trusted keys whose signatures verified.
    pub verified_by: Vec<String>,
    /// Names on signature lines from keys we do not know.
    pub unverified: Vec<String>,
}

/// Splits a note into its text and signature lines, checking the layout.
/// A signature line: key name and decoded blob (key id ‖ signature).
type SigLine<'a> = (&'a str, Vec<u8>);

fn split_note(note: &str) -> Result<(&str, Vec<SigLine<'_>>), NoteError> {
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("note contains a control character"));
    }
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line before signatures"))?;
    let text = note
        .get(..=split)
        .ok_or(NoteError::Malformed("bad split"))?;
    let sigs = note
        .get(split + 2..)
        .ok_or(NoteError::Malformed("bad split"))?;
    if sigs.is_empty() {
        return Err(NoteError::Malformed("no signatures"));
    }
    if !sigs.ends_with('\n') {
        return Err(NoteError::Malformed(
            "signature block does not end in a newline",
        ));
    }
    let mut out = Vec::new();
    for line in sigs.trim_end_matches('\n').split('\n') {
        if out.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let body = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::Malformed(
            "signature line does not start with an em dash",
        ))?;
        let (name, b64) = body
            .split_once(' ')
            .ok_or(NoteError::Malformed("signature line lacks a space"))?;
        if !valid_key_name(name) || b64.contains(' ') {
            return Err(NoteError::Malformed("bad signature line"));
        }
        let blob = B64
            .decode(b64)
            .map_err(|_| NoteError::Malformed("signature is not base64"))?;
        if blob.len() < 5 {
            return Err(NoteError::Malformed("signature too short"));
        }
        out.push((name, blob));
    }
    Ok((text, out))
}

/// Opens a note: checks its layout and the signatures by `trusted` keys.
/// Signatures from unknown keys are ignored; at least one trusted key must
/// have signed, and any trusted key's bad signature is an error.
pub fn open_note(note: &str, trusted: &[NoteVerifier]) -> Result<OpenedNote, NoteError> {
    let (text, sigs) = split_note(note)?;
    let mut verified_by = Vec::new();
    let mut unverified = Vec::new();
    for (name, blob) in sigs {
        let (id_bytes, sig) = blob.split_at(4);
        let id = u32::from_be_bytes([id_bytes[0], id_bytes[1], id_bytes[2], id_bytes[3]]);
        match trusted.iter().find(|v| v.name == name && v.id == id) {
            Some(v) => {
                if !v.verify(text.as_bytes(), sig) {
                    return Err(NoteError::InvalidSignature {
                        name: name.to_owned(),
                    });
                }
                if !verified_by.iter().any(|n| n == name) {
                    verified_by.push(name.to_owned());
                }
            }
            None => unverified.push(name.to_owned()),
        }
    }
    if verified_by.is_empty() {
        return Err(NoteError::NoTrustedSignature);
    }
    Ok(OpenedNote {
        text: text.to_owned(),
        verified_by,
        unverified,
    })
}
