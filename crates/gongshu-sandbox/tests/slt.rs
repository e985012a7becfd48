//! The sqllogictest files under tests/slt: one per role, accepted queries
//! with their exact released outputs, refused ones with their rule ids.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::sync::Arc;

use gongshu_sandbox::{Sandbox, SandboxError, SessionSpec};
use sqllogictest::{DBOutput, DefaultColumnType};

struct Db {
    sandbox: Arc<Sandbox>,
    spec: SessionSpec,
}

#[derive(Debug)]
struct Failed(SandboxError);

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The code first, so files can match `sandbox.refused` or a rule id.
        write!(f, "{}: {}", self.0.code(), self.0)
    }
}

impl std::error::Error for Failed {}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "NULL".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for Db {
    type Error = Failed;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, Failed> {
        let (_, never) = tokio::sync::watch::channel(false);
        let (_, result) = self.sandbox.query(&self.spec, sql, never).await;
        let result = result.map_err(Failed)?;
        let rows = result
            .rows
            .iter()
            .map(|r| {
                r.values
                    .iter()
                    .zip(&result.columns)
                    .map(|(v, c)| {
                        if r.suppressed.is_some() && c.kind != gongshu_sandbox::ColumnKind::Key {
                            "*".to_owned()
                        } else {
                            text(v)
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; result.columns.len()],
            rows,
        })
    }

    async fn shutdown(&mut self) {}
}

async fn run_file(role: &str) {
    let county = common::County::new();
    let sandbox = Arc::new(county.sandbox());
    let spec = common::session(role);
    let mut runner = sqllogictest::Runner::new(|| {
        let db = Db {
            sandbox: sandbox.clone(),
            spec: spec.clone(),
        };
        async move { Ok(db) }
    });
    let path = format!("{}/tests/slt/{role}.slt", env!("CARGO_MANIFEST_DIR"));
    runner.run_file_async(&path).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator() {
    run_file("operator").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank() {
    run_file("bank").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public() {
    run_file("public").await;
}
