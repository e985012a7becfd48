//! 终止授权 page: the implementing agency proposes to terminate the
//! agreement in force for one of the five triggers, an approver other than
//! the proposer decides; approval revokes every access at once and
//! crypto-shreds each dataset's keys, and the termination is filed with the
//! city within 10 working days (S-3.3.5). Logs are kept, not deleted.

use gongshu_app::evaluations::termination::{self, TerminationView};
use gongshu_app::evaluations::{self, EvaluationView};
use gongshu_app::inbox::shanghai_today;
use gongshu_app::{Actor, App, AppError, FieldError};
use gongshu_domain::termination::Trigger;
use serde_json::Value;

use super::lookup::{AGENCY, APPROVER};
use super::spec::{Area, Command, Due, Item, Kind, opt, req};
use super::{Lookup, input, target};

const TRIGGER_COUNT: usize = Trigger::ALL.len();

/// The five triggers of S-3.3.5 as choices, from the domain's list.
const fn triggers() -> [(&'static str, &'static str); TRIGGER_COUNT] {
    let mut out = [("", ""); TRIGGER_COUNT];
    let mut i = 0;
    while i < TRIGGER_COUNT {
        out[i] = (Trigger::ALL[i].as_str(), Trigger::ALL[i].label_zh());
        i += 1;
    }
    out
}

const TRIGGERS: &[(&str, &str)] = &triggers();

/// Evaluation statuses whose rectification is still outstanding.
const OUTSTANDING: &[&str] = &["rectifying", "rectification_submitted"];

pub(super) const AREA: Area = Area {
    key: "terminations",
    title: "终止授权",
    intro: "出现法律法规或政策调整、未按协议运营、数据安全事件、发现问题未按要求整改或其他违法违规情形之一的，实施机构可提议终止授权，由提议人以外的审批人决定（S-3.3.5）。批准后立即生效：协议终止，运营机构及二级市场主体的数据授权、API 密钥和会话全部撤销，授权数据集的密钥在可信空间中销毁；终止后 10 个工作日内报市数据局备案。网络和会话日志保存不少于 6 个月，终止不删除任何日志。",
    create: Some("propose"),
    commands: &[
        Command {
            key: "propose",
            label: "提议终止授权",
            help: "仅限有效期内的协议，同一协议只能有一项进行中的终止（S-3.3.5）。",
            by: AGENCY,
            roles: &[],
            fields: &[
                req("agreement_id", "授权运营协议", Kind::Agreement),
                req("trigger", "终止情形", Kind::Choice(TRIGGERS)),
                req("reasons", "终止理由", Kind::Long),
                opt(
                    "evaluation_id",
                    "依据该协议尚未整改完成的运营评估",
                    Kind::Check,
                )
                .hint("勾选后关联该协议最近一次尚未整改完成的运营评估"),
            ],
        },
        Command {
            key: "approve",
            label: "批准终止",
            help: "提议人不能决定本人的提议（S-3.3.5）。批准即生效：撤销全部数据授权、API 密钥和会话，销毁数据集密钥，备案期限 10 个工作日。",
            by: AGENCY,
            roles: APPROVER,
            fields: &[opt("note", "决定意见", Kind::Long)],
        },
        Command {
            key: "reject",
            label: "决定不予终止",
            help: "提议人不能决定本人的提议；不予终止的，协议继续有效（S-3.3.5）。",
            by: AGENCY,
            roles: APPROVER,
            fields: &[req("note", "不予终止的理由", Kind::Long)],
        },
        Command {
            key: "file",
            label: "记录报市备案",
            help: "终止后 10 个工作日内报市数据局备案；逾期备案照常记录并标注（S-3.3.5）。",
            by: AGENCY,
            roles: &[],
            fields: &[
                req("filed_on", "备案日期", Kind::Date),
                req("receipt_no", "备案回执编号", Kind::Text),
            ],
        },
    ],
};

