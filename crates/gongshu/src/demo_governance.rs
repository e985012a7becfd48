//! The demo's governance lifecycle: the agreement, a joint data demand and
//! a secondary-market entry, each driven through the use cases by the
//! parties the plan names.

use chrono::{Months, NaiveDate};
use gongshu_app::agreements::{
    DecisionInput, FilingInput, NewAgreement, OpinionInput, SigningInput,
};
use gongshu_app::reviews::DecisionInput as ReviewDecision;
use gongshu_app::reviews::{DatasetRequest, NewDataDemand, NewMarketEntry, SignUndertaking};
use gongshu_app::{Actor, App};
use gongshu_domain::agreement::{ClausesInput, DataScopeInput, TermInput};

use crate::demo_cmd::e;

fn text(s: &str) -> String {
    s.to_owned()
}

/// Drafts the whole-authorization agreement with its 13 clauses.
pub async fn draft_agreement(
    app: &App,
    drafter: &Actor,
    operator: &str,
    today: NaiveDate,
    datasets: &[&String],
) -> Result<String, String> {
    let end = today
        .checked_add_months(Months::new(36))
        .and_then(|d| d.pred_opt())
        .ok_or("日期超出范围")?;
    let clauses = ClausesInput {
        data_scope: DataScopeInput {
            catalog: text("县供电公司电费缴纳数据、县市场监管局企业登记数据（见资源目录）"),
            dataset_ids: datasets.iter().map(|d| (*d).clone()).collect(),
        },
        term: TermInput {
            start: Some(today),
            end: Some(end),
        },
        products_and_services: text(
            "小微企业水电缴费信用评价、企业经营状况核验；技术标准与安全、业务审核要求见附件一",
        ),
        technical_platform: text("涞源县公共数据授权运营平台（可信数据空间）"),
        asset_ownership: text("平台软硬件归县政府所有；运营机构开发的数据产品知识产权依协议约定"),
        disclosure: text("实施机构公开授权对象、内容、范围和时限；运营机构公开产品和服务清单"),
        cost_revenue_and_distribution: text(
            "按政府指导价收费；收益在政府、运营机构和二级市场间按贡献分配，单独核算",
        ),
        security_and_emergency: text(
            "等保三级；原始数据不出域；数据安全事件两小时内报告并启动应急预案",
        ),
        evaluation_renewal_exit: text("年度评估；期满前三个月内申请续期；退出时不可逆销毁数据"),
        breach_liability: text("违约方承担违约责任并赔偿损失"),
        dispute_resolution: text("协商不成的，提交涞源县人民法院诉讼解决"),
        change_and_termination: text("重大变更须重新履行审批程序；出现五类情形时终止授权"),
        other: text("本协议一式四份"),
    };
    let view = gongshu_app::agreements::create_draft(
        app,
        drafter,
        &NewAgreement {
            operator_org_id: operator.to_owned(),
            clauses,
        },
    )
    .await
    .map_err(e)?;
    println!("  · 协议草案 {}（期限 {} 至 {}）", view.id, today, end);
    Ok(view.id)
}

/// Opinions, collective decision, signing and filing.
pub async fn complete_agreement(
    app: &App,
    drafter: &Actor,
    approver: &Actor,
    regulator_org: &str,
    id: &str,
    today: NaiveDate,
) -> Result<(), String> {
    gongshu_app::agreements::record_opinion(
        app,
        drafter,
        id,
        &OpinionInput {
            from_org_id: regulator_org.to_owned(),
            received_on: today,
            opinion: text("同意。建议在产品清单中明确金融场景的授权范围。"),
        },
    )
    .await
    .map_err(e)?;
    gongshu_app::agreements::decide(
        app,
        approver,
        id,
        &DecisionInput {
            decided_on: today,
            meeting_ref: text("县数据局党组会议纪要〔2026〕12号"),
        },
    )
    .await
    .map_err(e)?;
    let signed =
        gongshu_app::agreements::sign(app, drafter, id, &SigningInput { signed_on: today })
            .await
            .map_err(e)?;
    println!(
        "  · 已签订，备案期限：{}",
        signed.filing_due_on.map_or_else(
            || "（节假日安排未发布，待定）".to_owned(),
            |d| d.to_string()
        )
    );
    gongshu_app::agreements::file(
        app,
        drafter,
        id,
        &FilingInput {
            filed_on: today,
            receipt_no: text("保数备〔2026〕031号"),
        },
    )
    .await
    .map_err(e)?;
    println!("  · 已向市数据主管部门备案");
    Ok(())
}

