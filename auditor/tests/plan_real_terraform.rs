//! Plans made by real Terraform, audited as users run `tfaudit plan`.
//!
//! Every folder of `tests/data/real_terraform/` with an `expected.json` is a
//! case: `step1/main.tf`, `step2/main.tf`, ... are written into one working
//! directory (with `modules/` next to them) in turn; every step but the last
//! is applied, the last is planned with `-out`. The plan is then audited twice
//! with `tfaudit plan --format json`: from the `terraform show -json` output
//! and from the binary plan file (tfaudit runs `terraform show -json` itself).
//! `expected.json` holds:
//!
//! * `plan_line`: the exact `Plan: ...` line Terraform prints;
//! * `changes`: the exact `summary.changes`, which must also agree with
//!   Terraform's line (adds, changes, destroys and imports) and with the
//!   objects it says it will no longer manage (forgets);
//! * `findings`: every finding as `[rule_id, address, severity]`;
//! * `exit_code` at the default `--fail-on high`;
//! * `secrets` (optional): values in the plan no output format may contain;
//! * `s3` (optional): the case uses the guardrail provider, whose store is a
//!   local moto server (`{{bucket}}` and `{{endpoint}}` in `main.tf`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use guardrail_testkit::{tools, S3Server, TerraformDir};
use serde_json::Value;

const FORMATS: [&str; 6] = ["text", "json", "sarif", "junit", "markdown", "github"];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real_terraform")
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("read the cases folder")
        .map(|entry| entry.expect("read a case").path())
        .filter(|path| path.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn tfaudit(tf: &TerraformDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tfaudit"))
        .args(args)
        .current_dir(tf.path())
        .env_remove("TFAUDIT_LOG")
        .env("NO_COLOR", "1")
        .env("TERRAFORM", tools::terraform_bin())
        .env("TF_CLI_CONFIG_FILE", tf.path().join(".terraformrc"))
        .output()
        .expect("run tfaudit")
}

/// The `Plan: ...` line, or `No changes.`.
fn plan_line(stdout: &str) -> Option<String> {
    stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("Plan: ") || line.starts_with("No changes."))
        .map(|line| line.split("  ").next().unwrap_or(line).to_string())
}

/// The number before `what` in Terraform's plan line (0 when absent).
fn printed(line: &str, what: &str) -> u64 {
    line.split(", ")
        .map(|part| part.trim_start_matches("Plan: ").trim_end_matches('.'))
        .find_map(|part| part.strip_suffix(what))
        .map(|number| number.trim().parse().expect("a count"))
        .unwrap_or(0)
}

fn finding_keys(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|finding| {
            Value::from(vec![
                finding["rule_id"].clone(),
                finding["address"].clone(),
                finding["severity"].clone(),
            ])
            .to_string()
        })
        .collect()
}

/// Runs the Terraform steps of a case; gives Terraform's plan output.
fn make_plan(dir: &Path, tf: &TerraformDir, server: Option<&S3Server>) -> Result<String, String> {
    copy_dir(&cases_dir().join("modules"), &tf.path().join("modules"));
    let mut steps: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("main.tf").is_file())
        .collect();
    steps.sort();
    let Some((last, applied)) = steps.split_last() else {
        return Err("no step folders".into());
    };
    let write_step = |step: &Path| {
        let mut text = std::fs::read_to_string(step.join("main.tf")).unwrap();
        if let Some(server) = server {
            text = text
                .replace("{{bucket}}", server.bucket())
                .replace("{{endpoint}}", &server.endpoint());
        }
        tf.write("main.tf", &text);
    };
    let check = |what: &str, output: guardrail_testkit::TfOutput| {
        if output.success() {
            Ok(output)
        } else {
            Err(format!("terraform {what} failed:\n{}", output.combined()))
        }
    };
    for step in applied {
        write_step(step);
        check("init", tf.init())?;
        check("apply", tf.run(&["apply", "-auto-approve", "-input=false"]))?;
    }
    write_step(last);
    check("init", tf.init())?;
    let planned = check("plan", tf.run(&["plan", "-input=false", "-out=plan.bin"]))?;
    let shown = check("show", tf.run(&["show", "-json", "plan.bin"]))?;
    tf.write("plan.json", &shown.stdout);
    Ok(planned.stdout)
}

