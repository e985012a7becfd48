//! 运营机构遴选与应用场景 over HTTP, with real logins, on both backends.
//!
//! Operator selection: open (method) → candidates → the 14 qualification
//! items with evidence → decision by another implementing-agency approver
//! → publicity of 5 working days (an inbox obligation) → objections →
//! report to the county government (S-3.3.1, S-3.2.1, S-3.2.2).
//! Scenarios (in `scenarios`): a sector regulator plans → the operator
//! submits its plan → the regulator reviews in writing → the data bureau
//! files (S-6.3, S-2.1).
//!
//! The test clock starts on 2026-03-02 (Monday), 09:00 in Beijing.

use chrono::{NaiveDate, TimeDelta};
use serde_json::{Value, json};

use crate::support::{Auth, Creds, Resp, Session, TestApp};

mod scenarios;

crate::on_both_backends!(
    selection_happy_path_with_objection_and_report,
    choosing_a_candidate_missing_one_item_is_refused,
    opener_cannot_decide,
    operator_user_cannot_open_a_selection,
    finalising_during_publicity_is_refused_and_an_upheld_objection_reopens,
    concurrent_selection_decisions_have_one_winner,
);

const CODE_A: &str = "914403001922038216";
const CODE_B: &str = "91440300708461136T";

/// The people of a selection, logged in.
struct Gov {
    opener: Session,
    opener_creds: Creds,
    approver: Session,
    approver2: Session,
    operator_user: Session,
    bureau_approver: Session,
    org_a: String,
    org_b: String,
}

async fn org_with_code(t: &TestApp, admin: &Session, name: &str, code: &str) -> String {
    let r = t
        .post(
            "/api/v1/organisations",
            Auth::Cookie(admin),
            &json!({ "name": name, "kind": "operator", "credit_code": code }),
        )
        .await;
    r.expect(201);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn gov(t: &TestApp) -> Gov {
    let admin = t.login(&t.admin).await;
    let agency = admin.org_id.clone();
    let org_a = org_with_code(t, &admin, "测试县数据运营有限公司", CODE_A).await;
    let org_b = org_with_code(t, &admin, "测试县数字科技有限公司", CODE_B).await;
    let bureau = t.create_org(&admin, "测试县数据局", "data_bureau").await;
    let opener_creds = t
        .create_user(&admin, &agency, "ia.opener", &["case_officer", "approver"])
        .await;
    Gov {
        opener: t.login(&opener_creds).await,
        opener_creds,
        approver: t
            .user_session(&admin, &agency, "ia.approver", &["approver"])
            .await,
        approver2: t
            .user_session(&admin, &agency, "ia.approver2", &["approver"])
            .await,
        operator_user: t
            .user_session(&admin, &org_a, "op.officer", &["case_officer"])
            .await,
        bureau_approver: t
            .user_session(&admin, &bureau, "db.approver", &["approver"])
            .await,
        org_a,
        org_b,
    }
}

async fn open(t: &TestApp, s: &Session) -> Resp {
    t.post(
        "/api/v1/selections",
        Auth::Cookie(s),
        &json!({ "title": "测试县公共数据授权运营机构遴选", "method": "open_tender" }),
    )
    .await
}

async fn candidate(t: &TestApp, s: &Session, id: &str, org: &str, code: &str) -> String {
    let r = t
        .post(
            &format!("/api/v1/selections/{id}/candidates"),
            Auth::Cookie(s),
            &json!({ "org_id": org, "credit_code": code }),
        )
        .await;
    r.expect(200);
    let v = r.json();
    let c = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["org_id"] == org)
        .unwrap();
    c["id"].as_str().unwrap().to_owned()
}

const ITEMS: [&str; 14] = [
    "basic_legal_person",
    "basic_sound_finances",
    "basic_no_violations",
    "basic_office_team_capacity",
    "tech_knows_rules",
    "tech_data_experience",
    "tech_security_officer",
    "tech_level3_and_gov_network",
    "tech_no_incident_3y",
    "tech_digital_systems",
    "tech_partner_management",
    "tech_innovation",
    "tech_supervision_response",
    "tech_other",
];

/// Records all 14 items as met, except `not_met`.
async fn assess(t: &TestApp, s: &Session, id: &str, cand: &str, not_met: Option<&str>) -> Value {
    let items: Vec<Value> = ITEMS
        .iter()
        .map(|i| {
            if Some(*i) == not_met {
                json!({ "item": i, "met": false })
            } else {
                json!({ "item": i, "met": true, "evidence_ref": format!("附件/{i}.pdf") })
            }
        })
        .collect();
    let r = t
        .post(
            &format!("/api/v1/selections/{id}/candidates/{cand}/assessment"),
            Auth::Cookie(s),
            &json!({ "items": items }),
        )
        .await;
    r.expect(200);
    r.json()
}

async fn decide(t: &TestApp, s: &Session, id: &str, cand: &str) -> Resp {
    t.post(
        &format!("/api/v1/selections/{id}/decide"),
        Auth::Cookie(s),
        &json!({ "candidate_id": cand, "decided_on": "2026-03-02" }),
    )
    .await
}

