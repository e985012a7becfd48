//! 数据使用申请与外部数据导入: data-use applications of admitted participants
//! (S-2.5b, S-3.3.2a, S-2.1) and external data imports (S-6.2-3,
//! S-3.3.4-3), end to end with a real login per party.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::support::{Auth, Resp, Session, TestApp};

crate::on_both_backends!(
    sandbox_use_application_is_approved_by_all_parties_and_grants_data,
    product_use_application_creates_subscriptions_on_approval,
    non_admitted_participant_is_refused,
    use_application_with_one_approval_missing_grants_nothing,
    data_source_unit_not_affected_cannot_decide,
    participants_own_reviewer_cannot_decide,
    concurrent_decisions_on_a_use_application_have_one_winner,
    invalid_use_application_is_refused_with_field_errors,
    data_import_is_approved_by_the_agency_and_listed_as_approved,
    personal_information_without_reference_is_refused,
    import_approval_by_the_applicants_org_is_refused,
    unapproved_import_is_not_listed_as_approved,
);

const DATASET_A: &str = "0190f3d2-8a4e-7c11-9b7e-5f0d2a3c4c01";
const DATASET_B: &str = "0190f3d2-8a4e-7c11-9b7e-5f0d2a3c4c02";
const APPS: &str = "/api/v1/use-applications";
const IMPORTS: &str = "/api/v1/data-imports";

struct World {
    agency: Session,
    bureau: Session,
    operator_officer: Session,
    operator: Session,
    source_a: Session,
    source_a_second: Session,
    source_b: Session,
    stranger_source: Session,
    participant: Session,
    participant_reviewer: Session,
    newcomer: Session,
    participant_org: String,
    source_a_org: String,
    source_b_org: String,
}

async fn decide(t: &TestApp, path: &str, s: &Session, verdict: &str, reason: Option<&str>) -> Resp {
    t.post(
        &format!("{path}/decisions"),
        Auth::Cookie(s),
        &json!({ "verdict": verdict, "reason": reason }),
    )
    .await
}

/// The county's parties; the participant is admitted (four approvals and
/// the signed undertaking), the newcomer's entry is approved but unsigned.
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
    let newcomer_org = t
        .create_org(&admin, "新设数据服务有限公司", "participant")
        .await;
    let s = |org: &str, name: &'static str, role: &'static str| {
        let (admin, org) = (&admin, org.to_owned());
        async move { t.user_session(admin, &org, name, &[role]).await }
    };
    let w = World {
        agency: s(&agency_org, "agency.approver", "approver").await,
        bureau: s(&bureau_org, "bureau.approver", "approver").await,
        operator_officer: s(&operator_org, "op.officer", "case_officer").await,
        operator: s(&operator_org, "op.approver", "approver").await,
        source_a: s(&source_a_org, "src.a.approver", "approver").await,
        source_a_second: s(&source_a_org, "src.a.reviewer", "reviewer").await,
        source_b: s(&source_b_org, "src.b.approver", "approver").await,
        stranger_source: s(&stranger_org, "src.x.approver", "approver").await,
        participant: s(&participant_org, "pt.officer", "case_officer").await,
        participant_reviewer: s(&participant_org, "pt.reviewer", "reviewer").await,
        newcomer: s(&newcomer_org, "nc.officer", "case_officer").await,
        participant_org,
        source_a_org,
        source_b_org,
    };
    let regulator = s(&regulator_org, "reg.approver", "approver").await;
    for (applicant, sign) in [(&w.participant, true), (&w.newcomer, false)] {
        let entry = t
            .post(
                "/api/v1/market-entries",
                Auth::Cookie(applicant),
                &json!({
                    "sector": "transport", "qualification": "营业执照、资质证书",
                    "compliance": "数据合规制度", "technical_security": "等保三级测评报告",
                    "data_source_org": w.source_a_org,
                }),
            )
            .await;
        entry.expect(201);
        let path = format!(
            "/api/v1/market-entries/{}",
            entry.json()["id"].as_str().unwrap()
        );
        for p in [&w.agency, &regulator, &w.operator, &w.source_a] {
            decide(t, &path, p, "approve", None).await.expect(200);
        }
        if sign {
            let v = t.get(&path, Auth::Cookie(applicant)).await.json();
            let version = v["undertaking_version"].as_str().unwrap().to_owned();
            t.post(
                &format!("{path}/undertaking"),
                Auth::Cookie(applicant),
                &json!({ "version": version }),
            )
            .await
            .expect(200);
        }
    }
    w
}

