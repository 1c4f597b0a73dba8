//! `tfaudit plan` as users run it: exit codes, input errors, report files,
//! configuration errors, and a real Terraform plan end to end.

#[path = "support/cli.rs"]
mod cli;

use cli::{case, run, stderr, tfaudit, write};

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use guardrail_testkit::tools;
use guardrail_testkit::TerraformDir;

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
fn the_config_file_is_found_up_to_the_repository_root_and_named() {
    let outside = tempfile::tempdir().unwrap();
    // Above the repository: never read.
    write(outside.path(), ".tfaudit.toml", "fail_on = \"info\"\n");
    let repo = outside.path().join("repo");
    let folder = repo.join("infra/production");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::create_dir(repo.join(".git")).unwrap();
    let plan = case("spread_modules");
    let audit = |dir: &Path| run(&["plan", plan.to_str().unwrap(), "--format", "json"], dir);

    // No file in the repository: the defaults (fail on high), nothing said.
    let defaults = audit(&folder);
    assert_eq!(defaults.status.code(), Some(0), "{}", stderr(&defaults));
    assert!(
        !stderr(&defaults).contains("configuration"),
        "{}",
        stderr(&defaults)
    );

    write(&repo, ".tfaudit.toml", "fail_on = \"medium\"\n");
    let found = audit(&folder);
    assert_eq!(found.status.code(), Some(1), "{}", stderr(&found));
    assert!(
        stderr(&found).contains("tfaudit: configuration ../../.tfaudit.toml"),
        "{}",
        stderr(&found)
    );

    // The nearest file wins.
    write(&folder, ".tfaudit.toml", "fail_on = \"never\"\n");
    let nearest = audit(&folder);
    assert_eq!(nearest.status.code(), Some(0), "{}", stderr(&nearest));
    assert!(
        stderr(&nearest).contains("tfaudit: configuration .tfaudit.toml"),
        "{}",
        stderr(&nearest)
    );
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

/// `secret` as it could be printed: as it is, as Terraform quotes it in an
/// address, JSON-escaped and XML-escaped; quoted when it is shorter than the
/// redaction minimum (it is only redacted where it stands as a whole value).
fn printed_forms(secret: &str) -> Vec<String> {
    use tfaudit::redact::escape::{hcl_escaped, json_escaped};
    let xml = |text: &str| text.replace('&', "&amp;").replace('"', "&quot;");
    let mut forms = Vec::new();
    for base in [secret.to_string(), hcl_escaped(secret)] {
        let once = json_escaped(&base);
        forms.extend([xml(&base), json_escaped(&once), once, base]);
    }
    if secret.chars().count() < tfaudit::redact::MIN_REDACTED_LENGTH {
        forms = forms
            .iter()
            .flat_map(|form| [format!("\"{form}\""), format!("&quot;{form}&quot;")])
            .collect();
    }
    forms
}

fn assert_free_of(text: &str, secrets: &[&str], what: &str) {
    for secret in secrets {
        for form in printed_forms(secret) {
            assert!(
                !text.contains(&form),
                "{what} contains {secret:?} as {form:?}:\n{text}"
            );
        }
    }
}

#[test]
fn prior_state_short_and_escaped_secrets_reach_no_format_and_no_stream() {
    let dir = tempfile::tempdir().unwrap();
    let plan = case("sensitive_everywhere");
    let plan_text = std::fs::read_to_string(&plan).unwrap();
    let secrets = [
        "vault-db-Pr10rState-9f8e7d6c",
        "prior-output-K3y-5a4b3c2d1e",
        r#"Pa"ss\w0rd-quoted"#,
        "987",
    ];
    for secret in secrets {
        let in_plan = tfaudit::redact::escape::json_escaped(secret);
        assert!(plan_text.contains(&in_plan), "{secret:?} is in the plan");
    }
    let formats = ["text", "json", "sarif", "junit", "markdown", "github"];
    for format in formats {
        let report = dir.path().join(format!("out.{format}"));
        let report_arg = format!("{format}={}", report.display());
        // Stdin too: the prior_state secrets are collected from the stream.
        let mut child = tfaudit()
            .args(["plan", "-", "--format", format, "--report", &report_arg])
            .args(["--log", "debug"])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(plan_text.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("terraform_data.replica"),
            "{format}: {stdout}"
        );
        assert_free_of(&stdout, &secrets, &format!("--format {format}"));
        assert_free_of(&stderr(&output), &secrets, "stderr");
        let written = std::fs::read_to_string(&report).unwrap();
        assert_free_of(&written, &secrets, &format!("--report {format}"));
    }
}

#[test]
fn type_errors_name_the_field_and_the_expectation_but_never_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "Sup3rSecretX";
    let plans = [
        (
            "complete.json",
            serde_json::json!({"format_version": "1.2", "planned_values": {},
                "variables": {"token": {"value": secret}},
                "configuration": {"root_module": {"variables": {"token": {"sensitive": true}}}},
                "complete": secret}),
            ["`complete`", "expected a boolean"],
        ),
        (
            "actions.json",
            serde_json::json!({"format_version": "1.2", "planned_values": {},
                "resource_changes": [{"address": "a.b", "type": "a", "change": {"actions": secret}}]}),
            ["`resource_changes`", "expected a list of actions"],
        ),
        (
            "number.json",
            serde_json::json!({"format_version": "1.2", "planned_values": {},
                "output_changes": {"pin": {"actions": [987654321]}}}),
            ["`output_changes`", "expected a string"],
        ),
    ];
    for (name, plan, fragments) in plans {
        let path = write(
            dir.path(),
            name,
            &serde_json::to_string_pretty(&plan).unwrap(),
        );
        let output = run(&["plan", path.to_str().unwrap()], dir.path());
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        for fragment in fragments {
            assert!(
                message.contains(fragment),
                "{name}: {message:?} lacks {fragment:?}"
            );
        }
        assert!(message.contains(name), "{name}: {message}");
        assert!(!message.contains(secret), "{name}: {message}");
        assert!(!message.contains("987654321"), "{name}: {message}");
        assert!(output.stdout.is_empty(), "{name}: nothing on stdout");
    }
}

