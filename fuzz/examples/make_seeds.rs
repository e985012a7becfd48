//! Writes a small seed corpus to `fuzz/corpus/<target>/`: valid inputs signed
//! by the fixed key the targets trust, so that the fuzzer starts past the
//! signature checks. Run from the repository root:
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`.

use std::path::Path;

use gongshu_ledger::note::NoteSigner;
use gongshu_ledger::tiles::encode_bundle;
use gongshu_ledger::{Checkpoint, MerkleTree, Receipt};

fn write(target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(name), bytes)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let signer = NoteSigner::from_seed("fuzz.example/log", &[7u8; 32])?;
    let other = NoteSigner::from_seed("other.example", &[9u8; 32])?;
    let vkey = signer.verifier().to_vkey();

    let leaves: Vec<Vec<u8>> = (0..5u8).map(|i| vec![b'e', i, i, i]).collect();
    let tree = MerkleTree::from_leaf_hashes(leaves.iter().map(|l| gongshu_ledger::leaf_hash(l)));
    let cp = Checkpoint {
        origin: "fuzz.example/log".into(),
        size: tree.size(),
        root: tree.root(),
        extensions: vec!["ext line".into()],
    };
    let text = cp.to_text();
    let note = signer.sign(&text)?;
    let cosigned = format!("{note}{}", other.sign(&text)?.rsplit_once("\n\n").map_or("", |(_, s)| s));

    write("note_open", "signed", note.as_bytes())?;
    write("note_open", "cosigned", cosigned.as_bytes())?;
    write("note_open", "vkey", vkey.as_bytes())?;
    write("note_open", "vkey-nul-note", format!("{vkey}\0{note}").as_bytes())?;
    write("checkpoint_parse", "body", text.as_bytes())?;
    write("checkpoint_parse", "signed", note.as_bytes())?;

    let mut tile = vec![5u8];
    for i in 0..5 {
        tile.extend_from_slice(&tree.leaf(i).unwrap_or_default());
    }
    write("tile_parse", "tile-w5", &tile)?;
    write("tile_parse", "bundle", &encode_bundle(leaves.iter().map(Vec::as_slice))?)?;

    for index in [0u64, 3, 4] {
        let receipt = Receipt {
            index,
            entry: leaves[index as usize].clone(),
            proof: tree.inclusion_proof(index, tree.size())?,
            checkpoint: note.clone(),
        };
        receipt.verify(&signer.verifier(), None)?;
        write("receipt_parse", &format!("receipt-{index}"), receipt.to_text().as_bytes())?;
    }
    println!("seeds written under fuzz/corpus/");
    Ok(())
}
