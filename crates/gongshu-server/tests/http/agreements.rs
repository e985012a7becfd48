//! The authorization agreement (授权运营协议) over HTTP, with real logins:
//! draft → opinions → 三重一大 decision → signing → filing, renewal and
//! change, and the rules that refuse: the 3-year term (S-2.2a), one
//! agreement in force (S-2.1), the renewal window (S-2.2b), no decision by
//! the author (S-2.4, separation of duties), the filing deadline counted in
//! working days (S-3.3.3b).
//!
//! The test clock starts on 2026-03-02 (Monday), 09:00 in Beijing.

use chrono::{NaiveDate, TimeDelta};
use serde_json::{Value, json};

use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(
    agreement_happy_path_with_change_and_history,
    term_of_three_years_and_a_day_is_refused,
    second_active_agreement_is_refused,
    a_lapsed_agreement_no_longer_blocks_a_new_one,
    renewal_four_months_before_expiry_refused_two_months_accepted,
    drafter_cannot_decide_own_draft,
    operator_user_cannot_draft,
    filing_deadline_counts_working_days_across_the_2026_spring_festival,
    concurrent_decisions_have_one_winner,
    a_change_in_force_keeps_the_signed_revision_until_the_new_one_is_signed,
    the_term_cannot_change_after_signing,
    expiry_after_the_term_by_the_agency_and_by_the_daily_job,
);

/// The parties of an agreement, logged in.
struct Parties {
    /// Implementing agency case officer (drafts, records, signs, files).
    drafter: Session,
    /// Implementing agency approvers.
    approver: Session,
    approver2: Session,
    /// Operator case officer.
    operator_user: Session,
    operator_org: String,
    /// Sector regulator whose opinion is collected.
    regulator_org: String,
    agency_org: String,
}

async fn parties(t: &TestApp) -> Parties {
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
    let operator_user = t
        .create_user(&admin, &operator_org, "op.officer", &["case_officer"])
        .await;
    Parties {
        drafter: t.login(&drafter).await,
        approver: t.login(&approver).await,
        approver2: t.login(&approver2).await,
        operator_user: t.login(&operator_user).await,
        operator_org,
        regulator_org,
        agency_org: agency,
    }
}

fn clauses(start: &str, end: &str) -> Value {
    json!({
        "data_scope": {
            "catalog": "测试县公共数据资源目录（2026 版），含供水、燃气、公交数据",
            "dataset_ids": ["018f3c1e-0000-7000-8000-000000000001", "018f3c1e-0000-7000-8000-000000000002"],
        },
        "term": { "start": start, "end": end },
        "products_and_services": "产品和服务清单见附件一；技术标准、安全审核与业务规范性审核要求见附件二",
        "technical_platform": "依托市公共数据授权运营平台",
        "asset_ownership": "平台软硬件归县实施机构所有；数据产品权属按附件三约定",
        "disclosure": "运营机构按季度披露产品和服务清单及公共数据使用情况，不得直接或间接参与再开发",
        "cost_revenue_and_distribution": "单独建账、独立核算；收益按贡献分配",
        "security_and_emergency": "落实数据安全、个人信息保护、风险监测和应急处置责任",
        "evaluation_renewal_exit": "年度运营成效评价，期满前 3 个月内申请续约，评价不合格退出",
        "breach_liability": "违约方承担相应责任",
        "dispute_resolution": "协商不成的，由实施机构协调，必要时提起诉讼",
        "change_and_termination": "重大变更须重新履行三重一大决策程序",
        "other": "本协议一式四份",
    })
}

async fn draft(t: &TestApp, p: &Parties, start: &str, end: &str) -> String {
    let r = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&p.drafter),
            &json!({ "operator_org_id": p.operator_org, "clauses": clauses(start, end) }),
        )
        .await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["status"], "draft");
    v["id"].as_str().unwrap().to_owned()
}

async fn opinion(t: &TestApp, p: &Parties, id: &str) -> Value {
    let r = t
        .post(
            &format!("/api/v1/agreements/{id}/opinions"),
            Auth::Cookie(&p.drafter),
            &json!({ "from_org_id": p.regulator_org, "received_on": "2026-01-20", "opinion": "同意，建议细化交通数据脱敏要求" }),
        )
        .await;
    r.expect(200);
    r.json()
}

