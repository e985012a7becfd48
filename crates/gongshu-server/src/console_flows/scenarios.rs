//! 应用场景 page: a sector regulator plans a scenario of its sector with a
//! priority, the operator submits its plan, the planning regulator approves
//! or returns it in writing (S-6.3), the data bureau files it; only a filed
//! scenario is an approved scenario (S-2.1).

use gongshu_app::selection::{self, PlanView, ScenarioView};
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::OrgKind;
use gongshu_domain::scenario::{Priority, Verdict};
use serde_json::Value;

use super::spec::{Area, Command, Item, Kind, req};
use super::{Lookup, input, target};

/// The (code, Chinese label) choices of a domain code list, built from the
/// list itself at compile time so a form never offers a stale code.
macro_rules! choices {
    ($t:ty) => {{
        const N: usize = <$t>::ALL.len();
        const OUT: [(&str, &str); N] = {
            let mut out = [("", ""); N];
            let mut i = 0;
            while i < N {
                out[i] = (<$t>::ALL[i].as_str(), <$t>::ALL[i].label_zh());
                i += 1;
            }
            out
        };
        &OUT
    }};
}
pub(super) use choices;

const REGULATOR: &[OrgKind] = &[OrgKind::SectorRegulator];

pub(super) const AREA: Area = Area {
    key: "scenarios",
    title: "应用场景",
    intro: "行业主管部门规划本行业的应用场景并确定优先级；运营机构针对已规划的场景提交场景方案（数据需求、合规措施），由规划该场景的行业主管部门出具书面意见，审核通过或退回修改（S-6.3）。审核通过的方案报县数据局备案，备案后方为经批准的应用场景，运营机构方可据此提供数据产品和服务（S-2.1）。",
    create: Some("plan"),
    commands: &[
        Command {
            key: "plan",
            label: "规划应用场景",
            help: "行业主管部门规划本行业的应用场景，并确定优先级（S-6.3）。",
            by: REGULATOR,
            roles: &[],
            fields: &[
                req("name", "场景名称", Kind::Text),
                req("description", "场景说明", Kind::Long),
                req("priority", "优先级", Kind::Choice(choices!(Priority))),
            ],
        },
        Command {
            key: "submit",
            label: "提交场景方案",
            help: "运营机构就已规划（或方案被退回）的场景提交方案，数据需求遵循最小必要原则（S-6.3）。",
            by: &[OrgKind::Operator],
            roles: &[],
            fields: &[
                req("data_need", "数据需求", Kind::Long)
                    .hint("所需数据资源、数据项和数据量，遵循最小必要"),
                req("compliance_measures", "合规措施", Kind::Long)
                    .hint("数据安全、个人信息保护、结果出域审核等"),
            ],
        },
        Command {
            key: "review",
            label: "审核场景方案",
            help: "由规划该场景的行业主管部门审核，通过或退回均须出具书面意见（S-6.3）。",
            by: REGULATOR,
            roles: &[],
            fields: &[
                req("verdict", "审核结论", Kind::Choice(choices!(Verdict))),
                req("comments", "书面意见", Kind::Long),
            ],
        },
        Command {
            key: "file",
            label: "记录备案",
            help: "审核通过的场景方案报县数据局备案，备案后方为经批准的应用场景（S-2.1）；备案日期不得晚于今日。",
            by: &[OrgKind::DataBureau],
            roles: &[],
            fields: &[
                req("filed_on", "备案日期", Kind::Date),
                req("filing_ref", "备案编号", Kind::Text),
            ],
        },
        Command {
            key: "cancel",
            label: "取消规划",
            help: "尚无待审核或已通过方案的场景，可由规划部门取消（S-6.3）。",
            by: REGULATOR,
            roles: &[],
            fields: &[],
        },
    ],
};

fn label_of(choices: &[(&str, &'static str)], code: &str) -> String {
    choices
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, l)| (*l).to_owned())
}

/// One plan submission as a part of its scenario.
fn plan_part(p: &PlanView, l: &Lookup) -> Item {
    let status = match p.verdict.as_deref() {
        Some(v) => format!("审核结论：{}", label_of(choices!(Verdict), v)),
        None => "待审核".to_owned(),
    };
    let mut it = Item {
        title: format!("第 {} 轮场景方案", p.round),
        status,
        ..Item::default()
    };
    it.fact("提交机构", l.org(&p.operator_org_id));
    it.fact(
        "提交日期",
        gongshu_app::inbox::shanghai_today(p.submitted_at).to_string(),
    );
    it.fact("数据需求", p.data_need.clone());
    it.fact("合规措施", p.compliance_measures.clone());
    it.fact("书面意见", p.comments.clone());
    it
}

fn item(s: &ScenarioView, actor: &Actor, l: &Lookup) -> Item {
    let mut it = Item {
        target: s.id.clone(),
        title: format!("应用场景：{}", s.name),
        status: s.status_label.clone(),
        ..Item::default()
    };
    it.fact("规划部门", l.org(&s.regulator_org_id));
    it.fact(
        "行业",
        s.sector
            .parse::<gongshu_domain::Sector>()
            .map_or_else(|_| s.sector.clone(), |x| x.label_zh().to_owned()),
    );
    it.fact("优先级", label_of(choices!(Priority), &s.priority));
    it.fact("场景说明", s.description.clone());
    it.fact(
        "备案",
        s.filed_on
            .map(|d| format!("{d}，备案编号 {}", s.filing_ref.clone().unwrap_or_default())),
    );
    it.parts = s.plans.iter().rev().map(|p| plan_part(p, l)).collect();
    // Review and withdrawal belong to the planning regulator only; other
    // regulators are not offered the forms (the use case refuses them too).
    let planner = actor.org_id == s.regulator_org_id;
    match s.status.as_str() {
        "planned" | "returned" => {
            it.offer("submit");
            if planner {
                it.offer("cancel");
            }
        }
        "plan_submitted" if planner => it.offer("review"),
        "approved" => it.offer("file"),
        _ => {}
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let mut out = Vec::new();
    // The list comes without plans; each scenario is read with its rounds.
    for s in selection::list_scenarios(app, actor).await?.iter().rev() {
        let full = selection::get_scenario(app, actor, &s.id).await?;
        out.push(item(&full, actor, l));
    }
    Ok(out)
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    let view = match command {
        "plan" => selection::plan_scenario(app, actor, &input(v)?).await?,
        "submit" => selection::submit_plan(app, actor, target(t)?, &input(v)?).await?,
        "review" => selection::review_plan(app, actor, target(t)?, &input(v)?).await?,
        "file" => selection::file_scenario(app, actor, target(t)?, &input(v)?).await?,
        "cancel" => selection::cancel_scenario(app, actor, target(t)?).await?,
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(view.status_label)
}
