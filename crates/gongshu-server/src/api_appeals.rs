//! HTTP routes of 申诉、争议、监督检查与安全事件: appeals (S-2.5b),
//! provider–operator disputes (S-2.5a), inspections with verified audit
//! samples and findings (S-3.3.2d) and security incidents (S-3.3.4).
//! Transitions are commands (`POST …/{id}/decision`, `…/close`, …), never a
//! status patch. A refusal by a rule answers 409 with the rule's code; a
//! lost race answers 409 `conflict`; an actor the policies (or the
//! narrowing domain rule) refuse answers 403.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongshu_app::appeals::{
    self, CloseIncident, CloseInspection, CommissionAssessment, DecideAppeal, IncidentReport,
    NewAppeal, NewDispute, NewFinding, NewFlag, NewIncident, NewInspection, RecordAssessment,
    Rectification, ReopenFinding, ReopenInspection, ResolveDispute,
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
        "/api/v1/appeals",
        "申诉列表",
        "The appeals the caller may see (the appellant, the implementing agency, the data bureau), oldest first.",
    ),
    r(
        "post",
        "/api/v1/appeals",
        "提出申诉",
        "A secondary-market participant appeals a decision on its platform entry (`market_entry`, checked against the joint review: its own, rejected), a data-use application (`data_use`) or an egress compliance review (`egress`; both recorded as given, `decided_on` required) within 15 working days of the decision (S-2.5b).",
    ),
    r(
        "get",
        "/api/v1/appeals/{id}",
        "申诉详情",
        "One appeal with its filing and handling deadlines.",
    ),
    r(
        "post",
        "/api/v1/appeals/{id}/decision",
        "处理申诉",
        "An approver of the implementing agency, not of the appellant, upholds or overturns the original decision, with reasons (S-2.5b).",
    ),
    r(
        "post",
        "/api/v1/appeals/{id}/withdraw",
        "撤回申诉",
        "The appellant withdraws before the decision.",
    ),
    r(
        "get",
        "/api/v1/disputes",
        "争议列表",
        "The disputes the caller may see (both sides and the supervisors), oldest first.",
    ),
    r(
        "post",
        "/api/v1/disputes",
        "提出争议",
        "A data source unit raises a dispute over authorization or use against the operator, or the operator against a data source unit (S-2.5a).",
    ),
    r(
        "get",
        "/api/v1/disputes/{id}",
        "争议详情",
        "One dispute with its assessment and outcome.",
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/assessment",
        "委托第三方评估",
        "The implementing agency commissions a third-party assessment (body, date; S-2.5a).",
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/assessment-report",
        "登记评估报告",
        "The implementing agency records the assessment report (reference, date).",
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/resolution",
        "争议协调结案",
        "The implementing agency resolves the dispute with an outcome.",
    ),
    r(
        "get",
        "/api/v1/inspections",
        "监督检查列表",
        "The inspections the caller may see (the supervisors and the inspected organisation), oldest first.",
    ),
    r(
        "post",
        "/api/v1/inspections",
        "开展监督检查",
        "The data bureau opens a random or targeted inspection of the operator or a participant (S-3.3.2d); a random one draws a seeded sample of the inspected organisation's audit records and verifies each against the log (receipt with the log's key, published tile and bundle).",
    ),
    r(
        "get",
        "/api/v1/inspections/{id}",
        "监督检查详情",
        "One inspection with its verified samples, findings and flags.",
    ),
    r(
        "post",
        "/api/v1/inspections/{id}/findings",
        "登记检查问题",
        "The data bureau records a finding (severity, description, rule id) with a rectification deadline in working days for the inspected organisation.",
    ),
    r(
        "post",
        "/api/v1/inspections/{id}/findings/{finding_id}/rectification",
        "登记整改情况",
        "The inspected organisation records its rectification of a finding.",
    ),
    r(
        "post",
        "/api/v1/inspections/{id}/findings/{finding_id}/reopen",
        "退回整改",
        "The data bureau rejects a rectification and sets a new deadline.",
    ),
    r(
        "post",
        "/api/v1/inspections/{id}/close",
        "结束检查",
        "The data bureau closes the inspection with a conclusion; refused while a finding is not rectified.",
    ),
    r(
        "post",
        "/api/v1/inspections/{id}/reopen",
        "重新开启检查",
        "The data bureau reopens a closed inspection.",
    ),
    r(
        "post",
        "/api/v1/inspections/{id}/flags",
        "标记禁止行为",
        "The data bureau flags prohibited behaviour (S-3.3.4-1..4) on the inspected organisation, citing a finding.",
    ),
    r(
        "get",
        "/api/v1/incidents",
        "安全事件列表",
        "The incidents the caller may see, oldest first.",
    ),
    r(
        "post",
        "/api/v1/incidents",
        "登记安全事件",
        "An organisation records its own security incident, or the data bureau records one of any organisation (category, severity, time of discovery, affected data, measures); the organisation concerned must report within 5 working days.",
    ),
    r(
        "get",
        "/api/v1/incidents/{id}",
        "安全事件详情",
        "One incident.",
    ),
    r(
        "post",
        "/api/v1/incidents/{id}/report",
        "报告安全事件处置情况",
        "The organisation concerned files its report.",
    ),
    r(
        "post",
        "/api/v1/incidents/{id}/close",
        "安全事件结案",
        "The data bureau closes a reported incident.",
    ),
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/appeals", get(list_appeals).post(file_appeal))
        .route("/api/v1/appeals/{id}", get(get_appeal))
        .route("/api/v1/appeals/{id}/decision", post(decide_appeal))
        .route("/api/v1/appeals/{id}/withdraw", post(withdraw_appeal))
        .route("/api/v1/disputes", get(list_disputes).post(raise_dispute))
        .route("/api/v1/disputes/{id}", get(get_dispute))
        .route("/api/v1/disputes/{id}/assessment", post(commission))
        .route(
            "/api/v1/disputes/{id}/assessment-report",
            post(record_report),
        )
        .route("/api/v1/disputes/{id}/resolution", post(resolve))
        .route(
            "/api/v1/inspections",
            get(list_inspections).post(open_inspection),
        )
        .route("/api/v1/inspections/{id}", get(get_inspection))
        .route("/api/v1/inspections/{id}/findings", post(add_finding))
        .route(
            "/api/v1/inspections/{id}/findings/{finding_id}/rectification",
            post(rectify),
        )
        .route(
            "/api/v1/inspections/{id}/findings/{finding_id}/reopen",
            post(reopen_finding),
        )
        .route("/api/v1/inspections/{id}/close", post(close_inspection))
        .route("/api/v1/inspections/{id}/reopen", post(reopen_inspection))
        .route("/api/v1/inspections/{id}/flags", post(flag))
        .route(
            "/api/v1/incidents",
            get(list_incidents).post(record_incident),
        )
        .route("/api/v1/incidents/{id}", get(get_incident))
        .route("/api/v1/incidents/{id}/report", post(report_incident))
        .route("/api/v1/incidents/{id}/close", post(close_incident))
}