async fn decide(t: &TestApp, who: &Session, id: &str) -> crate::support::Resp {
    t.post(
        &format!("/api/v1/agreements/{id}/decide"),
        Auth::Cookie(who),
        &json!({ "decided_on": "2026-02-10", "meeting_ref": "县数据局党组会议纪要〔2026〕3号" }),
    )
    .await
}

async fn sign(t: &TestApp, p: &Parties, id: &str, on: &str) -> crate::support::Resp {
    t.post(
        &format!("/api/v1/agreements/{id}/sign"),
        Auth::Cookie(&p.drafter),
        &json!({ "signed_on": on }),
    )
    .await
}

/// Draft, opinion, decision and signing on `signed_on`; returns the id.
async fn signed(t: &TestApp, p: &Parties, start: &str, end: &str, signed_on: &str) -> String {
    let id = draft(t, p, start, end).await;
    opinion(t, p, &id).await;
    decide(t, &p.approver, &id).await.expect(200);
    sign(t, p, &id, signed_on).await.expect(200);
    id
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn agreement_happy_path_with_change_and_history(t: TestApp) {
    let p = parties(&t).await;
    let id = draft(&t, &p, "2026-02-01", "2029-01-31").await;

    let v = opinion(&t, &p, &id).await;
    assert_eq!(v["status"], "opinions_collected");
    assert_eq!(v["opinions"].as_array().unwrap().len(), 1);

    let r = decide(&t, &p.approver, &id).await;
    r.expect(200);
    assert_eq!(r.json()["status"], "decided");
    assert_eq!(r.json()["decided_by"], p.approver.user_id);

    let r = sign(&t, &p, &id, "2026-02-13").await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["status"], "signed");
    assert_eq!(v["status_label"], "已签订");

    let r = t
        .post(
            &format!("/api/v1/agreements/{id}/file"),
            Auth::Cookie(&p.drafter),
            &json!({ "filed_on": "2026-03-02", "receipt_no": "市数据局备〔2026〕12号" }),
        )
        .await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["status"], "filed");
    assert_eq!(v["filed_late"], false);
    assert_eq!(v["filing_receipt"], "市数据局备〔2026〕12号");

    // Everyone logged in may read it (S-7.2-1), the operator too.
    let r = t
        .get("/api/v1/agreements", Auth::Cookie(&p.operator_user))
        .await;
    r.expect(200);
    assert_eq!(r.json().as_array().unwrap().len(), 1);

    // A major change (revenue distribution, S-2.4) of the filed agreement:
    // revision 1 stays in force, revision 2 is pending approval.
    let mut new = clauses("2026-02-01", "2029-01-31");
    new["cost_revenue_and_distribution"] = json!("收益分配比例调整为政府 40%、运营机构 60%");
    let r = t
        .post(
            &format!("/api/v1/agreements/{id}/change"),
            Auth::Cookie(&p.drafter),
            &json!({ "clauses": new }),
        )
        .await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["status"], "filed");
    assert_eq!(v["revision"], 1);
    assert_eq!(v["signed_on"], "2026-02-13");
    assert_eq!(v["pending_revision"]["revision"], 2);
    assert_eq!(v["pending_revision"]["status"], "draft");
    assert!(v["revisions"].as_array().unwrap().is_empty());

    // The revision is approved again: the opinion of revision 1 does not count.
    decide(&t, &p.approver, &id)
        .await
        .error(409, "agreement.opinions_missing");

    for action in [
        "agreement.drafted",
        "agreement.opinion_recorded",
        "agreement.decided",
        "agreement.signed",
        "agreement.filed",
        "agreement.changed",
    ] {
        let recs = t.audit_of(action).await;
        assert_eq!(recs.len(), 1, "{action}");
        assert_eq!(recs[0].payload["target_id"], id.as_str(), "{action}");
    }
    let changed = &t.audit_of("agreement.changed").await[0];
    assert_eq!(changed.payload["details"]["major"], true);
    assert_eq!(changed.payload["details"]["new_revision"], true);
    t.assert_audit_log_verifies().await;
}

