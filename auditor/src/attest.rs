//! `--attest`: sign a pass attestation for every change gate of a plan and
//! publish it to the store, where the gate verifies it at apply; and, with
//! `--store`, read the live freeze of every environment the plan names.
//!
//! The attestation is a DSSE envelope: `payloadType`
//! `application/vnd.guardrail.attestation+json`, `payload` the base64 of the
//! attestation JSON, one ed25519 signature over the DSSE pre-authentication
//! encoding (`DSSEv1 <len> <type> <len> <payload>`) with key id
//! `ed25519:<first 16 hex digits of sha256(public key)>`. It is written to
//! `<prefix>attestations/<environment>/<plan_id>.json`; locks are read from
//! `<prefix>locks/<environment>.json`.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use clap::Args;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::commands::plan::rules::{Freeze, GATE_TYPE};
use crate::commands::plan::tfplan::{ChangeSummary, LoadedPlan};
use crate::commands::state::state::s3;
use crate::error::AuditError;

/// The envelope's payload type.
pub const PAYLOAD_TYPE: &str = "application/vnd.guardrail.attestation+json";
/// The store prefix when `--store` names only a bucket.
pub const DEFAULT_PREFIX: &str = "guardrail/";

/// Where the store is: bucket, key prefix (ending in `/`) and endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub bucket: String,
    pub prefix: String,
    pub endpoint: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            bucket: String::new(),
            prefix: DEFAULT_PREFIX.into(),
            endpoint: None,
        }
    }
}

/// What the attestation says: the plan passed, for this gate and plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attestation {
    pub version: u32,
    pub plan_id: String,
    pub environment: String,
    /// `pass`: attestations are only written for passing plans.
    pub verdict: String,
    pub summary: Value,
    /// `sha256:<hex>` of the plan JSON bytes.
    pub plan_digest: String,
    pub auditor_version: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    pub keyid: String,
    pub sig: String,
}

/// The DSSE pre-authentication encoding the signature covers.
pub fn pre_authentication_encoding(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    encoded.extend_from_slice(payload);
    encoded
}

/// `ed25519:` and the first 16 hex digits of the SHA-256 of the public key.
pub fn key_id(key: &ed25519_dalek::VerifyingKey) -> String {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("ed25519:{}", &digest[..16])
}

/// Signs `attestation` into an envelope.
pub fn sign(attestation: &Attestation, key: &SigningKey) -> Envelope {
    let payload = serde_json::to_vec(attestation).unwrap_or_default();
    let signature = key.sign(&pre_authentication_encoding(PAYLOAD_TYPE, &payload));
    let engine = base64::engine::general_purpose::STANDARD;
    Envelope {
        payload_type: PAYLOAD_TYPE.into(),
        payload: engine.encode(&payload),
        signatures: vec![EnvelopeSignature {
            keyid: key_id(&key.verifying_key()),
            sig: engine.encode(signature.to_bytes()),
        }],
    }
}

/// A signing key: PKCS#8 PEM, or base64 of the 32-byte seed.
pub fn parse_signing_key(text: &str) -> Result<SigningKey, String> {
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        return SigningKey::from_pkcs8_pem(text)
            .map_err(|_| "not a PKCS#8 ed25519 private key".to_string());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| "neither PEM nor base64".to_string())?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "a base64 seed must be 32 bytes".to_string())?;
    Ok(SigningKey::from_bytes(&seed))
}

/// `attestations/<environment>/<plan_id>.json` (inside the store prefix).
pub fn attestation_key(environment: &str, plan_id: &str) -> String {
    format!("attestations/{environment}/{plan_id}.json")
}

/// `locks/<environment>.json` (inside the store prefix).
pub fn lock_key(environment: &str) -> String {
    format!("locks/{environment}.json")
}

/// The parts of a lock record a freeze check reads.
#[derive(Debug, Clone, Deserialize)]
struct LockRecord {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    released_at: Option<DateTime<Utc>>,
}

impl LockRecord {
    fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_none() && self.expires_at.is_none_or(|expires| expires > now)
    }
}

/// How long an attestation stays valid unless `--attestation-ttl` says otherwise.
pub const DEFAULT_TTL: &str = "24h";

/// Attestation and store options of `tfaudit plan`.
#[derive(Debug, Clone, Args)]
pub struct AttestArgs {
    /// Sign and publish a pass attestation for every change gate in the plan
    /// (only when nothing unwaived reaches the fail threshold).
    #[arg(long, requires_all = ["signing_key", "store"])]
    pub attest: bool,

