//! HTTP routes of data products (数据产品和服务): drafting, review,
//! listing, subscriptions' keys, subject consents, the audited product
//! call and the tracing of leaked outputs.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gongshu_app::products::{self, CallInput, ProductInput, StatusChange};
use gongshu_domain::product::ProductCommand;
use serde::Deserialize;

use crate::api::{Body, RouteDoc};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "post",
        path: "/api/v1/products",
        summary: "起草数据产品（运营机构）",
        description: "The operator drafts a product (version 1): `name`, `kind` (`verification`, `statistics`, `score`, `extract`), `summary`, `template` (SQL with `:name` placeholders), `params` (`[{\"name\", \"label_zh\", \"type\": \"integer\"|\"choice\"|\"month\"|\"subject\", …bounds}]`; a `subject` parameter with `id_kind` = `credit_code`, `resident_id` or `account` is never a placeholder: it scopes the session to that subject's rows), `subject_column` (verification and score), `datasets`, `scenarios`, `category` (`public_governance`, `public_welfare`: free; `industry_development`, `sector_development`: charged, S-6.6), `billing_unit`, `price` (fen), `daily_quota`, `rate_per_minute`, `sector` (whose regulator reviews compliance). 422 naming the field; 403 for anyone but the operator. 201; audited.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/products",
        summary: "数据产品列表",
        description: "Products the caller may see: every version for the operator and the government reviewers; the version on offer (templates withheld) for everyone else.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/products/{id}",
        summary: "数据产品详情",
        description: "A product with its versions, review parties, decisions, automatic checks and registration code.",
    },
    RouteDoc {
        method: "put",
        path: "/api/v1/products/{id}/draft",
        summary: "修改产品草稿",
        description: "Body as creation. Replaces the definition of the latest version while it is a draft (409 `product.not_draft` otherwise).",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/products/{id}/versions",
        summary: "新建产品版本",
        description: "Body as creation. A change to an approved, listed or suspended product is a new draft version that goes through review again; the offered version stays on offer until the new one is listed.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/products/{id}/submission",
        summary: "提交审核（含自动检查）",
        description: "Automatic checks first: every dataset must be granted to the operator and loaded, and the template, bound to sample values, must pass the sandbox's plan rules (R2, R3) without reading data (422 with one field per broken rule). Then the version is in review by the implementing agency (approval), the sector regulator of its sector and the data bureau (compliance). Audited with the checks.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/products/{id}/decisions",
        summary: "审核数据产品（实施机构、行业主管部门、数据管理部门）",
        description: "Body `{\"verdict\": \"approve\"|\"reject\", \"reason\": …}` (reason required to reject). One decision per party and round; a rejection returns the version to draft, the last approval approves it. 403 for non-parties (audited), 409 when nothing is in review or the party decided already.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/products/{id}/listing",
        summary: "登记并上架",
        description: "The operator lists the approved version: it gets a registration code (登记结果查询码) and replaces any version on offer before.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/products/{id}/suspension",
        summary: "暂停提供",
        description: "Body `{\"reason\": …}`. By the operator or the implementing agency; calls answer 409 `product.suspended` at once.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/products/{id}/resumption",
        summary: "恢复提供",
        description: "By the operator or the implementing agency.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/products/{id}/retirement",
        summary: "下架",
        description: "Body `{\"reason\": …}`. Withdraws the product for good.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/products/{id}/calls",
        summary: "调用数据产品（接口密钥）",
        description: "`Authorization: Bearer <api key>` of a subscription, body `{\"scenario\": …, \"params\": {…}}`. Checked in order: key and its subscription (this product, this participant, live), scenario, admission (S-3.3.2a), product listed, operator's agreement in force, parameters (422 naming the parameter), the subject's live consent for the scenario (products about one subject), daily quota and rate (429 with `Retry-After`). The approved template then runs in the sandbox on the operator's granted tables: scoped to the subject's rows for verification and score products, under the output controls otherwise. The answer carries `fingerprint`, a MAC naming the receiving participant; the call is metered and audited in one transaction before it is delivered (503 and nothing delivered when the audit log cannot be written). Refusals are audited with their code.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/product-calls",
        summary: "产品调用记录",
        description: "The latest 500 metered calls: a participant's own; all for the operator, the implementing agency and the data bureau.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/product-calls/trace",
        summary: "泄露输出溯源（数据管理部门、实施机构）",
        description: "Body `{\"output\": <a product answer as found>}`. Names the participant that received it when its fingerprint is genuine, and whether the content is unchanged. 422 without a fingerprint; 403 for anyone else. Audited.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/product-alerts",
        summary: "转授权风险提示",
        description: "Re-licensing signals over the last 7 days of calls, per subscription: calls from more than 3 client networks (IPv4 /24, IPv6 /48), a day at 80 % or more of the daily quota, or most of at least 10 calls between 22:00 and 06:00 (Asia/Shanghai). Signals, not proof. For the operator, the implementing agency and the data bureau (403 otherwise).",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/derived-assets",
        summary: "登记衍生成果（模型、算法、报告）",
        description: "Body `{\"kind\": \"model\"|\"algorithm\"|\"report\", \"name\", \"description\", \"products\": [...], \"grants\": [...]}`. The operator or a participant registers an asset developed from public data with its provenance (existing products, the caller's own grants; at least one); the answer carries the limited-IP terms of S-5.4. 201; audited.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/derived-assets",
        summary: "衍生成果登记簿",
        description: "One's own registered assets; all of them for the implementing agency and the data bureau.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/subscriptions",
        summary: "我的产品订阅",
        description: "The caller's organisation's product subscriptions (created by approved data-use applications).",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/subscriptions/{id}/keys",
        summary: "为产品订阅签发接口密钥",
        description: "Body `{\"valid_days\": 90}`. Issues an API key scoped to this subscription (organisation, product, scenario), valid at most to the subscription's last day; the key is shown once. 404 for another organisation's subscription.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/consents",
        summary: "登记数据主体授权（二级市场主体）",
        description: "Body `{\"subject_kind\": \"credit_code\"|\"resident_id\"|\"account\", \"subject_id\", \"scenario\", \"purpose\", \"valid_from\", \"valid_until\", \"evidence_sha256\", \"evidence_note\"}`. The identifier is checked (GB 32100 / GB 11643 check characters) and kept only as its keyed pseudonym and a masked form; at most 3 years. 201; audited.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/consents",
        summary: "数据主体授权列表",
        description: "The caller's participant's consents (masked subjects); the implementing agency adds `?participant_org=`.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/consents/{id}/revocation",
        summary: "撤回数据主体授权",
        description: "Body `{\"reason\": …}`. By the participant or the implementing agency (on the subject's request); calls relying on it are refused at once. 409 when already revoked.",
    },
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/products", post(create).get(list))
        .route("/api/v1/products/{id}", get(show))
        .route("/api/v1/products/{id}/draft", put(update))
        .route("/api/v1/products/{id}/versions", post(version))
        .route("/api/v1/products/{id}/submission", post(submit))
        .route("/api/v1/products/{id}/decisions", post(decide))
        .route("/api/v1/products/{id}/listing", post(listing))
        .route("/api/v1/products/{id}/suspension", post(suspend))
        .route("/api/v1/products/{id}/resumption", post(resume))
        .route("/api/v1/products/{id}/retirement", post(retire))
        .route("/api/v1/products/{id}/calls", post(call))
        .route("/api/v1/product-calls", get(calls))
        .route("/api/v1/product-alerts", get(alerts))
        .route("/api/v1/derived-assets", post(register_asset).get(assets))
        .route("/api/v1/product-calls/trace", post(trace))
        .route("/api/v1/subscriptions", get(subscriptions))
        .route("/api/v1/subscriptions/{id}/keys", post(issue_key))
        .route("/api/v1/consents", post(record_consent).get(consents))
        .route("/api/v1/consents/{id}/revocation", post(revoke_consent))
}

