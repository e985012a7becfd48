//! Periodic evaluation of the operator (运营评估, S-7.2-3).
//!
//! The county data bureau evaluates the operator for a period on five
//! indicators (REQUIREMENTS §10: `[芜湖]` security, performance, scenario
//! benefit, public-interest service; data quality from the examination
//! content): each an integer score 0..=100 with an integer weight, the
//! weights summing to 100. The total is kept in hundredths of a point
//! (Σ score × weight, 0..=10 000), exact, no floats. The grade follows
//! thresholds that §10 does not fix (`[青岛]` names 优秀/合格/不合格 only);
//! ours are documented defaults: 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, else
//! 不合格.
//!
//! Rectification (整改): the evaluation may carry requirements with one
//! deadline; a 不合格 evaluation must. The deadline defaults to 30 日
//! (`[芜湖]`, §3.2, counted by 民法典 Art. 203) or is given in working days.
//! The operator reports its rectification; the data bureau accepts it or
//! returns it. A 不合格 evaluation whose rectification was not submitted by
//! the deadline (and accepted) refuses renewal (S-7.2-3; see
//! [`Evaluation::blocks_renewal`] and `agreement::Agreement::check_renewal`).
//!
//! ```text
//! (recorded) ──► Completed                       (no requirements)
//! (recorded) ──► Rectifying ──submit──► RectificationSubmitted ──accept──► Rectified
//!                    ▲                          │
//!                    └──────────return──────────┘
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::calendar::{CalendarError, WorkingDayCalendar};
use crate::deadline::due_in_working_days;

/// Default rectification period in calendar days (`[芜湖]` 限期整改 30 日).
pub const RECTIFICATION_DAYS: u32 = 30;
/// Longest rectification period that may be given, in working days.
pub const MAX_RECTIFICATION_WORKING_DAYS: u32 = 120;
/// Longest requirement, report or note text, in characters.
pub const MAX_TEXT_CHARS: usize = 5_000;
/// Thresholds of the grades in hundredths of a point (优秀, 良好, 合格).
pub const GRADE_THRESHOLDS: [u32; 3] = [9_000, 8_000, 6_000];

macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $code:literal, $zh:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v,)+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$v,)+];
            /// Stable code, as stored and sent.
            pub const fn as_str(self) -> &'static str { match self { $(Self::$v => $code,)+ } }
            /// Chinese label.
            pub const fn label_zh(self) -> &'static str { match self { $(Self::$v => $zh,)+ } }
            /// Parses a code.
            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }
    };
}
pub(crate) use codes;

codes!(
    /// Evaluation indicator (评估指标, REQUIREMENTS §10).
    Indicator {
        /// 安全评估.
        Security => "security", "安全评估";
        /// 绩效评价.
        Performance => "performance", "绩效评价";
        /// 场景效益.
        ScenarioBenefit => "scenario_benefit", "场景效益";
        /// 公益服务情况.
        PublicInterest => "public_interest", "公益服务情况";
        /// 数据质量.
        DataQuality => "data_quality", "数据质量";
    }
);

codes!(
    /// Grade (评估等次).
    Grade {
        /// 优秀.
        Excellent => "excellent", "优秀";
        /// 良好.
        Good => "good", "良好";
        /// 合格.
        Pass => "pass", "合格";
        /// 不合格.
        Fail => "fail", "不合格";
    }
);

codes!(
    /// Status of an evaluation (评估状态).
    EvaluationStatus {
        /// Nothing to rectify (已完成).
        Completed => "completed", "已完成";
        /// Rectification required (整改中).
        Rectifying => "rectifying", "整改中";
        /// The operator reported its rectification (整改已报送).
        RectificationSubmitted => "rectification_submitted", "整改已报送";
        /// The data bureau accepted the rectification (已整改).
        Rectified => "rectified", "已整改";
    }
);

codes!(
    /// Command on an evaluation.
    EvaluationCommand {
        /// The operator reports its rectification.
        SubmitRectification => "submit_rectification", "报送整改情况";
        /// The data bureau accepts it.
        AcceptRectification => "accept_rectification", "确认整改完成";
        /// The data bureau returns it.
        ReturnRectification => "return_rectification", "退回整改";
    }
);

impl EvaluationStatus {
    /// The status after `command`.
    pub fn apply(self, command: EvaluationCommand) -> Result<Self, EvaluationError> {
        use EvaluationCommand as C;
        use EvaluationStatus as S;
        Ok(match (self, command) {
            (S::Rectifying, C::SubmitRectification) => S::RectificationSubmitted,
            (S::RectificationSubmitted, C::AcceptRectification) => S::Rectified,
            (S::RectificationSubmitted, C::ReturnRectification) => S::Rectifying,
            (from, command) => return Err(EvaluationError::InvalidTransition { from, command }),
        })
    }
}

