//! The agreement page: drafted, decided, signed and filed through its forms;
//! a missing clause named next to its field with the entries kept; the
//! filing deadline in working days; an operator offered nothing and refused
//! when posting anyway; a decision overtaken by a colleague reported with the
//! current state. Test clock: 2026-03-02 (Monday), 09:00 in Beijing.

use serde_json::json;

use super::{offers, page, post_form, visible};
use crate::support::{Auth, TestApp};

crate::on_both_backends!(the_agreement_lifecycle_runs_through_the_console_forms);

const CLAUSES: &[(&str, &str)] = &[
    (
        "clauses.data_scope.catalog",
        "测试县公共数据资源目录（2026 版）",
    ),
    // Posted as a browser would post a checked resource.
    (
        "clauses.data_scope.dataset_ids",
        "018f3c1e-0000-7000-8000-000000000001",
    ),
    ("clauses.term.start", "2026-04-01"),
    ("clauses.term.end", "2029-03-31"),
    ("clauses.products_and_services", "产品和服务清单见附件一"),
    ("clauses.technical_platform", "依托市公共数据授权运营平台"),
    ("clauses.asset_ownership", "平台软硬件归县实施机构所有"),
    ("clauses.disclosure", "按季度披露产品和服务清单"),
    (
        "clauses.cost_revenue_and_distribution",
        "单独建账、独立核算",
    ),
    (
        "clauses.security_and_emergency",
        "落实数据安全与应急处置责任",
    ),
    (
        "clauses.evaluation_renewal_exit",
        "年度评价，期满前 3 个月内申请续约",
    ),
    ("clauses.breach_liability", "违约方承担相应责任"),
    ("clauses.dispute_resolution", "协商不成的，由实施机构协调"),
    ("clauses.change_and_termination", "重大变更须重新决策"),
    ("clauses.other", "本协议一式四份"),
];

