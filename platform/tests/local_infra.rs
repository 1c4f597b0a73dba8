//! `infra/terraform/local`: the cluster configuration with `terraform_data` standing
//! in for Hetzner, run end to end against a local S3 server (the R2 stand-in) and
//! the real provider.

mod common;

use std::path::PathBuf;

use guardrail_testkit::{S3Server, TerraformDir};

const CONFIG: &str = "-chdir=infra/terraform/local";

/// A Tuesday 11:00 in Berlin: inside the staging and production windows.
const INSIDE_EVERY_WINDOW: &str = "2026-11-24T10:00:00Z";

/// A copy of the configuration, initialised against `server`. Its guardrails use
/// the system clock: a test that simulates one passes `allow_clock_override` and
/// `GUARDRAIL_NOW` itself (a plan so made is never attested).
fn prepared(server: &S3Server, environment: &str) -> TerraformDir {
    let dir = common::terraform_dir(server);
    for folder in [
        "infra/terraform/local",
        "infra/terraform/policies",
        "modules/guardrails",
    ] {
        common::copy_into(folder, dir.path());
    }
    let bucket = format!("bucket={}", server.bucket());
    let key = format!("key=local/{environment}.tfstate");
    let endpoint = format!("endpoints={{s3=\"{}\"}}", server.endpoint());
    dir.run(&[
        CONFIG,
        "init",
        "-no-color",
        "-input=false",
        "-backend-config",
        &bucket,
        "-backend-config",
        &key,
        "-backend-config",
        &endpoint,
    ])
    .assert_success();
    dir
}

fn vars(server: &S3Server, environment: &str) -> Vec<String> {
    [
        format!("environment={environment}"),
        format!("store_bucket={}", server.bucket()),
    ]
    .into_iter()
    .flat_map(|assignment| ["-var".to_string(), assignment])
    .collect()
}

/// Creates the environment's gate on its own, as the first apply of an
/// environment does (a gate that requires attestation cannot be created by an
/// attested plan).
fn bootstrap_gate(dir: &TerraformDir, vars: &[String]) {
    let mut vars = vars.to_vec();
    vars.extend(["-var".to_string(), "bootstrap_gate=true".to_string()]);
    run_with_vars(
        dir,
        &[
            "apply",
            "-no-color",
            "-input=false",
            "-auto-approve",
            "-target=module.guardrails",
        ],
        &vars,
    )
    .assert_success();
}

/// Drops the production window from the copy (a Terraform override file), so that
/// attested applies, which run on the system clock only, do not depend on the day.
fn without_window(dir: &TerraformDir) {
    dir.write(
        "infra/terraform/local/window_override.tf",
        "module \"guardrails\" {\n  change_window = null\n}\n",
    );
}

fn run_with_vars(
    dir: &TerraformDir,
    command: &[&str],
    vars: &[String],
) -> guardrail_testkit::TfOutput {
    let mut argv: Vec<&str> = vec![CONFIG];
    argv.extend_from_slice(command);
    argv.extend(vars.iter().map(String::as_str));
    dir.run(&argv)
}

/// develop needs no attestation: init against the R2-shaped backend, plan to a file,
/// apply that file, destroy. The state lives in the bucket under the key given at
/// init, the lock file is gone after every command, and destroy empties the state.
#[test]
fn develop_initialises_plans_applies_and_destroys_against_the_local_store() {
    let server = S3Server::start();
    let dir = prepared(&server, "develop");
    let vars = vars(&server, "develop");

    run_with_vars(
        &dir,
        &["plan", "-no-color", "-input=false", "-out=develop.tfplan"],
        &vars,
    )
    .assert_success();
    dir.run(&[
        CONFIG,
        "apply",
        "-no-color",
        "-input=false",
        "develop.tfplan",
    ])
    .assert_success();

    let outputs = dir.run(&[CONFIG, "output", "-no-color", "-json", "workers"]);
    outputs.assert_success();
    let workers: serde_json::Value =
        serde_json::from_str(&outputs.stdout).expect("terraform output -json prints JSON");
    assert_eq!(workers, serde_json::json!(["platform-develop-worker-0"]));

    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the S3 client");
    let state = runtime
        .block_on(server.get("local/develop.tfstate"))
        .expect("the state is stored in the bucket under the key given at init");
    let state: serde_json::Value = serde_json::from_slice(&state).expect("the state is JSON");
    let resources = state["resources"].as_array().expect("state has resources");
    for expected in ["network", "control_plane", "worker"] {
        assert!(
            resources.iter().any(
                |resource| resource["name"] == expected && resource["type"] == "terraform_data"
            ),
            "the stand-in {expected} must be in the remote state"
        );
    }
    assert!(
        resources
            .iter()
            .any(|resource| resource["type"] == "guardrail_change_gate"),
        "the environment's gate must be in the remote state"
    );
    let keys = runtime.block_on(server.keys());
    assert!(
        !keys.iter().any(|key| key.ends_with(".tflock")),
        "no state lock may remain after apply: {keys:?}"
    );

    run_with_vars(
        &dir,
        &["destroy", "-no-color", "-input=false", "-auto-approve"],
        &vars,
    )
    .assert_success();
    let state = runtime
        .block_on(server.get("local/develop.tfstate"))
        .expect("the state stays in the bucket after destroy");
    let state: serde_json::Value = serde_json::from_slice(&state).expect("the state is JSON");
    assert_eq!(
        state["resources"].as_array().map(Vec::len),
        Some(0),
        "destroy must leave an empty state"
    );
}

