//! Training views (R5.4, S-6.2-4): the owner draws a sampled,
//! de-identified extract of one of its tables inside the space; the view
//! is a table of its own sandbox (same rules as every table) and the only
//! kind of table of the development zone. It lives only while the owner
//! holds a live grant on the source dataset.

use chrono::{DateTime, Utc};
use gongshu_domain::classification::SandboxClass;
use gongshu_ledger::RetentionClass;
use gongshu_sandbox::{ColumnSpec, PERSON_REF, TableSpec, TrainingOptions, training_extract};
use gongshu_store::{StoreTx, TrainingViewRow};
use serde::Serialize;

use super::tables::{GrantedColumn, SandboxTable};
use crate::agreements::commit_with;
use crate::error::{AppError, FieldError};
use crate::inbox::shanghai_today;
use crate::{Actor, App, AuditEvent, new_id};

/// Rows one training view holds at most.
const MAX_ROWS: usize = 1_000_000;

/// A created training view.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingView {
    /// Id (also the vault dataset).
    pub id: String,
    /// SQL name.
    pub table: String,
    /// The table it was drawn from.
    pub source_table: String,
    /// Share of persons kept, e.g. `0.1`.
    pub fraction: String,
    /// Rows kept.
    pub rows: i64,
    /// Persons kept.
    pub persons: i64,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<&TrainingViewRow> for TrainingView {
    fn from(r: &TrainingViewRow) -> Self {
        Self {
            id: r.id.clone(),
            table: r.table_name.clone(),
            source_table: r.source_table.clone(),
            fraction: gongshu_sandbox::micro_text(u64::try_from(r.fraction_ppm).unwrap_or(0)),
            rows: r.rows_kept,
            persons: r.persons_kept,
            created_at: r.created_at,
        }
    }
}

fn invalid(field: &str, message: String) -> AppError {
    AppError::Validation(vec![FieldError::new(field, "sandbox.R5.4", message)])
}

/// Draws a training view of `source_table` keeping `fraction` of persons.
///
/// # Errors
/// 422 for an unknown table, a training view as source or a fraction out
/// of range; 409 past the row limit; vault, store and audit errors.
pub async fn create_training_view(
    app: &App,
    actor: &Actor,
    source_table: &str,
    fraction: f64,
) -> Result<TrainingView, AppError> {
    super::require_person(actor)?;
    let vault = app.vault().cloned().ok_or_else(|| AppError::Refused {
        code: "sandbox.no_vault",
        message: "本实例未配置可信数据空间存储（vault），不能生成训练视图".into(),
    })?;
    let ppm = fraction * 1e6;
    if !ppm.is_finite() || !(1_000.0..=500_000.0).contains(&ppm) {
        return Err(invalid("fraction", "抽样比例须在 0.001 到 0.5 之间".into()));
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked to lie in 1 000 ..= 500 000 above"
    )]
    let fraction_ppm = ppm.round() as u32;
    let today = shanghai_today(app.clock().now());
    let (specs, views) = super::tables::tables(app, &actor.org_id, today).await?;
    let is_table = views
        .iter()
        .any(|v| v.table == source_table && v.kind == "table");
    let source = specs
        .iter()
        .find(|t| t.name == source_table)
        .filter(|_| is_table)
        .ok_or_else(|| {
            invalid(
                "table",
                format!("没有名为“{source_table}”的已加载数据表（训练视图只能从授权数据表生成）"),
            )
        })?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| AppError::Internal(e.to_string()))?;
    let options = TrainingOptions {
        fraction_ppm,
        seed,
        max_rows: MAX_ROWS,
    };
    let extract = training_extract(&vault, source, &options)
        .await
        .map_err(super::app_error)?;
    let id = new_id();
    // Numbered per source over every view ever drawn (hidden ones too: a
    // name is never reused).
    let prefix = format!("tv_{source_table}_");
    let existing = {
        let mut tx = app.store().begin_read().await?;
        let rows = tx.list_training_views(&actor.org_id).await?;
        tx.commit().await?;
        rows
    };
    let n = existing
        .iter()
        .filter_map(|r| r.table_name.strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let table_name = format!("{prefix}{n}");
    let columns = serde_json::to_string(
        &extract
            .columns
            .iter()
            .map(|c| serde_json::json!({ "name": c.name, "class": c.class }))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    // The vault first: a view row never points at missing data. Should the
    // row fail, the vault holds an unreachable extract under a fresh id.
    let (vid, schema, csv) = (id.clone(), extract.schema.clone(), extract.csv);
    tokio::task::spawn_blocking(move || vault.ingest_csv(&vid, csv.as_slice(), &schema))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let row = TrainingViewRow {
        id,
        org_id: actor.org_id.clone(),
        source_dataset: source.dataset_id.clone(),
        source_table: source_table.to_owned(),
        table_name,
        fraction_ppm: i64::from(fraction_ppm),
        rows_kept: i64::try_from(extract.rows).unwrap_or(i64::MAX),
        persons_kept: i64::try_from(extract.persons).unwrap_or(i64::MAX),
        columns,
        created_by: actor.user_id.clone(),
        created_at: app.clock().now(),
    };
    commit_with(app, async |tx: &mut StoreTx| {
        tx.insert_training_view(&row).await?;
        Ok(AuditEvent::new("sandbox.training_view_created")
            .class(RetentionClass::DataAccess)
            .actor(&actor.user_id, &actor.org_id, actor.role_codes())
            .decided_by(vec!["R5.4".into()])
            .details(serde_json::json!({
                "view": row.id,
                "table": row.table_name,
                "source_dataset": row.source_dataset,
                "grants": source.grants,
                "fraction": gongshu_sandbox::micro_text(u64::from(fraction_ppm)),
                "rows": row.rows_kept,
                "persons": row.persons_kept,
            })))
    })
    .await?;
    Ok(TrainingView::from(&row))
}

/// The caller organisation's training views.
///
/// # Errors
/// Store errors.
pub async fn list_training_views(app: &App, actor: &Actor) -> Result<Vec<TrainingView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_training_views(&actor.org_id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(TrainingView::from).collect())
}

