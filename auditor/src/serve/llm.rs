//! `--llm-endpoint`: an OpenAI-compatible chat API asked to phrase a summary
//! of the report, off by default. What is sent is built from counts, rule ids,
//! environment names and redacted messages only: no credentials, no raw state,
//! no value a state marks sensitive.

use serde_json::{json, Value};

use super::settings::Settings;
use super::snapshot::Snapshot;
use crate::redact::{Redactor, REDACTED};
use crate::state::secrets::classify;

/// The facts sent: counts and rule ids per environment, freeze status, and
/// finding messages passed through the redactor.
pub fn facts(snapshot: &Snapshot, settings: &Settings) -> Value {
    let redactor = redactor(settings);
    let environments: Vec<Value> = snapshot
        .environments
        .iter()
        .map(|env| {
            let findings: Vec<Value> = snapshot
                .findings
                .iter()
                .filter(|f| f.environment == env.name && !f.finding.waived)
                .map(|f| {
                    json!({"rule_id": f.finding.rule_id, "severity": f.finding.severity,
                           "message": scrub(&redactor, &f.finding.message)})
                })
                .collect();
            json!({"name": env.name,
                   "frozen": env.lock.as_ref().is_some_and(|l| l.is_live(snapshot.generated_at)),
                   "findings": findings})
        })
        .collect();
    json!({"generated_at": snapshot.generated_at.to_rfc3339(), "environments": environments})
}

/// Asks the endpoint for a summary; without one, the facts alone.
pub async fn summarise(settings: &Settings, snapshot: &Snapshot) -> Result<Value, String> {
    let facts = facts(snapshot, settings);
    let Some(endpoint) = &settings.llm_endpoint else {
        return Ok(json!({"summary": null, "facts": facts, "llm": "disabled"}));
    };
    let url = format!("{}/chat/completions", endpoint.trim_end_matches('/'));
    let request = json!({
        "model": settings.llm_model,
        "messages": [
            {"role": "system", "content": "Summarise this infrastructure audit report for an on-call engineer in three sentences. Use only the facts given."},
            {"role": "user", "content": facts.to_string()}
        ]
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("llm client: {e}"))?;
    let response = client
        .post(&url)
        .json(&request)
        .send()
        .await
        .map_err(|_| "the language model endpoint did not answer".to_owned())?;
    let answer: Value = response
        .json()
        .await
        .map_err(|_| "the language model endpoint answered something else than JSON".to_owned())?;
    let summary = answer["choices"][0]["message"]["content"]
        .as_str()
        .map(str::to_owned);
    Ok(json!({"summary": summary, "facts": facts, "llm": "used"}))
}

/// The redactor of every output, knowing the advisor's own secrets.
fn redactor(settings: &Settings) -> Redactor {
    Redactor::from_values(
        [
            &settings.api_token,
            &settings.github_secret,
            &settings.flux_token,
        ]
        .into_iter()
        .flatten()
        .map(|secret| secret.expose().to_owned()),
    )
}

/// `text` redacted, and any word that looks like a secret replaced as well.
fn scrub(redactor: &Redactor, text: &str) -> String {
    redactor
        .redact(text)
        .split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c: char| "`'\",;:()[]".contains(c));
            if classify(bare).is_some() {
                REDACTED
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
