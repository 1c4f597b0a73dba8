//! The gate's attestation check through real Terraform and a real S3 server:
//! a saved plan applies only with a valid attestation for its plan_id. Missing,
//! signed by an unknown key, made for another plan, or expired: the apply fails
//! and nothing behind the gate changes. Every plan of an existing gate gets a new
//! plan_id, so an attestation never covers a later plan.

mod common;

use base64::Engine;
use chrono::{Duration, Utc};
use common::{assert_mentions, block_on, planned_plan_id, rewrite, state_list, workdir};
use guardrail_core::attestation::{
    encode_public_key, generate_signing_key, publish, sign, Attestation, SigningKey, Verdict,
};
use guardrail_core::store::{Store, StoreConfig};
use guardrail_testkit::{S3Server, TerraformDir};

const GATE: &str = "guardrail_change_gate.gate";

fn config(environment: &str, replicas: u32) -> String {
    format!(
        r#"resource "guardrail_change_gate" "gate" {{
  environment         = "{environment}"
  require_attestation = true
}}

resource "terraform_data" "ingress" {{
  input      = {{ replicas = {replicas} }}
  depends_on = [guardrail_change_gate.gate]
}}
"#
    )
}

fn provider_extra(public_key: &str) -> String {
    format!("  attestation_public_keys = [\"{public_key}\"]")
}

/// Connects to the test server as the provider does (credentials from the environment).
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
    .expect("connect to the local S3 server")
}

fn attestation(environment: &str, plan_id: &str, expires_in: Duration) -> Attestation {
    let now = Utc::now();
    Attestation {
        version: 1,
        plan_id: plan_id.to_string(),
        environment: environment.to_string(),
        verdict: Verdict::Pass,
        summary: serde_json::json!({ "changes": 1 }),
        plan_digest: format!("sha256:{}", "0".repeat(64)),
        auditor_version: "test".to_string(),
        issued_at: now - Duration::hours(2),
        expires_at: now + expires_in,
    }
}

/// Publishes `statement` signed by `key`, stored as the attestation of
/// (`environment`, `stored_as`) whatever plan it names.
fn publish_for(server: &S3Server, stored_as: &str, statement: Attestation, key: &SigningKey) {
    block_on(async {
        let store = store(server).await;
        let envelope = sign(&statement, key);
        let mut stored = statement.clone();
        stored.plan_id = stored_as.to_string();
        publish(&store, &envelope, &stored)
            .await
            .expect("publish the attestation");
    });
}

/// Who signs what a case publishes.
enum Signer {
    Ci,
    Rogue,
    /// Signed by the trusted CI key, then the payload is changed (more replicas).
    CiThenAltered,
}

/// Publishes `statement` signed by `key` with its payload altered after signing.
fn publish_altered(server: &S3Server, statement: Attestation, key: &SigningKey) {
    block_on(async {
        let store = store(server).await;
        let mut envelope = sign(&statement, key);
        let mut altered = statement.clone();
        altered.summary = serde_json::json!({ "changes": 0 });
        envelope.payload = base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(&altered).expect("serialise"));
        publish(&store, &envelope, &statement)
            .await
            .expect("publish the attestation");
    });
}

fn plan(dir: &TerraformDir, file: &str) -> String {
    dir.run(&["plan", "-input=false", &format!("-out={file}")])
        .assert_success();
    planned_plan_id(dir, file, GATE)
}

fn ingress_applied(dir: &TerraformDir) -> bool {
    state_list(dir)
        .iter()
        .any(|a| a == "terraform_data.ingress")
}

/// A working directory whose gate guards `environment`, trusting `ci_key`.
fn gated(server: &S3Server, environment: &str, ci_key: &SigningKey) -> TerraformDir {
    let public_key = encode_public_key(&ci_key.verifying_key());
    workdir(
        server,
        environment,
        &provider_extra(&public_key),
        &config(environment, 2),
    )
}

