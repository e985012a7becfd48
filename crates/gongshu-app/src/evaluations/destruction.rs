//! Crypto-shredding on termination (S-3.3.5; DESIGN.md invariant 6): for
//! each pending destruction record of an effective termination, the vault
//! destroys the dataset's keys (every copy, backups included, becomes
//! unreadable) and returns a certificate; its digest enters the audit log
//! before the record is completed. Idempotent: the vault returns the same
//! certificate for a dataset already destroyed, and completed records are
//! skipped.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use gongshu_ledger::RetentionClass;
use gongshu_store::DestructionCertificateRow;
use serde::Serialize;

use crate::{App, AppError, AuditEvent};

/// A completed destruction as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateView {
    /// Dataset.
    pub dataset_id: String,
    /// `destroyed` or `no_copy_in_vault`.
    pub outcome: String,
    /// Chinese label.
    pub outcome_label: &'static str,
    /// SHA-256 digest of the vault's certificate.
    pub certificate_digest: Option<String>,
    /// Versions destroyed.
    pub versions: i64,
    /// When.
    pub completed_at: DateTime<Utc>,
}

impl From<DestructionCertificateRow> for CertificateView {
    fn from(r: DestructionCertificateRow) -> Self {
        let outcome_label = if r.outcome == "destroyed" {
            "密钥已销毁，全部副本（含备份）不可再读"
        } else {
            "可信空间中没有该数据集的副本"
        };
        Self {
            dataset_id: r.dataset_id,
            outcome: r.outcome,
            outcome_label,
            certificate_digest: r.certificate_digest,
            versions: r.versions,
            completed_at: r.completed_at,
        }
    }
}

/// Runs the vault's destruction for every pending record of `termination_id`.
/// Returns how many records were completed now. Without a vault attached
/// the records stay pending and an error says so.
pub async fn complete_destructions(app: &App, termination_id: &str) -> Result<usize, AppError> {
    let vault = app.vault().cloned().ok_or_else(|| {
        AppError::Internal("no vault is attached: destruction stays pending".into())
    })?;
    let (pending, done) = {
        let mut tx = app.store().begin_read().await?;
        let pending = tx.list_destructions(termination_id).await?;
        let done: BTreeSet<String> = tx
            .list_destruction_certificates(termination_id)
            .await?
            .into_iter()
            .map(|c| c.dataset_id)
            .collect();
        tx.commit().await?;
        (pending, done)
    };
    let mut completed = 0;
    for record in pending
        .into_iter()
        .filter(|r| !done.contains(&r.dataset_id))
    {
        let v = Arc::clone(&vault);
        let dataset = record.dataset_id.clone();
        let result = tokio::task::spawn_blocking(move || v.destroy(&dataset))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        // Plaintext the sandbox keeps in memory goes with the keys.
        if let Some(sandbox) = app.sandbox() {
            sandbox.forget(&record.dataset_id);
        }
        let (outcome, digest, versions) = match result {
            Ok(cert) => (
                "destroyed",
                Some(cert.digest.clone()),
                i64::try_from(cert.versions.len()).unwrap_or(i64::MAX),
            ),
            Err(gongshu_vault::VaultError::DatasetNotFound { .. }) => ("no_copy_in_vault", None, 0),
            Err(e) => return Err(AppError::Internal(format!("vault destruction failed: {e}"))),
        };
        let row = DestructionCertificateRow {
            termination_id: termination_id.to_owned(),
            dataset_id: record.dataset_id.clone(),
            outcome: outcome.to_owned(),
            certificate_digest: digest.clone(),
            versions,
            completed_at: app.clock().now(),
        };
        let mut change = app.begin().await?;
        if let Err(e) = change.tx().insert_destruction_certificate(&row).await {
            change.abandon().await;
            return Err(e.into());
        }
        let event = AuditEvent::new("dataset.destroyed")
            .class(RetentionClass::DataAccess)
            .target("dataset", &record.dataset_id)
            .details(serde_json::json!({
                "termination_id": termination_id,
                "outcome": outcome,
                "certificate_digest": digest,
                "versions": versions,
            }));
        change.audit(event).await?.commit().await?;
        completed += 1;
    }
    Ok(completed)
}

/// Completes the pending destructions of every termination in effect (for
/// the daily job: a destruction interrupted by a crash or a vault error is
/// finished on the next run). Returns how many records were completed.
pub async fn complete_all(app: &App) -> Result<usize, AppError> {
    let ids: Vec<String> = {
        let mut tx = app.store().begin_read().await?;
        let rows = tx.list_terminations().await?;
        tx.commit().await?;
        rows.into_iter()
            .filter(|r| r.status != "proposed" && r.status != "rejected")
            .map(|r| r.id)
            .collect()
    };
    let mut n = 0;
    for id in ids {
        n += complete_destructions(app, &id).await?;
    }
    Ok(n)
}