/// A fresh CI signing key: the PKCS#8 PEM private half for `tfaudit --signing-key`,
/// and the base64 public half for the provider's `attestation_public_keys`.
fn signing_key(dir: &TerraformDir) -> (PathBuf, String) {
    use base64::Engine;
    use ed25519_dalek::pkcs8::{spki::der::pem::LineEnding, EncodePrivateKey};

    let key =
        ed25519_dalek::SigningKey::generate(&mut rand::rand_core::UnwrapErr(rand::rngs::SysRng));
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .expect("encode the signing key as PKCS#8 PEM");
    let path = dir.write("ci-signing-key.pem", &pem);
    let public = base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes());
    (path, public)
}

/// The plan_id the change gate will have once `plan_file` is applied.
fn planned_plan_id(dir: &TerraformDir, plan_file: &str) -> String {
    let shown = dir.run(&[CONFIG, "show", "-json", plan_file]);
    shown.assert_success();
    let plan: serde_json::Value =
        serde_json::from_str(&shown.stdout).expect("terraform show -json prints JSON");
    plan["resource_changes"]
        .as_array()
        .and_then(|changes| {
            changes
                .iter()
                .find(|change| change["type"] == "guardrail_change_gate")
        })
        .and_then(|gate| gate["change"]["after"]["plan_id"].as_str())
        .expect("the plan holds the gate's plan_id")
        .to_string()
}

fn production_vars(server: &S3Server, public_key: &str) -> Vec<String> {
    let mut vars = vars(server, "production");
    vars.push("-var".into());
    vars.push(format!("attestation_public_keys=[\"{public_key}\"]"));
    vars
}

/// production requires an attestation: with the CI key configured, a plan nobody
/// audited is refused at apply, inside the change window, for lack of an
/// attestation, and nothing behind the gate is created.
#[test]
fn production_refuses_a_plan_nobody_audited() {
    let server = S3Server::start();
    let dir = prepared(&server, "production");
    without_window(&dir);
    let (_, public_key) = signing_key(&dir);
    let vars = production_vars(&server, &public_key);
    let first = run_with_vars(&dir, &["plan", "-no-color", "-input=false"], &vars);
    first.assert_failure();
    assert!(
        first
            .stderr
            .contains("Gate created with require_attestation"),
        "the first plan of a gate that requires attestation must be refused:\n{}",
        first.stderr
    );
    bootstrap_gate(&dir, &vars);

    run_with_vars(
        &dir,
        &["plan", "-no-color", "-input=false", "-out=unaudited.tfplan"],
        &vars,
    )
    .assert_success();
    let plan_id = planned_plan_id(&dir, "unaudited.tfplan");
    let apply = dir.run(&[
        CONFIG,
        "apply",
        "-no-color",
        "-input=false",
        "unaudited.tfplan",
    ]);
    apply.assert_failure();
    let said = &apply.stderr;
    assert!(
        said.contains("guardrail_change_gate")
            && said.contains("attestation")
            && said.contains(&plan_id),
        "the gate must refuse for lack of an attestation for plan_id {plan_id}:\n{said}"
    );
    assert!(
        !said.contains("no attestation_public_keys"),
        "the refusal must be about the plan, not the configuration:\n{said}"
    );

    let state = dir.run(&[CONFIG, "state", "list"]);
    assert!(
        !state.stdout.contains("terraform_data."),
        "nothing behind the gate may exist after the refusal:\n{}",
        state.stdout
    );
}