fn sandbox_body(w: &World) -> Value {
    json!({
        "kind": "sandbox_access",
        "scenario": "公交出行信用评估",
        "purpose": "在沙箱内融合客流与站点数据，开发出行信用模型",
        "valid_from": "2026-04-01",
        "valid_until": "2027-03-31",
        "datasets": [
            { "dataset_id": DATASET_A, "provider_org": w.source_a_org, "columns": ["station_id", "boardings"] },
            { "dataset_id": DATASET_B, "provider_org": w.source_b_org, "columns": ["route_id"] },
        ],
    })
}

async fn create_sandbox(t: &TestApp, w: &World) -> String {
    let r = t
        .post(APPS, Auth::Cookie(&w.participant), &sandbox_body(w))
        .await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["review"]["status"], "submitted");
    assert_eq!(v["review"]["parties"].as_array().unwrap().len(), 4);
    v["id"].as_str().unwrap().to_owned()
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

async fn sandbox_use_application_is_approved_by_all_parties_and_grants_data(t: TestApp) {
    let w = world(&t).await;
    let id = create_sandbox(&t, &w).await;
    let path = format!("{APPS}/{id}");
    for s in [&w.operator, &w.agency, &w.source_a] {
        let v = decide(&t, &path, s, "approve", None)
            .await
            .expect(200)
            .json();
        assert_eq!(v["review"]["status"], "under_review");
        assert!(v["grants"].as_array().unwrap().is_empty());
    }
    let v = decide(&t, &path, &w.source_b, "approve", Some("同意"))
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "approved");
    assert_eq!(v["appealable"], false);
    assert_eq!(v["grants"].as_array().unwrap().len(), 2);
    let grants = grants_of(&t, &w.participant, &w.participant_org).await;
    assert_eq!(grants.len(), 2);
    let a = grants
        .iter()
        .find(|g| g["dataset_id"] == DATASET_A)
        .unwrap();
    assert_eq!(a["columns"], json!(["station_id", "boardings"]));
    assert_eq!(a["source_demand"], id.as_str());
    assert_eq!(a["grantee_org"], w.participant_org.as_str());
    decide(&t, &path, &w.source_a_second, "approve", None)
        .await
        .error(409, "use_application.invalid_transition");
    let listed = t
        .get(APPS, Auth::Cookie(&w.bureau))
        .await
        .expect(200)
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(t.audit_of("use_application.submitted").await.len(), 1);
    assert_eq!(t.audit_of("use_application.decided").await.len(), 4);
    assert_eq!(t.audit_of("use_application.approved").await.len(), 1);
    assert_eq!(t.audit_of("grant.created").await.len(), 2);
    t.assert_audit_log_verifies().await;
}

async fn product_use_application_creates_subscriptions_on_approval(t: TestApp) {
    let w = world(&t).await;
    let r = t
        .post(
            APPS,
            Auth::Cookie(&w.participant),
            &json!({
                "kind": "product_subscription", "scenario": "物流园区选址",
                "purpose": "调用客流指数产品辅助选址", "valid_from": "2026-04-01",
                "valid_until": "2026-12-31", "products": ["PRD-客流指数", "PRD-站点热度"],
            }),
        )
        .await;
    r.expect(201);
    let v = r.json();
    assert_eq!(
        v["review"]["parties"].as_array().unwrap().len(),
        2,
        "operator and agency"
    );
    let path = format!("{APPS}/{}", v["id"].as_str().unwrap());
    // A data source unit is no party of a product use.
    decide(&t, &path, &w.source_a, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &path, &w.operator, "approve", None)
        .await
        .expect(200);
    let v = decide(&t, &path, &w.agency, "approve", None)
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "approved");
    let subs = v["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert!(
        subs.iter()
            .all(|s| s["subscriber_org"] == w.participant_org.as_str())
    );
    assert!(v["grants"].as_array().unwrap().is_empty());
    assert!(
        grants_of(&t, &w.participant, &w.participant_org)
            .await
            .is_empty()
    );
    assert_eq!(t.audit_of("subscription.created").await.len(), 2);
    t.assert_audit_log_verifies().await;
}

