//! 申诉与争议 page: a participant appeals an adverse decision within 15
//! working days and an approver of the implementing agency upholds or
//! overturns it (S-2.5b); a data source unit and the operator raise
//! disputes against each other, which the agency coordinates, with a
//! third-party assessment when needed (S-2.5a). A participant's own
//! rejected entries and egress requests are listed as decisions to appeal,
//! so nobody has to copy an internal number into a form.

use chrono::NaiveDate;
use gongshu_app::appeals::{self, AppealView, DisputeView, NewAppeal};
use gongshu_app::inbox::shanghai_today;
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::appeal::{APPEAL_FILING_WORKING_DAYS, DisputeSubject};
use gongshu_domain::deadline::due_in_working_days;
use gongshu_domain::review::ReviewStatus;
use gongshu_domain::{OrgKind, Sector, WorkingDayCalendar};
use serde_json::Value;

use super::lookup::{AGENCY, APPROVER};
use super::spec::{Area, Command, Due, Item, Kind, opt, req};
use super::{Lookup, input, target};

const PARTICIPANT: &[OrgKind] = &[OrgKind::Participant];
/// The two sides of a dispute (S-2.5a).
const SIDES: &[OrgKind] = &[OrgKind::DataSourceUnit, OrgKind::Operator];

const SUBJECT_KINDS: &[(&str, &str)] = &[
    ("market_entry", "平台准入决定"),
    ("data_use", "数据使用申请决定"),
    ("egress", "出域合规审查决定"),
];

pub(super) const AREA: Area = Area {
    key: "appeals",
    title: "申诉与争议",
    intro: "二级市场主体对涉及本单位的平台准入、数据使用申请、出域合规审查等不利决定，可在决定作出后 15 个工作日内向实施机构提出申诉，由实施机构审批人维持或撤销原决定（S-2.5b）。数源单位与运营机构之间因授权或使用发生争议的，由一方提出，实施机构协调解决，必要时委托第三方评估（S-2.5a）。",
    create: Some("file"),
    commands: &[
        Command {
            key: "file",
            label: "提出申诉",
            help: "原决定作出后 15 个工作日内提出（S-2.5b）。本单位被驳回的平台准入和出域申请列在下方，可直接申诉。",
            by: PARTICIPANT,
            roles: &[],
            fields: &[
                req("subject_kind", "申诉事项", Kind::Choice(SUBJECT_KINDS)),
                req("subject_id", "原决定编号", Kind::Text)
                    .hint("数据使用申请决定填写原决定文书编号"),
                opt("decided_on", "原决定作出日期", Kind::Date)
                    .hint("数据使用申请决定必填；其他决定以系统记录为准"),
                req("grounds", "申诉理由", Kind::Long),
            ],
        },
        Command {
            key: "appeal",
            label: "对此决定提出申诉",
            help: "原决定作出后 15 个工作日内提出，由实施机构审批人处理（S-2.5b）。",
            by: PARTICIPANT,
            roles: &[],
            fields: &[req("grounds", "申诉理由", Kind::Long)],
        },
        Command {
            key: "decide",
            label: "处理申诉",
            help: "由实施机构审批人维持或撤销原决定，并说明理由；申诉单位不能处理本单位的申诉（S-2.5b）。",
            by: AGENCY,
            roles: APPROVER,
            fields: &[
                req(
                    "outcome",
                    "处理结论",
                    Kind::Choice(&[("upheld", "维持原决定"), ("overturned", "撤销原决定")]),
                ),
                req("reasons", "处理理由", Kind::Long),
            ],
        },
        Command {
            key: "withdraw",
            label: "撤回申诉",
            help: "实施机构作出处理决定前，申诉单位可撤回申诉。",
            by: PARTICIPANT,
            roles: &[],
            fields: &[],
        },
        Command {
            key: "raise",
            label: "提出争议",
            help: "数源单位对运营机构，或运营机构对数源单位，就授权或数据使用提出争议，由实施机构协调（S-2.5a）。",
            by: SIDES,
            roles: &[],
            fields: &[
                req("against_org", "争议相对方", Kind::Org(SIDES)),
                req(
                    "subject",
                    "争议事项",
                    Kind::Choice(&[("authorization", "授权争议"), ("use", "数据使用争议")]),
                ),
                req("description", "争议内容", Kind::Long),
            ],
        },
        Command {
            key: "commission",
            label: "委托第三方评估",
            help: "实施机构协调争议时可委托第三方评估（S-2.5a）；评估报告登记前不能结案。",
            by: AGENCY,
            roles: &[],
            fields: &[
                req("body", "第三方评估机构", Kind::Text),
                req("commissioned_on", "委托日期", Kind::Date),
            ],
        },
        Command {
            key: "report",
            label: "登记评估报告",
            help: "登记第三方评估机构出具的评估报告（S-2.5a）。",
            by: AGENCY,
            roles: &[],
            fields: &[
                req("report_ref", "评估报告编号", Kind::Text),
                req("reported_on", "报告日期", Kind::Date),
            ],
        },
        Command {
            key: "resolve",
            label: "协调结案",
            help: "记录协调结果并结案（S-2.5a）。",
            by: AGENCY,
            roles: &[],
            fields: &[req("outcome", "协调结果", Kind::Long)],
        },
    ],
};

