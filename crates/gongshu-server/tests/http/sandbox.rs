//! The sandbox over HTTP: a grant from an approved data demand lets the
//! operator query the loaded data in aggregate; row-level reads, parties
//! without a grant and the statement kinds of R3.1 are refused; every call
//! is a data-access audit record.

use serde_json::{Value, json};

use crate::datasets::{RAW_ACCOUNT, columns, csv_rows, load};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(
    an_approved_demand_lets_the_operator_query_in_aggregate_only,
    results_leave_only_after_two_independent_approvals,
    egress_rejections_name_their_reason_and_file_rules_hold,
    long_queries_run_as_jobs_for_their_submitter_only,
);

pub(crate) struct World {
    pub(crate) provider: Session,
    pub(crate) operator: Session,
    pub(crate) bank: Session,
    pub(crate) resource: String,
    /// A reviewer of the operator's own organisation.
    pub(crate) operator_reviewer: Session,
    pub(crate) agency_reviewer: Session,
    pub(crate) bureau_reviewer: Session,
    pub(crate) orgs: Orgs,
}

/// Organisation ids of the world.
pub(crate) struct Orgs {
    pub(crate) agency: String,
    pub(crate) water: String,
    pub(crate) bureau: String,
    pub(crate) operator: String,
    pub(crate) regulator: String,
    pub(crate) bank: String,
}

pub(crate) async fn world(t: &TestApp) -> World {
    let admin = t.login(&t.admin).await;
    let agency_org = t.admin.org_id.clone();
    let water = t
        .create_org_in_sector(&admin, "测试县自来水公司", "data_source_unit", "utilities")
        .await;
    let bureau = t.create_org(&admin, "测试县数据局", "data_bureau").await;
    let operator_org = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    let regulator = t
        .create_org_in_sector(&admin, "测试县住建局", "sector_regulator", "utilities")
        .await;
    let bank = t.create_org(&admin, "测试县农商银行", "participant").await;
    let provider = t
        .user_session(&admin, &water, "water.officer", &["case_officer"])
        .await;
    let resource = {
        let r = t
            .post(
                "/api/v1/catalog/resources",
                Auth::Cookie(&provider),
                &json!({
                    "name": "居民用水量", "summary": "按户按月的用水量", "category": "公用事业/供水",
                    "format": "csv", "update_frequency": "monthly", "sharing_attribute": "conditional",
                    "sharing_method": "sandbox", "use_conditions": "仅限可信数据空间内统计分析",
                    "time_coverage_start": "2020-01-01", "industry": "水的生产和供应业", "region": "测试县",
                    "contains_sensitive_info": true, "applicable_scenarios": ["供水管网规划"],
                    "prohibited_scenarios": ["个人画像"], "columns": columns(true),
                    "table_name": "water_use",
                }),
            )
            .await;
        r.expect(201);
        r.json()["id"].as_str().unwrap().to_owned()
    };
    load(t, &provider, &resource, "", csv_rows(40, 0).into_bytes())
        .await
        .expect(201);
    let operator = t
        .user_session(&admin, &operator_org, "op.officer", &["case_officer"])
        .await;
    let reg = t
        .user_session(&admin, &regulator, "reg.officer", &["case_officer"])
        .await;
    let r = t
        .post(
            "/api/v1/data-demands",
            Auth::Cookie(&operator),
            &json!({
                "scenario": "供水管网规划", "purpose": "按乡镇统计用水，规划管网", "sector": "utilities",
                "valid_from": "2026-01-01", "valid_until": "2027-12-31",
                "datasets": [{ "dataset_id": resource, "provider_org": water,
                               "columns": ["account_no", "township", "volume_m3"] }],
            }),
        )
        .await;
    r.expect(201);
    let demand = r.json()["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/data-demands/{demand}/co-sign"),
        Auth::Cookie(&reg),
        &json!({}),
    )
    .await
    .expect(200);
    for (org, name) in [
        (&agency_org, "agency.approver"),
        (&bureau, "bureau.approver"),
        (&water, "water.approver"),
    ] {
        let s = t.user_session(&admin, org, name, &["approver"]).await;
        t.post(
            &format!("/api/v1/data-demands/{demand}/decisions"),
            Auth::Cookie(&s),
            &json!({ "verdict": "approve", "reason": null }),
        )
        .await
        .expect(200);
    }
    World {
        provider,
        operator,
        bank: t
            .user_session(&admin, &bank, "bank.dev", &["case_officer"])
            .await,
        resource,
        operator_reviewer: t
            .user_session(&admin, &operator_org, "op.reviewer", &["reviewer"])
            .await,
        agency_reviewer: t
            .user_session(&admin, &agency_org, "agency.reviewer", &["reviewer"])
            .await,
        bureau_reviewer: t
            .user_session(&admin, &bureau, "bureau.reviewer", &["reviewer"])
            .await,
        orgs: Orgs {
            agency: agency_org,
            water,
            bureau,
            operator: operator_org,
            regulator,
            bank,
        },
    }
}

