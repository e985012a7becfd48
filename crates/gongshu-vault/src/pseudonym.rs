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

use crate::VaultError;
use crate::keys::{KeyEncryptionKey, load_or_create_wrapped};

const FILE: &str = "pseudonym.key";
const AAD: &[u8] = b"gongshu-vault/pseudonym-key/v1";
/// Prefix marking a stored pseudonym.
pub const PSEUDONYM_PREFIX: &str = "p_";

/// The platform's pseudonymisation secret, kept as a keyed HMAC state
/// (cloned per value, which saves re-deriving the padded keys each time).
pub(crate) struct PseudonymKey(hmac::Hmac<Sha256>);

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
        let key = load_or_create_wrapped(
            dir,
            FILE,
            AAD,
            kek,
            "the pseudonymisation key does not unwrap under this master key",
        )?;
        Self::keyed(&key)
    }

    fn keyed(key: &Zeroizing<[u8; 32]>) -> Result<Self, VaultError> {
        hmac::Hmac::<Sha256>::new_from_slice(key.as_slice())
            .map(Self)
            .map_err(|_| VaultError::Encrypt)
    }

    /// The pseudonym of `value`: surrounding spaces dropped and ASCII
    /// upper-cased first, so `11010519491231002x` and `11010519491231002X`
    /// are the same person; 128 bits of the MAC in hex.
    pub(crate) fn pseudonym(&self, value: &str) -> Result<String, VaultError> {
        let trimmed = value.trim();
        let mut mac = self.0.clone();
        if trimmed.bytes().any(|b| b.is_ascii_lowercase()) {
            mac.update(trimmed.to_ascii_uppercase().as_bytes());
        } else {
            mac.update(trimmed.as_bytes());
        }
        let tag = mac.finalize().into_bytes();
        let mut out = String::with_capacity(PSEUDONYM_PREFIX.len() + 32);
        out.push_str(PSEUDONYM_PREFIX);
        out.push_str(&hex::encode(tag.get(..16).ok_or(VaultError::Encrypt)?));
        Ok(out)
    }
}

/// Most raw values remembered by a [`PseudonymCache`].
const CACHE_ENTRIES: usize = 1 << 16;

/// Remembers recent pseudonyms during one load: the same person appears in
/// many rows (monthly readings, bills), and the MAC is the costliest step
/// of parsing. Bounded (cleared when full); lives in memory only for the
/// load, like the input rows themselves.
pub(crate) struct PseudonymCache<'a> {
    key: &'a PseudonymKey,
    map: std::collections::HashMap<String, String, foldhash::fast::FixedState>,
}

impl<'a> PseudonymCache<'a> {
    pub(crate) fn new(key: &'a PseudonymKey) -> Self {
        Self {
            key,
            map: std::collections::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(
                0x5bd1_e995,
            )),
        }
    }

    /// Writes the pseudonym of `value` into `out` (replacing its content;
    /// the buffer is reused row after row).
    pub(crate) fn pseudonym_into(
        &mut self,
        value: &str,
        out: &mut String,
    ) -> Result<(), VaultError> {
        out.clear();
        if let Some(p) = self.map.get(value) {
            out.push_str(p);
            return Ok(());
        }
        let p = self.key.pseudonym(value)?;
        out.push_str(&p);
        if self.map.len() >= CACHE_ENTRIES {
            self.map.clear();
        }
        self.map.insert(value.to_owned(), p);
        Ok(())
    }
}