fn appeal_item(a: &AppealView, l: &Lookup) -> Item {
    let mut it = Item {
        target: a.id.clone(),
        title: format!("申诉：{}", l.org(&a.appellant_org)),
        status: a.status_label.clone(),
        ..Item::default()
    };
    it.fact("申诉事项", a.subject_kind_label.clone());
    // A data-use decision is recorded as the appellant gave its number;
    // the others are rows of this platform, shown by kind and date only.
    if !a.subject_checked {
        it.fact("原决定编号", a.subject_id.clone());
    }
    it.fact("原决定作出日期", a.decided_on.to_string());
    it.fact("申诉提出日期", shanghai_today(a.filed_at).to_string());
    it.fact("申诉期限", a.filing_deadline.to_string());
    it.fact("申诉理由", a.grounds.clone());
    it.fact("处理理由", a.reasons.clone());
    it.fact(
        "处理日期",
        a.decided_at.map(|d| shanghai_today(d).to_string()),
    );
    let open = a.status == "submitted";
    it.due = Some(match a.due_on {
        Some(on) => Due {
            label: "处理期限",
            on,
            met: !open,
        },
        None => Due {
            label: "申诉期限",
            on: a.filing_deadline,
            met: true,
        },
    });
    if open {
        it.offer("decide");
        it.offer("withdraw");
    }
    it
}

fn dispute_item(d: &DisputeView, l: &Lookup) -> Item {
    let subject = d
        .subject
        .parse::<DisputeSubject>()
        .map_or("争议", DisputeSubject::label_zh);
    let mut it = Item {
        target: d.id.clone(),
        title: format!(
            "{subject}：{} 与 {}",
            l.org(&d.raised_by_org),
            l.org(&d.against_org)
        ),
        status: d.status_label.clone(),
        ..Item::default()
    };
    it.fact("提出方", l.org(&d.raised_by_org));
    it.fact("相对方", l.org(&d.against_org));
    it.fact("提出日期", shanghai_today(d.raised_at).to_string());
    it.fact("争议内容", d.description.clone());
    it.fact(
        "第三方评估",
        d.assessment_body.as_ref().map(|b| {
            let on = d.assessment_commissioned_on.map(|o| o.to_string());
            format!("{b}（{} 委托）", on.unwrap_or_default())
        }),
    );
    it.fact(
        "评估报告",
        d.assessment_report_ref.as_ref().map(|r| {
            let on = d.assessment_reported_on.map(|o| o.to_string());
            format!("{r}（{}）", on.unwrap_or_default())
        }),
    );
    it.fact("协调结果", d.outcome.clone());
    if let Some(on) = d.due_on {
        it.due = Some(Due {
            label: "协调期限",
            on,
            met: d.status == "resolved",
        });
    }
    match d.status.as_str() {
        "open" => {
            it.offer("commission");
            it.offer("resolve");
        }
        "assessing" => it.offer("report"),
        "assessed" => it.offer("resolve"),
        _ => {}
    }
    it
}

