//! Fingerprints traced to their receivers; re-licensing signals; derived assets.

use super::*;
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(
    fingerprints_trace_outputs_to_their_participants,
    a_key_used_from_many_networks_raises_a_signal_and_assets_are_registered,
);

async fn fingerprints_trace_outputs_to_their_participants(t: TestApp) {
    let m = market(&t).await;
    let stats = listed(&t, &m, &statistics(&m)).await;
    let admin = t.login(&t.admin).await;
    let mut outputs = Vec::new();
    for (i, name) in ["测试县建设银行", "测试县小额贷款公司"].iter().enumerate() {
        let org = t.create_org(&admin, name, "participant").await;
        let p = admitted(&t, &m, org, &format!("p{i}")).await;
        outputs.push((p.org.clone(), p));
    }
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    outputs.push((bank.org.clone(), bank));
    let body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    let mut delivered = Vec::new();
    for (org, p) in &outputs {
        let key = subscribe(&t, &m, p, &[&stats], "2026-12-31")
            .await
            .remove(0);
        let out = call(&t, &key, &stats, &body).await.expect(200).json();
        delivered.push((org.clone(), out));
    }
    // The same statistics, three different fingerprints.
    assert_eq!(delivered[0].1["rows"], delivered[1].1["rows"]);
    assert_ne!(delivered[0].1["fingerprint"], delivered[1].1["fingerprint"]);
    for (org, out) in &delivered {
        let v = t
            .post(
                "/api/v1/product-calls/trace",
                Auth::Cookie(&m.bureau),
                &json!({ "output": out }),
            )
            .await
            .expect(200)
            .json();
        assert_eq!(v["traced"], true, "{v}");
        assert_eq!(v["participant_org"], org.as_str());
        assert_eq!(v["content_unchanged"], true);
    }
    // Altered rows keep the receiver but are reported; a forged
    // fingerprint names nobody; no fingerprint is a 422.
    let mut altered = delivered[0].1.clone();
    altered["rows"][0]["values"][1] = json!(999);
    let v = t
        .post(
            "/api/v1/product-calls/trace",
            Auth::Cookie(&m.agency_officer),
            &json!({ "output": altered }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["participant_org"], delivered[0].0.as_str());
    assert_eq!(v["content_unchanged"], false);
    let mut forged = delivered[0].1.clone();
    forged["fingerprint"] = json!("gsfp1-000000000000000000000000");
    let v = t
        .post(
            "/api/v1/product-calls/trace",
            Auth::Cookie(&m.bureau),
            &json!({ "output": forged }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["traced"], false);
    t.post(
        "/api/v1/product-calls/trace",
        Auth::Cookie(&m.bureau),
        &json!({ "output": { "rows": [] } }),
    )
    .await
    .error(422, "validation_failed");
    // A participant cannot trace.
    t.post(
        "/api/v1/product-calls/trace",
        Auth::Cookie(&outputs[0].1.officer),
        &json!({ "output": delivered[1].1 }),
    )
    .await
    .error(403, "forbidden");
    assert_eq!(t.audit_of("product.output_traced").await.len(), 5);
}

async fn a_key_used_from_many_networks_raises_a_signal_and_assets_are_registered(t: TestApp) {
    let m = market(&t).await;
    let stats = listed(&t, &m, &statistics(&m)).await;
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let key = subscribe(&t, &m, &bank, &[&stats], "2026-12-31")
        .await
        .remove(0);
    let body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    let alerts = async |s: &Session| {
        t.get("/api/v1/product-alerts", Auth::Cookie(s))
            .await
            .expect(200)
            .json()
    };
    for ip in ["10.1.1.7", "10.1.1.8", "10.1.2.7", "172.16.5.1"] {
        t.set_peer(ip);
        call(&t, &key, &stats, &body).await.expect(200);
    }
    assert_eq!(
        alerts(&m.bureau).await,
        json!([]),
        "three networks are ordinary"
    );
    t.set_peer("2001:db8:1::5");
    call(&t, &key, &stats, &body).await.expect(200);
    let v = alerts(&m.bureau).await;
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["kind"], "many_networks");
    assert_eq!(v[0]["participant_org"], bank.org.as_str());
    assert_eq!(v[0]["product_id"], stats.as_str());
    assert_eq!(alerts(&m.w.operator).await, v);
    t.get("/api/v1/product-alerts", Auth::Cookie(&bank.officer))
        .await
        .error(403, "product.alerts_not_allowed");

    // Derived assets: provenance required and checked, IP terms attached.
    let asset = json!({ "kind": "model", "name": "用水行为信用评分模型 v1",
                        "description": "基于乡镇用水统计产品训练的评分模型", "products": [stats] });
    let e = t
        .post(
            "/api/v1/derived-assets",
            Auth::Cookie(&bank.officer),
            &json!({ "kind": "dataset", "name": "x", "description": "", "grants": ["nope"] }),
        )
        .await
        .error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["kind", "name", "description", "grants[0]"], "{e}");
    t.post(
        "/api/v1/derived-assets",
        Auth::Cookie(&m.w.provider),
        &asset,
    )
    .await
    .error(403, "derived_asset.owner_kind");
    let v = t
        .post(
            "/api/v1/derived-assets",
            Auth::Cookie(&bank.officer),
            &asset,
        )
        .await
        .expect(201)
        .json();
    assert!(v["ip_terms"].as_str().unwrap().contains("有限的知识产权"));
    let all = t
        .get("/api/v1/derived-assets", Auth::Cookie(&m.bureau))
        .await
        .expect(200)
        .json();
    assert_eq!(all.as_array().unwrap().len(), 1);
    let own = t
        .get("/api/v1/derived-assets", Auth::Cookie(&m.w.operator))
        .await
        .expect(200)
        .json();
    assert_eq!(own, json!([]));
    assert_eq!(t.audit_of("derived_asset.registered").await.len(), 1);
}