/// A plan of a gate whose window is open Monday to Friday 09:00-17:00 in
/// Berlin, made on a Saturday.
fn windowed_gate_plan() -> serde_json::Value {
    let window = serde_json::json!([{
        "timezone": "Europe/Berlin",
        "allow": [{"days": ["mon-fri"], "start": "09:00", "end": "17:00", "cron": null, "duration": null}],
        "deny": []
    }]);
    serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "timestamp": "2026-11-21T12:00:00Z",
        "planned_values": {"root_module": {}},
        "resource_changes": [{
            "address": "guardrail_change_gate.staging",
            "mode": "managed",
            "type": "guardrail_change_gate",
            "name": "staging",
            "provider_name": "registry.terraform.io/sre-control-plane/guardrail",
            "change": {
                "actions": ["update"],
                "before": {"environment": "staging", "plan_id": "old", "change_window": window, "break_glass": []},
                "after": {"environment": "staging", "plan_id": "new", "change_window": window, "break_glass": []},
                "after_unknown": {"decision": true}
            }
        }]
    })
}

fn rule_ids(output: &Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(output)));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn now_moves_the_audit_in_and_out_of_a_change_window_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write(dir.path(), "gate.json", &windowed_gate_plan().to_string());
    let plan = plan.to_str().unwrap();
    let audit = |now: Option<&str>, env: Option<&str>| {
        let mut command = tfaudit();
        command
            .args(["plan", plan, "--format", "json", "--fail-on", "never"])
            .env_remove("GUARDRAIL_NOW")
            .current_dir(dir.path());
        if let Some(now) = now {
            command.args(["--now", now]);
        }
        if let Some(env) = env {
            command.env("GUARDRAIL_NOW", env);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        rule_ids(&output)
    };
    // At the plan's own timestamp (a Saturday) the window is closed.
    let at_plan_time = audit(None, None);
    assert!(
        at_plan_time.contains(&"plan/window-closed".to_string()),
        "{at_plan_time:?}"
    );
    assert!(
        !at_plan_time.contains(&"plan/clock-override".to_string()),
        "{at_plan_time:?}"
    );
    // Tuesday 11:00 in Berlin: open, but the simulated clock is reported.
    let inside = audit(Some("2026-11-24T10:00:00Z"), None);
    assert!(
        !inside.contains(&"plan/window-closed".to_string()),
        "{inside:?}"
    );
    assert!(
        inside.contains(&"plan/clock-override".to_string()),
        "{inside:?}"
    );
    let from_env = audit(None, Some("2026-11-24T11:00:00+01:00"));
    assert_eq!(from_env, inside, "GUARDRAIL_NOW works like --now");
    // Tuesday 21:00 in Berlin: closed again.
    let outside = audit(Some("2026-11-24T20:00:00Z"), None);
    assert!(
        outside.contains(&"plan/window-closed".to_string()),
        "{outside:?}"
    );
    assert!(
        outside.contains(&"plan/clock-override".to_string()),
        "{outside:?}"
    );
}