async fn query(t: &TestApp, s: &Session, sql: &str) -> crate::support::Resp {
    t.post(
        "/api/v1/sandbox/query",
        Auth::Cookie(s),
        &json!({ "sql": sql }),
    )
    .await
}

async fn an_approved_demand_lets_the_operator_query_in_aggregate_only(t: TestApp) {
    let w = world(&t).await;
    let tables = t
        .get("/api/v1/sandbox/tables", Auth::Cookie(&w.operator))
        .await;
    tables.expect(200);
    let tables = tables.json();
    assert_eq!(tables[0]["table"], "water_use", "{tables}");
    assert_eq!(tables[0]["resource_id"], w.resource.as_str());
    let granted: Vec<&str> = tables[0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        granted,
        ["account_no", "township", "volume_m3"],
        "reading_date was not granted"
    );

    // 40 accounts, 20 per township: released, counts rounded to 5.
    let r = query(
        &t,
        &w.operator,
        "SELECT township, count(DISTINCT account_no) AS accounts, sum(volume_m3) AS m3 \
         FROM water_use GROUP BY township ORDER BY township",
    )
    .await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["rows"][0]["values"][0], "南屯镇", "{v}");
    assert_eq!(v["rows"][0]["values"][1], 20);
    assert_eq!(v["rows"][0]["suppressed"], Value::Null);
    assert_eq!(v["report"]["threshold"], 10);
    assert!(
        !r.text().contains(RAW_ACCOUNT) && !r.text().contains("p_"),
        "{v}"
    );
    let rec = t.audit_of("sandbox.query").await;
    let last = rec.last().unwrap();
    assert_eq!(last.payload["outcome"], "ok");
    assert_eq!(last.payload["details"]["tables"], json!(["water_use"]));
    assert_eq!(
        last.payload["details"]["purposes"],
        json!(["按乡镇统计用水，规划管网"])
    );
    assert_eq!(last.payload["details"]["result_sha256"], v["result_sha256"]);
    assert_eq!(
        last.payload["class"],
        Value::Null,
        "class lives in the leaf, not the payload"
    );

    // Row-level reads, ungranted columns, DDL: refused with the rule, audited.
    let before = t.audit_of("sandbox.query").await.len();
    let e = query(
        &t,
        &w.operator,
        "SELECT account_no, volume_m3 FROM water_use",
    )
    .await
    .error(422, "validation_failed");
    let codes: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"sandbox.R3.2"), "{e}");
    query(
        &t,
        &w.operator,
        "SELECT count(*) FROM water_use GROUP BY reading_date",
    )
    .await
    .error(422, "validation_failed");
    let e = query(&t, &w.operator, "DELETE FROM water_use")
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "sandbox.R3.1");
    let refused = t.audit_of("sandbox.query").await;
    assert_eq!(refused.len(), before + 3);
    assert!(
        refused
            .iter()
            .skip(before)
            .all(|r| r.payload["outcome"] == "refused")
    );

    // The dry run reads nothing and says why.
    let x = t
        .post(
            "/api/v1/sandbox/explain",
            Auth::Cookie(&w.operator),
            &json!({ "sql": "SELECT max(volume_m3) FROM water_use" }),
        )
        .await;
    x.expect(200);
    assert_eq!(x.json()["accepted"], false);
    assert_eq!(x.json()["violations"][0]["rule"], "R2.sensitive");
    assert_eq!(x.json()["violations"][0]["column"], "water_use.volume_m3");

    // Neither the bank nor the provider holds a grant: no tables.
    for s in [&w.bank, &w.provider] {
        let t2 = t.get("/api/v1/sandbox/tables", Auth::Cookie(s)).await;
        assert_eq!(t2.expect(200).json(), json!([]));
        query(&t, s, "SELECT count(*) FROM water_use")
            .await
            .error(422, "validation_failed");
    }
    t.post(
        "/api/v1/sandbox/query",
        Auth::None,
        &json!({ "sql": "SELECT 1" }),
    )
    .await
    .expect(401);
    t.assert_audit_log_verifies().await;
}