async fn the_agreement_lifecycle_runs_through_the_console_forms(t: TestApp) {
    let admin = t.login(&t.admin).await;
    let agency = admin.org_id.clone();
    let operator_org = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    let r = t
        .post(
            "/api/v1/organisations",
            Auth::Cookie(&admin),
            &json!({ "name": "测试县交通运输局", "kind": "sector_regulator", "sector": "transport" }),
        )
        .await;
    r.expect(201);
    let regulator_org = r.json()["id"].as_str().unwrap().to_owned();
    let drafter = t
        .create_user(&admin, &agency, "ia.drafter", &["case_officer"])
        .await;
    let approver = t
        .create_user(&admin, &agency, "ia.approver", &["approver"])
        .await;
    let approver2 = t
        .create_user(&admin, &agency, "ia.approver2", &["approver"])
        .await;
    let op = t
        .create_user(&admin, &operator_org, "op.officer", &["case_officer"])
        .await;
    let (drafter, approver, approver2, op) = (
        t.login(&drafter).await,
        t.login(&approver).await,
        t.login(&approver2).await,
        t.login(&op).await,
    );

    // The agency is offered the draft form, with operators by name.
    let html = page(&t, &drafter, "agreements").await;
    assert!(offers(&html, "agreements", "draft"), "{html}");
    assert!(html.contains("测试县数据运营有限公司"));
    assert!(html.contains("id=\"no-items\""));

    // A draft with a clause left empty: named next to the field, the
    // entries kept, nothing created.
    let mut partial: Vec<(&str, &str)> = vec![("operator_org_id", operator_org.as_str())];
    partial.extend(
        CLAUSES
            .iter()
            .filter(|(k, _)| *k != "clauses.breach_liability"),
    );
    let html = post_form(&t, &drafter, "agreements", "draft", "", &partial)
        .await
        .expect(200)
        .text();
    assert!(html.contains("请填写“十、违约责任”"), "{html}");
    assert!(html.contains("落实数据安全与应急处置责任"), "entries kept");
    assert!(html.contains("<details class=\"command\" id=\"new-draft\" open>"));
    let list = t
        .get("/api/v1/agreements", Auth::Cookie(&admin))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing created");

    // A term over three years is refused by the rule, next to the field.
    let mut long: Vec<(&str, &str)> = vec![("operator_org_id", operator_org.as_str())];
    long.extend(CLAUSES.iter().map(|(k, v)| {
        if *k == "clauses.term.end" {
            (*k, "2029-04-01")
        } else {
            (*k, *v)
        }
    }));
    let html = post_form(&t, &drafter, "agreements", "draft", "", &long)
        .await
        .expect(200)
        .text();
    assert!(html.contains("field-error"), "{html}");
    assert!(html.contains("2029-04-01"), "entries kept");
    assert_eq!(
        t.get("/api/v1/agreements", Auth::Cookie(&admin))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // The operator is offered nothing and a forged post is refused.
    let html = page(&t, &op, "agreements").await;
    assert!(!offers(&html, "agreements", "draft"));
    let mut full: Vec<(&str, &str)> = vec![("operator_org_id", operator_org.as_str())];
    full.extend(CLAUSES.iter().copied());
    let html = post_form(&t, &op, "agreements", "draft", "", &full)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能起草授权运营协议"), "{html}");
    assert_eq!(
        t.get("/api/v1/agreements", Auth::Cookie(&admin))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // The complete draft goes through and is shown by name, never by id.
    let html = post_form(&t, &drafter, "agreements", "draft", "", &full)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("已起草授权运营协议，当前状态：起草中"),
        "{html}"
    );
    assert!(html.contains("授权运营协议：测试县数据运营有限公司"));
    assert!(
        !visible(&html).contains(&operator_org),
        "no raw organisation id"
    );
    let id = t
        .get("/api/v1/agreements", Auth::Cookie(&admin))
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let html = post_form(
        &t,
        &drafter,
        "agreements",
        "opinion",
        &id,
        &[
            ("from_org_id", regulator_org.as_str()),
            ("received_on", "2026-02-20"),
            ("opinion", "同意"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("当前状态：已征求意见"), "{html}");
    // The decision is an approver's: the case officer is not offered it.
    assert!(!offers(&html, "agreements", "decide"));
    assert!(offers(
        &page(&t, &approver, "agreements").await,
        "agreements",
        "decide"
    ));

    // Two approvers with the same page open: the second is told the
    // decision was made, keeps what was typed and sees the current state.
    let decision = [
        ("decided_on", "2026-02-25"),
        ("meeting_ref", "纪要〔2026〕3号"),
    ];
    let html = post_form(&t, &approver, "agreements", "decide", &id, &decision)
        .await
        .expect(200)
        .text();
    assert!(html.contains("当前状态：已集体决策"), "{html}");
    let html = post_form(
        &t,
        &approver2,
        "agreements",
        "decide",
        &id,
        &[
            ("decided_on", "2026-02-26"),
            ("meeting_ref", "纪要〔2026〕4号"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("以下为当前状态"), "{html}");
    assert!(html.contains("纪要〔2026〕4号"), "what was typed is kept");
    assert!(html.contains("已集体决策"));

    // Signing sets the filing deadline: ten working days, shown counting down.
    let html = post_form(
        &t,
        &drafter,
        "agreements",
        "sign",
        &id,
        &[("signed_on", "2026-03-02")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("当前状态：已签订"), "{html}");
    assert!(html.contains("备案期限：2026-03-16"), "{html}");
    assert!(html.contains("剩余 10 个工作日"), "{html}");

    // A filing with a malformed date changes nothing.
    let html = post_form(
        &t,
        &drafter,
        "agreements",
        "file",
        &id,
        &[
            ("filed_on", "3月5日"),
            ("receipt_no", "市数据局备〔2026〕12号"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("年-月-日"), "{html}");
    assert!(html.contains("市数据局备〔2026〕12号"));
    let v = t
        .get(&format!("/api/v1/agreements/{id}"), Auth::Cookie(&admin))
        .await
        .json();
    assert_eq!(v["status"], "signed");

    let html = post_form(
        &t,
        &drafter,
        "agreements",
        "file",
        &id,
        &[
            ("filed_on", "2026-03-02"),
            ("receipt_no", "市数据局备〔2026〕12号"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("当前状态：已备案"), "{html}");
    assert!(html.contains("已按期办理"));
    t.assert_audit_log_verifies().await;
}
