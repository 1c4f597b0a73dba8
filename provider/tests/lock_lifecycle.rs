//! The lock's life outside the happy path: import of a live lock, refresh after a
//! release outside Terraform, takeover of an expired lock, and destroy leaving a
//! lock that someone else took over.

mod common;

use common::{assert_mentions, block_on, workdir};
use guardrail_testkit::S3Server;

const T0: &str = "2026-11-24T10:00:00Z";
const T0_PLUS_10M: &str = "2026-11-24T10:10:00Z";
const T0_PLUS_20M: &str = "2026-11-24T10:20:00Z";
const T0_PLUS_2H: &str = "2026-11-24T12:00:00Z";

fn lock(owner: &str) -> String {
    format!(
        r#"resource "guardrail_environment_lock" "freeze" {{
  environment = "staging"
  reason      = "database migration"
  owner       = "{owner}"
  ttl         = "1h"
}}

output "generation" {{
  value = guardrail_environment_lock.freeze.generation
}}
"#
    )
}

fn lock_record(server: &S3Server) -> serde_json::Value {
    block_on(async {
        let key = server
            .keys()
            .await
            .into_iter()
            .find(|key| key.ends_with("locks/staging.json"))
            .expect("the lock record exists");
        serde_json::from_slice(&server.get(&key).await.unwrap()).expect("lock record is JSON")
    })
}

#[test]
fn import_refresh_takeover_and_destroy_of_a_taken_over_lock() {
    let server = S3Server::start();
    let first = workdir(&server, "staging", "", &lock("alice"));
    first
        .run_with_env(
            &["apply", "-auto-approve", "-input=false"],
            &[("GUARDRAIL_NOW", T0)],
        )
        .assert_success();

    // Import: a second working directory adopts the live lock by environment name.
    let second = workdir(&server, "staging", "", &lock("alice"));
    second
        .run_with_env(
            &[
                "import",
                "-input=false",
                "guardrail_environment_lock.freeze",
                "staging",
            ],
            &[("GUARDRAIL_NOW", T0_PLUS_10M)],
        )
        .assert_success();
    let shown = second.run(&[
        "state",
        "show",
        "-no-color",
        "guardrail_environment_lock.freeze",
    ]);
    shown.assert_success();
    assert_mentions(&shown, &["alice", "database migration", "generation"]);
    let no_change = second.run_with_env(
        &["plan", "-input=false", "-detailed-exitcode"],
        &[("GUARDRAIL_NOW", T0_PLUS_10M)],
    );
    assert_ne!(no_change.code, 1, "{}", no_change.combined());
    assert!(
        !common::flat(&no_change).contains("must be replaced"),
        "an imported lock must not be replaced: {}",
        no_change.combined()
    );

    // Released outside the first directory: its refresh notices and plans to re-create.
    second
        .run_with_env(
            &["destroy", "-auto-approve", "-input=false"],
            &[("GUARDRAIL_NOW", T0_PLUS_10M)],
        )
        .assert_success();
    assert!(lock_record(&server)["released_at"].is_string());
    let replan = first.run_with_env(
        &["plan", "-input=false", "-detailed-exitcode"],
        &[("GUARDRAIL_NOW", T0_PLUS_10M)],
    );
    assert_eq!(replan.code, 2, "expected changes: {}", replan.combined());
    assert_mentions(
        &replan,
        &["guardrail_environment_lock.freeze will be created"],
    );

    // Re-created at T0+20m (expires T0+80m), then taken over after it expired.
    first
        .run_with_env(
            &["apply", "-auto-approve", "-input=false"],
            &[("GUARDRAIL_NOW", T0_PLUS_20M)],
        )
        .assert_success();
    let generation_before = lock_record(&server)["generation"].as_u64().unwrap();
    let third = workdir(&server, "staging", "", &lock("bob"));
    third
        .run_with_env(
            &["apply", "-auto-approve", "-input=false"],
            &[("GUARDRAIL_NOW", T0_PLUS_2H)],
        )
        .assert_success();
    let record = lock_record(&server);
    assert_eq!(record["owner"], "bob", "{record}");
    assert_eq!(
        record["generation"].as_u64().unwrap(),
        generation_before + 1
    );

    // The first directory's refresh notices the takeover and plans to take the lock again.
    let replan = first.run_with_env(
        &["plan", "-input=false", "-detailed-exitcode"],
        &[("GUARDRAIL_NOW", T0_PLUS_2H)],
    );
    assert_eq!(replan.code, 2, "expected changes: {}", replan.combined());
    assert_mentions(
        &replan,
        &["guardrail_environment_lock.freeze will be created"],
    );

    // Its state still holds the old lock; destroying without refresh must not
    // release bob's lock.
    let stale_destroy = first.run_with_env(
        &["destroy", "-auto-approve", "-input=false", "-refresh=false"],
        &[("GUARDRAIL_NOW", T0_PLUS_2H)],
    );
    stale_destroy.assert_success();
    assert_mentions(&stale_destroy, &["Lock not released", "held by bob"]);
    let record = lock_record(&server);
    assert_eq!(record["owner"], "bob", "{record}");
    assert!(
        record["released_at"].is_null(),
        "bob's lock was released: {record}"
    );
}
