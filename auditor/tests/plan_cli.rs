//! `tfaudit plan` as users run it: exit codes, input errors, report files,
//! configuration errors, and a real Terraform plan end to end.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use guardrail_testkit::tools;
use guardrail_testkit::TerraformDir;

fn tfaudit() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tfaudit"));
    command.env_remove("TFAUDIT_LOG").env("NO_COLOR", "1");
    command
}

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/plans")
        .join(name)
        .join("plan.json")
}

fn run(args: &[&str], dir: &Path) -> Output {
    tfaudit()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tfaudit")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn exit_codes_follow_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = case("no_changes");
    let risky = case("lifecycle");
    let cases: [(&[&str], &Path, i32); 5] = [
        (&[], &quiet, 0),
        (&[], &risky, 1),
        (&["--fail-on", "never"], &risky, 0),
        (&["--fail-on", "critical"], &risky, 0),
        (&["--fail-on", "info"], &case("spread_modules"), 1),
    ];
    for (flags, plan, expected) in cases {
        let mut args = vec!["plan", plan.to_str().unwrap()];
        args.extend_from_slice(flags);
        let output = run(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn input_errors_exit_2_and_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let invalid = write(
        dir.path(),
        "invalid.json",
        "{\n  \"format_version\": \"1.2\",\n  oops\n}\n",
    );
    let future = write(
        dir.path(),
        "future.json",
        r#"{"format_version": "2.0", "planned_values": {}}"#,
    );
    let state = write(
        dir.path(),
        "state.json",
        r#"{"format_version": "1.0", "terraform_version": "1.11.4", "values": {"root_module": {}}}"#,
    );
    let array = write(dir.path(), "array.json", "[1, 2]");
    let missing = dir.path().join("missing.json");
    let cases: [(&Path, &[&str]); 5] = [
        (&invalid, &["invalid.json:3:3", "invalid JSON"]),
        (
            &future,
            &[
                "future.json",
                "format_version",
                "unsupported plan format `2.0`",
                "1.x",
            ],
        ),
        (&state, &["state.json", "planned_values", "not a plan"]),
        (&array, &["array.json:1:1", "expected a JSON object"]),
        (&missing, &["missing.json", "cannot read"]),
    ];
    for (path, fragments) in cases {
        let report = dir.path().join("report.json");
        let report_arg = format!("json={}", report.display());
        let output = run(
            &["plan", path.to_str().unwrap(), "--report", &report_arg],
            dir.path(),
        );
        let message = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {message}",
            path.display()
        );
        for fragment in fragments {
            assert!(
                message.contains(fragment),
                "{}: {message:?} lacks {fragment:?}",
                path.display()
            );
        }
        assert!(
            !report.exists(),
            "no report is written after an input error"
        );
    }
}

#[test]
fn usage_and_configuration_errors_exit_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let plan = case("no_changes");
    let plan = plan.to_str().unwrap();
    let bad_severity = write(
        dir.path(),
        "severity.toml",
        "[severity]\n\"plan/destroy\" = \"urgent\"\n",
    );
    let unknown_rule = write(
        dir.path(),
        "rule.toml",
        "[[waiver]]\nrule = \"plan/nope\"\nreason = \"r\"\nowner = \"o\"\n",
    );
    let bad_date = write(
        dir.path(),
        "date.toml",
        "[[waiver]]\nrule = \"plan/destroy\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"next year\"\n",
    );
    let cases: [(Vec<&str>, &[&str]); 5] = [
        (
            vec!["--config", bad_severity.to_str().unwrap()],
            &["severity.toml", "severity.\"plan/destroy\"", "critical"],
        ),
        (
            vec!["--config", unknown_rule.to_str().unwrap()],
            &["rule.toml", "waiver[0].rule", "plan/nope"],
        ),
        (
            vec!["--config", bad_date.to_str().unwrap()],
            &["date.toml", "waiver[0].expires", "2026-12-31"],
        ),
        (
            vec!["--budget", "destroy=many"],
            &["--budget", "destroy=many", "whole number"],
        ),
        (vec!["--attest"], &["--signing-key"]),
    ];
    for (flags, fragments) in cases {
        let mut args = vec!["plan", plan];
        args.extend(flags.iter().copied());
        let output = run(&args, dir.path());
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        for fragment in fragments {
            assert!(
                message.contains(fragment),
                "{args:?}: {message:?} lacks {fragment:?}"
            );
        }
    }
}

