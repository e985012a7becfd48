//! 运营评估 page: the data bureau scores the operator on the five
//! indicators, the total and grade are computed exactly, and a 不合格
//! carries rectification requirements with a deadline; the operator
//! reports its rectification and the data bureau accepts or returns it. A
//! 不合格 not rectified in time refuses renewal (all S-7.2-3).

use gongshu_app::evaluations::{self, EvaluationView};
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::OrgKind;
use gongshu_domain::evaluation::Indicator;
use serde_json::{Map, Value, json};

use super::spec::{Area, Command, Due, Field, Item, Kind, opt, req};
use super::{Lookup, input, target};

/// The data bureau evaluates and checks rectifications.
const BUREAU: &[OrgKind] = &[OrgKind::DataBureau];
/// The operator evaluated reports its rectification.
const OPERATOR: &[OrgKind] = &[OrgKind::Operator];

/// The evaluation form. Scores and weights are keyed by indicator code
/// (`scores.security`, `weights.security`), the codes of [`Indicator`];
/// `run` turns them into the use case's list. The score fields bear the
/// names the use case gives its errors, so they land next to the field.
const RECORD: &[Field] = &[
    req("agreement_id", "授权运营协议", Kind::Agreement),
    req("period_start", "评估期间起始日", Kind::Date),
    req("period_end", "评估期间终止日", Kind::Date).hint("评估期间须已结束"),
    req("scores.security", "安全评估得分", Kind::Number).hint("0 至 100 的整数"),
    req("scores.performance", "绩效评价得分", Kind::Number).hint("0 至 100 的整数"),
    req("scores.scenario_benefit", "场景效益得分", Kind::Number).hint("0 至 100 的整数"),
    req("scores.public_interest", "公益服务情况得分", Kind::Number).hint("0 至 100 的整数"),
    req("scores.data_quality", "数据质量得分", Kind::Number).hint("0 至 100 的整数"),
    opt("weights.security", "安全评估权重", Kind::Number).hint("留空按默认权重 30"),
    opt("weights.performance", "绩效评价权重", Kind::Number).hint("留空按默认权重 25"),
    opt("weights.scenario_benefit", "场景效益权重", Kind::Number).hint("留空按默认权重 20"),
    opt("weights.public_interest", "公益服务情况权重", Kind::Number).hint("留空按默认权重 15"),
    opt("weights.data_quality", "数据质量权重", Kind::Number).hint("留空按默认权重 10"),
    req("findings", "评估发现的问题", Kind::Long),
    opt("rectification.requirements", "整改要求", Kind::List)
        .hint("每行一项；评估结果为不合格的必须填写（S-7.2-3）"),
    opt(
        "rectification.working_days",
        "整改期限（工作日）",
        Kind::Number,
    )
    .hint("1 至 120 个工作日；留空为评估之日起 30 日"),
];

pub(super) const AREA: Area = Area {
    key: "evaluations",
    title: "运营评估",
    intro: "县数据管理部门按安全评估、绩效评价、场景效益、公益服务情况和数据质量五项指标定期评估运营机构，权重之和为 100，加权总分 90 分以上为优秀、80 分以上为良好、60 分以上为合格，其余为不合格。评估可提出整改要求和期限，不合格的必须提出；运营机构报送整改情况，由数据管理部门确认或退回。不合格且未在期限内完成整改的，不予续约（S-7.2-3）。",
    create: Some("record"),
    commands: &[
        Command {
            key: "record",
            label: "记录运营评估",
            help: "五项指标均须评分；权重留空按默认值，填写的权重之和须为 100。不合格的须列明整改要求（S-7.2-3）。",
            by: BUREAU,
            roles: &[],
            fields: RECORD,
        },
        Command {
            key: "rectify",
            label: "报送整改情况",
            help: "运营机构按评估提出的整改要求报送整改情况；期限届满后报送的照常记录（S-7.2-3）。",
            by: OPERATOR,
            roles: &[],
            fields: &[req("report", "整改情况", Kind::Long)],
        },
        Command {
            key: "accept",
            label: "确认整改完成",
            help: "核查整改到位后确认；不合格的评估在期限内报送并确认整改的，不影响续约（S-7.2-3）。",
            by: BUREAU,
            roles: &[],
            fields: &[opt("note", "核查意见", Kind::Long)],
        },
        Command {
            key: "return",
            label: "退回整改",
            help: "整改不到位的退回，运营机构须重新报送；退回的报送不计入期限（S-7.2-3）。",
            by: BUREAU,
            roles: &[],
            fields: &[req("note", "退回意见", Kind::Long)],
        },
    ],
};

/// The indicator's label, or its code when unknown.
fn indicator(code: &str) -> String {
    Indicator::parse(code).map_or_else(|| code.to_owned(), |i| i.label_zh().to_owned())
}

