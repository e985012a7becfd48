//! Login secrets at rest (the users' TOTP seeds): sealed with AES-256-GCM
//! under a key of their own, bound to the user they belong to, so a copy of
//! the database (a dump, a backup, a replica) does not let anyone mint
//! one-time codes. The key is kept wrapped by the key-encryption key in
//! `credentials.key`, like the pseudonymisation secret.

use std::fmt;
use std::path::Path;

use zeroize::Zeroizing;

use crate::VaultError;
use crate::keys::{KeyEncryptionKey, load_or_create_wrapped, open_sealed, seal};

const FILE: &str = "credentials.key";
const KEY_AAD: &[u8] = b"gongshu-vault/credentials-key/v1";
/// Marks a sealed secret in the database (a plain seed never starts so:
/// the magic is checked together with the length a sealed seed has).
const MAGIC: &[u8] = b"gscred1:";
/// Nonce and tag around the sealed bytes.
const OVERHEAD: usize = 12 + 16;

pub(crate) struct CredentialKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialKey(..)")
    }
}

fn aad(owner: &str) -> Vec<u8> {
    let mut out = b"gongshu-vault/credential/v1|".to_vec();
    out.extend_from_slice(owner.as_bytes());
    out
}

impl CredentialKey {
    /// Loads the wrapped key from `dir`, creating it on first use.
    pub(crate) fn load_or_create(
        dir: &Path,
        kek: &dyn KeyEncryptionKey,
    ) -> Result<Self, VaultError> {
        load_or_create_wrapped(
            dir,
            FILE,
            KEY_AAD,
            kek,
            "the credentials key does not unwrap under this master key",
        )
        .map(Self)
    }

    /// `secret` sealed for `owner`, as stored.
    pub(crate) fn seal(&self, owner: &str, secret: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut out = MAGIC.to_vec();
        out.extend(seal(&self.0, secret, &aad(owner))?);
        Ok(out)
    }

    /// The secret of `owner` from what is stored; `None` when it is sealed
    /// for someone else, under another key, or altered.
    pub(crate) fn open(&self, owner: &str, stored: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let sealed = stored.strip_prefix(MAGIC)?;
        open_sealed(&self.0, sealed, &aad(owner))
    }
}

/// Whether `stored` is a sealed secret (and not a plain seed stored before
/// sealing existed).
#[must_use]
pub fn is_sealed_credential(stored: &[u8]) -> bool {
    stored.starts_with(MAGIC) && stored.len() > MAGIC.len() + OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::FileMasterKey;

    #[test]
    fn a_sealed_secret_opens_only_for_its_owner_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let kek = FileMasterKey::load_or_create(dir.path(), false).unwrap();
        let key = CredentialKey::load_or_create(dir.path(), &kek).unwrap();
        let seed = [7u8; 20];
        let stored = key.seal("user-a", &seed).unwrap();
        assert!(is_sealed_credential(&stored));
        assert!(!is_sealed_credential(&seed), "a plain seed is not sealed");
        assert!(
            !stored.windows(seed.len()).any(|w| w == seed),
            "no plaintext"
        );
        assert_eq!(key.open("user-a", &stored).unwrap().as_slice(), &seed);
        assert!(key.open("user-b", &stored).is_none(), "bound to its owner");
        let mut altered = stored.clone();
        if let Some(b) = altered.last_mut() {
            *b ^= 1;
        }
        assert!(key.open("user-a", &altered).is_none());
        // The same key after a restart; another vault's key does not open it.
        let again = CredentialKey::load_or_create(dir.path(), &kek).unwrap();
        assert_eq!(again.open("user-a", &stored).unwrap().as_slice(), &seed);
        let other = tempfile::tempdir().unwrap();
        let other_kek = FileMasterKey::load_or_create(other.path(), false).unwrap();
        let other_key = CredentialKey::load_or_create(other.path(), &other_kek).unwrap();
        assert!(other_key.open("user-a", &stored).is_none());
    }
}
