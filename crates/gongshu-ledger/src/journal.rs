//! The write-ahead journal: the only file synced before an append is
//! acknowledged. Each record is `[len u32 LE][crc32 u32 LE][body]`; a torn
//! or corrupt tail of the newest segment was never acknowledged and is cut
//! off on recovery, while damage anywhere else is reported, never skipped.
//!
//! Segments are named by the index of their first entry and deleted only
//! after everything they hold has been materialized and synced elsewhere.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use crate::LedgerError;
use crate::record::RetentionClass;

/// One journaled entry: the leaf and the payload with its salt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JournalEntry {
    pub index: u64,
    pub leaf: Vec<u8>,
    pub class: RetentionClass,
    pub day: u32,
    pub salt: [u8; 32],
    pub payload: Vec<u8>,
}

fn class_byte(c: RetentionClass) -> u8 {
    match c {
        RetentionClass::DataAccess => 1,
        RetentionClass::Governance => 2,
        RetentionClass::Network => 3,
    }
}

fn class_from_byte(b: u8) -> Option<RetentionClass> {
    match b {
        1 => Some(RetentionClass::DataAccess),
        2 => Some(RetentionClass::Governance),
        3 => Some(RetentionClass::Network),
        _ => None,
    }
}

/// Lengths here are bounded by `Ledger::append` (leaf ≤ 64 KiB, payload ≤
/// 16 MiB), so they always fit.
pub(crate) fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl JournalEntry {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(64 + self.leaf.len() + self.payload.len());
        body.extend_from_slice(&self.index.to_le_bytes());
        body.push(class_byte(self.class));
        body.extend_from_slice(&self.day.to_le_bytes());
        body.extend_from_slice(&self.salt);
        body.extend_from_slice(&len32(self.leaf.len()).to_le_bytes());
        body.extend_from_slice(&self.leaf);
        body.extend_from_slice(&len32(self.payload.len()).to_le_bytes());
        body.extend_from_slice(&self.payload);
        out.extend_from_slice(&len32(body.len()).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
    }

    fn decode(body: &[u8]) -> Option<Self> {
        let mut r = Reader { b: body, pos: 0 };
        let index = u64::from_le_bytes(r.take(8)?.try_into().ok()?);
        let class = class_from_byte(*r.take(1)?.first()?)?;
        let day = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
        let salt: [u8; 32] = r.take(32)?.try_into().ok()?;
        let leaf_len = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
        let leaf = r.take(leaf_len)?.to_vec();
        let payload_len = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
        let payload = r.take(payload_len)?.to_vec();
        (r.pos == body.len()).then_some(Self {
            index,
            leaf,
            class,
            day,
            salt,
            payload,
        })
    }
}

pub(crate) struct Reader<'a> {
    pub b: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
}

/// Segment file path for a segment starting at entry `first`.
pub(crate) fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.wal"))
}

/// Lists segments in order of their first index.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, LedgerError> {
    let mut out = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(LedgerError::io(dir, e)),
    };
    for ent in rd {
        let ent = ent.map_err(|e| LedgerError::io(dir, e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".wal")
            && let Ok(first) = stem.parse::<u64>()
        {
            out.push((first, ent.path()));
        }
    }
    out.sort_by_key(|(f, _)| *f);
    Ok(out)
}

/// Reads a segment; returns its entries and the length of its valid prefix.
/// A bad record ends the valid prefix.
pub(crate) fn read_segment(path: &Path) -> Result<(Vec<JournalEntry>, u64, bool), LedgerError> {
    let bytes = fs::read(path).map_err(|e| LedgerError::io(path, e))?;
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut clean = true;
    while pos < bytes.len() {
        let mut r = Reader { b: &bytes, pos };
        let parsed = (|| {
            let len = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
            let crc = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
            let body = r.take(len)?;
            if crc32fast::hash(body) != crc {
                return None;
            }
            JournalEntry::decode(body)
        })();
        match parsed {
            Some(e) => {
                out.push(e);
                pos = r.pos;
            }
            None => {
                clean = false;
                break;
            }
        }
    }
    Ok((out, pos as u64, clean))
}

/// The open, newest segment.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    file: File,
    path: PathBuf,
    pub first: u64,
    pub len: u64,
}

impl Journal {
    /// Opens (or creates) the segment starting at `first`, cut to `valid_len`.
    pub(crate) fn open(dir: &Path, first: u64, valid_len: u64) -> Result<Self, LedgerError> {
        fs::create_dir_all(dir).map_err(|e| LedgerError::io(dir, e))?;
        let path = segment_path(dir, first);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| LedgerError::io(&path, e))?;
        file.set_len(valid_len)
            .map_err(|e| LedgerError::io(&path, e))?;
        file.seek(SeekFrom::Start(valid_len))
            .map_err(|e| LedgerError::io(&path, e))?;
        file.sync_all().map_err(|e| LedgerError::io(&path, e))?;
        crate::fsutil::sync_dir(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            file,
            path,
            first,
            len: valid_len,
        })
    }

    /// Appends encoded records and syncs them. On failure the segment is cut
    /// back to its last synced length, so a later success cannot expose a
    /// half-written record.
    pub(crate) fn append_durable(&mut self, bytes: &[u8]) -> Result<(), LedgerError> {
        let res = self
            .file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = res {
            let _ = self.file.set_len(self.len);
            let _ = self.file.seek(SeekFrom::Start(self.len));
            return Err(LedgerError::io(&self.path, e));
        }
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Directory of the segments.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}
