//! DP mode (R4.7): noisy measurements with bounded contributions, groups
//! released only on a noisy person count, a global budget charged before
//! execution, cached answers for identical queries, refusals that spend
//! nothing. Noise is random: every assertion allows ≥ 10 standard
//! deviations, or fails with probability below 10^-5.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gongshu_domain::classification::SandboxClass;
use gongshu_sandbox::{
    ColumnSpec, DpLedger, DpParams, QueryResult, Sandbox, SandboxError, SessionSpec, TableSpec,
};
use gongshu_vault::{ColumnDef, ColumnType, DatasetSchema, Vault};
use serde_json::Value;
use tokio::sync::watch;

/// 3 000 persons in 大 and one in 小, three monthly bills of 500 fen each.
const BIG: usize = 3_000;

struct Data {
    _dir: tempfile::TempDir,
    sandbox: Sandbox,
}

fn data() -> Data {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path().join("vault")).unwrap();
    let mut csv = String::from("holder_id_number,township,bill_month,amount_fen\n");
    for i in 0..=BIG {
        let town = if i == BIG { "小" } else { "大" };
        for m in 1..=3 {
            csv.push_str(&format!("1101011990{i:08},{town},2025-0{m},500\n"));
        }
    }
    let schema = DatasetSchema::new(vec![
        ColumnDef::new("holder_id_number", ColumnType::String).pseudonymised(),
        ColumnDef::new("township", ColumnType::String),
        ColumnDef::new("bill_month", ColumnType::String),
        ColumnDef::new("amount_fen", ColumnType::Int64),
    ])
    .unwrap();
    vault.ingest_csv("bills", csv.as_bytes(), &schema).unwrap();
    Data {
        sandbox: Sandbox::new(Arc::new(vault)),
        _dir: dir,
    }
}

fn spec() -> SessionSpec {
    use SandboxClass::{DirectId, QuasiId, Sensitive};
    let cols = [
        ("holder_id_number", DirectId),
        ("township", QuasiId),
        ("bill_month", QuasiId),
        ("amount_fen", Sensitive),
    ];
    SessionSpec {
        tables: vec![TableSpec {
            name: "bill".into(),
            dataset_id: "bills".into(),
            versions: vec![1],
            columns: cols
                .iter()
                .map(|(n, c)| ColumnSpec {
                    name: (*n).into(),
                    class: *c,
                })
                .collect(),
            entity: Some("holder_id_number".into()),
            sensitive_domain: false,
            grants: vec!["g".into()],
        }],
        ..SessionSpec::default()
    }
}

/// An in-memory ledger with a budget of `total` millionths per dataset.
#[derive(Default)]
struct Ledger {
    total: u64,
    spent: Mutex<HashMap<String, u64>>,
    answers: Mutex<HashMap<String, QueryResult>>,
}

impl Ledger {
    fn new(total: u64) -> Self {
        Self {
            total,
            ..Self::default()
        }
    }
    fn spent(&self, dataset: &str) -> u64 {
        self.spent
            .lock()
            .unwrap()
            .get(dataset)
            .copied()
            .unwrap_or(0)
    }
}

#[async_trait]
impl DpLedger for Ledger {
    async fn cached(&self, key: &str) -> Result<Option<QueryResult>, SandboxError> {
        Ok(self.answers.lock().unwrap().get(key).cloned())
    }
    async fn reserve(&self, datasets: &[String], rho: u64) -> Result<(), SandboxError> {
        let mut spent = self.spent.lock().unwrap();
        if let Some(d) = datasets
            .iter()
            .find(|d| spent.get(*d).copied().unwrap_or(0) + rho > self.total)
        {
            return Err(SandboxError::BudgetExhausted { dataset: d.clone() });
        }
        for d in datasets {
            *spent.entry(d.clone()).or_default() += rho;
        }
        Ok(())
    }
    async fn remember(&self, key: &str, r: &QueryResult) -> Result<QueryResult, SandboxError> {
        let mut answers = self.answers.lock().unwrap();
        Ok(answers
            .entry(key.into())
            .or_insert_with(|| r.clone())
            .clone())
    }
}