fn demand(
    power: &str,
    dataset: &str,
    today: NaiveDate,
    scenario: &str,
) -> Result<NewDataDemand, String> {
    let until = today
        .checked_add_months(Months::new(24))
        .ok_or("日期超出范围")?;
    Ok(NewDataDemand {
        scenario: scenario.to_owned(),
        purpose: text("以电费缴纳记录评价小微企业信用，支持普惠金融"),
        sector: text("finance"),
        valid_from: today.to_string(),
        valid_until: until.to_string(),
        datasets: vec![DatasetRequest {
            dataset_id: dataset.to_owned(),
            provider_org: power.to_owned(),
            columns: vec![
                text("credit_code"),
                text("bill_month"),
                text("township"),
                text("amount_fen"),
                text("paid_on_time"),
            ],
        }],
    })
}

/// A data demand applied for jointly and approved by every party.
pub async fn data_demand(
    app: &App,
    operator: &Actor,
    regulator: &Actor,
    approvers: &[&Actor],
    power: &str,
    dataset: &str,
    today: NaiveDate,
) -> Result<usize, String> {
    let v = gongshu_app::reviews::create_data_demand(
        app,
        operator,
        &demand(power, dataset, today, "小微企业信用评价")?,
    )
    .await
    .map_err(e)?;
    gongshu_app::reviews::co_sign_data_demand(app, regulator, &v.id)
        .await
        .map_err(e)?;
    let mut last = None;
    for a in approvers {
        last = Some(
            gongshu_app::reviews::decide_data_demand(
                app,
                a,
                &v.id,
                &ReviewDecision {
                    verdict: text("approve"),
                    reason: None,
                },
            )
            .await
            .map_err(e)?,
        );
    }
    Ok(last.map_or(0, |v| v.grants.len()))
}

/// A second demand left waiting for review, so the inboxes have work.
pub async fn pending_data_demand(
    app: &App,
    operator: &Actor,
    regulator: &Actor,
    power: &str,
    dataset: &str,
    today: NaiveDate,
) -> Result<String, String> {
    let v = gongshu_app::reviews::create_data_demand(
        app,
        operator,
        &demand(power, dataset, today, "个体工商户经营活跃度统计")?,
    )
    .await
    .map_err(e)?;
    gongshu_app::reviews::co_sign_data_demand(app, regulator, &v.id)
        .await
        .map_err(e)?;
    Ok(v.id)
}

/// Four-party market entry and the no-re-licensing undertaking.
pub async fn market_entry(
    app: &App,
    participant: &Actor,
    reviewers: &[&Actor],
    power: &str,
) -> Result<(), String> {
    let v = gongshu_app::reviews::create_market_entry(
        app,
        participant,
        &NewMarketEntry {
            sector: text("finance"),
            qualification: text("金融许可证、营业执照（统一社会信用代码见登记）"),
            compliance: text("近三年无重大违法违规记录；数据合规管理制度"),
            technical_security: text("等保三级备案证明；数据安全负责人"),
            attachments: vec![text("附件1-营业执照"), text("附件2-等保备案证明")],
            data_source_org: power.to_owned(),
        },
    )
    .await
    .map_err(e)?;
    for r in reviewers {
        gongshu_app::reviews::decide_market_entry(
            app,
            r,
            &v.id,
            &ReviewDecision {
                verdict: text("approve"),
                reason: None,
            },
        )
        .await
        .map_err(e)?;
    }
    gongshu_app::reviews::sign_undertaking(
        app,
        participant,
        &v.id,
        &SignUndertaking {
            version: gongshu_domain::review::NO_RELICENSING_UNDERTAKING_VERSION.to_owned(),
        },
    )
    .await
    .map_err(e)?;
    println!("  · 已准入并签署不转授权承诺");
    Ok(())
}