#[test]
fn a_malformed_now_exits_2_naming_the_flag_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let plan = case("no_changes");
    for (flag, env) in [
        (Some("next tuesday"), None),
        (None, Some("2026-13-45T99:00:00Z")),
    ] {
        let mut command = tfaudit();
        command
            .args(["plan", plan.to_str().unwrap()])
            .env_remove("GUARDRAIL_NOW")
            .current_dir(dir.path());
        if let Some(flag) = flag {
            command.args(["--now", flag]);
        }
        if let Some(env) = env {
            command.env("GUARDRAIL_NOW", env);
        }
        let output = command.output().unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(
            message.contains("--now") && message.contains("GUARDRAIL_NOW"),
            "{message}"
        );
        assert!(message.contains("RFC 3339"), "{message}");
        assert!(output.stdout.is_empty());
    }
}

/// A binary plan whose configuration uses an installed provider renders only
/// with that configuration's providers: from another folder tfaudit says how
/// to fix it, and `--chdir` runs `terraform show` where `terraform init` ran.
#[test]
fn a_binary_plan_renders_in_its_configuration_folder_with_chdir() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("infra");
    let mirror = root.path().join("mirror");
    let platform = mirror.join("example.test/local/guardrail/0.1.0/linux_amd64");
    std::fs::create_dir_all(&platform).unwrap();
    std::fs::create_dir_all(&config).unwrap();
    std::os::unix::fs::symlink(
        tools::provider_bin_dir().join("terraform-provider-guardrail"),
        platform.join("terraform-provider-guardrail"),
    )
    .unwrap();
    let cli_config = write(
        root.path(),
        "terraformrc",
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    );
    write(
        &config,
        "main.tf",
        r#"
terraform {
  required_providers {
    guardrail = { source = "example.test/local/guardrail" }
  }
}
provider "guardrail" {
  environment = "develop"
}
data "guardrail_change_window" "office" {
  timezone = "UTC"
  allow {
    days  = ["mon-sun"]
    start = "00:00"
    end   = "23:59"
  }
}
resource "terraform_data" "a" { input = data.guardrail_change_window.office.timezone }
"#,
    );
    let terraform = |args: &[&str]| {
        let output = std::process::Command::new(tools::terraform_bin())
            .args(args)
            .current_dir(&config)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "terraform {args:?}: {}",
            stderr(&output)
        );
    };
    terraform(&["init", "-input=false", "-no-color"]);
    terraform(&["plan", "-input=false", "-no-color", "-out=plan.bin"]);

    let audit = |extra: &[&str]| {
        tfaudit()
            .args([
                "plan",
                "infra/plan.bin",
                "--format",
                "json",
                "--fail-on",
                "never",
            ])
            .args(extra)
            .current_dir(root.path())
            .env("TERRAFORM", tools::terraform_bin())
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .output()
            .unwrap()
    };
    let elsewhere = audit(&[]);
    let message = stderr(&elsewhere);
    assert_eq!(elsewhere.status.code(), Some(2), "{message}");
    assert!(message.contains("--chdir DIR"), "{message}");

    let inside = audit(&["--chdir", "infra"]);
    assert_eq!(inside.status.code(), Some(0), "{}", stderr(&inside));
    let report: serde_json::Value = serde_json::from_slice(&inside.stdout).unwrap();
    assert_eq!(report["summary"]["changes"]["create"], 1, "{report}");
}