/// The scores in words: `安全评估 90 分（权重 30）、…`.
fn scores(v: &Value) -> String {
    v.as_array()
        .map(|xs| {
            xs.iter()
                .map(|s| {
                    format!(
                        "{} {} 分（权重 {}）",
                        indicator(s["indicator"].as_str().unwrap_or_default()),
                        s["score"],
                        s["weight"]
                    )
                })
                .collect::<Vec<_>>()
                .join("、")
        })
        .unwrap_or_default()
}

fn item(e: &EvaluationView, l: &Lookup) -> Item {
    let mut it = Item {
        target: e.id.clone(),
        title: format!(
            "运营评估：{}（{} 至 {}）",
            l.org(&e.operator_org_id),
            e.period_start,
            e.period_end
        ),
        status: e.status_label.clone(),
        ..Item::default()
    };
    it.fact("授权运营协议", l.agreement(&e.agreement_id));
    it.fact("评估日期", e.evaluated_on.to_string());
    it.fact("各项得分", scores(&e.scores));
    it.fact("加权总分", format!("{} 分", e.total));
    it.fact("评估等次", e.grade_label.clone());
    it.fact("评估发现的问题", e.findings.clone());
    let requirements: Vec<&str> = e
        .requirements
        .as_array()
        .map(|xs| xs.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    it.fact("整改要求", requirements.join("；"));
    let late = matches!(
        (e.rectification_submitted_on, e.rectification_due_on),
        (Some(s), Some(d)) if s > d
    );
    it.fact(
        "整改情况",
        e.rectification_report
            .as_ref()
            .map(|r| match e.rectification_submitted_on {
                Some(on) => format!("{on} 报送{}：{r}", if late { "（逾期报送）" } else { "" }),
                None => format!("（已退回）{r}"),
            }),
    );
    it.fact("核查意见", e.review_note.clone());
    it.fact(
        "整改确认日期",
        e.rectification_accepted_on.map(|d| d.to_string()),
    );
    it.fact(
        "影响续约",
        if e.blocks_renewal {
            "是：不合格且未在期限内完成整改，不予续约（S-7.2-3）".to_owned()
        } else {
            "否".to_owned()
        },
    );
    if let Some(on) = e.rectification_due_on {
        it.due = Some(Due {
            label: "整改期限",
            on,
            // Reported (late or not): the deadline no longer counts.
            met: e.rectification_submitted_on.is_some() || e.status != "rectifying",
        });
    }
    match e.status.as_str() {
        "rectifying" => it.offer("rectify"),
        "rectification_submitted" => {
            it.offer("accept");
            it.offer("return");
        }
        _ => {}
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let list = evaluations::list_evaluations(app, actor, None).await?;
    Ok(list.iter().rev().map(|e| item(e, l)).collect())
}

/// The form's `scores` and `weights` objects as the use case's list, in
/// the order of [`Indicator::ALL`]; a weight left empty takes the default.
fn scorecard(mut v: Value) -> Value {
    let Some(o) = v.as_object_mut() else {
        return v;
    };
    let scores = o.remove("scores").unwrap_or(Value::Null);
    let weights = o.remove("weights").unwrap_or(Value::Null);
    let list = Indicator::ALL
        .iter()
        .filter_map(|i| {
            let score = scores.get(i.as_str())?;
            let mut s = Map::new();
            s.insert("indicator".into(), json!(i.as_str()));
            s.insert("score".into(), score.clone());
            if let Some(w) = weights.get(i.as_str()) {
                s.insert("weight".into(), w.clone());
            }
            Some(Value::Object(s))
        })
        .collect();
    o.insert("scores".into(), Value::Array(list));
    v
}

/// The review's input: `accept` from the command chosen.
fn review(mut v: Value, accept: bool) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("accept".into(), Value::Bool(accept));
    }
    v
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    let view = match command {
        "record" => evaluations::record_evaluation(app, actor, &input(scorecard(v))?).await?,
        "rectify" => evaluations::submit_rectification(app, actor, target(t)?, &input(v)?).await?,
        "accept" => {
            evaluations::review_rectification(app, actor, target(t)?, &input(review(v, true))?)
                .await?
        }
        "return" => {
            evaluations::review_rectification(app, actor, target(t)?, &input(review(v, false))?)
                .await?
        }
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(view.status_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_indicator_has_a_score_and_a_weight_field() {
        for i in Indicator::ALL {
            for prefix in ["scores", "weights"] {
                let name = format!("{prefix}.{}", i.as_str());
                assert!(RECORD.iter().any(|f| f.name == name), "{name}");
            }
        }
    }

    #[test]
    fn the_form_becomes_the_use_cases_scorecard() {
        let v = scorecard(json!({
            "findings": "x",
            "scores": { "security": 90, "data_quality": 70 },
            "weights": { "security": 40 },
        }));
        assert_eq!(
            v["scores"],
            json!([
                { "indicator": "security", "score": 90, "weight": 40 },
                { "indicator": "data_quality", "score": 70 },
            ])
        );
        assert!(v.get("weights").is_none());
        assert_eq!(v["findings"], "x");
    }
}
