//! 数据需求与准入申请 page: the forms that start the joint reviews. The
//! operator applies for data with the sector regulator, who co-signs
//! (S-4b); a secondary-market participant applies for admission (S-4a) and,
//! once the four parties approved, signs the no-re-licensing undertaking
//! (S-3.3.2b). The parties decide on the joint-review page
//! (`/console/reviews`).

use gongshu_app::reviews::{self, DataDemandView, MarketEntryView};
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::{OrgKind, Sector};
use serde_json::{Value, json};

use super::scenarios::choices;
use super::spec::{Area, Command, Item, Kind, opt, req};
use super::{Lookup, input, target};

const SECTORS: &[(&str, &str)] = choices!(Sector);

pub(super) const AREA: Area = Area {
    key: "applications",
    title: "数据需求与准入申请",
    intro: "运营机构与行业主管部门联合提出数据需求申请，由实施机构、数据管理部门和提供数据的数源单位审核（S-4b）；二级市场主体提出准入申请，由四方联合审核（S-4a），通过后签署不转授权承诺方可准入（S-3.3.2b）。各方在“联合审核”页提交审核意见。",
    create: Some("demand"),
    commands: &[
        Command {
            key: "demand",
            label: "提出数据需求申请",
            help: "所列的列适用于所选的每个数据资源；提交后由本行业主管部门会签。",
            by: &[OrgKind::Operator],
            roles: &[],
            fields: &[
                req("scenario", "应用场景", Kind::Text),
                req("purpose", "用途", Kind::Long),
                req("sector", "行业", Kind::Choice(SECTORS)),
                req("valid_from", "使用期限起始日", Kind::Date),
                req("valid_until", "使用期限截止日", Kind::Date),
                req("datasets", "所需数据资源", Kind::Resources),
                req("columns", "所需的列", Kind::List).hint("每行一个列名，或用顿号分隔"),
            ],
        },
        Command {
            key: "co_sign",
            label: "会签数据需求",
            help: "行业主管部门会签后，审核各方开始审核（S-4b）。",
            by: &[OrgKind::SectorRegulator],
            roles: &[],
            fields: &[],
        },
        Command {
            key: "entry",
            label: "提出二级市场准入申请",
            help: "由实施机构、数据管理部门、行业主管部门和数源单位四方联合审核（S-4a）。",
            by: &[OrgKind::Participant],
            roles: &[],
            fields: &[
                req("sector", "所属行业", Kind::Choice(SECTORS)),
                req("qualification", "资质情况", Kind::Long),
                req("compliance", "合规情况", Kind::Long),
                req("technical_security", "技术安全能力", Kind::Long),
                opt("attachments", "附件名称", Kind::List).hint("每行一个"),
                req(
                    "data_source_org",
                    "主要使用其数据的数源单位",
                    Kind::Org(&[OrgKind::DataSourceUnit]),
                ),
            ],
        },
        Command {
            key: "undertaking",
            label: "签署不转授权承诺",
            help: "四方审核通过后签署；签署后方可准入（S-3.3.2b）。",
            by: &[OrgKind::Participant],
            roles: &[],
            fields: &[req("version", "承诺文本版本", Kind::Text)],
        },
    ],
};

fn shanghai(t: chrono::DateTime<chrono::Utc>) -> String {
    gongshu_app::local_time::shanghai_today(t).to_string()
}

fn demand_item(d: &DataDemandView, l: &Lookup, actor: &Actor) -> Item {
    let mut it = Item {
        target: d.id.clone(),
        title: format!("数据需求：{}", d.scenario),
        status: d.review.status_label.clone(),
        ..Item::default()
    };
    it.fact("申请", l.org(&d.review.applicant_org));
    it.fact(
        "会签",
        d.review.co_signer_org.as_deref().map(|o| {
            let when = d.review.co_signed_at.map(shanghai).unwrap_or_default();
            if when.is_empty() {
                format!("{}（待会签）", l.org(o))
            } else {
                format!("{}（{when} 已会签）", l.org(o))
            }
        }),
    );
    it.fact("用途", d.purpose.clone());
    it.fact("使用期限", format!("{} 至 {}", d.valid_from, d.valid_until));
    let data: Vec<String> = d
        .datasets
        .iter()
        .map(|x| format!("{}（{}）", l.resource(&x.dataset_id), x.columns.join("、")))
        .collect();
    it.fact("数据", data.join("；"));
    it.fact("提交日期", shanghai(d.review.submitted_at));
    if d.review.status == "submitted"
        && d.review.co_signer_org.as_deref() == Some(actor.org_id.as_str())
        && d.review.co_signed_at.is_none()
    {
        it.offer("co_sign");
    }
    it
}

