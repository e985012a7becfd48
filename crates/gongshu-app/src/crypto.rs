//! Secrets: password hashing (argon2id), TOTP (RFC 6238), random tokens and
//! their storage hashes. Nothing here logs or returns a secret in an error.
//!
//! TOTP is the ~20 lines of RFC 6238 over the `hmac` and `sha1` crates we
//! already build, rather than a crate that pulls in an older RustCrypto
//! generation; the RFC's own test vectors pin it.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{KeyInit, Mac};
use sha2::{Digest as _, Sha256};

/// TOTP time step (RFC 6238 default).
pub const TOTP_STEP_SECS: i64 = 30;
/// TOTP digits.
pub const TOTP_DIGITS: u32 = 6;

/// A crypto primitive failed (never carries secret material).
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The OS random generator failed.
    #[error("random generator failed")]
    Random,
    /// Password hashing failed.
    #[error("password hashing failed")]
    Hash,
}

/// `n` random bytes from the OS.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| CryptoError::Random)?;
    Ok(b)
}

/// A random URL-safe token of 32 bytes.
pub fn random_token() -> Result<String, CryptoError> {
    Ok(B64URL.encode(random_bytes::<32>()?))
}

/// Hex SHA-256 of a token, as stored in the database.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    let mut s = String::with_capacity(64);
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| CryptoError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| CryptoError::Hash)
}

/// Checks a password against a PHC hash; any malformed hash is a mismatch.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The TOTP code for a time step (RFC 6238 with HMAC-SHA1, 6 digits).
pub fn totp_at_step(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h.last().copied().unwrap_or(0) & 0x0f);
    let bin = h
        .get(offset..offset + 4)
        .map(|s| u32::from_be_bytes([s[0] & 0x7f, s[1], s[2], s[3]]))
        .unwrap_or(0);
    format!("{:06}", bin % 10u32.pow(TOTP_DIGITS))
}

/// The time step of a Unix time in seconds.
pub fn totp_step(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(TOTP_STEP_SECS)
}

/// Finds the step (current, or one either side for clock drift) whose code
/// matches, refusing steps at or before `last_used` (no reuse).
pub fn verify_totp(
    secret: &[u8],
    code: &str,
    unix_secs: i64,
    last_used: Option<i64>,
) -> Option<i64> {
    if code.len() != TOTP_DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = totp_step(unix_secs);
    [now, now - 1, now + 1].into_iter().find(|&step| {
        last_used.is_none_or(|l| step > l)
            && constant_time_eq(totp_at_step(secret, step).as_bytes(), code.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 4648 base32 (no padding), the form authenticator apps take.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            let idx = ((buffer >> (bits - 5)) & 31) as usize;
            out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
            bits -= 5;
        }
    }
    if bits > 0 {
        let idx = ((buffer << (5 - bits)) & 31) as usize;
        out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
    }
    out
}

/// `otpauth://` enrolment URI for authenticator apps.
pub fn otpauth_uri(issuer: &str, username: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{issuer}:{username}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        base32(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 Appendix B, SHA-1 seed, truncated to 6 digits.
        let seed = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp_at_step(seed, totp_step(t)), code, "t={t}");
        }
    }

    #[test]
    fn totp_refuses_reuse_and_garbage() {
        let seed = b"12345678901234567890";
        let step = verify_totp(seed, "287082", 59, None).unwrap();
        assert_eq!(verify_totp(seed, "287082", 59, Some(step)), None);
        assert_eq!(verify_totp(seed, "28708", 59, None), None);
        assert_eq!(verify_totp(seed, "abcdef", 59, None), None);
        assert_eq!(verify_totp(seed, "287082", 59 + 600, None), None);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("正确的马电池订书钉").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正确的马电池订书钉", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }
}