    /// Ed25519 signing key: PKCS#8 PEM (see `tfaudit keygen`) or base64 of the 32-byte seed.
    #[arg(long, value_name = "FILE")]
    pub signing_key: Option<PathBuf>,

    /// Guardrail store: s3://BUCKET[/PREFIX] (default prefix `guardrail/`). With it,
    /// the live freeze of every environment in the plan is checked too.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,

    /// How long the attestation is valid: e.g. 30m, 24h, 7d.
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_TTL)]
    pub attestation_ttl: String,

    /// S3 endpoint (R2: https://ACCOUNT.r2.cloudflarestorage.com); else AWS_ENDPOINT_URL_S3.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
}

/// Validated settings: a store, and a key and lifetime when attesting.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub store: StoreConfig,
    pub signing: Option<Signing>,
}

/// What `--attest` signs with.
#[derive(Debug, Clone)]
pub struct Signing {
    pub key_file: PathBuf,
    pub ttl: Duration,
}

impl AttestArgs {
    /// Checks the options before anything is read: `None` without `--store`.
    pub fn validate(&self) -> Result<Option<StoreSettings>, AuditError> {
        let Some(url) = &self.store else {
            if self.attest {
                return Err(AuditError::Usage(
                    "--attest needs --store s3://BUCKET[/PREFIX]".into(),
                ));
            }
            return Ok(None);
        };
        let mut store = parse_store_url(url)?;
        store.endpoint = self
            .endpoint
            .clone()
            .filter(|endpoint| !endpoint.is_empty())
            .or_else(|| {
                std::env::var("AWS_ENDPOINT_URL_S3")
                    .ok()
                    .filter(|e| !e.is_empty())
            });
        let signing = if self.attest {
            let key_file = self
                .signing_key
                .clone()
                .ok_or_else(|| AuditError::Usage("--attest needs --signing-key FILE".into()))?;
            let ttl = parse_duration(&self.attestation_ttl).ok_or_else(|| {
                AuditError::Usage(format!(
                    "--attestation-ttl `{}`: expected a duration such as 30m, 24h or 7d (at most 366d)",
                    self.attestation_ttl
                ))
            })?;
            Some(Signing { key_file, ttl })
        } else {
            None
        };
        Ok(Some(StoreSettings { store, signing }))
    }
}

/// `s3://bucket/prefix` as a store configuration (path style, region `auto`).
pub fn parse_store_url(url: &str) -> Result<StoreConfig, AuditError> {
    let invalid = |problem: &str| {
        AuditError::Usage(format!(
            "--store `{url}`: {problem}; expected s3://BUCKET[/PREFIX]"
        ))
    };
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| invalid("not an s3:// URL"))?;
    let (bucket, prefix) = match rest.split_once('/') {
        Some((bucket, prefix)) => (bucket, prefix),
        None => (rest, ""),
    };
    if bucket.is_empty() {
        return Err(invalid("the bucket is empty"));
    }
    let mut config = StoreConfig {
        bucket: bucket.to_string(),
        ..StoreConfig::default()
    };
    if !prefix.trim_matches('/').is_empty() {
        config.prefix = format!("{}/", prefix.trim_matches('/'));
    }
    Ok(config)
}

/// The longest `--attestation-ttl` accepted.
pub const MAX_TTL: Duration = Duration::from_secs(366 * 86_400);

/// `30s`, `45m`, `24h`, `7d` (a bare number is seconds), at most [`MAX_TTL`].
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number.checked_mul(60)?,
        "h" => number.checked_mul(3_600)?,
        "d" => number.checked_mul(86_400)?,
        _ => return None,
    };
    let duration = Duration::from_secs(seconds);
    (seconds > 0 && duration <= MAX_TTL).then_some(duration)
}

/// An S3 client for the store (R2 settings: region `auto`, path style).
struct StoreClient {
    client: aws_sdk_s3::Client,
    config: StoreConfig,
}

impl StoreClient {
    async fn connect(config: &StoreConfig) -> StoreClient {
        StoreClient {
            client: s3::client(config.endpoint.as_deref(), None).await,
            config: config.clone(),
        }
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.config.prefix)
    }

    fn context(&self, key: &str) -> String {
        format!("s3://{}/{}", self.config.bucket, self.full_key(key))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, AuditError> {
        let response = self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(self.full_key(key))
            .send()
            .await;
        match response {
            Ok(output) => {
                let body = output
                    .body
                    .collect()
                    .await
                    .map_err(|error| AuditError::Other {
                        context: self.context(key),
                        message: error.to_string(),
                    })?;
                Ok(Some(body.into_bytes().to_vec()))
            }
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(error) => Err(AuditError::Other {
                context: self.context(key),
                message: s3::describe(&error),
            }),
        }
    }

    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), AuditError> {
        self.client
            .put_object()
            .bucket(&self.config.bucket)
            .key(self.full_key(key))
            .content_type("application/json")
            .body(body.into())
            .send()
            .await
            .map(|_| ())
            .map_err(|error| AuditError::Other {
                context: self.context(key),
                message: s3::describe(&error),
            })
    }
}

