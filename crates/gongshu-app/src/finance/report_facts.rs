//! What the reports read, gathered in one read transaction, and the
//! tables built from it (REQUIREMENTS.md §6.3, §6.4).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use gongshu_domain::Money;
use gongshu_store::StoreTx;

use super::internal;
use super::journal::income_of_year;
use super::pricing::revenue_of_year;
use super::reports::{Cell, Section};
use super::state::PriceBook;
use crate::AppError;

pub(super) fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

pub(super) fn section(title: &str, columns: &[&str], rows: Vec<Vec<Cell>>, total: bool) -> Section {
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
pub(super) struct Facts {
    pub(super) book: PriceBook,
    pub(super) orgs: BTreeMap<String, (String, Option<String>)>,
    pub(super) agreements: Vec<gongshu_store::AgreementRow>,
    pub(super) grants: Vec<gongshu_store::DataGrantRow>,
    pub(super) resources: BTreeMap<String, String>,
    pub(super) usage: Vec<gongshu_store::UsageRow>,
    pub(super) revenue: Money,
    pub(super) income: super::journal::IncomeStatementView,
    pub(super) audit: Vec<(String, i64)>,
    pub(super) statements: usize,
}

pub(super) async fn gather(tx: &mut StoreTx, year: i64) -> Result<Facts, AppError> {
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
    pub(super) fn org(&self, id: &str) -> (String, String) {
        self.orgs
            .get(id)
            .map(|(n, c)| (n.clone(), c.clone().unwrap_or_default()))
            .unwrap_or_else(|| (id.to_owned(), String::new()))
    }

    pub(super) fn product_name(&self, id: &str) -> String {
        self.book
            .products
            .get(id)
            .map(|(_, d)| d.name.clone())
            .unwrap_or_else(|| id.to_owned())
    }

    pub(super) fn org_info(&self, title: &str, id: &str) -> Section {
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

    pub(super) fn authorizations(&self, year: i64) -> Section {
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

    pub(super) fn granted_resources(&self, grantee: Option<&str>) -> Section {
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

    pub(super) fn caps(&self, year: i64) -> Section {
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

    pub(super) fn products(&self, year: i64) -> Section {
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

    pub(super) fn sales(&self) -> Section {
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

    pub(super) fn income(&self) -> Section {
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

    pub(super) fn fee_changes(&self, year: i64) -> Section {
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

    pub(super) fn security(&self) -> Section {
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