const TOWNSHIP_SQL: &str = "SELECT township, count(DISTINCT account_no) AS accounts FROM water_use GROUP BY township ORDER BY township";

async fn request(t: &TestApp, s: &Session, files: Value) -> crate::support::Resp {
    t.post(
        "/api/v1/releases",
        Auth::Cookie(s),
        &json!({ "title": "乡镇用水户数", "purpose": "管网规划报告附表", "sql": TOWNSHIP_SQL, "files": files }),
    )
    .await
}

async fn verdict(
    t: &TestApp,
    s: &Session,
    id: &str,
    verdict: &str,
    reason: Option<&str>,
) -> crate::support::Resp {
    t.post(
        &format!("/api/v1/releases/{id}/decisions"),
        Auth::Cookie(s),
        &json!({ "verdict": verdict, "reason": reason }),
    )
    .await
}

/// The due date of the release review of `id` in `s`'s inbox.
async fn review_due_in_inbox(t: &TestApp, s: &Session, id: &str) -> String {
    let inbox = t
        .get("/api/v1/inbox", Auth::Cookie(s))
        .await
        .expect(200)
        .json();
    let item = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "release.review" && i["subject_id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no review of {id} in {inbox}"));
    item["due_on"].as_str().unwrap().to_owned()
}

async fn results_leave_only_after_two_independent_approvals(t: TestApp) {
    // 23:40 in Shanghai: the first decision falls on the next day.
    t.advance(chrono::TimeDelta::hours(14) + chrono::TimeDelta::minutes(40));
    let w = world(&t).await;
    let r = request(
        &t,
        &w.operator,
        json!([{ "name": "说明.json", "content": "{\"note\": \"按乡镇汇总\"}" }]),
    )
    .await;
    r.expect(201);
    let v = r.json();
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["status"], "submitted");
    let names: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["result.csv", "说明.json"]);
    assert!(
        v["files"][0].get("content").is_none(),
        "the requester gets no download before approval"
    );
    assert_eq!(v["report"]["disclosure"]["threshold"], 10);
    let download = format!("/api/v1/releases/{id}/files/result.csv");
    // Both supervising bodies have the review in their inbox (5 working days).
    for s in [&w.agency_reviewer, &w.bureau_reviewer] {
        let inbox = t
            .get("/api/v1/inbox", Auth::Cookie(s))
            .await
            .expect(200)
            .json();
        let found = inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "release.review" && i["subject_id"] == id.as_str());
        assert!(found, "{inbox}");
    }
    t.get(&download, Auth::Cookie(&w.operator))
        .await
        .error(409, "egress.not_approved");
    let submitted_due = v["review_due_on"].as_str().unwrap().to_owned();
    assert_eq!(
        review_due_in_inbox(&t, &w.agency_reviewer, &id).await,
        submitted_due
    );

    // Neither the requester nor its organisation reviews (policies, audited).
    let denied = t.audit_of("authz.denied").await.len();
    verdict(&t, &w.operator, &id, "approve", None)
        .await
        .error(403, "forbidden");
    verdict(&t, &w.operator_reviewer, &id, "approve", None)
        .await
        .error(403, "forbidden");
    verdict(&t, &w.provider, &id, "approve", None)
        .await
        .error(403, "forbidden");
    assert_eq!(t.audit_of("authz.denied").await.len(), denied + 3);

    // The agency reviewer sees the contents and approves; new files reset it.
    let seen = t
        .get(
            &format!("/api/v1/releases/{id}"),
            Auth::Cookie(&w.agency_reviewer),
        )
        .await;
    assert!(
        seen.expect(200).json()["files"][0]["content"]
            .as_str()
            .unwrap()
            .starts_with("township,accounts\n")
    );
    // A decision on the next day does not move the reviewers' time limit.
    t.advance(chrono::TimeDelta::minutes(25));
    let approved = verdict(&t, &w.agency_reviewer, &id, "approve", None)
        .await
        .expect(200)
        .json();
    assert_eq!(approved["approvals"], 1);
    assert_eq!(approved["review_due_on"], submitted_due.as_str());
    assert_eq!(
        review_due_in_inbox(&t, &w.bureau_reviewer, &id).await,
        submitted_due
    );
    let body =
        json!({ "files": [{ "name": "result.csv", "content": "township,accounts\n南屯镇,20\n" }] });
    let changed = t
        .send(
            axum::http::Method::PUT,
            &format!("/api/v1/releases/{id}/files"),
            Auth::Cookie(&w.operator),
            Some(("application/json", serde_json::to_vec(&body).unwrap())),
        )
        .await;
    let changed = changed.expect(200).json();
    assert_eq!(
        (changed["revision"].as_i64(), changed["approvals"].as_u64()),
        (Some(2), Some(0))
    );
    // New files restart the review: the limit runs from the new revision,
    // in the console as in the inbox.
    let revised_due = changed["review_due_on"].as_str().unwrap().to_owned();
    assert!(revised_due > submitted_due, "{revised_due} {submitted_due}");
    assert_eq!(
        review_due_in_inbox(&t, &w.bureau_reviewer, &id).await,
        revised_due
    );
    verdict(&t, &w.agency_reviewer, &id, "approve", None)
        .await
        .expect(200);
    verdict(&t, &w.agency_reviewer, &id, "approve", None)
        .await
        .error(409, "egress.already_decided");
    t.get(&download, Auth::Cookie(&w.operator))
        .await
        .error(409, "egress.not_approved");
    let done = verdict(&t, &w.bureau_reviewer, &id, "approve", None)
        .await
        .expect(200)
        .json();
    assert_eq!(done["status"], "approved");
    let inbox = t
        .get("/api/v1/inbox", Auth::Cookie(&w.agency_reviewer))
        .await
        .expect(200)
        .json();
    assert!(
        !inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "release.review"),
        "{inbox}"
    );
    verdict(&t, &w.bureau_reviewer, &id, "reject", Some("晚了"))
        .await
        .error(409, "egress.final");

    // Only the requester's organisation downloads, each time audited.
    let file = t.get(&download, Auth::Cookie(&w.operator)).await;
    assert_eq!(file.expect(200).text(), "township,accounts\n南屯镇,20\n");
    assert_eq!(t.audit_of("release.downloaded").await.len(), 1);
    t.get(&download, Auth::Cookie(&w.bank)).await.expect(404);
    t.get(&format!("/api/v1/releases/{id}"), Auth::Cookie(&w.bank))
        .await
        .expect(404);
    assert_eq!(t.audit_of("release.approved").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn egress_rejections_name_their_reason_and_file_rules_hold(t: TestApp) {
    let w = world(&t).await;
    for (name, content, code) in [
        ("运行日志.log", "x", "egress.file_invalid"),
        ("r.csv", "v\n0.1234567\n", "egress.file_invalid"),
        ("r.json", "{not json", "egress.file_invalid"),
        ("result.csv", "duplicate", "egress.file_duplicate"),
    ] {
        let e = request(
            &t,
            &w.operator,
            json!([{ "name": name, "content": content }]),
        )
        .await
        .error(422, "validation_failed");
        assert_eq!(e["fields"][0]["code"], code, "{name}: {e}");
    }
    // A refused query gives no request.
    let r = t
        .post(
            "/api/v1/releases",
            Auth::Cookie(&w.operator),
            &json!({ "title": "明细", "purpose": "x", "sql": "SELECT account_no FROM water_use", "files": [] }),
        )
        .await;
    r.error(422, "validation_failed");
    assert_eq!(
        t.get("/api/v1/releases", Auth::Cookie(&w.operator))
            .await
            .expect(200)
            .json(),
        json!([])
    );

    let id = request(&t, &w.operator, json!([])).await.expect(201).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    verdict(&t, &w.bureau_reviewer, &id, "reject", None)
        .await
        .error(422, "validation_failed");
    let v = verdict(
        &t,
        &w.bureau_reviewer,
        &id,
        "reject",
        Some("结果可能识别到户"),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        (v["status"].as_str(), v["appealable"].as_bool()),
        (Some("rejected"), Some(true))
    );
    // Final: no new files, no withdrawal.
    t.post(
        &format!("/api/v1/releases/{id}/withdraw"),
        Auth::Cookie(&w.operator),
        &json!({}),
    )
    .await
    .error(409, "egress.final");
    // Appeals go to the agency and are the affected participant's alone.
    let e = t
        .post(
            "/api/v1/appeals",
            Auth::Cookie(&w.bank),
            &json!({ "subject_kind": "egress", "subject_id": id, "grounds": "请求复核" }),
        )
        .await;
    e.error(409, "appeal.not_affected");
    t.assert_audit_log_verifies().await;
}

async fn long_queries_run_as_jobs_for_their_submitter_only(t: TestApp) {
    let w = world(&t).await;
    let r = t
        .post(
            "/api/v1/sandbox/jobs",
            Auth::Cookie(&w.operator),
            &json!({ "sql": TOWNSHIP_SQL }),
        )
        .await;
    r.expect(202);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let refused = t
        .post(
            "/api/v1/sandbox/jobs",
            Auth::Cookie(&w.operator),
            &json!({ "sql": "SELECT account_no FROM water_use" }),
        )
        .await;
    let refused_id = refused.expect(202).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wait = |id: String| {
        let t = &t;
        let s = &w.operator;
        async move {
            for _ in 0..200 {
                let v = t
                    .get(&format!("/api/v1/sandbox/jobs/{id}"), Auth::Cookie(s))
                    .await
                    .expect(200)
                    .json();
                if v["status"] != "running" {
                    return v;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            panic!("job {id} did not finish");
        }
    };
    let done = wait(id.clone()).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["result"]["rows"][0]["values"][1], 20);
    let failed = wait(refused_id).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["result"]["fields"][0]["code"], "sandbox.R3.2",
        "{failed}"
    );
    // Only the submitter sees a job.
    t.get(&format!("/api/v1/sandbox/jobs/{id}"), Auth::Cookie(&w.bank))
        .await
        .expect(404);
    let mine = t
        .get("/api/v1/sandbox/jobs", Auth::Cookie(&w.operator))
        .await
        .expect(200)
        .json();
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert_eq!(t.audit_of("sandbox.job_accepted").await.len(), 2);
    assert_eq!(t.audit_of("sandbox.job_finished").await.len(), 2);
    t.assert_audit_log_verifies().await;
}
