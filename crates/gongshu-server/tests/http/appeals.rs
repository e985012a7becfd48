//! Appeals (S-2.5b), disputes (S-2.5a), inspections with verified audit
//! samples (S-3.3.2d) and security incidents (S-3.3.4), end to end with a
//! real login per party, on both backends.

use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::support::{Auth, Resp, Session, TestApp};

crate::on_both_backends!(
    appeal_against_a_rejected_entry_is_decided_by_an_agency_approver,
    appeal_refusals_name_their_rule,
    concurrent_appeal_decisions_have_one_winner,
    dispute_is_coordinated_with_a_third_party_assessment,
    random_inspection_flags_a_tampered_tile_record,
    findings_must_be_rectified_before_closing,
    incident_is_recorded_reported_and_closed,
);

struct World {
    agency_approver: Session,
    agency_approver_2: Session,
    agency_officer: Session,
    bureau: Session,
    bureau_approver: Session,
    operator: Session,
    regulator: Session,
    source: Session,
    participant: Session,
    participant_approver: Session,
    other_participant: Session,
    operator_org: String,
    source_org: String,
    participant_org: String,
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
    let source_org = t
        .create_org(&admin, "测试县公安局", "data_source_unit")
        .await;
    let participant_org = t
        .create_org(&admin, "测试数据科技有限公司", "participant")
        .await;
    let other_org = t
        .create_org(&admin, "另一数据科技有限公司", "participant")
        .await;
    World {
        agency_approver: t
            .user_session(&admin, &agency_org, "ia.approver", &["approver"])
            .await,
        agency_approver_2: t
            .user_session(&admin, &agency_org, "ia.approver2", &["approver"])
            .await,
        agency_officer: t
            .user_session(&admin, &agency_org, "ia.officer", &["case_officer"])
            .await,
        bureau: t
            .user_session(&admin, &bureau_org, "db.officer", &["case_officer"])
            .await,
        bureau_approver: t
            .user_session(&admin, &bureau_org, "db.approver", &["approver"])
            .await,
        operator: t
            .user_session(&admin, &operator_org, "op.officer", &["case_officer"])
            .await,
        regulator: t
            .user_session(&admin, &regulator_org, "reg.approver", &["approver"])
            .await,
        source: t
            .user_session(
                &admin,
                &source_org,
                "src.officer",
                &["case_officer", "approver"],
            )
            .await,
        participant: t
            .user_session(&admin, &participant_org, "pt.officer", &["case_officer"])
            .await,
        participant_approver: t
            .user_session(&admin, &participant_org, "pt.approver", &["approver"])
            .await,
        other_participant: t
            .user_session(&admin, &other_org, "pt2.officer", &["case_officer"])
            .await,
        operator_org,
        source_org,
        participant_org,
    }
}

