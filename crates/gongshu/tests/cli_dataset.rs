//! `gongshu dataset load` from the outside: the demo serves on a free
//! port; the command streams CSV, Parquet and (with PostgreSQL) a source
//! table with the power company's API key; bad input fails with line
//! numbers; and kill -9 of the server in the middle of an upload leaves
//! the previous versions intact and no partial version visible.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, BooleanArray, Date32Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_healthy(port: u16) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server on {port} did not come up");
}

/// Runs the demo serving on a free port; returns it with the resource id and key.
fn demo(data: &Path) -> (Server, String, String) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args([
            "demo",
            "--scale",
            "small",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let (mut id, mut key) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("GONGSHU_API_KEY=") {
            let mut words = rest.split_whitespace();
            key = words.next().unwrap().to_owned();
            let all: Vec<&str> = rest.split_whitespace().collect();
            let at = all.iter().position(|w| *w == "--resource").unwrap();
            id = all[at + 1].to_owned();
            break;
        }
    }
    assert!(!key.is_empty(), "the demo printed no key");
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    wait_healthy(port);
    (Server { child, port }, id, key)
}

fn load(port: u16, key: &str, id: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["dataset", "load", "--quiet", "--server"])
        .arg(format!("http://127.0.0.1:{port}"))
        .args(["--resource", id])
        .args(extra)
        .env("GONGSHU_API_KEY", key)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const HEADER: &str = "account_no,holder_id_number,holder_name,phone,township,village,customer_type,credit_code,industry,bill_month,kwh,amount_fen,paid_on_time,arrears_fen\n";

/// A household's bill in the power company's export layout.
fn row(account: &str, month: &str, amount: usize) -> String {
    format!("{account},,户{account},,涞源镇,东关社区,居民,,,{month},100,{amount},true,0\n")
}

fn rows(n: usize) -> String {
    let mut s = HEADER.to_owned();
    for i in 0..n {
        s.push_str(&row(&format!("ENT{i:06}"), "2026-01-01", 1000 + i));
    }
    s
}

