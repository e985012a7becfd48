//! Joint reviews (联合审核): data demands (S-4b) and secondary-market
//! entries (S-3.3.2a/b), end to end with a real login per party.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::support::{Auth, Resp, Session, TestApp};

crate::on_both_backends!(
    data_demand_is_co_signed_approved_by_all_and_grants_data,
    data_demand_with_one_approval_missing_grants_nothing,
    data_demand_without_co_signature_cannot_be_reviewed,
    market_entry_is_reviewed_by_four_parties_and_admitted_after_the_undertaking,
    market_entry_with_three_of_four_approvals_is_not_admitted,
    reviewer_of_the_applicant_organisation_is_refused,
    party_not_named_cannot_decide,
    rejection_without_reason_is_invalid,
    concurrent_decisions_of_one_party_have_one_winner,
    parties_decide_on_the_console_with_errors_kept_and_conflicts_shown,
    a_decision_posted_after_the_session_expired_is_resumed_after_login,
);

const DATASET_A: &str = "0190f3d2-8a4e-7c11-9b7e-5f0d2a3c4b01";
const DATASET_B: &str = "0190f3d2-8a4e-7c11-9b7e-5f0d2a3c4b02";

/// The county's parties, each with a logged-in user.
struct World {
    agency: Session,
    bureau: Session,
    operator_officer: Session,
    operator_reviewer: Session,
    operator_approver: Session,
    regulator_officer: Session,
    regulator_approver: Session,
    source_a: Session,
    source_a_second: Session,
    source_b: Session,
    stranger_source: Session,
    participant: Session,
    operator_org: String,
    source_a_org: String,
    source_b_org: String,
}

async fn world(t: &TestApp) -> World {
    let admin = t.login(&t.admin).await;
    let agency_org = t.admin.org_id.clone();
    let bureau_org = t
        .create_org(&admin, "测试县数据管理局", "data_bureau")
        .await;
    let operator_org = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    let regulator_org = t
        .create_org_in_sector(&admin, "测试县交通运输局", "sector_regulator", "transport")
        .await;
    let source_a_org = t
        .create_org(&admin, "测试县公安局", "data_source_unit")
        .await;
    let source_b_org = t
        .create_org(&admin, "测试县公交公司", "data_source_unit")
        .await;
    let stranger_org = t
        .create_org(&admin, "测试县自来水公司", "data_source_unit")
        .await;
    let participant_org = t
        .create_org(&admin, "测试数据科技有限公司", "participant")
        .await;
    World {
        agency: t
            .user_session(&admin, &agency_org, "agency.approver", &["approver"])
            .await,
        bureau: t
            .user_session(&admin, &bureau_org, "bureau.approver", &["approver"])
            .await,
        operator_officer: t
            .user_session(&admin, &operator_org, "op.officer", &["case_officer"])
            .await,
        operator_reviewer: t
            .user_session(&admin, &operator_org, "op.reviewer", &["reviewer"])
            .await,
        operator_approver: t
            .user_session(&admin, &operator_org, "op.approver", &["approver"])
            .await,
        regulator_officer: t
            .user_session(&admin, &regulator_org, "reg.officer", &["case_officer"])
            .await,
        regulator_approver: t
            .user_session(&admin, &regulator_org, "reg.approver", &["approver"])
            .await,
        source_a: t
            .user_session(&admin, &source_a_org, "src.a.approver", &["approver"])
            .await,
        source_a_second: t
            .user_session(&admin, &source_a_org, "src.a.reviewer", &["reviewer"])
            .await,
        source_b: t
            .user_session(&admin, &source_b_org, "src.b.approver", &["approver"])
            .await,
        stranger_source: t
            .user_session(&admin, &stranger_org, "src.x.approver", &["approver"])
            .await,
        participant: t
            .user_session(&admin, &participant_org, "pt.officer", &["case_officer"])
            .await,
        operator_org,
        source_a_org,
        source_b_org,
    }
}

async fn create_demand(t: &TestApp, w: &World) -> String {
    let r = t
        .post(
            "/api/v1/data-demands",
            Auth::Cookie(&w.operator_officer),
            &json!({
                "scenario": "公交客流分析",
                "purpose": "优化公交线路与班次，仅用于场景建模",
                "sector": "transport",
                "valid_from": "2026-04-01",
                "valid_until": "2027-03-31",
                "datasets": [
                    { "dataset_id": DATASET_A, "provider_org": w.source_a_org, "columns": ["station_id", "boardings"] },
                    { "dataset_id": DATASET_B, "provider_org": w.source_b_org, "columns": ["route_id"] },
                ],
            }),
        )
        .await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["review"]["status"], "submitted");
    assert_eq!(v["review"]["parties"].as_array().unwrap().len(), 4);
    v["id"].as_str().unwrap().to_owned()
}

