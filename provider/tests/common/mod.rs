//! Helpers shared by the provider's integration tests: Terraform working
//! directories wired to a local S3 server and the provider under test.
#![allow(dead_code)]

use guardrail_testkit::{S3Server, TerraformDir, TfOutput};

/// The `terraform { required_providers { ... } }` header every configuration needs.
pub const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}
"#;

/// A provider block for `environment` storing its records in `server`'s bucket.
/// `extra` is added inside the block (e.g. `now = "..."`). Tests simulate the
/// clock through `GUARDRAIL_NOW`, so the block allows a clock override.
pub fn provider_block(server: &S3Server, environment: &str, extra: &str) -> String {
    format!(
        r#"provider "guardrail" {{
  environment          = "{environment}"
  allow_clock_override = true
  store {{
    bucket   = "{bucket}"
    endpoint = "{endpoint}"
  }}
{extra}
}}
"#,
        bucket = server.bucket(),
        endpoint = server.endpoint(),
    )
}

/// A working directory talking to `server`, with `main.tf` = header + provider + `body`.
pub fn workdir(
    server: &S3Server,
    environment: &str,
    provider_extra: &str,
    body: &str,
) -> TerraformDir {
    let dir = TerraformDir::new().with_s3(server);
    dir.write(
        "main.tf",
        &format!(
            "{REQUIRED_PROVIDERS}\n{}\n{body}",
            provider_block(server, environment, provider_extra)
        ),
    );
    dir
}

/// Replaces `main.tf` of `dir`.
pub fn rewrite(
    dir: &TerraformDir,
    server: &S3Server,
    environment: &str,
    provider_extra: &str,
    body: &str,
) {
    dir.write(
        "main.tf",
        &format!(
            "{REQUIRED_PROVIDERS}\n{}\n{body}",
            provider_block(server, environment, provider_extra)
        ),
    );
}

/// `terraform apply -auto-approve`.
pub fn apply(dir: &TerraformDir) -> TfOutput {
    dir.run(&["apply", "-auto-approve", "-input=false"])
}

/// `terraform apply -auto-approve` with extra environment.
pub fn apply_with_env(dir: &TerraformDir, env: &[(&str, &str)]) -> TfOutput {
    dir.run_with_env(&["apply", "-auto-approve", "-input=false"], env)
}

/// `terraform destroy -auto-approve`.
pub fn destroy(dir: &TerraformDir) -> TfOutput {
    dir.run(&["destroy", "-auto-approve", "-input=false"])
}

/// Everything Terraform printed, with line breaks and box drawing removed so that
/// messages wrapped by Terraform can be searched as one line.
pub fn flat(output: &TfOutput) -> String {
    output
        .combined()
        .replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts that Terraform's output contains every fragment (whitespace-insensitive).
#[track_caller]
pub fn assert_mentions(output: &TfOutput, fragments: &[&str]) {
    let text = flat(output);
    for fragment in fragments {
        let fragment = fragment.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains(&fragment),
            "expected {fragment:?} in Terraform's output:\n{}",
            output.combined()
        );
    }
}

/// Resource addresses in the state of `dir`.
pub fn state_list(dir: &TerraformDir) -> Vec<String> {
    let output = dir.run(&["state", "list"]);
    output
        .stdout
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

/// `terraform output -json` parsed.
pub fn outputs(dir: &TerraformDir) -> serde_json::Value {
    let output = dir.run(&["output", "-json"]);
    output.assert_success();
    serde_json::from_str(&output.stdout).expect("terraform output -json prints JSON")
}

/// The planned `plan_id` of the gate `address` in a saved plan.
pub fn planned_plan_id(dir: &TerraformDir, plan_file: &str, address: &str) -> String {
    let plan = dir.show_json(plan_file);
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .find(|change| change["address"] == address)
        .and_then(|change| change["change"]["after"]["plan_id"].as_str())
        .unwrap_or_else(|| panic!("no planned plan_id for {address}"))
        .to_string()
}

/// Runs an async block on a fresh runtime (the S3 helpers of testkit are async).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}