fn entry_item(m: &MarketEntryView, l: &Lookup, actor: &Actor) -> Item {
    let mut it = Item {
        target: m.id.clone(),
        title: format!("二级市场准入：{}", l.org(&m.review.applicant_org)),
        status: if m.admitted {
            "已准入".into()
        } else {
            m.review.status_label.clone()
        },
        ..Item::default()
    };
    it.fact("资质", m.qualification.clone());
    it.fact("合规", m.compliance.clone());
    it.fact("技术安全", m.technical_security.clone());
    it.fact("附件", m.attachments.join("、"));
    it.fact("数源单位", l.org(&m.data_source_org));
    it.fact("提交日期", shanghai(m.review.submitted_at));
    it.fact(
        "不转授权承诺",
        m.undertaking
            .as_ref()
            .map(|u| format!("第 {} 版，{} 签署", u.version, shanghai(u.signed_at))),
    );
    let approved = m.review.status == "approved";
    if approved && m.undertaking.is_none() && m.review.applicant_org == actor.org_id {
        it.fact("承诺内容", m.undertaking_text.to_owned());
        it.offer_filled(
            "undertaking",
            vec![("version", vec![m.undertaking_version.to_owned()])],
        );
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let demands = reviews::list_data_demands(app, actor).await?;
    let entries = reviews::list_market_entries(app, actor).await?;
    let mut out = Vec::new();
    if actor.org_kind == OrgKind::Participant {
        // The admission application is this page's second starting form.
        let mut start = Item {
            title: "申请进入二级市场".into(),
            status: "可申请".into(),
            ..Item::default()
        };
        start.offer("entry");
        out.push(start);
    }
    out.extend(demands.iter().rev().map(|d| demand_item(d, l, actor)));
    out.extend(entries.iter().rev().map(|m| entry_item(m, l, actor)));
    Ok(out)
}

/// The demand's input: each chosen resource with its provider and the
/// listed columns.
async fn new_demand(app: &App, actor: &Actor, v: &Value) -> Result<Value, AppError> {
    let resources = gongshu_app::catalog::list_resources(app, actor).await?;
    let columns = v["columns"].clone();
    let datasets: Vec<Value> = v["datasets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .map(|id| {
            let provider = resources
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.provider_org_id.clone())
                .unwrap_or_default();
            json!({ "dataset_id": id, "provider_org": provider, "columns": columns })
        })
        .collect();
    Ok(json!({
        "scenario": v["scenario"],
        "purpose": v["purpose"],
        "sector": v["sector"],
        "valid_from": v["valid_from"],
        "valid_until": v["valid_until"],
        "datasets": datasets,
    }))
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    Ok(match command {
        "demand" => {
            let body = new_demand(app, actor, &v).await?;
            reviews::create_data_demand(app, actor, &input(body)?)
                .await?
                .review
                .status_label
        }
        "co_sign" => {
            reviews::co_sign_data_demand(app, actor, target(t)?)
                .await?
                .review
                .status_label
        }
        "entry" => {
            reviews::create_market_entry(app, actor, &input(v)?)
                .await?
                .review
                .status_label
        }
        "undertaking" => {
            let m = reviews::sign_undertaking(app, actor, target(t)?, &input(v)?).await?;
            if m.admitted {
                "已准入".into()
            } else {
                m.review.status_label
            }
        }
        _ => return Err(AppError::NotFound { what: "command" }),
    })
}