/// Default weights, in the order of [`Indicator::ALL`] (our own default).
pub const DEFAULT_WEIGHTS: [u8; 5] = [30, 25, 20, 15, 10];

/// One indicator's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreInput {
    /// Indicator code.
    pub indicator: String,
    /// Score 0..=100.
    pub score: i64,
    /// Weight 0..=100; the default weight when absent.
    #[serde(default)]
    pub weight: Option<i64>,
}

/// One indicator's checked score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndicatorScore {
    /// Indicator.
    #[serde(serialize_with = "ser_indicator")]
    pub indicator: Indicator,
    /// Score 0..=100.
    pub score: u8,
    /// Weight 0..=100.
    pub weight: u8,
}

fn ser_indicator<S: serde::Serializer>(i: &Indicator, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(i.as_str())
}

/// The five indicator scores, weights summing to 100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scorecard {
    scores: Vec<IndicatorScore>,
}

impl Scorecard {
    /// Checks every indicator; returns all the errors found.
    pub fn parse(input: &[ScoreInput]) -> Result<Self, Vec<EvaluationError>> {
        let mut errors = Vec::new();
        let mut scores = Vec::new();
        for raw in input {
            let Some(indicator) = Indicator::parse(&raw.indicator) else {
                errors.push(EvaluationError::IndicatorUnknown {
                    found: raw.indicator.clone(),
                });
                continue;
            };
            if scores
                .iter()
                .any(|s: &IndicatorScore| s.indicator == indicator)
            {
                errors.push(EvaluationError::IndicatorDuplicate { indicator });
                continue;
            }
            let default = Indicator::ALL
                .iter()
                .position(|i| *i == indicator)
                .and_then(|p| DEFAULT_WEIGHTS.get(p).copied())
                .unwrap_or(0);
            let score = u8::try_from(raw.score).ok().filter(|s| *s <= 100);
            let weight = match raw.weight {
                None => Some(default),
                Some(w) => u8::try_from(w).ok().filter(|w| *w <= 100),
            };
            match (score, weight) {
                (Some(score), Some(weight)) => scores.push(IndicatorScore {
                    indicator,
                    score,
                    weight,
                }),
                (None, _) => errors.push(EvaluationError::ScoreOutOfRange { indicator }),
                (_, None) => errors.push(EvaluationError::WeightOutOfRange { indicator }),
            }
        }
        for indicator in Indicator::ALL {
            let named = input.iter().any(|r| r.indicator == indicator.as_str());
            if !named {
                errors.push(EvaluationError::IndicatorMissing {
                    indicator: *indicator,
                });
            }
        }
        if errors.is_empty() {
            let sum: u32 = scores.iter().map(|s| u32::from(s.weight)).sum();
            if sum != 100 {
                errors.push(EvaluationError::WeightsSum { sum });
            }
        }
        if errors.is_empty() {
            scores.sort_by_key(|s| Indicator::ALL.iter().position(|i| *i == s.indicator));
            Ok(Self { scores })
        } else {
            Err(errors)
        }
    }

    /// The scores, in the order of [`Indicator::ALL`].
    pub fn scores(&self) -> &[IndicatorScore] {
        &self.scores
    }

    /// Weighted total in hundredths of a point: Σ score × weight, 0..=10 000.
    pub fn total_hundredths(&self) -> u32 {
        self.scores
            .iter()
            .map(|s| u32::from(s.score) * u32::from(s.weight))
            .sum()
    }

    /// The grade of the total.
    pub fn grade(&self) -> Grade {
        grade_of(self.total_hundredths())
    }
}

/// The grade of a total in hundredths of a point.
pub fn grade_of(total_hundredths: u32) -> Grade {
    let [excellent, good, pass] = GRADE_THRESHOLDS;
    if total_hundredths >= excellent {
        Grade::Excellent
    } else if total_hundredths >= good {
        Grade::Good
    } else if total_hundredths >= pass {
        Grade::Pass
    } else {
        Grade::Fail
    }
}

/// A total in hundredths shown as points, e.g. `85.50`.
pub fn format_total(total_hundredths: u32) -> String {
    format!("{}.{:02}", total_hundredths / 100, total_hundredths % 100)
}

/// Input of the rectification requirements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RectificationInput {
    /// The requirements (one text each).
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Deadline in working days after the evaluation date; when absent 30
    /// calendar days ([`RECTIFICATION_DAYS`]).
    #[serde(default)]
    pub working_days: Option<i64>,
}