async fn decide(t: &TestApp, path: &str, s: &Session, verdict: &str, reason: Option<&str>) -> Resp {
    t.post(
        &format!("{path}/decisions"),
        Auth::Cookie(s),
        &json!({ "verdict": verdict, "reason": reason }),
    )
    .await
}

async fn co_sign(t: &TestApp, w: &World, id: &str) -> Value {
    let r = t
        .post(
            &format!("/api/v1/data-demands/{id}/co-sign"),
            Auth::Cookie(&w.regulator_officer),
            &json!({}),
        )
        .await;
    r.expect(200);
    r.json()
}

async fn grants_of(t: &TestApp, s: &Session, org: &str) -> Vec<Value> {
    t.get(&format!("/api/v1/grants?org={org}"), Auth::Cookie(s))
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .clone()
}

async fn data_demand_is_co_signed_approved_by_all_and_grants_data(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    let path = format!("/api/v1/data-demands/{id}");
    assert_eq!(co_sign(&t, &w, &id).await["review"]["status"], "co_signed");
    for s in [&w.agency, &w.bureau, &w.source_a] {
        let v = decide(&t, &path, s, "approve", None)
            .await
            .expect(200)
            .json();
        assert_eq!(v["review"]["status"], "under_review");
        assert!(v["grants"].as_array().unwrap().is_empty());
    }
    let v = decide(
        &t,
        &path,
        &w.source_b,
        "approve",
        Some("同意，按最小必要提供"),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(v["review"]["status"], "approved");
    assert_eq!(v["grants"].as_array().unwrap().len(), 2);

    let grants = grants_of(&t, &w.operator_officer, &w.operator_org).await;
    assert_eq!(grants.len(), 2);
    // Granted datasets not in the catalog give the sandbox nothing to query.
    let tables = t
        .get("/api/v1/sandbox/tables", Auth::Cookie(&w.operator_officer))
        .await;
    assert_eq!(tables.expect(200).json(), json!([]));
    let a = grants
        .iter()
        .find(|g| g["dataset_id"] == DATASET_A)
        .unwrap();
    assert_eq!(a["columns"], json!(["station_id", "boardings"]));
    assert_eq!(a["provider_org"], w.source_a_org.as_str());
    assert_eq!(a["source_demand"], id.as_str());
    assert_eq!(a["valid_until"], "2027-03-31");
    assert!(a["revoked_at"].is_null());
    // Another organisation cannot read the operator's grants.
    t.get(
        &format!("/api/v1/grants?org={}", w.operator_org),
        Auth::Cookie(&w.participant),
    )
    .await
    .error(403, "forbidden");
    // A decision after the end is refused.
    decide(&t, &path, &w.source_a, "approve", None)
        .await
        .error(409, "review.invalid_transition");

    assert_eq!(t.audit_of("data_demand.submitted").await.len(), 1);
    assert_eq!(t.audit_of("data_demand.cosigned").await.len(), 1);
    assert_eq!(t.audit_of("review.decided").await.len(), 4);
    assert_eq!(t.audit_of("data_demand.approved").await.len(), 1);
    let created = t.audit_of("grant.created").await;
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|r| r.payload["dataset"].is_string()));
    t.assert_audit_log_verifies().await;
}

