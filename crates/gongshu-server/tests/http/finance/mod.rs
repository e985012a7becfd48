//! Pricing, billing, revenue sharing, the separate account and the reports
//! over HTTP (issue 8), on the product market of `products`: the pricing
//! authority's maximum allowed revenue, the agency's caps and shares, the
//! operator's prices, a month of metered calls billed and booked, credit
//! notes, reversals, closing, claw-back and the reports as xlsx. After each
//! mutating scenario the trial balance nets to zero and no price is above
//! its cap.

use serde_json::{Value, json};

use crate::products::{
    Market, about, account, admitted, consent, listed, market, statistics, subscribe, verification,
};
use crate::support::{Auth, Creds, Session, TestApp};

mod billing;
mod pricing;
mod reports;

/// The market with one charged and one free product, the pricing
/// authority, finance staff of the operator and a subscribed bank.
pub(super) struct Priced {
    pub(super) m: Market,
    pub(super) product: String,
    pub(super) free: String,
    pub(super) ndrc: Creds,
    pub(super) agency: Creds,
    pub(super) officer: Creds,
    pub(super) approver: Creds,
    pub(super) bank: crate::products::Participant,
    pub(super) key: String,
    pub(super) free_key: String,
}

pub(super) async fn priced(t: &TestApp) -> Priced {
    let m = market(t).await;
    let product = listed(t, &m, &verification(&m)).await;
    let free = listed(t, &m, &statistics(&m)).await;
    let admin = t.login(&t.admin).await;
    let ndrc_org = t
        .create_org(&admin, "测试县发展和改革局", "pricing_authority")
        .await;
    let ndrc = t
        .create_user(&admin, &ndrc_org, "ndrc.approver", &["approver"])
        .await;
    let agency = t
        .create_user(&admin, &m.w.orgs.agency, "fa.approver", &["approver"])
        .await;
    let officer = t
        .create_user(&admin, &m.w.orgs.operator, "fo.officer", &["case_officer"])
        .await;
    let approver = t
        .create_user(&admin, &m.w.orgs.operator, "fo.approver", &["approver"])
        .await;
    let bank = admitted(t, &m, m.w.orgs.bank.clone(), "bank").await;
    let keys = subscribe(t, &m, &bank, &[&product, &free], "2027-12-31").await;
    consent(t, &bank, &account(5)).await;
    consent(t, &bank, &account(6)).await;
    Priced {
        key: keys[0].clone(),
        free_key: keys[1].clone(),
        m,
        product,
        free,
        ndrc,
        agency,
        officer,
        approver,
        bank,
    }
}

/// The cost survey of the domain's worked example (4.9 million yuan).
pub(super) fn period(year: i64) -> Value {
    json!({
        "year": year, "trial": true, "treasury_yield_pct": "1.90",
        "yield_source": "中债国债收益率曲线：上年10年期国债年均收益率",
        "markup_pct": "6", "profit_base": "operating_cost",
        "costs": [
            { "category": "data_procurement", "amount_fen": 120_000_000, "note": "向供水、供电单位采购数据" },
            { "category": "product_development", "amount_fen": 80_000_000, "note": "" },
            { "category": "compute_storage", "amount_fen": 60_000_000, "note": "" },
            { "category": "security_compliance", "amount_fen": 30_000_000, "note": "" },
            { "category": "labour", "amount_fen": 150_000_000, "note": "" },
            { "category": "service_operation", "amount_fen": 40_000_000, "note": "" },
            { "category": "other", "amount_fen": 10_000_000, "note": "" },
        ],
        "taxes_fen": 15_000_000,
    })
}

pub(super) fn cap(product: &str, year: i64, cap_fen: i64, forecast: i64) -> Value {
    json!({
        "product_id": product, "year": year, "cap_fen": cap_fen, "forecast_units": forecast,
        "report_note": "测数价〔2026〕1号，已书面报告县发展改革局、县数据局",
    })
}

pub(super) fn price(product: &str, from: &str, tiers: &[(u64, i64)]) -> Value {
    json!({
        "product_id": product, "effective_from": from,
        "tiers": tiers.iter().map(|(f, p)| json!({ "from_units": f, "unit_price": p })).collect::<Vec<_>>(),
    })
}

pub(super) fn shares(product: Option<&str>, g: &str, o: &str, mk: &str) -> Value {
    json!({
        "product_id": product, "effective_from": "2026-01-01",
        "government_pct": g, "operator_pct": o, "market_pct": mk,
    })
}

/// A verification call about account `i` (consented: 5 and 6).
pub(super) async fn verify(t: &TestApp, p: &Priced, i: usize) {
    crate::products::call(t, &p.key, &p.product, &about(&account(i), 1))
        .await
        .expect(200);
}

pub(super) async fn free_call(t: &TestApp, p: &Priced) {
    crate::products::call(
        t,
        &p.free_key,
        &p.free,
        &json!({ "scenario": crate::products::SCENARIO, "params": { "excluded": "无" } }),
    )
    .await
    .expect(200);
}

/// The trial balance of all months nets to zero, and every actual price is
/// at or under the cap of its year (both checked through the API).
pub(super) async fn assert_books_hold(t: &TestApp, reader: &Session) {
    let tb = t
        .get(
            "/api/v1/accounts/trial-balance?from=2026-01&to=2027-12",
            Auth::Cookie(reader),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(tb["total_debit"], tb["total_credit"], "{tb}");
    let o = t
        .get("/api/v1/pricing", Auth::Cookie(reader))
        .await
        .expect(200)
        .json();
    // The row in force for a (product, start) is the last one set; rows it
    // superseded (e.g. a price lowered when a lower cap came) are history.
    let mut in_force = std::collections::BTreeMap::new();
    for p in o["prices"].as_array().unwrap() {
        in_force.insert(
            (p["product_id"].to_string(), p["effective_from"].to_string()),
            p,
        );
    }
    for p in in_force.values() {
        let Some(cap) = p["cap"].as_i64() else {
            continue;
        };
        for tier in p["schedule"].as_array().unwrap() {
            assert!(
                tier["unit_price"].as_i64().unwrap() <= cap,
                "{p} above its cap"
            );
        }
    }
}

/// The people of `priced`, logged in, with the 2026 maximum and a cap of
/// `cap_fen` on the charged product.
pub(super) async fn capped(
    t: &TestApp,
    p: &Priced,
    cap_fen: i64,
    forecast: i64,
) -> (Session, Session, Session) {
    let ndrc = t.login(&p.ndrc).await;
    let agency = t.login(&p.agency).await;
    let operator = t.login(&p.officer).await;
    t.post(
        "/api/v1/pricing/periods",
        Auth::Cookie(&ndrc),
        &period(2026),
    )
    .await
    .expect(201);
    t.post(
        "/api/v1/pricing/caps",
        Auth::Cookie(&agency),
        &cap(&p.product, 2026, cap_fen, forecast),
    )
    .await
    .expect(201);
    (ndrc, agency, operator)
}
