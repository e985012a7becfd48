//! Demo step: the flagship credit scenario. The operator drafts a
//! verification product on the power bills, the platform checks its
//! template, the implementing agency, the finance regulator and the data
//! bureau review it, the operator lists it; the admitted bank subscribes,
//! gets a key, records enterprises' consents and calls the product; the
//! data bureau traces one answer back to the bank.

use gongshu_app::products::{
    self, CallInput, NewConsent, ProductDecision, ProductInput, SubscriptionKeyInput,
};
use gongshu_app::use_applications::{
    NewUseApplication, create_use_application, decide_use_application,
};
use gongshu_app::{Actor, App};
use gongshu_domain::Money;
use gongshu_domain::product::{
    BillingUnit, Category, ParamSpec, ParamType, ProductDefinition, ProductKind, SubjectIdKind,
};

use crate::demo_cmd::{credit_code, e};

/// Scenario of the credit product (the demo's filed scenario).
pub const SCENARIO: &str = "小微企业信用评价";

const TEMPLATE: &str = "SELECT CASE WHEN count(*) >= :months THEN '是' ELSE '否' END AS billed_enough, \
     CASE WHEN sum(CAST(paid_on_time AS INT)) = count(*) THEN '是' ELSE '否' END AS all_on_time \
     FROM power_bill";

/// The people of the step.
pub struct Parties<'a> {
    /// The operator's admin (drafts, lists).
    pub operator: &'a Actor,
    /// The operator's reviewer (approves the bank's use application).
    pub operator_reviewer: &'a Actor,
    /// The implementing agency's approver.
    pub agency: &'a Actor,
    /// The finance regulator's reviewer.
    pub regulator: &'a Actor,
    /// The data bureau's reviewer (also traces).
    pub bureau: &'a Actor,
    /// The bank's admin.
    pub bank: &'a Actor,
}

fn definition(dataset: &str) -> ProductDefinition {
    ProductDefinition {
        name: "小微企业电费缴纳核验".into(),
        kind: ProductKind::Verification,
        summary: "经企业授权，核验其用电账期是否足够、是否全部按时缴纳电费，只回答“是/否”".into(),
        template: TEMPLATE.into(),
        params: vec![
            ParamSpec {
                name: "enterprise".into(),
                label_zh: "企业统一社会信用代码".into(),
                ty: ParamType::Subject {
                    id_kind: SubjectIdKind::CreditCode,
                },
            },
            ParamSpec {
                name: "months".into(),
                label_zh: "至少账期数".into(),
                ty: ParamType::Integer { min: 1, max: 36 },
            },
        ],
        datasets: vec![dataset.to_owned()],
        scenarios: vec![SCENARIO.into()],
        category: Category::IndustryDevelopment,
        billing_unit: BillingUnit::PerCall,
        price: Money::from_fen(50),
        subject_column: Some("credit_code".into()),
        // Batch checks of a loan book run at volume (and the benchmark
        // calls this product as fast as it can).
        daily_quota: 1_000_000,
        rate_per_minute: 60_000,
    }
}

fn masked(code: &str) -> String {
    let head: String = code.chars().take(4).collect();
    let tail: String = code.chars().skip(14).collect();
    format!("{head}****{tail}")
}

