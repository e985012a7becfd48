//! The 13 clauses (S-3.3.3c), the term (S-2.2a) and their parsing.

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{AgreementError, MAX_CLAUSE_CHARS, MAX_TERM_MONTHS, RENEWAL_WINDOW_MONTHS};
use crate::calendar::CalendarError;
use crate::ids::DatasetId;
use crate::org::OrgKind;

/// Chinese name of clause `n` (1–13) of S-3.3.3c.
pub fn clause_label(n: u8) -> &'static str {
    match n {
        1 => "公共数据资源范围及数据资源目录",
        2 => "运营期限",
        3 => "产品和服务清单及技术标准、安全审核和业务规范性审核要求",
        4 => "技术支撑平台",
        5 => "资产权属",
        6 => "信息披露要求",
        7 => "经营成本和收入核算及收益分配",
        8 => "数据安全、个人信息保护、风险监测和应急处置",
        9 => "运营成效评价、续约或退出",
        10 => "违约责任",
        11 => "争议解决",
        12 => "协议变更、终止条件",
        _ => "其他",
    }
}

/// Term (运营期限) of an agreement: first and last day, both inclusive,
/// at most 3 years (S-2.2a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgreementTerm {
    start: NaiveDate,
    end: NaiveDate,
}

impl AgreementTerm {
    /// A term from `start` to `end`, inclusive.
    ///
    /// The latest end is the day before the third anniversary of `start`
    /// ("3 years" counts `start` as the first day): 2026-01-01 runs at most
    /// to 2028-12-31. When the anniversary does not exist (a start on
    /// 29 February) it falls on 1 March, so the latest end is 28 February.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, AgreementError> {
        if end < start {
            return Err(AgreementError::TermInverted { start, end });
        }
        let latest = latest_end(start)?;
        if end > latest {
            return Err(AgreementError::TermTooLong { end, latest });
        }
        Ok(Self { start, end })
    }

    /// First day.
    pub const fn start(&self) -> NaiveDate {
        self.start
    }

    /// Last day.
    pub const fn end(&self) -> NaiveDate {
        self.end
    }

    /// Whether the two terms share a day.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// First day on which renewal may be applied for (S-2.2b): the window
    /// is the last 3 calendar months of the term, both ends inclusive, so a
    /// term ending 2026-12-31 opens its window on 2026-10-01.
    pub fn renewal_opens_on(&self) -> Result<NaiveDate, AgreementError> {
        self.end
            .checked_add_days(Days::new(1))
            .and_then(|after| after.checked_sub_months(Months::new(RENEWAL_WINDOW_MONTHS)))
            .ok_or(AgreementError::Calendar(CalendarError::OutOfRange))
    }
}

fn latest_end(start: NaiveDate) -> Result<NaiveDate, AgreementError> {
    let out_of_range = AgreementError::Calendar(CalendarError::OutOfRange);
    let anniversary = start
        .checked_add_months(Months::new(MAX_TERM_MONTHS))
        .ok_or(out_of_range.clone())?;
    // chrono clamps 29 February to the 28th; the anniversary is then 1 March.
    if chrono::Datelike::day(&anniversary) != chrono::Datelike::day(&start) {
        return Ok(anniversary);
    }
    anniversary
        .checked_sub_days(Days::new(1))
        .ok_or(out_of_range)
}

/// Data scope (clause 1): the resource catalog and the datasets it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataScope {
    /// Catalog description (数据资源目录).
    pub catalog: String,
    /// Datasets authorized (at least one).
    pub dataset_ids: Vec<DatasetId>,
}

/// Input form of the 13 clauses, as sent by clients and stored as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClausesInput {
    /// Clause 1.
    pub data_scope: DataScopeInput,
    /// Clause 2.
    pub term: TermInput,
    /// Clause 3.
    pub products_and_services: String,
    /// Clause 4.
    pub technical_platform: String,
    /// Clause 5.
    pub asset_ownership: String,
    /// Clause 6.
    pub disclosure: String,
    /// Clause 7.
    pub cost_revenue_and_distribution: String,
    /// Clause 8.
    pub security_and_emergency: String,
    /// Clause 9.
    pub evaluation_renewal_exit: String,
    /// Clause 10.
    pub breach_liability: String,
    /// Clause 11.
    pub dispute_resolution: String,
    /// Clause 12.
    pub change_and_termination: String,
    /// Clause 13.
    pub other: String,
}

/// Input form of clause 1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataScopeInput {
    /// Catalog description.
    pub catalog: String,
    /// Dataset ids (UUID text).
    pub dataset_ids: Vec<String>,
}

/// Input form of clause 2.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TermInput {
    /// First day (inclusive).
    pub start: Option<NaiveDate>,
    /// Last day (inclusive).
    pub end: Option<NaiveDate>,
}

/// The 13 clauses of an authorization agreement (协议条款, S-3.3.3c), all
/// required. Built only by [`AgreementClauses::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgreementClauses {
    data_scope: DataScope,
    term: AgreementTerm,
    texts: [String; 11],
}

/// JSON field names of clauses 3–13, in order.
const TEXT_FIELDS: [&str; 11] = [
    "products_and_services",
    "technical_platform",
    "asset_ownership",
    "disclosure",
    "cost_revenue_and_distribution",
    "security_and_emergency",
    "evaluation_renewal_exit",
    "breach_liability",
    "dispute_resolution",
    "change_and_termination",
    "other",
];

