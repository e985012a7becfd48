//! Reports and disclosures drawn from the platform's own records (S-7.2,
//! REQUIREMENTS.md §6.3, §6.4): the operator's annual operation report and
//! disclosure, the implementing agency's disclosure and its report to the
//! county government and the city. Each is stored with its SHA-256 and
//! audited; [`super::xlsx`] and the server's print view render it.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::{Money, OrgKind};
use gongshu_policy::Action;
use gongshu_store::FinanceReportRow;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::report_facts::{gather, section, text};
use super::{internal, reads_finance, today, workflow};
use crate::{Actor, App, AppError, AuditEvent, new_id};

/// Kinds of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// The operator's annual operation report (年度运营报告, S-7.2-2).
    AnnualOperationReport,
    /// The operator's annual disclosure (运营机构信息披露, S-7.2-1).
    OperatorDisclosure,
    /// The agency's annual disclosure (实施机构信息披露, S-7.2-1).
    AgencyDisclosure,
    /// The agency's report to the county government and the city (S-7.2-2).
    AgencyReport,
}

impl ReportKind {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::AnnualOperationReport => "annual_operation_report",
            Self::OperatorDisclosure => "operator_disclosure",
            Self::AgencyDisclosure => "agency_disclosure",
            Self::AgencyReport => "agency_report",
        }
    }

    /// Parses [`Self::code`].
    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::AnnualOperationReport,
            Self::OperatorDisclosure,
            Self::AgencyDisclosure,
            Self::AgencyReport,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// Chinese title.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::AnnualOperationReport => "公共数据资源授权运营年度报告",
            Self::OperatorDisclosure => "运营机构年度信息披露",
            Self::AgencyDisclosure => "实施机构年度信息披露",
            Self::AgencyReport => "授权运营情况报告（报县政府、市数据主管部门）",
        }
    }

    /// Which organisation produces it.
    fn producer(self) -> OrgKind {
        match self {
            Self::AnnualOperationReport | Self::OperatorDisclosure => OrgKind::Operator,
            Self::AgencyDisclosure | Self::AgencyReport => OrgKind::ImplementingAgency,
        }
    }

    /// Whether the public portal shows it.
    pub fn is_public(self) -> bool {
        matches!(self, Self::OperatorDisclosure | Self::AgencyDisclosure)
    }
}

/// One cell of a report table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Cell {
    /// Text.
    Text(String),
    /// An amount (fen), shown in yuan.
    Money(Money),
    /// A count.
    Int(i64),
}

/// One table of a report; `total` adds a row summing the numeric columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
    /// Whether a total row follows.
    pub total: bool,
}

/// A generated report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportDoc {
    /// Title.
    pub title: String,
    /// Producer and period.
    pub subtitle: String,
    /// Due date (Asia/Shanghai).
    pub due_on: NaiveDate,
    /// Tables.
    pub sections: Vec<Section>,
}

/// A stored report as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    /// Id.
    pub id: String,
    /// Kind code.
    pub kind: String,
    /// Year reported on.
    pub year: i64,
    /// SHA-256 of the content.
    pub sha256: String,
    /// When generated.
    pub generated_at: DateTime<Utc>,
    /// Generated after its due date.
    pub late: bool,
    /// The document.
    pub doc: ReportDoc,
}

fn view(row: &FinanceReportRow) -> Result<ReportView, AppError> {
    let doc: ReportDoc = serde_json::from_str(&row.content).map_err(internal)?;
    Ok(ReportView {
        id: row.id.clone(),
        kind: row.kind.clone(),
        year: row.year,
        sha256: row.sha256.clone(),
        generated_at: row.generated_at,
        late: crate::local_time::shanghai_today(row.generated_at) > doc.due_on,
        doc,
    })
}

