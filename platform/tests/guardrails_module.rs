//! `modules/guardrails` against the real provider and a local S3 store: its own
//! `terraform test` suite, and a root configuration that shows the gate it creates
//! really holds back what depends on it.

mod common;

use guardrail_testkit::S3Server;

/// The store bucket the suite's provider block names (`modules/guardrails/tests/`,
/// and the module's README). A provider block of a test file cannot take it from
/// `-var`: Terraform leaves such a value unknown for `apply` runs.
const SUITE_BUCKET: &str = "guardrails";

/// The module's `tests/*.tftest.hcl` suite passes: the budget and the gate carry
/// the declared policy, the outputs others depend on are set after apply, and bad
/// inputs (negative budgets, a break-glass without ticket, bad names) are refused.
#[test]
fn terraform_test_suite_of_the_guardrails_module_passes() {
    let server = S3Server::start();
    server
        .create_bucket(SUITE_BUCKET)
        .expect("create the bucket the suite's provider block names");
    let dir = common::terraform_dir(&server);
    common::copy_into("modules/guardrails", dir.path());
    let module = "-chdir=modules/guardrails";

    let suite = std::fs::read_to_string(
        dir.path()
            .join("modules/guardrails/tests/guardrails.tftest.hcl"),
    )
    .expect("read the suite");
    assert!(
        suite.contains(&format!("bucket = \"{SUITE_BUCKET}\"")),
        "the suite's provider block must name the bucket `{SUITE_BUCKET}` the README documents"
    );
    let readme = std::fs::read_to_string(common::repo_path("modules/guardrails/README.md"))
        .expect("read the module's README");
    assert!(
        readme.contains(&format!("bucket named `{SUITE_BUCKET}`")),
        "modules/guardrails/README.md must say which bucket the suite uses"
    );

    dir.run(&[module, "init", "-no-color", "-input=false"])
        .assert_success();
    let output = dir.run(&[module, "test", "-no-color"]);
    output.assert_success();

    let stdout = &output.stdout;
    assert!(
        stdout.contains("7 passed, 0 failed"),
        "every run block of the suite must pass:\n{stdout}"
    );
}

/// A root that puts a workload behind the module: with the change window closed by
/// a blackout, the apply fails, names the blackout, and the workload is not created.
#[test]
fn a_closed_window_stops_what_depends_on_the_module() {
    let server = S3Server::start();
    let dir = common::terraform_dir(&server);
    common::copy_into("modules/guardrails", dir.path());
    dir.write(
        "root/main.tf",
        &format!(
            r#"terraform {{
  required_providers {{
    guardrail = {{
      source  = "sre-control-plane/guardrail"
      version = "~> 0.1"
    }}
  }}
}}

provider "guardrail" {{
  environment = "staging"
  store {{
    bucket = "{bucket}"
  }}
}}

module "staging_guardrails" {{
  source              = "../modules/guardrails"
  environment         = "staging"
  require_attestation = false
  change_window = {{
    deny = [{{ from = "2000-01-01T00:00:00Z", to = "2999-01-01T00:00:00Z", reason = "platform migration blackout" }}]
  }}
}}

resource "terraform_data" "workload" {{
  input      = "ingress"
  depends_on = [module.staging_guardrails]
}}
"#,
            bucket = server.bucket()
        ),
    );
    let root = "-chdir=root";
    dir.run(&[root, "init", "-no-color", "-input=false"])
        .assert_success();

    let apply = dir.run(&[root, "apply", "-no-color", "-input=false", "-auto-approve"]);
    apply.assert_failure();
    // Diagnostics go to stderr, progress ("Creating...", "Creation complete") to stdout.
    let refused = &apply.stderr;
    assert!(
        refused.contains("guardrail_change_gate")
            && refused.contains("platform migration blackout"),
        "the gate must refuse, naming the blackout that closed the window:\n{refused}"
    );
    let progress = &apply.stdout;
    assert!(
        !progress.contains("terraform_data.workload: Creat"),
        "the workload must not even start being created while the window is closed:\n{progress}"
    );

    let state = dir.run(&[root, "state", "list"]);
    assert!(
        !state.stdout.contains("terraform_data.workload"),
        "the workload must not be in the state:\n{}",
        state.stdout
    );
}