fn run_case(dir: &Path) -> Result<(), String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
            .map_err(|error| format!("{name}: expected.json: {error}"))?;
    let server = expected["s3"]
        .as_bool()
        .unwrap_or(false)
        .then(S3Server::start);
    let mut tf = TerraformDir::new();
    if let Some(server) = &server {
        tf = tf.with_s3(server);
    }
    let plan_output = make_plan(dir, &tf, server.as_ref()).map_err(|e| format!("{name}: {e}"))?;
    let mut problems = Vec::new();

    let line = plan_line(&plan_output).unwrap_or_default();
    if Some(line.as_str()) != expected["plan_line"].as_str() {
        problems.push(format!(
            "terraform printed {line:?}, expected {}",
            expected["plan_line"]
        ));
    }
    let forgets = plan_output
        .lines()
        .filter(|l| {
            l.trim_start().starts_with("# ") && l.contains("will no longer be managed by Terraform")
        })
        .count() as u64;

    let mut report_args = vec!["plan".to_string(), "plan.json".into()];
    for format in FORMATS {
        report_args.push("--report".into());
        report_args.push(format!("{format}=out.{format}"));
    }
    let from_json = tfaudit(
        &tf,
        &report_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let from_binary = tfaudit(&tf, &["plan", "plan.bin", "--format", "json"]);
    for (what, output) in [("plan.json", &from_json), ("plan.bin", &from_binary)] {
        let code = output.status.code();
        if code != expected["exit_code"].as_i64().map(|c| c as i32) {
            problems.push(format!(
                "{what}: exit code {code:?}, expected {}: {}",
                expected["exit_code"],
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    let json_report: Value = std::fs::read_to_string(tf.path().join("out.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let binary_report: Value = serde_json::from_slice(&from_binary.stdout).unwrap_or_default();

    for (what, report) in [("plan.json", &json_report), ("plan.bin", &binary_report)] {
        let changes = &report["summary"]["changes"];
        if *changes != expected["changes"] {
            problems.push(format!(
                "{what}: changes {changes}, expected {}",
                expected["changes"]
            ));
        }
        let count = |kind: &str| changes[kind].as_u64().unwrap_or(u64::MAX);
        let counted = [
            ("to add", count("create") + count("replace")),
            ("to change", count("update")),
            ("to destroy", count("delete") + count("replace")),
            ("to import", count("import")),
        ];
        for (label, number) in counted {
            if printed(&line, label) != number {
                problems.push(format!(
                    "{what}: tfaudit counts {number} {label}, terraform printed {line:?}"
                ));
            }
        }
        if count("forget") != forgets {
            problems.push(format!(
                "{what}: tfaudit counts {} forgets, terraform no longer manages {forgets} objects",
                count("forget")
            ));
        }
        let got = finding_keys(report);
        let want: BTreeSet<String> = expected["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Value::to_string)
            .collect();
        for missing in want.difference(&got) {
            problems.push(format!("{what}: missing finding {missing}"));
        }
        for extra in got.difference(&want) {
            problems.push(format!("{what}: unexpected finding {extra}"));
        }
    }

    let plan_text = std::fs::read_to_string(tf.path().join("plan.json")).unwrap();
    for secret in expected["secrets"].as_array().into_iter().flatten() {
        let secret = secret.as_str().unwrap_or_default();
        if !plan_text.contains(secret) {
            problems.push(format!("secret {secret:?} is not in the plan"));
        }
        let stdout_and_stderr = [&from_json, &from_binary].map(|output| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        if stdout_and_stderr.iter().any(|text| text.contains(secret)) {
            problems.push("tfaudit printed a secret".into());
        }
        for format in FORMATS {
            let text = std::fs::read_to_string(tf.path().join(format!("out.{format}")))
                .unwrap_or_default();
            if text.is_empty() || text.contains(secret) {
                problems.push(format!("the {format} report is missing or has a secret"));
            }
        }
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("case {name}:\n  {}", problems.join("\n  ")))
    }
}

#[test]
fn real_terraform_plans_are_counted_and_judged_as_expected() {
    let dirs = case_dirs();
    assert!(
        dirs.len() >= 3,
        "expected the cases in {}",
        cases_dir().display()
    );
    let failures: Vec<String> = dirs.iter().filter_map(|dir| run_case(dir).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