/// Operator selection: opened by the agency, 14 items assessed, decided by
/// another approver; it then stays in its publicity period.
pub async fn select_operator(
    app: &App,
    opener: &Actor,
    approver: &Actor,
    operator: &str,
    credit_code: &str,
    today: NaiveDate,
) -> Result<(), String> {
    use gongshu_app::selection::{AssessmentInput, CandidateInput, NewSelection};
    use gongshu_domain::selection::{ItemInput, QualificationItem};
    let v = gongshu_app::selection::open_selection(
        app,
        opener,
        &NewSelection {
            title: text("涞源县公共数据资源授权运营机构遴选"),
            method: text("selection"),
        },
    )
    .await
    .map_err(e)?;
    let v = gongshu_app::selection::register_candidate(
        app,
        opener,
        &v.id,
        &CandidateInput {
            org_id: operator.to_owned(),
            credit_code: credit_code.to_owned(),
        },
    )
    .await
    .map_err(e)?;
    let candidate = v
        .candidates
        .first()
        .map(|c| c.id.clone())
        .ok_or("没有候选机构")?;
    let items = QualificationItem::ALL
        .iter()
        .map(|i| ItemInput {
            item: i.as_str().to_owned(),
            met: true,
            evidence_ref: Some(format!("遴选材料-{}", i.as_str())),
        })
        .collect();
    gongshu_app::selection::record_assessment(
        app,
        opener,
        &v.id,
        &candidate,
        &AssessmentInput { items },
    )
    .await
    .map_err(e)?;
    let decided = gongshu_app::selection::decide(
        app,
        approver,
        &v.id,
        &gongshu_app::selection::DecisionInput {
            candidate_id: candidate,
            decided_on: today,
        },
    )
    .await
    .map_err(e)?;
    println!(
        "  · 14 项资格条件全部满足，已确定运营机构；公示期至 {}",
        decided.publicity_ends_on.map_or_else(
            || "（节假日安排未发布，待定）".to_owned(),
            |d| d.to_string()
        )
    );
    Ok(())
}

/// A scenario planned by the sector regulator, the operator's plan reviewed
/// in writing and filed with the data bureau.
pub async fn scenario(
    app: &App,
    regulator: &Actor,
    operator: &Actor,
    bureau: &Actor,
    today: NaiveDate,
) -> Result<String, String> {
    use gongshu_app::selection::{NewScenario, PlanInput, ReviewInput, ScenarioFilingInput};
    let s = gongshu_app::selection::plan_scenario(
        app,
        regulator,
        &NewScenario {
            name: text("小微企业信用评价"),
            description: text("以水电气缴费等公共数据评价小微企业信用，服务普惠金融"),
            priority: text("high"),
        },
    )
    .await
    .map_err(e)?;
    gongshu_app::selection::submit_plan(
        app,
        operator,
        &s.id,
        &PlanInput {
            data_need: text("供电公司电费缴纳记录（按月、按企业），仅统一社会信用代码、账期、是否按时缴费、欠费金额"),
            compliance_measures: text("原始数据不出域；仅输出评分区间；结果经出域审核"),
        },
    )
    .await
    .map_err(e)?;
    gongshu_app::selection::review_plan(
        app,
        regulator,
        &s.id,
        &ReviewInput {
            verdict: text("approve"),
            comments: Some(text("数据需求符合最小必要原则，同意。")),
        },
    )
    .await
    .map_err(e)?;
    gongshu_app::selection::file_scenario(
        app,
        bureau,
        &s.id,
        &ScenarioFilingInput {
            filed_on: today,
            filing_ref: text("涞数场景备〔2026〕7号"),
        },
    )
    .await
    .map_err(e)?;
    println!("  · 场景“小微企业信用评价”：行业主管部门规划、书面审核，已向数据管理部门备案");
    Ok(s.id)
}
