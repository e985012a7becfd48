//! Small durable-file helpers: atomic replace and directory sync.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use crate::LedgerError;

/// Writes `bytes` to `path` by writing a temporary sibling and renaming it,
/// so readers never see a torn file. With `durable`, the file and its
/// directory are synced before returning.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> Result<(), LedgerError> {
    let dir = path
        .parent()
        .ok_or_else(|| LedgerError::io(path, std::io::Error::other("path has no parent")))?;
    fs::create_dir_all(dir).map_err(|e| LedgerError::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = File::create(&tmp).map_err(|e| LedgerError::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| LedgerError::io(&tmp, e))?;
        if durable {
            f.sync_all().map_err(|e| LedgerError::io(&tmp, e))?;
        }
    }
    fs::rename(&tmp, path).map_err(|e| LedgerError::io(path, e))?;
    if durable {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Syncs a directory so that renames and new files in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), LedgerError> {
    let d = File::open(dir).map_err(|e| LedgerError::io(dir, e))?;
    d.sync_all().map_err(|e| LedgerError::io(dir, e))
}

/// Syncs an existing file's contents.
pub(crate) fn sync_file(path: &Path) -> Result<(), LedgerError> {
    let f = OpenOptions::new()
        .read(true)
        .open(path)
        .map_err(|e| LedgerError::io(path, e))?;
    f.sync_all().map_err(|e| LedgerError::io(path, e))
}

/// Reads a file, mapping "not found" to `None`.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, LedgerError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LedgerError::io(path, e)),
    }
}

/// Writes a secret file readable by its owner only, from its first byte:
/// the temporary file is created with mode 0600 before anything is written.
pub(crate) fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), LedgerError> {
    let dir = path
        .parent()
        .ok_or_else(|| LedgerError::io(path, std::io::Error::other("path has no parent")))?;
    fs::create_dir_all(dir).map_err(|e| LedgerError::io(dir, e))?;
    let tmp = dir.join(".secret.tmp");
    let _ = fs::remove_file(&tmp);
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    {
        let mut f = opts.open(&tmp).map_err(|e| LedgerError::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| LedgerError::io(&tmp, e))?;
        f.sync_all().map_err(|e| LedgerError::io(&tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| LedgerError::io(path, e))?;
    sync_dir(dir)
}
