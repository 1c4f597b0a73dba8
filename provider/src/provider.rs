//! The provider configuration and what `configure` prepares for every resource:
//! the environment, the store (locks, attestations, audit trail), the trusted
//! attestation keys and the clock.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use guardrail_core::store::{Store, StoreConfig};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, NestedBlock, Schema};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

use crate::clock::Clock;
use crate::configured::{Configured, Shared, StoreAccess};
use crate::schema_util::{block, known, optional, required, schema, string_list, Str};
use crate::{data_sources, resources};

/// `provider "guardrail" { ... }` as Terraform sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderConfig {
    #[serde(default)]
    pub environment: Str,
    #[serde(default)]
    pub store: Value<Vec<StoreBlock>>,
    #[serde(default)]
    pub attestation_public_keys: Value<Vec<Str>>,
    #[serde(default)]
    pub now: Str,
    #[serde(default)]
    pub allow_clock_override: Value<bool>,
}

/// The `store` block.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoreBlock {
    #[serde(default)]
    pub bucket: Str,
    #[serde(default)]
    pub endpoint: Str,
    #[serde(default)]
    pub region: Str,
    #[serde(default)]
    pub prefix: Str,
    #[serde(default)]
    pub use_path_style: Value<bool>,
}

/// The `guardrail` provider.
pub struct GuardrailProvider {
    shared: Arc<Shared>,
}

impl GuardrailProvider {
    pub fn new() -> Self {
        GuardrailProvider {
            shared: Arc::new(Shared::default()),
        }
    }
}

const DEFAULT_PREFIX: &str = "guardrail/";

fn store_block_schema() -> NestedBlock {
    NestedBlock::Optional(block(
        "Where locks, attestations and the audit trail live: a Cloudflare R2 bucket or any \
         S3-compatible store that honours conditional writes. Credentials come from the \
         standard AWS environment variables or profile.",
        vec![
            ("bucket", required(AttributeType::String, "Bucket name.")),
            (
                "endpoint",
                optional(
                    AttributeType::String,
                    "S3 endpoint URL, such as `https://<account>.r2.cloudflarestorage.com`. \
                     Defaults to `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, else AWS.",
                ),
            ),
            (
                "region",
                optional(
                    AttributeType::String,
                    "Signing region. Defaults to `AWS_REGION` / `AWS_DEFAULT_REGION`, else the \
                     `region` of the AWS profile, else `auto` (R2).",
                ),
            ),
            (
                "prefix",
                optional(
                    AttributeType::String,
                    "Key prefix of every record. Defaults to `guardrail/`.",
                ),
            ),
            (
                "use_path_style",
                optional(
                    AttributeType::Bool,
                    "Path-style addressing (`endpoint/bucket/key`). Defaults to `true`.",
                ),
            ),
        ],
        vec![],
    ))
}

/// Validates what can be validated without values from other resources.
fn validate_config(diags: &mut Diagnostics, config: &ProviderConfig) {
    crate::schema_util::check_environment(diags, &config.environment, "environment");
    if let Some(now) = known(&config.now) {
        let allowed = matches!(config.allow_clock_override, Value::Value(true));
        if !allowed {
            diags.error(
                "Clock override not allowed",
                format!(
                    "now = {now:?} is set, but this provider configuration does not allow a clock \
                     override. A simulated clock is for labs and tests only: add \
                     allow_clock_override = true there, and never where real environments change."
                ),
                AttributePath::new("now"),
            );
        } else if let Err(error) = Clock::resolve(Some(now), None) {
            diags.error(
                "Invalid clock override",
                error.to_string(),
                AttributePath::new("now"),
            );
        }
    }
    if let Value::Value(keys) = &config.attestation_public_keys {
        for (index, key) in keys.iter().enumerate() {
            if let Some(key) = known(key) {
                if let Err(error) = guardrail_core::attestation::parse_public_key(key) {
                    diags.error(
                        "Invalid attestation public key",
                        format!("expected an ed25519 public key (base64 of the 32 raw bytes, or PEM): {error}"),
                        AttributePath::new("attestation_public_keys").index(index as i64),
                    );
                }
            }
        }
    }
    if let Value::Value(blocks) = &config.store {
        for (index, store) in blocks.iter().enumerate() {
            let path = || AttributePath::new("store").index(index as i64);
            if let Some(bucket) = known(&store.bucket) {
                if bucket.trim().is_empty() {
                    diags.error(
                        "Invalid store bucket",
                        "bucket is empty; expected the name of the bucket holding the guardrail records",
                        path().attribute("bucket"),
                    );
                }
            }
            if let Some(endpoint) = known(&store.endpoint) {
                if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
                    diags.error(
                        "Invalid store endpoint",
                        format!("endpoint {endpoint:?} is not a URL; expected https://<account>.r2.cloudflarestorage.com or another http(s) URL"),
                        path().attribute("endpoint"),
                    );
                }
            }
        }
    }
}

/// The store settings, `None` while some value is unknown.
fn store_config(block: &StoreBlock) -> Option<StoreConfig> {
    let text = |value: &Str, default: Option<&str>| -> Option<Option<String>> {
        match value {
            Value::Value(text) => Some(Some(text.clone())),
            Value::Null => Some(default.map(str::to_string)),
            Value::Unknown => None,
        }
    };
    // Unset endpoint and region follow `guardrail_core::store::connect`.
    Some(StoreConfig {
        bucket: text(&block.bucket, None)?.unwrap_or_default(),
        endpoint: text(&block.endpoint, None)?,
        region: text(&block.region, None)?,
        prefix: text(&block.prefix, Some(DEFAULT_PREFIX))?.unwrap_or_default(),
        use_path_style: match block.use_path_style {
            Value::Value(flag) => flag,
            Value::Null => true,
            Value::Unknown => return None,
        },
    })
}

