//! `--attest`: sign a pass attestation for every change gate of a plan and
//! publish it to the store, where the gate verifies it at apply; and, with
//! `--store`, read the live freeze of every environment the plan names.
//!
//! Envelope format, keys and store layout are those of
//! `guardrail_core::attestation`, `guardrail_core::lock` and
//! `guardrail_core::store`, which the change gate uses too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use guardrail_core::attestation::{self, Attestation, Verdict};
use guardrail_core::lock::Locks;
use guardrail_core::store::{Store, StoreConfig};
use serde_json::Value;

use crate::error::InputError;
use crate::plan::LoadedPlan;
use crate::rules::{Environment, Freeze, GATE_TYPE};

/// How long an attestation stays valid unless `--attestation-ttl` says otherwise.
pub const DEFAULT_TTL: &str = "24h";

/// Attestation and store options of `tfaudit plan`, as given.
#[derive(Debug, Clone, Default)]
pub struct AttestOptions {
    /// Sign and publish a pass attestation for every change gate in the plan.
    pub attest: bool,
    /// The ed25519 signing key file.
    pub signing_key: Option<PathBuf>,
    /// The guardrail store: `s3://BUCKET[/PREFIX]`.
    pub store: Option<String>,
    /// How long the attestation is valid (a guardrail duration).
    pub attestation_ttl: String,
    /// The S3 endpoint; else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
}

/// Why the options, the key or the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error(transparent)]
    Input(#[from] InputError),
    /// The options do not fit together (the text names them).
    #[error("{0}")]
    Options(String),
    /// The store refused or failed: what was being done, and the store's error.
    #[error("{context}: {message}")]
    Store { context: String, message: String },
}

/// Validated settings: a store, and a key and lifetime when attesting.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub store: StoreConfig,
    pub signing: Option<Signing>,
}

/// What `--attest` signs with: the key is read and checked before the plan is.
#[derive(Clone)]
pub struct Signing {
    pub key_file: PathBuf,
    pub key: attestation::SigningKey,
    pub ttl: Duration,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signing")
            .field("key_file", &self.key_file)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl AttestOptions {
    /// Checks the options and reads the signing key before the plan is read,
    /// so that nothing that can fail is left for after an attestation is
    /// published: `None` without `--store`.
    pub fn validate(&self) -> Result<Option<StoreSettings>, AttestError> {
        let Some(url) = &self.store else {
            if self.attest {
                return Err(AttestError::Options(
                    "--attest needs --store s3://BUCKET[/PREFIX]".into(),
                ));
            }
            return Ok(None);
        };
        let mut store = parse_store_url(url)?;
        // Unset: the fallbacks of `guardrail_core::store::connect`.
        store.endpoint = self.endpoint.clone();
        let signing = if self.attest {
            let key_file = self
                .signing_key
                .clone()
                .ok_or_else(|| AttestError::Options("--attest needs --signing-key FILE".into()))?;
            let ttl = guardrail_core::duration::parse(&self.attestation_ttl, MAX_TTL)
                .map_err(|error| AttestError::Options(format!("--attestation-ttl: {error}")))?;
            let key = read_signing_key(&key_file)?;
            Some(Signing { key_file, key, ttl })
        } else {
            None
        };
        Ok(Some(StoreSettings { store, signing }))
    }
}

/// Reads and parses the ed25519 signing key (the key itself is never printed).
fn read_signing_key(key_file: &Path) -> Result<attestation::SigningKey, InputError> {
    let key_text = std::fs::read_to_string(key_file).map_err(|source| InputError::Read {
        file: key_file.to_path_buf(),
        source,
    })?;
    attestation::parse_signing_key(&key_text).map_err(|error| InputError::Field {
        file: key_file.to_path_buf(),
        field: "signing key".into(),
        expected: format!("{error}; expected a PKCS#8 PEM ed25519 key (tfaudit keygen)"),
    })
}

/// `--store s3://bucket/prefix` as a store configuration (path style, region `auto`).
pub fn parse_store_url(url: &str) -> Result<StoreConfig, AttestError> {
    StoreConfig::from_url(url)
        .map_err(|problem| AttestError::Options(format!("--store `{url}`: {problem}")))
}

/// The longest `--attestation-ttl` accepted.
pub const MAX_TTL: Duration = Duration::from_secs(366 * 86_400);

/// Connects to the store `config` names (no or an empty endpoint:
/// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else AWS).
pub async fn connect_config(config: &StoreConfig) -> Result<Store, AttestError> {
    Store::connect(config)
        .await
        .map_err(|error| AttestError::Store {
            context: format!("store s3://{}/{}", config.bucket, config.prefix),
            message: error.to_string(),
        })
}

/// The live freezes of `environments`, read from the store. Each freeze names
/// its environment by [`Environment::label`] (never a sensitive value).
pub async fn freezes(
    settings: &StoreSettings,
    environments: &[Environment],
    now: DateTime<Utc>,
) -> Result<Vec<Freeze>, AttestError> {
    if environments.is_empty() {
        return Ok(Vec::new());
    }
    let store = connect_config(&settings.store).await?;
    let locks = Locks::new(&store);
    let mut found = Vec::new();
    for environment in environments {
        let current = locks
            .current(&environment.name, now)
            .await
            .map_err(|error| AttestError::Store {
                context: format!("reading the lock of {}", environment.label()),
                message: error.to_string(),
            })?;
        if let Some(record) = current {
            let until = record
                .expires_at
                .map(|at| format!(" until {}", at.to_rfc3339()))
                .unwrap_or_default();
            found.push(Freeze {
                environment: environment.label().to_string(),
                detail: format!("held by {} ({}){until}", record.owner, record.reason),
            });
        }
    }
    Ok(found)
}

/// A change gate's environment and plan id, when both are known in the plan.
pub fn gate_targets(loaded: &LoadedPlan) -> Vec<(String, String)> {
    let mut targets: Vec<(String, String)> = loaded
        .plan
        .resource_changes
        .iter()
        .filter(|change| &*change.resource_type == GATE_TYPE && change.is_managed())
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

/// Signs and publishes a pass attestation for every gate; returns the keys
/// written. `summary` is the audit summary signed into each attestation
/// (`changes` by action and `findings` by severity).
pub async fn attest_plan(
    settings: &StoreSettings,
    loaded: &LoadedPlan,
    summary: &Value,
    issued_at: DateTime<Utc>,
) -> Result<Vec<String>, AttestError> {
    let Some(signing) = &settings.signing else {
        return Ok(Vec::new());
    };
    let targets = gate_targets(loaded);
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let store = connect_config(&settings.store).await?;
    let ttl = chrono::Duration::from_std(signing.ttl).unwrap_or(chrono::Duration::hours(24));
    let mut published = Vec::new();
    for (environment, plan_id) in targets {
        let record = Attestation {
            version: 1,
            plan_id: plan_id.clone(),
            environment: environment.clone(),
            verdict: Verdict::Pass,
            summary: summary.clone(),
            // The same `sha256:<hex>` as `attestation::plan_digest`, computed
            // while the plan was streamed instead of over a second copy.
            plan_digest: format!("sha256:{}", loaded.sha256),
            auditor_version: env!("CARGO_PKG_VERSION").to_string(),
            issued_at,
            expires_at: issued_at.checked_add_signed(ttl).unwrap_or(issued_at),
        };
        let envelope = attestation::sign(&record, &signing.key);
        let key = attestation::publish(&store, &envelope, &record)
            .await
            .map_err(|error| AttestError::Store {
                context: format!("publishing the attestation for plan_id {plan_id}"),
                message: error.to_string(),
            })?;
        published.push(key);
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;

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
