//! Lock records without a store: old records still read, status, who may
//! adopt a lock, and configuration digests.

use chrono::{TimeZone, Utc};
use guardrail_core::lock::{config_digest, LockRecord, LockRequest, LockStatus};

fn record() -> LockRecord {
    LockRecord {
        environment: "staging".into(),
        lock_id: "id-1".into(),
        owner: "alice".into(),
        reason: "migration".into(),
        acquired_at: Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap(),
        expires_at: Some(Utc.with_ymd_and_hms(2026, 11, 24, 11, 0, 0).unwrap()),
        generation: 3,
        config_digest: Some(config_digest(&[("reason", "migration")])),
        ..LockRecord::default()
    }
}

#[test]
fn records_of_older_versions_still_read() {
    let old = r#"{"environment":"staging","lock_id":"x","owner":"alice","reason":"r",
        "acquired_at":"2026-11-24T10:00:00Z","expires_at":null,"generation":4,"released_at":null}"#;
    let record: LockRecord = serde_json::from_str(old).unwrap();
    assert_eq!(record.generation, 4);
    assert_eq!(record.config_digest, None);
}

#[test]
fn status_follows_release_and_expiry() {
    let at = |minute| Utc.with_ymd_and_hms(2026, 11, 24, 10, minute, 0).unwrap();
    let mut lock = record();
    assert_eq!(lock.status(at(59)), LockStatus::Live);
    assert_eq!(
        lock.status(at(0) + chrono::Duration::hours(1)),
        LockStatus::Expired
    );
    lock.released_at = Some(at(30));
    assert_eq!(lock.status(at(31)), LockStatus::Released);
}

#[test]
fn only_the_same_owner_and_configuration_adopt() {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 30, 0).unwrap();
    let lock = record();
    let request = LockRequest {
        environment: "staging".into(),
        owner: "alice".into(),
        reason: "migration".into(),
        config_digest: lock.config_digest.clone(),
        ..LockRequest::default()
    };
    assert!(lock.adoptable_by(&request, now));
    let other_owner = LockRequest {
        owner: "bob".into(),
        ..request.clone()
    };
    assert!(!lock.adoptable_by(&other_owner, now));
    let other_config = LockRequest {
        config_digest: Some(config_digest(&[("reason", "other")])),
        ..request.clone()
    };
    assert!(!lock.adoptable_by(&other_config, now));
    let no_digest = LockRecord {
        config_digest: None,
        ..lock.clone()
    };
    let no_digest_request = LockRequest {
        config_digest: None,
        ..request.clone()
    };
    assert!(!no_digest.adoptable_by(&no_digest_request, now));
    assert!(!lock.adoptable_by(&request, now + chrono::Duration::hours(1)));
}

#[test]
fn digests_ignore_field_order() {
    assert_eq!(
        config_digest(&[("a", "1"), ("b", "2")]),
        config_digest(&[("b", "2"), ("a", "1")])
    );
    assert_ne!(config_digest(&[("a", "1")]), config_digest(&[("a", "2")]));
    assert!(config_digest(&[]).starts_with("sha256:"));
}
