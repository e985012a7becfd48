//! Datasets of catalog resources (数据集): column types and validity rules
//! declared in the catalog, load modes, and the quality rules of S-6.4
//! (completeness, validity, consistency, timeliness) with their alerts.
//!
//! The vault stores the rows; this module only says what a valid load and a
//! good-quality version are, so the same rules hold for every adapter.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::UpdateFrequency;
use crate::classification::code_enum;
use crate::{CreditCode, MobileNumber, ResidentIdNumber};

/// Rule: source units answer for the quality of the data they provide.
pub const QUALITY_RULE: &str = "S-6.4";

code_enum! {
    /// Storage type of a column.
    ColumnType, "data_type" {
        /// UTF-8 text.
        String => ("string", "文本"),
        /// 64-bit signed integer.
        Int64 => ("int64", "整数"),
        /// Calendar date `YYYY-MM-DD`.
        Date => ("date", "日期"),
        /// Boolean `true`/`false`/`1`/`0`.
        Boolean => ("boolean", "布尔"),
    }
}

code_enum! {
    /// How a load relates to the previous versions.
    LoadMode, "load_mode" {
        /// The new version replaces everything before it (全量替换).
        Replace => ("replace", "全量替换"),
        /// The new version adds rows to the previous state (增量追加).
        Append => ("append", "增量追加"),
    }
}

/// A validity rule of a column (准确性/有效性 checks), declared in the
/// catalog as text: `resident_id`, `credit_code`, `mobile`,
/// `range:MIN..MAX` (integers), `date:FROM..TO`, `enum:A|B|C`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidityRule {
    /// GB 11643 citizen ID number with check digit.
    ResidentId,
    /// GB 32100 unified social credit code with check character.
    CreditCode,
    /// Mainland mobile number.
    Mobile,
    /// An integer in `min..=max`.
    IntRange {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A date in `from..=to`.
    DateRange {
        /// Earliest allowed.
        from: NaiveDate,
        /// Latest allowed.
        to: NaiveDate,
    },
    /// One of the listed values.
    OneOf(Vec<String>),
}

/// A validity rule text that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "校验规则“{0}”无效，可选：resident_id、credit_code、mobile、range:最小..最大、date:起..止、enum:值1|值2"
)]
pub struct ValidityRuleError(pub String);

impl FromStr for ValidityRule {
    type Err = ValidityRuleError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let err = || ValidityRuleError(raw.to_owned());
        let raw_t = raw.trim();
        match raw_t {
            "resident_id" => return Ok(Self::ResidentId),
            "credit_code" => return Ok(Self::CreditCode),
            "mobile" => return Ok(Self::Mobile),
            _ => {}
        }
        let (kind, arg) = raw_t.split_once(':').ok_or_else(err)?;
        match kind {
            "range" => {
                let (a, b) = arg.split_once("..").ok_or_else(err)?;
                let min: i64 = a.trim().parse().map_err(|_| err())?;
                let max: i64 = b.trim().parse().map_err(|_| err())?;
                if min > max {
                    return Err(err());
                }
                Ok(Self::IntRange { min, max })
            }
            "date" => {
                let (a, b) = arg.split_once("..").ok_or_else(err)?;
                let from = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").map_err(|_| err())?;
                let to = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| err())?;
                if from > to {
                    return Err(err());
                }
                Ok(Self::DateRange { from, to })
            }
            "enum" => {
                let values: Vec<String> = arg.split('|').map(|v| v.trim().to_owned()).collect();
                if values.iter().any(String::is_empty) {
                    return Err(err());
                }
                Ok(Self::OneOf(values))
            }
            _ => Err(err()),
        }
    }
}

impl fmt::Display for ValidityRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResidentId => f.write_str("resident_id"),
            Self::CreditCode => f.write_str("credit_code"),
            Self::Mobile => f.write_str("mobile"),
            Self::IntRange { min, max } => write!(f, "range:{min}..{max}"),
            Self::DateRange { from, to } => write!(f, "date:{from}..{to}"),
            Self::OneOf(v) => write!(f, "enum:{}", v.join("|")),
        }
    }
}

impl Serialize for ValidityRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ValidityRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

impl ValidityRule {
    /// Whether a non-empty raw field satisfies the rule.
    pub fn check(&self, value: &str) -> bool {
        let v = value.trim();
        match self {
            Self::ResidentId => ResidentIdNumber::parse(v).is_ok(),
            Self::CreditCode => CreditCode::parse(v).is_ok(),
            Self::Mobile => MobileNumber::parse(v).is_ok(),
            Self::IntRange { min, max } => {
                v.parse::<i64>().is_ok_and(|n| (*min..=*max).contains(&n))
            }
            Self::DateRange { from, to } => {
                NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok_and(|d| (*from..=*to).contains(&d))
            }
            Self::OneOf(values) => values.iter().any(|x| x == v),
        }
    }
}

