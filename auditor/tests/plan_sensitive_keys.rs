//! `tfaudit plan` as users run it on plans whose sensitive values are maps
//! (their keys are as secret as their values), whose masks nest deeper than
//! serde_json follows, and whose changes carry an `actions` list Terraform
//! never writes (refused, never dropped from the counts).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use tfaudit::redact::escape::{hcl_escaped, json_escaped};
use tfaudit::redact::MIN_REDACTED_LENGTH;

const FORMATS: [&str; 6] = ["text", "json", "sarif", "junit", "markdown", "github"];

/// What an error about a refused `actions` list says was expected.
const EXPECTED_LISTS: &str = "expected one of [no-op], [create], [read], [update], [delete], \
     [forget], [delete, create], [create, delete] or [create, forget]";

fn tfaudit() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tfaudit"));
    command.env_remove("TFAUDIT_LOG").env("NO_COLOR", "1");
    command
}

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every form in which `secret` could be printed: as it is, as Terraform
/// quotes it in an address, JSON-escaped (once or twice) and XML-escaped. A
/// value shorter than the redaction minimum counts where it stands quoted.
fn printed_forms(secret: &str) -> Vec<String> {
    let xml = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
    };
    let mut forms = Vec::new();
    for base in [secret.to_string(), hcl_escaped(secret)] {
        let once = json_escaped(&base);
        forms.extend([xml(&base), json_escaped(&once), once, base]);
    }
    if secret.chars().count() < MIN_REDACTED_LENGTH {
        forms = forms
            .into_iter()
            .flat_map(|form| {
                [
                    format!("\"{form}\""),
                    format!("\\\"{form}\\\""),
                    format!("&quot;{form}&quot;"),
                    format!("`{form}`"),
                    format!(".{form}"),
                ]
            })
            .collect();
    }
    forms.sort();
    forms.dedup();
    forms
}

fn assert_free_of(text: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        if let Some(form) = printed_forms(secret)
            .iter()
            .find(|form| text.contains(*form))
        {
            panic!("{what} contains {secret:?} as {form:?}:\n{text}");
        }
    }
}

/// Runs `tfaudit plan PLAN --format FORMAT --report FORMAT=FILE`: the exit
/// code, stdout, stderr and the report file.
fn audit_in_every_format(plan: &Path, dir: &Path) -> Vec<(&'static str, Output, String)> {
    FORMATS
        .iter()
        .map(|format| {
            let report = dir.join(format!("report.{format}"));
            let output = tfaudit()
                .arg("plan")
                .arg(plan)
                .args(["--format", format, "--report"])
                .arg(format!("{format}={}", report.display()))
                .args(["--log", "debug"])
                .current_dir(dir)
                .output()
                .expect("run tfaudit");
            let written = std::fs::read_to_string(&report).unwrap_or_default();
            (*format, output, written)
        })
        .collect()
}

