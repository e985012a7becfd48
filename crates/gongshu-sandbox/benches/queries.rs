//! The county query set through the sandbox (encrypted, policy-checked,
//! person-thresholded) against raw DataFusion on the same data as plaintext
//! Parquet and against DuckDB, in the same run. Never a timed test: run
//! with `cargo bench -p gongshu-sandbox --bench queries` (10^7 bill rows,
//! 10^6 water rows) or `GONGSHU_BENCH_ROWS=1000000 cargo bench …`.
//! DuckDB is reported when `python3 -c 'import duckdb'` works.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "benchmark code"
)]

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use gongshu_domain::classification::SandboxClass;
use gongshu_sandbox::{ColumnSpec, Sandbox, SessionSpec, TableSpec};
use gongshu_vault::{ColumnDef, ColumnType, DatasetSchema, Vault};

const TOWNS: [&str; 14] = [
    "涞源镇",
    "银坊镇",
    "走马驿镇",
    "水堡镇",
    "王安镇",
    "杨家庄镇",
    "白石山镇",
    "乌龙沟乡",
    "上庄乡",
    "金家井乡",
    "留家庄乡",
    "南屯镇",
    "北石佛乡",
    "烟煤洞乡",
];
const TYPES: [&str; 3] = ["居民", "工商业", "农业"];
const PERSONS: u64 = 100_000;
const RUNS: usize = 5;

/// The county query set: grouped aggregates, a time window, a join on
/// pseudonyms.
const QUERIES: [(&str, &str); 4] = [
    (
        "grouped",
        "SELECT township, count(*) AS bills, sum(amount_fen) AS amount FROM power_bill GROUP BY township",
    ),
    (
        "two keys + filter",
        "SELECT township, bill_month, count(*) AS bills, avg(amount_fen) AS avg_amount FROM power_bill WHERE customer_type = '工商业' GROUP BY township, bill_month",
    ),
    (
        "time window",
        "SELECT bill_month, count(*) AS bills, sum(kwh) AS kwh FROM power_bill WHERE bill_month >= '2025-01' AND bill_month <= '2025-06' GROUP BY bill_month",
    ),
    (
        "pseudonym join",
        "SELECT p.township, count(*) AS pairs, sum(w.water_m3) AS m3 FROM power_bill p JOIN water_bill w ON p.holder_id = w.holder_id GROUP BY p.township",
    ),
];

/// CSV rows generated on the fly (a Read), so 10^7 rows never sit in memory.
struct Gen {
    next: u64,
    rows: u64,
    buf: Vec<u8>,
    pos: usize,
    row: fn(u64) -> String,
}

impl Read for Gen {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            self.buf.clear();
            self.pos = 0;
            let end = (self.next + 4096).min(self.rows);
            for i in self.next..end {
                self.buf.extend_from_slice((self.row)(i).as_bytes());
            }
            self.next = end;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn rows_of(header: &str, rows: u64, row: fn(u64) -> String) -> Gen {
    Gen {
        next: 0,
        rows,
        buf: header.as_bytes().to_vec(),
        pos: 0,
        row,
    }
}

fn power_row(i: u64) -> String {
    let person = (i * 7_919) % PERSONS;
    let month = 1 + (i / PERSONS) % 36;
    format!(
        "H{person:08},{},{},{}-{:02},{},{},{}\n",
        TOWNS[(person % 14) as usize],
        TYPES[(person % 3) as usize],
        2023 + (month - 1) / 12,
        1 + (month - 1) % 12,
        (i * 104_729) % 2_000,
        (i * 7_727) % 500_000,
        !i.is_multiple_of(17)
    )
}

fn water_row(i: u64) -> String {
    format!("H{:08},{}\n", (i * 31) % PERSONS, 1 + i % 40)
}

fn power_schema() -> DatasetSchema {
    DatasetSchema::new(vec![
        ColumnDef::new("holder_id", ColumnType::String).pseudonymised(),
        ColumnDef::new("township", ColumnType::String),
        ColumnDef::new("customer_type", ColumnType::String),
        ColumnDef::new("bill_month", ColumnType::String),
        ColumnDef::new("kwh", ColumnType::Int64),
        ColumnDef::new("amount_fen", ColumnType::Int64),
        ColumnDef::new("paid_on_time", ColumnType::Boolean),
    ])
    .unwrap()
}

fn water_schema() -> DatasetSchema {
    DatasetSchema::new(vec![
        ColumnDef::new("holder_id", ColumnType::String).pseudonymised(),
        ColumnDef::new("water_m3", ColumnType::Int64),
    ])
    .unwrap()
}

fn col(name: &str, class: SandboxClass) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        class,
    }
}

fn spec() -> SessionSpec {
    use SandboxClass::{DirectId, Public, QuasiId, Sensitive};
    let power = TableSpec {
        name: "power_bill".into(),
        dataset_id: "power".into(),
        versions: vec![1],
        columns: vec![
            col("holder_id", DirectId),
            col("township", QuasiId),
            col("customer_type", Public),
            col("bill_month", QuasiId),
            col("kwh", Sensitive),
            col("amount_fen", Sensitive),
            col("paid_on_time", Sensitive),
        ],
        entity: Some("holder_id".into()),
        sensitive_domain: false,
        grants: vec!["bench".into()],
    };
    let water = TableSpec {
        name: "water_bill".into(),
        dataset_id: "water".into(),
        versions: vec![1],
        columns: vec![col("holder_id", DirectId), col("water_m3", Sensitive)],
        entity: Some("holder_id".into()),
        sensitive_domain: false,
        grants: vec!["bench".into()],
    };
    let mut s = SessionSpec {
        tables: vec![power, water],
        ..SessionSpec::default()
    };
    s.limits.max_rows = 1_000_000;
    s.limits.timeout = std::time::Duration::from_secs(600);
    s
}