fn params(rho_micro: u64, bounds: &[(&str, i64, i64)], max_groups: u32, max_rows: u32) -> DpParams {
    DpParams {
        rho_micro,
        bounds: bounds
            .iter()
            .map(|(c, lo, hi)| ((*c).to_owned(), (*lo, *hi)))
            .collect::<BTreeMap<_, _>>(),
        max_groups,
        max_rows,
    }
}

async fn run(
    d: &Data,
    ledger: &Ledger,
    sql: &str,
    p: &DpParams,
) -> Result<QueryResult, SandboxError> {
    let (_tx, rx) = watch::channel(false);
    d.sandbox.query_dp(&spec(), sql, p, ledger, rx).await.1
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persons_are_noisy_and_a_one_person_group_is_not_released() {
    let d = data();
    let ledger = Ledger::new(1_000_000);
    let sql =
        "SELECT township, COUNT(DISTINCT holder_id_number) AS persons FROM bill GROUP BY township";
    let r = run(&d, &ledger, sql, &params(125_000, &[], 1, 1))
        .await
        .unwrap();
    // One measurement at ρ = 0.125: σ = 1/√0.25 = 2. 小 (one person)
    // passes the threshold of 10 only with noise ≥ 9 = 4.5σ.
    assert_eq!(r.rows.len(), 1, "{r:?}");
    let row = &r.rows[0];
    assert_eq!(row.values[0], Value::from("大"));
    let n = int(&row.values[1]);
    assert!((n - 3_000).abs() <= 20, "noisy count {n} too far from 3000");
    let dp = r.report.dp.as_ref().unwrap();
    assert_eq!(dp.rho_micro, 125_000);
    assert_eq!(dp.datasets, vec!["bills"]);
    assert!(!dp.cached);
    assert_eq!(dp.noise.len(), 1);
    assert!((dp.noise[0].sd - 2.0).abs() < 0.01, "{:?}", dp.noise);
    assert!(r.report.rules.iter().any(|x| x == "R4.7"));
    assert_eq!(ledger.spent("bills"), 125_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identical_query_gets_the_cached_answer_and_spends_nothing() {
    let d = data();
    let ledger = Ledger::new(1_000_000);
    let p = params(50_000, &[("amount_fen", 0, 1_000)], 1, 3);
    let sql = "SELECT township, SUM(amount_fen) AS total FROM bill GROUP BY township";
    let first = run(&d, &ledger, sql, &p).await.unwrap();
    // The same query, written differently: the analysed plan is the key.
    let again = "select township,   sum(amount_fen) as total from bill group by township";
    let second = run(&d, &ledger, again, &p).await.unwrap();
    assert_eq!(first.rows, second.rows);
    assert!(second.report.dp.as_ref().unwrap().cached);
    assert_eq!(ledger.spent("bills"), 50_000);
    // Other parameters are another query: new noise, new spend.
    let other = params(60_000, &[("amount_fen", 0, 1_000)], 1, 3);
    let third = run(&d, &ledger, sql, &other).await.unwrap();
    assert!(!third.report.dp.as_ref().unwrap().cached);
    assert_eq!(ledger.spent("bills"), 110_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_runs_out_and_a_refused_query_spends_nothing() {
    let d = data();
    let ledger = Ledger::new(200_000);
    let count = "SELECT township, COUNT(*) AS n FROM bill GROUP BY township";
    run(&d, &ledger, count, &params(125_000, &[], 1, 3))
        .await
        .unwrap();
    let persons = "SELECT bill_month, COUNT(*) AS n FROM bill GROUP BY bill_month";
    let err = run(&d, &ledger, persons, &params(125_000, &[], 1, 3))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SandboxError::BudgetExhausted { dataset } if dataset == "bills"),
        "{err:?}"
    );
    assert_eq!(err.code(), "sandbox.budget_exhausted");
    assert_eq!(ledger.spent("bills"), 125_000);
    // What is left can still be spent.
    run(&d, &ledger, persons, &params(75_000, &[], 1, 3))
        .await
        .unwrap();
    assert_eq!(ledger.spent("bills"), 200_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sums_are_clamped_per_person_and_rows_capped() {
    let d = data();
    let ledger = Ledger::new(1_000_000);
    let sql = "SELECT township, COUNT(*) AS n, SUM(amount_fen) AS total, AVG(amount_fen) AS mean \
               FROM bill GROUP BY township";
    // Each person has 3 bills of 500 in one township: capped at 2 rows,
    // the per-person sum 1 500 clamped to 1 000.
    let r = run(
        &d,
        &ledger,
        sql,
        &params(125_000, &[("amount_fen", 0, 1_000)], 1, 2),
    )
    .await
    .unwrap();
    let big = r.rows.iter().find(|x| x.values[0] == "大").unwrap();
    let (n, total) = (int(&big.values[1]), int(&big.values[2]));
    // Four measurements (persons, rows, two sums) at ρ/4 each: σ(rows) =
    // 2/√(2·0.03125) = 8, σ(sum) = 1000/√0.0625 = 4000.
    assert!((n - 6_000).abs() <= 80, "rows {n}");
    assert!((total - 3_000_000).abs() <= 40_000, "sum {total}");
    let mean = big.values[3].as_f64().unwrap();
    assert!((mean - 500.0).abs() <= 10.0, "mean {mean}");
    assert_eq!(r.columns[1].kind, gongshu_sandbox::ColumnKind::Count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_counts_in_at_most_max_groups() {
    let d = data();
    let ledger = Ledger::new(1_000_000);
    let sql = "SELECT bill_month, COUNT(DISTINCT holder_id_number) AS persons FROM bill \
               GROUP BY bill_month ORDER BY bill_month";
    let r = run(&d, &ledger, sql, &params(125_000, &[], 1, 1))
        .await
        .unwrap();
    // Everyone has a bill every month, but counts in one month only:
    // the months add up to about 3 001, not 9 003. σ = 2 per month.
    let sum: i64 = r.rows.iter().map(|x| int(&x.values[1])).sum();
    assert!((sum - 3_001).abs() <= 60, "sum over months {sum}");
    let months: Vec<&Value> = r.rows.iter().map(|x| &x.values[0]).collect();
    assert_eq!(months, ["2025-01", "2025-02", "2025-03"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shapes_dp_cannot_answer_are_refused_before_any_spend() {
    let d = data();
    let ledger = Ledger::new(1_000_000);
    let sum = params(100_000, &[("amount_fen", 0, 1_000)], 1, 3);
    let refused = [
        (
            "SELECT township, SUM(amount_fen) / COUNT(*) AS r FROM bill GROUP BY township",
            &sum,
        ),
        (
            "SELECT township, SUM(amount_fen) AS t FROM bill GROUP BY township ORDER BY t DESC",
            &sum,
        ),
        (
            "SELECT township, COUNT(*) AS n FROM bill GROUP BY township ORDER BY township LIMIT 1",
            &sum,
        ),
        (
            "SELECT township, COUNT(bill_month) AS n FROM bill GROUP BY township",
            &sum,
        ),
        (
            "SELECT township, COUNT(DISTINCT bill_month) AS n FROM bill GROUP BY township",
            &sum,
        ),
    ];
    for (sql, p) in refused {
        let err = run(&d, &ledger, sql, p).await.unwrap_err();
        match err {
            SandboxError::Refused(vs) => {
                assert!(vs.iter().any(|v| v.rule == "R4.7"), "{sql}: {vs:?}")
            }
            other => panic!("{sql}: {other:?}"),
        }
    }
    // A sum without declared bounds names the column.
    let err = run(
        &d,
        &ledger,
        "SELECT township, SUM(amount_fen) AS t FROM bill GROUP BY township",
        &params(100_000, &[], 1, 3),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SandboxError::Refused(vs) if vs[0].column.as_deref() == Some("amount_fen")),
        "{err:?}"
    );
    // Parameters out of range.
    for bad in [
        params(0, &[], 1, 1),
        params(125_001, &[], 1, 1),
        params(1, &[], 0, 1),
    ] {
        let err = run(&d, &ledger, "SELECT COUNT(*) FROM bill", &bad)
            .await
            .unwrap_err();
        assert!(matches!(err, SandboxError::Refused(_)), "{err:?}");
    }
    // The ordinary rules still apply first.
    let err = run(&d, &ledger, "SELECT holder_id_number FROM bill", &sum)
        .await
        .unwrap_err();
    assert!(matches!(err, SandboxError::Refused(_)), "{err:?}");
    assert_eq!(ledger.spent("bills"), 0);
}
