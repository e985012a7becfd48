//! Public endpoints: health, metrics, the OpenAPI document, and the public
//! audit files (checkpoint, verifier key, hash tiles — never entry bundles,
//! never anything outside the tile tree).

use std::sync::Arc;

use gongshu_ledger::tiles::{bundle_path, parse_tile, tile_path};
use gongshu_ledger::{MerkleTree, NoteVerifier, open_checkpoint};
use gongshu_server::api::all_routes;

use crate::support::{Auth, ORIGIN, TestApp};

crate::on_both_backends!(public_endpoints);

async fn public_endpoints(t: TestApp) {
    // Some traffic and some records first.
    let s = t.login(&t.admin).await;
    t.create_org(&s, "甲科技有限公司", "participant").await;
    t.get("/api/v1/me", Auth::None)
        .await
        .error(401, "unauthenticated");

    let h = t.get("/healthz", Auth::None).await;
    let h = h.expect(200).json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"], "ok");
    assert_eq!(h["audit_log_entries"], t.ledger().size());

    let r = t.get("/healthz", Auth::None).await;
    assert!(r.headers.contains_key("x-request-id"), "request id is set");

    let m = t.get("/metrics", Auth::None).await;
    m.expect(200);
    let text = m.text();
    assert!(text.contains("gongshu_http_requests"), "{text}");
    assert!(
        text.contains(r#"route="/api/v1/organisations""#) && text.contains(r#"status="201""#),
        "{text}"
    );
    assert!(text.contains(r#"route="/api/v1/me""#), "{text}");
    assert!(
        text.contains(&format!("gongshu_audit_log_entries {}", t.ledger().size())),
        "{text}"
    );
    assert!(!text.contains(&t.admin.user_id), "no ids in labels");

    let doc = t.get("/api/openapi.json", Auth::None).await;
    let doc = doc.expect(200).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for r in all_routes() {
        assert!(
            doc["paths"][r.path][r.method].is_object(),
            "{} {} undocumented",
            r.method,
            r.path
        );
    }
    assert!(doc["components"]["schemas"]["Error"].is_object());

    // Checkpoint and verifier key.
    let vkey = t.get("/audit/vkey", Auth::None).await.expect(200).text();
    assert_eq!(vkey.trim(), t.ledger().vkey());
    let verifier = NoteVerifier::parse(vkey.trim()).unwrap();
    let l = Arc::clone(t.ledger());
    tokio::task::spawn_blocking(move || l.sync().unwrap())
        .await
        .unwrap();
    let size = t.ledger().size();
    assert!(size > 2 && size < 256, "{size}");
    let cp = t.get("/audit/checkpoint", Auth::None).await;
    cp.expect(200);
    assert_eq!(cp.headers["cache-control"], "no-cache");
    let cp = open_checkpoint(&cp.text(), &verifier, Some(ORIGIN)).expect("checkpoint verifies");
    assert_eq!(cp.size, size);
    assert_eq!(cp.root, t.ledger().root());
    // A forged checkpoint does not.
    let forged = t
        .get("/audit/checkpoint", Auth::None)
        .await
        .text()
        .replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
    assert!(open_checkpoint(&forged, &verifier, Some(ORIGIN)).is_err());

    // The level-0 hash tile, served and enough to recompute the root.
    let tile = t
        .get(&format!("/audit/{}", tile_path(0, 0, size)), Auth::None)
        .await;
    tile.expect(200);
    assert_eq!(tile.headers["content-type"], "application/octet-stream");
    assert_eq!(tile.headers["cache-control"], "no-cache");
    let hashes = parse_tile(&tile.body, size).expect("a tile of `size` hashes");
    let tree = MerkleTree::from_leaf_hashes(hashes);
    assert_eq!(tree.root_at(size).unwrap(), cp.root);
    t.get(&format!("/audit/{}", tile_path(0, 1, 5)), Auth::None)
        .await
        .expect(404);

    // Entry bundles exist on disk but are not public.
    let bundle = bundle_path(0, size);
    assert!(t.ledger().log_dir().join(&bundle).is_file(), "{bundle}");
    t.get(&format!("/audit/{bundle}"), Auth::None)
        .await
        .expect(404);
    t.get("/audit/tile/entries/000", Auth::None)
        .await
        .expect(404);

    // Nothing outside the tile tree, however the path is spelled.
    assert!(t.audit_dir().join("signer.key").is_file());
    for path in [
        "/audit/tile/../../signer.key",
        "/audit/tile/0/../../../signer.key",
        "/audit/tile/..%2F..%2F..%2Fsigner.key",
        "/audit/tile/0/%2e%2e/%2e%2e/%2e%2e/signer.key",
        "/audit/tile/0/000.p/..%2F..%2F..%2F..%2Fsigner.key",
        "/audit/tile/0/x001/..%2f..%2f..%2fcheckpoint",
        "/audit/tile/%2e%2e%2fcheckpoint",
        "/audit/tile//etc/passwd",
        "/audit/tile/0/000.p/1%00",
        "/audit/tile/0/000.p/1/../../../../signer.key",
    ] {
        let r = t.get(path, Auth::None).await;
        assert_eq!(r.status.as_u16(), 404, "{path}: {}", r.text());
        assert!(r.body.is_empty(), "{path}");
    }

    t.assert_audit_log_verifies().await;
}
