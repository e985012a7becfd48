//! Reports and disclosures drawn from the platform's own records (S-7.2,
//! REQUIREMENTS.md §6.3, §6.4): the operator's annual operation report and
//! disclosure, the implementing agency's disclosure and its report to the
//! county government and the city. Each is stored with its SHA-256 and
//! audited; [`super::xlsx`] and the server's print view render it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use gongshu_domain::{Money, OrgKind};
use gongshu_policy::Action;
use gongshu_store::{FinanceReportRow, StoreTx};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::journal::income_of_year;
use super::pricing::revenue_of_year;
use super::state::PriceBook;
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
    let generated_local = row.generated_at + chrono::TimeDelta::hours(8);
    Ok(ReportView {
        id: row.id.clone(),
        kind: row.kind.clone(),
        year: row.year,
        sha256: row.sha256.clone(),
        generated_at: row.generated_at,
        late: generated_local.date_naive() > doc.due_on,
        doc,
    })
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn section(title: &str, columns: &[&str], rows: Vec<Vec<Cell>>, total: bool) -> Section {
    Section {
        title: title.to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        rows,
        total,
    }
}

fn year_bounds(year: i64) -> Result<(DateTime<Utc>, DateTime<Utc>), AppError> {
    let y = i32::try_from(year).map_err(internal)?;
    // Years in Asia/Shanghai: 00:00 on 1 January is 16:00 UTC the day before.
    let start = Utc
        .with_ymd_and_hms(y - 1, 12, 31, 16, 0, 0)
        .single()
        .ok_or_else(|| internal("year"))?;
    let end = Utc
        .with_ymd_and_hms(y, 12, 31, 16, 0, 0)
        .single()
        .ok_or_else(|| internal("year"))?;
    Ok((start, end))
}

/// Everything the reports read, gathered in one read transaction.
struct Facts {
    book: PriceBook,
    orgs: BTreeMap<String, (String, Option<String>)>,
    agreements: Vec<gongshu_store::AgreementRow>,
    grants: Vec<gongshu_store::DataGrantRow>,
    resources: BTreeMap<String, String>,
    usage: Vec<gongshu_store::UsageRow>,
    revenue: Money,
    income: super::journal::IncomeStatementView,
    audit: Vec<(String, i64)>,
    statements: usize,
}

async fn gather(tx: &mut StoreTx, year: i64) -> Result<Facts, AppError> {
    let (start, end) = year_bounds(year)?;
    let first = NaiveDate::from_ymd_opt(i32::try_from(year).map_err(internal)?, 1, 1)
        .ok_or_else(|| internal("year"))?;
    let last = NaiveDate::from_ymd_opt(i32::try_from(year).map_err(internal)?, 12, 31)
        .ok_or_else(|| internal("year"))?;
    let prefix = format!("{year:04}-");
    Ok(Facts {
        book: PriceBook::load(tx).await?,
        orgs: tx
            .list_organisations()
            .await?
            .into_iter()
            .map(|o| (o.id, (o.name, o.credit_code)))
            .collect(),
        agreements: tx.list_agreements().await?,
        grants: tx.list_all_data_grants().await?,
        resources: tx
            .list_catalog_resources()
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect(),
        usage: tx.usage_between(first, last).await?,
        revenue: revenue_of_year(tx, year).await?,
        income: income_of_year(tx, year).await?,
        audit: tx.count_audit_actions_between(start, end).await?,
        statements: tx
            .list_statements(None)
            .await?
            .iter()
            .filter(|s| s.month.starts_with(&prefix))
            .count(),
    })
}

impl Facts {
    fn org(&self, id: &str) -> (String, String) {
        self.orgs
            .get(id)
            .map(|(n, c)| (n.clone(), c.clone().unwrap_or_default()))
            .unwrap_or_else(|| (id.to_owned(), String::new()))
    }

    fn product_name(&self, id: &str) -> String {
        self.book
            .products
            .get(id)
            .map(|(_, d)| d.name.clone())
            .unwrap_or_else(|| id.to_owned())
    }

    fn org_info(&self, title: &str, id: &str) -> Section {
        let (name, code) = self.org(id);
        section(
            title,
            &["项目", "内容"],
            vec![
                vec![text("名称"), text(name)],
                vec![text("统一社会信用代码"), text(code)],
            ],
            false,
        )
    }

