//! The clock override, attacked: it is honoured only where the provider
//! configuration allows it, shown as a warning on every plan and apply, recorded
//! in the audit trail, and refused together with `require_attestation`.

mod common;

use chrono::{Duration, Utc};
use common::{assert_mentions, block_on, workdir, REQUIRED_PROVIDERS};
use guardrail_core::audit_record;
use guardrail_core::lock::{LockRequest, Locks};
use guardrail_core::store::{Store, StoreConfig};
use guardrail_testkit::{S3Server, TerraformDir};

async fn store(server: &S3Server) -> Store {
    for (key, value) in server.env() {
        std::env::set_var(key, value);
    }
    Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        endpoint: Some(server.endpoint()),
        ..StoreConfig::default()
    })
    .await
    .expect("connect")
}

const GATE: &str = r#"
resource "guardrail_change_gate" "gate" {
  environment = "production"
}

resource "terraform_data" "app" {
  input      = "v2"
  depends_on = [guardrail_change_gate.gate]
}
"#;

/// A real configuration: no `allow_clock_override`.
fn strict(server: &S3Server, extra: &str) -> TerraformDir {
    let dir = TerraformDir::new().with_s3(server);
    dir.write(
        "main.tf",
        &format!(
            "{REQUIRED_PROVIDERS}\nprovider \"guardrail\" {{\n  environment = \"production\"\n{extra}\n  store {{\n    bucket   = \"{}\"\n    endpoint = \"{}\"\n  }}\n}}\n{GATE}",
            server.bucket(),
            server.endpoint()
        ),
    );
    dir
}

#[test]
fn without_allow_clock_override_the_system_clock_judges_the_freeze() {
    let server = S3Server::start();
    let now = Utc::now();
    block_on(async {
        Locks::new(&store(&server).await)
            .acquire(
                &LockRequest {
                    environment: "production".into(),
                    owner: "alice".into(),
                    reason: "INC-7 failover".into(),
                    expires_at: Some(now + Duration::hours(1)),
                    ..Default::default()
                },
                now,
            )
            .await
            .unwrap()
    });
    // Two hours ahead the freeze would be over; the override is ignored.
    let later = (now + Duration::hours(2)).to_rfc3339();
    let dir = strict(&server, "");
    let plan = dir.run_with_env(
        &["plan", "-input=false", "-no-color"],
        &[("GUARDRAIL_NOW", &later)],
    );
    plan.assert_failure();
    assert_mentions(
        &plan,
        &[
            "GUARDRAIL_NOW ignored",
            "production is frozen",
            "INC-7 failover",
        ],
    );

    let dir = strict(&server, &format!("  now = \"{later}\""));
    let plan = dir.run(&["plan", "-input=false", "-no-color"]);
    plan.assert_failure();
    assert_mentions(
        &plan,
        &["Clock override not allowed", "allow_clock_override"],
    );
}

#[test]
fn an_allowed_override_is_warned_about_and_recorded() {
    let server = S3Server::start();
    let dir = workdir(
        &server,
        "staging",
        "",
        &GATE.replace("production", "staging"),
    );
    let simulated = "2026-11-24T10:00:00Z";
    let apply = dir.run_with_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[("GUARDRAIL_NOW", simulated)],
    );
    apply.assert_success();
    assert_mentions(&apply, &["Simulated clock", "2026-11-24T10:00:00"]);
    let records = block_on(async {
        audit_record::list(&store(&server).await, "staging")
            .await
            .unwrap()
    });
    let allowed = records
        .iter()
        .find(|r| r.decision == "allowed")
        .expect("an allowed record");
    let clock = allowed
        .clock_override
        .as_ref()
        .expect("the override is recorded");
    assert_eq!(clock.source, "GUARDRAIL_NOW");
    assert_eq!(
        clock.simulated_now.to_rfc3339(),
        "2026-11-24T10:00:00+00:00"
    );
    assert!((clock.system_now - Utc::now()).num_minutes().abs() < 10);
    assert_ne!(allowed.who, "unknown");
}

#[test]
fn a_gate_that_requires_attestation_refuses_a_simulated_clock() {
    let server = S3Server::start();
    let key = guardrail_core::attestation::generate_signing_key();
    let public = guardrail_core::attestation::encode_public_key(&key.verifying_key());
    let extra = format!("  attestation_public_keys = [\"{public}\"]");
    let dir = workdir(&server, "production", &extra, GATE);
    dir.run(&["apply", "-auto-approve", "-input=false"])
        .assert_success();
    common::rewrite(
        &dir,
        &server,
        "production",
        &extra,
        &GATE.replace(
            "environment = \"production\"\n}",
            "environment = \"production\"\n  require_attestation = true\n}",
        ),
    );
    let plan = dir.run_with_env(
        &["plan", "-input=false", "-no-color"],
        &[("GUARDRAIL_NOW", "2099-01-01T00:00:00Z")],
    );
    plan.assert_failure();
    assert_mentions(&plan, &["Simulated clock with attestation", "system clock"]);
}
