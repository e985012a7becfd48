//! HTTP routes of 运营机构遴选与应用场景: the operator selection (method,
//! candidates, 14 qualification items, decision, publicity, objections,
//! report to the county government) and the application scenarios
//! (planning, the operator's plan, the regulator's written review, filing).
//! Transitions are commands, never a status patch. Refusals by a rule answer
//! 409 with the rule's own code and the rule id in the message; invalid
//! input answers 422 with field errors.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongshu_app::selection::{
    self as uc, AssessmentInput, CandidateInput, DecisionInput, FinaliseInput, NewScenario,
    NewSelection, ObjectionInput, PlanInput, ResolutionInput, ReviewInput, ScenarioFilingInput,
};

use crate::api::{Body, RouteDoc};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;

const fn r(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    description: &'static str,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        summary,
        description,
    }
}

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[
    r(
        "get",
        "/api/v1/selections",
        "运营机构遴选列表",
        "List operator selections, oldest first.",
    ),
    r(
        "post",
        "/api/v1/selections",
        "发起运营机构遴选",
        "Open a selection by open tender, invited tender, negotiation or selection (S-3.3.1). Implementing agency staff.",
    ),
    r(
        "get",
        "/api/v1/selections/{id}",
        "运营机构遴选详情",
        "One selection with its candidates, their 14 qualification items and the objections.",
    ),
    r(
        "post",
        "/api/v1/selections/{id}/candidates",
        "登记候选机构",
        "Register an operator organisation with its unified social credit code as a candidate (S-3.2.1).",
    ),
    r(
        "post",
        "/api/v1/selections/{id}/candidates/{candidate_id}/assessment",
        "记录资格审查结果",
        "Record basic qualification (S-3.2.1) and technical and security items (S-3.2.2) as met or not met; an item met needs an evidence attachment reference.",
    ),
    r(
        "post",
        "/api/v1/selections/{id}/decide",
        "确定运营机构",
        "Choose the operator: an implementing-agency approver other than the opener; only a candidate meeting all 14 items. Starts the publicity period of 5 working days (S-3.3.1).",
    ),
    r(
        "post",
        "/api/v1/selections/{id}/objections",
        "记录公示异议",
        "Record an objection received during the publicity period (S-3.3.1).",
    ),
    r(
        "post",
        "/api/v1/selections/{id}/objections/{objection_id}/resolve",
        "处理公示异议",
        "Resolve an objection: dismissed, or upheld (the selection reopens).",
    ),
    r(
        "post",
        "/api/v1/selections/{id}/finalise",
        "记录报县政府",
        "Record the report to the county government (date, document number); only after publicity with every objection resolved (S-3.3.1).",
    ),
    r(
        "get",
        "/api/v1/scenarios",
        "应用场景列表",
        "List application scenarios, oldest first.",
    ),
    r(
        "post",
        "/api/v1/scenarios",
        "规划应用场景",
        "A sector regulator plans a scenario of its sector with a priority: high, medium or low (S-6.3).",
    ),
    r(
        "get",
        "/api/v1/scenarios/{id}",
        "应用场景详情",
        "One scenario with its plan submissions and reviews.",
    ),
    r(
        "post",
        "/api/v1/scenarios/{id}/plan",
        "提交场景方案",
        "The operator submits its plan (data need, compliance measures) for a planned scenario (S-6.3).",
    ),
    r(
        "post",
        "/api/v1/scenarios/{id}/review",
        "审核场景方案",
        "The sector regulator of the scenario approves or returns the plan with written comments (S-6.3).",
    ),
    r(
        "post",
        "/api/v1/scenarios/{id}/file",
        "记录场景方案备案",
        "The data bureau records the filing of an approved plan; only a filed scenario is an approved scenario (S-2.1).",
    ),
    r(
        "post",
        "/api/v1/scenarios/{id}/cancel",
        "取消应用场景",
        "The planning sector regulator withdraws a scenario without a plan under review (S-6.3).",
    ),
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/selections", get(list_sel).post(open_sel))
        .route("/api/v1/selections/{id}", get(read_sel))
        .route("/api/v1/selections/{id}/candidates", post(candidate))
        .route(
            "/api/v1/selections/{id}/candidates/{candidate_id}/assessment",
            post(assess),
        )
        .route("/api/v1/selections/{id}/decide", post(decide))
        .route("/api/v1/selections/{id}/objections", post(objection))
        .route(
            "/api/v1/selections/{id}/objections/{objection_id}/resolve",
            post(resolve),
        )
        .route("/api/v1/selections/{id}/finalise", post(finalise))
        .route("/api/v1/scenarios", get(list_sc).post(plan))
        .route("/api/v1/scenarios/{id}", get(read_sc))
        .route("/api/v1/scenarios/{id}/plan", post(submit_plan))
        .route("/api/v1/scenarios/{id}/review", post(review))
        .route("/api/v1/scenarios/{id}/file", post(file))
        .route("/api/v1/scenarios/{id}/cancel", post(cancel))
}

type ApiResult = Result<Response, ApiError>;

fn ok<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

async fn list_sel(State(s): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::list_selections(&s.app, &auth.actor).await?,
    ))
}

async fn open_sel(
    State(s): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewSelection>,
) -> ApiResult {
    Ok(ok(
        StatusCode::CREATED,
        &uc::open_selection(&s.app, &auth.actor, &b).await?,
    ))
}

async fn read_sel(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::get_selection(&s.app, &auth.actor, &id).await?,
    ))
}

async fn candidate(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<CandidateInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::register_candidate(&s.app, &auth.actor, &id, &b).await?,
    ))
}

async fn assess(
    State(s): State<AppState>,
    auth: Authenticated,
    Path((id, candidate_id)): Path<(String, String)>,
    Body(b): Body<AssessmentInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::record_assessment(&s.app, &auth.actor, &id, &candidate_id, &b).await?,
    ))
}

async fn decide(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<DecisionInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::decide(&s.app, &auth.actor, &id, &b).await?,
    ))
}

async fn objection(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<ObjectionInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::record_objection(&s.app, &auth.actor, &id, &b).await?,
    ))
}

async fn resolve(
    State(s): State<AppState>,
    auth: Authenticated,
    Path((id, objection_id)): Path<(String, String)>,
    Body(b): Body<ResolutionInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::resolve_objection(&s.app, &auth.actor, &id, &objection_id, &b).await?,
    ))
}

async fn finalise(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<FinaliseInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::finalise(&s.app, &auth.actor, &id, &b).await?,
    ))
}

async fn list_sc(State(s): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::list_scenarios(&s.app, &auth.actor).await?,
    ))
}

async fn plan(
    State(s): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewScenario>,
) -> ApiResult {
    Ok(ok(
        StatusCode::CREATED,
        &uc::plan_scenario(&s.app, &auth.actor, &b).await?,
    ))
}

async fn read_sc(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::get_scenario(&s.app, &auth.actor, &id).await?,
    ))
}

async fn submit_plan(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<PlanInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::submit_plan(&s.app, &auth.actor, &id, &b).await?,
    ))
}

async fn review(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<ReviewInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::review_plan(&s.app, &auth.actor, &id, &b).await?,
    ))
}

async fn file(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<ScenarioFilingInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::file_scenario(&s.app, &auth.actor, &id, &b).await?,
    ))
}

async fn cancel(
    State(s): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &uc::cancel_scenario(&s.app, &auth.actor, &id).await?,
    ))
}