    fn authorizations(&self, year: i64) -> Section {
        let rows = self
            .agreements
            .iter()
            .filter(|a| {
                a.term_start
                    <= NaiveDate::from_ymd_opt(i32::try_from(year).unwrap_or(0), 12, 31)
                        .unwrap_or(a.term_start)
            })
            .map(|a| {
                let (name, code) = self.org(&a.operator_org_id);
                vec![
                    text(name),
                    text(code),
                    text(
                        a.status
                            .parse::<gongshu_domain::agreement::AgreementStatus>()
                            .map_or_else(|_| a.status.clone(), |st| st.label_zh().to_owned()),
                    ),
                    text(format!("{} 至 {}", a.term_start, a.term_end)),
                    text(
                        a.filed_on
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "未备案".into()),
                    ),
                ]
            })
            .collect();
        section(
            "公共数据资源授权信息（授权对象、期限）",
            &[
                "运营机构",
                "统一社会信用代码",
                "协议状态",
                "运营服务期限",
                "备案日期",
            ],
            rows,
            false,
        )
    }

    fn granted_resources(&self, grantee: Option<&str>) -> Section {
        let rows = self
            .grants
            .iter()
            .filter(|g| grantee.is_none_or(|o| g.grantee_org == o))
            .map(|g| {
                vec![
                    text(
                        self.resources
                            .get(&g.dataset_id)
                            .cloned()
                            .unwrap_or_else(|| g.dataset_id.clone()),
                    ),
                    text(self.org(&g.grantee_org).0),
                    text(g.purpose.clone()),
                    text(format!("{} 至 {}", g.valid_from, g.valid_until)),
                    text(if g.revoked_at.is_some() {
                        "已撤销"
                    } else {
                        "有效"
                    }),
                ]
            })
            .collect();
        section(
            "已授权的公共数据资源（授权内容、范围）",
            &["数据资源", "被授权方", "用途（场景）", "有效期", "状态"],
            rows,
            false,
        )
    }

    fn caps(&self, year: i64) -> Section {
        let rows = self
            .book
            .caps_of_year(year)
            .into_iter()
            .map(|c| {
                let unit = self
                    .book
                    .products
                    .get(&c.product_id)
                    .map(|(_, d)| d.billing_unit.unit_zh())
                    .unwrap_or("次");
                vec![
                    text(self.product_name(&c.product_id)),
                    Cell::Money(Money::from_fen(c.cap_fen)),
                    text(format!("元/{unit}")),
                    text(c.report_note.clone()),
                ]
            })
            .collect();
        section(
            "公共数据运营服务费上限收费标准",
            &["产品和服务", "上限（元）", "计费单位", "书面报告"],
            rows,
            false,
        )
    }

    fn products(&self, year: i64) -> Section {
        let last =
            NaiveDate::from_ymd_opt(i32::try_from(year).unwrap_or(0), 12, 31).unwrap_or_default();
        let rows = self
            .book
            .products
            .values()
            .filter(|(row, _)| row.registration_code.is_some())
            .map(|(row, def)| {
                let price = self
                    .book
                    .price_row(&row.id, last)
                    .and_then(|p| {
                        serde_json::from_str::<gongshu_domain::pricing::PriceSchedule>(&p.schedule)
                            .ok()
                    })
                    .map_or(def.price, |s| s.highest());
                vec![
                    text(def.name.clone()),
                    text(row.registration_code.clone().unwrap_or_default()),
                    text(def.category.label_zh()),
                    Cell::Money(if def.category.is_free() {
                        Money::ZERO
                    } else {
                        price
                    }),
                    text(format!("元/{}", def.billing_unit.unit_zh())),
                ]
            })
            .collect();
        section(
            "产品和服务清单及具体收费标准",
            &[
                "产品和服务",
                "登记编码",
                "用途类别",
                "具体收费标准（元）",
                "计费单位",
            ],
            rows,
            false,
        )
    }

    fn sales(&self) -> Section {
        let mut per: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for u in &self.usage {
            let e = per.entry(u.product_id.as_str()).or_default();
            e.0 += u.calls;
            e.1 += u.units;
        }
        let rows = per
            .into_iter()
            .map(|(p, (calls, units))| {
                vec![
                    text(self.product_name(p)),
                    Cell::Int(calls),
                    Cell::Int(units),
                ]
            })
            .collect();
        section(
            "产品和服务使用情况",
            &["产品和服务", "调用次数", "计费单位数"],
            rows,
            true,
        )
    }

    fn income(&self) -> Section {
        let t = &self.income.total;
        let mut rows = vec![
            vec![
                text("主营业务收入—公共数据运营服务费"),
                Cell::Money(t.revenue),
            ],
            vec![
                text("减：收益分成支出（政府、二级市场）"),
                Cell::Money(t.revenue_shares),
            ],
        ];
        for (c, m) in &t.costs {
            rows.push(vec![
                text(format!("减：营业成本—{}", c.label_zh())),
                Cell::Money(*m),
            ]);
        }
        rows.push(vec![text("经营结果"), Cell::Money(t.operating_result)]);
        section(
            "授权运营成本与收入（专账）",
            &["项目", "金额（元）"],
            rows,
            false,
        )
    }

    fn fee_changes(&self, year: i64) -> Section {
        let mut rows: Vec<Vec<Cell>> = self
            .book
            .caps
            .iter()
            .filter(|c| c.year == year)
            .map(|c| {
                vec![
                    text(c.set_at.format("%Y-%m-%d").to_string()),
                    text(self.product_name(&c.product_id)),
                    text("上限收费标准"),
                    Cell::Money(Money::from_fen(c.cap_fen)),
                ]
            })
            .collect();
        rows.extend(
            self.book
                .prices
                .iter()
                .filter(|p| super::state::year_of(p.effective_from) == year)
                .map(|p| {
                    let top =
                        serde_json::from_str::<gongshu_domain::pricing::PriceSchedule>(&p.schedule)
                            .map(|s| s.highest())
                            .unwrap_or_default();
                    vec![
                        text(p.effective_from.to_string()),
                        text(self.product_name(&p.product_id)),
                        text(if p.origin == "lowered_to_cap" {
                            "具体收费标准（按上限下调）"
                        } else {
                            "具体收费标准"
                        }),
                        Cell::Money(top),
                    ]
                }),
        );
        section(
            "收费标准调整情况",
            &["日期", "产品和服务", "调整事项", "单价（元，阶梯取最高档）"],
            rows,
            false,
        )
    }

    fn security(&self) -> Section {
        let rows = self
            .audit
            .iter()
            .map(|(action, n)| vec![text(action.clone()), Cell::Int(*n)])
            .collect();
        section(
            "安全管理情况：全年审计日志记录（按事项）",
            &["审计事项代码", "记录数"],
            rows,
            true,
        )
    }
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