async fn term_of_three_years_and_a_day_is_refused(t: TestApp) {
    let p = parties(&t).await;
    let r = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&p.drafter),
            &json!({ "operator_org_id": p.operator_org, "clauses": clauses("2026-04-01", "2029-04-01") }),
        )
        .await;
    let v = r.error(422, "validation_failed");
    let field = &v["fields"][0];
    assert_eq!(field["code"], "agreement.term_too_long");
    assert_eq!(field["field"], "clauses.term.end");
    assert!(
        field["message"].as_str().unwrap().contains("（S-2.2a）"),
        "{v}"
    );
    // Exactly 3 years is accepted.
    draft(&t, &p, "2026-04-01", "2029-03-31").await;
    // A missing clause is named with its number (S-3.3.3c).
    let mut c = clauses("2026-04-01", "2027-03-31");
    c["dispute_resolution"] = json!("  ");
    let r = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&p.drafter),
            &json!({ "operator_org_id": p.operator_org, "clauses": c }),
        )
        .await;
    let v = r.error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "agreement.clause_missing");
    assert_eq!(v["fields"][0]["field"], "clauses.dispute_resolution");
    assert!(
        v["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("第 11 项条款"),
        "{v}"
    );
    assert_eq!(t.audit_of("agreement.drafted").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn second_active_agreement_is_refused(t: TestApp) {
    let p = parties(&t).await;
    let first = signed(&t, &p, "2026-02-01", "2029-01-31", "2026-02-13").await;
    let second = draft(&t, &p, "2026-03-01", "2027-02-28").await;
    opinion(&t, &p, &second).await;
    decide(&t, &p.approver, &second).await.expect(200);
    let r = sign(&t, &p, &second, "2026-03-02").await;
    let v = r.error(409, "agreement.another_active");
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("（S-2.1）"), "{v}");
    assert!(message.contains(&first), "{v}");
    let r = t
        .get(
            &format!("/api/v1/agreements/{second}"),
            Auth::Cookie(&p.drafter),
        )
        .await;
    assert_eq!(r.json()["status"], "decided");
    assert_eq!(t.audit_of("agreement.signed").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn a_lapsed_agreement_no_longer_blocks_a_new_one(t: TestApp) {
    let p = parties(&t).await;
    // In force until 2026-07-02, never renewed.
    signed(&t, &p, "2025-07-03", "2026-07-02", "2026-02-13").await;
    let early = draft(&t, &p, "2026-07-03", "2027-07-02").await;
    opinion(&t, &p, &early).await;
    decide(&t, &p.approver, &early).await.expect(200);
    // While the first is in force the new one cannot be signed (S-2.1) ...
    sign(&t, &p, &early, "2026-03-02")
        .await
        .error(409, "agreement.another_active");
    // ... once its term has run out it can, even before anyone records the expiry.
    t.advance(TimeDelta::days(140));
    let admin = t.login(&t.admin).await;
    t.post(
        &format!("/api/v1/agreements/{early}/sign"),
        Auth::Cookie(&admin),
        &json!({ "signed_on": "2026-07-20" }),
    )
    .await
    .expect(200);
    t.assert_audit_log_verifies().await;
}

async fn renewal_four_months_before_expiry_refused_two_months_accepted(t: TestApp) {
    let p = parties(&t).await;
    // Ends 2026-07-02: the renewal window opens on 2026-04-03.
    let id = signed(&t, &p, "2025-07-03", "2026-07-02", "2026-02-13").await;
    let path = format!("/api/v1/agreements/{id}/renewal");

    // Today 2026-03-02: four months before the end.
    let r = t
        .post(&path, Auth::Cookie(&p.operator_user), &json!({}))
        .await;
    let v = r.error(409, "agreement.renewal_too_early");
    assert!(v["message"].as_str().unwrap().contains("（S-2.2b）"), "{v}");
    assert!(v["message"].as_str().unwrap().contains("2026-04-03"), "{v}");
    let today = date("2026-03-02");
    let obligations = gongshu_app::agreements::open_obligations(&t.app, today)
        .await
        .unwrap();
    assert!(obligations.iter().all(|o| o.kind != "agreement.renewal"));

    // Two months before the end (2026-05-02): accepted, a new linked draft.
    t.advance(TimeDelta::days(61));
    let later = date("2026-05-02");
    let obligations = gongshu_app::agreements::open_obligations(&t.app, later)
        .await
        .unwrap();
    let renewal = obligations
        .iter()
        .find(|o| o.kind == "agreement.renewal")
        .expect("renewal obligation");
    assert_eq!(renewal.responsible_org, p.operator_org);
    assert_eq!(renewal.due_on, date("2026-07-02"));
    let operator = new_operator_user(&t, &p).await;
    let r = t.post(&path, Auth::Cookie(&operator), &json!({})).await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["status"], "draft");
    assert_eq!(v["renewal_of"], id.as_str());
    assert_eq!(v["term_start"], "2026-07-03");
    assert_eq!(v["created_by"], operator.user_id);
    // One renewal at a time.
    let r = t.post(&path, Auth::Cookie(&operator), &json!({})).await;
    r.error(409, "agreement.renewal_exists");
    let recs = t.audit_of("agreement.renewal_requested").await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].payload["decision"][0], "applicant_submits_workflow");
    t.assert_audit_log_verifies().await;
}