async fn data_demand_with_one_approval_missing_grants_nothing(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    let path = format!("/api/v1/data-demands/{id}");
    co_sign(&t, &w, &id).await;
    for s in [&w.agency, &w.bureau, &w.source_a] {
        decide(&t, &path, s, "approve", None).await.expect(200);
    }
    let v = t
        .get(&path, Auth::Cookie(&w.operator_officer))
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "under_review");
    assert!(v["grants"].as_array().unwrap().is_empty());
    assert!(grants_of(&t, &w.agency, &w.operator_org).await.is_empty());

    // The one pending party has a review-due obligation (10 working days
    // from the co-signature, counted on the official calendar).
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let obligations = gongshu_app::reviews::open_obligations(&t.app, today)
        .await
        .unwrap();
    assert_eq!(obligations.len(), 1);
    assert_eq!(obligations[0].responsible_org, w.source_b_org);
    assert_eq!(obligations[0].rule, "S-4b");
    assert_eq!(
        obligations[0].due_on,
        NaiveDate::from_ymd_opt(2026, 3, 16).unwrap()
    );

    // The last party rejects: rejected with the reason, still no grant.
    let v = decide(
        &t,
        &path,
        &w.source_b,
        "reject",
        Some("线路数据涉及未公开信息"),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(v["review"]["status"], "rejected");
    assert_eq!(
        v["review"]["rejection_reasons"],
        json!(["线路数据涉及未公开信息"])
    );
    assert!(v["grants"].as_array().unwrap().is_empty());
    assert!(grants_of(&t, &w.agency, &w.operator_org).await.is_empty());
    assert_eq!(t.audit_of("data_demand.rejected").await.len(), 1);
    assert!(t.audit_of("grant.created").await.is_empty());
    assert!(
        gongshu_app::reviews::open_obligations(&t.app, today)
            .await
            .unwrap()
            .is_empty()
    );
    t.assert_audit_log_verifies().await;
}

async fn data_demand_without_co_signature_cannot_be_reviewed(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    let path = format!("/api/v1/data-demands/{id}");
    let e = decide(&t, &path, &w.agency, "approve", None)
        .await
        .error(409, "review.not_co_signed");
    assert!(e["message"].as_str().unwrap().contains("（S-4b）"), "{e}");
    // Only the regulator co-signs: the operator itself cannot.
    t.post(
        &format!("{path}/co-sign"),
        Auth::Cookie(&w.operator_officer),
        &json!({}),
    )
    .await
    .error(403, "forbidden");
    let v = t
        .get(&path, Auth::Cookie(&w.agency))
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "submitted");
    assert!(
        v["review"]["parties"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["decision"].is_null())
    );
    assert!(t.audit_of("review.decided").await.is_empty());
    // Co-signing twice is refused.
    co_sign(&t, &w, &id).await;
    t.post(
        &format!("{path}/co-sign"),
        Auth::Cookie(&w.regulator_officer),
        &json!({}),
    )
    .await
    .error(409, "review.invalid_transition");
    t.assert_audit_log_verifies().await;
}

async fn create_entry(t: &TestApp, w: &World) -> String {
    let r = t
        .post(
            "/api/v1/market-entries",
            Auth::Cookie(&w.participant),
            &json!({
                "sector": "transport",
                "qualification": "营业执照、无重大违法记录声明",
                "compliance": "数据合规管理制度、个人信息保护制度",
                "technical_security": "等保三级测评报告",
                "attachments": ["ATT-2026-001", "ATT-2026-002"],
                "data_source_org": w.source_a_org,
            }),
        )
        .await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["review"]["status"], "submitted");
    assert_eq!(v["review"]["parties"].as_array().unwrap().len(), 4);
    assert_eq!(v["admitted"], false);
    v["id"].as_str().unwrap().to_owned()
}

async fn sign(t: &TestApp, w: &World, id: &str, version: &str) -> Resp {
    t.post(
        &format!("/api/v1/market-entries/{id}/undertaking"),
        Auth::Cookie(&w.participant),
        &json!({ "version": version }),
    )
    .await
}

