//! Small durable-file helpers (same approach as the ledger's): atomic
//! replace, owner-only secret files, directory sync, overwrite-and-delete.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::VaultError;

fn parent(path: &Path) -> Result<&Path, VaultError> {
    path.parent()
        .ok_or_else(|| VaultError::io(path, std::io::Error::other("path has no parent")))
}

/// A temporary sibling of `path` (hidden, `.tmp` suffix).
pub(crate) fn tmp_sibling(path: &Path) -> Result<PathBuf, VaultError> {
    let dir = parent(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(dir.join(format!(".{name}.tmp")))
}

/// Opens a new file for writing with mode 0600 from its first byte.
pub(crate) fn create_private(path: &Path) -> Result<File, VaultError> {
    let _ = fs::remove_file(path);
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path).map_err(|e| VaultError::io(path, e))
}

/// Writes `bytes` to `path` durably: private temp file, fsync, rename, fsync dir.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let dir = parent(path)?;
    fs::create_dir_all(dir).map_err(|e| VaultError::io(dir, e))?;
    let tmp = tmp_sibling(path)?;
    {
        let mut f = create_private(&tmp)?;
        f.write_all(bytes).map_err(|e| VaultError::io(&tmp, e))?;
        f.sync_all().map_err(|e| VaultError::io(&tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| VaultError::io(path, e))?;
    sync_dir(dir)
}

/// Syncs a directory so that renames, new and removed files in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    let d = File::open(dir).map_err(|e| VaultError::io(dir, e))?;
    d.sync_all().map_err(|e| VaultError::io(dir, e))
}

/// Reads a file, mapping "not found" to `None`.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, VaultError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(VaultError::io(path, e)),
    }
}

/// Overwrites a file's bytes with random data in place, syncs it, deletes it
/// and syncs its directory. Best effort against forensic recovery (SSDs and
/// copy-on-write filesystems may keep old blocks); the real guarantee is
/// that the wrapped key is gone from the vault and the master key alone
/// cannot recreate it.
pub(crate) fn shred_file(path: &Path) -> Result<(), VaultError> {
    let len = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(VaultError::io(path, e)),
    };
    {
        let mut f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| VaultError::io(path, e))?;
        let mut noise = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX).min(1 << 20)];
        getrandom::fill(&mut noise).map_err(|_| VaultError::Random)?;
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(noise.len());
            let chunk = noise.get(..n).unwrap_or(&noise);
            f.write_all(chunk).map_err(|e| VaultError::io(path, e))?;
            left = left.saturating_sub(chunk.len() as u64);
            if chunk.is_empty() {
                break;
            }
        }
        f.sync_all().map_err(|e| VaultError::io(path, e))?;
    }
    fs::remove_file(path).map_err(|e| VaultError::io(path, e))?;
    sync_dir(parent(path)?)
}