#[test]
fn keys_of_sensitive_maps_reach_no_format_and_no_stream() {
    let case = data("sensitive_keys");
    let expected = read_json(&case.join("expected.json"));
    let plan = case.join("plan.json");
    let plan_text = std::fs::read_to_string(&plan).unwrap();
    let secrets: Vec<String> = expected["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|secret| secret.as_str().unwrap().to_string())
        .collect();
    for secret in &secrets {
        // As an instance key or a forced-by path step, the rules print it.
        assert!(
            plan_text.contains(&format!("\"{}\"", json_escaped(secret))),
            "{secret:?} is a key in the plan, or the check proves nothing"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for (format, output, written) in audit_in_every_format(&plan, dir.path()) {
        assert_eq!(
            output.status.code(),
            expected["exit_code"].as_i64().map(|code| code as i32),
            "{format}: {}",
            stderr(&output)
        );
        let printed = stdout(&output);
        assert!(
            printed.contains("terraform_data.per_key"),
            "{format}: {printed}"
        );
        assert!(
            written.contains("terraform_data.vault"),
            "{format}: {written}"
        );
        assert_free_of(&printed, &secrets, &format!("--format {format}"));
        assert_free_of(&stderr(&output), &secrets, &format!("{format}: stderr"));
        assert_free_of(&written, &secrets, &format!("--report {format}"));
        if format == "text" {
            for shown in expected["shown"].as_array().unwrap() {
                let shown = shown.as_str().unwrap();
                assert!(printed.contains(shown), "text lacks {shown:?}:\n{printed}");
            }
        }
    }
}

/// `{"outer": [[...[LEAF]...]]}` with `arrays` arrays around `leaf`, as
/// text (a value tree that deep would overflow the stack of the test).
fn nested(arrays: usize, leaf: &str) -> String {
    format!(
        r#"{{"outer": {}{leaf}{}}}"#,
        "[".repeat(arrays),
        "]".repeat(arrays)
    )
}

/// A plan with a value and its mask nested `arrays` levels deep, in a
/// resource change (`in_prior_state` false) or in a `prior_state` data
/// source, and an instance keyed by the secret the value holds.
fn deep_plan(arrays: usize, in_prior_state: bool) -> (String, String) {
    let secret = format!("deep-S3cret-{arrays}-{in_prior_state}");
    let mut plan = json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {}},
        "resource_changes": [{
            "address": format!("terraform_data.per_key[\"{secret}\"]"),
            "mode": "managed", "type": "terraform_data", "name": "per_key",
            "provider_name": "terraform.io/builtin/terraform",
            "change": {"actions": ["delete"], "before": {"input": "x"}, "after": null,
                       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": false}
        }],
        "configuration": {"root_module": {}}
    });
    if in_prior_state {
        plan["prior_state"] = json!({"format_version": "1.0", "values": {"root_module": {"resources": [{
            "address": "data.vault_kv_secret.deep", "mode": "data", "type": "vault_kv_secret",
            "values": {"secret_blob": "@VALUE@"},
            "sensitive_values": {"secret_blob": "@MASK@"}
        }]}}});
    } else {
        plan["resource_changes"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "address": "terraform_data.deep",
                "mode": "managed", "type": "terraform_data", "name": "deep",
                "provider_name": "terraform.io/builtin/terraform",
                "change": {
                    "actions": ["update"],
                    "before": {"input": null},
                    "after": {"input": "@VALUE@"},
                    "after_unknown": {},
                    "before_sensitive": {},
                    "after_sensitive": {"input": "@MASK@"}
                }
            }));
    }
    let text = serde_json::to_string(&plan)
        .unwrap()
        .replace(r#""@VALUE@""#, &nested(arrays, &format!("\"{secret}\"")))
        .replace(r#""@MASK@""#, &nested(arrays, "true"));
    (text, secret)
}

#[test]
fn masks_nested_at_any_depth_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    for in_prior_state in [false, true] {
        for arrays in [100, 125, 126, 127, 128, 200, 100_000] {
            let (plan, secret) = deep_plan(arrays, in_prior_state);
            let path = dir.path().join("deep.json");
            std::fs::write(&path, plan).unwrap();
            for format in ["text", "json"] {
                let output = tfaudit()
                    .arg("plan")
                    .arg(&path)
                    .args(["--format", format])
                    .current_dir(dir.path())
                    .output()
                    .expect("run tfaudit");
                let what = format!("{secret}, --format {format}");
                assert_eq!(output.status.code(), Some(1), "{what}: {}", stderr(&output));
                let printed = stdout(&output);
                assert!(
                    printed.contains(r#"terraform_data.per_key[\"(sensitive)\"]"#)
                        || printed.contains(r#"terraform_data.per_key["(sensitive)"]"#),
                    "{what}: {printed}"
                );
                assert_free_of(&printed, std::slice::from_ref(&secret), &what);
                assert_free_of(&stderr(&output), std::slice::from_ref(&secret), &what);
            }
        }
    }
}

/// The firewall plan with `edit` applied to the firewall change (the second).
fn firewall_plan(edit: impl FnOnce(&mut Value)) -> Value {
    let mut plan = read_json(&data("plan_actions/firewall_destroy.json"));
    edit(&mut plan["resource_changes"][1]);
    plan
}

/// The line on which the firewall change starts in pretty-printed `text`:
/// the object opens on the line before its first member, the address.
fn firewall_line(text: &str) -> usize {
    let address_line = 1 + text
        .lines()
        .position(|line| line.contains("\"address\": \"hcloud_firewall.edge"))
        .expect("the firewall change");
    address_line - 1
}

#[test]
fn a_firewall_destroy_without_known_actions_stops_the_run_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // What becomes of the firewall's `change.actions` (`None`: removed),
    // or of its whole `change`, and what the error says of it.
    let cases = [
        ("actions missing", Some(None), "missing"),
        ("change missing", None, "missing"),
        ("null", Some(Some(Value::Null)), "null"),
        ("empty", Some(Some(json!([]))), "an empty list"),
        (
            "unknown name",
            Some(Some(json!(["destroy"]))),
            "element 0 is not an action Terraform writes",
        ),
        (
            "unknown pair",
            Some(Some(json!(["delete", "delete"]))),
            "[delete, delete] is no list Terraform writes",
        ),
        (
            "three actions",
            Some(Some(json!(["delete", "create", "delete"]))),
            "a list of 3 actions is no list Terraform writes",
        ),
    ];
    for (name, actions, problem) in cases {
        let plan = firewall_plan(|change| match actions {
            None => {
                change.as_object_mut().unwrap().remove("change");
            }
            Some(None) => {
                change["change"].as_object_mut().unwrap().remove("actions");
            }
            Some(Some(actions)) => change["change"]["actions"] = actions,
        });
        let text = serde_json::to_string_pretty(&plan).unwrap();
        let path = dir.path().join("firewall.json");
        std::fs::write(&path, &text).unwrap();
        let report = dir.path().join("out.json");
        let output = tfaudit()
            .arg("plan")
            .arg(&path)
            .arg("--report")
            .arg(format!("json={}", report.display()))
            .current_dir(dir.path())
            .output()
            .expect("run tfaudit");
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        let at = format!("{}:{}:", path.display(), firewall_line(&text));
        for fragment in [
            at.as_str(),
            "field `resource_changes[1].change.actions` of `hcloud_firewall.edge`",
            problem,
            EXPECTED_LISTS,
        ] {
            assert!(
                message.contains(fragment),
                "{name}: no {fragment:?} in {message}"
            );
        }
        assert!(stdout(&output).is_empty(), "{name}: {}", stdout(&output));
        assert!(!report.exists(), "{name}: a report was written");
    }
}

#[test]
fn a_refused_change_is_named_on_stdin_too_and_its_instance_key_is_not_quoted() {
    let plan = firewall_plan(|change| {
        change["address"] = json!("hcloud_firewall.edge[\"Sup3rS3cret-key\"]");
        change["change"]["actions"] = json!(["obliterate"]);
    });
    let mut child = tfaudit()
        .args(["plan", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&plan).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("stdin:1:"), "{message}");
    assert!(
        message.contains("field `resource_changes[1].change.actions` of `hcloud_firewall.edge["),
        "{message}"
    );
    assert!(!message.contains("Sup3rS3cret"), "{message}");
    assert!(!message.contains("obliterate"), "{message}");
}

#[test]
fn every_action_list_terraform_writes_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (json!(["no-op"]), "no_op"),
        (json!(["create"]), "create"),
        (json!(["read"]), "read"),
        (json!(["update"]), "update"),
        (json!(["delete"]), "delete"),
        (json!(["delete", "create"]), "replace"),
        (json!(["create", "delete"]), "replace"),
        (json!(["forget"]), "forget"),
        (json!(["create", "forget"]), "forget"),
    ];
    for (actions, counted) in cases {
        let plan = firewall_plan(|change| change["change"]["actions"] = actions.clone());
        let path = dir.path().join("firewall.json");
        std::fs::write(&path, serde_json::to_string(&plan).unwrap()).unwrap();
        let output = tfaudit()
            .arg("plan")
            .arg(&path)
            .args(["--format", "json", "--fail-on", "never"])
            .output()
            .expect("run tfaudit");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{actions}: {}",
            stderr(&output)
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let changes = &report["summary"]["changes"];
        // The server's update, and the firewall's change where it belongs.
        let expected_update = if counted == "update" { 2 } else { 1 };
        assert_eq!(
            changes["update"],
            json!(expected_update),
            "{actions}: {changes}"
        );
        if counted != "update" {
            assert_eq!(changes[counted], json!(1), "{actions}: {changes}");
        }
    }
    // A firewall destroy with its actions in place is what the gate reports.
    let output = tfaudit()
        .arg("plan")
        .arg(data("plan_actions/firewall_destroy.json"))
        .output()
        .expect("run tfaudit");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let printed = stdout(&output);
    for fragment in [
        "plan/destroy  hcloud_firewall.edge",
        "plan/security-sensitive  hcloud_firewall.edge",
    ] {
        assert!(printed.contains(fragment), "no {fragment:?} in {printed}");
    }
}
