//! `gongshu bench products`: audited product calls over loopback against
//! the same query served without key, policy, consent, quota, metering and
//! audit, in the same run (BENCHMARKS.md). The county comes from the demo;
//! the load generator is a pooled HTTP/1.1 client with a fixed number of
//! connections, each sending its share of the calls one after another.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::post;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::cli::{BenchProductsArgs, DemoArgs, Location};
use crate::runtime;

/// One measured series.
struct Series {
    calls: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Series {
    fn per_second(&self) -> f64 {
        // Display only: the ratio of two measured rates.
        #[allow(clippy::cast_precision_loss, reason = "a displayed rate")]
        let n = self.calls as f64;
        n / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: usize) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l.get((l.len() * p / 100).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    }
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

async fn fire(
    client: HttpClient,
    url: String,
    auth: Option<String>,
    body: Bytes,
    calls: usize,
    connections: usize,
) -> Series {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let share = calls / connections + usize::from(c < calls % connections);
        let (client, url, auth, body) = (client.clone(), url.clone(), auth.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(share);
            let mut failed = 0;
            for _ in 0..share {
                let mut req = hyper::Request::post(&url).header("content-type", "application/json");
                if let Some(a) = &auth {
                    req = req.header("authorization", a);
                }
                let Ok(req) = req.body(Full::new(body.clone())) else {
                    failed += 1;
                    continue;
                };
                let t = Instant::now();
                match client.request(req).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        let _ = resp.into_body().collect().await;
                        if ok {
                            lat.push(t.elapsed());
                        } else {
                            failed += 1;
                        }
                    }
                    Err(_) => failed += 1,
                }
            }
            (lat, failed)
        }));
    }
    let mut latencies = Vec::with_capacity(calls);
    let mut failed = 0;
    for t in tasks {
        if let Ok((l, f)) = t.await {
            latencies.extend(l);
            failed += f;
        }
    }
    Series {
        calls: latencies.len(),
        failed,
        elapsed: started.elapsed(),
        latencies,
    }
}

/// The two paths under the same load.
struct Paths {
    client: HttpClient,
    base_url: String,
    audited_url: String,
    auth: Option<String>,
    body: Bytes,
    calls: usize,
    connections: usize,
}

impl Paths {
    /// Warms both paths (pools, page cache, plans, kept facts), then
    /// measures the baseline and the audited path one after the other.
    async fn measure(&self) -> (Series, Series) {
        let run = |url: &String, auth: &Option<String>, calls| {
            fire(
                self.client.clone(),
                url.clone(),
                auth.clone(),
                self.body.clone(),
                calls,
                self.connections,
            )
        };
        run(&self.base_url, &None, 50).await;
        run(&self.audited_url, &self.auth, 50).await;
        let b = run(&self.base_url, &None, self.calls).await;
        let a = run(&self.audited_url, &self.auth, self.calls).await;
        (b, a)
    }
}

async fn listen() -> Result<(tokio::net::TcpListener, SocketAddr), String> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let a = l.local_addr().map_err(|e| e.to_string())?;
    Ok((l, a))
}

/// Runs the benchmark and prints the table BENCHMARKS.md keeps.
pub async fn products(args: BenchProductsArgs) -> Result<(), String> {
    let tmp = std::env::temp_dir().join(format!("gongshu-bench-{}", std::process::id()));
    let dir = args.data_dir.clone().unwrap_or(tmp);
    let (probe, addr) = listen().await?;
    drop(probe);
    crate::demo_cmd::run(DemoArgs {
        data_dir: Some(dir.clone()),
        no_serve: true,
        listen: addr,
        scale: crate::county::Scale::Small,
        seed: 2026,
    })
    .await?;
    let accounts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("demo-accounts.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let key = &accounts["api_keys"][1];
    let sample = &key["sample_call"];
    let product = sample["product_id"]
        .as_str()
        .ok_or("demo-accounts.json 缺少产品")?;
    let params = &sample["params"];
    let body = Bytes::from(
        serde_json::json!({ "scenario": sample["scenario"], "params": params }).to_string(),
    );
    let cfg = runtime::config(&Location {
        data_dir: dir.clone(),
        database_url: None,
        config: None,
    })?;
    let app = runtime::open(&cfg).await?;

    let (audited, audited_addr) = listen().await?;
    let state = gongshu_server::AppState::new(app.clone(), cfg);
    tokio::spawn(gongshu_server::serve(state.clone(), audited));
    let baseline = Arc::new(
        gongshu_app::products::Baseline::prepare(&app, product)
            .await
            .map_err(crate::demo_cmd::e)?,
    );
    // The same body as a call, parsed and bound per request, under the
    // platform's middleware: the paths differ only in the call path's own
    // checks, metering and audit.
    let routes = axum::Router::new().route(
        "/baseline",
        post(move |Json(call): Json<gongshu_app::products::CallInput>| {
            let b = Arc::clone(&baseline);
            async move {
                Json(
                    b.run(&call.params)
                        .await
                        .map_err(|e| e.code())
                        .map(|r| r.rows.clone()),
                )
            }
        }),
    );
    let router = gongshu_server::with_platform_layers(routes, &state).with_state(state);
    let (base, base_addr) = listen().await?;
    tokio::spawn(async move { axum::serve(base, router).await });

    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.connections)
        .build_http();
    let auth = key["key"].as_str().map(|k| format!("Bearer {k}"));
    let audited_url = format!("http://{audited_addr}/api/v1/products/{product}/calls");
    let base_url = format!("http://{base_addr}/baseline");
    let paths = Paths {
        client,
        base_url,
        audited_url,
        auth,
        body,
        calls: args.calls,
        connections: args.connections,
    };
    // First with the answers of subject-scoped templates kept (repeated
    // verification of one subject), then computed on every call.
    let kept = paths.measure().await;
    let mut series = vec![("kept", kept)];
    if !args.kept_only {
        app.hot().keep_answers(false);
        series.push(("computed per call", paths.measure().await));
        app.hot().keep_answers(true);
    }
    println!("\n| path | answer | calls | failed | calls/s | p50 | p99 |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (answer, (b, a)) in &series {
        for (name, s) in [
            (
                "baseline: same query, no key/policy/consent/metering/audit",
                b,
            ),
            ("audited verification call", a),
        ] {
            println!(
                "| {name} | {answer} | {} | {} | {:.0} | {:.1} ms | {:.1} ms |",
                s.calls,
                s.failed,
                s.per_second(),
                s.percentile(50).as_secs_f64() * 1e3,
                s.percentile(99).as_secs_f64() * 1e3
            );
        }
    }
    for (answer, (b, a)) in &series {
        println!(
            "\nanswer {answer}: audited / baseline throughput {:.2} (target ≥ 0.70); audited {:.0} calls/s (target ≥ 5000); audited p99 {:.1} ms (target ≤ 20 ms)",
            a.per_second() / b.per_second().max(1e-9),
            a.per_second(),
            a.percentile(99).as_secs_f64() * 1e3
        );
    }
    if args.data_dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