/// Opened, with candidate A fully qualified; returns (selection, candidate A).
async fn ready(t: &TestApp, g: &Gov) -> (String, String) {
    let r = open(t, &g.opener).await;
    r.expect(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let a = candidate(t, &g.opener, &id, &g.org_a, CODE_A).await;
    let v = assess(t, &g.opener, &id, &a, None).await;
    assert_eq!(v["candidates"][0]["qualified"], true);
    (id, a)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn finalise(t: &TestApp, s: &Session, id: &str, on: &str) -> Resp {
    t.post(
        &format!("/api/v1/selections/{id}/finalise"),
        Auth::Cookie(s),
        &json!({ "reported_on": on, "report_doc_no": "县数据局〔2026〕8号" }),
    )
    .await
}

async fn selection_happy_path_with_objection_and_report(t: TestApp) {
    let g = gov(&t).await;
    let (id, a) = ready(&t, &g).await;
    let b = candidate(&t, &g.opener, &id, &g.org_b, CODE_B).await;
    // The same organisation twice is a duplicate.
    t.post(
        &format!("/api/v1/selections/{id}/candidates"),
        Auth::Cookie(&g.opener),
        &json!({ "org_id": g.org_a, "credit_code": CODE_A }),
    )
    .await
    .expect(409);
    let v = assess(&t, &g.opener, &id, &b, Some("tech_innovation")).await;
    assert_eq!(v["candidates"][1]["missing"], json!(["tech_innovation"]));

    let r = decide(&t, &g.approver, &id, &a).await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["status"], "publicity");
    assert_eq!(v["chosen_candidate_id"], a.as_str());
    // Monday 03-02 + 5 working days = Monday 03-09.
    assert_eq!(v["publicity_ends_on"], "2026-03-09");
    let obligations = gongshu_app::selection::open_obligations(&t.app, date("2026-03-02"))
        .await
        .unwrap();
    assert_eq!(obligations.len(), 1);
    assert_eq!(obligations[0].kind, "selection.publicity");
    assert_eq!(obligations[0].due_on, date("2026-03-09"));
    assert_eq!(obligations[0].rule, "S-3.3.1");
    assert_eq!(obligations[0].responsible_org, g.opener.org_id);

    let r = t
        .post(
            &format!("/api/v1/selections/{id}/objections"),
            Auth::Cookie(&g.opener),
            &json!({ "received_on": "2026-03-02", "objector": "某参选企业", "content": "对资格审查结论有异议" }),
        )
        .await;
    r.expect(200);
    let objection = r.json()["objections"][0]["id"].as_str().unwrap().to_owned();

    t.advance(TimeDelta::days(8));
    let opener = t.login(&g.opener_creds).await;
    let v = finalise(&t, &opener, &id, "2026-03-10")
        .await
        .error(409, "selection.objections_pending");
    assert!(
        v["message"].as_str().unwrap().contains("（S-3.3.1）"),
        "{v}"
    );
    t.post(
        &format!("/api/v1/selections/{id}/objections/{objection}/resolve"),
        Auth::Cookie(&opener),
        &json!({ "outcome": "dismissed", "resolution": "经核查，资格审查结论无误" }),
    )
    .await
    .expect(200);
    let r = finalise(&t, &opener, &id, "2026-03-10").await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["status"], "finalised");
    assert_eq!(v["status_label"], "已报县政府");
    assert_eq!(v["report_doc_no"], "县数据局〔2026〕8号");
    assert!(
        gongshu_app::selection::open_obligations(&t.app, date("2026-03-10"))
            .await
            .unwrap()
            .is_empty()
    );
    for (action, n) in [
        ("selection.opened", 1),
        ("selection.candidate_registered", 2),
        ("selection.assessment_recorded", 2),
        ("selection.decided", 1),
        ("selection.objection_recorded", 1),
        ("selection.objection_resolved", 1),
        ("selection.finalised", 1),
    ] {
        let recs = t.audit_of(action).await;
        assert_eq!(recs.len(), n, "{action}");
        assert_eq!(recs[0].payload["target_id"], id.as_str(), "{action}");
    }
    t.assert_audit_log_verifies().await;
}

