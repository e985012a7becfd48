//! The public disclosure portal: no login, who holds which grant for what,
//! usage counts that follow the audit log, the signed checkpoint; names,
//! dates and counts only.

use serde_json::json;

use crate::datasets::RAW_ACCOUNT;
use crate::sandbox::world;
use crate::support::{Auth, TestApp};

crate::on_both_backends!(the_portal_discloses_grants_usage_and_the_checkpoint,);

async fn the_portal_discloses_grants_usage_and_the_checkpoint(t: TestApp) {
    let w = world(&t).await;
    let p = t.get("/api/v1/public/portal", Auth::None).await;
    let p = p.expect(200).json();
    assert_eq!(p["authorizations"], json!([]), "no agreement signed here");
    let g = &p["grants"][0];
    assert_eq!(g["grantee"], "测试县数据运营有限公司", "{p}");
    assert_eq!(g["dataset"], "居民用水量");
    assert_eq!(g["purpose"], "按乡镇统计用水，规划管网");
    assert_eq!(g["state"], "有效");
    let queries = |p: &serde_json::Value| {
        p["usage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["label"] == "可信数据空间查询")
            .unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    let before = queries(&p);
    assert!(
        p["checkpoint"].as_str().unwrap().lines().count() >= 3,
        "{p}"
    );
    assert_eq!(p["audit_size"], t.ledger().size());

    t.post(
        "/api/v1/sandbox/query",
        Auth::Cookie(&w.operator),
        &json!({ "sql": "SELECT township, count(*) AS n FROM water_use GROUP BY township" }),
    )
    .await
    .expect(200);
    let after = t.get("/api/v1/public/portal", Auth::None).await.json();
    assert_eq!(queries(&after), before + 1);

    // The page, for people: the same facts, nothing row-level.
    let page = t.get("/portal", Auth::None).await;
    page.expect(200);
    let html = page.text();
    assert!(html.contains("测试县数据运营有限公司"), "{html}");
    assert!(html.contains("数据使用授权"));
    assert!(
        !html.contains(RAW_ACCOUNT) && !html.contains("p_"),
        "{html}"
    );
}
