//! Keyed pseudonyms for direct identifiers (直接标识符假名化): at ingestion
//! every value of a `direct_id` column is replaced by HMAC-SHA256 under one
//! platform secret, so the same person or account gets the same pseudonym
//! in every dataset (joins and entity counts still work) while the raw
//! identifier is never stored. The secret is kept wrapped by the
//! key-encryption key in `pseudonym.key`, never in plaintext on disk.

use std::fmt;
use std::path::Path;

use hmac::{KeyInit as _, Mac as _};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::keys::KeyEncryptionKey;
use crate::{VaultError, fsutil};

const FILE: &str = "pseudonym.key";
const AAD: &[u8] = b"gongshu-vault/pseudonym-key/v1";
/// Prefix marking a stored pseudonym.
pub const PSEUDONYM_PREFIX: &str = "p_";

/// The platform's pseudonymisation secret.
pub(crate) struct PseudonymKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

impl PseudonymKey {
    /// Loads the wrapped secret from `dir`, creating it on first use.
    pub(crate) fn load_or_create(
        dir: &Path,
        kek: &dyn KeyEncryptionKey,
    ) -> Result<Self, VaultError> {
        let path = dir.join(FILE);
        if let Some(wrapped) = fsutil::read_optional(&path)? {
            let key = kek
                .unwrap_key(&wrapped, AAD)
                .ok_or(VaultError::MasterKeyInvalid {
                    path,
                    reason: "the pseudonymisation key does not unwrap under this master key",
                })?;
            return Ok(Self(key));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut_slice()).map_err(|_| VaultError::Random)?;
        fsutil::write_atomic(&path, &kek.wrap(&key, AAD)?)?;
        Ok(Self(key))
    }

    /// The pseudonym of `value`: surrounding spaces dropped and ASCII
    /// upper-cased first, so `11010519491231002x` and `11010519491231002X`
    /// are the same person; 128 bits of the MAC in hex.
    pub(crate) fn pseudonym(&self, value: &str) -> Result<String, VaultError> {
        let norm = value.trim().to_ascii_uppercase();
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(self.0.as_slice())
            .map_err(|_| VaultError::Encrypt)?;
        mac.update(norm.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut out = String::with_capacity(PSEUDONYM_PREFIX.len() + 32);
        out.push_str(PSEUDONYM_PREFIX);
        out.push_str(&hex::encode(tag.get(..16).ok_or(VaultError::Encrypt)?));
        Ok(out)
    }
}