/// Checked rectification requirements with their deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rectification {
    /// The requirements.
    pub requirements: Vec<String>,
    /// Last day to rectify.
    pub due_on: NaiveDate,
}

/// Checks one text field.
pub fn text(raw: &str, field: &'static str) -> Result<String, EvaluationError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT_CHARS {
        return Err(EvaluationError::TextInvalid { field });
    }
    Ok(t.to_owned())
}

/// Checks the period and the date of an evaluation done on `today`.
pub fn check_period(
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Result<(), EvaluationError> {
    if end < start {
        return Err(EvaluationError::PeriodInverted { start, end });
    }
    if end > today {
        return Err(EvaluationError::PeriodNotOver { end, today });
    }
    Ok(())
}

/// Checks the requirements; a 不合格 grade needs at least one. Returns
/// `None` when nothing is to be rectified.
pub fn rectification(
    grade: Grade,
    input: &RectificationInput,
    evaluated_on: NaiveDate,
    calendar: &WorkingDayCalendar,
) -> Result<Option<Rectification>, EvaluationError> {
    let requirements = input
        .requirements
        .iter()
        .map(|r| text(r, "rectification.requirements"))
        .collect::<Result<Vec<_>, _>>()?;
    if requirements.is_empty() {
        if grade == Grade::Fail {
            return Err(EvaluationError::RectificationRequired);
        }
        return Ok(None);
    }
    let due_on = match input.working_days {
        None => calendar.add_calendar_days(evaluated_on, RECTIFICATION_DAYS)?,
        Some(days) => {
            let days = u32::try_from(days)
                .ok()
                .filter(|d| (1..=MAX_RECTIFICATION_WORKING_DAYS).contains(d))
                .ok_or(EvaluationError::WorkingDaysOutOfRange)?;
            due_in_working_days(calendar, evaluated_on, days)?
        }
    };
    Ok(Some(Rectification {
        requirements,
        due_on,
    }))
}

/// What renewal needs to know of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Grade.
    pub grade: Grade,
    /// Status.
    pub status: EvaluationStatus,
    /// Rectification deadline.
    pub due_on: Option<NaiveDate>,
    /// When the accepted (or pending) rectification was reported.
    pub submitted_on: Option<NaiveDate>,
}

impl Evaluation {
    /// Whether this evaluation refuses renewal on `today` (S-7.2-3): it is
    /// 不合格, its deadline has passed, and no rectification reported by the
    /// deadline was accepted (one reported in time and awaiting the data
    /// bureau's check does not count yet).
    pub fn blocks_renewal(&self, today: NaiveDate) -> bool {
        let Some(due_on) = self.due_on else {
            return false;
        };
        if self.grade != Grade::Fail || today <= due_on {
            return false;
        }
        let in_time = self.submitted_on.is_some_and(|s| s <= due_on);
        !(self.status == EvaluationStatus::Rectified && in_time)
    }
}

