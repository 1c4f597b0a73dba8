//! Attestations: what the gate accepts and what it refuses.

use base64::Engine;
use chrono::{Duration, TimeZone, Utc};
use guardrail_core::attestation::{
    encode_public_key, encode_signing_key_pem, generate_signing_key, parse_public_key,
    parse_signing_key, plan_digest, sign, verify, Attestation, AttestationError, Envelope, Verdict,
};
use proptest::prelude::*;

fn attestation(plan_id: &str) -> Attestation {
    let issued_at = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    Attestation {
        version: 1,
        plan_id: plan_id.to_string(),
        environment: "production".into(),
        verdict: Verdict::Pass,
        summary: serde_json::json!({"changes": {"create": 1}}),
        plan_digest: plan_digest(b"{\"format_version\":\"1.2\"}"),
        auditor_version: "0.1.0".into(),
        issued_at,
        expires_at: issued_at + Duration::hours(24),
    }
}

fn noon() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

#[test]
fn a_signed_attestation_verifies_for_its_plan_only() {
    let key = generate_signing_key();
    let trusted = [key.verifying_key()];
    let envelope = sign(&attestation("plan-a"), &key);
    let verified = verify(&envelope, &trusted, "production", "plan-a", noon()).unwrap();
    assert_eq!(verified.plan_id, "plan-a");
    assert!(verified.plan_digest.starts_with("sha256:"));

    assert_eq!(
        verify(&envelope, &trusted, "production", "plan-b", noon()).unwrap_err(),
        AttestationError::WrongPlan {
            expected: "plan-b".into(),
            found: "plan-a".into()
        }
    );
    assert!(matches!(
        verify(&envelope, &trusted, "staging", "plan-a", noon()).unwrap_err(),
        AttestationError::WrongEnvironment { .. }
    ));
    let late = noon() + Duration::days(2);
    let expired = verify(&envelope, &trusted, "production", "plan-a", late).unwrap_err();
    assert!(matches!(expired, AttestationError::Expired { .. }));
    assert!(
        expired.to_string().contains("2026-11-25T10:00:00"),
        "{expired}"
    );
}

#[test]
fn untrusted_keys_tampering_and_failing_verdicts_are_refused() {
    let key = generate_signing_key();
    let other = generate_signing_key();
    let envelope = sign(&attestation("plan-a"), &key);

    let unknown = verify(
        &envelope,
        &[other.verifying_key()],
        "production",
        "plan-a",
        noon(),
    );
    assert!(matches!(
        unknown.unwrap_err(),
        AttestationError::UnknownKey { .. }
    ));

    // Same key id, altered payload: the signature no longer covers it.
    let mut tampered = envelope.clone();
    let mut altered = attestation("plan-a");
    altered.summary = serde_json::json!({"changes": {"delete": 40}});
    tampered.payload =
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&altered).unwrap());
    assert_eq!(
        verify(
            &tampered,
            &[key.verifying_key()],
            "production",
            "plan-a",
            noon()
        )
        .unwrap_err(),
        AttestationError::BadSignature
    );

    let mut failing = attestation("plan-a");
    failing.verdict = Verdict::Fail;
    let envelope = sign(&failing, &key);
    assert_eq!(
        verify(
            &envelope,
            &[key.verifying_key()],
            "production",
            "plan-a",
            noon()
        )
        .unwrap_err(),
        AttestationError::NotPassing
    );
}

#[test]
fn keys_round_trip_through_pem_and_base64() {
    let key = generate_signing_key();
    let pem = encode_signing_key_pem(&key);
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(parse_signing_key(&pem).unwrap().to_bytes(), key.to_bytes());
    let seed = base64::engine::general_purpose::STANDARD.encode(key.to_bytes());
    assert_eq!(parse_signing_key(&seed).unwrap().to_bytes(), key.to_bytes());

    let public = encode_public_key(&key.verifying_key());
    assert_eq!(parse_public_key(&public).unwrap(), key.verifying_key());
    let short = parse_public_key("AAAA").unwrap_err();
    assert!(short.to_string().contains("32 bytes"), "{short}");
    let garbage = parse_public_key("not a key!").unwrap_err();
    assert!(garbage.to_string().contains("base64"), "{garbage}");
    assert!(
        parse_signing_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn published_attestations_are_fetched_and_verified_through_s3() {
    let server = guardrail_testkit::S3Server::start();
    for (key, value) in server.env() {
        if key.starts_with("AWS_ACCESS") || key.starts_with("AWS_SECRET") {
            std::env::set_var(key, value);
        }
    }
    let store = guardrail_core::store::Store::connect(&guardrail_core::store::StoreConfig {
        bucket: server.bucket().into(),
        endpoint: Some(server.endpoint()),
        ..Default::default()
    })
    .await
    .unwrap();
    let key = generate_signing_key();
    let record = attestation("plan-a");
    let envelope = sign(&record, &key);
    let stored_at = guardrail_core::attestation::publish(&store, &envelope, &record)
        .await
        .unwrap();
    assert_eq!(stored_at, "attestations/production/plan-a.json");
    let fetched = guardrail_core::attestation::fetch(&store, "production", "plan-a")
        .await
        .unwrap()
        .expect("the envelope is there");
    verify(
        &fetched,
        &[key.verifying_key()],
        "production",
        "plan-a",
        noon(),
    )
    .unwrap();
    assert!(
        guardrail_core::attestation::fetch(&store, "production", "plan-b")
            .await
            .unwrap()
            .is_none()
    );
}

proptest! {
    #[test]
    fn arbitrary_envelopes_never_panic(
        payload_type in ".{0,40}",
        payload in ".{0,200}",
        keyid in ".{0,40}",
        sig in ".{0,120}",
        key_text in ".{0,120}",
    ) {
        let key = generate_signing_key();
        let envelope = Envelope {
            payload_type,
            payload,
            signatures: vec![guardrail_core::attestation::EnvelopeSignature { keyid, sig }],
        };
        prop_assert!(verify(&envelope, &[key.verifying_key()], "production", "p", noon()).is_err());
        let _ = parse_public_key(&key_text);
        let _ = parse_signing_key(&key_text);
    }

    #[test]
    fn a_valid_signature_over_a_random_payload_is_still_checked(payload in proptest::collection::vec(any::<u8>(), 0..256)) {
        let key = generate_signing_key();
        let mut envelope = sign(&attestation("plan-a"), &key);
        envelope.payload = base64::engine::general_purpose::STANDARD.encode(&payload);
        prop_assert!(verify(&envelope, &[key.verifying_key()], "production", "plan-a", noon()).is_err());
    }
}
