//! HTTP routes of pricing, billing, revenue sharing, the separate account
//! and the reports (S-5.1, S-5.2, S-5.3, S-6.6, S-7.2).

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongshu_app::AppError;
use gongshu_app::finance::reports::{self, ReportKind};
use gongshu_app::finance::{billing, journal, payments, pricing, xlsx};
use serde::Deserialize;

use crate::api::{Body, RouteDoc};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "get",
        path: "/api/v1/pricing",
        summary: "价格总览（最高准许收入、上限、具体收费标准、分配规则）",
        description: "Pricing periods with their worked maximum allowed revenue and the revenue booked against it (alert `near` at 90 %, `over` above), caps in force, every actual price, share rules and the sector regulators' costs. For the implementing agency, data bureau, pricing authority, finance bureau and operator (403 `finance.not_a_reader` otherwise).",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/pricing/periods",
        summary: "核定年度最高准许收入（发展改革部门）",
        description: "Body `{\"year\", \"trial\", \"treasury_yield_pct\": \"1.90\", \"yield_source\", \"markup_pct\": \"6\", \"profit_base\": \"operating_cost\"|\"effective_assets\", \"costs\": [{\"category\", \"amount_fen\", \"note\"}], \"effective_assets_fen\", \"taxes_fen\"}`. Maximum allowed revenue = operating cost + base × (yield + markup) + taxes − last year's revenue above last year's maximum (S-5.1); rates are exact decimals, the profit is rounded once to the fen half away from zero. 409 `pricing.period_exists` for a second period of a year; 422 naming the field; 403 for anyone but the pricing authority. 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/pricing/caps",
        summary: "制定上限收费标准（实施机构）",
        description: "Body `{\"product_id\", \"year\", \"cap_fen\", \"forecast_units\", \"report_note\"}`. The caps of the year times their forecast volumes must stay within the maximum allowed revenue (422 `pricing.caps_exceed_mar`); `report_note` records the written report to the pricing authority and the data bureau. An actual price above the new cap is lowered to it (`lowered_price`). 409 `pricing.no_period` before the year's maximum is set. 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/pricing/prices",
        summary: "制定具体收费标准（运营机构）",
        description: "Body `{\"product_id\", \"effective_from\": \"YYYY-MM-01\", \"tiers\": [{\"from_units\": 0, \"unit_price\": fen}, …]}`: a flat or tiered (阶梯, band by band per month) price, never above the cap (422 `pricing.above_cap` naming the tier), never retroactive (422 `pricing.retroactive`), zero for public governance and welfare (422 `pricing.free_not_zero`). 409 `pricing.no_cap` without a cap. 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/revenue-shares/rules",
        summary: "制定收益分配规则（实施机构）",
        description: "Body `{\"product_id\"?: …, \"scenario\"?: …, \"effective_from\", \"government_pct\", \"operator_pct\", \"market_pct\"}` (percent, two decimals, summing to 100; 422 `pricing.shares_invalid`). The most specific rule applies: product and scenario, product, scenario, then the default (neither). 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/revenue-shares/regulator-costs",
        summary: "登记行业主管部门成本（计入政府分成）",
        description: "Body `{\"month\": \"YYYY-MM\", \"regulator_org\", \"amount_fen\", \"memo\"}`: paid from the government's share of that month's statements (S-5.2). 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/billing/statements",
        summary: "出具月度账单（运营机构）",
        description: "Body `{\"month\": \"YYYY-MM\"}` of a month that has ended: one statement per participant with metered product calls and none yet for the month, rated with the price in force on the month's first day (lowered to the cap, zero for public governance and welfare), each line split into revenue shares (largest remainder, parts sum exactly) and booked in the journal. Running it again issues only missing statements. 409 `billing.month_open`, `accounting.period_closed`, `billing.no_share_rule`. 201 with the statements issued; audited per statement.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/billing/statements",
        summary: "月度账单",
        description: "A participant sees its own statements; finance readers see all. Each with its lines, shares, credit notes and net amount.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/billing/statements/{id}/credit-notes",
        summary: "开具红字更正（贷项通知）",
        description: "Body `{\"amount_fen\", \"reason\"}`: a correction is a credit note booked in the current month, never an edit; revenue and shares are reduced in the statement's proportions. 422 `billing.credit_exceeds` above what is left. 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/billing/statements/{id}/receipts",
        summary: "登记收款",
        description: "Body `{\"amount_fen\", \"date\", \"reference\"}`: the participant's payment (Dr bank, Cr receivable); at most the statement's outstanding amount (422 `billing.receipt_exceeds`). 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/accounts/payouts",
        summary: "支付分成",
        description: "Body `{\"payee\": \"government\"|\"regulators\"|\"market\", \"amount_fen\", \"date\", \"reference\"}`: pays out a share (Dr payable, Cr bank); at most what is payable (422 `accounting.payout_exceeds`). 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/accounts/costs",
        summary: "记录授权运营成本（专账）",
        description: "Body `{\"date\", \"category\", \"amount_fen\", \"memo\"}` with a cost-survey category (`data_procurement`, `product_development`, `compute_storage`, `security_compliance`, `labour`, `service_operation`, `other`). Debit cost, credit payable. 409 `accounting.period_closed`. 201; audited.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/accounts/entries",
        summary: "专账分录",
        description: "Query `from`, `to` (`YYYY-MM`). Entries in posting order with their lines, what produced them and reversals. The journal is append-only: no route edits or deletes an entry.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/accounts/entries/{id}/reversal",
        summary: "红字冲销分录",
        description: "Body `{\"reason\"}`. A new entry with the sides swapped, booked today. 409 `accounting.already_reversed`, `accounting.reversal_of_reversal`, `accounting.period_closed`. 201; audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/accounts/periods/{month}/closing",
        summary: "结账（运营机构审批人）",
        description: "Closes a month that has ended after checking its trial balance nets to zero; no entry may be booked in it afterwards. 409 `accounting.month_open` or `accounting.period_closed`; 403 `accounting.close_needs_approver`. Audited.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/accounts/trial-balance",
        summary: "试算平衡表",
        description: "Query `from`, `to` (`YYYY-MM`). Debits and credits per account; `total_debit` always equals `total_credit`.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/accounts/income-statement",
        summary: "利润表、成本明细与收益分成",
        description: "Query `year`. Revenue, revenue shares, costs per cost-survey category and the operating result, for the year and each month.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/accounts/revenue-shares",
        summary: "收益分配表",
        description: "Query `from`, `to` (`YYYY-MM`). Per month from the journal: fee revenue net of credit notes, the government's share (regulators' costs apart), the regulators' cost compensation, the secondary market's share and the operator's remainder; the parts sum to the revenue exactly.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/reports",
        summary: "编制年度报告或信息披露",
        description: "Body `{\"kind\", \"year\"}` for a year that has ended: `annual_operation_report` and `operator_disclosure` by the operator, `agency_disclosure` and `agency_report` (to the county government and the city) by the implementing agency (S-7.2; due 31 March of the next year). Generated from the platform's own records, stored with its SHA-256. 201; audited.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/reports",
        summary: "报告与披露列表",
        description: "All reports for finance readers; the public disclosures for everyone else.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/reports/{id}",
        summary: "报告内容",
        description: "The report's tables as JSON.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/reports/{id}/xlsx",
        summary: "导出 xlsx",
        description: "The report as an xlsx workbook: a cover sheet with the digest, one sheet per table, totals as `SUM` formulas.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/public/disclosures",
        summary: "公开信息披露（无需登录）",
        description: "The annual disclosures of the implementing agency and the operator (S-7.2-1), newest first.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/public/disclosures/{id}/xlsx",
        summary: "公开信息披露 xlsx（无需登录）",
        description: "A public disclosure as an xlsx workbook.",
    },
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/pricing", get(overview))
        .route("/api/v1/pricing/periods", post(set_period))
        .route("/api/v1/pricing/caps", post(set_cap))
        .route("/api/v1/pricing/prices", post(set_price))
        .route("/api/v1/revenue-shares/rules", post(set_share_rule))
        .route(
            "/api/v1/revenue-shares/regulator-costs",
            post(regulator_cost),
        )
        .route("/api/v1/billing/statements", post(issue).get(statements))
        .route(
            "/api/v1/billing/statements/{id}/credit-notes",
            post(credit_note),
        )
        .route("/api/v1/billing/statements/{id}/receipts", post(receipt))
        .route("/api/v1/accounts/payouts", post(payout))
        .route("/api/v1/accounts/costs", post(cost))
        .route("/api/v1/accounts/entries", get(entries))
        .route("/api/v1/accounts/entries/{id}", get(entry))
        .route("/api/v1/accounts/entries/{id}/reversal", post(reverse))
        .route("/api/v1/accounts/periods/{month}/closing", post(close))
        .route("/api/v1/accounts/trial-balance", get(trial_balance))
        .route("/api/v1/accounts/income-statement", get(income_statement))
        .route("/api/v1/accounts/revenue-shares", get(revenue_shares))
        .route("/api/v1/reports", post(generate).get(list_reports))
        .route("/api/v1/reports/{id}", get(report))
        .route("/api/v1/reports/{id}/xlsx", get(report_xlsx))
        .route("/api/v1/public/disclosures", get(public_disclosures))
        .route("/api/v1/public/disclosures/{id}/xlsx", get(public_xlsx))
}