/// Writes a version's decrypted batches as plaintext Parquet (same row
/// groups, zstd) for the baselines.
fn plaintext(vault: &Vault, dataset: &str, path: &Path) {
    let batches = vault.read_batches(dataset, 1).unwrap();
    let schema = batches.schema();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, Some(props)).unwrap();
    for b in batches {
        w.write(&b.unwrap()).unwrap();
    }
    w.close().unwrap();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn duckdb(dir: &Path) -> Option<Vec<f64>> {
    let queries = format!("{:?}", QUERIES.iter().map(|(_, q)| *q).collect::<Vec<_>>());
    let script = format!(
        r#"
import duckdb, time, statistics
con = duckdb.connect()
con.execute("CREATE VIEW power_bill AS SELECT * FROM read_parquet('{p}')")
con.execute("CREATE VIEW water_bill AS SELECT * FROM read_parquet('{w}')")
qs = {qs}
for q in qs:
    con.execute(q).fetchall()
    ts = []
    for _ in range({runs}):
        t = time.perf_counter(); con.execute(q).fetchall(); ts.append(time.perf_counter() - t)
    print(statistics.median(ts))
"#,
        p = dir.join("power.parquet").display(),
        w = dir.join("water.parquet").display(),
        qs = queries,
        runs = RUNS,
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("DuckDB skipped: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .map(|l| l.trim().parse().ok())
        .collect()
}

fn main() {
    let rows: u64 = std::env::var("GONGSHU_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let water_rows = rows / 10;
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(Vault::open(dir.path().join("vault")).unwrap());
    let t = Instant::now();
    vault
        .ingest_csv(
            "power",
            rows_of(
                "holder_id,township,customer_type,bill_month,kwh,amount_fen,paid_on_time\n",
                rows,
                power_row,
            ),
            &power_schema(),
        )
        .unwrap();
    vault
        .ingest_csv(
            "water",
            rows_of("holder_id,water_m3\n", water_rows, water_row),
            &water_schema(),
        )
        .unwrap();
    plaintext(&vault, "power", &dir.path().join("power.parquet"));
    plaintext(&vault, "water", &dir.path().join("water.parquet"));
    eprintln!(
        "prepared {rows} + {water_rows} rows in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // The real path: encrypted tables, checks, guard and the release history.
    let history = gongshu_sandbox::History::open(dir.path().join("history.log")).unwrap();
    let sandbox = Sandbox::new(vault).with_history(Arc::new(history));
    let spec = spec();
    let partitions = spec.limits.partitions;
    let raw = rt.block_on(async {
        let ctx = SessionContext::new_with_config(
            SessionConfig::new().with_target_partitions(partitions),
        );
        ctx.register_parquet(
            "power_bill",
            dir.path().join("power.parquet").to_str().unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
        ctx.register_parquet(
            "water_bill",
            dir.path().join("water.parquet").to_str().unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
        ctx
    });
    let duck = duckdb(dir.path());
    println!(
        "| query | sandbox (s) | raw DataFusion (s) | raw DataFusion + COUNT(DISTINCT person) (s) | DuckDB (s) | sandbox / DataFusion | sandbox / DataFusion + persons | sandbox / DuckDB |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (i, (name, sql)) in QUERIES.iter().enumerate() {
        let time_sandbox = || {
            let (_tx, rx) = tokio::sync::watch::channel(false);
            let t = Instant::now();
            let (_, r) = rt.block_on(sandbox.query(&spec, sql, rx));
            r.unwrap();
            t.elapsed().as_secs_f64()
        };
        let time_raw = |q: &str| {
            let t = Instant::now();
            rt.block_on(async { raw.sql(q).await.unwrap().collect().await.unwrap() });
            t.elapsed().as_secs_f64()
        };
        // The same query also counting distinct persons per group: the work
        // an entity-level threshold needs in any engine.
        let person = if sql.contains(" p ") {
            "p.holder_id"
        } else {
            "holder_id"
        };
        let with_persons = sql.replacen(
            " FROM ",
            &format!(", count(DISTINCT {person}) AS persons FROM "),
            1,
        );
        time_sandbox();
        time_raw(sql);
        time_raw(&with_persons);
        let s = median((0..RUNS).map(|_| time_sandbox()).collect());
        let r = median((0..RUNS).map(|_| time_raw(sql)).collect());
        let rp = median((0..RUNS).map(|_| time_raw(&with_persons)).collect());
        let d = duck.as_ref().and_then(|d| d.get(i).copied());
        let dtext = d.map_or("—".into(), |d| format!("{d:.3}"));
        let dratio = d.map_or("—".into(), |d| format!("{:.2}", s / d));
        println!(
            "| {name} | {s:.3} | {r:.3} | {rp:.3} | {dtext} | {:.2} | {:.2} | {dratio} |",
            s / r,
            s / rp
        );
    }
}