#[test]
fn only_plans_with_a_valid_attestation_for_their_plan_id_apply() {
    let server = S3Server::start();
    let ci_key = generate_signing_key();
    let rogue_key = generate_signing_key();

    // (environment, what is published for the plan, what the failure says)
    type Publish = fn(&str, &str) -> Option<(Attestation, Signer)>;
    let refused: [(&str, Publish, &str); 6] = [
        ("missing", |_, _| None, "no attestation for plan_id"),
        (
            "rogue",
            |env, id| Some((attestation(env, id, Duration::hours(1)), Signer::Rogue)),
            "none of which is in attestation_public_keys",
        ),
        (
            "tampered",
            |env, id| {
                Some((
                    attestation(env, id, Duration::hours(1)),
                    Signer::CiThenAltered,
                ))
            },
            "signature does not verify",
        ),
        (
            "other-plan",
            |env, _| {
                Some((
                    attestation(
                        env,
                        "00000000-0000-4000-8000-000000000000",
                        Duration::hours(1),
                    ),
                    Signer::Ci,
                ))
            },
            "not for this plan",
        ),
        (
            "expired",
            |env, id| Some((attestation(env, id, -Duration::hours(1)), Signer::Ci)),
            "expired at",
        ),
        (
            "failed-audit",
            |env, id| {
                let mut statement = attestation(env, id, Duration::hours(1));
                statement.verdict = Verdict::Fail;
                Some((statement, Signer::Ci))
            },
            "verdict is `fail`",
        ),
    ];
    for (environment, make, message) in refused {
        let dir = gated(&server, environment, &ci_key);
        let plan_id = plan(&dir, "tfplan");
        if let Some((statement, signer)) = make(environment, &plan_id) {
            match signer {
                Signer::Ci => publish_for(&server, &plan_id, statement, &ci_key),
                Signer::Rogue => publish_for(&server, &plan_id, statement, &rogue_key),
                Signer::CiThenAltered => publish_altered(&server, statement, &ci_key),
            }
        }
        let output = dir.run(&["apply", "-input=false", "tfplan"]);
        output.assert_failure();
        assert_mentions(&output, &["Attestation check failed", message]);
        assert!(
            !ingress_applied(&dir),
            "{environment}: the change behind the gate ran"
        );
    }

    // Valid: the audited plan applies, and the change behind the gate happens.
    let dir = gated(&server, "production", &ci_key);
    let audited = plan(&dir, "audited.tfplan");
    publish_for(
        &server,
        &audited,
        attestation("production", &audited, Duration::hours(1)),
        &ci_key,
    );
    dir.run(&["apply", "-input=false", "audited.tfplan"])
        .assert_success();
    assert!(ingress_applied(&dir));

    // From now on every plan has a plan_id of its own: the old attestation does
    // not cover a new plan, and two plans differ.
    let public_key = encode_public_key(&ci_key.verifying_key());
    rewrite(
        &dir,
        &server,
        "production",
        &provider_extra(&public_key),
        &config("production", 3),
    );
    let first = plan(&dir, "next.tfplan");
    let second = plan(&dir, "again.tfplan");
    assert_ne!(first, audited, "a new plan reused the applied plan_id");
    assert_ne!(first, second, "two plans share a plan_id");
    let output = dir.run(&["apply", "-input=false", "again.tfplan"]);
    output.assert_failure();
    assert_mentions(&output, &["no attestation for plan_id", &second]);
    let shown = dir.run(&["state", "show", "-no-color", "terraform_data.ingress"]);
    assert_mentions(&shown, &["replicas = 2"]);

    // Attested, the update applies with the same plan_id the audit saw.
    let reviewed = plan(&dir, "reviewed.tfplan");
    publish_for(
        &server,
        &reviewed,
        attestation("production", &reviewed, Duration::hours(1)),
        &ci_key,
    );
    dir.run(&["apply", "-input=false", "reviewed.tfplan"])
        .assert_success();
    let shown = dir.run(&["state", "show", "-no-color", GATE]);
    assert_mentions(&shown, &[&reviewed, "allowed"]);
    let shown = dir.run(&["state", "show", "-no-color", "terraform_data.ingress"]);
    assert_mentions(&shown, &["replicas = 3"]);

    // The audit trail has the denied attempts and the allowed ones.
    let audit = block_on(async {
        let mut bodies = Vec::new();
        for key in server.keys().await {
            if key.contains("/audit/") {
                bodies.push(String::from_utf8_lossy(&server.get(&key).await.unwrap()).into_owned());
            }
        }
        bodies
    });
    assert!(
        audit.iter().filter(|r| r.contains("\"denied\"")).count() >= 5,
        "{audit:?}"
    );
    assert!(
        audit.iter().filter(|r| r.contains("\"allowed\"")).count() >= 2,
        "{audit:?}"
    );
}

/// An attestation lets exactly one apply through. The first plan of a gate derives
/// its plan_id from the configuration, so a gate destroyed and created again with
/// the same configuration plans the same plan_id: its old attestation is spent.
#[test]
fn an_attestation_lets_one_apply_through() {
    let server = S3Server::start();
    let ci_key = generate_signing_key();
    let dir = gated(&server, "replay", &ci_key);
    let first = plan(&dir, "first.tfplan");
    publish_for(
        &server,
        &first,
        attestation("replay", &first, Duration::hours(1)),
        &ci_key,
    );
    dir.run(&["apply", "-input=false", "first.tfplan"])
        .assert_success();
    assert!(ingress_applied(&dir));
    let spent = block_on(async {
        server
            .get(&format!("guardrail/attestations/replay/{first}.spent.json"))
            .await
    });
    assert!(
        spent.is_some(),
        "the apply did not record the attestation as used"
    );

    dir.run(&["destroy", "-auto-approve", "-input=false"])
        .assert_success();
    let again = plan(&dir, "again.tfplan");
    assert_eq!(
        again, first,
        "the first plan of the same gate configuration repeats its plan_id"
    );
    let replay = dir.run(&["apply", "-input=false", "again.tfplan"]);
    replay.assert_failure();
    assert_mentions(
        &replay,
        &["Attestation check failed", "was already used by an apply"],
    );
    assert!(
        !ingress_applied(&dir),
        "a replayed attestation let a change through"
    );
}
