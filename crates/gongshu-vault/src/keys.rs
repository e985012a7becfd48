//! The key hierarchy: a key-encryption key (the master key, a file by
//! default) wraps per-version data-encryption keys (DEKs) with AES-256-GCM.
//! Wrapped DEKs live in one small key store file per dataset; a DEK never
//! touches disk unwrapped. Destroying the key store file crypto-shreds the
//! dataset.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead as _, Payload};
use aes_gcm::{Aes256Gcm, KeyInit as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::{VaultError, fsutil};

const NONCE_LEN: usize = 12;
const CHECK_PLAINTEXT: &[u8] = b"gongshu-vault master key check v1";
const CHECK_AAD: &[u8] = b"gongshu-vault/check/v1";

/// A 256-bit data-encryption key, zeroed on drop; never written unwrapped.
pub(crate) struct Dek(Zeroizing<[u8; 32]>);

impl fmt::Debug for Dek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Dek(..)")
    }
}

impl Dek {
    pub(crate) fn generate() -> Result<Self, VaultError> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(k.as_mut_slice()).map_err(|_| VaultError::Random)?;
        Ok(Self(k))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Seals `plaintext` with AES-256-GCM under `key` with a random 96-bit
/// nonce; output is `nonce || ciphertext || tag`.
pub(crate) fn seal(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| VaultError::Encrypt)?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| VaultError::Random)?;
    let ct = cipher
        .encrypt(
            &nonce.into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::Encrypt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens the output of [`seal`]; `None` when the key, AAD or bytes are wrong.
pub(crate) fn open_sealed(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let nonce: [u8; NONCE_LEN] = sealed.get(..NONCE_LEN)?.try_into().ok()?;
    let ct = sealed.get(NONCE_LEN..)?;
    cipher
        .decrypt(&nonce.into(), Payload { msg: ct, aad })
        .ok()
        .map(Zeroizing::new)
}

/// A 32-byte platform key kept in `dir/file`, wrapped by `kek` under
/// `aad`: loaded, or created on first use. `reason` names the key when the
/// file does not unwrap under this master key.
pub(crate) fn load_or_create_wrapped(
    dir: &Path,
    file: &str,
    aad: &[u8],
    kek: &dyn KeyEncryptionKey,
    reason: &'static str,
) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let path = dir.join(file);
    if let Some(wrapped) = fsutil::read_optional(&path)? {
        return kek
            .unwrap_key(&wrapped, aad)
            .ok_or(VaultError::MasterKeyInvalid { path, reason });
    }
    let mut key = Zeroizing::new([0u8; 32]);
    getrandom::fill(key.as_mut_slice()).map_err(|_| VaultError::Random)?;
    fsutil::write_atomic(&path, &kek.wrap(&key, aad)?)?;
    Ok(key)
}

/// A key-encryption key: wraps and unwraps DEKs. The default is a key file
/// ([`FileMasterKey`]); a KMS or HSM can implement this trait later.
pub trait KeyEncryptionKey: Send + Sync + fmt::Debug {
    /// Wraps `dek` bound to `aad`.
    ///
    /// # Errors
    /// When encryption or the random source fails.
    fn wrap(&self, dek: &[u8; 32], aad: &[u8]) -> Result<Vec<u8>, VaultError>;
    /// Unwraps a DEK; `None` when the wrapped bytes or `aad` do not authenticate.
    fn unwrap_key(&self, wrapped: &[u8], aad: &[u8]) -> Option<Zeroizing<[u8; 32]>>;
}

/// The default key-encryption key: 32 random bytes in `master.key` (mode
/// 0600 from the first byte, never logged), with a check file that detects
/// a wrong key at open.
pub struct FileMasterKey {
    key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for FileMasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileMasterKey(..)")
    }
}

