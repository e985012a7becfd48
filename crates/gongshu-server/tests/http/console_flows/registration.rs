//! The registration page: a data source unit catalogs its resource with
//! its columns typed one per line and applies; the data bureau accepts,
//! reviews, publishes and, after the notice, registers through the forms,
//! each deadline shown in working days; a missing field named next to it
//! with the entries kept; another unit and the bureau not offered the
//! application and refused when posting; a step on a page that went stale
//! reported as overtaken. Test clock: 2026-03-02 (Monday), 09:00 in Beijing.

use chrono::TimeDelta;
use serde_json::Value;

use super::{offers, page, post_form};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(a_resource_is_registered_through_the_console_forms);

const ENTRY: &[(&str, &str)] = &[
    ("name", "居民用水量"),
    ("summary", "按户按月的用水量"),
    ("category", "公用事业/供水"),
    ("format", "table"),
    ("update_frequency", "monthly"),
    ("sharing_attribute", "conditional"),
    ("sharing_method", "sandbox"),
    ("use_conditions", "仅限可信数据空间内统计分析"),
    ("time_coverage_start", "2020-01-01"),
    ("industry", "水的生产和供应业"),
    ("region", "测试县"),
    ("storage_volume_mb", "2048"),
    ("applicable_scenarios", "供水管网规划"),
    ("prohibited_scenarios", "个人画像"),
    (
        "columns",
        "account_no、general_3、personal、direct_id\ntownship、general_1、none、quasi_id\nvolume_m3、general_2、非个人信息、敏感值",
    ),
];

async fn resource(t: &TestApp, s: &Session) -> Option<Value> {
    let list = t
        .get("/api/v1/catalog/resources", Auth::Cookie(s))
        .await
        .expect(200)
        .json();
    list.as_array().unwrap().first().cloned()
}

/// What the forms post as the item: its id and the version shown.
async fn item(t: &TestApp, s: &Session) -> String {
    let v = resource(t, s).await.unwrap();
    format!("{}@{}", v["id"].as_str().unwrap(), v["version"])
}

async fn status(t: &TestApp, s: &Session) -> Value {
    resource(t, s).await.unwrap()["registration"]["status"].clone()
}

