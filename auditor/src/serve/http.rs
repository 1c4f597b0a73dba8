//! The routes. Every answer is read from the last complete snapshot; nothing a
//! request says reaches S3 (environment names are matched against the
//! configured ones, queries filter what is in memory).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::json;

use super::reply::{error, same_secret};
use super::{views, App};

/// The largest request body accepted (413 beyond).
pub const MAX_BODY: usize = 1024 * 1024;
/// The longest a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

type Shared = State<Arc<App>>;

pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/report", get(report))
        .route("/environments", get(environments))
        .route("/environments/{env}", get(environment))
        .route("/findings", get(findings))
        .route("/trail", get(trail))
        .route("/ask", post(ask))
        .route("/summary", get(summary))
        .route_layer(middleware::from_fn_with_state(app.clone(), bearer));
    Router::new()
        .route("/", get(page))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/events", post(super::events::receive))
        .nest("/api/v1", api)
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(app)
}

/// `Authorization: Bearer TOKEN` when an API token is configured.
async fn bearer(State(app): Shared, request: Request, next: Next) -> Response {
    if let Some(token) = &app.settings.api_token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same_secret(given.as_bytes(), token.expose().as_bytes()) {
            return error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        }
    }
    next.run(request).await
}

fn not_ready() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "no complete audit cycle yet",
    )
}

async fn readyz(State(app): Shared) -> Response {
    match app.snapshot() {
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({"ready": false, "reason": "no complete audit cycle yet",
                        "last_error": app.failure().map(|f| f.reason)}),
            ),
        )
            .into_response(),
        Some(snapshot) => {
            let failure = app.failure();
            Json(json!({"ready": true, "stale": failure.is_some(),
                        "generated_at": snapshot.generated_at.to_rfc3339(),
                        "stale_since": failure.map(|f| f.since.to_rfc3339())}))
            .into_response()
        }
    }
}

async fn metrics(State(app): Shared) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

async fn report(State(app): Shared) -> Response {
    let Some(snapshot) = app.snapshot() else {
        return not_ready();
    };
    Json(views::report(
        &snapshot,
        &app.settings,
        app.failure().as_ref(),
    ))
    .into_response()
}

async fn environments(State(app): Shared) -> Response {
    let Some(snapshot) = app.snapshot() else {
        return not_ready();
    };
    Json(views::environments(
        &snapshot,
        &app.settings,
        app.failure().as_ref(),
        Utc::now(),
    ))
    .into_response()
}

fn known(app: &App, name: &str) -> bool {
    app.settings.environments.iter().any(|e| e.name == name)
}

async fn environment(State(app): Shared, Path(name): Path<String>) -> Response {
    if !known(&app, &name) {
        return error(StatusCode::NOT_FOUND, "no such environment");
    }
    let Some(snapshot) = app.snapshot() else {
        return not_ready();
    };
    Json(views::environment(
        &snapshot,
        &app.settings,
        &name,
        Utc::now(),
    ))
    .into_response()
}

async fn findings(State(app): Shared, Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(snapshot) = app.snapshot() else {
        return not_ready();
    };
    let severity = match query.get("severity").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match views::parse_severity(text) {
            Some(severity) => Some(severity),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "severity: expected one of info, low, medium, high, critical",
                )
            }
        },
    };
    let pick = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    Json(views::findings(
        &snapshot,
        app.failure().as_ref(),
        severity,
        pick("rule"),
        pick("environment"),
    ))
    .into_response()
}

async fn trail(State(app): Shared, Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(snapshot) = app.snapshot() else {
        return not_ready();
    };
    let pick = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    let since = match pick("since") {
        None => None,
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => match guardrail_core::duration::parse(text, guardrail_core::duration::MAX) {
                Ok(ago) => chrono::Duration::from_std(ago)
                    .ok()
                    .map(|ago| Utc::now() - ago),
                Err(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "since: expected an RFC 3339 time or a duration like 24h",
                    )
                }
            },
        },
    };
    Json(views::trail(
        &snapshot,
        pick("environment"),
        since,
        pick("decision"),
    ))
    .into_response()
}

#[derive(serde::Deserialize)]
struct Question {
    question: String,
}

async fn ask(State(app): Shared, body: Bytes) -> Response {
    let Ok(question) = serde_json::from_slice::<Question>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected a JSON body {\"question\": \"...\"}",
        );
    };
    let Some(snapshot) = app.snapshot() else {
        return not_ready();
    };
    Json(super::ask::answer(
        &snapshot,
        &app.settings,
        &question.question,
        Utc::now(),
    ))
    .into_response()
}

async fn summary(State(app): Shared) -> Response {
    let Some(snapshot) = app.snapshot() else {
        return not_ready();
    };
    match super::llm::summarise(&app.settings, &snapshot).await {
        Ok(value) => Json(value).into_response(),
        Err(message) => error(StatusCode::BAD_GATEWAY, &message),
    }
}

async fn page(State(app): Shared, headers: HeaderMap) -> Response {
    let _ = headers;
    let html = super::page::render(
        app.snapshot().as_deref(),
        &app.settings,
        app.failure().as_ref(),
        Utc::now(),
    );
    Html(html).into_response()
}