impl FileMasterKey {
    /// Loads the master key from `dir/master.key`, or creates it when the
    /// vault is new. Refuses when the key is missing but the vault already
    /// holds keys or data, when the file is not owner-only, or when the key
    /// does not match the vault's check file.
    ///
    /// # Errors
    /// [`VaultError::MasterKeyMissing`], [`VaultError::MasterKeyInvalid`], I/O.
    pub fn load_or_create(dir: &Path, vault_has_content: bool) -> Result<Self, VaultError> {
        let path = dir.join("master.key");
        let check_path = dir.join("master.check");
        let Some(bytes) = fsutil::read_optional(&path)? else {
            if vault_has_content || check_path.exists() {
                return Err(VaultError::MasterKeyMissing { path });
            }
            let mut key = Zeroizing::new([0u8; 32]);
            getrandom::fill(key.as_mut_slice()).map_err(|_| VaultError::Random)?;
            fsutil::write_atomic(&path, key.as_slice())?;
            let check = seal(&key, CHECK_PLAINTEXT, CHECK_AAD)?;
            fsutil::write_atomic(&check_path, &check)?;
            return Ok(Self { key });
        };
        let bytes = Zeroizing::new(bytes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path)
                .map_err(|e| VaultError::io(&path, e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(VaultError::MasterKeyInvalid {
                    path,
                    reason: "file is readable or writable by group or others (must be 0600)",
                });
            }
        }
        let key: [u8; 32] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| VaultError::MasterKeyInvalid {
                    path: path.clone(),
                    reason: "not 32 bytes",
                })?;
        let key = Zeroizing::new(key);
        match fsutil::read_optional(&check_path)? {
            Some(check) => {
                if open_sealed(&key, &check, CHECK_AAD)
                    .is_none_or(|p| p.as_slice() != CHECK_PLAINTEXT)
                {
                    return Err(VaultError::MasterKeyInvalid {
                        path,
                        reason: "does not match this vault's master.check (wrong key file)",
                    });
                }
            }
            None => {
                let check = seal(&key, CHECK_PLAINTEXT, CHECK_AAD)?;
                fsutil::write_atomic(&check_path, &check)?;
            }
        }
        Ok(Self { key })
    }
}

impl KeyEncryptionKey for FileMasterKey {
    fn wrap(&self, dek: &[u8; 32], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        seal(&self.key, dek, aad)
    }

    fn unwrap_key(&self, wrapped: &[u8], aad: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
        let pt = open_sealed(&self.key, wrapped, aad)?;
        let arr: [u8; 32] = pt.as_slice().try_into().ok()?;
        Some(Zeroizing::new(arr))
    }
}

/// The associated data binding a wrapped DEK to its dataset and version.
pub(crate) fn dek_aad(dataset: &str, version: u32) -> Vec<u8> {
    format!("gongshu-vault/dek/v1\0{dataset}\0{version}").into_bytes()
}

/// One wrapped DEK in a key store file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WrappedKey {
    pub(crate) version: u32,
    /// Public identifier of the key: first 16 hex chars of SHA-256 of the wrapped bytes.
    pub(crate) key_id: String,
    /// Hex of `nonce || ciphertext || tag`.
    pub(crate) wrapped: String,
}

impl WrappedKey {
    pub(crate) fn new(version: u32, wrapped: &[u8]) -> Self {
        let digest = Sha256::digest(wrapped);
        let key_id = hex::encode(digest.as_slice()).chars().take(16).collect();
        Self {
            version,
            key_id,
            wrapped: hex::encode(wrapped),
        }
    }
}

/// A dataset's key store file: its wrapped DEKs, one per version.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct KeyStore {
    pub(crate) dataset: String,
    pub(crate) keys: Vec<WrappedKey>,
}

impl KeyStore {
    pub(crate) fn path(keys_dir: &Path, dataset: &str) -> PathBuf {
        keys_dir.join(format!("{dataset}.keys.json"))
    }

    pub(crate) fn load(keys_dir: &Path, dataset: &str) -> Result<Option<Self>, VaultError> {
        let path = Self::path(keys_dir, dataset);
        let Some(bytes) = fsutil::read_optional(&path)? else {
            return Ok(None);
        };
        let ks: Self = serde_json::from_slice(&bytes).map_err(|e| VaultError::meta(&path, e))?;
        if ks.dataset != dataset {
            return Err(VaultError::meta(&path, "key store names another dataset"));
        }
        Ok(Some(ks))
    }

    pub(crate) fn save(&self, keys_dir: &Path) -> Result<(), VaultError> {
        let path = Self::path(keys_dir, &self.dataset);
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| VaultError::meta(&path, e))?;
        fsutil::write_atomic(&path, &bytes)
    }

    pub(crate) fn get(&self, version: u32) -> Option<&WrappedKey> {
        self.keys.iter().find(|k| k.version == version)
    }
}

/// Unwraps the DEK of `dataset` version `version` via `kek`.
pub(crate) fn unwrap_dek(
    kek: &dyn KeyEncryptionKey,
    keys_dir: &Path,
    dataset: &str,
    version: u32,
) -> Result<Dek, VaultError> {
    let missing = || VaultError::KeyMissing {
        dataset: dataset.to_owned(),
        version,
    };
    let ks = KeyStore::load(keys_dir, dataset)?.ok_or_else(missing)?;
    let wk = ks.get(version).ok_or_else(missing)?;
    let bad = || VaultError::KeyUnwrap {
        dataset: dataset.to_owned(),
        version,
    };
    let wrapped = hex::decode(&wk.wrapped).map_err(|_| bad())?;
    let key = kek
        .unwrap_key(&wrapped, &dek_aad(dataset, version))
        .ok_or_else(bad)?;
    Ok(Dek(key))
}
