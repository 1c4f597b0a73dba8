//! What the guardrail store says of one environment, read-only: the lock
//! (freeze), the verified audit trail and the attestation inventory, through
//! the cycle's listing of the store ([`super::store_cache`]).

use base64::Engine;
use chrono::{DateTime, Utc};
use guardrail_core::attestation::{Attestation, Envelope};
use guardrail_core::audit_record;
use guardrail_core::lock::{lock_key, Locks};
use guardrail_core::store::ObjectStore;

use super::snapshot::{AttestationCounts, EnvironmentData, TrailEntry};
use super::store_cache::CachedStore;
use crate::findings::Finding;
use crate::state::trail;

/// The environment's store data and the trail findings.
pub struct StoreRead {
    pub data: EnvironmentData,
    pub findings: Vec<Finding>,
}

/// Reads one environment. A store that cannot be read fails the cycle (the
/// report would otherwise say an environment is not frozen when it is).
pub async fn read(
    store: &CachedStore,
    environment: &str,
    now: DateTime<Utc>,
) -> Result<StoreRead, String> {
    let location = format!("s3://{}/{}", store.bucket(), store.prefix());
    let mut findings = Vec::new();
    let report = audit_record::verify_chain(store, environment)
        .await
        .map_err(|error| format!("environment `{environment}`: {error}"))?;
    findings.extend(trail::findings(&location, &report));
    let records = audit_record::list(store, environment)
        .await
        .map_err(|error| format!("environment `{environment}`: {error}"))?;
    let trail = records
        .into_iter()
        .map(|record| TrailEntry {
            key: format!(
                "{location}{}",
                audit_record::chained_key(environment, record.sequence)
            ),
            environment: record.environment,
            sequence: record.sequence,
            plan_id: record.plan_id,
            action: record.action,
            decision: record.decision,
            who: record.who,
            at: record.at,
            reasons: record.reasons,
            break_glass_ticket: record.break_glass.as_ref().map(|b| b.ticket.clone()),
            break_glass_reason: record.break_glass.map(|b| b.reason),
        })
        .collect();
    // A corrupt lock object is a trail/unparsable finding already.
    let lock = match Locks::new(store).read(environment).await {
        Ok(found) => found.map(|(record, _)| record),
        Err(guardrail_core::lock::LockError::Corrupt { .. }) => None,
        Err(error) => return Err(format!("environment `{environment}`: {error}")),
    };
    let attestations = attestations(store, environment, now).await?;
    Ok(StoreRead {
        data: EnvironmentData {
            name: environment.to_owned(),
            lock_key: lock
                .as_ref()
                .map(|_| format!("{location}{}", lock_key(environment))),
            lock,
            trail,
            attestations,
            audited_at: None,
            drift: None,
        },
        findings,
    })
}

/// Issued (unspent, unexpired), spent, expired unused, and expiring within an hour.
async fn attestations(
    store: &CachedStore,
    environment: &str,
    now: DateTime<Utc>,
) -> Result<AttestationCounts, String> {
    let prefix = format!("attestations/{environment}/");
    let keys = store
        .list(&prefix)
        .await
        .map_err(|error| format!("environment `{environment}`: {error}"))?;
    let spent: std::collections::HashSet<&str> = keys
        .iter()
        .filter_map(|key| key.strip_suffix(".spent.json"))
        .collect();
    let mut counts = AttestationCounts::default();
    for key in keys.iter().filter(|key| !key.ends_with(".spent.json")) {
        let Some(stem) = key.strip_suffix(".json") else {
            continue;
        };
        if spent.contains(stem) {
            counts.spent += 1;
            continue;
        }
        let expires_at = match store.get(key).await {
            Ok(Some(object)) => expiry(&object.body),
            Ok(None) => continue,
            Err(error) => return Err(format!("{key}: {error}")),
        };
        match expires_at {
            Some(at) if at <= now => counts.expired_unused += 1,
            Some(at) => {
                counts.issued += 1;
                if at <= now + chrono::Duration::hours(1) {
                    counts.expiring_soon += 1;
                }
            }
            None => counts.issued += 1,
        }
    }
    Ok(counts)
}

/// The `expires_at` of an attestation envelope (the signature is the gate's
/// business; the inventory only counts).
fn expiry(body: &[u8]) -> Option<DateTime<Utc>> {
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope.payload.as_bytes())
        .ok()?;
    let attestation: Attestation = serde_json::from_slice(&payload).ok()?;
    Some(attestation.expires_at)
}