/// A new operator case officer, logged in (after the clock moved, the
/// sessions of `parties` have ended).
async fn new_operator_user(t: &TestApp, p: &Parties) -> Session {
    let admin = t.login(&t.admin).await;
    let c = t
        .create_user(&admin, &p.operator_org, "op.officer2", &["case_officer"])
        .await;
    t.login(&c).await
}

async fn drafter_cannot_decide_own_draft(t: TestApp) {
    let p = parties(&t).await;
    let admin = t.login(&t.admin).await;
    // An approver who also drafts.
    let both = t
        .create_user(
            &admin,
            &p.agency_org,
            "ia.both",
            &["case_officer", "approver"],
        )
        .await;
    let both = t.login(&both).await;
    let r = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&both),
            &json!({ "operator_org_id": p.operator_org, "clauses": clauses("2026-02-01", "2027-01-31") }),
        )
        .await;
    r.expect(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    opinion(&t, &p, &id).await;
    let refusal = decide(&t, &both, &id).await.error(403, "forbidden");
    // The refusal names the policy that refused it.
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("sod_no_self_approval"),
        "{refusal}"
    );
    let denied = t.audit_of("authz.denied").await;
    let last = denied.last().unwrap();
    assert_eq!(last.payload["actor_user"], both.user_id);
    assert!(
        last.payload["decision"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "sod_no_self_approval"),
        "{}",
        last.payload
    );
    // A case officer without the approver role cannot decide either.
    decide(&t, &p.drafter, &id).await.error(403, "forbidden");
    // Another approver can.
    decide(&t, &p.approver, &id).await.expect(200);
    t.assert_audit_log_verifies().await;
}

async fn operator_user_cannot_draft(t: TestApp) {
    let p = parties(&t).await;
    let r = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&p.operator_user),
            &json!({ "operator_org_id": p.operator_org, "clauses": clauses("2026-02-01", "2027-01-31") }),
        )
        .await;
    r.error(403, "forbidden");
    let r = t.get("/api/v1/agreements", Auth::Cookie(&p.drafter)).await;
    r.expect(200);
    assert!(r.json().as_array().unwrap().is_empty());
    assert!(t.audit_of("agreement.drafted").await.is_empty());
    assert_eq!(t.audit_of("authz.denied").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn filing_deadline_counts_working_days_across_the_2026_spring_festival(t: TestApp) {
    let p = parties(&t).await;
    // Signed Friday 2026-02-13. Counted: 02-14 (make-up Saturday), then
    // 02-24..02-27, 02-28 (make-up Saturday), 03-02..03-05; the holiday
    // 02-15..02-23 does not count. Due Thursday 2026-03-05.
    let id = signed(&t, &p, "2026-02-01", "2029-01-31", "2026-02-13").await;
    let r = t
        .get(
            &format!("/api/v1/agreements/{id}"),
            Auth::Cookie(&p.drafter),
        )
        .await;
    assert_eq!(r.json()["filing_due_on"], "2026-03-05");
    let obligations = gongshu_app::agreements::open_obligations(&t.app, date("2026-03-02"))
        .await
        .unwrap();
    let filing = obligations
        .iter()
        .find(|o| o.kind == "agreement.filing")
        .expect("filing obligation");
    assert_eq!(filing.due_on, date("2026-03-05"));
    assert_eq!(filing.rule, "S-3.3.3b");
    assert_eq!(filing.responsible_org, p.agency_org);
    assert_eq!(filing.subject_id, id);

    // Filed on Friday 2026-03-06, a working day late: recorded and flagged.
    t.advance(TimeDelta::days(4));
    let admin = t.login(&t.admin).await;
    let r = t
        .post(
            &format!("/api/v1/agreements/{id}/file"),
            Auth::Cookie(&admin),
            &json!({ "filed_on": "2026-03-06", "receipt_no": "市数据局备〔2026〕15号" }),
        )
        .await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["status"], "filed");
    assert_eq!(v["filed_late"], true);
    let filed = &t.audit_of("agreement.filed").await[0];
    assert_eq!(filed.payload["details"]["late"], true);
    let obligations = gongshu_app::agreements::open_obligations(&t.app, date("2026-03-06"))
        .await
        .unwrap();
    assert!(obligations.iter().all(|o| o.kind != "agreement.filing"));
    t.assert_audit_log_verifies().await;
}

