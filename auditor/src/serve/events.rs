//! `POST /api/v1/events`: GitHub `workflow_run` webhooks, signed with
//! HMAC-SHA256 (`X-Hub-Signature-256: sha256=HEX`), and Flux
//! notification-controller events, with a shared token (`X-Flux-Token` or
//! `Authorization: Bearer`). A valid event asks for a cycle now over the
//! environment it names (all when it names none); a burst of events makes one
//! cycle over the environments they named. The body is read as bytes (at most 1 MiB, else 413)
//! and never logged.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::reply::{error, same_secret};
use super::App;

/// Whether `signature` (`sha256=HEX`) is the HMAC-SHA256 of `body` under
/// `secret`; the comparison is constant-time.
pub fn github_signature_valid(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Some(hex_digest) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The configured environment a text names, if one.
fn named(app: &App, texts: &[Option<&str>]) -> Option<String> {
    app.settings
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .find(|name| texts.iter().flatten().any(|text| text.contains(name)))
        .map(str::to_owned)
}

fn accepted(app: &App, source: &'static str, environment: Option<String>) -> Response {
    app.metrics.event(source, "accepted");
    app.wake(environment.clone());
    tracing::info!(
        source,
        environment = environment.as_deref().unwrap_or("(all)"),
        "event: re-audit requested"
    );
    (
        StatusCode::ACCEPTED,
        Json(json!({"accepted": true, "source": source,
                    "environment": environment, "reaudit": "queued"})),
    )
        .into_response()
}

pub async fn receive(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(event) = text("x-github-event") {
        let Some(secret) = &app.settings.github_secret else {
            app.metrics.event("github", "unauthorized");
            return error(StatusCode::UNAUTHORIZED, "GitHub events are not enabled");
        };
        let signature = text("x-hub-signature-256").unwrap_or("");
        if !github_signature_valid(secret.expose().as_bytes(), &body, signature) {
            app.metrics.event("github", "unauthorized");
            return error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong X-Hub-Signature-256",
            );
        }
        return match event {
            "ping" => {
                Json(json!({"accepted": true, "source": "github", "event": "ping"})).into_response()
            }
            "workflow_run" => {
                let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
                    app.metrics.event("github", "invalid");
                    return error(StatusCode::BAD_REQUEST, "the body is not JSON");
                };
                let run = &payload["workflow_run"];
                let environment = named(
                    &app,
                    &[
                        run["name"].as_str(),
                        run["display_title"].as_str(),
                        run["head_branch"].as_str(),
                        run["path"].as_str(),
                    ],
                );
                accepted(&app, "github", environment)
            }
            _ => {
                app.metrics.event("github", "ignored");
                Json(json!({"accepted": false, "reason": "only workflow_run events trigger a re-audit"}))
                    .into_response()
            }
        };
    }
    let Some(token) = &app.settings.flux_token else {
        app.metrics.event("flux", "unauthorized");
        return error(StatusCode::UNAUTHORIZED, "unsigned event");
    };
    let given = text("x-flux-token")
        .or_else(|| text(header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer ")))
        .unwrap_or("");
    if given.is_empty() || !same_secret(given.as_bytes(), token.expose().as_bytes()) {
        app.metrics.event("flux", "unauthorized");
        return error(StatusCode::UNAUTHORIZED, "missing or wrong Flux token");
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        app.metrics.event("flux", "invalid");
        return error(StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    let object = &payload["involvedObject"];
    let environment = named(
        &app,
        &[
            object["name"].as_str(),
            object["namespace"].as_str(),
            payload["metadata"]["environment"].as_str(),
        ],
    );
    accepted(&app, "flux", environment)
}
