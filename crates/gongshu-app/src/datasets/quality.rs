//! Quality reports of versions (S-6.4) and the obligations they raise:
//! rectifying a version whose quality crossed a threshold, and updating a
//! dataset that is late against its declared update frequency.

use chrono::{Duration, NaiveDate};
use gongshu_domain::WorkingDayCalendar;
use gongshu_domain::dataset::{
    ColumnQuality, QualityAlert, QualitySummary, QualityThresholds, score_permille,
};
use gongshu_domain::deadline::{Obligation, due_in_working_days};
use gongshu_vault::LoadReport;
use serde::{Deserialize, Serialize};

use super::{RULE, timeliness_of};
use crate::inbox::shanghai_today;
use crate::{App, AppError, catalog};

/// Working days a provider has to rectify a version with quality alerts.
/// REQUIREMENTS sets no statutory limit; this is the platform's own rule.
pub const RECTIFY_WORKING_DAYS: u32 = 10;

/// Per-column figures of a report (counts only, never values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnReport {
    /// Column name.
    pub name: String,
    /// Empty fields.
    pub nulls: u64,
    /// Fields failing the validity rule.
    pub invalid: u64,
    /// Fields missing from the referenced dataset.
    pub unmatched: u64,
    /// Distinct values.
    pub distinct: u64,
    /// Input lines of the first invalid fields (失败样本, by line only).
    pub invalid_lines: Vec<u64>,
}

/// Quality of one version: scores in per-mille, columns, alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Rows stored.
    pub rows: u64,
    /// Malformed rows skipped.
    pub rejected_rows: u64,
    /// 完整性: non-empty cells, ‰.
    pub completeness_permille: u64,
    /// 准确性: rows passing every validity rule, ‰.
    pub validity_permille: u64,
    /// 一致性: referenced values found, ‰ (1000 without references).
    pub consistency_permille: u64,
    /// Columns whose reference could not be checked.
    pub references_unavailable: Vec<String>,
    /// Per column.
    pub columns: Vec<ColumnReport>,
    /// Thresholds crossed.
    pub alerts: Vec<QualityAlert>,
}

/// The report of a load under `thresholds`; `partial` names the columns
/// that apply to some rows only (their empty fields are expected).
pub(crate) fn report(
    load: &LoadReport,
    referenced_columns: u64,
    unavailable: &[String],
    partial: &[String],
    thresholds: &QualityThresholds,
) -> QualityReport {
    let p = &load.profile;
    let summary = QualitySummary {
        rows: p.rows,
        rejected_rows: load.rejected_rows,
        columns: p
            .columns
            .iter()
            .map(|c| ColumnQuality {
                name: c.name.clone(),
                nulls: c.null_count,
                invalid: c.invalid_count,
                unmatched: c.unmatched_count,
                partial: partial.contains(&c.name),
            })
            .collect(),
    };
    // Completeness counts the cells that should be filled: a column that
    // applies to some rows only (partial) is left out of the score.
    let (partial_cells, partial_filled) = p
        .columns
        .iter()
        .filter(|c| partial.contains(&c.name))
        .fold((0u64, 0u64), |(cells, filled), c| {
            (cells + p.rows, filled + p.rows.saturating_sub(c.null_count))
        });
    let cells = p.completeness.denominator.saturating_sub(partial_cells);
    let filled = p.completeness.numerator.saturating_sub(partial_filled);
    let unmatched: u64 = p.columns.iter().map(|c| c.unmatched_count).sum();
    let referenced = p.rows.saturating_mul(referenced_columns);
    QualityReport {
        rows: p.rows,
        rejected_rows: load.rejected_rows,
        completeness_permille: score_permille(cells - filled.min(cells), cells),
        validity_permille: score_permille(
            p.validity.denominator - p.validity.numerator.min(p.validity.denominator),
            p.validity.denominator,
        ),
        consistency_permille: score_permille(unmatched, referenced),
        references_unavailable: unavailable.to_vec(),
        columns: p
            .columns
            .iter()
            .map(|c| ColumnReport {
                name: c.name.clone(),
                nulls: c.null_count,
                invalid: c.invalid_count,
                unmatched: c.unmatched_count,
                distinct: c.distinct_count,
                invalid_lines: c.invalid_lines.clone(),
            })
            .collect(),
        alerts: gongshu_domain::dataset::quality_alerts(&summary, thresholds),
    }
}

/// Open quality obligations of providers: rectify alerts, update late data.
///
/// # Errors
/// Store errors.
pub async fn quality_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let latest = tx.latest_dataset_versions().await?;
    tx.commit().await?;
    let calendar = WorkingDayCalendar::official().map_err(|e| AppError::Internal(e.to_string()))?;
    let mut out = Vec::new();
    for v in latest {
        let row = catalog::load(app, &v.resource_id).await?;
        let Ok(entry) = catalog::stored_entry(&row) else {
            continue;
        };
        let loaded_on = shanghai_today(v.loaded_at);
        if v.alerts > 0 {
            // A date in an unpublished year is shown on the start day, flagged by the inbox.
            let due_on = due_in_working_days(&calendar, loaded_on, RECTIFY_WORKING_DAYS)
                .unwrap_or(loaded_on);
            out.push(Obligation {
                kind: "dataset.quality_rectify".into(),
                title_zh: format!("数据质量整改（第 {} 版有告警）：{}", v.version, row.name),
                rule: RULE.into(),
                subject_type: "catalog_resource".into(),
                subject_id: row.id.clone(),
                responsible_org: row.provider_org_id.clone(),
                started_on: loaded_on,
                due_on,
            });
        }
        if let Some(t) = timeliness_of(&entry, v.loaded_at, today)
            && let Some(max) = t.max_age_days
            && t.age_days + 2 >= max
        {
            out.push(Obligation {
                kind: "dataset.update_due".into(),
                title_zh: format!("按声明的更新频率更新数据：{}", row.name),
                rule: RULE.into(),
                subject_type: "catalog_resource".into(),
                subject_id: row.id.clone(),
                responsible_org: row.provider_org_id.clone(),
                started_on: loaded_on,
                due_on: loaded_on + Duration::days(max),
            });
        }
    }
    Ok(out)
}