async fn concurrent_decisions_have_one_winner(t: TestApp) {
    let p = parties(&t).await;
    let id = draft(&t, &p, "2026-02-01", "2029-01-31").await;
    opinion(&t, &p, &id).await;
    let a = {
        let (t, s, id) = (t.clone(), p.approver.clone(), id.clone());
        tokio::spawn(async move { decide(&t, &s, &id).await })
    };
    let b = {
        let (t, s, id) = (t.clone(), p.approver2.clone(), id.clone());
        tokio::spawn(async move { decide(&t, &s, &id).await })
    };
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let (won, lost) = if a.status.is_success() {
        (a, b)
    } else {
        (b, a)
    };
    won.expect(200);
    lost.expect(409);
    let code = lost.json()["code"].as_str().unwrap().to_owned();
    assert!(
        code == "conflict" || code == "agreement.invalid_transition",
        "{code}"
    );
    assert_eq!(t.audit_of("agreement.decided").await.len(), 1);
    let r = t
        .get(
            &format!("/api/v1/agreements/{id}"),
            Auth::Cookie(&p.drafter),
        )
        .await;
    assert_eq!(r.json()["version"], 3);
    t.assert_audit_log_verifies().await;
}

async fn change(t: &TestApp, p: &Parties, id: &str, c: &Value) -> crate::support::Resp {
    t.post(
        &format!("/api/v1/agreements/{id}/change"),
        Auth::Cookie(&p.drafter),
        &json!({ "clauses": c }),
    )
    .await
}

