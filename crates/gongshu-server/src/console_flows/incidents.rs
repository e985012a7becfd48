//! 安全事件 page (S-3.3.4; REQUIREMENTS.md §8.2): an organisation records
//! its own security incident, or the data bureau records one of any
//! organisation; the organisation concerned reports how it was handled
//! within 5 working days; the bureau closes the incident once reported.
//! The implementing agency and the bureau see every incident, the others
//! those they are concerned in or recorded.

use gongshu_app::appeals::{self, IncidentView};
use gongshu_app::local_time::{shanghai_today, shanghai_wall};
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::inspection::{IncidentCategory, IncidentSeverity};
use gongshu_domain::{OrgKind, Role};
use serde_json::Value;

use super::spec::{Area, Command, Due, Item, Kind, opt, req};
use super::{Lookup, input, target};

const BUREAU: &[OrgKind] = &[OrgKind::DataBureau];

pub(super) const AREA: Area = Area {
    key: "incidents",
    title: "安全事件",
    intro: "发生数据泄露、篡改、毁损、丢失、未授权访问或网络攻击等安全事件的，涉及单位应立即登记事件及已采取的措施，并在 5 个工作日内报告处置情况；数据管理部门也可登记任一单位的安全事件。报告提交后由数据管理部门结案（S-3.3.4）。",
    create: Some("record"),
    commands: &[
        Command {
            key: "record",
            label: "登记安全事件",
            help: "本单位登记的，事件涉及单位即为本单位；数据管理部门登记时须选择事件涉及单位。登记后涉及单位须在 5 个工作日内报告处置情况。",
            by: &[],
            roles: &[],
            fields: &[
                opt("concerned_org", "事件涉及单位", Kind::Org(&[]))
                    .hint("数据管理部门登记时必填；本单位登记时留空"),
                req(
                    "category",
                    "事件类别",
                    Kind::Choice(&[
                        ("data_leak", "数据泄露"),
                        ("tampering", "数据篡改"),
                        ("loss", "数据毁损、丢失"),
                        ("unauthorized_access", "未授权访问"),
                        ("attack", "网络攻击"),
                        ("other", "其他"),
                    ]),
                ),
                req(
                    "severity",
                    "事件级别",
                    Kind::Choice(&[
                        ("general", "一般"),
                        ("major", "较大"),
                        ("serious", "重大"),
                        ("critical", "特别重大"),
                    ]),
                ),
                req("discovered_at", "发现时间", Kind::DateTime).hint("北京时间，不能晚于现在"),
                req("affected_data", "受影响的数据", Kind::Long),
                req("measures", "已采取的措施", Kind::Long),
            ],
        },
        Command {
            key: "report",
            label: "报告处置情况",
            help: "由事件涉及单位在期限内报告处置情况（S-3.3.4）。",
            by: &[],
            // Submitting is a case officer's or an administrator's duty.
            roles: &[Role::CaseOfficer, Role::Admin],
            fields: &[req("report", "处置情况报告", Kind::Long)],
        },
        Command {
            key: "close",
            label: "结案",
            help: "涉及单位报告处置情况后，由数据管理部门结案。",
            by: BUREAU,
            roles: &[Role::CaseOfficer, Role::Reviewer, Role::Approver],
            fields: &[opt("note", "结案意见", Kind::Long)],
        },
    ],
};

fn item(i: &IncidentView, actor: &Actor, l: &Lookup) -> Item {
    let category = i
        .category
        .parse::<IncidentCategory>()
        .map_or("安全事件", IncidentCategory::label_zh);
    let severity = i
        .severity
        .parse::<IncidentSeverity>()
        .map_or("", IncidentSeverity::label_zh);
    let mut it = Item {
        target: i.id.clone(),
        title: format!("{category}（{severity}）：{}", l.org(&i.concerned_org)),
        status: i.status_label.clone(),
        due: i.report_due_on.map(|on| Due {
            label: "报告期限",
            on,
            met: i.status != "recorded",
        }),
        ..Item::default()
    };
    it.fact("事件涉及单位", l.org(&i.concerned_org));
    it.fact("登记单位", l.org(&i.recorded_by_org));
    let discovered = shanghai_wall(i.discovered_at);
    it.fact("发现时间", discovered.format("%Y-%m-%d %H:%M").to_string());
    it.fact("登记日期", shanghai_today(i.recorded_at).to_string());
    it.fact("受影响的数据", i.affected_data.clone());
    it.fact("已采取的措施", i.measures.clone());
    it.fact("处置情况报告", i.report.clone());
    it.fact(
        "报告日期",
        i.reported_at.map(|d| shanghai_today(d).to_string()),
    );
    it.fact(
        "结案日期",
        i.closed_at.map(|d| shanghai_today(d).to_string()),
    );
    match i.status.as_str() {
        // Only the organisation concerned reports (the use case refuses
        // anyone else), so nobody else is offered the form.
        "recorded" if actor.org_id == i.concerned_org => it.offer("report"),
        "reported" => it.offer("close"),
        _ => {}
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let list = appeals::list_incidents(app, actor).await?;
    Ok(list.iter().rev().map(|i| item(i, actor, l)).collect())
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    let view = match command {
        "record" => appeals::record_incident(app, actor, &input(v)?).await?,
        "report" => appeals::file_incident_report(app, actor, target(t)?, &input(v)?).await?,
        "close" => appeals::close_incident(app, actor, target(t)?, &input(v)?).await?,
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(view.status_label)
}