/// A decision the caller may still appeal: an item offering the short
/// form, with the filing deadline counting down. None once appealed or
/// when the time limit has passed.
fn decision(
    kind: &str,
    id: &str,
    title: String,
    decided_on: NaiveDate,
    reasons: String,
    ctx: (&[AppealView], Option<&WorkingDayCalendar>, &Lookup),
) -> Option<Item> {
    let (appeals, cal, l) = ctx;
    if appeals
        .iter()
        .any(|a| a.subject_id == id && a.status != "withdrawn")
    {
        return None;
    }
    let deadline = due_in_working_days(cal?, decided_on, APPEAL_FILING_WORKING_DAYS).ok()?;
    if l.today.is_some_and(|t| t > deadline) {
        return None;
    }
    let mut it = Item {
        target: String::new(),
        title,
        status: "已驳回，可申诉".into(),
        due: Some(Due {
            label: "申诉期限",
            on: deadline,
            met: false,
        }),
        ..Item::default()
    };
    it.fact("驳回日期", decided_on.to_string());
    it.fact("驳回理由", reasons);
    it.offer_on("appeal", format!("{kind}/{id}"));
    Some(it)
}

/// The caller's own rejected market entries and egress requests not yet
/// appealed (participants only).
async fn decisions(
    app: &App,
    actor: &Actor,
    appeals: &[AppealView],
    l: &Lookup,
) -> Result<Vec<Item>, AppError> {
    let cal = WorkingDayCalendar::official().ok();
    let ctx = (appeals, cal.as_ref(), l);
    let mut out = Vec::new();
    for e in gongshu_app::reviews::list_market_entries(app, actor).await? {
        let r = &e.review;
        if let (true, true, Some(at)) = (
            r.status == ReviewStatus::Rejected.as_str(),
            r.applicant_org == actor.org_id,
            r.closed_at,
        ) {
            let sector = e.sector.parse::<Sector>().map_or("", Sector::label_zh);
            let title = format!("平台准入申请（{sector}行业）");
            let reasons = r.rejection_reasons.join("；");
            out.extend(decision(
                "market_entry",
                &e.id,
                title,
                shanghai_today(at),
                reasons,
                ctx,
            ));
        }
    }
    for r in gongshu_app::egress::list_releases(app, actor).await? {
        let rejected = r.decisions.iter().rfind(|d| d.verdict == "reject");
        if let (true, true, Some(d)) = (r.appealable, r.requester_org == actor.org_id, rejected) {
            let title = format!("出域申请：{}", r.title);
            let reasons = d.reason.clone().unwrap_or_default();
            let on = shanghai_today(d.decided_at);
            out.extend(decision("egress", &r.id, title, on, reasons, ctx));
        }
    }
    Ok(out)
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let appeals = appeals::list_appeals(app, actor).await?;
    let mut out = Vec::new();
    // The dispute form has no item to hang on: a standing card for the two
    // sides that may raise one.
    if SIDES.contains(&actor.org_kind) {
        let mut it = Item {
            title: "提出争议".into(),
            status: "数源单位与运营机构之间".into(),
            ..Item::default()
        };
        it.offer("raise");
        out.push(it);
    }
    if actor.org_kind == OrgKind::Participant {
        out.extend(decisions(app, actor, &appeals, l).await?);
    }
    out.extend(appeals.iter().rev().map(|a| appeal_item(a, l)));
    let disputes = appeals::list_disputes(app, actor).await?;
    out.extend(disputes.iter().rev().map(|d| dispute_item(d, l)));
    Ok(out)
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    let status = match command {
        "file" => {
            appeals::file_appeal(app, actor, &input(v)?)
                .await?
                .status_label
        }
        "appeal" => {
            let (kind, id) = target(t)?
                .split_once('/')
                .ok_or(AppError::NotFound { what: "decision" })?;
            let grounds = v["grounds"].as_str().unwrap_or_default().to_owned();
            let new = NewAppeal {
                subject_kind: kind.to_owned(),
                subject_id: id.to_owned(),
                decided_on: None,
                grounds,
            };
            appeals::file_appeal(app, actor, &new).await?.status_label
        }
        "decide" => {
            let a = appeals::decide_appeal(app, actor, target(t)?, &input(v)?).await?;
            a.status_label
        }
        "withdraw" => {
            appeals::withdraw_appeal(app, actor, target(t)?)
                .await?
                .status_label
        }
        "raise" => {
            appeals::raise_dispute(app, actor, &input(v)?)
                .await?
                .status_label
        }
        "commission" => {
            let d = appeals::commission_assessment(app, actor, target(t)?, &input(v)?).await?;
            d.status_label
        }
        "report" => {
            let d = appeals::record_assessment(app, actor, target(t)?, &input(v)?).await?;
            d.status_label
        }
        "resolve" => {
            let d = appeals::resolve_dispute(app, actor, target(t)?, &input(v)?).await?;
            d.status_label
        }
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(status)
}
