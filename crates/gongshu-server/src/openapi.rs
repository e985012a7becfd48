//! The OpenAPI 3.1 document served at `/api/openapi.json`. Written out by
//! hand from `api::ROUTES` plus per-route descriptions; a test keeps the two
//! in step so no route goes undocumented.

use axum::Json;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::api::ROUTES;

fn describe(method: &str, path: &str) -> (&'static str, &'static str) {
    match (method, path) {
        ("post", "/api/v1/session") => (
            "登录（口令 + 动态口令 TOTP）",
            "Log in with username, password and TOTP; sets the session cookie and returns the CSRF token.",
        ),
        ("delete", "/api/v1/session") => ("退出登录", "Log out (ends the session)."),
        ("get", "/api/v1/me") => ("当前用户", "The authenticated actor."),
        ("get", "/api/v1/organisations") => ("机构列表", "List organisations."),
        ("post", "/api/v1/organisations") => (
            "新建机构",
            "Create an organisation (implementing agency administrators).",
        ),
        ("get", "/api/v1/organisations/{org_id}/users") => {
            ("机构用户列表", "List the users of an organisation.")
        }
        ("post", "/api/v1/users") => (
            "新建用户",
            "Create a user; returns one-time password and TOTP enrolment.",
        ),
        ("post", "/api/v1/users/{user_id}/roles") => ("授予角色", "Grant a role."),
        ("delete", "/api/v1/users/{user_id}/roles/{role}") => ("撤销角色", "Revoke a role."),
        ("get", "/api/v1/organisations/{org_id}/api-keys") => (
            "接口密钥列表",
            "List an organisation's API keys (no secrets).",
        ),
        ("post", "/api/v1/organisations/{org_id}/api-keys") => {
            ("签发接口密钥", "Issue an API key; the key is shown once.")
        }
        ("delete", "/api/v1/organisations/{org_id}/api-keys/{key_id}") => {
            ("吊销接口密钥", "Revoke an API key at once.")
        }
        ("get", "/api/v1/audit/records") => (
            "审计记录检索",
            "List audit records by time, actor, organisation, dataset, action (data bureau).",
        ),
        ("get", "/api/v1/audit/records/{index}") => {
            ("审计记录详情", "One audit record with its payload.")
        }
        ("get", "/api/v1/audit/records/{index}/receipt") => (
            "审计回执",
            "C2SP tlog-proof receipt for one record, verifiable offline.",
        ),
        ("get", "/api/v1/audit/sample") => (
            "审计抽查",
            "Random sample of audit records for spot checks.",
        ),
        ("get", "/healthz") => ("健康检查", "Liveness and database reachability."),
        ("get", "/metrics") => ("监控指标", "Prometheus / OpenMetrics text."),
        ("get", "/audit/checkpoint") => ("审计日志检查点", "Signed C2SP checkpoint (public)."),
        ("get", "/audit/vkey") => (
            "审计日志验证公钥",
            "Verifier key in signed-note form (public).",
        ),
        ("get", "/audit/tile/{path}") => (
            "审计日志哈希瓦片",
            "C2SP tlog-tiles hash tiles (public; entry bundles are not served).",
        ),
        _ => ("", ""),
    }
}

fn params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

/// Builds the document.
pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path) in ROUTES {
        let (summary, description) = describe(method, path);
        let public = path.starts_with("/audit/")
            || *path == "/healthz"
            || *path == "/metrics"
            || (*method == "post" && *path == "/api/v1/session");
        let mut op = json!({
            "summary": summary,
            "description": description,
            "parameters": params(path),
            "responses": {
                "200": { "description": "成功 / OK" },
                "401": { "description": "未登录 / unauthenticated", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "403": { "description": "无权 / forbidden", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "422": { "description": "输入有误 / validation failed", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "503": { "description": "数据库或审计日志不可用 / unavailable", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if public {
            op["security"] = json!([]);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "gongshu 公共数据授权运营平台 API", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "security": [ { "session": [] }, { "bearer": [] }, { "apiKey": [] } ],
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": "gongshu_session" },
                "bearer": { "type": "http", "scheme": "bearer" },
                "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key" }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message", "fields"],
                    "properties": {
                        "code": { "type": "string", "description": "stable English code" },
                        "message": { "type": "string", "description": "中文说明" },
                        "fields": { "type": "array", "items": { "type": "object", "properties": {
                            "field": { "type": "string" }, "code": { "type": "string" }, "message": { "type": "string" } } } }
                    }
                }
            }
        }
    })
}

/// `GET /api/openapi.json`.
pub async fn document() -> impl IntoResponse {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc = build();
        for (m, p) in ROUTES {
            let (summary, _) = describe(m, p);
            assert!(!summary.is_empty(), "{m} {p} has no description");
            assert!(doc["paths"][*p][*m].is_object(), "{m} {p} missing");
        }
    }
}
