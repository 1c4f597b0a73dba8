//! Every command refuses Terraform JSON of the wrong kind with exit 2, naming
//! the file, what it is and what was expected, and writes no report: a state
//! given to `plan`, a plan given to `state`, anything but a refresh-only plan
//! or a plan with `resource_drift` given to `drift --refresh-plan`.

#[path = "support/cli.rs"]
mod cli;

use cli::{data, run, write};

use std::path::{Path, PathBuf};

/// Runs `command` on `input` with a JSON report and checks the refusal.
fn assert_refused(command: &[&str], input: &Path, fragments: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let mut args = command.to_vec();
    let input_text = input.display().to_string();
    args.push(&input_text);
    args.extend(["--report", &report_arg]);
    let output = run(&args, dir.path());
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
    assert!(message.contains(&input_text), "{args:?}: {message}");
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "{args:?}: {message} lacks {fragment:?}"
        );
    }
    assert!(output.stdout.is_empty(), "{args:?}: nothing on stdout");
    assert!(!report.exists(), "{args:?}: no report after a refusal");
}

#[test]
fn plan_refuses_a_state_naming_it() {
    assert_refused(
        &["plan"],
        &data("states/cluster.tfstate"),
        &["a Terraform state file (format v4)", "expected a plan"],
    );
    let dir = tempfile::tempdir().unwrap();
    let shown = write(
        dir.path(),
        "shown.json",
        r#"{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {}}}"#,
    );
    assert_refused(
        &["plan"],
        &shown,
        &[
            "state as `terraform show -json` prints it",
            "expected a plan",
        ],
    );
}

#[test]
fn state_refuses_a_plan_naming_it() {
    assert_refused(
        &["state"],
        &data("plans/lifecycle/plan.json"),
        &[
            "this is a Terraform plan",
            "expected a state file in format v4",
        ],
    );
    assert_refused(
        &["state"],
        &data("states/refresh-plan.json"),
        &[
            "this is a refresh-only Terraform plan",
            "expected a state file",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let shown = write(
        dir.path(),
        "shown.json",
        r#"{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {}}}"#,
    );
    assert_refused(
        &["state"],
        &shown,
        &[
            "state as `terraform show -json` prints it",
            "expected a state file",
        ],
    );
}

#[test]
fn a_plan_among_the_states_of_a_folder_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        data("states/cluster.tfstate"),
        dir.path().join("cluster.tfstate"),
    )
    .unwrap();
    std::fs::copy(
        data("plans/lifecycle/plan.json"),
        dir.path().join("misnamed.tfstate"),
    )
    .unwrap();
    let output = run(&["state", "."], dir.path());
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("misnamed.tfstate: this is a Terraform plan"),
        "{message}"
    );
}

#[test]
fn drift_refuses_what_says_nothing_of_drift() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.json", "{}");
    let other = write(dir.path(), "other.json", r#"{"foo": 1}"#);
    let refresh_hint = "run `terraform plan -refresh-only -out PLANFILE`";
    let cases: [(PathBuf, &str); 4] = [
        (empty, "neither a Terraform plan nor a state"),
        (other, "neither a Terraform plan nor a state"),
        (
            data("states/cluster.tfstate"),
            "a Terraform state file (format v4)",
        ),
        (
            data("plans/lifecycle/plan.json"),
            "a Terraform plan without `resource_drift`",
        ),
    ];
    for (input, given) in cases {
        assert_refused(
            &["drift", "--refresh-plan"],
            &input,
            &[given, "expected a refresh-only plan", refresh_hint],
        );
    }
}

#[test]
fn drift_reads_refresh_only_plans_and_plans_with_drift() {
    let dir = tempfile::tempdir().unwrap();
    for input in [
        data("states/refresh-plan.json"),
        data("plans/guardrail_gate/plan.json"),
    ] {
        let input = input.display().to_string();
        let output = run(
            &["drift", "--refresh-plan", &input, "--format", "json"],
            dir.path(),
        );
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{input}: {message}"
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["command"], "drift", "{input}");
    }
}
