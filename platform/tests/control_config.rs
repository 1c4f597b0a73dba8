//! `infra/terraform/guardrails`, the control configuration, applied against a local
//! S3 server (the R2 stand-in) and the real provider: it publishes every
//! environment's policy and window, and a freeze declared in it becomes the
//! environment's lock record in the store.

mod common;

use guardrail_testkit::S3Server;
use serde_json::Value;

const CONFIG: &str = "-chdir=infra/terraform/guardrails";

/// Declares a staging freeze the way an operator would, as an override of the
/// `freezes` local (Terraform merges `*_override.tf` files into the configuration).
const STAGING_FREEZE: &str = r#"locals {
  freezes = {
    staging = {
      reason     = "database migration"
      owner      = "platform-oncall"
      expires_at = "2099-01-01T00:00:00Z"
    }
  }
}
"#;

#[test]
fn the_control_configuration_publishes_policies_and_sets_freezes() {
    let server = S3Server::start();
    let dir = common::terraform_dir(&server);
    for folder in [
        "infra/terraform/guardrails",
        "infra/terraform/policies",
        "modules/guardrails",
    ] {
        common::copy_into(folder, dir.path());
    }
    dir.write(
        "infra/terraform/guardrails/freezes_override.tf",
        STAGING_FREEZE,
    );
    let bucket = format!("bucket={}", server.bucket());
    let endpoint = format!("endpoints={{s3=\"{}\"}}", server.endpoint());
    dir.run(&[
        CONFIG,
        "init",
        "-no-color",
        "-input=false",
        "-backend-config",
        &bucket,
        "-backend-config",
        "key=guardrails/control.tfstate",
        "-backend-config",
        &endpoint,
    ])
    .assert_success();
    let store = format!("store_bucket={}", server.bucket());
    dir.run(&[
        CONFIG,
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-var",
        &store,
    ])
    .assert_success();

    let outputs = dir.run(&[CONFIG, "output", "-no-color", "-json"]);
    outputs.assert_success();
    let outputs: Value =
        serde_json::from_str(&outputs.stdout).expect("terraform output -json prints JSON");
    let policies = &outputs["policies"]["value"];
    for (environment, attestation, max_destroy) in [
        ("develop", false, 20),
        ("staging", true, 3),
        ("production", true, 0),
    ] {
        assert_eq!(
            policies[environment]["require_attestation"], attestation,
            "{environment}: attestation requirement"
        );
        assert_eq!(
            policies[environment]["max_destroy"], max_destroy,
            "{environment}: max_destroy"
        );
    }
    assert_eq!(
        policies["production"]["change_window"]["deny"][0]["reason"],
        "year-end freeze"
    );

    let windows = outputs["windows"]["value"]
        .as_object()
        .expect("windows is an object");
    let mut names: Vec<&String> = windows.keys().collect();
    names.sort();
    assert_eq!(names, ["production", "staging"], "develop has no window");
    for (name, window) in windows {
        let open = window["open"]
            .as_bool()
            .unwrap_or_else(|| panic!("{name}: open must be a boolean"));
        let next = if open { "closes_at" } else { "opens_at" };
        assert!(
            window[next].as_str().is_some_and(|time| !time.is_empty()),
            "{name}: an {} window must say when it {}: {window}",
            if open { "open" } else { "closed" },
            if open { "closes" } else { "opens" }
        );
    }

    assert_eq!(
        outputs["freezes"]["value"]["staging"], "database migration",
        "the freeze must be reported"
    );
    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the S3 client");
    let lock = runtime
        .block_on(server.get("guardrail/locks/staging.json"))
        .expect("the freeze must be stored as guardrail/locks/staging.json");
    let lock: Value = serde_json::from_slice(&lock).expect("the lock record is JSON");
    assert!(
        lock.to_string().contains("database migration"),
        "the lock record must carry the reason: {lock}"
    );
}