/// Builds the store's client. Nothing is sent: reads go out when a resource
/// needs them, and the store checks that the endpoint honours conditional
/// writes before its first one (a plan that only reads never waits for that
/// probe; see [`crate::configured::store_diagnostic`] for how its failure is told).
async fn connect_store(diags: &mut Diagnostics, config: &StoreConfig) -> Option<Store> {
    match Store::connect(config).await {
        Ok(store) => Some(store),
        Err(error) => {
            diags.error(
                "Cannot reach the guardrail store",
                format!("bucket {:?}: {error}", config.bucket),
                AttributePath::new("store").index(0),
            );
            None
        }
    }
}

#[async_trait]
impl Provider for GuardrailProvider {
    type Config<'a> = ProviderConfig;
    type MetaState<'a> = tf_provider::value::ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(block(
            "Guardrails for Terraform changes: environment locks (freezes), change windows, \
             blast-radius budgets and a change gate that verifies signed plan attestations.",
            vec![
                (
                    "environment",
                    optional(
                        AttributeType::String,
                        "The environment this configuration changes, such as `production`.",
                    ),
                ),
                (
                    "attestation_public_keys",
                    optional(
                        string_list(),
                        "Ed25519 public keys (base64 of the raw 32 bytes, or PEM) whose \
                         attestations a gate with `require_attestation` accepts. List old and \
                         new keys while rotating.",
                    ),
                ),
                (
                    "now",
                    optional(
                        AttributeType::String,
                        "Clock override (RFC 3339) for labs and tests; needs \
                         `allow_clock_override = true`. Visible in plans so audits can flag it.",
                    ),
                ),
                (
                    "allow_clock_override",
                    optional(
                        AttributeType::Bool,
                        "Honour a clock override (`now`, else the `GUARDRAIL_NOW` environment \
                         variable) for labs and tests. Defaults to `false`: the system clock, and \
                         `GUARDRAIL_NOW` is ignored with a warning. An overridden clock is shown as \
                         a warning on every plan and apply, recorded in every audit record, never \
                         used for attestation expiry, and refused by a gate with \
                         `require_attestation`.",
                    ),
                ),
            ],
            vec![("store", store_block_schema())],
        )))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        validate_config(diags, &config);
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        _terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        validate_config(diags, &config);
        if !diags.errors.is_empty() {
            return Some(());
        }
        let allowed = matches!(config.allow_clock_override, Value::Value(true));
        let clock = match Clock::from_config_and_env(known(&config.now), allowed) {
            Ok((clock, ignored)) => {
                if let Some(value) = ignored {
                    diags.root_warning(
                        "GUARDRAIL_NOW ignored",
                        format!(
                            "GUARDRAIL_NOW={value} is set, but this provider configuration does not \
                             allow a clock override (allow_clock_override = true), so the guardrails \
                             use the system clock."
                        ),
                    );
                }
                clock
            }
            Err(error) => {
                diags.error(
                    "Invalid clock override",
                    error.to_string(),
                    AttributePath::new("now"),
                );
                return Some(());
            }
        };
        if let Some(simulated) = clock.override_record() {
            tracing::warn!(source = %simulated.source, now = %simulated.simulated_now, "the provider clock is overridden");
            diags.root_warning(
                "Simulated clock",
                format!(
                    "The guardrails judge freezes, change windows and lock expiry at {} ({}) \
                     instead of the system time {}. This is for labs and tests: a gate that \
                     requires attestation refuses to work on a simulated clock, and attestation \
                     expiry always uses the system time.",
                    simulated.simulated_now.to_rfc3339(),
                    simulated.source,
                    simulated.system_now.to_rfc3339(),
                ),
            );
        }
        let store = match &config.store {
            Value::Unknown => StoreAccess::Deferred,
            Value::Null => StoreAccess::NotConfigured,
            Value::Value(blocks) => match blocks.first() {
                None => StoreAccess::NotConfigured,
                Some(block) => match store_config(block) {
                    None => StoreAccess::Deferred,
                    Some(settings) => match connect_store(diags, &settings).await {
                        Some(store) => StoreAccess::Ready(store),
                        None => return Some(()),
                    },
                },
            },
        };
        let attestation_public_keys = match &config.attestation_public_keys {
            Value::Value(keys) => keys
                .iter()
                .filter_map(|k| known(k).map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let configured = Configured {
            environment: known(&config.environment).map(str::to_string),
            store,
            attestation_public_keys,
            clock,
        };
        self.shared.set(configured).await;
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        let mut map: HashMap<String, Box<dyn DynamicResource>> = HashMap::new();
        map.insert(
            "environment_lock".into(),
            Box::new(resources::environment_lock::EnvironmentLock::new(
                self.shared.clone(),
            )),
        );
        map.insert(
            "blast_radius_budget".into(),
            Box::new(resources::blast_radius_budget::BlastRadiusBudget),
        );
        map.insert(
            "change_gate".into(),
            Box::new(resources::change_gate::ChangeGate::new(self.shared.clone())),
        );
        Some(map)
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        let mut map: HashMap<String, Box<dyn DynamicDataSource>> = HashMap::new();
        map.insert(
            "environment".into(),
            Box::new(data_sources::environment::Environment::new(
                self.shared.clone(),
            )),
        );
        map.insert(
            "change_window".into(),
            Box::new(data_sources::change_window::ChangeWindowSource::new(
                self.shared.clone(),
            )),
        );
        Some(map)
    }
}