async fn a_change_in_force_keeps_the_signed_revision_until_the_new_one_is_signed(t: TestApp) {
    // S-2.4 with the authorization kept in force (S-2.1): the changed
    // revision is approved and signed again; meanwhile revision 1 governs
    // and no other agreement can be signed.
    let p = parties(&t).await;
    let id = signed(&t, &p, "2026-02-01", "2029-01-31", "2026-02-13").await;
    let mut new = clauses("2026-02-01", "2029-01-31");
    new["cost_revenue_and_distribution"] = json!("收益分配比例调整为政府 40%、运营机构 60%");
    let v = change(&t, &p, &id, &new).await.expect(200).json();
    assert_eq!(v["status"], "signed");
    assert_eq!(v["revision"], 1);
    assert_eq!(v["pending_revision"]["revision"], 2);
    assert_ne!(
        v["clauses"]["cost_revenue_and_distribution"],
        new["cost_revenue_and_distribution"]
    );

    // Another agreement still cannot be signed (S-2.1).
    let other = draft(&t, &p, "2026-03-01", "2027-02-28").await;
    opinion(&t, &p, &other).await;
    decide(&t, &p.approver, &other).await.expect(200);
    sign(&t, &p, &other, "2026-03-02")
        .await
        .error(409, "agreement.another_active");

    // The pending revision needs its own opinion and decision.
    sign(&t, &p, &id, "2026-03-02")
        .await
        .error(409, "agreement.not_decided");
    decide(&t, &p.approver, &id)
        .await
        .error(409, "agreement.opinions_missing");
    let v = opinion(&t, &p, &id).await;
    assert_eq!(v["pending_revision"]["status"], "opinions_collected");
    assert_eq!(v["status"], "signed");
    let o = v["opinions"].as_array().unwrap();
    assert_eq!(o.last().unwrap()["revision"], 2);
    // The author of the pending revision cannot decide it.
    let admin = t.login(&t.admin).await;
    let both = t
        .user_session(
            &admin,
            &p.agency_org,
            "ia.both",
            &["case_officer", "approver"],
        )
        .await;
    let mut again = new.clone();
    again["other"] = json!("补充约定：季度报告");
    t.post(
        &format!("/api/v1/agreements/{id}/change"),
        Auth::Cookie(&both),
        &json!({ "clauses": again }),
    )
    .await
    .expect(200);
    opinion(&t, &p, &id).await;
    decide(&t, &both, &id).await.error(403, "forbidden");
    let v = decide(&t, &p.approver, &id).await.expect(200).json();
    assert_eq!(v["pending_revision"]["status"], "decided");
    assert_eq!(
        v["decided_by"], p.approver.user_id,
        "in force: revision 1's decision"
    );

    // Revision 2 had an opinion when changed again, so the signed text is
    // revision 3; it replaces revision 1 and is filed again (S-3.3.3b).
    let v = sign(&t, &p, &id, "2026-03-02").await.expect(200).json();
    assert_eq!(v["status"], "signed");
    assert_eq!(v["revision"], 3);
    assert_eq!(v["clauses"]["other"], "补充约定：季度报告");
    assert_eq!(v["signed_on"], "2026-03-02");
    assert_eq!(v["filing_due_on"], "2026-03-16");
    assert!(v.get("pending_revision").is_none() || v["pending_revision"].is_null());
    let revisions = v["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0]["revision"], 1);
    assert_eq!(revisions[0]["status"], "signed");
    assert_eq!(revisions[1]["revision"], 2);
    assert_eq!(revisions[1]["status"], "opinions_collected");
    assert_eq!(revisions[1]["signed_on"], Value::Null);
    let signed_recs = t.audit_of("agreement.signed").await;
    assert_eq!(
        signed_recs.last().unwrap().payload["details"]["replaced_revision"],
        1
    );
    let changed = t.audit_of("agreement.changed").await;
    assert_eq!(changed[0].payload["details"]["pending"], true);
    t.assert_audit_log_verifies().await;
}

async fn the_term_cannot_change_after_signing(t: TestApp) {
    let p = parties(&t).await;
    let id = signed(&t, &p, "2026-02-01", "2027-01-31", "2026-02-13").await;
    let v = change(&t, &p, &id, &clauses("2026-02-01", "2028-01-31"))
        .await
        .error(409, "agreement.term_change_after_signing");
    assert!(v["message"].as_str().unwrap().contains("（S-2.2b）"), "{v}");
    let r = t
        .get(
            &format!("/api/v1/agreements/{id}"),
            Auth::Cookie(&p.drafter),
        )
        .await;
    let v = r.json();
    assert_eq!(v["term_end"], "2027-01-31");
    assert!(v["pending_revision"].is_null());
    assert!(t.audit_of("agreement.changed").await.is_empty());
    // Before signing the term may still change.
    let d = draft(&t, &p, "2027-02-01", "2028-01-31").await;
    change(&t, &p, &d, &clauses("2027-02-01", "2029-01-31"))
        .await
        .expect(200);
    t.assert_audit_log_verifies().await;
}

async fn expiry_after_the_term_by_the_agency_and_by_the_daily_job(t: TestApp) {
    let p = parties(&t).await;
    // Ends 2026-07-02.
    let id = signed(&t, &p, "2025-07-03", "2026-07-02", "2026-02-13").await;
    let path = format!("/api/v1/agreements/{id}/expire");
    let v = t
        .post(&path, Auth::Cookie(&p.drafter), &json!({}))
        .await
        .error(409, "agreement.term_not_ended");
    assert!(v["message"].as_str().unwrap().contains("（S-2.2a）"), "{v}");
    // The operator cannot record an expiry.
    t.post(&path, Auth::Cookie(&p.operator_user), &json!({}))
        .await
        .error(403, "forbidden");
    // A second agreement ending 2026-06-30, created by the daily job's turn.
    let second = {
        let admin = t.login(&t.admin).await;
        let r = t
            .post(
                "/api/v1/agreements",
                Auth::Cookie(&admin),
                &json!({ "operator_org_id": p.operator_org, "clauses": clauses("2025-07-01", "2026-06-30") }),
            )
            .await;
        r.expect(201).json()["id"].as_str().unwrap().to_owned()
    };
    assert!(
        gongshu_app::agreements::expire_lapsed(&t.app, date("2026-07-02"))
            .await
            .unwrap()
            .is_empty(),
        "the draft is not in force and the signed one has not lapsed"
    );
    t.advance(TimeDelta::days(125));
    let admin = t.login(&t.admin).await;
    let v = t
        .post(&path, Auth::Cookie(&admin), &json!({}))
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "expired");
    t.post(&path, Auth::Cookie(&admin), &json!({}))
        .await
        .error(409, "agreement.invalid_transition");
    let recs = t.audit_of("agreement.expired").await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].payload["actor_user"], admin.user_id);
    assert_eq!(recs[0].payload["details"]["term_end"], "2026-07-02");
    let r = t
        .get(
            &format!("/api/v1/agreements/{second}"),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(r.json()["status"], "draft");
    t.assert_audit_log_verifies().await;
}