type Res = Result<Response, ApiError>;

fn created(v: impl serde::Serialize) -> Res {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn overview(State(s): State<AppState>, a: Authenticated) -> Res {
    Ok(Json(pricing::overview(&s.app, &a.actor).await?).into_response())
}

async fn set_period(
    State(s): State<AppState>,
    a: Authenticated,
    Body(b): Body<pricing::NewPricingPeriod>,
) -> Res {
    created(pricing::set_pricing_period(&s.app, &a.actor, &b).await?)
}

async fn set_cap(
    State(s): State<AppState>,
    a: Authenticated,
    Body(b): Body<pricing::NewCap>,
) -> Res {
    created(pricing::set_cap(&s.app, &a.actor, &b).await?)
}

async fn set_price(
    State(s): State<AppState>,
    a: Authenticated,
    Body(b): Body<pricing::NewPrice>,
) -> Res {
    created(pricing::set_price(&s.app, &a.actor, &b).await?)
}

async fn set_share_rule(
    State(s): State<AppState>,
    a: Authenticated,
    Body(b): Body<pricing::NewShareRule>,
) -> Res {
    created(pricing::set_share_rule(&s.app, &a.actor, &b).await?)
}

async fn regulator_cost(
    State(s): State<AppState>,
    a: Authenticated,
    Body(b): Body<pricing::NewRegulatorCost>,
) -> Res {
    created(pricing::record_regulator_cost(&s.app, &a.actor, &b).await?)
}

#[derive(Debug, Deserialize)]
struct MonthBody {
    month: String,
}

async fn issue(State(s): State<AppState>, a: Authenticated, Body(b): Body<MonthBody>) -> Res {
    created(billing::issue_statements(&s.app, &a.actor, &b.month).await?)
}

async fn statements(State(s): State<AppState>, a: Authenticated) -> Res {
    Ok(Json(billing::list_statements(&s.app, &a.actor).await?).into_response())
}

async fn credit_note(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<billing::NewCreditNote>,
) -> Res {
    created(billing::issue_credit_note(&s.app, &a.actor, &id, &b).await?)
}

async fn receipt(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<payments::NewReceipt>,
) -> Res {
    created(payments::record_receipt(&s.app, &a.actor, &id, &b).await?)
}

async fn payout(
    State(s): State<AppState>,
    a: Authenticated,
    Body(b): Body<payments::NewPayout>,
) -> Res {
    created(payments::record_payout(&s.app, &a.actor, &b).await?)
}

async fn cost(State(s): State<AppState>, a: Authenticated, Body(b): Body<journal::NewCost>) -> Res {
    created(journal::record_cost(&s.app, &a.actor, &b).await?)
}

#[derive(Debug, Deserialize)]
struct RangeQuery {
    from: String,
    to: String,
}

async fn entries(State(s): State<AppState>, a: Authenticated, Query(q): Query<RangeQuery>) -> Res {
    Ok(Json(journal::list_entries(&s.app, &a.actor, &q.from, &q.to).await?).into_response())
}

async fn entry(State(s): State<AppState>, a: Authenticated, Path(id): Path<String>) -> Res {
    Ok(Json(journal::get_entry(&s.app, &a.actor, &id).await?).into_response())
}

async fn reverse(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<journal::ReverseInput>,
) -> Res {
    created(journal::reverse_entry(&s.app, &a.actor, &id, &b).await?)
}

async fn close(State(s): State<AppState>, a: Authenticated, Path(month): Path<String>) -> Res {
    Ok(Json(journal::close_month(&s.app, &a.actor, &month).await?).into_response())
}

async fn trial_balance(
    State(s): State<AppState>,
    a: Authenticated,
    Query(q): Query<RangeQuery>,
) -> Res {
    Ok(Json(journal::trial_balance(&s.app, &a.actor, &q.from, &q.to).await?).into_response())
}

async fn revenue_shares(
    State(s): State<AppState>,
    a: Authenticated,
    Query(q): Query<RangeQuery>,
) -> Res {
    Ok(Json(journal::revenue_shares(&s.app, &a.actor, &q.from, &q.to).await?).into_response())
}

#[derive(Debug, Deserialize)]
struct YearQuery {
    year: i64,
}

async fn income_statement(
    State(s): State<AppState>,
    a: Authenticated,
    Query(q): Query<YearQuery>,
) -> Res {
    Ok(Json(journal::income_statement(&s.app, &a.actor, q.year).await?).into_response())
}

#[derive(Debug, Deserialize)]
struct ReportBody {
    kind: String,
    year: i64,
}

async fn generate(State(s): State<AppState>, a: Authenticated, Body(b): Body<ReportBody>) -> Res {
    let Some(kind) = ReportKind::parse(&b.kind) else {
        return Err(AppError::Validation(vec![gongshu_app::error::FieldError::new(
            "kind",
            "report.unknown_kind",
            "报告类型应为 annual_operation_report、operator_disclosure、agency_disclosure 或 agency_report",
        )])
        .into());
    };
    created(reports::generate(&s.app, &a.actor, kind, b.year).await?)
}

async fn list_reports(State(s): State<AppState>, a: Authenticated) -> Res {
    Ok(Json(reports::list(&s.app, Some(&a.actor)).await?).into_response())
}

async fn report(State(s): State<AppState>, a: Authenticated, Path(id): Path<String>) -> Res {
    Ok(Json(reports::get(&s.app, Some(&a.actor), &id).await?).into_response())
}

fn xlsx_response(r: &reports::ReportView) -> Res {
    let bytes = xlsx::report_xlsx(r)?;
    let disposition = format!("attachment; filename=\"{}-{}.xlsx\"", r.kind, r.year);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

async fn report_xlsx(State(s): State<AppState>, a: Authenticated, Path(id): Path<String>) -> Res {
    xlsx_response(&reports::get(&s.app, Some(&a.actor), &id).await?)
}

async fn public_disclosures(State(s): State<AppState>) -> Res {
    Ok(Json(reports::list(&s.app, None).await?).into_response())
}

async fn public_xlsx(State(s): State<AppState>, Path(id): Path<String>) -> Res {
    xlsx_response(&reports::get(&s.app, None, &id).await?)
}