type Res = Result<Response, ApiError>;

async fn create(State(s): State<AppState>, a: Authenticated, Body(b): Body<ProductInput>) -> Res {
    let v = products::create_product(&s.app, &a.actor, &b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn list(State(s): State<AppState>, a: Authenticated) -> Res {
    Ok(Json(products::list_products(&s.app, &a.actor).await?).into_response())
}

async fn show(State(s): State<AppState>, a: Authenticated, Path(id): Path<String>) -> Res {
    Ok(Json(products::get_product(&s.app, &a.actor, &id).await?).into_response())
}

async fn update(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<ProductInput>,
) -> Res {
    Ok(Json(products::update_draft(&s.app, &a.actor, &id, &b).await?).into_response())
}

async fn version(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<ProductInput>,
) -> Res {
    let v = products::new_version(&s.app, &a.actor, &id, &b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn submit(State(s): State<AppState>, a: Authenticated, Path(id): Path<String>) -> Res {
    Ok(Json(products::submit_product(&s.app, &a.actor, &id).await?).into_response())
}

async fn decide(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<products::ProductDecision>,
) -> Res {
    Ok(Json(products::decide_product(&s.app, &a.actor, &id, &b).await?).into_response())
}

async fn listing(State(s): State<AppState>, a: Authenticated, Path(id): Path<String>) -> Res {
    Ok(Json(products::list_product(&s.app, &a.actor, &id).await?).into_response())
}

async fn status(
    s: &AppState,
    a: &Authenticated,
    id: &str,
    c: ProductCommand,
    b: &StatusChange,
) -> Res {
    Ok(Json(products::change_status(&s.app, &a.actor, id, c, b).await?).into_response())
}

async fn suspend(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<StatusChange>,
) -> Res {
    status(&s, &a, &id, ProductCommand::Suspend, &b).await
}

async fn resume(State(s): State<AppState>, a: Authenticated, Path(id): Path<String>) -> Res {
    status(
        &s,
        &a,
        &id,
        ProductCommand::Resume,
        &StatusChange { reason: None },
    )
    .await
}

async fn retire(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<StatusChange>,
) -> Res {
    status(&s, &a, &id, ProductCommand::Retire, &b).await
}

/// The client's address, when the server was started with connection info.
struct Peer(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

async fn call(
    State(s): State<AppState>,
    Peer(peer): Peer,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<CallInput>,
) -> Res {
    let out = products::call_product(&s.app, &a.actor, &id, &b, peer).await?;
    let mut r = Json(&out).into_response();
    if let Ok(v) = HeaderValue::from_str(&out.fingerprint) {
        r.headers_mut().insert("x-gongshu-fingerprint", v);
    }
    Ok(r)
}

async fn calls(State(s): State<AppState>, a: Authenticated) -> Res {
    Ok(Json(products::list_my_calls(&s.app, &a.actor).await?).into_response())
}

async fn alerts(State(s): State<AppState>, a: Authenticated) -> Res {
    Ok(Json(products::relicensing_signals(&s.app, &a.actor).await?).into_response())
}

async fn register_asset(
    State(s): State<AppState>,
    a: Authenticated,
    Body(b): Body<products::NewAsset>,
) -> Res {
    let v = products::register_asset(&s.app, &a.actor, &b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn assets(State(s): State<AppState>, a: Authenticated) -> Res {
    Ok(Json(products::list_assets(&s.app, &a.actor).await?).into_response())
}

#[derive(Debug, Deserialize)]
struct TraceInput {
    output: serde_json::Value,
}

async fn trace(State(s): State<AppState>, a: Authenticated, Body(b): Body<TraceInput>) -> Res {
    Ok(Json(products::trace_output(&s.app, &a.actor, &b.output).await?).into_response())
}

async fn subscriptions(State(s): State<AppState>, a: Authenticated) -> Res {
    Ok(Json(products::list_my_subscriptions(&s.app, &a.actor).await?).into_response())
}

async fn issue_key(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<products::SubscriptionKeyInput>,
) -> Res {
    let k = products::issue_subscription_key(&s.app, &a.actor, &id, &b).await?;
    Ok((StatusCode::CREATED, Json(k)).into_response())
}

async fn record_consent(
    State(s): State<AppState>,
    a: Authenticated,
    Body(b): Body<products::NewConsent>,
) -> Res {
    let v = products::record_consent(&s.app, &a.actor, &b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Deserialize)]
struct ConsentQuery {
    participant_org: Option<String>,
}

async fn consents(
    State(s): State<AppState>,
    a: Authenticated,
    Query(q): Query<ConsentQuery>,
) -> Res {
    let v = products::list_consents(&s.app, &a.actor, q.participant_org.as_deref()).await?;
    Ok(Json(v).into_response())
}

async fn revoke_consent(
    State(s): State<AppState>,
    a: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<products::RevokeConsent>,
) -> Res {
    Ok(Json(products::revoke_consent(&s.app, &a.actor, &id, &b).await?).into_response())
}