/// A market entry of the participant; rejected by the agency when `reject`.
async fn entry(t: &TestApp, w: &World, reject: bool) -> String {
    let r = t
        .post(
            "/api/v1/market-entries",
            Auth::Cookie(&w.participant),
            &json!({
                "sector": "transport",
                "qualification": "营业执照",
                "compliance": "数据合规管理制度",
                "technical_security": "等保三级测评报告",
                "data_source_org": w.source_org,
            }),
        )
        .await;
    r.expect(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    if reject {
        t.post(
            &format!("/api/v1/market-entries/{id}/decisions"),
            Auth::Cookie(&w.agency_approver),
            &json!({ "verdict": "reject", "reason": "技术安全材料不完整" }),
        )
        .await
        .expect(200);
    }
    id
}

async fn appeal(t: &TestApp, s: &Session, body: &Value) -> Resp {
    t.post("/api/v1/appeals", Auth::Cookie(s), body).await
}

async fn decide(t: &TestApp, s: &Session, id: &str, outcome: &str, reasons: Option<&str>) -> Resp {
    t.post(
        &format!("/api/v1/appeals/{id}/decision"),
        Auth::Cookie(s),
        &json!({ "outcome": outcome, "reasons": reasons }),
    )
    .await
}

async fn inbox_kinds(t: &TestApp, s: &Session) -> String {
    t.get("/api/v1/inbox", Auth::Cookie(s))
        .await
        .expect(200)
        .text()
}

async fn appeal_against_a_rejected_entry_is_decided_by_an_agency_approver(t: TestApp) {
    let w = world(&t).await;
    let entry_id = entry(&t, &w, true).await;
    let r = appeal(
        &t,
        &w.participant,
        &json!({ "subject_kind": "market_entry", "subject_id": entry_id, "grounds": "补充材料已提交，请求复核" }),
    )
    .await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["status"], "submitted");
    assert_eq!(v["subject_checked"], true);
    assert_eq!(v["decided_on"], "2026-03-02");
    assert_eq!(v["filing_deadline"], "2026-03-23");
    assert!(v["due_on"].is_string());
    let id = v["id"].as_str().unwrap().to_owned();
    assert!(
        inbox_kinds(&t, &w.agency_approver)
            .await
            .contains("appeal.handling")
    );

    // An approver of the data bureau may approve workflows, but appeals go
    // to the implementing agency (audited denial).
    decide(&t, &w.bureau_approver, &id, "overturned", Some("理由"))
        .await
        .error(403, "forbidden");
    assert!(
        t.audit_of("authz.denied")
            .await
            .iter()
            .any(|r| r.payload["details"]["rule"] == "appeal.not_agency_approver")
    );
    // The appellant's own approver cannot decide (separation of duties).
    decide(&t, &w.participant_approver, &id, "overturned", Some("理由"))
        .await
        .error(403, "forbidden");
    // Reasons are required; the outcome must be known.
    let v = decide(&t, &w.agency_approver, &id, "overturned", None)
        .await
        .error(422, "validation_failed");
    assert_eq!(v["fields"][0]["field"], "reasons");
    decide(&t, &w.agency_approver, &id, "maybe", Some("理由"))
        .await
        .error(422, "validation_failed");

    let v = decide(
        &t,
        &w.agency_approver,
        &id,
        "overturned",
        Some("补充材料满足要求，撤销原驳回决定"),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(v["status"], "overturned");
    assert_eq!(v["decided_by"], w.agency_approver.user_id.as_str());
    let v = decide(&t, &w.agency_approver_2, &id, "upheld", Some("再次处理"))
        .await
        .error(409, "appeal.invalid_transition");
    assert!(v["message"].as_str().unwrap().contains("（S-2.5b）"));
    assert!(
        !inbox_kinds(&t, &w.agency_approver)
            .await
            .contains("appeal.handling")
    );
    // Visible to the appellant, not to another participant.
    t.get(
        &format!("/api/v1/appeals/{id}"),
        Auth::Cookie(&w.participant),
    )
    .await
    .expect(200);
    t.get(
        &format!("/api/v1/appeals/{id}"),
        Auth::Cookie(&w.other_participant),
    )
    .await
    .expect(404);
    assert_eq!(t.audit_of("appeal.filed").await.len(), 1);
    assert_eq!(t.audit_of("appeal.decided").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn appeal_refusals_name_their_rule(t: TestApp) {
    let w = world(&t).await;
    let rejected = entry(&t, &w, true).await;
    let pending = entry(&t, &w, false).await;
    let body = |kind: &str, id: &str| json!({ "subject_kind": kind, "subject_id": id, "grounds": "请求复核" });

    // Only a participant appeals.
    let v = appeal(&t, &w.operator, &body("market_entry", &rejected))
        .await
        .error(409, "appeal.not_participant");
    assert!(v["message"].as_str().unwrap().contains("（S-2.5b）"));
    // Only against a decision on itself.
    appeal(&t, &w.other_participant, &body("market_entry", &rejected))
        .await
        .error(409, "appeal.not_affected");
    // Only against an adverse decision.
    appeal(&t, &w.participant, &body("market_entry", &pending))
        .await
        .error(409, "appeal.not_adverse");
    // Unknown kind, missing decision date: invalid.
    appeal(&t, &w.participant, &body("price", "x"))
        .await
        .error(422, "validation_failed");
    let v = appeal(&t, &w.participant, &body("data_use", "UA-2026-007"))
        .await
        .error(422, "validation_failed");
    assert_eq!(v["fields"][0]["field"], "decided_on");
    // Data-use decisions are recorded as given, within the time limit.
    let mut late = body("data_use", "UA-2026-007");
    late["decided_on"] = json!("2026-02-02");
    let v = appeal(&t, &w.participant, &late)
        .await
        .error(409, "appeal.too_late");
    assert!(v["message"].as_str().unwrap().contains("（S-2.5b）"));
    // Egress decisions are looked up: an unknown request is invalid.
    let v = appeal(&t, &w.participant, &body("egress", "EG-2026-001"))
        .await
        .error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "appeal.subject_not_found");
    let mut in_time = body("data_use", "UA-2026-008");
    in_time["decided_on"] = json!("2026-02-27");
    let v = appeal(&t, &w.participant, &in_time)
        .await
        .expect(201)
        .json();
    assert_eq!(v["subject_checked"], false);
    // The rejected entry itself, after the time limit.
    t.advance(TimeDelta::days(30));
    let admin = t.login(&t.admin).await;
    let participant = t
        .user_session(
            &admin,
            &w.participant_org,
            "pt.officer.late",
            &["case_officer"],
        )
        .await;
    appeal(&t, &participant, &body("market_entry", &rejected))
        .await
        .error(409, "appeal.too_late");
    t.assert_audit_log_verifies().await;
}

async fn concurrent_appeal_decisions_have_one_winner(t: TestApp) {
    let w = world(&t).await;
    let entry_id = entry(&t, &w, true).await;
    let v = appeal(
        &t,
        &w.participant,
        &json!({ "subject_kind": "market_entry", "subject_id": entry_id, "grounds": "请求复核" }),
    )
    .await
    .expect(201)
    .json();
    let id = v["id"].as_str().unwrap().to_owned();
    let (ta, tb, ia, ib) = (t.clone(), t.clone(), id.clone(), id.clone());
    let (sa, sb) = (w.agency_approver.clone(), w.agency_approver_2.clone());
    let a = tokio::spawn(async move { decide(&ta, &sa, &ia, "upheld", Some("维持")).await });
    let b = tokio::spawn(async move { decide(&tb, &sb, &ib, "overturned", Some("撤销")).await });
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
        code == "conflict" || code == "appeal.invalid_transition",
        "{code}"
    );
    assert_eq!(t.audit_of("appeal.decided").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn dispute_is_coordinated_with_a_third_party_assessment(t: TestApp) {
    let w = world(&t).await;
    let body = |against: &str| json!({ "against_org": against, "subject": "use", "description": "运营机构超出约定范围使用本单位数据" });
    t.post(
        "/api/v1/disputes",
        Auth::Cookie(&w.participant),
        &body(&w.operator_org),
    )
    .await
    .error(409, "dispute.wrong_parties");
    let v = t
        .post(
            "/api/v1/disputes",
            Auth::Cookie(&w.source),
            &body(&w.operator_org),
        )
        .await
        .expect(201)
        .json();
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["status"], "open");
    assert!(
        inbox_kinds(&t, &w.agency_officer)
            .await
            .contains("dispute.handling")
    );
    let path = format!("/api/v1/disputes/{id}");
    // Only the implementing agency coordinates.
    t.post(
        &format!("{path}/assessment"),
        Auth::Cookie(&w.operator),
        &json!({ "body": "某评估机构", "commissioned_on": "2026-03-03" }),
    )
    .await
    .error(403, "forbidden");
    t.post(
        &format!("{path}/assessment"),
        Auth::Cookie(&w.agency_officer),
        &json!({ "body": " ", "commissioned_on": "2026-03-03" }),
    )
    .await
    .error(422, "validation_failed");
    t.post(
        &format!("{path}/assessment"),
        Auth::Cookie(&w.agency_officer),
        &json!({ "body": "测试第三方评估中心", "commissioned_on": "2026-03-03" }),
    )
    .await
    .expect(200);
    // Not resolved while the assessment is under way.
    let v = t
        .post(
            &format!("{path}/resolution"),
            Auth::Cookie(&w.agency_officer),
            &json!({ "outcome": "调解结案" }),
        )
        .await
        .error(409, "dispute.invalid_transition");
    assert!(v["message"].as_str().unwrap().contains("（S-2.5a）"));
    t.post(
        &format!("{path}/assessment-report"),
        Auth::Cookie(&w.agency_officer),
        &json!({ "report_ref": "PG-2026-009", "reported_on": "2026-03-20" }),
    )
    .await
    .expect(200);
    let v = t
        .post(
            &format!("{path}/resolution"),
            Auth::Cookie(&w.agency_officer),
            &json!({ "outcome": "运营机构停止超范围使用并整改" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["assessment_report_ref"], "PG-2026-009");
    // Both sides see it.
    t.get(&path, Auth::Cookie(&w.operator)).await.expect(200);
    t.get(&path, Auth::Cookie(&w.participant)).await.expect(404);
    for code in [
        "dispute.raised",
        "dispute.assessment_commissioned",
        "dispute.assessment_recorded",
        "dispute.resolved",
    ] {
        assert_eq!(t.audit_of(code).await.len(), 1, "{code}");
    }
    t.assert_audit_log_verifies().await;
}

async fn random_inspection_flags_a_tampered_tile_record(t: TestApp) {
    let w = world(&t).await;
    // The operator acts (records of its own in the log).
    t.post(
        "/api/v1/incidents",
        Auth::Cookie(&w.operator),
        &json!({
            "category": "other", "severity": "general", "discovered_at": "2026-03-02T00:30:00Z",
            "affected_data": "无", "measures": "演练",
        }),
    )
    .await
    .expect(201);
    // The operator cannot inspect.
    t.post(
        "/api/v1/inspections",
        Auth::Cookie(&w.operator),
        &json!({
            "kind": "random", "inspected_org": w.operator_org, "scope": "自查",
        }),
    )
    .await
    .error(403, "forbidden");
    let ops: Vec<u64> = t
        .audit_records()
        .await
        .into_iter()
        .filter(|r| r.payload["actor_org"] == w.operator_org.as_str())
        .map(|r| r.index)
        .collect();
    assert!(ops.len() >= 2, "{ops:?}");
    let victim = ops[0];
    // Publish, then flip a byte of the victim's hash in the level-0 tile.
    let l = Arc::clone(t.ledger());
    let size = tokio::task::spawn_blocking(move || {
        l.sync().unwrap();
        l.size()
    })
    .await
    .unwrap();
    let tile = t
        .audit_dir()
        .join("log")
        .join(gongshu_ledger::tiles::tile_path(0, 0, size.min(256)));
    assert!(size <= 256, "one level-0 tile");
    let original = std::fs::read(&tile).unwrap();
    let mut bytes = original.clone();
    bytes[usize::try_from(victim).unwrap() * 32] ^= 0x01;
    std::fs::write(&tile, &bytes).unwrap();

    let r = t
        .post(
            "/api/v1/inspections",
            Auth::Cookie(&w.bureau_approver),
            &json!({
                "kind": "random", "inspected_org": w.operator_org, "scope": "年度随机抽查",
                "sample": { "n": 200, "seed": 42 },
            }),
        )
        .await;
    std::fs::write(&tile, &original).unwrap();
    let v = r.expect(201).json();
    assert_eq!(v["sample_seed"], "42");
    let samples = v["samples"].as_array().unwrap();
    assert_eq!(samples.len(), ops.len());
    for s in samples {
        let failed = s["result"] == "failed";
        assert_eq!(failed, s["index"] == victim, "{s}");
    }
    assert_eq!(v["samples_failed"], 1);
    let opened = t.audit_of("inspection.opened").await;
    assert_eq!(opened[0].payload["details"]["failed"], json!([victim]));
    assert_eq!(opened[0].payload["details"]["sample"]["seed"], "42");
    // The same seed draws the same sample, now all verified.
    let v = t
        .post(
            "/api/v1/inspections",
            Auth::Cookie(&w.bureau_approver),
            &json!({
                "kind": "random", "inspected_org": w.operator_org, "scope": "复查",
                "sample": { "n": 200, "seed": 42 },
            }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(v["samples_failed"], 0);
    assert_eq!(v["samples"].as_array().unwrap().len(), ops.len());
    t.assert_audit_log_verifies().await;
}

async fn findings_must_be_rectified_before_closing(t: TestApp) {
    let w = world(&t).await;
    t.post(
        "/api/v1/inspections",
        Auth::Cookie(&w.bureau),
        &json!({
            "kind": "targeted", "inspected_org": w.source_org, "scope": "专项",
        }),
    )
    .await
    .error(409, "inspection.not_inspectable");
    let v = t
        .post("/api/v1/inspections", Auth::Cookie(&w.bureau), &json!({
            "kind": "targeted", "inspected_org": w.operator_org, "scope": "原始数据导出专项检查",
        }))
        .await
        .expect(201)
        .json();
    let id = v["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/inspections/{id}");
    let v = t
        .post(&format!("{path}/findings"), Auth::Cookie(&w.bureau), &json!({
            "severity": "serious", "rule": "S-9.9", "description": "x", "rectification_working_days": 0,
        }))
        .await
        .error(422, "validation_failed");
    assert_eq!(v["fields"].as_array().unwrap().len(), 2);
    let v = t
        .post(
            &format!("{path}/findings"),
            Auth::Cookie(&w.bureau),
            &json!({
                "severity": "serious", "rule": "S-3.3.4-2", "description": "存在原始数据导出记录",
                "rectification_working_days": 10,
            }),
        )
        .await
        .expect(200)
        .json();
    let finding = v["findings"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["findings"][0]["due_on"], "2026-03-16");
    assert!(
        inbox_kinds(&t, &w.operator)
            .await
            .contains("inspection.rectification")
    );
    let v = t
        .post(
            &format!("{path}/close"),
            Auth::Cookie(&w.bureau),
            &json!({ "conclusion": "结束" }),
        )
        .await
        .error(409, "inspection.unrectified_findings");
    assert!(v["message"].as_str().unwrap().contains("（S-3.3.2d）"));
    // Only the inspected organisation rectifies.
    let rectify = format!("{path}/findings/{finding}/rectification");
    t.post(
        &rectify,
        Auth::Cookie(&w.participant),
        &json!({ "measures": "已整改" }),
    )
    .await
    .error(403, "forbidden");
    t.post(
        &rectify,
        Auth::Cookie(&w.operator),
        &json!({ "measures": "已关闭导出接口并删除导出文件" }),
    )
    .await
    .expect(200);
    // The bureau rejects it once, the operator rectifies again.
    t.post(
        &format!("{path}/findings/{finding}/reopen"),
        Auth::Cookie(&w.bureau),
        &json!({
            "reason": "未提供删除证明", "rectification_working_days": 5,
        }),
    )
    .await
    .expect(200);
    t.post(
        &rectify,
        Auth::Cookie(&w.operator),
        &json!({ "measures": "已提交删除证明" }),
    )
    .await
    .expect(200);
    let v = t
        .post(
            &format!("{path}/flags"),
            Auth::Cookie(&w.bureau),
            &json!({
                "behaviour": "S-3.3.4-2", "finding_id": finding, "note": "导出原始数据",
            }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["flags"][0]["rule"], "S-3.3.4-2");
    assert_eq!(v["flags"][0]["org_id"], w.operator_org.as_str());
    let v = t
        .post(
            &format!("{path}/close"),
            Auth::Cookie(&w.bureau),
            &json!({ "conclusion": "问题已整改" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "closed");
    t.post(&format!("{path}/findings"), Auth::Cookie(&w.bureau), &json!({
        "severity": "minor", "rule": "S-3.3.2c", "description": "日志", "rectification_working_days": 5,
    }))
    .await
    .error(409, "inspection.closed");
    t.post(
        &format!("{path}/reopen"),
        Auth::Cookie(&w.bureau),
        &json!({ "reason": "发现新线索" }),
    )
    .await
    .expect(200);
    t.post(
        &format!("{path}/reopen"),
        Auth::Cookie(&w.bureau),
        &json!({ "reason": "再次" }),
    )
    .await
    .error(409, "inspection.invalid_transition");
    t.get(&path, Auth::Cookie(&w.operator)).await.expect(200);
    t.get(&path, Auth::Cookie(&w.participant)).await.expect(404);
    let _ = (&w.regulator, &w.participant_org);
    t.assert_audit_log_verifies().await;
}

async fn incident_is_recorded_reported_and_closed(t: TestApp) {
    let w = world(&t).await;
    let incident = |org: Option<&str>, at: &str| {
        json!({
            "concerned_org": org, "category": "data_leak", "severity": "major", "discovered_at": at,
            "affected_data": "公交刷卡记录 1,200 条", "measures": "已封堵接口并通知相关方",
        })
    };
    t.post(
        "/api/v1/incidents",
        Auth::Cookie(&w.operator),
        &incident(None, "2026-03-05T00:00:00Z"),
    )
    .await
    .error(422, "validation_failed");
    // An organisation reports its own incidents only; the bureau any.
    t.post(
        "/api/v1/incidents",
        Auth::Cookie(&w.participant),
        &incident(Some(&w.operator_org), "2026-03-01T08:00:00Z"),
    )
    .await
    .error(409, "incident.not_concerned");
    t.post(
        "/api/v1/incidents",
        Auth::Cookie(&w.bureau),
        &incident(None, "2026-03-01T08:00:00Z"),
    )
    .await
    .error(422, "validation_failed");
    let v = t
        .post(
            "/api/v1/incidents",
            Auth::Cookie(&w.bureau),
            &incident(Some(&w.operator_org), "2026-03-01T08:00:00Z"),
        )
        .await
        .expect(201)
        .json();
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["report_due_on"], "2026-03-09");
    assert!(
        inbox_kinds(&t, &w.operator)
            .await
            .contains("incident.report")
    );
    let path = format!("/api/v1/incidents/{id}");
    t.post(
        &format!("{path}/close"),
        Auth::Cookie(&w.bureau),
        &json!({}),
    )
    .await
    .error(409, "inspection.invalid_transition");
    t.post(
        &format!("{path}/report"),
        Auth::Cookie(&w.source),
        &json!({ "report": "x" }),
    )
    .await
    .error(403, "forbidden");
    t.post(
        &format!("{path}/report"),
        Auth::Cookie(&w.operator),
        &json!({ "report": "泄露原因已查明，已整改" }),
    )
    .await
    .expect(200);
    assert!(
        !inbox_kinds(&t, &w.operator)
            .await
            .contains("incident.report")
    );
    t.post(
        &format!("{path}/close"),
        Auth::Cookie(&w.operator),
        &json!({}),
    )
    .await
    .error(403, "forbidden");
    let v = t
        .post(
            &format!("{path}/close"),
            Auth::Cookie(&w.bureau),
            &json!({ "note": "同意结案" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "closed");
    for code in ["incident.recorded", "incident.reported", "incident.closed"] {
        assert_eq!(t.audit_of(code).await.len(), 1, "{code}");
    }
    t.assert_audit_log_verifies().await;
}
