//! Demo step: government-guided pricing and the money of the first month.
//! The pricing authority sets the (trial) maximum allowed revenue from the
//! cost survey, the implementing agency a cap and the revenue shares, the
//! operator a tiered price under the cap; the bank calls the product on the
//! working days of the month (the demo clock runs ahead day by day); after
//! the month end the operator issues the statement, corrects it with a
//! credit note and closes the month; after the year end it reports, both
//! sides disclose and the next year's maximum is set.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use gongshu_app::finance::reports::{self, ReportKind};
use gongshu_app::finance::{billing, journal, pricing};
use gongshu_app::products::{self, CallInput};
use gongshu_app::{Actor, App, ShiftedClock};
use gongshu_domain::accounting::Month;
use gongshu_domain::pricing::{CostCategory, ProfitBase, Tier};
use gongshu_domain::{Money, WorkingDayCalendar};
use rust_decimal::Decimal;

use crate::demo_cmd::{credit_code, e};

/// The people of the step.
pub struct Parties<'a> {
    /// The pricing authority's approver (发展改革部门).
    pub ndrc: &'a Actor,
    /// The implementing agency's approver.
    pub agency: &'a Actor,
    /// The operator's accountant (case officer).
    pub accountant: &'a Actor,
    /// The operator's finance approver (closes months).
    pub cfo: &'a Actor,
    /// The sector regulator whose costs the government's share covers.
    pub regulator_org: &'a str,
}

fn yuan(y: i64) -> i64 {
    y * 100
}

fn pct(text: &str) -> Result<Decimal, String> {
    text.parse().map_err(|x| format!("{x}"))
}

/// 10:00 in Asia/Shanghai on `day`.
fn ten_am(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap_or_default())
}

fn survey(year: i64, yield_pct: &str) -> Result<pricing::NewPricingPeriod, String> {
    let item = |category, amount, note: &str| pricing::CostItem {
        category,
        amount_fen: yuan(amount),
        note: note.into(),
    };
    Ok(pricing::NewPricingPeriod {
        year,
        trial: true,
        treasury_yield_pct: pct(yield_pct)?,
        yield_source: "演示数据：上年 10 年期国债平均收益率（实际以中债国债收益率曲线公布值为准）"
            .into(),
        markup_pct: pct("6")?,
        profit_base: ProfitBase::OperatingCost,
        costs: vec![
            item(CostCategory::DataProcurement, 30_000, "向供电公司采购数据"),
            item(CostCategory::ProductDevelopment, 80_000, "核验产品研发"),
            item(
                CostCategory::ComputeStorage,
                20_000,
                "可信数据空间算力与存储",
            ),
            item(
                CostCategory::SecurityCompliance,
                10_000,
                "等保测评与合规审查",
            ),
            item(CostCategory::Labour, 60_000, "运营与数据工程人员"),
            item(CostCategory::ServiceOperation, 10_000, "客户服务"),
        ],
        effective_assets_fen: 0,
        taxes_fen: yuan(5_000),
    })
}

async fn caps_and_price(
    app: &App,
    p: &Parties<'_>,
    product_id: &str,
    year: i64,
    from: NaiveDate,
) -> Result<(), String> {
    pricing::set_cap(
        app,
        p.agency,
        &pricing::NewCap {
            product_id: product_id.into(),
            year,
            cap_fen: yuan(3),
            forecast_units: 20_000,
            report_note: format!("涞数价〔{year}〕1号，已书面报告县发展和改革局、县数据管理部门"),
        },
    )
    .await
    .map_err(e)?;
    pricing::set_price(
        app,
        p.accountant,
        &pricing::NewPrice {
            product_id: product_id.into(),
            effective_from: from,
            tiers: vec![
                Tier {
                    from_units: 0,
                    unit_price: Money::from_fen(200),
                },
                Tier {
                    from_units: 20,
                    unit_price: Money::from_fen(150),
                },
            ],
        },
    )
    .await
    .map_err(e)?;
    Ok(())
}