type ApiResult = Result<Response, ApiError>;

fn json<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

/// `GET` of a list.
macro_rules! list {
    ($name:ident, $f:path) => {
        async fn $name(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
            Ok(json(StatusCode::OK, &$f(&state.app, &auth.actor).await?))
        }
    };
}

/// `POST` creating an item (201).
macro_rules! create {
    ($name:ident, $f:path, $input:ty) => {
        async fn $name(
            State(state): State<AppState>,
            auth: Authenticated,
            Body(b): Body<$input>,
        ) -> ApiResult {
            Ok(json(
                StatusCode::CREATED,
                &$f(&state.app, &auth.actor, &b).await?,
            ))
        }
    };
}

/// `GET` of one item.
macro_rules! one {
    ($name:ident, $f:path) => {
        async fn $name(
            State(state): State<AppState>,
            auth: Authenticated,
            Path(id): Path<String>,
        ) -> ApiResult {
            Ok(json(
                StatusCode::OK,
                &$f(&state.app, &auth.actor, &id).await?,
            ))
        }
    };
}

/// `POST` of a command on one item, with a body.
macro_rules! command {
    ($name:ident, $f:path, $input:ty) => {
        async fn $name(
            State(state): State<AppState>,
            auth: Authenticated,
            Path(id): Path<String>,
            Body(b): Body<$input>,
        ) -> ApiResult {
            Ok(json(
                StatusCode::OK,
                &$f(&state.app, &auth.actor, &id, &b).await?,
            ))
        }
    };
}

/// `POST` of a command on a finding of an inspection, with a body.
macro_rules! finding_command {
    ($name:ident, $f:path, $input:ty) => {
        async fn $name(
            State(state): State<AppState>,
            auth: Authenticated,
            Path((id, finding_id)): Path<(String, String)>,
            Body(b): Body<$input>,
        ) -> ApiResult {
            Ok(json(
                StatusCode::OK,
                &$f(&state.app, &auth.actor, &id, &finding_id, &b).await?,
            ))
        }
    };
}

list!(list_appeals, appeals::list_appeals);
create!(file_appeal, appeals::file_appeal, NewAppeal);
one!(get_appeal, appeals::get_appeal);
command!(decide_appeal, appeals::decide_appeal, DecideAppeal);
one!(withdraw_appeal, appeals::withdraw_appeal);

list!(list_disputes, appeals::list_disputes);
create!(raise_dispute, appeals::raise_dispute, NewDispute);
one!(get_dispute, appeals::get_dispute);
command!(
    commission,
    appeals::commission_assessment,
    CommissionAssessment
);
command!(record_report, appeals::record_assessment, RecordAssessment);
command!(resolve, appeals::resolve_dispute, ResolveDispute);

list!(list_inspections, appeals::list_inspections);
create!(open_inspection, appeals::open_inspection, NewInspection);
one!(get_inspection, appeals::get_inspection);
command!(add_finding, appeals::add_finding, NewFinding);
finding_command!(rectify, appeals::rectify_finding, Rectification);
finding_command!(reopen_finding, appeals::reopen_finding, ReopenFinding);
command!(close_inspection, appeals::close_inspection, CloseInspection);
command!(
    reopen_inspection,
    appeals::reopen_inspection,
    ReopenInspection
);
command!(flag, appeals::flag_behaviour, NewFlag);

list!(list_incidents, appeals::list_incidents);
create!(record_incident, appeals::record_incident, NewIncident);
one!(get_incident, appeals::get_incident);
command!(
    report_incident,
    appeals::file_incident_report,
    IncidentReport
);
command!(close_incident, appeals::close_incident, CloseIncident);
