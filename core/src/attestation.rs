//! Signed plan attestations: `tfaudit plan --attest` signs, the change gate verifies.
//!
//! An attestation travels in a DSSE-style [`Envelope`]: the payload is the JSON of
//! an [`Attestation`], base64-encoded, and each ed25519 signature covers the DSSE
//! pre-authentication encoding of (payload type, payload bytes). Verification never
//! re-serialises anything, so what was signed is exactly what is checked.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer, Verifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::store::{ObjectStore, PutOutcome, StoreError};

/// The envelope's payload type.
pub const PAYLOAD_TYPE: &str = "application/vnd.guardrail.attestation+json";
/// The attestation format version this library writes and accepts.
pub const FORMAT_VERSION: u32 = 1;

/// What the auditor attests about one plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attestation {
    pub version: u32,
    /// The gate's `plan_id` in the audited plan.
    pub plan_id: String,
    pub environment: String,
    pub verdict: Verdict,
    /// The audit summary (changes by action, findings by severity).
    pub summary: serde_json::Value,
    /// `sha256:<hex>` of the plan JSON that was audited.
    pub plan_digest: String,
    pub auditor_version: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The audit's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

/// A DSSE-style signed envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// base64 of the attestation JSON bytes.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature in an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// `ed25519:` and the first 16 hex digits of sha256(public key).
    pub keyid: String,
    /// base64 of the 64-byte ed25519 signature.
    pub sig: String,
}

/// Why an attestation was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestationError {
    #[error("the attestation is malformed: {0}")]
    Malformed(String),
    #[error("the attestation is signed by {key_ids}, none of which is in attestation_public_keys")]
    UnknownKey { key_ids: String },
    #[error(
        "the attestation's signature does not verify: it was altered or signed with another key"
    )]
    BadSignature,
    #[error("the attestation is for plan {found}, not for this plan ({expected})")]
    WrongPlan { expected: String, found: String },
    #[error("the attestation is for environment `{found}`, not `{expected}`")]
    WrongEnvironment { expected: String, found: String },
    #[error("the attestation expired at {}", .expired_at.to_rfc3339())]
    Expired { expired_at: DateTime<Utc> },
    #[error("the attestation's verdict is `fail`: the audit did not pass")]
    NotPassing,
    #[error("unsupported attestation version {0} (this build reads version 1)")]
    UnsupportedVersion(u32),
}

/// A key that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(String);

/// `attestations/<environment>/<plan_id>.json`
pub fn attestation_key(environment: &str, plan_id: &str) -> String {
    format!("attestations/{environment}/{plan_id}.json")
}

/// `sha256:<hex>` of the plan bytes.
pub fn plan_digest(plan_bytes: &[u8]) -> String {
    crate::digest::sha256(plan_bytes)
}

/// `ed25519:` and the first 16 hex digits of sha256 of the raw public key.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("ed25519:{}", &digest[..16])
}

/// DSSE pre-authentication encoding: `DSSEv1 <len> <type> <len> <payload>`.
fn pre_authentication_encoding(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    encoded.extend_from_slice(payload);
    encoded
}

/// Signs an attestation.
pub fn sign(attestation: &Attestation, key: &SigningKey) -> Envelope {
    let payload = serde_json::to_vec(attestation).expect("an attestation serialises");
    let signature = key.sign(&pre_authentication_encoding(PAYLOAD_TYPE, &payload));
    Envelope {
        payload_type: PAYLOAD_TYPE.to_string(),
        payload: BASE64.encode(&payload),
        signatures: vec![EnvelopeSignature {
            keyid: key_id(&key.verifying_key()),
            sig: BASE64.encode(signature.to_bytes()),
        }],
    }
}

/// Verifies an envelope for `expected_environment` / `expected_plan_id` at `now`:
/// a signature by a trusted key, the right plan and environment, not expired, and a
/// passing verdict. Returns the attestation.
pub fn verify(
    envelope: &Envelope,
    trusted: &[VerifyingKey],
    expected_environment: &str,
    expected_plan_id: &str,
    now: DateTime<Utc>,
) -> Result<Attestation, AttestationError> {
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(AttestationError::Malformed(format!(
            "payloadType is `{}`, expected `{PAYLOAD_TYPE}`",
            envelope.payload_type
        )));
    }
    let payload = BASE64
        .decode(envelope.payload.as_bytes())
        .map_err(|e| AttestationError::Malformed(format!("payload is not base64: {e}")))?;
    if envelope.signatures.is_empty() {
        return Err(AttestationError::Malformed("no signatures".into()));
    }
    let message = pre_authentication_encoding(&envelope.payload_type, &payload);
    let mut known_key_seen = false;
    let mut verified = false;
    for signature in &envelope.signatures {
        let Some(key) = trusted.iter().find(|k| key_id(k) == signature.keyid) else {
            continue;
        };
        known_key_seen = true;
        let Ok(bytes) = BASE64.decode(signature.sig.as_bytes()) else {
            continue;
        };
        let Ok(signature) = Signature::from_slice(&bytes) else {
            continue;
        };
        if key.verify(&message, &signature).is_ok() {
            verified = true;
            break;
        }
    }
    if !known_key_seen {
        let key_ids = envelope
            .signatures
            .iter()
            .map(|s| s.keyid.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(AttestationError::UnknownKey { key_ids });
    }
    if !verified {
        return Err(AttestationError::BadSignature);
    }
    let attestation: Attestation = serde_json::from_slice(&payload)
        .map_err(|e| AttestationError::Malformed(format!("payload: {e}")))?;
    if attestation.version != FORMAT_VERSION {
        return Err(AttestationError::UnsupportedVersion(attestation.version));
    }
    if attestation.plan_id != expected_plan_id {
        return Err(AttestationError::WrongPlan {
            expected: expected_plan_id.to_string(),
            found: attestation.plan_id,
        });
    }
    if attestation.environment != expected_environment {
        return Err(AttestationError::WrongEnvironment {
            expected: expected_environment.to_string(),
            found: attestation.environment,
        });
    }
    if attestation.expires_at <= now {
        return Err(AttestationError::Expired {
            expired_at: attestation.expires_at,
        });
    }
    if attestation.verdict != Verdict::Pass {
        return Err(AttestationError::NotPassing);
    }
    Ok(attestation)
}

