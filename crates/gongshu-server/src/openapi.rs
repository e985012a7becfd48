//! The OpenAPI 3.1 document served at `/api/openapi.json`. Written out by
//! hand from `api::ROUTES` plus per-route descriptions; a test keeps the two
//! in step so no route goes undocumented.

use axum::Json;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::api::all_routes;

fn params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

/// Builds the document.
pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for route in all_routes() {
        let (method, path, summary, description) =
            (route.method, route.path, route.summary, route.description);
        let public = path.starts_with("/audit/")
            || path == "/healthz"
            || path == "/metrics"
            || path.starts_with("/api/v1/public/")
            || (method == "post" && path == "/api/v1/session");
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
        entry[method] = op;
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
        let mut seen = std::collections::HashSet::new();
        for r in all_routes() {
            assert!(
                !r.summary.is_empty() && !r.description.is_empty(),
                "{} {} has no description",
                r.method,
                r.path
            );
            assert!(
                doc["paths"][r.path][r.method].is_object(),
                "{} {} missing",
                r.method,
                r.path
            );
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} listed twice",
                r.method,
                r.path
            );
        }
    }
}
