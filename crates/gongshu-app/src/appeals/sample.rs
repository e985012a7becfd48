//! Verification of sampled audit records (S-3.3.2d): a receipt from the
//! ledger checked with the ledger's public key, then the published level-0
//! hash tile and entry bundle compared with the receipt's entry.

use gongshu_ledger::tiles::{TILE_WIDTH, bundle_path, parse_bundle, parse_tile, tile_path};
use gongshu_ledger::{Ledger, NoteVerifier, leaf_hash, open_checkpoint};

use crate::error::AppError;

/// Verifies one audit record: a receipt from the ledger checked with the
/// ledger's public key, then the published level-0 hash tile and entry
/// bundle compared with the receipt's entry (when published).
pub(crate) fn verify_record(ledger: &Ledger, index: u64) -> (bool, String) {
    let verifier = match NoteVerifier::parse(&ledger.vkey()) {
        Ok(v) => v,
        Err(e) => return (false, format!("verifier key: {e}")),
    };
    let receipt = match ledger.receipt(index) {
        Ok(r) => r,
        Err(e) => return (false, format!("receipt: {e}")),
    };
    if let Err(e) = receipt.verify(&verifier, Some(ledger.origin())) {
        return (false, format!("receipt does not verify: {e}"));
    }
    match check_published(ledger, &verifier, index, &receipt.entry) {
        Ok(true) => (
            true,
            "receipt verified; published tile and bundle agree".to_owned(),
        ),
        Ok(false) => (true, "receipt verified; not yet published".to_owned()),
        Err(e) => (false, e),
    }
}

fn check_published(
    ledger: &Ledger,
    verifier: &NoteVerifier,
    index: u64,
    entry: &[u8],
) -> Result<bool, String> {
    let dir = ledger.log_dir();
    let Ok(text) = std::fs::read_to_string(dir.join("checkpoint")) else {
        return Ok(false);
    };
    let cp = open_checkpoint(&text, verifier, Some(ledger.origin()))
        .map_err(|e| format!("published checkpoint: {e}"))?;
    if index >= cp.size {
        return Ok(false);
    }
    let n = index / TILE_WIDTH;
    let width = (cp.size - n * TILE_WIDTH).min(TILE_WIDTH);
    let pos = usize::try_from(index % TILE_WIDTH).map_err(|e| e.to_string())?;
    let tile = tile_path(0, n, width);
    let bytes = std::fs::read(dir.join(&tile)).map_err(|e| format!("{tile}: {e}"))?;
    let hashes = parse_tile(&bytes, width).map_err(|e| format!("{tile}: {e}"))?;
    if hashes.get(pos) != Some(&leaf_hash(entry)) {
        return Err(format!(
            "published tile {tile} disagrees with the record's leaf hash"
        ));
    }
    let bundle = bundle_path(n, width);
    if let Ok(bytes) = std::fs::read(dir.join(&bundle)) {
        let entries = parse_bundle(&bytes).map_err(|e| format!("{bundle}: {e}"))?;
        if entries.get(pos).copied() != Some(entry) {
            return Err(format!("entry bundle {bundle} disagrees with the record"));
        }
    }
    Ok(true)
}

pub(crate) fn random_seed() -> Result<u64, AppError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(u64::from_le_bytes(b))
}