/// Runs the step; returns the bank's API key and the product id.
pub async fn run(app: &App, p: &Parties<'_>, dataset: &str) -> Result<(String, String), String> {
    let input = ProductInput {
        definition: definition(dataset),
        sector: "finance".into(),
    };
    let v = products::create_product(app, p.operator, &input)
        .await
        .map_err(e)?;
    let id = v.id.clone();
    let v = products::submit_product(app, p.operator, &id)
        .await
        .map_err(e)?;
    println!(
        "  · 运营机构起草“{}”，自动检查通过（沙箱规则，不读数据）：{}",
        v.name,
        v.versions.last().map_or("", |x| x.status_label)
    );
    for (who, a) in [
        ("行业主管部门", p.regulator),
        ("数据管理部门", p.bureau),
        ("实施机构", p.agency),
    ] {
        products::decide_product(
            app,
            a,
            &id,
            &ProductDecision {
                verdict: "approve".into(),
                reason: None,
            },
        )
        .await
        .map_err(e)?;
        println!("    {who}同意");
    }
    let v = products::list_product(app, p.operator, &id)
        .await
        .map_err(e)?;
    let code = v
        .versions
        .last()
        .and_then(|x| x.registration_code.clone())
        .unwrap_or_default();
    println!("  · 已登记上架，登记结果查询码 {code}");

    let today = gongshu_app::inbox::shanghai_today(app.clock().now());
    // Two years: the demo replays its first month in the past.
    let until = today + chrono::TimeDelta::days(730);
    let application = create_use_application(
        app,
        p.bank,
        &NewUseApplication {
            kind: "product_subscription".into(),
            scenario: SCENARIO.into(),
            purpose: "经企业授权核验用电缴费情况，用于小微企业信用贷款审批".into(),
            valid_from: today.to_string(),
            valid_until: until.to_string(),
            products: vec![id.clone()],
            datasets: vec![],
        },
    )
    .await
    .map_err(e)?;
    for a in [p.operator_reviewer, p.agency] {
        decide_use_application(
            app,
            a,
            &application.id,
            &gongshu_app::reviews::DecisionInput {
                verdict: "approve".into(),
                reason: None,
            },
        )
        .await
        .map_err(e)?;
    }
    let subs = products::list_my_subscriptions(app, p.bank)
        .await
        .map_err(e)?;
    let sub = subs
        .iter()
        .find(|s| s.product_id == id)
        .ok_or("订阅未生成")?;
    let key = products::issue_subscription_key(
        app,
        p.bank,
        &sub.id,
        &SubscriptionKeyInput { valid_days: 365 },
    )
    .await
    .map_err(e)?;
    println!(
        "  · 信用社的产品订阅经运营机构、实施机构批准，签发订阅密钥 {}…",
        &key.key.chars().take(12).collect::<String>()
    );

    let caller = gongshu_app::api_keys::authenticate_api_key(app, &key.key)
        .await
        .map_err(e)?;
    let mut last = None;
    for i in 0..5u32 {
        let code = credit_code(&format!("9113063{:010}", 3_000_000 + i));
        if i < 4 {
            products::record_consent(
                app,
                p.bank,
                &NewConsent {
                    subject_kind: SubjectIdKind::CreditCode,
                    subject_id: code.clone(),
                    scenario: SCENARIO.into(),
                    purpose: "信用贷款审批".into(),
                    valid_from: today,
                    valid_until: until,
                    evidence_sha256: format!("{:064x}", 0xA11CE + i),
                    evidence_note: "企业盖章的数据使用授权书".into(),
                },
            )
            .await
            .map_err(e)?;
        }
        let call = CallInput {
            scenario: SCENARIO.into(),
            params: [
                ("enterprise".to_owned(), serde_json::json!(code)),
                ("months".to_owned(), serde_json::json!(12)),
            ]
            .into_iter()
            .collect(),
        };
        match products::call_product(app, &caller, &id, &call, None).await {
            Ok(out) => {
                let values: Vec<String> = out
                    .rows
                    .first()
                    .map(|r| {
                        r.values
                            .iter()
                            .map(|v| v.as_str().unwrap_or("—").to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                println!(
                    "    企业 {}…：账期足够 {}，全部按时缴费 {}（指纹 {}）",
                    masked(&code),
                    values.first().map_or("—", String::as_str),
                    values.get(1).map_or("—", String::as_str),
                    out.fingerprint
                );
                last = Some(out);
            }
            Err(err) => println!(
                "    企业 {}…：{}（{}）",
                masked(&code),
                err.message_zh(),
                err.code()
            ),
        }
    }
    if let Some(out) = last {
        let leaked = serde_json::to_value(&out).map_err(|x| x.to_string())?;
        let t = products::trace_output(app, p.bureau, &leaked)
            .await
            .map_err(e)?;
        println!("  · 数据管理部门对一份输出溯源：{}", t.summary);
    }
    Ok((key.key, id))
}

/// A fresh one-year key of the bank's subscription to `product_id`.
pub async fn fresh_key(app: &App, bank: &Actor, product_id: &str) -> Result<String, String> {
    let subs = products::list_my_subscriptions(app, bank)
        .await
        .map_err(e)?;
    let sub = subs
        .iter()
        .find(|s| s.product_id == product_id)
        .ok_or("订阅未生成")?;
    let key = products::issue_subscription_key(
        app,
        bank,
        &sub.id,
        &SubscriptionKeyInput { valid_days: 365 },
    )
    .await
    .map_err(e)?;
    Ok(key.key)
}
