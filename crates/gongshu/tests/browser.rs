//! The console in a real browser (headless Chromium via chromedriver), from
//! the outside: the real binary bootstraps and serves, a person logs in with
//! password and TOTP, sees the audit log's state, logs out, and is refused
//! with a wrong code. Runs when GONGSHU_TEST_BROWSER=1 (CI installs
//! chromium and chromium-driver); under CI=true it must run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn field<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("{label} missing in {out}"))
        .trim()
}

/// Fills the login form and submits it.
/// Saves a screenshot of the page as `name.png` into the directory
/// `GONGSHU_SCREENSHOTS` names (`scripts/screenshots` sets it to
/// `docs/screenshots/`); nothing otherwise.
/// Chooses `verdict` in the page's first review form and submits it.
async fn submit_verdict(client: &fantoccini::Client, verdict: &str) {
    let form = client.find(Locator::Css("form.decision")).await.unwrap();
    let option = format!("select[name=verdict] option[value={verdict}]");
    form.find(Locator::Css(&option))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn shot(client: &fantoccini::Client, name: &str) {
    let Some(dir) = std::env::var_os("GONGSHU_SCREENSHOTS") else {
        return;
    };
    let _ = client.set_window_size(1280, 1000).await;
    // Show a query's outcome or a refused form's message rather than the
    // top of a long page.
    let _ = client
        .execute(
            "const o = document.getElementById('outcome') || document.querySelector('.form-message'); if (o) o.scrollIntoView({ block: 'center' });",
            vec![],
        )
        .await;
    let png = client.screenshot().await.unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
}

async fn submit_login(client: &fantoccini::Client, username: &str, password: &str, code: &str) {
    client
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    client
        .find(Locator::Id("totp"))
        .await
        .unwrap()
        .send_keys(code)
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

fn totp(secret_b32: &str) -> String {
    let creds = gongshu_app::bootstrap::InitialCredentials {
        user_id: String::new(),
        org_id: String::new(),
        username: String::new(),
        password: String::new(),
        totp_secret: secret_b32.into(),
        otpauth_uri: String::new(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    gongshu_app::crypto::totp_at_step(
        &creds.totp_secret_bytes(),
        gongshu_app::crypto::totp_step(now as i64),
    )
}

/// Chromedriver with a headless Chromium (the flags of the browser suite),
/// once the server on `port` listens.
async fn chromium(port: u16) -> (Killed, fantoccini::Client) {
    let driver_port = free_port();
    let driver = Killed(
        Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver not installed"),
    );
    wait_for(port);
    wait_for(driver_port);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .unwrap();
    (driver, client)
}

/// The demo serving its console, with a headless Chromium driving it.
struct DemoConsole {
    client: fantoccini::Client,
    base: String,
    /// The demo's report up to "平台已启动".
    lines: Vec<String>,
    /// The demo's data directory.
    dir: std::path::PathBuf,
    _data: tempfile::TempDir,
    _demo: Killed,
    _driver: Killed,
}

/// Months the demo's source units append after its time-lapse: December
/// of last year up to the current month (Asia/Shanghai), exclusive.
fn power_update_months() -> u32 {
    use chrono::Datelike as _;
    (chrono::Utc::now() + chrono::Duration::hours(8)).month()
}

async fn demo_console() -> DemoConsole {
    use std::io::BufRead as _;
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("demo");
    let port = free_port();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["demo", "--scale", "small", "--data-dir"])
        .arg(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let demo = Killed(demo);
    // Read the demo's report until the console is up.
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let up = line.contains("平台已启动");
        lines.push(line);
        if up {
            break;
        }
    }
    let (driver, client) = chromium(port).await;
    DemoConsole {
        client,
        base: format!("http://127.0.0.1:{port}"),
        lines,
        dir,
        _data: data,
        _demo: demo,
        _driver: driver,
    }
}

#[tokio::test]
async fn a_person_logs_in_to_the_console() {
    if std::env::var("GONGSHU_TEST_BROWSER").is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser suite (set GONGSHU_TEST_BROWSER=1)"
        );
        eprintln!(
            "browser suite skipped: set GONGSHU_TEST_BROWSER=1 with chromium and chromedriver installed"
        );
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_gongshu");
    let out = Command::new(exe)
        .args(["admin", "bootstrap", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8(out.stdout).unwrap();
    let password = field(&out, "一次性口令：").to_owned();
    let secret = field(&out, "动态口令密钥（录入验证器应用）：").to_owned();

    let port = free_port();
    let _server = Killed(
        Command::new(exe)
            .args(["serve", "--data-dir"])
            .arg(data.path())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("GONGSHU_SECURE_COOKIES", "false")
            .env("RUST_LOG", "tower_http=debug,info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(data.path().join("server.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    let (_driver, client) = chromium(port).await;
    let base = format!("http://127.0.0.1:{port}");

    // Not logged in: the console sends you to the login page.
    client.goto(&format!("{base}/")).await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/login")
    );
    let lang = client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang.as_str(), Some("zh-CN"));
    shot(&client, "01-login").await;

    // First login: the enrolment page shows the account's secret as a QR
    // code (and as text), and its form logs in with the first code.
    enrol(&client, &password).await;
    let shown = client
        .wait()
        .for_element(Locator::Id("enrol-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(shown.replace(' ', ""), secret, "the secret of this account");
    client
        .find(Locator::Css("#enrol-qr svg"))
        .await
        .expect("a QR code");
    shot(&client, "13-enrol").await;

    // A wrong code is refused with a Chinese message.
    client
        .find(Locator::Id("totp"))
        .await
        .unwrap()
        .send_keys("000000")
        .await
        .unwrap();
    client
        .find(Locator::Css("#enrol button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Form posts navigate: wait for the new page rather than racing it.
    let alert = client
        .wait()
        .for_element(Locator::Css("[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(alert.contains("身份验证失败"), "{alert}");

    // The right code logs in and shows the audit log.
    submit_login(&client, "admin", &password, &totp(&secret)).await;
    let Ok(size_el) = client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("audit-size"))
        .await
    else {
        let src = client.source().await.unwrap_or_default();
        let log = std::fs::read_to_string(data.path().join("server.log")).unwrap_or_default();
        panic!(
            "not on the home page: {} {src}\nserver log:\n{log}",
            client.current_url().await.unwrap()
        );
    };
    let size: u64 = size_el.text().await.unwrap().parse().unwrap();
    assert!(
        size >= 3,
        "bootstrap, the refused and the accepted login are audited: {size}"
    );
    let body = client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("平台管理员"), "{body}");
    shot(&client, "02-home-admin").await;

    // Logging out ends the session.
    client
        .find(Locator::Css("header button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("totp"))
        .await
        .unwrap();
    client.goto(&format!("{base}/")).await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/login")
    );
    // After the first login the secret is never shown again.
    enrol(&client, &password).await;
    let alert = client
        .wait()
        .for_element(Locator::Css("[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(alert.contains("已完成验证器绑定"), "{alert}");
    assert!(client.find(Locator::Id("enrol-secret")).await.is_err());
    client.close().await.unwrap();
}

/// Goes home, logs out and logs in as the demo account `username`
/// (credentials from `demo-accounts.json`).
async fn switch_user(
    client: &fantoccini::Client,
    base: &str,
    accounts: &serde_json::Value,
    username: &str,
) {
    client.goto(&format!("{base}/")).await.unwrap();
    let user = accounts["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap();
    client
        .find(Locator::Css("header button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("totp"))
        .await
        .unwrap();
    submit_login(
        client,
        username,
        user["password"].as_str().unwrap(),
        &totp(user["totp_secret"].as_str().unwrap()),
    )
    .await;
}

/// Opens the enrolment page from the login page and submits the admin's
/// one-time password.
async fn enrol(client: &fantoccini::Client, password: &str) {
    client
        .find(Locator::Id("enrol-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let form = client
        .wait()
        .for_element(Locator::Css("form[action='/enrol']"))
        .await
        .unwrap();
    for (name, value) in [("username", "admin"), ("password", password)] {
        form.find(Locator::Css(&format!("input[name={name}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_data_bureau_verifies_receipts_in_the_page() {
    if std::env::var("GONGSHU_TEST_BROWSER").is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser suite (set GONGSHU_TEST_BROWSER=1)"
        );
        return;
    }
    let console = demo_console().await;
    // 口令 <password> 动态口令密钥 <secret>
    let parts = |rest: &str| {
        let p: Vec<&str> = rest.split_whitespace().collect();
        (p[1].to_owned(), p[3].to_owned())
    };
    let printed = |user: &str| {
        console
            .lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(user).map(parts))
    };
    let (password, secret) =
        printed("bureau.reviewer").expect("the demo prints the reviewer's credentials");
    let operator = printed("operator.admin");
    let client = console.client.clone();
    let base = console.base.clone();
    client.goto(&format!("{base}/login")).await.unwrap();
    // The demo already used this step's code for this user: offer the next
    // step's (the server accepts one step of clock drift, never a reuse).
    let creds = gongshu_app::bootstrap::InitialCredentials {
        user_id: String::new(),
        org_id: String::new(),
        username: String::new(),
        password: String::new(),
        totp_secret: secret,
        otpauth_uri: String::new(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = gongshu_app::crypto::totp_at_step(
        &creds.totp_secret_bytes(),
        gongshu_app::crypto::totp_step(now as i64) + 1,
    );
    submit_login(&client, "bureau.reviewer", &password, &code).await;
    client
        .wait()
        .for_element(Locator::Id("inspect-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let first = client
        .wait()
        .for_element(Locator::Css("button[data-receipt]"))
        .await
        .unwrap();
    first.click().await.unwrap();
    let verdict = client
        .wait()
        .for_element(Locator::Css(".verdict.ok, .verdict.bad"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(verdict.starts_with("✓"), "{verdict}");
    shot(&client, "03-audit-receipt-verified").await;
    // The same verifier refuses a receipt whose index was changed.
    let url = first.attr("data-receipt").await.unwrap().unwrap();
    let results = client
        .execute_async(
            r#"const [url, done] = arguments;
               const vkey = document.getElementById('records').dataset.vkey;
               fetch(url).then(r => r.text()).then(async t => {
                 const ok = await gongshuVerifyReceipt(t, vkey).then(() => 'ok', e => 'err:' + e.message);
                 const forged = t.replace(/index (\d+)/, (m, n) => 'index ' + (BigInt(n) + 1n));
                 const bad = await gongshuVerifyReceipt(forged, vkey).then(() => 'ok', e => 'err:' + e.message);
                 done([ok, bad]);
               });"#,
            vec![serde_json::json!(url)],
        )
        .await
        .unwrap();
    assert_eq!(results[0], "ok", "{results}");
    assert!(
        results[1].as_str().unwrap().starts_with("err:"),
        "{results}"
    );
    // The demo left a co-signed data demand waiting for the bureau: a
    // rejection without a reason is named next to its field with the choice
    // kept, then the bureau approves it from the review page.
    client
        .goto(&format!("{base}/console/reviews"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("form.decision"))
        .await
        .unwrap();
    submit_verdict(&client, "reject").await;
    let error = client
        .wait()
        .for_element(Locator::Css(".reason-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(error.contains("理由"), "{error}");
    let kept = client
        .find(Locator::Css("form.decision select[name=verdict]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("reject"));
    shot(&client, "12-joint-review").await;
    submit_verdict(&client, "approve").await;
    let notice = client
        .wait()
        .for_element(Locator::Id("message"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.contains("已提交审核意见"), "{notice}");

    // The data bureau supervises the quality of the power company's data.
    client.goto(&format!("{base}/")).await.unwrap();
    client
        .wait()
        .for_element(Locator::Id("datasets-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let table = client
        .wait()
        .for_element(Locator::Id("datasets"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Small scale: 2 000 households and 300 enterprises, 12 months before
    // the demo's 1 December start, then the months since, appended today.
    let expected = (2_000 + 300) * (12 + power_update_months());
    assert!(table.contains("用电缴费记录"), "{table}");
    assert!(table.contains(&format!("{expected} 行")), "{table}");
    client
        .find(Locator::LinkText("用电缴费记录"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let rows = client
        .wait()
        .for_element(Locator::Id("current-rows"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(rows, expected.to_string());
    shot(&client, "04-dataset-quality").await;

    // The bureau holds no grant: its sandbox page has no tables.
    client
        .goto(&format!("{base}/console/sandbox"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("sandbox-no-tables"))
        .await
        .unwrap();

    // The operator queries the bills in aggregate, and is refused rows.
    client.goto(&format!("{base}/")).await.unwrap();
    client
        .find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let (op_password, op_secret) = operator.expect("the demo prints the operator's credentials");
    let op_creds = gongshu_app::bootstrap::InitialCredentials {
        user_id: String::new(),
        org_id: String::new(),
        username: String::new(),
        password: String::new(),
        totp_secret: op_secret,
        otpauth_uri: String::new(),
    };
    let code = gongshu_app::crypto::totp_at_step(
        &op_creds.totp_secret_bytes(),
        gongshu_app::crypto::totp_step(now as i64) + 1,
    );
    client
        .wait()
        .for_element(Locator::Id("username"))
        .await
        .unwrap();
    submit_login(&client, "operator.admin", &op_password, &code).await;
    client
        .wait()
        .for_element(Locator::Id("sandbox-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let tables = client
        .wait()
        .for_element(Locator::Id("sandbox-tables"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(tables.contains("power_bill"), "{tables}");
    client
        .find(Locator::Id("run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let result = client
        .wait()
        .for_element(Locator::Id("result"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(result.contains("涞源镇"), "{result}");
    shot(&client, "05-sandbox-result").await;
    let sql = client.find(Locator::Id("sql")).await.unwrap();
    sql.clear().await.unwrap();
    sql.send_keys("SELECT credit_code, amount_fen FROM power_bill")
        .await
        .unwrap();
    client
        .find(Locator::Id("explain"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let refused = client
        .wait()
        .for_element(Locator::Id("violations"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        refused.contains("sandbox.R3.2") && refused.contains("power_bill.credit_code"),
        "{refused}"
    );
    shot(&client, "06-sandbox-refused").await;

    // DP mode: a malformed bound is named next to the kept form values.
    const DP_SQL: &str = "SELECT township, COUNT(*) AS n FROM power_bill GROUP BY township";
    let sql = client.find(Locator::Id("sql")).await.unwrap();
    sql.clear().await.unwrap();
    sql.send_keys(DP_SQL).await.unwrap();
    client
        .find(Locator::Id("mode-dp"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let bounds = client.find(Locator::Id("bounds")).await.unwrap();
    bounds.send_keys("amount_fen=abc").await.unwrap();
    client
        .find(Locator::Id("run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The page before also lists violations: wait for the new ones.
    let mut refused = String::new();
    for _ in 0..100 {
        if let Ok(el) = client.find(Locator::Id("violations")).await {
            refused = el.text().await.unwrap_or_default();
            if refused.contains("dp.bounds") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused.contains("dp.bounds"), "{refused}");
    let kept = client
        .find(Locator::Id("sql"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(DP_SQL));
    // Fixed, it runs with noise and spends from the quarter's budget
    // (the demo spent 0.05 already).
    let bounds = client.find(Locator::Id("bounds")).await.unwrap();
    bounds.clear().await.unwrap();
    client
        .find(Locator::Id("run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let report = client
        .wait()
        .for_element(Locator::Id("dp-report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(report.contains("ρ = 0.05"), "{report}");
    let tables = client
        .find(Locator::Id("sandbox-tables"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The demo's own DP query ran in its replayed December, another
    // quarter: this quarter's budget has only this page's query spent.
    assert!(tables.contains("0.95 / 1"), "{tables}");
    shot(&client, "07-sandbox-dp").await;

    // The operator's products page: the demo's listed credit product and
    // the bank's calls, no template, no identifier.
    client
        .goto(&format!("{base}/console/products"))
        .await
        .unwrap();
    let products = client
        .wait()
        .for_element(Locator::Id("products"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        products.contains("小微企业电费缴纳核验") && products.contains("已上架"),
        "{products}"
    );
    let calls = client
        .find(Locator::Id("calls"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(calls.contains("小微企业信用评价"), "{calls}");
    shot(&client, "09-products").await;

    // The public portal names the authorized operator and its term.
    client.goto(&format!("{base}/portal")).await.unwrap();
    let authorizations = client
        .wait()
        .for_element(Locator::Id("authorizations"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        authorizations.contains("涞源县数字经济运营有限公司"),
        "{authorizations}"
    );
    let listed = client
        .find(Locator::Id("products"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The actual (tiered) price under the cap, and both on the portal.
    assert!(
        listed.contains("1.50 元/次") && listed.contains("3.00 元/次"),
        "{listed}"
    );
    let disclosures = client
        .find(Locator::Id("disclosures"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        disclosures.contains("实施机构年度信息披露"),
        "{disclosures}"
    );
    shot(&client, "08-public-portal").await;
    client.close().await.unwrap();
}

/// The operator's accountant bills a month from the finance page: the
/// demo's replayed December is billed, corrected and closed; a malformed or
/// running month is refused next to the field with the entry kept; the
/// annual report opens in its print view.
#[tokio::test]
async fn the_accountant_bills_a_month_in_the_page() {
    if std::env::var("GONGSHU_TEST_BROWSER").is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser suite (set GONGSHU_TEST_BROWSER=1)"
        );
        return;
    }
    let console = demo_console().await;
    let accounts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(console.dir.join("demo-accounts.json")).unwrap(),
    )
    .unwrap();
    let accountant = accounts["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "operator.accountant")
        .unwrap()
        .clone();
    let client = console.client.clone();
    let base = console.base.clone();
    client.goto(&format!("{base}/login")).await.unwrap();
    submit_login(
        &client,
        "operator.accountant",
        accountant["password"].as_str().unwrap(),
        &totp(accountant["totp_secret"].as_str().unwrap()),
    )
    .await;
    client
        .wait()
        .for_element(Locator::Id("finance-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = |id: &'static str| {
        let client = client.clone();
        async move {
            client
                .wait()
                .for_element(Locator::Id(id))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let periods = text("periods").await;
    assert!(periods.contains("232367.00"), "{periods}");
    let statements = text("statements").await;
    assert!(
        statements.contains("82.00") && statements.contains("80.50"),
        "{statements}"
    );
    assert!(text("balanced").await.contains("平衡"));
    // A malformed month: the error next to the field, the entry kept.
    let month = client.find(Locator::Id("month")).await.unwrap();
    month.clear().await.unwrap();
    month.send_keys("2025-13").await.unwrap();
    client
        .find(Locator::Css("#issue-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(text("month-error").await.contains("YYYY-MM"));
    let kept = client
        .find(Locator::Id("month"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("2025-13"));
    // The billed month again: nothing new, nothing changed.
    let month = client.find(Locator::Id("month")).await.unwrap();
    month.clear().await.unwrap();
    month.send_keys("2025-12").await.unwrap();
    client
        .find(Locator::Css("#issue-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(text("message").await.contains("没有需要出具的新账单"));
    shot(&client, "10-finance").await;
    // The annual report in its print view.
    client
        .find(Locator::XPath(
            "//table[@id='reports']//a[contains(., '年度公共数据资源授权运营年度报告')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = text("report-title").await;
    assert!(title.contains("2025 年度"), "{title}");
    let body = client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("合计") && body.contains("营业成本"), "{body}");
    shot(&client, "11-annual-report").await;

    // The implementing agency's approver on the agreements page: the demo's
    // agreement is filed; applying for renewal long before the renewal
    // window is refused by the rule, said above the form, with the current
    // state.
    switch_user(&client, &base, &accounts, "ia.approver").await;
    client
        .wait()
        .for_element(Locator::Id("flows-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let item = text("item-0").await;
    assert!(
        item.contains("已备案") && item.contains("已按期办理"),
        "{item}"
    );
    client
        .find(Locator::Css("#item-0-renewal summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("#item-0-renewal button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let refused = client
        .wait()
        .for_element(Locator::Css("#item-0-renewal .form-message"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refused.contains("未能申请续约"), "{refused}");
    assert!(text("item-0").await.contains("已备案"), "nothing changed");
    shot(&client, "14-agreements").await;

    // The bank's administrator sees its calls as a chart and issues a
    // subscription key in the page, shown once.
    switch_user(&client, &base, &accounts, "bank.admin").await;
    client
        .wait()
        .for_element(Locator::Id("products-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let chart = text("calls-chart").await;
    assert!(chart.contains("近 12 个月调用量"), "{chart}");
    client
        .find(Locator::Css("#calls-chart svg g.bar"))
        .await
        .expect("a bar per product");
    let form = client.find(Locator::Css("form.key-form")).await.unwrap();
    let days = form
        .find(Locator::Css("input[name=valid_days]"))
        .await
        .unwrap();
    days.clear().await.unwrap();
    days.send_keys("30").await.unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let key = text("issued-key-secret").await;
    assert!(key.len() >= 20, "{key}");
    assert!(text("message").await.contains("只显示这一次"));
    client.close().await.unwrap();
}