/// Generates a report or disclosure about a year that has ended. The
/// operator produces its annual report and disclosure; the implementing
/// agency its disclosure and its report.
///
/// # Errors
/// 409 while the year runs; 403 for the wrong producer.
pub async fn generate(
    app: &App,
    actor: &Actor,
    kind: ReportKind,
    year: i64,
) -> Result<ReportView, AppError> {
    let id = new_id();
    let action = match kind.producer() {
        OrgKind::Operator => Action::FinanceManage,
        _ => Action::GovernanceManage,
    };
    // The producer rule first: it names what is wrong, where the policy
    // would only say "not allowed".
    if actor.org_kind != kind.producer() {
        return Err(AppError::Denied {
            code: "report.wrong_producer",
            message: format!("{}由{}编制", kind.label_zh(), kind.producer().label_zh()),
        });
    }
    let decided = app
        .authorize(
            actor,
            action,
            &workflow(actor, "report", &id, &actor.org_id)?,
        )
        .await?;
    let today = today(app);
    if i64::from(chrono::Datelike::year(&today)) <= year {
        return Err(AppError::Refused {
            code: "report.year_not_ended",
            message: format!("{year} 年度尚未结束，年度报告和信息披露在次年一季度编制"),
        });
    }
    let facts = {
        let mut tx = app.store().begin_read().await?;
        let f = gather(&mut tx, year).await?;
        tx.commit().await?;
        f
    };
    let (producer_name, _) = facts.org(&actor.org_id);
    let due_on = NaiveDate::from_ymd_opt(i32::try_from(year + 1).map_err(internal)?, 3, 31)
        .ok_or_else(|| internal("year"))?;
    let mar = facts
        .book
        .periods
        .get(&year)
        .map(|p| Money::from_fen(p.mar_fen));
    let sections = match kind {
        ReportKind::AnnualOperationReport => vec![
            facts.org_info("一、运营机构基本情况", &actor.org_id),
            {
                let mut s = facts.authorizations(year);
                s.title = format!("二、总体经营情况：{}", s.title);
                s
            },
            {
                let mut s = facts.granted_resources(Some(&actor.org_id));
                s.title = format!("三、数据资源使用情况：{}", s.title);
                s
            },
            {
                let mut s = facts.sales();
                s.title = format!("四、产品和服务销售情况：{}", s.title);
                s
            },
            {
                let mut s = facts.income();
                s.title = format!("五、{}", s.title);
                s
            },
            {
                let mut s = facts.fee_changes(year);
                s.title = format!("六、{}", s.title);
                s
            },
            {
                let mut s = facts.security();
                s.title = format!("七、{}", s.title);
                s
            },
        ],
        ReportKind::OperatorDisclosure => vec![
            facts.org_info("运营机构信息", &actor.org_id),
            facts.granted_resources(Some(&actor.org_id)),
            facts.products(year),
            facts.sales(),
        ],
        ReportKind::AgencyDisclosure => vec![
            facts.org_info("实施机构信息", &actor.org_id),
            facts.authorizations(year),
            facts.granted_resources(None),
            facts.caps(year),
        ],
        ReportKind::AgencyReport => vec![
            facts.authorizations(year),
            section(
                "收入与最高准许收入",
                &["项目", "金额（元）"],
                vec![
                    vec![
                        text("最高准许收入"),
                        mar.map_or(text("未核定"), Cell::Money),
                    ],
                    vec![text("全年服务费收入"), Cell::Money(facts.revenue)],
                    vec![
                        text("收益分成（政府、二级市场）"),
                        Cell::Money(facts.income.total.revenue_shares),
                    ],
                    vec![
                        text("出具月度账单（份）"),
                        Cell::Int(i64::try_from(facts.statements).unwrap_or(i64::MAX)),
                    ],
                ],
                false,
            ),
            facts.caps(year),
            facts.sales(),
            facts.security(),
        ],
    };
    let doc = ReportDoc {
        title: format!("{year} 年度{}", kind.label_zh()),
        subtitle: format!("编制单位：{producer_name}；报告期：{year}-01-01 至 {year}-12-31"),
        due_on,
        sections,
    };
    let content = serde_json::to_string(&doc).map_err(internal)?;
    let sha256 = hex::encode(Sha256::digest(content.as_bytes()));
    let row = FinanceReportRow {
        id: id.clone(),
        kind: kind.code().to_owned(),
        year,
        content,
        sha256: sha256.clone(),
        generated_by: actor.user_id.clone(),
        generated_org: actor.org_id.clone(),
        generated_at: app.clock().now(),
    };
    let ev = AuditEvent::new("report.generated")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("report", &id)
        .decided_by(decided)
        .details(serde_json::json!({ "kind": kind.code(), "year": year, "sha256": sha256 }));
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_finance_report(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    change.audit(ev).await?.commit().await?;
    view(&row)
}

/// Reports: finance readers see all; anyone sees the public disclosures.
///
/// # Errors
/// Store errors.
pub async fn list(app: &App, actor: Option<&Actor>) -> Result<Vec<ReportView>, AppError> {
    let all = actor.is_some_and(reads_finance);
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_finance_reports().await?;
    tx.commit().await?;
    rows.iter()
        .filter(|r| all || ReportKind::parse(&r.kind).is_some_and(ReportKind::is_public))
        .map(view)
        .collect()
}

/// One report, under the same visibility as [`list`].
///
/// # Errors
/// 404 when absent or not visible to the caller.
pub async fn get(app: &App, actor: Option<&Actor>, id: &str) -> Result<ReportView, AppError> {
    let all = actor.is_some_and(reads_finance);
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_finance_report(id).await?;
    tx.commit().await?;
    match row {
        Some(r) if all || ReportKind::parse(&r.kind).is_some_and(ReportKind::is_public) => view(&r),
        _ => Err(AppError::NotFound { what: "report" }),
    }
}