#[test]
fn stdin_and_the_default_config_file_are_read() {
    let dir = tempfile::tempdir().unwrap();
    // `.tfaudit.toml` in the working directory waives nothing but lowers the bar.
    write(dir.path(), ".tfaudit.toml", "fail_on = \"medium\"\n");
    let plan = std::fs::read(case("spread_modules")).unwrap();
    let mut child = tfaudit()
        .args(["plan", "-", "--format", "json"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&plan).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["subject"], "stdin");
    assert_eq!(report["summary"]["changes"]["create"], 3);
    assert_eq!(report["findings"][0]["rule_id"], "plan/correlated-changes");
}

#[test]
fn secrets_never_reach_stdout_or_report_files() {
    let dir = tempfile::tempdir().unwrap();
    let plan = case("lifecycle");
    let secret = "Sup3r-S3cret-Passw0rd";
    assert!(std::fs::read_to_string(&plan).unwrap().contains(secret));
    let formats = ["text", "json", "sarif", "junit", "markdown", "github"];
    let mut args: Vec<String> = vec!["plan".into(), plan.display().to_string()];
    for format in formats {
        args.push("--report".into());
        args.push(format!(
            "{format}={}",
            dir.path().join(format!("out.{format}")).display()
        ));
    }
    let output = run(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!String::from_utf8_lossy(&output.stdout).contains(secret));
    assert!(!stderr(&output).contains(secret));
    for format in formats {
        let text = std::fs::read_to_string(dir.path().join(format!("out.{format}"))).unwrap();
        assert!(
            text.contains("by_secret"),
            "{format} report names the resource"
        );
        assert!(!text.contains(secret), "{format} report leaks the secret");
    }
}

/// Parses "Plan: N to add, M to change, K to destroy." from Terraform's output.
fn printed_counts(plan_output: &str) -> (u64, u64, u64) {
    let line = plan_output
        .lines()
        .find(|line| line.starts_with("Plan: "))
        .unwrap_or_else(|| panic!("no Plan: line in {plan_output}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().unwrap())
        .collect();
    (numbers[0], numbers[1], numbers[2])
}

#[test]
fn binary_plan_from_real_terraform_is_counted_like_terraform_does() {
    let tf = TerraformDir::new();
    tf.write(
        "main.tf",
        r#"
resource "terraform_data" "a" { input = "1" }
resource "terraform_data" "b" { triggers_replace = "1" }
resource "terraform_data" "c" { input = "1" }
resource "terraform_data" "n" {
  count = 3
  input = count.index
}
"#,
    );
    tf.init().assert_success();
    tf.run(&["apply", "-auto-approve"]).assert_success();
    tf.write(
        "main.tf",
        r#"
resource "terraform_data" "a" { input = "2" }
resource "terraform_data" "b" { triggers_replace = "2" }
resource "terraform_data" "n" {
  count = 1
  input = count.index
}
resource "terraform_data" "d" { input = "new" }
"#,
    );
    let planned = tf.run(&["plan", "-out=plan.bin"]);
    planned.assert_success();
    let (add, change, destroy) = printed_counts(&planned.stdout);

    let output = tfaudit()
        .args(["plan", "plan.bin", "--format", "json", "--fail-on", "never"])
        .current_dir(tf.path())
        .env("TERRAFORM", tools::terraform_bin())
        .env("TF_CLI_CONFIG_FILE", tf.path().join(".terraformrc"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let changes = &report["summary"]["changes"];
    let count = |name: &str| changes[name].as_u64().unwrap();
    assert_eq!(count("create") + count("replace"), add);
    assert_eq!(count("update"), change);
    assert_eq!(count("delete") + count("replace"), destroy);
    assert_eq!((add, change, destroy), (2, 1, 4));
}

#[test]
fn source_dir_points_findings_at_the_declaring_line() {
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("infra");
    std::fs::create_dir(&tf).unwrap();
    write(
        &tf,
        "storage.tf",
        "# storage\n\nresource \"hcloud_volume\" \"data\" {\n  size = 100\n}\n",
    );
    let plan = case("hcloud_edge");
    let output = run(
        &[
            "plan",
            plan.to_str().unwrap(),
            "--source-dir",
            "infra",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let volume = findings
        .iter()
        .find(|f| f["rule_id"] == "plan/protected-destroy" && f["address"] == "hcloud_volume.data")
        .expect("a protected-destroy finding for the volume");
    assert_eq!(volume["location"]["file"], "infra/storage.tf");
    assert_eq!(volume["location"]["line"], 3);
}

#[test]
fn a_broken_binary_plan_reports_what_terraform_said() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.bin");
    std::fs::write(&plan, b"PK\x03\x04 not really a plan").unwrap();
    let output = tfaudit()
        .args(["plan", "plan.bin"])
        .current_dir(dir.path())
        .env("TERRAFORM", tools::terraform_bin())
        .output()
        .unwrap();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("plan.bin: binary plan file"), "{message}");
    assert!(message.contains("Error: Failed to read"), "{message}");
}