/// Reads a public key: base64 of the raw 32 bytes, or a PEM `PUBLIC KEY` (SPKI).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        return VerifyingKey::from_public_key_pem(text)
            .map_err(|e| KeyError(format!("not an ed25519 PEM public key: {e}")));
    }
    let bytes = BASE64.decode(text.as_bytes()).map_err(|_| {
        KeyError("expected base64 of a 32-byte ed25519 public key, or a PEM PUBLIC KEY".into())
    })?;
    let bytes: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        KeyError(format!(
            "expected 32 bytes of ed25519 public key, got {}",
            bytes.len()
        ))
    })?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|e| KeyError(format!("invalid ed25519 public key: {e}")))
}

/// Reads a signing key: a PEM `PRIVATE KEY` (PKCS#8), or base64 of the raw 32-byte seed.
pub fn parse_signing_key(text: &str) -> Result<SigningKey, KeyError> {
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        return SigningKey::from_pkcs8_pem(text)
            .map_err(|e| KeyError(format!("not an ed25519 PKCS#8 PEM private key: {e}")));
    }
    let bytes = BASE64.decode(text.as_bytes()).map_err(|_| {
        KeyError("expected a PEM PRIVATE KEY or base64 of a 32-byte ed25519 seed".into())
    })?;
    let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        KeyError(format!(
            "expected a 32-byte ed25519 seed, got {} bytes",
            bytes.len()
        ))
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A fresh random signing key.
pub fn generate_signing_key() -> SigningKey {
    SigningKey::generate(&mut rand::rand_core::UnwrapErr(rand::rngs::SysRng))
}

/// base64 of the raw 32-byte public key (the form `attestation_public_keys` takes).
pub fn encode_public_key(key: &VerifyingKey) -> String {
    BASE64.encode(key.as_bytes())
}

/// PKCS#8 PEM of a signing key.
pub fn encode_signing_key_pem(key: &SigningKey) -> String {
    key.to_pkcs8_pem(Default::default())
        .expect("an ed25519 key encodes as PKCS#8")
        .to_string()
}

/// Writes the envelope to `attestations/<environment>/<plan_id>.json`; returns the key.
pub async fn publish(
    store: &dyn ObjectStore,
    envelope: &Envelope,
    attestation: &Attestation,
) -> Result<String, StoreError> {
    let key = attestation_key(&attestation.environment, &attestation.plan_id);
    let body = serde_json::to_vec_pretty(envelope).expect("an envelope serialises");
    store.put(&key, body).await?;
    Ok(key)
}

/// `attestations/<environment>/<plan_id>.spent.json`: written once, by the apply
/// that used the attestation.
pub fn spent_key(environment: &str, plan_id: &str) -> String {
    format!("attestations/{environment}/{plan_id}.spent.json")
}

/// Who spent an attestation, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpentRecord {
    pub environment: String,
    pub plan_id: String,
    pub who: String,
    pub at: DateTime<Utc>,
}

/// The outcome of [`spend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spend {
    /// This apply is the first and only one to use the attestation.
    First,
    /// An earlier apply used it already (the record it left, when readable).
    AlreadySpent(Option<SpentRecord>),
}

/// Marks the attestation of `record.plan_id` as used, atomically (`If-None-Match`):
/// an attestation lets exactly one apply through, so a plan_id that repeats (the
/// first plan of a re-created gate, a plan without refresh) cannot replay it.
pub async fn spend(store: &dyn ObjectStore, record: &SpentRecord) -> Result<Spend, StoreError> {
    let key = spent_key(&record.environment, &record.plan_id);
    let body = serde_json::to_vec_pretty(record).expect("a spent record serialises");
    match store.put_if_absent(&key, body).await? {
        PutOutcome::Written { .. } => Ok(Spend::First),
        PutOutcome::PreconditionFailed => {
            let earlier = store
                .get(&key)
                .await?
                .and_then(|object| serde_json::from_slice(&object.body).ok());
            Ok(Spend::AlreadySpent(earlier))
        }
    }
}

/// Reads the envelope for a plan, if any. A body that is not an envelope is
/// returned as an envelope that fails verification as malformed.
pub async fn fetch(
    store: &dyn ObjectStore,
    environment: &str,
    plan_id: &str,
) -> Result<Option<Envelope>, StoreError> {
    let Some(object) = store.get(&attestation_key(environment, plan_id)).await? else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_slice(&object.body).unwrap_or_else(
        |_| Envelope {
            payload_type: "unreadable".into(),
            payload: String::new(),
            signatures: Vec::new(),
        },
    )))
}
