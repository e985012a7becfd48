//! 出域申请与审核 page: a requester asks for a sandbox result (and at most
//! a few further aggregate files) to leave the trusted space; two reviewers
//! of the implementing agency or the data bureau approve, any one rejects
//! with a reason (SANDBOX-R5), within 5 working days. The files' contents
//! are shown to the reviewers only (they are what is reviewed); the
//! requester downloads them once approved.

use gongshu_app::egress::{self, ReleaseView};
use gongshu_app::local_time::shanghai_wall;
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::OrgKind;
use serde_json::{Value, json};

use super::spec::{Area, Command, Due, Item, Kind, opt, req};
use super::{Lookup, input, target};

const REVIEWERS: &[OrgKind] = &[OrgKind::ImplementingAgency, OrgKind::DataBureau];
const REQUESTERS: &[OrgKind] = &[OrgKind::Operator, OrgKind::Participant];

pub(super) const AREA: Area = Area {
    key: "releases",
    title: "出域申请与审核",
    intro: "原始数据不出域：只有经可信数据空间披露控制放行的查询结果，经实施机构或数据管理部门两名审核人同意后方可出域，任一审核人驳回即结束且须说明理由（SANDBOX-R5）；审核期限为 5 个工作日。批准后只有申请机构可以下载，每次下载写入审计日志。",
    create: Some("request"),
    commands: &[
        Command {
            key: "request",
            label: "提交出域申请",
            help: "查询在提交时按可信数据空间规则重新执行并检查，结果作为第一个文件；附加文件只能是汇总数据（CSV 或 JSON）。",
            by: REQUESTERS,
            roles: &[],
            fields: &[
                req("title", "申请标题", Kind::Text),
                req("purpose", "出域用途", Kind::Long),
                req("sql", "查询语句（SQL）", Kind::Long),
                opt("file_name", "附加文件名", Kind::Text).hint("以 .csv 或 .json 结尾；可不填"),
                opt("file_content", "附加文件内容", Kind::Long),
            ],
        },
        Command {
            key: "decide",
            label: "提交审核意见",
            help: "两名不同的审核人同意后出域；驳回须说明理由。",
            by: REVIEWERS,
            roles: &[],
            fields: &[
                req(
                    "verdict",
                    "审核意见",
                    Kind::Choice(&[("approve", "同意出域"), ("reject", "驳回")]),
                ),
                opt("reason", "理由", Kind::Long).hint("驳回时必填"),
            ],
        },
        Command {
            key: "withdraw",
            label: "撤回申请",
            help: "审核结束前，申请机构可以撤回。",
            by: REQUESTERS,
            roles: &[],
            fields: &[],
        },
    ],
};

fn item(r: &ReleaseView, l: &Lookup, actor: &Actor) -> Item {
    let mut it = Item {
        target: r.id.clone(),
        title: format!("出域申请：{}", r.title),
        status: r.status_zh.to_owned(),
        ..Item::default()
    };
    it.fact("申请机构", l.org(&r.requester_org));
    it.fact(
        "提交时间",
        shanghai_wall(r.created_at)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    );
    it.fact("用途", r.purpose.clone());
    it.fact("查询语句", r.sql.clone());
    it.fact("同意人数", format!("{} / 2", r.approvals));
    let files: Vec<String> = r
        .files
        .iter()
        .map(|f| format!("{}（{} 字节）", f.name, f.bytes))
        .collect();
    it.fact("出域文件", files.join("、"));
    for d in r.decisions.iter().filter(|d| d.revision == r.revision) {
        let verdict = if d.verdict == "approve" {
            "同意"
        } else {
            "驳回"
        };
        let reason = d.reason.clone().unwrap_or_default();
        it.fact(
            "审核意见",
            format!("{}：{verdict} {reason}", l.org(&d.reviewer_org))
                .trim_end()
                .to_owned(),
        );
    }
    // The reviewers see what they review; the requester gets the files
    // once approved, by download.
    for f in r.files.iter().filter(|f| f.content.is_some()) {
        let mut part = Item {
            target: r.id.clone(),
            title: format!("文件 {}", f.name),
            status: f.media_type.clone(),
            ..Item::default()
        };
        let content = f.content.clone().unwrap_or_default();
        let shown: String = content.chars().take(2_000).collect();
        part.fact(
            "内容",
            if shown.len() < content.len() {
                format!("{shown}…")
            } else {
                shown
            },
        );
        it.parts.push(part);
    }
    if r.status.as_str() == "submitted" {
        // The same limit as the reviewers' inbox: from the current revision.
        if let Some(on) = r.review_due_on {
            it.due = Some(Due {
                label: "审核期限",
                on,
                met: false,
            });
        }
        let decided = r
            .decisions
            .iter()
            .any(|d| d.revision == r.revision && d.reviewer == actor.user_id);
        if REVIEWERS.contains(&actor.org_kind) && !decided {
            it.offer("decide");
        }
        // Only the person who asked may withdraw (the use case's rule).
        if actor.user_id == r.requested_by {
            it.offer("withdraw");
        }
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let list = egress::list_releases(app, actor).await?;
    Ok(list.iter().map(|r| item(r, l, actor)).collect())
}

/// The use case's input: the optional extra file as a one-element list.
fn new_release(v: Value) -> Result<egress::NewRelease, AppError> {
    let name = v["file_name"].as_str().unwrap_or_default().to_owned();
    let content = v["file_content"].as_str().unwrap_or_default().to_owned();
    let files = if name.is_empty() && content.is_empty() {
        json!([])
    } else {
        json!([{ "name": name, "content": content }])
    };
    input(json!({
        "title": v["title"],
        "purpose": v["purpose"],
        "sql": v["sql"],
        "files": files,
    }))
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    let view = match command {
        "request" => egress::create_release(app, actor, &new_release(v)?).await?,
        "decide" => egress::decide_release(app, actor, target(t)?, &input(v)?).await?,
        "withdraw" => egress::withdraw_release(app, actor, target(t)?).await?,
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(view.status_zh.to_owned())
}