/// What the termination revoked, in words (organisations by name).
fn revoked(v: &Value, l: &Lookup) -> Option<String> {
    let orgs: Vec<String> = v["orgs"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .map(|o| l.org(o))
        .collect();
    Some(format!(
        "已撤销 {} 个机构的全部数据授权、{} 个 API 密钥、{} 个会话（涉及：{}）",
        v["grantee_orgs"].as_u64().unwrap_or(0),
        v["api_keys"].as_u64().unwrap_or(0),
        v["sessions"].as_u64().unwrap_or(0),
        orgs.join("、")
    ))
}

/// The destruction of each dataset of the data scope, as parts: the
/// vault's outcome and certificate once crypto-shredding ran, else the
/// pending status (which says nothing is destroyed yet).
fn destructions(tm: &TerminationView, l: &Lookup) -> Vec<Item> {
    tm.destructions
        .iter()
        .map(|d| {
            let cert = tm
                .certificates
                .iter()
                .find(|c| c.dataset_id == d.dataset_id);
            let mut part = Item {
                title: format!("数据集销毁：{}", l.resource(&d.dataset_id)),
                status: cert.map_or_else(|| d.status_label.clone(), |c| c.outcome_label.to_owned()),
                ..Item::default()
            };
            if let Some(c) = cert {
                part.fact(
                    "销毁证书摘要",
                    c.certificate_digest
                        .as_deref()
                        .map(|h| format!("SHA-256 {}…", h.get(..16).unwrap_or(h))),
                );
                if c.versions > 0 {
                    part.fact("销毁的数据版本", format!("{} 个", c.versions));
                }
                part.fact("完成日期", shanghai_today(c.completed_at).to_string());
            }
            part
        })
        .collect()
}

fn item(tm: &TerminationView, actor: &Actor, evals: &[EvaluationView], l: &Lookup) -> Item {
    let mut it = Item {
        target: tm.id.clone(),
        title: format!("终止授权：{}", l.org(&tm.operator_org_id)),
        status: tm.status_label.clone(),
        ..Item::default()
    };
    it.fact("授权运营协议", l.agreement(&tm.agreement_id));
    it.fact("终止情形", tm.trigger_label.clone());
    it.fact("终止理由", tm.reasons.clone());
    it.fact(
        "关联的运营评估",
        tm.evaluation_id
            .as_deref()
            .and_then(|id| evals.iter().find(|e| e.id == id))
            .map(|e| {
                format!(
                    "{} 至 {}，{}（{} 分），{}",
                    e.period_start, e.period_end, e.grade_label, e.total, e.status_label
                )
            }),
    );
    it.fact("提议日期", tm.proposed_on.to_string());
    it.fact(
        "决定",
        tm.decided_on.map(|d| {
            let outcome = if tm.status == "rejected" {
                "不予终止"
            } else {
                "批准终止，即日生效"
            };
            format!("{d} {outcome}")
        }),
    );
    it.fact("决定意见", tm.decision_note.clone());
    it.fact("撤销情况", revoked(&tm.revoked, l));
    it.fact(
        "备案",
        tm.filed_on.map(|d| {
            format!(
                "{d}，回执 {}{}",
                tm.filing_receipt.clone().unwrap_or_default(),
                if tm.filed_late {
                    "（逾期备案）"
                } else {
                    ""
                }
            )
        }),
    );
    if tm.status != "proposed" && tm.status != "rejected" {
        it.fact("日志保存", tm.log_retention.to_owned());
    }
    if let Some(on) = tm.filing_due_on {
        it.due = Some(Due {
            label: "报市备案期限",
            on,
            met: tm.filed_on.is_some(),
        });
    }
    it.parts = destructions(tm, l);
    match tm.status.as_str() {
        // The proposer may not decide (sod_no_self_approval): not offered.
        "proposed" if tm.proposed_by != actor.user_id => {
            it.offer("approve");
            it.offer("reject");
        }
        "effective" => it.offer("file"),
        _ => {}
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let list = termination::list_terminations(app, actor).await?;
    let evals = evaluations::list_evaluations(app, actor, None).await?;
    Ok(list
        .iter()
        .rev()
        .map(|t| item(t, actor, &evals, l))
        .collect())
}

/// The proposal's input: the checkbox becomes the id of the agreement's
/// latest evaluation still to rectify, or goes.
async fn proposal(app: &App, actor: &Actor, mut v: Value) -> Result<Value, AppError> {
    let Some(o) = v.as_object_mut() else {
        return Ok(v);
    };
    let linked = o.remove("evaluation_id").and_then(|c| c.as_bool()) == Some(true);
    if linked {
        let agreement = o
            .get("agreement_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let evals = evaluations::list_evaluations(app, actor, Some(agreement)).await?;
        let Some(e) = evals
            .iter()
            .rev()
            .find(|e| OUTSTANDING.contains(&e.status.as_str()))
        else {
            return Err(AppError::Validation(vec![FieldError {
                field: "evaluation_id".into(),
                code: "termination.no_outstanding_evaluation".into(),
                message: "该协议没有尚未整改完成的运营评估（S-3.3.5）".into(),
            }]));
        };
        o.insert("evaluation_id".into(), Value::String(e.id.clone()));
    }
    Ok(v)
}

/// A refusal of a proposal without the ids its message names (the
/// agreement, the termination already open): the page shows names only.
async fn without_ids(app: &App, actor: &Actor, e: AppError, agreement: &str) -> AppError {
    let AppError::Refused { code, mut message } = e else {
        return e;
    };
    let mut ids = vec![agreement.to_owned()];
    if let Ok(list) = termination::list_terminations(app, actor).await {
        ids.extend(
            list.into_iter()
                .filter(|t| t.agreement_id == agreement)
                .map(|t| t.id),
        );
    }
    for id in ids.iter().filter(|i| !i.is_empty()) {
        message = message
            .replace(&format!(" {id} "), "")
            .replace(&format!(" {id}"), "");
    }
    AppError::Refused { code, message }
}

/// The decision's input: `approve` from the command chosen.
fn decision(mut v: Value, approve: bool) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("approve".into(), Value::Bool(approve));
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
        "propose" => {
            let v = proposal(app, actor, v).await?;
            let agreement = v["agreement_id"].as_str().unwrap_or_default().to_owned();
            match termination::propose_termination(app, actor, &input(v)?).await {
                Ok(view) => view,
                Err(e) => return Err(without_ids(app, actor, e, &agreement).await),
            }
        }
        "approve" => {
            termination::decide_termination(app, actor, target(t)?, &input(decision(v, true))?)
                .await?
        }
        "reject" => {
            termination::decide_termination(app, actor, target(t)?, &input(decision(v, false))?)
                .await?
        }
        "file" => termination::file_termination(app, actor, target(t)?, &input(v)?).await?,
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(view.status_label)
}
