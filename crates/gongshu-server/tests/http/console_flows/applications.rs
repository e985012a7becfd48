//! The applications page: the operator applies for data through the form
//! (each chosen resource with its provider), the sector regulator co-signs
//! in the page, a participant applies for admission and, once the four
//! parties approved, signs the undertaking in the page and is admitted.
//! Parties without the duty are not offered the forms and are refused.

use serde_json::json;

use super::{offers, page, post_form, visible};
use crate::sandbox::world;
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(a_data_demand_and_a_market_entry_start_in_the_page);

async fn demands(t: &TestApp, s: &Session) -> serde_json::Value {
    t.get("/api/v1/data-demands", Auth::Cookie(s))
        .await
        .expect(200)
        .json()
}

async fn a_data_demand_and_a_market_entry_start_in_the_page(t: TestApp) {
    let w = world(&t).await;
    let admin = t.login(&t.admin).await;
    let regulator = t
        .user_session(&admin, &w.orgs.regulator, "reg.second", &["case_officer"])
        .await;
    let count = |v: serde_json::Value| v.as_array().map_or(0, Vec::len);
    let before = count(demands(&t, &w.operator).await);

    let html = page(&t, &w.operator, "applications").await;
    assert!(offers(&html, "applications", "demand"), "{html}");
    assert!(!offers(&html, "applications", "entry"));
    let demand = |columns: &'static str| {
        vec![
            ("scenario", "乡镇用水统计"),
            ("purpose", "按乡镇统计用水户数"),
            ("sector", "utilities"),
            ("valid_from", "2026-04-01"),
            ("valid_until", "2027-03-31"),
            ("datasets", w.resource.as_str()),
            ("columns", columns),
        ]
    };
    // No columns: named next to the field, entries kept, nothing applied for.
    let html = post_form(&t, &w.operator, "applications", "demand", "", &demand(""))
        .await
        .expect(200)
        .text();
    assert!(html.contains("请填写“所需的列”"), "{html}");
    assert!(html.contains("按乡镇统计用水户数"));
    assert_eq!(count(demands(&t, &w.operator).await), before);

    let html = post_form(
        &t,
        &w.operator,
        "applications",
        "demand",
        "",
        &demand("township、volume_m3"),
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已提出数据需求申请，当前状态："), "{html}");
    assert!(html.contains("居民用水量（township、volume_m3）"), "{html}");
    assert!(!visible(&html).contains(&w.resource), "no raw resource id");
    let list = demands(&t, &w.operator).await;
    assert_eq!(count(list.clone()), before + 1);
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["scenario"] == "乡镇用水统计")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Only the sector regulator co-signs; the bank is neither offered nor able.
    let html = page(&t, &w.bank, "applications").await;
    assert!(!offers(&html, "applications", "co_sign"));
    let html = post_form(&t, &w.bank, "applications", "co_sign", &id, &[])
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能会签数据需求"), "{html}");
    let html = page(&t, &regulator, "applications").await;
    assert!(offers(&html, "applications", "co_sign"), "{html}");
    let html = post_form(&t, &regulator, "applications", "co_sign", &id, &[])
        .await
        .expect(200)
        .text();
    assert!(html.contains("已会签数据需求，当前状态："), "{html}");
    let v = t
        .get(
            &format!("/api/v1/data-demands/{id}"),
            Auth::Cookie(&w.operator),
        )
        .await
        .json();
    assert!(v["review"]["co_signed_at"].is_string(), "{v}");

    // The bank applies for admission through the standing form.
    let html = page(&t, &w.bank, "applications").await;
    assert!(offers(&html, "applications", "entry"), "{html}");
    let html = post_form(
        &t,
        &w.bank,
        "applications",
        "entry",
        "",
        &[
            ("sector", "utilities"),
            ("qualification", "持有金融许可证"),
            ("compliance", "已建立数据合规制度"),
            ("technical_security", "等保三级"),
            ("attachments", "营业执照\n金融许可证"),
            ("data_source_org", w.orgs.water.as_str()),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已提出二级市场准入申请，当前状态："),
        "{html}"
    );
    let entries = t
        .get("/api/v1/market-entries", Auth::Cookie(&w.bank))
        .await
        .json();
    let entry = entries[0]["id"].as_str().unwrap().to_owned();
    let parties: Vec<String> = entries[0]["review"]["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["org_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(parties.len(), 4, "four-party review");
    for (i, org) in parties.iter().enumerate() {
        let name = format!("entry.approver.{i}");
        let s = t.user_session(&admin, org, &name, &["approver"]).await;
        t.post(
            &format!("/api/v1/market-entries/{entry}/decisions"),
            Auth::Cookie(&s),
            &json!({ "verdict": "approve", "reason": null }),
        )
        .await
        .expect(200);
    }
    // Approved: the bank signs the undertaking in the page and is admitted.
    let html = page(&t, &w.bank, "applications").await;
    assert!(offers(&html, "applications", "undertaking"), "{html}");
    assert!(!offers(
        &page(&t, &w.operator, "applications").await,
        "applications",
        "undertaking"
    ));
    let version = entries[0]["undertaking_version"]
        .as_str()
        .unwrap()
        .to_owned();
    let html = post_form(
        &t,
        &w.bank,
        "applications",
        "undertaking",
        &entry,
        &[("version", version.as_str())],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已签署不转授权承诺，当前状态：已准入"),
        "{html}"
    );
    t.assert_audit_log_verifies().await;
}