/// The longest a version may age under a declared update frequency, in
/// calendar days, before it is late (one day of grace for the load
/// itself); `None` for irregular updates.
pub const fn max_age_days(freq: UpdateFrequency) -> Option<i64> {
    match freq {
        UpdateFrequency::Realtime => Some(1),
        UpdateFrequency::Daily => Some(2),
        UpdateFrequency::Weekly => Some(8),
        UpdateFrequency::Monthly => Some(32),
        UpdateFrequency::Quarterly => Some(93),
        UpdateFrequency::Yearly => Some(367),
        UpdateFrequency::Irregular => None,
    }
}

/// Timeliness (及时性) of a dataset's latest version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timeliness {
    /// Days since the latest version (Asia/Shanghai dates).
    pub age_days: i64,
    /// The allowed age, if the frequency has one.
    pub max_age_days: Option<i64>,
    /// Whether the version is older than allowed.
    pub late: bool,
}

/// Timeliness of a version loaded on `loaded_on`, seen on `today`.
pub fn timeliness(freq: UpdateFrequency, loaded_on: NaiveDate, today: NaiveDate) -> Timeliness {
    let age_days = today.signed_duration_since(loaded_on).num_days().max(0);
    let max = max_age_days(freq);
    Timeliness {
        age_days,
        max_age_days: max,
        late: max.is_some_and(|m| age_days > m),
    }
}

/// Counts of one column in one version, as the vault profiled them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnQuality {
    /// Column name.
    pub name: String,
    /// Empty (NULL) fields.
    pub nulls: u64,
    /// Non-empty fields failing the column's validity rule.
    pub invalid: u64,
    /// Non-empty fields not found in the referenced dataset (consistency).
    #[serde(default)]
    pub unmatched: u64,
    /// The column applies to some rows only (e.g. enterprises' credit
    /// codes among households' bills): its empty fields do not alert.
    #[serde(default)]
    pub partial: bool,
}

/// What a load amounted to, for scoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualitySummary {
    /// Rows stored.
    pub rows: u64,
    /// Rows rejected as malformed (within the bad-row limit).
    pub rejected_rows: u64,
    /// Per column counts.
    pub columns: Vec<ColumnQuality>,
}

/// Alert thresholds, in per-mille (‰) of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityThresholds {
    /// A column with more empty fields than this alerts (completeness).
    pub max_null_permille: u64,
    /// A column with more invalid fields than this alerts (validity).
    pub max_invalid_permille: u64,
    /// A column with more unmatched references than this alerts (consistency).
    pub max_unmatched_permille: u64,
    /// More rejected rows than this alerts.
    pub max_rejected_permille: u64,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        Self {
            max_null_permille: 200,
            max_invalid_permille: 10,
            max_unmatched_permille: 10,
            max_rejected_permille: 0,
        }
    }
}

code_enum! {
    /// The quality dimension an alert is about.
    QualityDimension, "quality_dimension" {
        /// 完整性.
        Completeness => ("completeness", "完整性"),
        /// 准确性.
        Validity => ("validity", "准确性"),
        /// 一致性.
        Consistency => ("consistency", "一致性"),
        /// 及时性.
        Timeliness => ("timeliness", "及时性"),
        /// 规范性 (rejected malformed rows).
        Conformity => ("conformity", "规范性"),
    }
}

/// A threshold crossed by a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityAlert {
    /// Dimension.
    pub dimension: QualityDimension,
    /// The column concerned, if any.
    pub column: Option<String>,
    /// Offending count.
    pub count: u64,
    /// Out of.
    pub of: u64,
    /// Chinese message.
    pub message_zh: String,
}

/// `count / of` exceeds `permille` ‰ (exact integer comparison).
const fn over(count: u64, of: u64, permille: u64) -> bool {
    // count/of > p/1000  <=>  count*1000 > p*of (u128: no overflow).
    (count as u128) * 1000 > (permille as u128) * (of as u128)
}

/// Score of a dimension: the share of good cells in per-mille, rounded down.
pub fn score_permille(bad: u64, of: u64) -> u64 {
    if of == 0 {
        return 1000;
    }
    let good = u128::from(of.saturating_sub(bad));
    u64::try_from((good * 1000) / u128::from(of)).unwrap_or(1000)
}

