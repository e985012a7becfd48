//! A month of metered product calls: rated with tiers, free use at zero,
//! split into revenue shares that sum exactly, booked in the journal;
//! corrected by a credit note; costs, reversals and closing.

use chrono::TimeDelta;

use super::*;

crate::on_both_backends!(a_month_of_calls_is_billed_shared_booked_and_closed);

async fn a_month_of_calls_is_billed_shared_booked_and_closed(t: TestApp) {
    let p = priced(&t).await;
    let (_ndrc, agency, operator) = capped(&t, &p, 100, 1_000_000).await;
    t.post(
        "/api/v1/pricing/prices",
        Auth::Cookie(&operator),
        &price(&p.product, "2026-03-01", &[(0, 80), (3, 60)]),
    )
    .await
    .expect(201);
    let e = t
        .post(
            "/api/v1/revenue-shares/rules",
            Auth::Cookie(&agency),
            &shares(None, "33.33", "33.33", "33.333"),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "pricing.shares_invalid", "{e}");
    t.post(
        "/api/v1/revenue-shares/rules",
        Auth::Cookie(&agency),
        &shares(None, "33.33", "33.33", "33.34"),
    )
    .await
    .expect(201);
    let e = t
        .post(
            "/api/v1/revenue-shares/regulator-costs",
            Auth::Cookie(&agency),
            &json!({ "month": "2026-03", "regulator_org": p.m.w.orgs.bank, "amount_fen": 50, "memo": "行业监管成本" }),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "pricing.not_a_regulator", "{e}");
    t.post(
        "/api/v1/revenue-shares/regulator-costs",
        Auth::Cookie(&agency),
        &json!({ "month": "2026-03", "regulator_org": p.m.w.orgs.regulator, "amount_fen": 50, "memo": "行业监管成本" }),
    )
    .await
    .expect(201);

    // Five consented verification calls and two free statistics calls.
    for i in [5, 5, 6, 5, 6] {
        verify(&t, &p, i).await;
    }
    free_call(&t, &p).await;
    free_call(&t, &p).await;
    t.post(
        "/api/v1/billing/statements",
        Auth::Cookie(&operator),
        &json!({ "month": "2026-03" }),
    )
    .await
    .error(409, "billing.month_open");

    t.advance(TimeDelta::days(31));
    let operator = t.login(&p.officer).await;
    let approver = t.login(&p.approver).await;
    let agency = t.login(&p.agency).await;
    let bank = t
        .login(
            &t.create_user(
                &t.login(&t.admin).await,
                &p.bank.org,
                "bank.reader",
                &["case_officer"],
            )
            .await,
        )
        .await;
    let issued = t
        .post(
            "/api/v1/billing/statements",
            Auth::Cookie(&operator),
            &json!({ "month": "2026-03" }),
        )
        .await
        .expect(201)
        .json();
    let st = &issued[0];
    assert_eq!(issued.as_array().unwrap().len(), 1, "{issued}");
    assert_eq!(st["participant_org"], p.bank.org);
    // 3 × 0.80 + 2 × 0.60 band by band; welfare calls at zero.
    let lines = st["lines"].as_array().unwrap();
    let charged = lines
        .iter()
        .find(|l| l["product_id"] == p.product.as_str())
        .unwrap();
    let free = lines
        .iter()
        .find(|l| l["product_id"] == p.free.as_str())
        .unwrap();
    assert_eq!(
        (charged["units"].as_i64(), charged["amount"].as_i64()),
        (Some(5), Some(360))
    );
    assert_eq!(
        (free["calls"].as_i64(), free["amount"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(st["total"], 360);
    // 33.33 / 33.33 / 33.34 % of 360 fen, largest remainder: 120 each; the
    // regulator's 50 fen come out of the government's part.
    let s = &charged["shares"];
    assert_eq!(
        [
            s["government"].as_i64(),
            s["operator"].as_i64(),
            s["market"].as_i64()
        ],
        [Some(120); 3]
    );
    assert_eq!(
        (s["regulator_costs"].as_i64(), s["treasury"].as_i64()),
        (Some(50), Some(70))
    );
    // Issuing again issues nothing new.
    let again = t
        .post(
            "/api/v1/billing/statements",
            Auth::Cookie(&operator),
            &json!({ "month": "2026-03" }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(again, json!([]));
    assert_books_hold(&t, &agency).await;

    // A correction is a credit note, never an edit; it cannot exceed the bill.
    let path = format!(
        "/api/v1/billing/statements/{}/credit-notes",
        st["id"].as_str().unwrap()
    );
    let e = t
        .post(
            &path,
            Auth::Cookie(&operator),
            &json!({ "amount_fen": 361, "reason": "多计" }),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "billing.credit_exceeds", "{e}");
    t.post(
        &path,
        Auth::Cookie(&operator),
        &json!({ "amount_fen": 0, "reason": "多计" }),
    )
    .await
    .error(422, "validation_failed");
    let v = t
        .post(
            &path,
            Auth::Cookie(&operator),
            &json!({ "amount_fen": 100, "reason": "系统故障期间的调用不计费" }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(
        (
            v["total"].as_i64(),
            v["credited"].as_i64(),
            v["net"].as_i64()
        ),
        (Some(360), Some(100), Some(260))
    );
    // The bank pays; the operator pays out the shares; never more than open.
    let receipts = format!(
        "/api/v1/billing/statements/{}/receipts",
        st["id"].as_str().unwrap()
    );
    let pay = |amount: i64| json!({ "amount_fen": amount, "date": "2026-04-02", "reference": "JS20260402001" });
    let e = t
        .post(&receipts, Auth::Cookie(&operator), &pay(261))
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "billing.receipt_exceeds", "{e}");
    t.post(&receipts, Auth::Cookie(&operator), &pay(200))
        .await
        .expect(201);
    // A credit note may not exceed what is still open either.
    let e = t
        .post(
            &path,
            Auth::Cookie(&operator),
            &json!({ "amount_fen": 61, "reason": "多计" }),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "billing.credit_exceeds", "{e}");
    let payout = |payee: &str, amount: i64| json!({ "payee": payee, "amount_fen": amount, "date": "2026-04-02", "reference": "ZF20260402001" });
    // Government 70 − 20 credited = 50 fen payable.
    let e = t
        .post(
            "/api/v1/accounts/payouts",
            Auth::Cookie(&operator),
            &payout("government", 51),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "accounting.payout_exceeds", "{e}");
    t.post(
        "/api/v1/accounts/payouts",
        Auth::Cookie(&operator),
        &payout("government", 50),
    )
    .await
    .expect(201);
    t.post(
        "/api/v1/accounts/payouts",
        Auth::Cookie(&bank),
        &payout("market", 1),
    )
    .await
    .error(403, "forbidden");

    // The participant sees its own statement, corrected.
    let mine = t
        .get("/api/v1/billing/statements", Auth::Cookie(&bank))
        .await
        .expect(200)
        .json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["net"], 260);
    assert_eq!(mine[0]["received"], 200);
    assert_eq!(mine[0]["outstanding"], 60);
    assert_books_hold(&t, &agency).await;

    // Costs, and a reversal instead of an edit.
    let cost = t
        .post(
            "/api/v1/accounts/costs",
            Auth::Cookie(&operator),
            &json!({ "date": "2026-04-02", "category": "labour", "amount_fen": 10_000, "memo": "四月数据工程师工资" }),
        )
        .await
        .expect(201)
        .json();
    for (body, code) in [
        (
            json!({ "date": "2026-04-02", "category": "labour", "amount_fen": -1, "memo": "x" }),
            "pricing.negative_amount",
        ),
        (
            json!({ "date": "2026-04-02", "category": "labour", "amount_fen": 1, "memo": " " }),
            "accounting.memo_required",
        ),
        (
            json!({ "date": "2026-05-02", "category": "labour", "amount_fen": 1, "memo": "x" }),
            "accounting.future_period",
        ),
    ] {
        let e = t
            .post("/api/v1/accounts/costs", Auth::Cookie(&operator), &body)
            .await
            .error(422, "validation_failed");
        assert_eq!(e["fields"][0]["code"], code, "{body}");
    }
    let rev = format!(
        "/api/v1/accounts/entries/{}/reversal",
        cost["id"].as_str().unwrap()
    );
    let r = t
        .post(
            &rev,
            Auth::Cookie(&operator),
            &json!({ "reason": "金额录错" }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(r["lines"][0]["credit"], 10_000);
    t.post(&rev, Auth::Cookie(&operator), &json!({ "reason": "再冲" }))
        .await
        .error(409, "accounting.already_reversed");
    t.post(
        &format!(
            "/api/v1/accounts/entries/{}/reversal",
            r["id"].as_str().unwrap()
        ),
        Auth::Cookie(&operator),
        &json!({ "reason": "冲销的冲销" }),
    )
    .await
    .error(409, "accounting.reversal_of_reversal");
    let entries = t
        .get(
            "/api/v1/accounts/entries?from=2026-03&to=2026-04",
            Auth::Cookie(&agency),
        )
        .await
        .expect(200)
        .json();
    let kinds: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source_kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "statement",
            "credit_note",
            "receipt",
            "payout",
            "cost",
            "reversal"
        ]
    );
    assert_eq!(entries[4]["reversed_by"], r["id"]);

    // The income statement: revenue net of the credit, shares, no cost left.
    let is = t
        .get(
            "/api/v1/accounts/income-statement?year=2026",
            Auth::Cookie(&agency),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(is["total"]["revenue"], 260);
    assert_eq!(is["total"]["revenue_shares"], 240 - 67);
    assert_eq!(is["total"]["total_cost"], 0);
    assert_eq!(is["total"]["operating_result"], 260 - 173);

    // The revenue-share statement: March shares, April's credit note.
    let rs = t
        .get(
            "/api/v1/accounts/revenue-shares?from=2026-03&to=2026-04",
            Auth::Cookie(&agency),
        )
        .await
        .expect(200)
        .json();
    let row = |i: usize, k: &str| rs[i][k].as_i64().unwrap();
    assert_eq!(
        [
            row(0, "revenue"),
            row(0, "government"),
            row(0, "regulator_costs"),
            row(0, "market"),
            row(0, "operator")
        ],
        [360, 70, 50, 120, 120]
    );
    assert_eq!(
        [
            row(1, "revenue"),
            row(1, "government"),
            row(1, "regulator_costs"),
            row(1, "market"),
            row(1, "operator")
        ],
        [-100, -20, -14, -33, -33]
    );
    t.get(
        "/api/v1/accounts/revenue-shares?from=2026-03&to=2026-04",
        Auth::Cookie(&bank),
    )
    .await
    .error(403, "finance.not_a_reader");

    // Closing: approver only, ended months only, once; then nothing books there.
    t.post(
        "/api/v1/accounts/periods/2026-03/closing",
        Auth::Cookie(&operator),
        &json!({}),
    )
    .await
    .error(403, "accounting.close_needs_approver");
    t.post(
        "/api/v1/accounts/periods/2026-04/closing",
        Auth::Cookie(&approver),
        &json!({}),
    )
    .await
    .error(409, "accounting.month_open");
    let c = t
        .post(
            "/api/v1/accounts/periods/2026-03/closing",
            Auth::Cookie(&approver),
            &json!({}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        c["trial_balance"]["total_debit"],
        c["trial_balance"]["total_credit"]
    );
    t.post(
        "/api/v1/accounts/periods/2026-03/closing",
        Auth::Cookie(&approver),
        &json!({}),
    )
    .await
    .error(409, "accounting.period_closed");
    t.post(
        "/api/v1/accounts/costs",
        Auth::Cookie(&operator),
        &json!({ "date": "2026-03-20", "category": "labour", "amount_fen": 1, "memo": "补记" }),
    )
    .await
    .error(409, "accounting.period_closed");

    for action in [
        "billing.statement_issued",
        "billing.credit_note_issued",
        "finance.cost_recorded",
        "finance.entry_reversed",
        "finance.month_closed",
        "revenue_share.rule_set",
        "revenue_share.regulator_cost_recorded",
        "billing.receipt_recorded",
        "revenue_share.paid_out",
    ] {
        assert_eq!(t.audit_of(action).await.len(), 1, "{action}");
    }
    assert_books_hold(&t, &agency).await;
    t.assert_audit_log_verifies().await;
}