/// Why an evaluation command or input is refused (all S-7.2-3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluationError {
    /// The command does not apply in this status.
    #[error("cannot {} an evaluation that is {}", command.as_str(), from.as_str())]
    InvalidTransition {
        /// Current status.
        from: EvaluationStatus,
        /// Refused command.
        command: EvaluationCommand,
    },
    /// Unknown indicator code.
    #[error("indicator `{found}` is unknown")]
    IndicatorUnknown {
        /// The code sent.
        found: String,
    },
    /// An indicator is given twice.
    #[error("indicator `{}` is given twice", indicator.as_str())]
    IndicatorDuplicate {
        /// The indicator.
        indicator: Indicator,
    },
    /// An indicator is missing.
    #[error("indicator `{}` is missing", indicator.as_str())]
    IndicatorMissing {
        /// The indicator.
        indicator: Indicator,
    },
    /// A score is outside 0..=100.
    #[error("the score of `{}` is outside 0..=100", indicator.as_str())]
    ScoreOutOfRange {
        /// The indicator.
        indicator: Indicator,
    },
    /// A weight is outside 0..=100.
    #[error("the weight of `{}` is outside 0..=100", indicator.as_str())]
    WeightOutOfRange {
        /// The indicator.
        indicator: Indicator,
    },
    /// The weights do not sum to 100.
    #[error("the weights sum to {sum}, not 100")]
    WeightsSum {
        /// Their sum.
        sum: u32,
    },
    /// The period ends before it starts.
    #[error("the period ends on {end}, before it starts on {start}")]
    PeriodInverted {
        /// Start.
        start: NaiveDate,
        /// End.
        end: NaiveDate,
    },
    /// The period is not over yet.
    #[error("the period ends on {end}, after today {today}")]
    PeriodNotOver {
        /// End.
        end: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// A 不合格 evaluation without rectification requirements.
    #[error("a failed evaluation needs rectification requirements")]
    RectificationRequired,
    /// The working days are outside 1..=120.
    #[error("the rectification period is outside 1..=120 working days")]
    WorkingDaysOutOfRange,
    /// A required text is empty or too long.
    #[error("`{field}` is empty or too long")]
    TextInvalid {
        /// The field.
        field: &'static str,
    },
    /// A deadline needed an unpublished holiday schedule.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl EvaluationError {
    /// Whether this is an input error (422) rather than a refusal in the
    /// current state (409).
    pub const fn is_input_error(&self) -> bool {
        !matches!(self, Self::InvalidTransition { .. } | Self::Calendar(_))
    }

    /// The input field concerned.
    pub fn field(&self) -> String {
        match self {
            Self::IndicatorUnknown { .. } | Self::IndicatorDuplicate { .. } => "scores".into(),
            Self::IndicatorMissing { indicator }
            | Self::ScoreOutOfRange { indicator }
            | Self::WeightOutOfRange { indicator } => format!("scores.{}", indicator.as_str()),
            Self::WeightsSum { .. } => "scores.weight".into(),
            Self::PeriodInverted { .. } | Self::PeriodNotOver { .. } => "period_end".into(),
            Self::RectificationRequired => "rectification.requirements".into(),
            Self::WorkingDaysOutOfRange => "rectification.working_days".into(),
            Self::TextInvalid { field } => (*field).into(),
            _ => "evaluation".into(),
        }
    }
}

impl DomainError for EvaluationError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "evaluation.invalid_transition",
            Self::IndicatorUnknown { .. } => "evaluation.indicator_unknown",
            Self::IndicatorDuplicate { .. } => "evaluation.indicator_duplicate",
            Self::IndicatorMissing { .. } => "evaluation.indicator_missing",
            Self::ScoreOutOfRange { .. } => "evaluation.score_out_of_range",
            Self::WeightOutOfRange { .. } => "evaluation.weight_out_of_range",
            Self::WeightsSum { .. } => "evaluation.weights_sum",
            Self::PeriodInverted { .. } => "evaluation.period_inverted",
            Self::PeriodNotOver { .. } => "evaluation.period_not_over",
            Self::RectificationRequired => "evaluation.rectification_required",
            Self::WorkingDaysOutOfRange => "evaluation.working_days_out_of_range",
            Self::TextInvalid { .. } => "evaluation.text_invalid",
            Self::Calendar(e) => e.code(),
        }
    }

    fn message_zh(&self) -> String {
        let text = match self {
            Self::InvalidTransition { from, command } => format!(
                "评估当前状态为“{}”，不能{}",
                from.label_zh(),
                command.label_zh()
            ),
            Self::IndicatorUnknown { found } => format!("评估指标“{found}”不存在"),
            Self::IndicatorDuplicate { indicator } => {
                format!("评估指标“{}”重复", indicator.label_zh())
            }
            Self::IndicatorMissing { indicator } => {
                format!("缺少评估指标“{}”的得分", indicator.label_zh())
            }
            Self::ScoreOutOfRange { indicator } => {
                format!(
                    "评估指标“{}”的得分须为 0 至 100 的整数",
                    indicator.label_zh()
                )
            }
            Self::WeightOutOfRange { indicator } => {
                format!(
                    "评估指标“{}”的权重须为 0 至 100 的整数",
                    indicator.label_zh()
                )
            }
            Self::WeightsSum { sum } => format!("各项指标权重之和须为 100，现为 {sum}"),
            Self::PeriodInverted { start, end } => {
                format!("评估期间终止日 {end} 早于起始日 {start}")
            }
            Self::PeriodNotOver { end, today } => {
                format!("评估期间至 {end} 尚未结束（今日 {today}）")
            }
            Self::RectificationRequired => "评估结果为不合格的，须列明整改要求和期限".into(),
            Self::WorkingDaysOutOfRange => {
                format!("整改期限须为 1 至 {MAX_RECTIFICATION_WORKING_DAYS} 个工作日")
            }
            Self::TextInvalid { field } => format!("“{field}”不能为空且不超过 {MAX_TEXT_CHARS} 字"),
            Self::Calendar(e) => e.message_zh(),
        };
        format!("{text}（S-7.2-3）")
    }
}

#[cfg(test)]
mod tests;