async fn market_entry_is_reviewed_by_four_parties_and_admitted_after_the_undertaking(t: TestApp) {
    let w = world(&t).await;
    let id = create_entry(&t, &w).await;
    let path = format!("/api/v1/market-entries/{id}");
    for s in [
        &w.agency,
        &w.regulator_approver,
        &w.operator_approver,
        &w.source_a,
    ] {
        decide(&t, &path, s, "approve", None).await.expect(200);
    }
    let v = t
        .get(&path, Auth::Cookie(&w.participant))
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "approved");
    assert_eq!(
        v["admitted"], false,
        "not before the undertaking (S-3.3.2b)"
    );
    let version = v["undertaking_version"].as_str().unwrap().to_owned();
    assert!(v["undertaking_text"].as_str().unwrap().contains("转授权"));

    sign(&t, &w, &id, "old")
        .await
        .error(422, "validation_failed");
    let v = sign(&t, &w, &id, &version).await.expect(200).json();
    assert_eq!(v["admitted"], true);
    assert_eq!(v["undertaking"]["version"], version.as_str());
    assert_eq!(
        v["undertaking"]["signed_by"],
        w.participant.user_id.as_str()
    );
    assert!(v["admitted_at"].is_string());
    sign(&t, &w, &id, &version).await.error(409, "conflict");
    let listed = t
        .get("/api/v1/market-entries", Auth::Cookie(&w.agency))
        .await
        .expect(200)
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    assert_eq!(t.audit_of("market_entry.submitted").await.len(), 1);
    assert_eq!(t.audit_of("review.decided").await.len(), 4);
    assert_eq!(t.audit_of("market_entry.approved").await.len(), 1);
    assert_eq!(t.audit_of("market_entry.undertaking_signed").await.len(), 1);
    assert_eq!(t.audit_of("market_entry.admitted").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn market_entry_with_three_of_four_approvals_is_not_admitted(t: TestApp) {
    let w = world(&t).await;
    let id = create_entry(&t, &w).await;
    let path = format!("/api/v1/market-entries/{id}");
    for s in [&w.agency, &w.regulator_approver, &w.operator_approver] {
        decide(&t, &path, s, "approve", None).await.expect(200);
    }
    let v = t
        .get(&path, Auth::Cookie(&w.participant))
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "under_review");
    assert_eq!(v["admitted"], false);
    let version = v["undertaking_version"].as_str().unwrap().to_owned();
    let e = sign(&t, &w, &id, &version)
        .await
        .error(409, "market_entry.not_approved");
    assert!(e["message"].as_str().unwrap().contains("（S-3.3.2a）"));
    let v = t
        .get(&path, Auth::Cookie(&w.participant))
        .await
        .expect(200)
        .json();
    assert_eq!(v["admitted"], false);
    assert!(v["undertaking"].is_null());
    assert!(t.audit_of("market_entry.admitted").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn reviewer_of_the_applicant_organisation_is_refused(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    let path = format!("/api/v1/data-demands/{id}");
    co_sign(&t, &w, &id).await;
    let before = t.audit_of("authz.denied").await.len();
    decide(&t, &path, &w.operator_reviewer, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &path, &w.operator_officer, "approve", None)
        .await
        .error(403, "forbidden");
    assert_eq!(t.audit_of("authz.denied").await.len(), before + 2);
    assert!(t.audit_of("review.decided").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn party_not_named_cannot_decide(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    let path = format!("/api/v1/data-demands/{id}");
    co_sign(&t, &w, &id).await;
    // A data source unit that provides nothing here: the policy denies.
    decide(&t, &path, &w.stranger_source, "approve", None)
        .await
        .error(403, "forbidden");
    // The co-signing regulator is no reviewing party either.
    decide(&t, &path, &w.regulator_approver, "approve", None)
        .await
        .error(403, "forbidden");
    // The data bureau is no party of a market entry: its approvers may
    // review workflows in general, the joint review refuses (second line).
    let entry = create_entry(&t, &w).await;
    let r = decide(
        &t,
        &format!("/api/v1/market-entries/{entry}"),
        &w.bureau,
        "approve",
        None,
    )
    .await;
    r.error(403, "forbidden");
    let denied = t.audit_of("authz.denied").await;
    assert!(
        denied
            .iter()
            .any(|d| d.payload["details"]["rule"] == "review.not_a_party"),
        "the domain refusal is audited"
    );
    assert!(t.audit_of("review.decided").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn rejection_without_reason_is_invalid(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    let path = format!("/api/v1/data-demands/{id}");
    co_sign(&t, &w, &id).await;
    for reason in [None, Some(""), Some("   ")] {
        let e = decide(&t, &path, &w.agency, "reject", reason)
            .await
            .error(422, "validation_failed");
        assert_eq!(e["fields"][0]["field"], "reason");
        assert_eq!(e["fields"][0]["code"], "review.reason_required");
        assert!(
            e["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("（S-4b）")
        );
    }
    decide(&t, &path, &w.agency, "maybe", None)
        .await
        .error(422, "validation_failed");
    let v = t
        .get(&path, Auth::Cookie(&w.agency))
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "co_signed");
    // Invalid demands are refused with field errors too.
    let r = t
        .post(
            "/api/v1/data-demands",
            Auth::Cookie(&w.operator_officer),
            &json!({
                "scenario": "", "purpose": "x", "sector": "transport",
                "valid_from": "2026-05-01", "valid_until": "2026-04-01",
                "datasets": [],
            }),
        )
        .await;
    let e = r.error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"scenario")
            && fields.contains(&"valid_until")
            && fields.contains(&"datasets"),
        "{e}"
    );
    t.assert_audit_log_verifies().await;
}

async fn concurrent_decisions_of_one_party_have_one_winner(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    let path = format!("/api/v1/data-demands/{id}");
    co_sign(&t, &w, &id).await;
    // Two users of the same data source unit decide at once, one approving
    // and one rejecting.
    let (ta, tb) = (t.clone(), t.clone());
    let (pa, pb) = (path.clone(), path.clone());
    let (sa, sb) = (w.source_a.clone(), w.source_a_second.clone());
    let a = tokio::spawn(async move { decide(&ta, &pa, &sa, "approve", None).await });
    let b = tokio::spawn(async move {
        decide(&tb, &pb, &sb, "reject", Some("字段超出必要范围")).await
    });
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let (won, lost) = if a.status.is_success() {
        (a, b)
    } else {
        (b, a)
    };
    won.expect(200);
    assert_eq!(lost.status.as_u16(), 409, "{}", lost.text());
    let code = lost.json()["code"].as_str().unwrap().to_owned();
    // The loser either raced the same party's decision (duplicate/conflict)
    // or arrived after the winner's rejection had already ended the review.
    assert!(
        code == "duplicate" || code == "conflict" || code == "review.invalid_transition",
        "{code}"
    );

    let v = t
        .get(&path, Auth::Cookie(&w.agency))
        .await
        .expect(200)
        .json();
    let party = v["review"]["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["org_id"] == w.source_a_org.as_str())
        .unwrap()
        .clone();
    assert!(party["decision"].is_object());
    assert_eq!(t.audit_of("review.decided").await.len(), 1);
    let status = v["review"]["status"].as_str().unwrap();
    assert!(status == "under_review" || status == "rejected", "{status}");
    t.assert_audit_log_verifies().await;
}

/// Posts a decision form of the console page.
async fn console_decide(t: &TestApp, s: &Session, id: &str, verdict: &str, reason: &str) -> String {
    let body = format!(
        "csrf={}&verdict={verdict}&reason={}",
        s.csrf,
        utf8_percent(reason)
    );
    t.send(
        axum::http::Method::POST,
        &format!("/console/reviews/data-demands/{id}/decision"),
        Auth::CookieNoCsrf(s),
        Some(("application/x-www-form-urlencoded", body.into_bytes())),
    )
    .await
    .expect(200)
    .text()
}

/// Percent-encodes every byte outside the unreserved set.
fn utf8_percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn parties_decide_on_the_console_with_errors_kept_and_conflicts_shown(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    let page = |s: Session| {
        let t = &t;
        async move {
            t.get("/console/reviews", Auth::CookieNoCsrf(&s))
                .await
                .expect(200)
                .text()
        }
    };
    let form = format!("/console/reviews/data-demands/{id}/decision");
    // Before the co-signature nobody reviews; the parties are named, never by id.
    let html = page(w.agency.clone()).await;
    assert!(
        html.contains("数据需求：公交客流分析") && html.contains("测试县公安局"),
        "{html}"
    );
    assert!(!html.contains(&form), "not open before the co-signature");
    assert!(!html.contains(&w.source_a_org), "no raw organisation id");
    co_sign(&t, &w, &id).await;
    assert!(page(w.agency.clone()).await.contains(&form));
    // The applicant and a stranger get no form.
    assert!(!page(w.operator_approver.clone()).await.contains(&form));
    assert!(!page(w.stranger_source.clone()).await.contains(&form));

    // A rejection without a reason: named next to the field, choice kept.
    let html = console_decide(&t, &w.source_a, &id, "reject", "").await;
    assert!(html.contains("reason-error"), "{html}");
    assert!(
        html.contains(r#"<option value="reject" selected>"#),
        "{html}"
    );
    let v = t
        .get(
            &format!("/api/v1/data-demands/{id}"),
            Auth::Cookie(&w.agency),
        )
        .await
        .json();
    assert!(
        v["review"]["parties"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["decision"].is_null()),
        "nothing was decided: {v}"
    );
    // An approval goes through and shows the party's verdict.
    let html = console_decide(&t, &w.source_a, &id, "approve", "同意按列提供").await;
    assert!(html.contains("已提交审核意见，当前状态：审核中"), "{html}");
    assert!(html.contains("同意按列提供"));
    // A colleague of the same organisation who still had the form open is
    // told someone decided first, and sees the current state.
    let html = console_decide(&t, &w.source_a_second, &id, "reject", "字段过多").await;
    assert!(html.contains("以下为当前状态"), "{html}");
    assert!(html.contains("同意按列提供"));
    assert!(html.contains("字段过多"), "what was typed is kept");
    // A forged form token changes nothing.
    let forged = t
        .send(
            axum::http::Method::POST,
            &form,
            Auth::CookieNoCsrf(&w.agency),
            Some((
                "application/x-www-form-urlencoded",
                b"csrf=forged&verdict=approve&reason=".to_vec(),
            )),
        )
        .await
        .text();
    assert!(forged.contains("表单已过期"));
    assert!(page(w.agency.clone()).await.contains(&form));
    t.assert_audit_log_verifies().await;
}

/// The value of `name=` cookie set by `r`.
fn set_cookie(r: &Resp, name: &str) -> String {
    r.headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

/// The `value` of the input named `name` in `html`, unescaped.
fn input_value(html: &str, name: &str) -> String {
    let at = html.find(&format!(r#"name="{name}" value=""#)).unwrap();
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()]
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn a_decision_posted_after_the_session_expired_is_resumed_after_login(t: TestApp) {
    let w = world(&t).await;
    let id = create_demand(&t, &w).await;
    co_sign(&t, &w, &id).await;
    let admin = t.login(&t.admin).await;
    let reviewer = t
        .create_user(&admin, &t.admin.org_id, "agency.reviewer2", &["reviewer"])
        .await;
    let action = format!("/console/reviews/data-demands/{id}/decision");
    // The session is gone when the form arrives: the login page keeps it.
    let r = t
        .send(
            axum::http::Method::POST,
            &action,
            Auth::None,
            Some((
                "application/x-www-form-urlencoded",
                format!(
                    "csrf=old&verdict=reject&reason={}",
                    utf8_percent("材料不全")
                )
                .into_bytes(),
            )),
        )
        .await;
    let html = r.expect(200).text();
    assert!(html.contains("您填写的内容已保留"), "{html}");
    let resume = input_value(&html, "resume");
    assert!(
        resume.contains("材料不全") && !resume.contains("old"),
        "{resume}"
    );
    let login_csrf = input_value(&html, "csrf");
    assert_eq!(set_cookie(&r, "gongshu_login_csrf"), login_csrf);
    let login = |resume: String| {
        let t = &t;
        let reviewer = &reviewer;
        let login_csrf = login_csrf.clone();
        async move {
            let body = format!(
                "username={}&password={}&totp={}&csrf={login_csrf}&resume={}",
                reviewer.username,
                utf8_percent(&reviewer.password),
                t.fresh_code(reviewer),
                utf8_percent(&resume)
            );
            t.send(
                axum::http::Method::POST,
                "/login",
                Auth::RawCookie(&format!("gongshu_login_csrf={login_csrf}")),
                Some(("application/x-www-form-urlencoded", body.into_bytes())),
            )
            .await
        }
    };
    // A resume naming another place is ignored: plain login.
    let elsewhere = resume.replace("/console/reviews", "//evil.example");
    let r = login(elsewhere).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    // After logging in, the entries come back for the same action.
    let r = login(resume).await;
    let html = r.expect(200).text();
    assert!(
        html.contains("继续提交") && html.contains("材料不全"),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"action="{}""#, action.replace('/', "&#x2f;")))
            || html.contains(&format!(r#"action="{action}""#)),
        "{html}"
    );
    let session = set_cookie(&r, "gongshu_session");
    let csrf = set_cookie(&r, "gongshu_csrf");
    assert_eq!(input_value(&html, "csrf"), csrf);
    // Submitting them decides as the user meant.
    let body = format!(
        "csrf={csrf}&verdict=reject&reason={}",
        utf8_percent("材料不全")
    );
    let html = t
        .send(
            axum::http::Method::POST,
            &action,
            Auth::RawCookie(&format!("gongshu_session={session}")),
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )
        .await
        .expect(200)
        .text();
    assert!(html.contains("已提交审核意见，当前状态：已驳回"), "{html}");
    // A console page asked for without a session: the login form, then back.
    let r = t.get("/console/reviews", Auth::None).await;
    let html = r.expect(200).text();
    assert!(html.contains("登录后回到刚才的页面"), "{html}");
    let back = input_value(&html, "resume");
    let r = login(back).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    assert_eq!(r.headers["location"], "/console/reviews");
    t.assert_audit_log_verifies().await;
}
