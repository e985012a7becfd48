//! A year over its maximum allowed revenue is clawed back next year; the
//! annual report and the disclosures are generated from the records and
//! open as real xlsx workbooks; the public sees only the disclosures.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::TimeDelta;

use super::*;

crate::on_both_backends!(overage_is_clawed_back_and_reports_open_as_xlsx);

fn small_period(year: i64) -> Value {
    let mut v = period(year);
    v["costs"] = json!([{ "category": "data_procurement", "amount_fen": 200, "note": "" }]);
    v["taxes_fen"] = json!(0);
    v
}

fn workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap()
}

fn rows_of(wb: &mut Xlsx<Cursor<Vec<u8>>>, prefix: &str) -> Vec<Vec<Data>> {
    let name = wb
        .sheet_names()
        .into_iter()
        .find(|n| n.starts_with(prefix))
        .unwrap();
    wb.worksheet_range(&name)
        .unwrap()
        .rows()
        .map(<[Data]>::to_vec)
        .collect()
}

async fn overage_is_clawed_back_and_reports_open_as_xlsx(t: TestApp) {
    let p = priced(&t).await;
    let ndrc = t.login(&p.ndrc).await;
    let agency = t.login(&p.agency).await;
    let operator = t.login(&p.officer).await;
    // 200 fen of cost + 7.90 % (15.8 → 16 fen) = 216 fen.
    let v = t
        .post(
            "/api/v1/pricing/periods",
            Auth::Cookie(&ndrc),
            &small_period(2026),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(v["breakdown"]["maximum_allowed_revenue"], 216);
    t.post(
        "/api/v1/pricing/caps",
        Auth::Cookie(&agency),
        &cap(&p.product, 2026, 100, 2),
    )
    .await
    .expect(201);
    t.post(
        "/api/v1/pricing/prices",
        Auth::Cookie(&operator),
        &price(&p.product, "2026-03-01", &[(0, 100)]),
    )
    .await
    .expect(201);
    t.post(
        "/api/v1/revenue-shares/rules",
        Auth::Cookie(&agency),
        &shares(Some(&p.product), "30", "60", "10"),
    )
    .await
    .expect(201);
    // A rule for the scenario alone: the product's own rule is more specific.
    let mut by_scenario = shares(None, "50", "40", "10");
    by_scenario["scenario"] = json!(crate::products::SCENARIO);
    t.post(
        "/api/v1/revenue-shares/rules",
        Auth::Cookie(&agency),
        &by_scenario,
    )
    .await
    .expect(201);
    for i in [5, 6, 5] {
        verify(&t, &p, i).await;
    }

    t.advance(TimeDelta::days(309));
    let ndrc = t.login(&p.ndrc).await;
    let agency = t.login(&p.agency).await;
    let operator = t.login(&p.officer).await;
    let bank = t
        .login(
            &t.create_user(
                &t.login(&t.admin).await,
                &p.bank.org,
                "bank.viewer",
                &["case_officer"],
            )
            .await,
        )
        .await;
    t.post(
        "/api/v1/billing/statements",
        Auth::Cookie(&operator),
        &json!({ "month": "2026-03" }),
    )
    .await
    .expect(201);
    let st = t
        .get("/api/v1/billing/statements", Auth::Cookie(&operator))
        .await
        .expect(200)
        .json();
    let line = &st[0]["lines"][0];
    assert_eq!(line["scenario"], crate::products::SCENARIO);
    assert_eq!(
        line["shares"]["government"], 90,
        "30 % by the product's rule: {line}"
    );
    let o = t
        .get("/api/v1/pricing", Auth::Cookie(&ndrc))
        .await
        .expect(200)
        .json();
    assert_eq!(o["periods"][0]["revenue"], 300);
    assert_eq!(o["periods"][0]["alert"], "over");
    // 300 − 216 = 84 fen over: deducted from 2027's maximum (S-5.1).
    let next = t
        .post(
            "/api/v1/pricing/periods",
            Auth::Cookie(&ndrc),
            &small_period(2027),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(next["breakdown"]["clawback"], 84);
    assert_eq!(next["breakdown"]["maximum_allowed_revenue"], 132);
    // The ended year's caps are history now.
    let e = t
        .post(
            "/api/v1/pricing/caps",
            Auth::Cookie(&agency),
            &cap(&p.product, 2026, 50, 1),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "pricing.year_ended", "{e}");

    // The inbox: each side owes its 2026 reports by 31 March 2027 (S-7.2).
    let owed = |s: &Session| {
        let s = s.clone();
        let t = t.clone();
        async move {
            let v = t
                .get("/api/v1/inbox", Auth::Cookie(&s))
                .await
                .expect(200)
                .json();
            let mut kinds: Vec<String> = v
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["kind"].as_str().unwrap().starts_with("report."))
                .map(|i| {
                    assert_eq!(i["due_on"], "2027-03-31", "{i}");
                    i["kind"].as_str().unwrap().to_owned()
                })
                .collect();
            kinds.sort();
            kinds
        }
    };
    assert_eq!(
        owed(&operator).await,
        [
            "report.annual_operation_report",
            "report.operator_disclosure"
        ]
    );
    assert_eq!(
        owed(&agency).await,
        ["report.agency_disclosure", "report.agency_report"]
    );

    // Reports: only for an ended year, only by their producer.
    let report_of = |kind: &str, year: i64| json!({ "kind": kind, "year": year });
    t.post(
        "/api/v1/reports",
        Auth::Cookie(&operator),
        &report_of("annual_operation_report", 2027),
    )
    .await
    .error(409, "report.year_not_ended");
    t.post(
        "/api/v1/reports",
        Auth::Cookie(&operator),
        &report_of("agency_disclosure", 2026),
    )
    .await
    .error(403, "report.wrong_producer");
    t.post(
        "/api/v1/reports",
        Auth::Cookie(&agency),
        &report_of("annual_operation_report", 2026),
    )
    .await
    .error(403, "report.wrong_producer");
    // A participant is neither producer.
    t.post(
        "/api/v1/reports",
        Auth::Cookie(&bank),
        &report_of("operator_disclosure", 2026),
    )
    .await
    .error(403, "report.wrong_producer");
    t.post(
        "/api/v1/reports",
        Auth::Cookie(&operator),
        &report_of("summary", 2026),
    )
    .await
    .error(422, "validation_failed");
    let annual = t
        .post(
            "/api/v1/reports",
            Auth::Cookie(&operator),
            &report_of("annual_operation_report", 2026),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(annual["doc"]["due_on"], "2027-03-31");
    assert_eq!(owed(&operator).await, ["report.operator_disclosure"]);
    assert_eq!(annual["late"], false);
    assert_eq!(annual["doc"]["sections"].as_array().unwrap().len(), 7);
    let id = annual["id"].as_str().unwrap();
    let r = t
        .get(&format!("/api/v1/reports/{id}/xlsx"), Auth::Cookie(&agency))
        .await;
    r.expect(200);
    let mut wb = workbook(&r.body);
    assert_eq!(wb.sheet_names()[0], "封面");
    let cover = rows_of(&mut wb, "封面");
    assert_eq!(
        cover[0][0],
        Data::String("2026 年度公共数据资源授权运营年度报告".into())
    );
    assert!(cover.iter().any(|row| row.get(1) == Some(&Data::String(annual["sha256"].as_str().unwrap().into()))));
    // Sales: 3 calls, with a SUM total row; the income table in yuan.
    let sales = rows_of(&mut wb, "4");
    let total = sales
        .iter()
        .find(|row| row[0] == Data::String("合计".into()))
        .unwrap();
    assert_eq!(total[1], Data::Float(3.0), "{sales:?}");
    let income = rows_of(&mut wb, "5");
    let revenue = income
        .iter()
        .find(|row| row[0] == Data::String("主营业务收入—公共数据运营服务费".into()))
        .unwrap();
    assert_eq!(revenue[1], Data::Float(3.0));

    // The agency's disclosure is public; the annual report is not.
    let disclosure = t
        .post(
            "/api/v1/reports",
            Auth::Cookie(&agency),
            &report_of("agency_disclosure", 2026),
        )
        .await
        .expect(201)
        .json();
    let public = t
        .get("/api/v1/public/disclosures", Auth::None)
        .await
        .expect(200)
        .json();
    let ids: Vec<&str> = public
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [disclosure["id"].as_str().unwrap()]);
    let caps = disclosure["doc"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == "公共数据运营服务费上限收费标准")
        .unwrap();
    assert_eq!(caps["rows"][0][1], json!({ "t": "money", "v": 100 }));
    let x = t
        .get(
            &format!(
                "/api/v1/public/disclosures/{}/xlsx",
                disclosure["id"].as_str().unwrap()
            ),
            Auth::None,
        )
        .await;
    x.expect(200);
    assert!(workbook(&x.body).sheet_names().len() >= 2);
    t.get(&format!("/api/v1/public/disclosures/{id}/xlsx"), Auth::None)
        .await
        .error(404, "not_found");
    let seen = t
        .get("/api/v1/reports", Auth::Cookie(&bank))
        .await
        .expect(200)
        .json();
    assert_eq!(seen.as_array().unwrap().len(), 1);
    // The portal lists the disclosure and the caps and prices in force; the
    // print view opens for the disclosure only.
    let portal = t
        .get("/api/v1/public/portal", Auth::None)
        .await
        .expect(200)
        .json();
    assert_eq!(portal["disclosures"][0]["id"], disclosure["id"]);
    let listed = portal["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "居民用水活跃度核验")
        .unwrap();
    assert_eq!(listed["cap"], "—", "no cap set for 2027 yet: {listed}");
    let page = t
        .get(
            &format!("/portal/disclosures/{}", disclosure["id"].as_str().unwrap()),
            Auth::None,
        )
        .await;
    page.expect(200);
    assert!(page.text().contains("公共数据运营服务费上限收费标准"));
    t.get(&format!("/portal/disclosures/{id}"), Auth::None)
        .await
        .expect(404);
    let console = t.get("/console/finance", Auth::Cookie(&operator)).await;
    console.expect(200);
    let html = console.text();
    assert!(
        html.contains("月度账单") && html.contains("2026 年度公共数据资源授权运营年度报告"),
        "{html}"
    );
    let printable = t
        .get(&format!("/console/reports/{id}"), Auth::Cookie(&agency))
        .await;
    printable.expect(200);
    assert!(printable.text().contains("合计"));
    assert_eq!(t.audit_of("report.generated").await.len(), 2);
    assert_books_hold(&t, &agency).await;
    t.assert_audit_log_verifies().await;
}
