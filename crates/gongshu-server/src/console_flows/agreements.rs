//! 授权运营协议 page: drafting with the 13 clauses (S-3.3.3c), opinions,
//! the collective decision (S-2.4), signing (S-2.1), filing within 10
//! working days (S-3.3.3b), renewal (S-2.2b), changes and expiry.

use gongshu_app::agreements::{self, AgreementView};
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::OrgKind;
use serde_json::Value;

use super::lookup::{AGENCY, APPROVER};
use super::spec::{Area, Command, Due, Field, Item, Kind, req};
use super::{Lookup, input, target};

/// The 13 clauses as form fields (names as in the use case's input).
const CLAUSES: &[Field] = &[
    req(
        "clauses.data_scope.catalog",
        "一、授权数据范围（目录）",
        Kind::Long,
    ),
    req(
        "clauses.data_scope.dataset_ids",
        "授权的数据资源",
        Kind::Resources,
    ),
    req("clauses.term.start", "二、授权期限起始日", Kind::Date),
    req("clauses.term.end", "授权期限截止日", Kind::Date).hint("期限不超过 3 年（S-2.2a）"),
    req(
        "clauses.products_and_services",
        "三、数据产品和服务",
        Kind::Long,
    ),
    req("clauses.technical_platform", "四、技术平台", Kind::Long),
    req("clauses.asset_ownership", "五、数据资产归属", Kind::Long),
    req("clauses.disclosure", "六、信息披露", Kind::Long),
    req(
        "clauses.cost_revenue_and_distribution",
        "七、成本、收益与分配",
        Kind::Long,
    ),
    req(
        "clauses.security_and_emergency",
        "八、安全与应急处置",
        Kind::Long,
    ),
    req(
        "clauses.evaluation_renewal_exit",
        "九、评估、续约与退出",
        Kind::Long,
    ),
    req("clauses.breach_liability", "十、违约责任", Kind::Long),
    req("clauses.dispute_resolution", "十一、争议解决", Kind::Long),
    req(
        "clauses.change_and_termination",
        "十二、变更与终止",
        Kind::Long,
    ),
    req("clauses.other", "十三、其他约定", Kind::Long),
];

const fn draft_fields() -> [Field; 16] {
    let mut out = [req(
        "operator_org_id",
        "被授权运营机构",
        Kind::Org(&[OrgKind::Operator]),
    ); 16];
    let mut i = 0;
    while i < CLAUSES.len() {
        out[i + 1] = CLAUSES[i];
        i += 1;
    }
    out
}

const DRAFT: &[Field] = &draft_fields();

const REGULATORS: &[OrgKind] = &[
    OrgKind::SectorRegulator,
    OrgKind::DataBureau,
    OrgKind::FinanceBureau,
    OrgKind::PricingAuthority,
    OrgKind::SecurityRegulator,
];

pub(super) const AREA: Area = Area {
    key: "agreements",
    title: "授权运营协议",
    intro: "实施机构起草包含 13 项条款的授权运营协议（S-3.3.3c），征求行业主管和监管部门意见后提交“三重一大”集体决策（S-2.4），签订后 10 个工作日内报市数据局备案（S-3.3.3b）。同一时间只有一份整体授权协议有效（S-2.1），期限不超过 3 年，期满前 3 个月内可申请续约（S-2.2）。",
    create: Some("draft"),
    commands: &[
        Command {
            key: "draft",
            label: "起草授权运营协议",
            help: "13 项条款均须填写；授权期限不超过 3 年。",
            by: AGENCY,
            roles: &[],
            fields: DRAFT,
        },
        Command {
            key: "opinion",
            label: "记录征求意见",
            help: "记录行业主管部门或监管部门对本版条款的意见（S-3.3.3a）。",
            by: AGENCY,
            roles: &[],
            fields: &[
                req("from_org_id", "提出意见的部门", Kind::Org(REGULATORS)),
                req("received_on", "收到日期", Kind::Date),
                req("opinion", "意见内容", Kind::Long),
            ],
        },
        Command {
            key: "decide",
            label: "记录集体决策",
            help: "“三重一大”集体决策；记录人不得为本版条款的起草人（S-2.4）。",
            by: AGENCY,
            roles: APPROVER,
            fields: &[
                req("decided_on", "会议日期", Kind::Date),
                req("meeting_ref", "会议纪要编号", Kind::Text),
            ],
        },
        Command {
            key: "sign",
            label: "记录协议签订",
            help: "已有有效协议时不能签订（S-2.1）；签订后 10 个工作日内须备案。",
            by: AGENCY,
            roles: &[],
            fields: &[req("signed_on", "签订日期", Kind::Date)],
        },
        Command {
            key: "file",
            label: "记录备案",
            help: "报市数据局备案；逾期备案照常记录并标注（S-3.3.3b）。",
            by: AGENCY,
            roles: &[],
            fields: &[
                req("filed_on", "备案日期", Kind::Date),
                req("receipt_no", "备案回执编号", Kind::Text),
            ],
        },
        Command {
            key: "renewal",
            label: "申请续约",
            help: "期满前 3 个月内可申请（S-2.2b）；续约草案沿用现行条款，期限顺延同样长度，可再修改。",
            by: &[OrgKind::ImplementingAgency, OrgKind::Operator],
            roles: &[],
            fields: &[],
        },
        Command {
            key: "change",
            label: "变更协议条款",
            help: "起草阶段直接修改；已生效的协议形成待审修订，重新决策并签订后替换（S-2.4），签订后期限不可变更。",
            by: AGENCY,
            roles: &[],
            fields: CLAUSES,
        },
        Command {
            key: "expire",
            label: "记录协议到期",
            help: "授权期限届满后记录到期（S-2.2a）；到期前不能记录。",
            by: AGENCY,
            roles: &[],
            fields: &[],
        },
    ],
};

