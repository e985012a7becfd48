//! 监督检查 page: the data bureau inspects the operator or a participant,
//! at random (a seeded sample of its audit records, each verified against
//! the log) or for cause (S-3.3.2d); findings cite a rule and carry a
//! rectification deadline the inspected organisation must meet; the bureau
//! closes only when every finding is rectified, and may flag prohibited
//! behaviour (S-3.3.4-1..4). Findings are parts of their inspection, posted
//! as `inspection/finding`.

use gongshu_app::appeals::{self, FindingView, InspectionView, NewFlag};
use gongshu_app::inbox::shanghai_today;
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::OrgKind;
use gongshu_domain::inspection::{
    FindingSeverity, FindingStatus, InspectionKind, ProhibitedBehaviour, SEED_RULE_IDS,
};
use serde_json::Value;

use super::spec::{Area, Command, Due, Item, Kind, opt, req};
use super::{Lookup, input, target};

const BUREAU: &[OrgKind] = &[OrgKind::DataBureau];
/// Who is inspected, and so rectifies (S-3.3.2d).
const INSPECTED: &[OrgKind] = &[OrgKind::Operator, OrgKind::Participant];

/// Every rule of the seed a finding may cite, as choices.
const RULES: [(&str, &str); SEED_RULE_IDS.len()] = {
    let mut out = [("", ""); SEED_RULE_IDS.len()];
    let mut i = 0;
    while i < SEED_RULE_IDS.len() {
        out[i] = (SEED_RULE_IDS[i], SEED_RULE_IDS[i]);
        i += 1;
    }
    out
};

const DAYS_HINT: &str = "1 至 60 个工作日，自今日起算";

pub(super) const AREA: Area = Area {
    key: "inspections",
    title: "监督检查",
    intro: "数据管理部门对运营机构和二级市场主体开展随机抽查或专项检查（S-3.3.2d）。随机抽查按随机种子抽取被检查单位的审计记录，逐条对照审计日志验证。检查发现的问题须注明所依据的规则，并限期整改；问题全部整改后方可结束检查。发现禁止行为的，标记在被检查单位名下（S-3.3.4-1 至 S-3.3.4-4）。",
    create: Some("open"),
    commands: &[
        Command {
            key: "open",
            label: "开展监督检查",
            help: "检查对象须为运营机构或二级市场主体。随机抽查须由数据管理部门的审核人或审批人发起（抽查审计日志）。",
            by: BUREAU,
            roles: &[],
            fields: &[
                req(
                    "kind",
                    "检查方式",
                    Kind::Choice(&[("random", "随机抽查"), ("targeted", "专项检查")]),
                ),
                req("inspected_org", "被检查单位", Kind::Org(INSPECTED)),
                req("scope", "检查范围或事由", Kind::Long),
                opt("sample.n", "抽查审计记录条数", Kind::Number)
                    .hint("随机抽查填写，1 至 200 条，默认 20 条"),
                opt("sample.seed", "随机种子", Kind::Number)
                    .hint("留空则随机生成；同一种子抽取相同的样本，便于复核"),
            ],
        },
        Command {
            key: "finding",
            label: "登记检查问题",
            help: "注明问题所违反的规则，并给出整改期限（S-3.3.2d）。",
            by: BUREAU,
            roles: &[],
            fields: &[
                req(
                    "severity",
                    "问题程度",
                    Kind::Choice(&[("minor", "一般"), ("major", "较重"), ("serious", "严重")]),
                ),
                req("rule", "违反的规则", Kind::Choice(&RULES)),
                req("description", "问题描述", Kind::Long),
                req(
                    "rectification_working_days",
                    "整改期限（工作日）",
                    Kind::Number,
                )
                .hint(DAYS_HINT),
            ],
        },
        Command {
            key: "close",
            label: "结束检查",
            help: "尚有问题未整改时不能结束检查（S-3.3.2d）。",
            by: BUREAU,
            roles: &[],
            fields: &[req("conclusion", "检查结论", Kind::Long)],
        },
        Command {
            key: "reopen",
            label: "重新开启检查",
            help: "发现新线索时重新开启已结束的检查。",
            by: BUREAU,
            roles: &[],
            fields: &[req("reason", "重新开启的理由", Kind::Long)],
        },
        Command {
            key: "rectify",
            label: "登记整改情况",
            help: "由被检查单位在整改期限内登记整改措施（S-3.3.2d）。",
            by: INSPECTED,
            roles: &[],
            fields: &[req("measures", "整改措施", Kind::Long)],
        },
        Command {
            key: "return",
            label: "退回整改",
            help: "整改不到位的，退回并重新给出整改期限。",
            by: BUREAU,
            roles: &[],
            fields: &[
                req("reason", "退回理由", Kind::Long),
                req(
                    "rectification_working_days",
                    "新的整改期限（工作日）",
                    Kind::Number,
                )
                .hint(DAYS_HINT),
            ],
        },
        Command {
            key: "flag",
            label: "标记禁止行为",
            help: "该问题构成禁止行为的，标记在被检查单位名下（S-3.3.4）。",
            by: BUREAU,
            roles: &[],
            fields: &[
                req(
                    "behaviour",
                    "禁止行为",
                    Kind::Choice(&[
                        (
                            "misuse",
                            "S-3.3.4-1 泄露、窃取、篡改、毁损、丢失、不当利用或向第三方提供公共数据",
                        ),
                        ("raw_data_export", "S-3.3.4-2 导出、还原或交易原始数据"),
                        (
                            "outside_scope",
                            "S-3.3.4-3 超出授权范围或在未经同意的场景使用",
                        ),
                        ("abuse_of_dominance", "S-3.3.4-4 滥用市场支配地位、形成垄断"),
                    ]),
                ),
                req("note", "说明", Kind::Long),
            ],
        },
    ],
};