async fn non_admitted_participant_is_refused(t: TestApp) {
    let w = world(&t).await;
    // Entry approved by all four but the undertaking not signed.
    let e = t
        .post(APPS, Auth::Cookie(&w.newcomer), &sandbox_body(&w))
        .await
        .error(409, "use_application.not_admitted");
    assert!(
        e["message"].as_str().unwrap().contains("（S-3.3.2a）"),
        "{e}"
    );
    // Not a participant at all: the operator cannot file a use application.
    t.post(APPS, Auth::Cookie(&w.operator_officer), &sandbox_body(&w))
        .await
        .error(403, "forbidden");
    assert!(t.audit_of("use_application.submitted").await.is_empty());
    assert!(
        t.get(APPS, Auth::Cookie(&w.agency))
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    t.assert_audit_log_verifies().await;
}

async fn use_application_with_one_approval_missing_grants_nothing(t: TestApp) {
    let w = world(&t).await;
    let id = create_sandbox(&t, &w).await;
    let path = format!("{APPS}/{id}");
    for s in [&w.operator, &w.agency, &w.source_a] {
        decide(&t, &path, s, "approve", None).await.expect(200);
    }
    let v = t
        .get(&path, Auth::Cookie(&w.participant))
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "under_review");
    assert!(v["grants"].as_array().unwrap().is_empty());
    assert!(
        grants_of(&t, &w.agency, &w.participant_org)
            .await
            .is_empty()
    );
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let open = gongshu_app::use_applications::open_obligations(&t.app, today)
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].responsible_org, w.source_b_org);
    assert_eq!(open[0].rule, "S-2.5b");
    assert!(open[0].due_on > open[0].started_on);
    // The last party rejects: rejected with its reason, appealable, no grant.
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
    assert_eq!(v["appealable"], true);
    assert!(
        grants_of(&t, &w.agency, &w.participant_org)
            .await
            .is_empty()
    );
    let rejected = t.audit_of("use_application.rejected").await;
    assert_eq!(rejected.len(), 1);
    assert!(t.audit_of("grant.created").await.is_empty());
    assert!(
        gongshu_app::use_applications::open_obligations(&t.app, today)
            .await
            .unwrap()
            .is_empty()
    );
    t.assert_audit_log_verifies().await;
}