/// Runs the step; the clock ends on the fifth day of the year after the
/// call month, or wherever real time stops it.
pub async fn run(
    app: &App,
    clock: &ShiftedClock,
    p: &Parties<'_>,
    product_id: &str,
    key: &str,
) -> Result<(), String> {
    let today = gongshu_app::inbox::shanghai_today(app.clock().now());
    let month = Month::of(today);
    let year = i64::from(today.year());
    let period = pricing::set_pricing_period(app, p.ndrc, &survey(year, "2.27")?)
        .await
        .map_err(e)?;
    println!(
        "  · 发展改革部门核定 {year} 年度（试行）最高准许收入 {} 元：经营成本 {} + 准许利润 {}（{}%）+ 税金 {}",
        period.breakdown.maximum_allowed_revenue,
        period.breakdown.operating_cost,
        period.breakdown.allowed_profit,
        period.breakdown.profit_rate_pct,
        period.breakdown.taxes
    );
    pricing::set_share_rule(
        app,
        p.agency,
        &pricing::NewShareRule {
            product_id: None,
            scenario: None,
            effective_from: month.first_day(),
            government_pct: pct("20")?,
            operator_pct: pct("70")?,
            market_pct: pct("10")?,
        },
    )
    .await
    .map_err(e)?;
    pricing::record_regulator_cost(
        app,
        p.agency,
        &pricing::NewRegulatorCost {
            month: month.to_string(),
            regulator_org: p.regulator_org.into(),
            amount_fen: yuan(5),
            memo: "行业主管部门合规审查成本".into(),
        },
    )
    .await
    .map_err(e)?;
    caps_and_price(app, p, product_id, year, month.first_day()).await?;
    println!(
        "  · 实施机构制定上限收费标准 3.00 元/次并书面报告，收益分配 政府 20% · 运营机构 70% · 二级市场 10%；运营机构定价 2.00 元/次（每月第 21 次起 1.50 元/次）"
    );

    // A month of calls on the working days left in the month.
    let calendar = WorkingDayCalendar::official().map_err(|x| x.to_string())?;
    let caller = gongshu_app::api_keys::authenticate_api_key(app, key)
        .await
        .map_err(e)?;
    let mut calls = 0_u32;
    let mut day = today;
    while month.contains(day) {
        if day > today && calendar.is_working_day(day).unwrap_or(false) {
            clock.advance_to(ten_am(day));
            for i in 0..2_u32 {
                let code = credit_code(&format!("9113063{:010}", 3_000_000 + (day.day() + i) % 4));
                let call = CallInput {
                    scenario: crate::demo_products::SCENARIO.into(),
                    params: [
                        ("enterprise".to_owned(), serde_json::json!(code)),
                        ("months".to_owned(), serde_json::json!(12)),
                    ]
                    .into_iter()
                    .collect(),
                };
                if products::call_product(app, &caller, product_id, &call, None)
                    .await
                    .is_ok()
                {
                    calls += 1;
                }
            }
        }
        day = day.succ_opt().ok_or("日期溢出")?;
    }
    for (category, amount, memo) in [
        (CostCategory::Labour, 5_000, "本月运营与数据工程人员工资"),
        (CostCategory::ComputeStorage, 1_600, "本月算力与存储"),
        (
            CostCategory::DataProcurement,
            2_500,
            "本月向供电公司采购数据",
        ),
    ] {
        journal::record_cost(
            app,
            p.accountant,
            &journal::NewCost {
                date: gongshu_app::inbox::shanghai_today(app.clock().now()),
                category,
                amount_fen: yuan(amount),
                memo: memo.into(),
            },
        )
        .await
        .map_err(e)?;
    }
    println!(
        "  · 信用社本月在 {calls} 次调用中逐次核验企业（演示时钟逐个工作日快进），运营机构记录本月成本"
    );

    // After the month end: the statement, a correction, closing.
    let next = month.next();
    clock.advance_to(ten_am(
        next.first_day().with_day(5).unwrap_or(next.first_day()),
    ));
    let issued = billing::issue_statements(app, p.accountant, &month.to_string())
        .await
        .map_err(e)?;
    for s in &issued {
        let shares = s.lines.iter().fold((0, 0, 0, 0), |acc, l| {
            (
                acc.0 + l.shares.treasury.fen(),
                acc.1 + l.shares.regulator_costs.fen(),
                acc.2 + l.shares.operator.fen(),
                acc.3 + l.shares.market.fen(),
            )
        });
        println!(
            "  · {month} 月度账单：{} 元（政府 {} + 行业主管部门成本 {} + 运营机构 {} + 二级市场 {}，按最大余额法精确到分）",
            s.total,
            Money::from_fen(shares.0),
            Money::from_fen(shares.1),
            Money::from_fen(shares.2),
            Money::from_fen(shares.3)
        );
        let corrected = billing::issue_credit_note(
            app,
            p.accountant,
            &s.id,
            &billing::NewCreditNote {
                amount_fen: 150,
                reason: "系统维护期间的一次重复调用不计费".into(),
            },
        )
        .await
        .map_err(e)?;
        println!(
            "  · 红字更正 1.50 元（不改原账单），应收 {} 元",
            corrected.net
        );
        gongshu_app::finance::payments::record_receipt(
            app,
            p.accountant,
            &s.id,
            &gongshu_app::finance::payments::NewReceipt {
                amount_fen: corrected.outstanding.fen(),
                date: gongshu_app::inbox::shanghai_today(app.clock().now()),
                reference: "YH-DEMO-0001".into(),
            },
        )
        .await
        .map_err(e)?;
        println!(
            "  · 信用社付清账单 {} 元（借：银行存款，贷：应收账款）",
            corrected.outstanding
        );
    }
    let closed = journal::close_month(app, p.cfo, &month.to_string())
        .await
        .map_err(e)?;
    println!(
        "  · {month} 结账：试算平衡 借方 {} = 贷方 {}",
        closed.trial_balance.total_debit, closed.trial_balance.total_credit
    );

    // After the year end: reports, disclosures, the next year's maximum.
    if i64::from(next.year()) > year {
        for (kind, who) in [
            (ReportKind::AnnualOperationReport, p.accountant),
            (ReportKind::OperatorDisclosure, p.accountant),
            (ReportKind::AgencyDisclosure, p.agency),
            (ReportKind::AgencyReport, p.agency),
        ] {
            let r = reports::generate(app, who, kind, year).await.map_err(e)?;
            println!(
                "  · {}（摘要 {}…，报送期限 {}）",
                r.doc.title,
                &r.sha256[..12],
                r.doc.due_on
            );
        }
        let new_year = year + 1;
        let second = pricing::set_pricing_period(app, p.ndrc, &survey(new_year, "1.75")?)
            .await
            .map_err(e)?;
        println!(
            "  · {new_year} 年度最高准许收入 {} 元（上期超收扣减 {} 元）",
            second.breakdown.maximum_allowed_revenue, second.breakdown.clawback
        );
        caps_and_price(app, p, product_id, new_year, next.first_day()).await?;
    }
    Ok(())
}
