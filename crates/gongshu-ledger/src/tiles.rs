//! C2SP tlog-tiles: tile paths, tile contents and entry bundles.
//!
//! A tile at level L and index N holds the hashes of the tree nodes at height
//! 8·L with indices N·256 … N·256+W−1; W < 256 makes a partial tile, stored
//! at `<path>.p/<W>`. Entry bundles hold the entries of level-0 tile N, each
//! prefixed by its big-endian 16-bit length.

use crate::hash::{HASH_LEN, Hash};

/// Entries (or hashes) per full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels per tile level.
pub const TILE_HEIGHT: u32 = 8;
/// Largest entry an entry bundle can frame.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// Why a tile or bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// Hash tile length is not a multiple of 32 or not the expected width.
    #[error("hash tile has {len} bytes, expected {expected}")]
    BadTileLength {
        /// Bytes found.
        len: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// Entry bundle framing is broken.
    #[error("entry bundle is truncated at byte {offset}")]
    TruncatedBundle {
        /// Byte offset where the framing broke.
        offset: usize,
    },
    /// Entry bundle has a different number of entries than expected.
    #[error("entry bundle has {found} entries, expected {expected}")]
    BundleCount {
        /// Entries found.
        found: usize,
        /// Entries expected.
        expected: usize,
    },
    /// An entry is too large to frame.
    #[error("entry of {0} bytes exceeds the 65535-byte limit")]
    EntryTooLarge(usize),
}

/// Encodes an index as the path segments of tlog-tiles (`x001/x234/067`).
pub fn index_path(index: u64) -> String {
    let s = format!("{index}");
    let pad = (3 - s.len() % 3) % 3;
    let s = format!("{}{s}", "0".repeat(pad));
    let groups: Vec<&str> = s
        .as_bytes()
        .chunks(3)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    let last = groups.len().saturating_sub(1);
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g}")
            } else {
                (*g).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn with_width(base: String, width: u64) -> String {
    if width >= TILE_WIDTH {
        base
    } else {
        format!("{base}.p/{width}")
    }
}

/// Relative path of a hash tile.
pub fn tile_path(level: u32, index: u64, width: u64) -> String {
    with_width(format!("tile/{level}/{}", index_path(index)), width)
}

/// Relative path of an entry bundle.
pub fn bundle_path(index: u64, width: u64) -> String {
    with_width(format!("tile/entries/{}", index_path(index)), width)
}

/// A tile's coordinates and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileId {
    /// Tile level.
    pub level: u32,
    /// Tile index within the level.
    pub index: u64,
    /// Hashes (or entries) in the tile, 1..=256.
    pub width: u64,
}

/// Every tile of a tree of `size` entries, level by level, left to right.
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut out = Vec::new();
    let mut level = 0u32;
    loop {
        let shift = TILE_HEIGHT * level;
        if shift >= 64 {
            break;
        }
        let nodes = size >> shift;
        if nodes == 0 {
            break;
        }
        let full = nodes / TILE_WIDTH;
        for index in 0..full {
            out.push(TileId {
                level,
                index,
                width: TILE_WIDTH,
            });
        }
        let rest = nodes % TILE_WIDTH;
        if rest > 0 {
            out.push(TileId {
                level,
                index: full,
                width: rest,
            });
        }
        level += 1;
    }
    out
}

/// Splits a hash tile into hashes, checking it holds `width` of them.
pub fn parse_tile(bytes: &[u8], width: u64) -> Result<Vec<Hash>, TileError> {
    let expected = usize::try_from(width)
        .unwrap_or(usize::MAX)
        .saturating_mul(HASH_LEN);
    if bytes.len() != expected {
        return Err(TileError::BadTileLength {
            len: bytes.len(),
            expected,
        });
    }
    Ok(bytes
        .chunks_exact(HASH_LEN)
        .filter_map(|c| <Hash>::try_from(c).ok())
        .collect())
}

/// Frames entries into an entry bundle.
pub fn encode_bundle<'a>(
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for e in entries {
        push_bundle_entry(&mut out, e)?;
    }
    Ok(out)
}

/// Appends one framed entry to a bundle buffer.
pub fn push_bundle_entry(out: &mut Vec<u8>, entry: &[u8]) -> Result<(), TileError> {
    let len = u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLarge(entry.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(entry);
    Ok(())
}

/// Splits an entry bundle into its entries.
pub fn parse_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let len_bytes = bytes
            .get(pos..pos + 2)
            .ok_or(TileError::TruncatedBundle { offset: pos })?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        let entry = bytes
            .get(pos + 2..pos + 2 + len)
            .ok_or(TileError::TruncatedBundle { offset: pos })?;
        out.push(entry);
        pos += 2 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_the_spec_examples() {
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(7), "007");
        assert_eq!(index_path(1234067), "x001/x234/067");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(tile_path(0, 1234067, 8), "tile/0/x001/x234/067.p/8");
        assert_eq!(tile_path(1, 0, 256), "tile/1/000");
        assert_eq!(bundle_path(0, 15), "tile/entries/000.p/15");
    }

    #[test]
    fn tiles_for_sizes() {
        assert!(tiles_for_size(0).is_empty());
        assert_eq!(
            tiles_for_size(15),
            vec![TileId {
                level: 0,
                index: 0,
                width: 15
            }]
        );
        let t = tiles_for_size(256 * 256 + 3);
        assert_eq!(t.len(), 256 + 1 + 1 + 1);
        assert_eq!(
            t[256],
            TileId {
                level: 0,
                index: 256,
                width: 3
            }
        );
        assert_eq!(
            t[257],
            TileId {
                level: 1,
                index: 0,
                width: 256
            }
        );
        assert_eq!(
            t[258],
            TileId {
                level: 2,
                index: 0,
                width: 1
            }
        );
    }

    #[test]
    fn bundles_round_trip_and_reject_truncation() {
        let b = encode_bundle([b"one".as_slice(), b"".as_slice(), b"three"]).unwrap();
        assert_eq!(
            parse_bundle(&b).unwrap(),
            vec![b"one".as_slice(), b"", b"three"]
        );
        assert!(parse_bundle(&b[..b.len() - 1]).is_err());
        assert!(parse_bundle(&[0]).is_err());
    }
}