/// The whole loop on the local stand-in: plan, audit and attest with tfaudit, apply
/// exactly that plan file. The attestation for the gate's plan_id is in the store.
#[test]
fn production_applies_exactly_the_attested_plan() {
    let server = S3Server::start();
    let dir = prepared(&server, "production");
    without_window(&dir);
    let (key_path, public_key) = signing_key(&dir);
    let vars = production_vars(&server, &public_key);
    bootstrap_gate(&dir, &vars);

    run_with_vars(
        &dir,
        &["plan", "-no-color", "-input=false", "-out=reviewed.tfplan"],
        &vars,
    )
    .assert_success();
    let shown = dir.run(&[CONFIG, "show", "-json", "reviewed.tfplan"]);
    shown.assert_success();
    let plan_json = dir.write("reviewed.json", &shown.stdout);

    let audit = |config: Option<&str>, now: Option<&str>| {
        if let Some(config) = config {
            dir.write(".tfaudit.toml", config);
        }
        let mut audit = std::process::Command::new(guardrail_testkit::tools::tfaudit_bin());
        audit
            .arg("plan")
            .arg(&plan_json)
            .args(["--fail-on", "high", "--attest", "--signing-key"])
            .arg(&key_path)
            .arg("--store")
            .arg(format!("s3://{}/guardrail/", server.bucket()))
            .env_remove("GUARDRAIL_NOW")
            .current_dir(dir.path());
        if let Some(now) = now {
            audit.env("GUARDRAIL_NOW", now);
        }
        for (name, value) in server.env() {
            audit.env(name, value);
        }
        let audited = audit.output().expect("run tfaudit");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&audited.stdout),
            String::from_utf8_lossy(&audited.stderr)
        );
        (audited.status.code(), said)
    };

    // A simulated clock refuses by default, and no configuration makes tfaudit
    // attest on one.
    let (code, said) = audit(None, Some(INSIDE_EVERY_WINDOW));
    assert_eq!(
        code,
        Some(1),
        "a simulated clock must refuse by default:\n{said}"
    );
    assert!(
        said.contains("plan/clock-override") && said.contains("attestation refused"),
        "{said}"
    );
    let lowered = "[severity]\n\"plan/clock-override\" = \"info\"\n";
    let (code, said) = audit(Some(lowered), Some(INSIDE_EVERY_WINDOW));
    assert_eq!(
        code,
        Some(1),
        "a lowered rule must not attest on a simulated clock:\n{said}"
    );
    assert!(
        said.contains("simulated clock") && said.contains("nothing was signed"),
        "{said}"
    );

    // On the system clock the plan is attested.
    let (code, said) = audit(None, None);
    assert_eq!(
        code,
        Some(0),
        "tfaudit must pass and attest the plan:\n{said}"
    );

    dir.run(&[
        CONFIG,
        "apply",
        "-no-color",
        "-input=false",
        "reviewed.tfplan",
    ])
    .assert_success();
    let state = dir.run(&[CONFIG, "state", "list"]);
    assert!(
        state.stdout.contains("terraform_data.worker[0]"),
        "the attested plan must have been applied:\n{}",
        state.stdout
    );

    let plan_id = dir.run(&[CONFIG, "output", "-raw", "plan_id"]);
    plan_id.assert_success();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the S3 client");
    let keys = runtime.block_on(server.keys());
    let attestation = format!(
        "guardrail/attestations/production/{}.json",
        plan_id.stdout.trim()
    );
    assert!(
        keys.contains(&attestation),
        "the attestation must be stored under {attestation}: {keys:?}"
    );
}

/// The production policy at work: a Saturday is outside the window, and a Tuesday
/// inside the year-end freeze is refused with the freeze's reason.
#[test]
fn production_is_closed_on_weekends_and_during_the_year_end_freeze() {
    let server = S3Server::start();
    let dir = prepared(&server, "production");
    let mut simulated = vars(&server, "production");
    simulated.extend(["-var".to_string(), "allow_clock_override=true".to_string()]);
    let mut bootstrap = simulated.clone();
    bootstrap.extend(["-var".to_string(), "bootstrap_gate=true".to_string()]);
    let mut argv: Vec<&str> = vec![
        CONFIG,
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-target=module.guardrails",
    ];
    argv.extend(bootstrap.iter().map(String::as_str));
    dir.run_with_env(&argv, &[("GUARDRAIL_NOW", INSIDE_EVERY_WINDOW)])
        .assert_success();
    let store = format!("store_bucket={}", server.bucket());
    for (moment, expected) in [
        ("2026-11-28T10:00:00Z", "closed"),
        ("2026-12-22T10:00:00Z", "year-end freeze"),
    ] {
        let plan = dir.run_with_env(
            &[
                CONFIG,
                "plan",
                "-no-color",
                "-input=false",
                "-var",
                "environment=production",
                "-var",
                &store,
                "-var",
                "allow_clock_override=true",
            ],
            &[("GUARDRAIL_NOW", moment)],
        );
        plan.assert_failure();
        let refusal = &plan.stderr;
        assert!(
            refusal.contains("guardrail_change_gate") && refusal.contains(expected),
            "at {moment} the production gate must refuse with `{expected}`:\n{refusal}"
        );
    }
}