async fn choosing_a_candidate_missing_one_item_is_refused(t: TestApp) {
    let g = gov(&t).await;
    let r = open(&t, &g.opener).await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let a = candidate(&t, &g.opener, &id, &g.org_a, CODE_A).await;
    assess(&t, &g.opener, &id, &a, Some("basic_no_violations")).await;
    let v = decide(&t, &g.approver, &id, &a)
        .await
        .error(409, "selection.candidate_not_qualified");
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("（S-3.2.1）"), "{v}");
    assert!(message.contains("无重大违法违规"), "{v}");
    // An item met without its evidence is invalid input (S-3.2.2).
    let r = t
        .post(
            &format!("/api/v1/selections/{id}/candidates/{a}/assessment"),
            Auth::Cookie(&g.opener),
            &json!({ "items": [{ "item": "tech_innovation", "met": true }] }),
        )
        .await;
    let v = r.error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "selection.evidence_missing");
    assert_eq!(
        v["fields"][0]["field"],
        "items.tech_innovation.evidence_ref"
    );
    // A non-operator cannot be a candidate; a wrong credit code is refused.
    let r = t
        .post(
            &format!("/api/v1/selections/{id}/candidates"),
            Auth::Cookie(&g.opener),
            &json!({ "org_id": g.org_b, "credit_code": CODE_A }),
        )
        .await;
    let v = r.error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "selection.credit_code_mismatch");
    let r = t
        .get(&format!("/api/v1/selections/{id}"), Auth::Cookie(&g.opener))
        .await;
    assert_eq!(r.json()["status"], "open");
    assert!(t.audit_of("selection.decided").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn opener_cannot_decide(t: TestApp) {
    let g = gov(&t).await;
    let (id, a) = ready(&t, &g).await;
    decide(&t, &g.opener, &id, &a).await.error(403, "forbidden");
    let denied = t.audit_of("authz.denied").await;
    let last = denied.last().unwrap();
    assert_eq!(last.payload["actor_user"], g.opener.user_id);
    assert!(
        last.payload["decision"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "sod_no_self_approval"),
        "{}",
        last.payload
    );
    // A data-bureau approver is not the implementing agency (second line).
    decide(&t, &g.bureau_approver, &id, &a)
        .await
        .error(403, "forbidden");
    let last = t.audit_of("authz.denied").await.pop().unwrap();
    assert_eq!(
        last.payload["details"]["rule"],
        "selection.decided_by_implementing_agency"
    );
    // The operator cannot choose itself either.
    decide(&t, &g.operator_user, &id, &a)
        .await
        .error(403, "forbidden");
    decide(&t, &g.approver, &id, &a).await.expect(200);
    t.assert_audit_log_verifies().await;
}

async fn operator_user_cannot_open_a_selection(t: TestApp) {
    let g = gov(&t).await;
    open(&t, &g.operator_user).await.error(403, "forbidden");
    let r = t
        .get("/api/v1/selections", Auth::Cookie(&g.operator_user))
        .await;
    r.expect(200);
    assert!(r.json().as_array().unwrap().is_empty());
    assert!(t.audit_of("selection.opened").await.is_empty());
    assert_eq!(t.audit_of("authz.denied").await.len(), 1);
    // An unknown method is named.
    let r = t
        .post(
            "/api/v1/selections",
            Auth::Cookie(&g.opener),
            &json!({ "title": "遴选", "method": "lottery" }),
        )
        .await;
    let v = r.error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "selection.method_invalid");
    t.assert_audit_log_verifies().await;
}

async fn finalising_during_publicity_is_refused_and_an_upheld_objection_reopens(t: TestApp) {
    let g = gov(&t).await;
    let (id, a) = ready(&t, &g).await;
    decide(&t, &g.approver, &id, &a).await.expect(200);
    let v = finalise(&t, &g.opener, &id, "2026-03-02")
        .await
        .error(409, "selection.publicity_not_over");
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains("（S-3.3.1）") && message.contains("2026-03-09"),
        "{v}"
    );
    let r = t
        .post(
            &format!("/api/v1/selections/{id}/objections"),
            Auth::Cookie(&g.opener),
            &json!({ "received_on": "2026-03-02", "objector": "某企业", "content": "中选机构存在失信记录" }),
        )
        .await;
    let objection = r.json()["objections"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/selections/{id}/objections/{objection}/resolve");
    let r = t
        .post(
            &path,
            Auth::Cookie(&g.opener),
            &json!({ "outcome": "upheld", "resolution": "经核查属实，取消中选资格" }),
        )
        .await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["status"], "open");
    assert_eq!(v["chosen_candidate_id"], Value::Null);
    assert_eq!(v["objections"][0]["status"], "upheld");
    t.post(
        &path,
        Auth::Cookie(&g.opener),
        &json!({ "outcome": "dismissed", "resolution": "再次处理" }),
    )
    .await
    .expect(409);
    t.assert_audit_log_verifies().await;
}

async fn concurrent_selection_decisions_have_one_winner(t: TestApp) {
    let g = gov(&t).await;
    let (id, a) = ready(&t, &g).await;
    let x = {
        let (t, s, id, a) = (t.clone(), g.approver.clone(), id.clone(), a.clone());
        tokio::spawn(async move { decide(&t, &s, &id, &a).await })
    };
    let y = {
        let (t, s, id, a) = (t.clone(), g.approver2.clone(), id.clone(), a.clone());
        tokio::spawn(async move { decide(&t, &s, &id, &a).await })
    };
    let (x, y) = (x.await.unwrap(), y.await.unwrap());
    let (won, lost) = if x.status.is_success() {
        (x, y)
    } else {
        (y, x)
    };
    won.expect(200);
    lost.expect(409);
    let code = lost.json()["code"].as_str().unwrap().to_owned();
    assert!(
        code == "conflict" || code == "selection.invalid_transition",
        "{code}"
    );
    assert_eq!(t.audit_of("selection.decided").await.len(), 1);
    t.assert_audit_log_verifies().await;
}