async fn a_resource_is_registered_through_the_console_forms(t: TestApp) {
    let admin = t.login(&t.admin).await;
    let water = t
        .create_org_in_sector(&admin, "测试县自来水公司", "data_source_unit", "utilities")
        .await;
    let power = t
        .create_org_in_sector(&admin, "测试县供电公司", "data_source_unit", "utilities")
        .await;
    let bureau_org = t.create_org(&admin, "测试县数据局", "data_bureau").await;
    let provider = t
        .create_user(&admin, &water, "water.officer", &["case_officer"])
        .await;
    let other = t
        .user_session(&admin, &power, "power.officer", &["case_officer"])
        .await;
    let bureau = t
        .create_user(&admin, &bureau_org, "db.officer", &["case_officer"])
        .await;
    let (prov, reg) = (t.login(&provider).await, t.login(&bureau).await);

    // The unit is offered the catalog form; the bureau is not.
    let html = page(&t, &prov, "registration").await;
    assert!(offers(&html, "registration", "create"), "{html}");
    assert!(html.contains("N3"));
    assert!(!offers(
        &page(&t, &reg, "registration").await,
        "registration",
        "create"
    ));

    // Without its summary: named next to the field, entries kept.
    let partial: Vec<(&str, &str)> = ENTRY
        .iter()
        .copied()
        .filter(|(k, _)| *k != "summary")
        .collect();
    let html = post_form(&t, &prov, "registration", "create", "", &partial)
        .await
        .expect(200)
        .text();
    assert!(html.contains("请填写“数据内容简介”"), "{html}");
    assert!(html.contains("仅限可信数据空间内统计分析"), "entries kept");
    assert!(resource(&t, &admin).await.is_none(), "nothing created");

    // The complete entry; its columns typed by code or by Chinese label.
    let html = post_form(&t, &prov, "registration", "create", "", ENTRY)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("已编制目录条目，当前状态：未申请登记"),
        "{html}"
    );
    assert!(html.contains("数据资源：居民用水量"));
    assert!(html.contains("测试县自来水公司"));
    assert!(
        html.contains("<dt>共享属性</dt><dd>有条件共享</dd>"),
        "{html}"
    );
    assert!(!html.contains(&water), "no raw organisation id");
    let v = resource(&t, &admin).await.unwrap();
    assert_eq!(v["columns"][2]["personal_info"], "none");
    assert_eq!(v["columns"][2]["sandbox_class"], "sensitive");
    assert_eq!(v["grade"], "general_3");

    // Another unit and the bureau may not apply for it: not offered, and
    // a forged post changes nothing.
    let target = item(&t, &admin).await;
    assert!(!offers(
        &page(&t, &other, "registration").await,
        "registration",
        "submit"
    ));
    assert!(!offers(
        &page(&t, &reg, "registration").await,
        "registration",
        "submit"
    ));
    let html = post_form(&t, &other, "registration", "submit", &target, &[])
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能提交登记申请"), "{html}");
    assert_eq!(status(&t, &admin).await, "unregistered");

    // The application sets the acceptance deadline: 3 working days.
    let html = post_form(&t, &prov, "registration", "submit", &target, &[])
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("已提交登记申请，当前状态：已提交登记申请"),
        "{html}"
    );
    assert!(html.contains("受理资源登记申请：2026-03-05"), "{html}");
    assert!(html.contains("剩余 3 个工作日"));
    assert!(!offers(&html, "registration", "accept"));

    // A rejection needs its reasons.
    let submitted = item(&t, &admin).await;
    let html = page(&t, &reg, "registration").await;
    assert!(offers(&html, "registration", "accept"), "{html}");
    let html = post_form(&t, &reg, "registration", "reject", &submitted, &[])
        .await
        .expect(200)
        .text();
    assert!(html.contains("请填写“驳回理由”"), "{html}");
    assert_eq!(status(&t, &admin).await, "submitted");

    for (command, state) in [
        ("accept", "已受理"),
        ("review", "形式审核通过"),
        ("notice", "公示中"),
    ] {
        let html = post_form(
            &t,
            &reg,
            "registration",
            command,
            &item(&t, &admin).await,
            &[],
        )
        .await
        .expect(200)
        .text();
        assert!(
            html.contains(&format!("当前状态：{state}")),
            "{command}: {html}"
        );
    }
    let html = page(&t, &reg, "registration").await;
    assert!(html.contains("2026-03-02 至 2026-03-13"), "{html}");
    assert!(
        html.contains("<p class=\"due\">公示期满赋码登记："),
        "{html}"
    );

    // A form from before the acceptance is overtaken: reported with what
    // was typed, nothing rejected.
    let html = post_form(
        &t,
        &reg,
        "registration",
        "reject",
        &submitted,
        &[("reason", "材料不全")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("以下为当前状态"), "{html}");
    assert!(html.contains("材料不全"), "what was typed is kept");
    assert_eq!(status(&t, &admin).await, "in_notice");

    // Registration waits for the end of the notice.
    let html = post_form(
        &t,
        &reg,
        "registration",
        "register",
        &item(&t, &admin).await,
        &[],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能赋码登记"), "{html}");
    assert!(html.contains("2026-03-13 届满"));
    assert_eq!(status(&t, &admin).await, "in_notice");

    t.advance(TimeDelta::days(12));
    let (admin, prov, reg) = (
        t.login(&t.admin).await,
        t.login(&provider).await,
        t.login(&bureau).await,
    );
    let html = post_form(
        &t,
        &reg,
        "registration",
        "register",
        &item(&t, &admin).await,
        &[],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已赋码登记，当前状态：已登记"), "{html}");
    assert!(html.contains("GSDJ-20260314-"), "{html}");
    assert!(html.contains("2029-03-13"), "valid three years");

    // Renewal opens 60 days before expiry: offered to the unit, refused now.
    let html = page(&t, &prov, "registration").await;
    assert!(offers(&html, "registration", "renew"), "{html}");
    let html = post_form(
        &t,
        &prov,
        "registration",
        "renew",
        &item(&t, &admin).await,
        &[],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能申请续展"), "{html}");
    assert_eq!(status(&t, &admin).await, "registered");
    assert!(!html.contains(&water) && !html.contains(&bureau_org));
    t.assert_audit_log_verifies().await;
}