/// The live freezes of `environments`, read from the store.
pub async fn freezes(
    settings: &StoreSettings,
    environments: &[String],
) -> Result<Vec<Freeze>, AuditError> {
    if environments.is_empty() {
        return Ok(Vec::new());
    }
    let store = StoreClient::connect(&settings.store).await;
    let now = Utc::now();
    let mut found = Vec::new();
    for environment in environments {
        let key = lock_key(environment);
        let Some(body) = store.get(&key).await? else {
            continue;
        };
        let record: LockRecord =
            serde_json::from_slice(&body).map_err(|error| AuditError::Other {
                context: store.context(&key),
                message: format!("not a lock record: {error}"),
            })?;
        if record.is_live(now) {
            let until = record
                .expires_at
                .map(|at| format!(" until {}", at.to_rfc3339()))
                .unwrap_or_default();
            found.push(Freeze {
                environment: environment.clone(),
                detail: format!("held by {} ({}){until}", record.owner, record.reason),
            });
        }
    }
    Ok(found)
}

/// A change gate's environment and plan id, when both are known in the plan.
fn gate_targets(loaded: &LoadedPlan) -> Vec<(String, String)> {
    let mut targets: Vec<(String, String)> = loaded
        .plan
        .resource_changes
        .iter()
        .filter(|change| change.resource_type == GATE_TYPE && change.is_managed())
        .filter_map(|change| {
            let after = change.after.as_ref()?;
            let text = |name: &str| {
                after
                    .get(name)
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
            };
            Some((
                text("environment")?.to_string(),
                text("plan_id")?.to_string(),
            ))
        })
        .collect();
    targets.sort();
    targets.dedup();
    targets
}

/// Signs and publishes a pass attestation for every gate; returns the keys written.
pub async fn attest_plan(
    settings: &StoreSettings,
    loaded: &LoadedPlan,
    changes: &ChangeSummary,
) -> Result<Vec<String>, AuditError> {
    let Some(signing) = &settings.signing else {
        return Ok(Vec::new());
    };
    let key_text =
        std::fs::read_to_string(&signing.key_file).map_err(|source| AuditError::Read {
            path: signing.key_file.clone(),
            source,
        })?;
    let key = parse_signing_key(&key_text).map_err(|error| AuditError::Field {
        path: signing.key_file.clone(),
        field: "signing key".into(),
        expected: format!("{error}; expected a PKCS#8 PEM ed25519 key (tfaudit keygen)"),
    })?;
    let targets = gate_targets(loaded);
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let store = StoreClient::connect(&settings.store).await;
    let issued_at = Utc::now();
    let ttl = chrono::Duration::from_std(signing.ttl).unwrap_or(chrono::Duration::hours(24));
    let mut published = Vec::new();
    for (environment, plan_id) in targets {
        let record = Attestation {
            version: 1,
            plan_id: plan_id.clone(),
            environment: environment.clone(),
            verdict: "pass".into(),
            summary: serde_json::json!({ "changes": changes.to_json() }),
            plan_digest: format!("sha256:{}", loaded.sha256),
            auditor_version: env!("CARGO_PKG_VERSION").to_string(),
            issued_at,
            expires_at: issued_at + ttl,
        };
        let envelope = sign(&record, &key);
        let object_key = attestation_key(&environment, &plan_id);
        let body = serde_json::to_vec_pretty(&envelope).unwrap_or_default();
        store.put(&object_key, body).await?;
        published.push(store.full_key(&object_key));
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("0h"), None);
        assert_eq!(parse_duration("1w"), None);
        assert_eq!(parse_duration("367d"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn store_urls() {
        let config = parse_store_url("s3://bucket/team/guardrail").unwrap();
        assert_eq!(
            (config.bucket.as_str(), config.prefix.as_str()),
            ("bucket", "team/guardrail/")
        );
        let config = parse_store_url("s3://bucket").unwrap();
        assert_eq!(config.prefix, StoreConfig::default().prefix);
        assert!(parse_store_url("https://bucket").is_err());
        assert!(parse_store_url("s3:///x").is_err());
    }
}