async fn data_source_unit_not_affected_cannot_decide(t: TestApp) {
    let w = world(&t).await;
    let id = create_sandbox(&t, &w).await;
    let path = format!("{APPS}/{id}");
    decide(&t, &path, &w.stranger_source, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &path, &w.stranger_source, "reject", Some("不同意"))
        .await
        .error(403, "forbidden");
    let v = t
        .get(&path, Auth::Cookie(&w.agency))
        .await
        .expect(200)
        .json();
    assert_eq!(v["review"]["status"], "submitted");
    assert!(t.audit_of("use_application.decided").await.is_empty());
    assert!(!t.audit_of("authz.denied").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn participants_own_reviewer_cannot_decide(t: TestApp) {
    let w = world(&t).await;
    let id = create_sandbox(&t, &w).await;
    let path = format!("{APPS}/{id}");
    decide(&t, &path, &w.participant_reviewer, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &path, &w.participant, "approve", None)
        .await
        .error(403, "forbidden");
    assert!(t.audit_of("use_application.decided").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn concurrent_decisions_on_a_use_application_have_one_winner(t: TestApp) {
    let w = world(&t).await;
    let id = create_sandbox(&t, &w).await;
    let path = format!("{APPS}/{id}");
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
    assert!(
        [
            "duplicate",
            "conflict",
            "use_application.invalid_transition"
        ]
        .contains(&code.as_str()),
        "{code}"
    );
    assert_eq!(t.audit_of("use_application.decided").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn invalid_use_application_is_refused_with_field_errors(t: TestApp) {
    let w = world(&t).await;
    let e = t
        .post(
            APPS,
            Auth::Cookie(&w.participant),
            &json!({
                "kind": "sandbox_access", "scenario": "", "purpose": "x",
                "valid_from": "2026-05-01", "valid_until": "2026-04-01", "datasets": [],
            }),
        )
        .await
        .error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["scenario", "valid_until", "datasets"] {
        assert!(fields.contains(&f), "{e}");
    }
    let mut body = sandbox_body(&w);
    body["datasets"][0]["provider_org"] = json!(w.participant_org);
    t.post(APPS, Auth::Cookie(&w.participant), &body)
        .await
        .error(422, "validation_failed");
    t.post(APPS, Auth::Cookie(&w.participant), &json!({ "kind": "product_subscription", "scenario": "s", "purpose": "p", "valid_from": "2026-04-01", "valid_until": "2026-05-01" }))
        .await
        .error(422, "validation_failed");
    assert!(t.audit_of("use_application.submitted").await.is_empty());
    t.assert_audit_log_verifies().await;
}

fn import_body(personal: bool, reference: Option<&str>) -> Value {
    json!({
        "description": "合作银行提供的小微企业授信数据",
        "legal_basis": if personal { "consent" } else { "contract" },
        "legal_basis_reference": reference,
        "data_categories": ["企业授信", "还款记录"],
        "personal_information": personal,
        "sensitivity": "important",
        "fuse_with": [DATASET_A],
    })
}

async fn create_import(t: &TestApp, s: &Session, body: &Value) -> String {
    let r = t.post(IMPORTS, Auth::Cookie(s), body).await;
    r.expect(201);
    assert_eq!(r.json()["status"], "submitted");
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn approved(t: &TestApp, s: &Session) -> Vec<Value> {
    t.get(&format!("{IMPORTS}/approved"), Auth::Cookie(s))
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .clone()
}

async fn data_import_is_approved_by_the_agency_and_listed_as_approved(t: TestApp) {
    let w = world(&t).await;
    let id = create_import(
        &t,
        &w.operator_officer,
        &import_body(true, Some("授权书-2026-018")),
    )
    .await;
    let path = format!("{IMPORTS}/{id}");
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let open = gongshu_app::use_applications::open_obligations(&t.app, today)
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].responsible_org, t.admin.org_id);
    // The data bureau is not the deciding agency.
    decide(&t, &path, &w.bureau, "approve", None)
        .await
        .error(403, "forbidden");
    let v = decide(&t, &path, &w.agency, "approve", Some("依据充分"))
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "approved");
    let pending = &v["pending_import"];
    assert_eq!(pending["owner_org"], v["applicant_org"]);
    assert_eq!(pending["sensitivity"], "important");
    assert_eq!(pending["personal_information"], true);
    let listed = approved(&t, &w.agency).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["import_id"], id.as_str());
    assert_eq!(
        approved(&t, &w.operator_officer).await.len(),
        1,
        "the owner sees its own"
    );
    assert!(approved(&t, &w.participant).await.is_empty());
    decide(&t, &path, &w.agency, "reject", Some("晚到"))
        .await
        .error(409, "data_import.invalid_transition");
    // An admitted participant may apply too; a non-admitted one may not.
    create_import(&t, &w.participant, &import_body(false, None)).await;
    let e = t
        .post(
            IMPORTS,
            Auth::Cookie(&w.newcomer),
            &import_body(false, None),
        )
        .await
        .error(409, "data_import.not_admitted");
    assert!(e["message"].as_str().unwrap().contains("（S-3.3.2a）"));
    t.post(
        IMPORTS,
        Auth::Cookie(&w.source_a),
        &import_body(false, None),
    )
    .await
    .error(403, "forbidden");
    assert!(open_obligations_now(&t, today).await == 1);
    assert_eq!(t.audit_of("data_import.submitted").await.len(), 2);
    assert_eq!(t.audit_of("data_import.approved").await.len(), 1);
    assert_eq!(t.audit_of("pending_import.created").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn open_obligations_now(t: &TestApp, today: NaiveDate) -> usize {
    gongshu_app::use_applications::open_obligations(&t.app, today)
        .await
        .unwrap()
        .len()
}

async fn personal_information_without_reference_is_refused(t: TestApp) {
    let w = world(&t).await;
    for reference in [None, Some("  ")] {
        let e = t
            .post(
                IMPORTS,
                Auth::Cookie(&w.operator_officer),
                &import_body(true, reference),
            )
            .await
            .error(422, "validation_failed");
        let f = e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == "legal_basis_reference")
            .unwrap()
            .clone();
        assert_eq!(f["code"], "data_import.reference_required");
        assert!(
            f["message"].as_str().unwrap().contains("（S-6.2-3）"),
            "{f}"
        );
    }
    let e = t
        .post(
            IMPORTS,
            Auth::Cookie(&w.operator_officer),
            &json!({
                "description": "", "legal_basis": "rumour", "data_categories": [],
                "personal_information": false, "sensitivity": "secret", "fuse_with": ["x"],
            }),
        )
        .await
        .error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in [
        "description",
        "legal_basis",
        "data_categories",
        "sensitivity",
        "fuse_with[0]",
    ] {
        assert!(fields.contains(&f), "{f}: {e}");
    }
    assert!(t.audit_of("data_import.submitted").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn import_approval_by_the_applicants_org_is_refused(t: TestApp) {
    let w = world(&t).await;
    // The implementing agency itself applies (refused: not operator or
    // participant); the operator applies and its own approver tries.
    let id = create_import(&t, &w.operator_officer, &import_body(false, None)).await;
    let path = format!("{IMPORTS}/{id}");
    decide(&t, &path, &w.operator, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &path, &w.operator_officer, "approve", None)
        .await
        .error(403, "forbidden");
    let v = t
        .get(&path, Auth::Cookie(&w.agency))
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "submitted");
    assert!(v["pending_import"].is_null());
    assert!(approved(&t, &w.agency).await.is_empty());
    assert!(t.audit_of("data_import.decided").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn unapproved_import_is_not_listed_as_approved(t: TestApp) {
    let w = world(&t).await;
    let waiting = create_import(&t, &w.operator_officer, &import_body(false, None)).await;
    let rejected = create_import(&t, &w.participant, &import_body(false, None)).await;
    decide(
        &t,
        &format!("{IMPORTS}/{rejected}"),
        &w.agency,
        "reject",
        None,
    )
    .await
    .error(422, "validation_failed");
    let v = decide(
        &t,
        &format!("{IMPORTS}/{rejected}"),
        &w.agency,
        "reject",
        Some("合法来源证明不足"),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["reason"], "合法来源证明不足");
    assert!(approved(&t, &w.agency).await.is_empty());
    let all = t
        .get(IMPORTS, Auth::Cookie(&w.agency))
        .await
        .expect(200)
        .json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let mine = t
        .get(IMPORTS, Auth::Cookie(&w.participant))
        .await
        .expect(200)
        .json();
    assert_eq!(
        mine.as_array().unwrap().len(),
        1,
        "each applicant sees its own"
    );
    t.get(
        &format!("{IMPORTS}/{waiting}"),
        Auth::Cookie(&w.participant),
    )
    .await
    .error(404, "not_found");
    assert_eq!(t.audit_of("data_import.rejected").await.len(), 1);
    t.assert_audit_log_verifies().await;
}
