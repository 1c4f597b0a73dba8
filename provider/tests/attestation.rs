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

/// The gate alone, without attestation: how a gate that will require it is created.
fn bootstrap_config(environment: &str) -> String {
    format!(
        r#"resource "guardrail_change_gate" "gate" {{
  environment         = "{environment}"
  require_attestation = false
}}
"#
    )
}

/// A working directory whose gate guards `environment`, trusting `ci_key`: the
/// gate is created on its own first, then the configuration requires attestation.
fn gated(server: &S3Server, environment: &str, ci_key: &SigningKey) -> TerraformDir {
    let public_key = encode_public_key(&ci_key.verifying_key());
    let dir = workdir(
        server,
        environment,
        &provider_extra(&public_key),
        &bootstrap_config(environment),
    );
    dir.run(&["apply", "-auto-approve", "-input=false"])
        .assert_success();
    rewrite(
        &dir,
        server,
        environment,
        &provider_extra(&public_key),
        &config(environment, 2),
    );
    dir
}

/// Replaces the gate's private state in the stored state, as someone with write
/// access to the state file could: `next_plan_id` = `plan_id`.
fn tamper_next_plan_id(dir: &TerraformDir, plan_id: &str) {
    let pulled = dir.run(&["state", "pull"]);
    pulled.assert_success();
    let mut state: serde_json::Value = serde_json::from_str(&pulled.stdout).expect("state JSON");
    state["serial"] = (state["serial"].as_u64().unwrap_or(0) + 1).into();
    for resource in state["resources"].as_array_mut().expect("resources") {
        if resource["type"] == "guardrail_change_gate" {
            // MessagePack, as the provider writes it: {"next_plan_id": plan_id}.
            let mut private = vec![0x81, 0xa0 | 12];
            private.extend_from_slice(b"next_plan_id");
            private.extend_from_slice(&[0xd9, plan_id.len() as u8]);
            private.extend_from_slice(plan_id.as_bytes());
            resource["instances"][0]["private"] = base64::engine::general_purpose::STANDARD
                .encode(private)
                .into();
        }
    }
    dir.write("tampered.tfstate", &state.to_string());
    dir.run(&["state", "push", "tampered.tfstate"])
        .assert_success();
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

/// An attestation lets exactly one apply through: an attested plan_id written back
/// into the state by hand, once its plan was applied, is refused as spent.
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
    let second = plan(&dir, "second.tfplan");
    publish_for(
        &server,
        &second,
        attestation("replay", &second, Duration::hours(1)),
        &ci_key,
    );
    dir.run(&["apply", "-input=false", "second.tfplan"])
        .assert_success();

    // The first plan's id, reserved and attested, written back into the state.
    tamper_next_plan_id(&dir, &first);
    let public_key = encode_public_key(&ci_key.verifying_key());
    rewrite(
        &dir,
        &server,
        "replay",
        &provider_extra(&public_key),
        &config("replay", 9),
    );
    dir.run(&[
        "plan",
        "-input=false",
        "-refresh=false",
        "-out=again.tfplan",
    ])
    .assert_success();
    assert_eq!(planned_plan_id(&dir, "again.tfplan", GATE), first);
    let replay = dir.run(&["apply", "-input=false", "again.tfplan"]);
    replay.assert_failure();
    assert_mentions(
        &replay,
        &["Attestation check failed", "was already used by an apply"],
    );
    let shown = dir.run(&["state", "show", "-no-color", "terraform_data.ingress"]);
    assert_mentions(&shown, &["replicas = 2"]);
}

/// A plan_id is drawn for one plan only: after `terraform apply -refresh-only` the
/// id kept in state is refused to plans without refresh, as is an id written into
/// state by hand; the first plan of a gate that requires attestation is refused;
/// and a plan that turns attestation off still needs one.
#[test]
fn a_plan_id_is_drawn_for_one_plan_only() {
    let server = S3Server::start();
    let ci_key = generate_signing_key();
    let public_key = encode_public_key(&ci_key.verifying_key());

    let fresh = workdir(
        &server,
        "fresh",
        &provider_extra(&public_key),
        &config("fresh", 2),
    );
    let first = fresh.run(&["plan", "-input=false"]);
    first.assert_failure();
    assert_mentions(
        &first,
        &["Gate created with require_attestation", "-target"],
    );

    let dir = gated(&server, "shared", &ci_key);
    let audited = plan(&dir, "audited.tfplan");
    publish_for(
        &server,
        &audited,
        attestation("shared", &audited, Duration::hours(1)),
        &ci_key,
    );
    dir.run(&["apply", "-input=false", "audited.tfplan"])
        .assert_success();

    dir.run(&["apply", "-auto-approve", "-input=false", "-refresh-only"])
        .assert_success();
    rewrite(
        &dir,
        &server,
        "shared",
        &provider_extra(&public_key),
        &config("shared", 99),
    );
    for _ in ["first", "second"] {
        let output = dir.run(&["plan", "-input=false", "-refresh=false"]);
        output.assert_failure();
        assert_mentions(
            &output,
            &["plan_id not drawn for this plan", "-refresh-only"],
        );
    }
    tamper_next_plan_id(&dir, "00000000-0000-4000-8000-00000000abcd");
    let output = dir.run(&["plan", "-input=false", "-refresh=false"]);
    output.assert_failure();
    assert_mentions(
        &output,
        &["plan_id not drawn for this plan", "no plan reserved it"],
    );

    // With refresh every plan reserves an id of its own.
    let one = plan(&dir, "one.tfplan");
    let two = plan(&dir, "two.tfplan");
    assert_ne!(one, two);
    let reserved = block_on(server.keys());
    for id in [&one, &two] {
        assert!(
            reserved.contains(&format!("guardrail/plan-ids/shared/{id}.json")),
            "{id} was not reserved: {reserved:?}"
        );
    }

    // Turning attestation off is a change that needs an attestation too.
    let off =
        config("shared", 2).replace("require_attestation = true", "require_attestation = false");
    rewrite(&dir, &server, "shared", &provider_extra(&public_key), &off);
    let unattested = plan(&dir, "off.tfplan");
    let output = dir.run(&["apply", "-input=false", "off.tfplan"]);
    output.assert_failure();
    assert_mentions(&output, &["no attestation for plan_id", &unattested]);
    let shown = dir.run(&["state", "show", "-no-color", GATE]);
    assert_mentions(&shown, &["require_attestation = true"]);
}