fn text(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or_default().to_owned()
}

/// The form values of `clauses`, for a change.
fn current_clauses(clauses: &Value) -> Vec<(&'static str, Vec<String>)> {
    CLAUSES
        .iter()
        .map(|f| {
            let path: Vec<&str> = f.name.split('.').skip(1).collect();
            let mut cur = clauses;
            for p in &path {
                cur = &cur[*p];
            }
            let values = match cur {
                Value::Array(xs) => xs
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                Value::String(s) => vec![s.clone()],
                _ => Vec::new(),
            };
            (f.name, values)
        })
        .collect()
}

fn item(a: &AgreementView, l: &Lookup) -> Item {
    let mut it = Item {
        target: a.id.clone(),
        title: format!("授权运营协议：{}", l.org(&a.operator_org_id)),
        status: a.status_label.clone(),
        ..Item::default()
    };
    it.fact("实施机构", l.org(&a.agency_org_id));
    it.fact("授权期限", format!("{} 至 {}", a.term_start, a.term_end));
    it.fact("条款版本", format!("第 {} 版", a.revision));
    it.fact("授权数据范围", text(&a.clauses, &["data_scope", "catalog"]));
    let datasets: Vec<String> = a.clauses["data_scope"]["dataset_ids"]
        .as_array()
        .map(|xs| {
            xs.iter()
                .filter_map(Value::as_str)
                .map(|d| l.resource(d))
                .collect()
        })
        .unwrap_or_default();
    it.fact("授权的数据资源", datasets.join("、"));
    it.fact(
        "数据产品和服务",
        text(&a.clauses, &["products_and_services"]),
    );
    it.fact(
        "集体决策",
        a.decided_on.map(|d| {
            format!(
                "{d}，会议纪要 {}",
                a.decision_ref.clone().unwrap_or_default()
            )
        }),
    );
    it.fact("签订日期", a.signed_on.map(|d| d.to_string()));
    it.fact(
        "备案",
        a.filed_on.map(|d| {
            format!(
                "{d}，回执 {}{}",
                a.filing_receipt.clone().unwrap_or_default(),
                if a.filed_late {
                    "（逾期备案）"
                } else {
                    ""
                }
            )
        }),
    );
    it.fact("续约自", a.renewal_of.as_deref().map(|r| l.agreement(r)));
    if let Some(on) = a.filing_due_on {
        it.due = Some(Due {
            label: "备案期限",
            on,
            met: a.filed_on.is_some(),
        });
    }
    // A change to an agreement in force is a pending revision: it goes
    // through opinions, decision and signing itself (S-2.4).
    let pending = a.pending_revision.as_ref();
    let clauses = pending.map_or(&a.clauses, |p| &p.clauses);
    if let Some(p) = pending {
        it.fact(
            "待审修订",
            format!("第 {} 版条款，{}", p.revision, p.status_label),
        );
    }
    let stage = pending.map_or(a.status.as_str(), |p| p.status.as_str());
    match stage {
        "draft" => {
            it.offer("opinion");
            it.offer_filled("change", current_clauses(clauses));
        }
        "opinions_collected" => {
            it.offer("opinion");
            it.offer("decide");
            it.offer_filled("change", current_clauses(clauses));
        }
        "decided" => {
            it.offer("sign");
            it.offer_filled("change", current_clauses(clauses));
        }
        _ => {}
    }
    if matches!(a.status.as_str(), "signed" | "filed") {
        if a.status == "signed" {
            it.offer("file");
        }
        it.offer("renewal");
        if pending.is_none() {
            it.offer_filled("change", current_clauses(clauses));
        }
        // The expiry is recorded only after the term's last day.
        if l.today.is_some_and(|t| t > a.term_end) {
            it.offer("expire");
        }
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let list = agreements::list_agreements(app, actor).await?;
    let mut out = Vec::with_capacity(list.len());
    for a in list.iter().rev() {
        // The list leaves out the pending revision; in force, read it.
        let full = if matches!(a.status.as_str(), "signed" | "filed") {
            agreements::get_agreement(app, actor, &a.id).await?
        } else {
            a.clone()
        };
        out.push(item(&full, l));
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
        "draft" => agreements::create_draft(app, actor, &input(v)?).await?,
        "opinion" => agreements::record_opinion(app, actor, target(t)?, &input(v)?).await?,
        "decide" => agreements::decide(app, actor, target(t)?, &input(v)?).await?,
        "sign" => agreements::sign(app, actor, target(t)?, &input(v)?).await?,
        "file" => agreements::file(app, actor, target(t)?, &input(v)?).await?,
        "renewal" => agreements::request_renewal(app, actor, target(t)?, &input(v)?).await?,
        "change" => agreements::change_clauses(app, actor, target(t)?, &input(v)?).await?,
        "expire" => agreements::expire(app, actor, target(t)?).await?,
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(view.status_label)
}