/// The alerts of a version under `t`.
pub fn quality_alerts(s: &QualitySummary, t: &QualityThresholds) -> Vec<QualityAlert> {
    let mut out = Vec::new();
    let total = s.rows + s.rejected_rows;
    if over(s.rejected_rows, total, t.max_rejected_permille) {
        out.push(QualityAlert {
            dimension: QualityDimension::Conformity,
            column: None,
            count: s.rejected_rows,
            of: total,
            message_zh: format!("{} 行格式错误被拒收（共 {total} 行）", s.rejected_rows),
        });
    }
    for c in &s.columns {
        let checks = [
            (
                QualityDimension::Completeness,
                c.nulls,
                t.max_null_permille,
                "为空",
            ),
            (
                QualityDimension::Validity,
                c.invalid,
                t.max_invalid_permille,
                "未通过校验规则",
            ),
            (
                QualityDimension::Consistency,
                c.unmatched,
                t.max_unmatched_permille,
                "在关联数据集中不存在",
            ),
        ];
        for (dimension, count, limit, what) in checks {
            let expected = c.partial && dimension == QualityDimension::Completeness;
            if count > 0 && !expected && over(count, s.rows, limit) {
                out.push(QualityAlert {
                    dimension,
                    column: Some(c.name.clone()),
                    count,
                    of: s.rows,
                    message_zh: format!(
                        "数据项“{}”有 {count} / {} 行{what}，超过 {}‰ 的阈值",
                        c.name, s.rows, limit
                    ),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn validity_rules_parse_print_and_check() {
        for raw in [
            "resident_id",
            "credit_code",
            "mobile",
            "range:0..120",
            "date:2020-01-01..2026-12-31",
            "enum:居民|非居民",
        ] {
            let r: ValidityRule = raw.parse().unwrap();
            assert_eq!(r.to_string(), raw);
        }
        for bad in [
            "",
            "range:5..1",
            "range:a..b",
            "date:2026-01-01",
            "enum:a||b",
            "email",
        ] {
            assert!(bad.parse::<ValidityRule>().is_err(), "{bad}");
        }
        let age: ValidityRule = "range:0..120".parse().unwrap();
        assert!(age.check("120") && age.check(" 0 "));
        assert!(!age.check("121") && !age.check("-1") && !age.check("x"));
        let kind: ValidityRule = "enum:居民|非居民".parse().unwrap();
        assert!(kind.check("居民") && !kind.check("企业"));
        let id = ValidityRule::ResidentId;
        assert!(id.check("11010519491231002X"));
        assert!(!id.check("110105194912310021"));
        let dates: ValidityRule = "date:2020-01-01..2026-12-31".parse().unwrap();
        assert!(
            dates.check("2026-12-31") && !dates.check("2027-01-01") && !dates.check("2026-13-01")
        );
    }

    #[test]
    fn timeliness_follows_the_declared_frequency() {
        let t = timeliness(UpdateFrequency::Daily, d("2026-11-20"), d("2026-11-22"));
        assert_eq!((t.age_days, t.late), (2, false));
        let t = timeliness(UpdateFrequency::Daily, d("2026-11-20"), d("2026-11-23"));
        assert!(t.late);
        let t = timeliness(UpdateFrequency::Irregular, d("2020-01-01"), d("2026-11-23"));
        assert!(!t.late && t.max_age_days.is_none());
        let t = timeliness(UpdateFrequency::Monthly, d("2026-11-20"), d("2026-11-01"));
        assert_eq!(t.age_days, 0, "a clock behind the load is not negative age");
    }

    #[test]
    fn alerts_fire_exactly_above_the_thresholds() {
        let t = QualityThresholds::default();
        let col = |nulls, invalid, unmatched| ColumnQuality {
            name: "c".into(),
            nulls,
            invalid,
            unmatched,
            partial: false,
        };
        let s = QualitySummary {
            rows: 1000,
            rejected_rows: 0,
            columns: vec![col(200, 10, 10)],
        };
        assert!(
            quality_alerts(&s, &t).is_empty(),
            "at the threshold is fine"
        );
        let s = QualitySummary {
            rows: 1000,
            rejected_rows: 1,
            columns: vec![col(201, 11, 11)],
        };
        let dims: Vec<_> = quality_alerts(&s, &t).iter().map(|a| a.dimension).collect();
        assert_eq!(
            dims,
            vec![
                QualityDimension::Conformity,
                QualityDimension::Completeness,
                QualityDimension::Validity,
                QualityDimension::Consistency
            ]
        );
        assert_eq!(score_permille(1, 3), 666);
        assert_eq!(score_permille(0, 0), 1000);
    }

    #[test]
    fn a_column_for_some_rows_only_is_not_incomplete_but_still_validated() {
        let s = QualitySummary {
            rows: 1000,
            rejected_rows: 0,
            columns: vec![ColumnQuality {
                name: "credit_code".into(),
                nulls: 950,
                invalid: 11,
                unmatched: 0,
                partial: true,
            }],
        };
        let dims: Vec<_> = quality_alerts(&s, &QualityThresholds::default())
            .iter()
            .map(|a| a.dimension)
            .collect();
        assert_eq!(dims, vec![QualityDimension::Validity]);
    }
}