fn finding_part(i: &InspectionView, n: usize, f: &FindingView) -> Item {
    let severity = f
        .severity
        .parse::<FindingSeverity>()
        .map_or("", FindingSeverity::label_zh);
    let status = f
        .status
        .parse::<FindingStatus>()
        .map_or("", FindingStatus::label_zh);
    let mut it = Item {
        target: format!("{}/{}", i.id, f.id),
        title: format!("问题 {n}（{severity}，违反 {}）", f.rule),
        status: status.to_owned(),
        due: Some(Due {
            label: "整改期限",
            on: f.due_on,
            met: f.status == "rectified",
        }),
        ..Item::default()
    };
    it.fact("问题描述", f.description.clone());
    it.fact("整改措施", f.rectification.clone());
    it.fact(
        "整改登记日期",
        f.rectified_at.map(|d| shanghai_today(d).to_string()),
    );
    let open = i.status == "open";
    match f.status.as_str() {
        "open" => it.offer_on("rectify", it.target.clone()),
        "rectified" if open => it.offer_on("return", it.target.clone()),
        _ => {}
    }
    if open {
        it.offer_on("flag", it.target.clone());
    }
    it
}

fn sample_fact(i: &InspectionView) -> Option<String> {
    let seed = i.sample_seed.as_ref()?;
    let failed: Vec<String> = i
        .samples
        .iter()
        .filter(|s| s.result == "failed")
        .map(|s| format!("第 {} 条", s.index))
        .collect();
    let mut text = format!(
        "抽取 {} 条审计记录（随机种子 {seed}），验证通过 {} 条，未通过 {} 条",
        i.samples.len(),
        i.samples.len().saturating_sub(i.samples_failed),
        i.samples_failed
    );
    if !failed.is_empty() {
        text.push_str(&format!("：{}", failed.join("、")));
    }
    Some(text)
}

fn item(i: &InspectionView, l: &Lookup) -> Item {
    let kind = i
        .kind
        .parse::<InspectionKind>()
        .map_or("监督检查", InspectionKind::label_zh);
    let mut it = Item {
        target: i.id.clone(),
        title: format!("{kind}：{}", l.org(&i.inspected_org)),
        status: i.status_label.clone(),
        ..Item::default()
    };
    it.fact("被检查单位", l.org(&i.inspected_org));
    it.fact("检查范围或事由", i.scope.clone());
    it.fact("开始日期", shanghai_today(i.opened_at).to_string());
    it.fact("审计抽样", sample_fact(i));
    let flags: Vec<String> = i
        .flags
        .iter()
        .map(|f| {
            let what = f
                .behaviour
                .parse::<ProhibitedBehaviour>()
                .map_or("", ProhibitedBehaviour::label_zh);
            format!("{} {what}（{}）", f.rule, f.note)
        })
        .collect();
    it.fact("禁止行为标记", flags.join("；"));
    it.fact("检查结论", i.conclusion.clone());
    it.fact(
        "结束日期",
        i.closed_at.map(|d| shanghai_today(d).to_string()),
    );
    it.parts = i
        .findings
        .iter()
        .enumerate()
        .map(|(n, f)| finding_part(i, n + 1, f))
        .collect();
    if i.status == "open" {
        it.offer("finding");
        it.offer("close");
    } else {
        it.offer("reopen");
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let list = appeals::list_inspections(app, actor).await?;
    Ok(list.iter().rev().map(|i| item(i, l)).collect())
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    let view = match command {
        "open" => appeals::open_inspection(app, actor, &input(v)?).await?,
        "finding" => appeals::add_finding(app, actor, target(t)?, &input(v)?).await?,
        "close" => appeals::close_inspection(app, actor, target(t)?, &input(v)?).await?,
        "reopen" => appeals::reopen_inspection(app, actor, target(t)?, &input(v)?).await?,
        "rectify" | "return" | "flag" => return run_on_finding(app, actor, command, t, v).await,
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(view.status_label)
}

/// A command on a finding; the answer is the finding's state, and the
/// inspection's.
async fn run_on_finding(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    let (i, f) = target(t)?
        .split_once('/')
        .ok_or(AppError::NotFound { what: "finding" })?;
    let view = match command {
        "rectify" => appeals::rectify_finding(app, actor, i, f, &input(v)?).await?,
        "return" => appeals::reopen_finding(app, actor, i, f, &input(v)?).await?,
        _ => {
            let flag = NewFlag {
                behaviour: v["behaviour"].as_str().unwrap_or_default().to_owned(),
                finding_id: f.to_owned(),
                note: v["note"].as_str().unwrap_or_default().to_owned(),
            };
            appeals::flag_behaviour(app, actor, i, &flag).await?
        }
    };
    let finding = view
        .findings
        .iter()
        .find(|x| x.id == f)
        .and_then(|x| x.status.parse::<FindingStatus>().ok())
        .map_or("", FindingStatus::label_zh);
    Ok(format!("问题{finding}，检查{}", view.status_label))
}