fn parquet_file(path: &Path, n: usize) {
    use arrow::datatypes::{DataType, Field};
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        Field::new("account_no", DataType::Utf8, false),
        text("holder_id_number"),
        text("holder_name"),
        text("phone"),
        text("township"),
        text("village"),
        text("customer_type"),
        text("credit_code"),
        text("industry"),
        Field::new("bill_month", DataType::Date32, false),
        Field::new("kwh", DataType::Int64, true),
        Field::new("amount_fen", DataType::Int64, true),
        Field::new("paid_on_time", DataType::Boolean, true),
        Field::new("arrears_fen", DataType::Int64, true),
    ]));
    let none = || -> ArrayRef { Arc::new(StringArray::from_iter((0..n).map(|_| None::<String>))) };
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("PQ{i:06}")),
        )),
        none(),
        Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("户{i}")),
        )),
        none(),
        Arc::new(StringArray::from_iter(
            (0..n).map(|i| (i % 2 == 0).then_some("银坊镇")),
        )),
        none(),
        Arc::new(StringArray::from_iter_values((0..n).map(|_| "居民"))),
        none(),
        none(),
        Arc::new(Date32Array::from_iter_values((0..n).map(|_| 20_454))),
        Arc::new(Int64Array::from_iter_values((0..n).map(|i| i as i64 / 2))),
        Arc::new(Int64Array::from_iter_values((0..n).map(|i| i as i64))),
        Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 3 != 0)))),
        Arc::new(Int64Array::from_iter_values((0..n).map(|_| 0))),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn csv_parquet_and_bad_input_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let (server, id, key) = demo(&dir.path().join("demo"));

    let csv = dir.path().join("bills.csv");
    std::fs::write(&csv, rows(2_000)).unwrap();
    let out = load(
        server.port,
        &key,
        &id,
        &["--file", csv.to_str().unwrap(), "--mode", "append"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("已加载：第 3 版（增量追加"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("入库 2000 行"), "{}", text(&out));

    let pq = dir.path().join("bills.parquet");
    parquet_file(&pq, 1_000);
    let out = load(server.port, &key, &id, &["--file", pq.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("第 4 版（全量替换"), "{}", text(&out));
    assert!(text(&out).contains("入库 1000 行"), "{}", text(&out));

    // A malformed row: nothing stored, the line named.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{HEADER}{}{}",
            row("A1", "2026-01-01", 12),
            row("A2", "2026-13-01", 1)
        ),
    )
    .unwrap();
    let out = load(server.port, &key, &id, &["--file", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("第 3 行第 10 列（bill_month）"),
        "{}",
        text(&out)
    );
    // Within an allowed number of bad rows it loads.
    let out = load(
        server.port,
        &key,
        &id,
        &["--file", bad.to_str().unwrap(), "--max-bad-rows", "1"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("第 5 版") && text(&out).contains("拒收 1 行"),
        "{}",
        text(&out)
    );

    // Without a key, or with a wrong one, nothing is sent or stored.
    let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["dataset", "load", "--quiet", "--resource", &id, "--file"])
        .arg(&csv)
        .env_remove("GONGSHU_API_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("GONGSHU_API_KEY"), "{}", text(&out));
    let out = load(
        server.port,
        "gsk_wrong",
        &id,
        &["--file", csv.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("HTTP 401"), "{}", text(&out));
    // Plain http to another machine is refused before anything is read.
    let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args([
            "dataset",
            "load",
            "--quiet",
            "--server",
            "http://10.1.2.3:8080",
        ])
        .args(["--resource", &id, "--file"])
        .arg(&csv)
        .env("GONGSHU_API_KEY", &key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("明文"), "{}", text(&out));
    // The raw identifiers are not stored anywhere in the data directory.
    assert!(!contains(&dir.path().join("demo"), b"ENT000123"));
    assert!(!contains(&dir.path().join("demo"), b"PQ000123"));
}

fn contains(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        if p.is_dir() {
            contains(&p, needle)
        } else {
            let b = std::fs::read(&p).unwrap_or_default();
            b.windows(needle.len()).any(|w| w == needle)
        }
    })
}

#[test]
fn a_postgres_table_or_query_is_loaded_when_postgres_is_available() {
    let Ok(admin_url) = std::env::var("GONGSHU_TEST_POSTGRES_URL") else {
        eprintln!("GONGSHU_TEST_POSTGRES_URL not set: skipped");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = format!("gongshu_src_{}", std::process::id());
    let base = admin_url.rsplit_once('/').unwrap().0.to_owned();
    let src_url = format!("{base}/{db}");
    rt.block_on(async {
        use sqlx::Connection as _;
        let mut c = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}")))
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&mut c)
            .await
            .unwrap();
        let mut s = sqlx::PgConnection::connect(&src_url).await.unwrap();
        sqlx::query(
            "CREATE TABLE bills AS SELECT 'PG' || lpad(g::text, 6, '0') AS account_no, \
             NULL::text AS holder_id_number, '户' || g AS holder_name, NULL::text AS phone, \
             '水堡镇'::text AS township, '上庄村'::text AS village, '居民'::text AS customer_type, \
             NULL::text AS credit_code, NULL::text AS industry, \
             DATE '2026-02-01' AS bill_month, (g * 2)::bigint AS kwh, \
             (g * 10)::bigint AS amount_fen, (g % 2 = 0) AS paid_on_time, 0::bigint AS arrears_fen \
             FROM generate_series(1, 3000) g",
        )
        .execute(&mut s)
        .await
        .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let (server, id, key) = demo(&dir.path().join("demo"));
    let out = load(
        server.port,
        &key,
        &id,
        &["--postgres", &src_url, "--table", "public.bills"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("入库 3000 行"), "{}", text(&out));
    let out = load(
        server.port,
        &key,
        &id,
        &[
            "--postgres",
            &src_url,
            "--mode",
            "append",
            "--query",
            "SELECT * FROM bills WHERE amount_fen <= 100",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("入库 10 行"), "{}", text(&out));
    drop(server);
    rt.block_on(async {
        use sqlx::Connection as _;
        let mut c = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await
        .unwrap();
    });
}

#[test]
fn kill_9_during_an_upload_keeps_the_previous_versions_and_shows_no_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let (mut server, id, key) = demo(&data);
    let port = server.port;
    // An endless upload from standard input.
    let mut upload = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["dataset", "load", "--quiet", "--server"])
        .arg(format!("http://127.0.0.1:{port}"))
        .args(["--resource", &id, "--file", "-", "--mode", "append"])
        .env("GONGSHU_API_KEY", &key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = upload.stdin.take().unwrap();
    stdin.write_all(HEADER.as_bytes()).unwrap();
    let mut i = 0u64;
    let start = Instant::now();
    // Stream for a while, so the server has written part of a version.
    while start.elapsed() < Duration::from_secs(3) {
        let mut chunk = String::new();
        for _ in 0..2_000 {
            i += 1;
            chunk.push_str(&row(
                &format!("K{i:09}"),
                "2026-03-01",
                usize::try_from(i).unwrap(),
            ));
        }
        stdin.write_all(chunk.as_bytes()).unwrap();
    }
    // kill -9 the server mid-upload.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(stdin);
    let out = upload.wait_with_output().unwrap();
    assert!(!out.status.success(), "the interrupted upload must fail");

    // Restart on the same data directory.
    let port2 = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port2}"),
            "--data-dir",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server2 = Server { child, port: port2 };
    wait_healthy(port2);
    // The next load gets version 3: versions 1 and 2 of the demo are intact
    // and nothing of the interrupted one is visible or left behind.
    let csv = dir.path().join("small.csv");
    std::fs::write(&csv, rows(10)).unwrap();
    let out = load(
        server2.port,
        &key,
        &id,
        &["--file", csv.to_str().unwrap(), "--mode", "append"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("已加载：第 3 版"), "{}", text(&out));
    let leftovers: Vec<_> = std::fs::read_dir(data.join("vault").join("data").join(&id))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let verify = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["audit", "verify", "--quiet", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", text(&verify));
}

#[test]
fn serve_refuses_a_missing_or_wrong_master_key_and_never_makes_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["demo", "--no-serve", "--scale", "small", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let key = data.join("vault").join("master.key");
    let original = std::fs::read(&key).unwrap();
    let serve = || {
        Command::new(env!("CARGO_BIN_EXE_gongshu"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{}", free_port()),
                "--data-dir",
            ])
            .arg(&data)
            .output()
            .unwrap()
    };
    std::fs::remove_file(&key).unwrap();
    let out = serve();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("无法打开数据保管库") && text(&out).contains("missing"),
        "{}",
        text(&out)
    );
    assert!(!key.exists(), "no new key over existing data");
    // A different key of the right shape is refused too.
    let mut wrong = original;
    wrong[0] ^= 0xff;
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key)
            .unwrap();
        f.write_all(&wrong).unwrap();
    }
    let out = serve();
    assert!(!out.status.success());
    assert!(text(&out).contains("无法打开数据保管库"), "{}", text(&out));
    assert_eq!(
        std::fs::read(&key).unwrap(),
        wrong,
        "the key file is left as found"
    );
}
