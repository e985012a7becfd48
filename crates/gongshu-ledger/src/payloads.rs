//! The payload store: record details, grouped by retention class and UTC
//! day so that retention can delete whole days. Files are written whole
//! (atomic rename, synced) when a journal segment is materialized, so a
//! crash in the middle leaves either the old state or the new one.
//!
//! Layout: `payloads/<class>/<yyyymmdd>/<first index of segment>.dat`, each
//! file a run of `[len u32][crc32 u32][index u64][salt 32][payload]`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::LedgerError;
use crate::journal::{JournalEntry, Reader};

/// One stored payload: entry index, salt, payload bytes.
pub(crate) type PayloadTriple = (u64, [u8; 32], Vec<u8>);
use crate::record::RetentionClass;

/// A payload with the salt of its commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPayload {
    pub salt: [u8; 32],
    pub payload: Vec<u8>,
}

pub(crate) fn day_dir(root: &Path, class: RetentionClass, day: u32) -> PathBuf {
    root.join(class.code()).join(format!("{day:08}"))
}

/// Writes the payloads of one segment, one file per (class, day).
pub(crate) fn write_segment(
    root: &Path,
    segment_first: u64,
    entries: &[JournalEntry],
) -> Result<(), LedgerError> {
    let mut groups: BTreeMap<(RetentionClass, u32), Vec<u8>> = BTreeMap::new();
    for e in entries {
        let buf = groups.entry((e.class, e.day)).or_default();
        let mut body = Vec::with_capacity(40 + e.payload.len());
        body.extend_from_slice(&e.index.to_le_bytes());
        body.extend_from_slice(&e.salt);
        body.extend_from_slice(&e.payload);
        buf.extend_from_slice(&crate::journal::len32(body.len()).to_le_bytes());
        buf.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        buf.extend_from_slice(&body);
    }
    for ((class, day), bytes) in groups {
        let dir = day_dir(root, class, day);
        let path = dir.join(format!("{segment_first:020}.dat"));
        crate::fsutil::write_atomic(&path, &bytes, true)?;
        if let Some(parent) = dir.parent() {
            crate::fsutil::sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Finds the payload of `index` in the day directory, if it still exists.
pub(crate) fn find(
    root: &Path,
    class: RetentionClass,
    day: u32,
    index: u64,
) -> Result<Option<StoredPayload>, LedgerError> {
    let dir = day_dir(root, class, day);
    let rd = match fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LedgerError::io(&dir, e)),
    };
    // The file for `index` is the one with the greatest first index ≤ index.
    let mut best: Option<(u64, PathBuf)> = None;
    for ent in rd {
        let ent = ent.map_err(|e| LedgerError::io(&dir, e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        if let Some(first) = name
            .strip_suffix(".dat")
            .and_then(|s| s.parse::<u64>().ok())
            && first <= index
            && best.as_ref().is_none_or(|(b, _)| first > *b)
        {
            best = Some((first, ent.path()));
        }
    }
    let Some((_, path)) = best else {
        return Ok(None);
    };
    let bytes = fs::read(&path).map_err(|e| LedgerError::io(&path, e))?;
    let mut r = Reader { b: &bytes, pos: 0 };
    while r.pos < bytes.len() {
        let corrupt = || LedgerError::CorruptPayloadFile { path: path.clone() };
        let len = u32::from_le_bytes(
            r.take(4)
                .ok_or_else(corrupt)?
                .try_into()
                .map_err(|_| corrupt())?,
        ) as usize;
        let crc = u32::from_le_bytes(
            r.take(4)
                .ok_or_else(corrupt)?
                .try_into()
                .map_err(|_| corrupt())?,
        );
        let body = r.take(len).ok_or_else(corrupt)?;
        if crc32fast::hash(body) != crc || body.len() < 40 {
            return Err(corrupt());
        }
        let (idx, rest) = body.split_at(8);
        let (salt, payload) = rest.split_at(32);
        if u64::from_le_bytes(idx.try_into().map_err(|_| corrupt())?) == index {
            return Ok(Some(StoredPayload {
                salt: salt.try_into().map_err(|_| corrupt())?,
                payload: payload.to_vec(),
            }));
        }
    }
    Ok(None)
}

/// Days present for a class.
pub(crate) fn days(root: &Path, class: RetentionClass) -> Result<Vec<u32>, LedgerError> {
    let dir = root.join(class.code());
    let rd = match fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LedgerError::io(&dir, e)),
    };
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| LedgerError::io(&dir, e))?;
        if let Ok(d) = ent.file_name().to_string_lossy().parse::<u32>() {
            out.push(d);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Parses a whole payload file into (index, salt, payload) triples.
pub(crate) fn parse_file(bytes: &[u8]) -> Option<Vec<PayloadTriple>> {
    let mut r = Reader { b: bytes, pos: 0 };
    let mut out = Vec::new();
    while r.pos < bytes.len() {
        let len = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
        let crc = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
        let body = r.take(len)?;
        if crc32fast::hash(body) != crc || body.len() < 40 {
            return None;
        }
        let (idx, rest) = body.split_at(8);
        let (salt, payload) = rest.split_at(32);
        out.push((
            u64::from_le_bytes(idx.try_into().ok()?),
            salt.try_into().ok()?,
            payload.to_vec(),
        ));
    }
    Some(out)
}
