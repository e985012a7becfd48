//! CSV → encrypted Parquet ingestion against DuckDB's
//! `COPY (SELECT * FROM read_csv(...)) TO '...parquet'` on the same file in
//! the same run (`python3 -c 'import duckdb'` must work; otherwise only our
//! side is reported). Never a timed test: run with
//! `cargo bench -p gongshu-vault --bench ingest` (10^7 rows) or
//! `GONGSHU_BENCH_ROWS=1000000 cargo bench -p gongshu-vault --bench ingest`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "benchmark code"
)]

use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use gongshu_vault::{
    ColumnDef, ColumnType, DatasetSchema, LoadOptions, Validators, Vault, gb11643_valid,
};

const TOWNS: [&str; 8] = [
    "涞源镇",
    "银坊镇",
    "走马驿镇",
    "水堡镇",
    "王安镇",
    "杨家庄镇",
    "白石山镇",
    "南屯镇",
];

/// A GB 11643 ID number with a valid check character.
fn id_number(i: u64) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let body = format!(
        "1306301970{:02}{:02}{:03}",
        1 + i % 12,
        1 + i % 28,
        i % 1000
    );
    let body = &body[..17];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", C[(sum % 11) as usize] as char)
}

fn generate(path: &Path, rows: u64) {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(
        w,
        "person_id,township,reading_date,volume_l,amount_fen,paid"
    )
    .unwrap();
    for i in 0..rows {
        writeln!(
            w,
            "{},{},2026-{:02}-{:02},{},{},{}",
            id_number(i / 12),
            TOWNS[(i % 8) as usize],
            1 + i % 12,
            1 + i % 28,
            (i * 7919) % 100_000,
            (i * 104_729) % 5_000_000,
            i % 17 != 0
        )
        .unwrap();
    }
    w.flush().unwrap();
}

fn schema() -> DatasetSchema {
    DatasetSchema::new(vec![
        ColumnDef::new("person_id", ColumnType::String)
            .required()
            .pseudonymised(),
        ColumnDef::new("township", ColumnType::String),
        ColumnDef::new("reading_date", ColumnType::Date),
        ColumnDef::new("volume_l", ColumnType::Int64),
        ColumnDef::new("amount_fen", ColumnType::Int64),
        ColumnDef::new("paid", ColumnType::Boolean),
    ])
    .unwrap()
}

/// Peak resident set size of this process in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Resets the peak RSS counter (Linux: write 5 to clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn duckdb(csv: &Path, out: &Path) -> Option<(f64, u64)> {
    let script = format!(
        "import duckdb, time, resource\n\
         con = duckdb.connect()\n\
         con.execute('SET enable_progress_bar = false')\n\
         t = time.perf_counter()\n\
         con.execute(\"COPY (SELECT * FROM read_csv('{}')) TO '{}' (FORMAT parquet, COMPRESSION zstd)\")\n\
         print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n",
        csv.display(),
        out.display()
    );
    let o = Command::new("python3")
        .args(["-c", &script])
        .output()
        .ok()?;
    if !o.status.success() {
        eprintln!("duckdb: {}", String::from_utf8_lossy(&o.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&o.stdout);
    let mut parts = text.split_whitespace();
    let parsed = (|| Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?)))();
    if parsed.is_none() {
        println!(
            "duckdb output not understood: {text:?} {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    parsed
}

/// Rounds per side; the median is reported.
const ROUNDS: usize = 3;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rows: u64 = std::env::var("GONGSHU_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("readings.csv");
    let t = Instant::now();
    generate(&csv, rows);
    let size = std::fs::metadata(&csv).unwrap().len();
    println!(
        "generated {rows} rows, {} MiB, in {:.1} s",
        size >> 20,
        t.elapsed().as_secs_f64()
    );

    let vault = Vault::open(dir.path().join("vault")).unwrap();
    let options = LoadOptions {
        validators: Validators::new().with("person_id", gb11643_valid),
        ..LoadOptions::default()
    };
    // Warm the page cache for both sides alike.
    let _ = std::fs::read(&csv);
    reset_peak();
    let t = Instant::now();
    let report = vault
        .ingest(
            "readings",
            std::fs::File::open(&csv).unwrap(),
            &schema(),
            &options,
        )
        .unwrap();
    let ours = t.elapsed().as_secs_f64();
    let ours_peak = peak_rss_mib();
    assert_eq!(report.info.rows, rows);
    println!(
        "gongshu: median {:.2} s, {:.0} rows/s, peak RSS {} MiB, {} MiB encrypted",
        ours,
        rows as f64 / ours,
        ours_peak.map_or("?".into(), |m| m.to_string()),
        report.info.bytes >> 20
    );
    let duck: Vec<(f64, u64)> = (0..ROUNDS)
        .filter_map(|_| duckdb(&csv, &dir.path().join("duck.parquet")))
        .collect();
    let duck = (duck.len() == ROUNDS).then(|| {
        let mut t: Vec<f64> = duck.iter().map(|d| d.0).collect();
        (median(&mut t), duck.iter().map(|d| d.1).max().unwrap_or(0))
    });
    match duck {
        Some((secs, peak)) => {
            println!(
                "duckdb:  median {:.2} s, {:.0} rows/s, peak RSS {} MiB, {} MiB",
                secs,
                rows as f64 / secs,
                peak,
                std::fs::metadata(dir.path().join("duck.parquet")).map_or(0, |m| m.len()) >> 20
            );
            println!("ratio (gongshu rows/s ÷ duckdb rows/s): {:.2}", secs / ours);
        }
        None => println!("duckdb: not available (pip install duckdb)"),
    }
}