/// Clauses whose change is a "major change" of S-2.4 (scenarios: the
/// product list; data scale: the data scope; cost/revenue accounting and
/// revenue distribution), by JSON field.
pub(super) const MAJOR_CHANGE_FIELDS: [&str; 3] = [
    "data_scope",
    "products_and_services",
    "cost_revenue_and_distribution",
];

impl AgreementClauses {
    /// Checks every clause; returns all the errors found, each naming its clause.
    pub fn parse(input: &ClausesInput) -> Result<Self, Vec<AgreementError>> {
        let mut errors = Vec::new();
        let catalog = required_text(&input.data_scope.catalog, 1, "data_scope.catalog")
            .map_err(|e| errors.push(e))
            .ok();
        let mut dataset_ids = Vec::new();
        for raw in &input.data_scope.dataset_ids {
            match DatasetId::parse(raw) {
                Ok(id) if !dataset_ids.contains(&id) => dataset_ids.push(id),
                Ok(_) => {}
                Err(_) => errors.push(AgreementError::DatasetIdInvalid { found: raw.clone() }),
            }
        }
        if input.data_scope.dataset_ids.is_empty() {
            errors.push(AgreementError::DatasetsMissing);
        }
        let term = match (input.term.start, input.term.end) {
            (Some(start), Some(end)) => AgreementTerm::new(start, end)
                .map_err(|e| errors.push(e))
                .ok(),
            (start, _) => {
                errors.push(AgreementError::ClauseMissing {
                    clause: 2,
                    field: if start.is_none() {
                        "term.start"
                    } else {
                        "term.end"
                    },
                });
                None
            }
        };
        let raw_texts = input.texts();
        let mut texts: [String; 11] = Default::default();
        for (i, (slot, raw)) in texts.iter_mut().zip(raw_texts).enumerate() {
            let clause = u8::try_from(i + 3).unwrap_or(13);
            match required_text(raw, clause, TEXT_FIELDS[i]) {
                Ok(t) => *slot = t,
                Err(e) => errors.push(e),
            }
        }
        match (catalog, term) {
            (Some(catalog), Some(term)) if errors.is_empty() => Ok(Self {
                data_scope: DataScope {
                    catalog,
                    dataset_ids,
                },
                term,
                texts,
            }),
            _ => Err(errors),
        }
    }

    /// Clause 1.
    pub fn data_scope(&self) -> &DataScope {
        &self.data_scope
    }

    /// Clause 2.
    pub fn term(&self) -> AgreementTerm {
        self.term
    }

    /// Clause `n` (3–13) as text.
    pub fn text(&self, n: u8) -> Option<&str> {
        usize::from(n)
            .checked_sub(3)
            .and_then(|i| self.texts.get(i))
            .map(String::as_str)
    }

    /// The input form (for storage and display).
    pub fn to_input(&self) -> ClausesInput {
        let t = |i: usize| self.texts.get(i).cloned().unwrap_or_default();
        ClausesInput {
            data_scope: DataScopeInput {
                catalog: self.data_scope.catalog.clone(),
                dataset_ids: self
                    .data_scope
                    .dataset_ids
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            },
            term: TermInput {
                start: Some(self.term.start),
                end: Some(self.term.end),
            },
            products_and_services: t(0),
            technical_platform: t(1),
            asset_ownership: t(2),
            disclosure: t(3),
            cost_revenue_and_distribution: t(4),
            security_and_emergency: t(5),
            evaluation_renewal_exit: t(6),
            breach_liability: t(7),
            dispute_resolution: t(8),
            change_and_termination: t(9),
            other: t(10),
        }
    }

    /// JSON fields of the clauses that differ between `self` and `new`.
    pub fn changed_fields(&self, new: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.data_scope != new.data_scope {
            out.push("data_scope");
        }
        if self.term != new.term {
            out.push("term");
        }
        for (i, field) in TEXT_FIELDS.iter().enumerate() {
            if self.texts.get(i) != new.texts.get(i) {
                out.push(*field);
            }
        }
        out
    }
}

impl ClausesInput {
    fn texts(&self) -> [&String; 11] {
        [
            &self.products_and_services,
            &self.technical_platform,
            &self.asset_ownership,
            &self.disclosure,
            &self.cost_revenue_and_distribution,
            &self.security_and_emergency,
            &self.evaluation_renewal_exit,
            &self.breach_liability,
            &self.dispute_resolution,
            &self.change_and_termination,
            &self.other,
        ]
    }
}

fn required_text(raw: &str, clause: u8, field: &'static str) -> Result<String, AgreementError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(AgreementError::ClauseMissing { clause, field });
    }
    if t.chars().count() > MAX_CLAUSE_CHARS {
        return Err(AgreementError::ClauseTooLong { clause, field });
    }
    Ok(t.to_owned())
}

/// A required short text (meeting reference, receipt number, opinion).
pub fn short_text(raw: &str, field: &'static str, max: usize) -> Result<String, AgreementError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(AgreementError::TextInvalid { field });
    }
    Ok(t.to_owned())
}

/// Whether an organisation of `kind` is one whose opinion S-3.3.3a asks for:
/// sector regulators and the supervisors (data bureau, finance, pricing,
/// security regulators).
pub const fn gives_opinion(kind: OrgKind) -> bool {
    matches!(
        kind,
        OrgKind::SectorRegulator
            | OrgKind::DataBureau
            | OrgKind::FinanceBureau
            | OrgKind::PricingAuthority
            | OrgKind::SecurityRegulator
    )
}
