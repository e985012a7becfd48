//! From the cost survey to the maximum allowed revenue, caps within it and
//! the operator's prices under the caps; each role tries what it must not.

use super::*;

crate::on_both_backends!(
    cost_survey_to_maximum_allowed_revenue_caps_and_prices,
    each_role_is_refused_what_it_must_not_do,
    the_price_form_keeps_entries_and_names_errors,
);

async fn cost_survey_to_maximum_allowed_revenue_caps_and_prices(t: TestApp) {
    let p = priced(&t).await;
    let ndrc = t.login(&p.ndrc).await;
    let agency = t.login(&p.agency).await;
    let operator = t.login(&p.officer).await;

    // S-5.1: operating cost 4.9 million + 7.90 % profit + taxes.
    let v = t
        .post(
            "/api/v1/pricing/periods",
            Auth::Cookie(&ndrc),
            &period(2026),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(v["breakdown"]["operating_cost"], 490_000_000);
    assert_eq!(v["breakdown"]["profit_rate_pct"], "7.90");
    assert_eq!(v["breakdown"]["allowed_profit"], 38_710_000);
    assert_eq!(v["breakdown"]["maximum_allowed_revenue"], 543_710_000);
    // Periods never overlap; bad rates are named.
    t.post(
        "/api/v1/pricing/periods",
        Auth::Cookie(&ndrc),
        &period(2026),
    )
    .await
    .error(409, "pricing.period_exists");
    let mut bad = period(2027);
    bad["treasury_yield_pct"] = json!("-1");
    let e = t
        .post("/api/v1/pricing/periods", Auth::Cookie(&ndrc), &bad)
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["field"], "treasury_yield_pct", "{e}");
    bad = period(2027);
    bad["costs"][0]["amount_fen"] = json!(-5);
    let e = t
        .post("/api/v1/pricing/periods", Auth::Cookie(&ndrc), &bad)
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "pricing.negative_amount", "{e}");

    // Caps: no period for 2027; caps above the maximum; a price on free use.
    t.post(
        "/api/v1/pricing/caps",
        Auth::Cookie(&agency),
        &cap(&p.product, 2027, 100, 10),
    )
    .await
    .error(409, "pricing.no_period");
    let e = t
        .post(
            "/api/v1/pricing/caps",
            Auth::Cookie(&agency),
            &cap(&p.product, 2026, 100, 6_000_000),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "pricing.caps_exceed_mar", "{e}");
    let e = t
        .post(
            "/api/v1/pricing/caps",
            Auth::Cookie(&agency),
            &cap(&p.free, 2026, 1, 10),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "pricing.free_not_zero", "{e}");
    let c = t
        .post(
            "/api/v1/pricing/caps",
            Auth::Cookie(&agency),
            &cap(&p.product, 2026, 100, 1_000_000),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(c["cap"], 100);
    assert_eq!(c["unit_zh"], "元/次");

    // Prices: above the cap (naming the tier), retroactive, not a month's
    // first day, priced free use; then a tiered price under the cap.
    for (body, code) in [
        (
            price(&p.product, "2026-03-01", &[(0, 80), (3, 101)]),
            "pricing.above_cap",
        ),
        (
            price(&p.product, "2026-02-01", &[(0, 80)]),
            "pricing.retroactive",
        ),
        (
            price(&p.product, "2026-03-15", &[(0, 80)]),
            "pricing.retroactive",
        ),
        (
            price(&p.product, "2026-03-01", &[(5, 80)]),
            "pricing.tiers_invalid",
        ),
        (
            price(&p.product, "2026-03-01", &[(0, -1)]),
            "pricing.negative_amount",
        ),
        (
            price(&p.free, "2026-03-01", &[(0, 10)]),
            "pricing.free_not_zero",
        ),
    ] {
        let e = t
            .post("/api/v1/pricing/prices", Auth::Cookie(&operator), &body)
            .await
            .error(422, "validation_failed");
        assert_eq!(e["fields"][0]["code"], code, "{body} {e}");
    }
    let e = t
        .post(
            "/api/v1/pricing/prices",
            Auth::Cookie(&operator),
            &price(&p.product, "2026-03-01", &[(0, 80), (3, 101)]),
        )
        .await
        .json();
    assert!(
        e["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("第 2 档"),
        "{e}"
    );
    let before = t
        .get("/api/v1/pricing", Auth::Cookie(&operator))
        .await
        .json();
    assert_eq!(
        before["prices"].as_array().unwrap().len(),
        0,
        "refusals changed nothing"
    );
    t.post(
        "/api/v1/pricing/prices",
        Auth::Cookie(&operator),
        &price(&p.product, "2026-03-01", &[(0, 80), (3, 60)]),
    )
    .await
    .expect(201);

    // A lower cap lowers the price above it (S-5.1).
    let c = t
        .post(
            "/api/v1/pricing/caps",
            Auth::Cookie(&agency),
            &cap(&p.product, 2026, 70, 1_000_000),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(
        c["lowered_price"],
        json!([{ "from_units": 0, "unit_price": 70 }, { "from_units": 3, "unit_price": 60 }])
    );
    let o = t
        .get("/api/v1/pricing", Auth::Cookie(&agency))
        .await
        .expect(200)
        .json();
    let prices = o["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 2);
    assert_eq!(prices[1]["origin"], "lowered_to_cap");
    assert_eq!(
        o["caps"].as_array().unwrap().len(),
        1,
        "one cap in force per product"
    );
    assert_eq!(o["periods"][0]["revenue"], 0);

    assert_eq!(t.audit_of("pricing.period_set").await.len(), 1);
    assert_eq!(t.audit_of("pricing.cap_set").await.len(), 2);
    assert_eq!(t.audit_of("pricing.price_set").await.len(), 1);
    assert_books_hold(&t, &agency).await;
    t.assert_audit_log_verifies().await;
}

async fn each_role_is_refused_what_it_must_not_do(t: TestApp) {
    let p = priced(&t).await;
    let ndrc = t.login(&p.ndrc).await;
    let agency = t.login(&p.agency).await;
    let operator = t.login(&p.officer).await;
    let bank = &p.bank.officer;
    t.post(
        "/api/v1/pricing/periods",
        Auth::Cookie(&ndrc),
        &period(2026),
    )
    .await
    .expect(201);

    // Only the pricing authority sets the maximum allowed revenue.
    t.post(
        "/api/v1/pricing/periods",
        Auth::Cookie(&agency),
        &period(2027),
    )
    .await
    .error(403, "pricing.not_pricing_authority");
    for s in [&operator, bank] {
        t.post("/api/v1/pricing/periods", Auth::Cookie(s), &period(2027))
            .await
            .error(403, "forbidden");
    }
    // Only the agency sets caps and shares.
    t.post(
        "/api/v1/pricing/caps",
        Auth::Cookie(&ndrc),
        &cap(&p.product, 2026, 100, 1),
    )
    .await
    .error(403, "pricing.not_agency");
    for s in [&operator, bank] {
        t.post(
            "/api/v1/pricing/caps",
            Auth::Cookie(s),
            &cap(&p.product, 2026, 100, 1),
        )
        .await
        .error(403, "forbidden");
        t.post(
            "/api/v1/revenue-shares/rules",
            Auth::Cookie(s),
            &shares(None, "30", "60", "10"),
        )
        .await
        .error(403, "forbidden");
    }
    // Only the operator prices, bills and books.
    t.post(
        "/api/v1/pricing/caps",
        Auth::Cookie(&agency),
        &cap(&p.product, 2026, 100, 1),
    )
    .await
    .expect(201);
    for s in [&agency, &ndrc, bank] {
        t.post(
            "/api/v1/pricing/prices",
            Auth::Cookie(s),
            &price(&p.product, "2026-03-01", &[(0, 50)]),
        )
        .await
        .error(403, "forbidden");
        t.post(
            "/api/v1/billing/statements",
            Auth::Cookie(s),
            &json!({ "month": "2026-02" }),
        )
        .await
        .error(403, "forbidden");
        t.post(
            "/api/v1/accounts/costs",
            Auth::Cookie(s),
            &json!({ "date": "2026-03-02", "category": "labour", "amount_fen": 100, "memo": "工资" }),
        )
        .await
        .error(403, "forbidden");
    }
    // The secondary market reads neither the journal nor the prices book.
    for path in [
        "/api/v1/pricing",
        "/api/v1/accounts/entries?from=2026-01&to=2026-12",
        "/api/v1/accounts/trial-balance?from=2026-01&to=2026-12",
        "/api/v1/accounts/income-statement?year=2026",
    ] {
        t.get(path, Auth::Cookie(bank))
            .await
            .error(403, "finance.not_a_reader");
    }
    // An API key is not a finance officer.
    let r = t
        .post(
            "/api/v1/pricing/prices",
            Auth::BearerKey(&p.key),
            &price(&p.product, "2026-03-01", &[(0, 50)]),
        )
        .await;
    assert!(matches!(r.status.as_u16(), 401 | 403), "{}", r.text());
    let o = t.get("/api/v1/pricing", Auth::Cookie(&agency)).await.json();
    assert_eq!(
        o["prices"].as_array().unwrap().len(),
        0,
        "no refused price was stored"
    );
    assert_books_hold(&t, &agency).await;
}

async fn the_price_form_keeps_entries_and_names_errors(t: TestApp) {
    let p = priced(&t).await;
    let (_ndrc, agency, operator) = capped(&t, &p, 100, 1_000).await;
    let submit = |price: &str, tier2: (&str, &str)| {
        let body = format!(
            "csrf={}&product_id={}&effective_from=2026-03-01&price={price}&tier2_from={}&tier2_price={}",
            operator.csrf, p.product, tier2.0, tier2.1
        );
        let t = t.clone();
        let operator = operator.clone();
        async move {
            let r = t
                .send(
                    axum::http::Method::POST,
                    "/console/finance/prices",
                    Auth::Cookie(&operator),
                    Some(("application/x-www-form-urlencoded", body.into_bytes())),
                )
                .await;
            r.expect(200);
            r.text()
        }
    };
    // A malformed price: named next to the field, the entry kept.
    let html = submit("1.5x", ("", "")).await;
    assert!(
        html.contains("id=\"price-error\"") && html.contains("value=\"1.5x\""),
        "{html}"
    );
    // Above the cap: the rule's message next to the tiers.
    let html = submit("1.20", ("", "")).await;
    assert!(
        html.contains("id=\"tiers-error\"") && html.contains("高于上限收费标准"),
        "{html}"
    );
    // A half-filled second tier.
    let html = submit("0.80", ("4", "")).await;
    assert!(html.contains("id=\"tiers-error\""), "{html}");
    let o = t.get("/api/v1/pricing", Auth::Cookie(&agency)).await.json();
    assert_eq!(o["prices"].as_array().unwrap().len(), 0, "nothing stored");
    // Two tiers: 0.80 for calls 1–3, 0.60 from the 4th.
    let html = submit("0.80", ("4", "0.60")).await;
    assert!(html.contains("已保存"), "{html}");
    let o = t.get("/api/v1/pricing", Auth::Cookie(&agency)).await.json();
    assert_eq!(
        o["prices"][0]["schedule"],
        json!([{ "from_units": 0, "unit_price": 80 }, { "from_units": 3, "unit_price": 60 }])
    );
    // The agency's cap form: bad entries named and kept; a lower cap lowers
    // the price just saved.
    let cap_form = |cap: &str, note: &str| {
        let body = format!(
            "csrf={}&product_id={}&year=2026&cap={cap}&forecast_units=1000&report_note={note}",
            agency.csrf, p.product
        );
        let t = t.clone();
        let agency = agency.clone();
        async move {
            let r = t
                .send(
                    axum::http::Method::POST,
                    "/console/finance/caps",
                    Auth::Cookie(&agency),
                    Some(("application/x-www-form-urlencoded", body.into_bytes())),
                )
                .await;
            r.expect(200);
            r.text()
        }
    };
    let html = cap_form("0.7x", "DOC-1").await;
    assert!(
        html.contains("id=\"cap-error\"") && html.contains("value=\"0.7x\""),
        "{html}"
    );
    let html = cap_form("0.70", "").await;
    assert!(html.contains("id=\"report_note-error\""), "{html}");
    let html = cap_form("0.70", "DOC-2").await;
    assert!(html.contains("已下调至上限"), "{html}");
    let o = t.get("/api/v1/pricing", Auth::Cookie(&agency)).await.json();
    assert_eq!(o["prices"][1]["origin"], "lowered_to_cap");
    // The operator has no cap form and cannot post one.
    let denied = t
        .send(
            axum::http::Method::POST,
            "/console/finance/caps",
            Auth::Cookie(&operator),
            Some((
                "application/x-www-form-urlencoded",
                format!(
                    "csrf={}&product_id={}&year=2026&cap=0.10&forecast_units=1&report_note=X",
                    operator.csrf, p.product
                )
                .into_bytes(),
            )),
        )
        .await;
    assert!(
        denied.text().contains("无权执行此操作"),
        "{}",
        denied.text()
    );
    assert_books_hold(&t, &agency).await;
}