/// Adds the training views whose source table is among `specs` (a live
/// grant on loaded data) to the session's tables.
pub(crate) fn add_views(
    rows: &[TrainingViewRow],
    specs: &mut Vec<TableSpec>,
    views: &mut Vec<SandboxTable>,
) {
    for r in rows {
        let Some(source) = specs
            .iter()
            .find(|s| s.dataset_id == r.source_dataset)
            .cloned()
        else {
            continue;
        };
        let Some(shown) = views
            .iter()
            .find(|v| v.resource_id == r.source_dataset)
            .cloned()
        else {
            continue;
        };
        let columns: Vec<ColumnSpec> = serde_json::from_str::<Vec<serde_json::Value>>(&r.columns)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| {
                Some(ColumnSpec {
                    name: c.get("name")?.as_str()?.to_owned(),
                    class: serde_json::from_value::<SandboxClass>(c.get("class")?.clone()).ok()?,
                })
            })
            .collect();
        views.push(SandboxTable {
            table: r.table_name.clone(),
            resource_id: r.id.clone(),
            resource_name: format!(
                "{}（训练视图，抽样 {}）",
                shown.resource_name,
                TrainingView::from(r).fraction
            ),
            columns: columns
                .iter()
                .map(|c| GrantedColumn {
                    name: c.name.clone(),
                    class: c.class,
                    class_zh: c.class.label_zh(),
                    description: if c.name == PERSON_REF {
                        "本视图内的人员引用（每个视图不同，不能与其他表关联）".into()
                    } else {
                        String::new()
                    },
                })
                .collect(),
            purposes: shown.purposes.clone(),
            grants: shown.grants.clone(),
            valid_until: shown.valid_until,
            threshold: shown.threshold,
            loaded: true,
            kind: "training_view",
        });
        specs.push(TableSpec {
            name: r.table_name.clone(),
            dataset_id: r.id.clone(),
            versions: vec![1],
            columns,
            entity: Some(PERSON_REF.into()),
            sensitive_domain: source.sensitive_domain,
            grants: source.grants.clone(),
        });
    }
}
