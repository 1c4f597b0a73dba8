//! The alerting of the platform, checked with Prometheus' and Alertmanager's own tools:
//!
//! * every PrometheusRule rendered from `flux/infrastructure/configs` passes
//!   `promtool check rules`, and `promtool test rules` runs the unit tests in
//!   `observability/tests/*_test.yaml`, where every alert must both fire on its symptom
//!   and stay quiet on a healthy series;
//! * the Alertmanager configuration passes `amtool check-config` and routes critical to
//!   the pager and warning to chat;
//! * every alert's `runbook_url` resolves to a file under `docs/runbooks/` with
//!   `## Diagnose`, `## Mitigate` and `## Rollback` sections.
//!
//! Each check has a broken case.

mod gitops_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use gitops_support::{
    assert_reported, copy_of_repo, documents, edit, render, repo_root, run, str_of, tool,
};
use serde_yaml::Value;

const CONFIGS: &str = "flux/infrastructure/configs";
const RULE_TESTS: &str = "flux/infrastructure/configs/observability/tests";
const ALERTMANAGER: &str = "flux/infrastructure/controllers/observability/alertmanager.yaml";

/// The rendered PrometheusRule objects under `root`.
fn prometheus_rules(root: &Path) -> Vec<Value> {
    let rendered = render(root, CONFIGS).unwrap_or_else(|error| panic!("{error}"));
    documents(&rendered)
        .into_iter()
        .filter(|object| str_of(object, &["kind"]) == "PrometheusRule")
        .collect()
}

/// Alert name → its rule, over every PrometheusRule.
fn alerts(rules: &[Value]) -> BTreeMap<String, Value> {
    let mut alerts = BTreeMap::new();
    for rule_object in rules {
        for group in rule_object["spec"]["groups"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            for rule in group["rules"].as_sequence().into_iter().flatten() {
                if let Some(name) = rule["alert"].as_str() {
                    alerts.insert(name.to_string(), rule.clone());
                }
            }
        }
    }
    alerts
}

/// promtool over the rules and unit tests under `root`; the problems found.
fn promtool(root: &Path) -> Vec<String> {
    let rules = prometheus_rules(root);
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let mut rule_files = Vec::new();
    for rule_object in &rules {
        let file = scratch.path().join(format!(
            "{}.rules.yaml",
            str_of(rule_object, &["metadata", "name"])
        ));
        std::fs::write(
            &file,
            serde_yaml::to_string(&rule_object["spec"]).expect("serialise the rule spec"),
        )
        .expect("write the rule file");
        rule_files.push(file);
    }
    let mut problems = Vec::new();
    if let Err(report) = run(Command::new(tool("promtool"))
        .arg("check")
        .arg("rules")
        .args(&rule_files))
    {
        problems.push(format!("promtool check rules:\n{report}"));
    }

    let mut tests = Vec::new();
    let mut firing: BTreeSet<String> = BTreeSet::new();
    let mut quiet: BTreeSet<String> = BTreeSet::new();
    for entry in std::fs::read_dir(root.join(RULE_TESTS))
        .expect("the rule tests")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with("_test.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read a rule test");
        for document in documents(&text) {
            for test in document["tests"].as_sequence().into_iter().flatten() {
                for case in test["alert_rule_test"].as_sequence().into_iter().flatten() {
                    let alert = str_of(case, &["alertname"]).to_string();
                    if case["exp_alerts"]
                        .as_sequence()
                        .is_some_and(|exp| !exp.is_empty())
                    {
                        firing.insert(alert);
                    } else {
                        quiet.insert(alert);
                    }
                }
            }
        }
        let copy = scratch.path().join(&name);
        std::fs::write(&copy, text).expect("copy the rule test");
        tests.push(copy);
    }
    if let Err(report) = run(Command::new(tool("promtool"))
        .current_dir(scratch.path())
        .arg("test")
        .arg("rules")
        .args(&tests))
    {
        problems.push(format!("promtool test rules:\n{report}"));
    }
    for alert in alerts(&rules).keys() {
        if !firing.contains(alert) {
            problems.push(format!("alert {alert}: no unit test makes it fire"));
        }
        if !quiet.contains(alert) {
            problems.push(format!("alert {alert}: no unit test shows it quiet"));
        }
    }
    problems
}

#[test]
fn prometheus_rules_pass_promtool_check_and_unit_tests() {
    let rules = prometheus_rules(&repo_root());
    let names: BTreeSet<String> = alerts(&rules).into_keys().collect();
    for expected in [
        "PodinfoErrorBudgetBurnFast",
        "PodinfoErrorBudgetBurnSlow",
        "FluxReconciliationFailing",
        "FluxReconciliationStalled",
        "IngressHighErrorRate",
        "CertificateExpiringSoon",
        "GuardrailDriftDetected",
    ] {
        assert!(names.contains(expected), "no alert {expected}: {names:?}");
    }
    let problems = promtool(&repo_root());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn broken_rules_and_alerts_that_no_longer_fire_are_reported() {
    let copy = copy_of_repo();
    let root = copy.path();
    // An expression promtool cannot parse.
    edit(
        root,
        "flux/infrastructure/configs/observability/rules/platform.yaml",
        "certmanager_certificate_expiration_timestamp_seconds - time() < 3 * 24 * 3600",
        "certmanager_certificate_expiration_timestamp_seconds - time( < 3 * 24 * 3600",
    );
    // A threshold so high the fast burn never fires on its symptom.
    edit(
        root,
        "flux/infrastructure/configs/observability/rules/podinfo-slo.yaml",
        "environment:podinfo_request_errors:ratio_rate5m{environment=\"production\"} > (14.4 * 0.001)",
        "environment:podinfo_request_errors:ratio_rate5m{environment=\"production\"} > (1440 * 0.001)",
    );
    let problems = promtool(root);
    assert_reported(
        &problems,
        &[
            "platform.rules.yaml",
            "alertname: PodinfoErrorBudgetBurnFast",
        ],
    );

    // An alert without a quiet case.
    let copy = copy_of_repo();
    let tests = copy.path().join(RULE_TESTS).join("podinfo-slo_test.yaml");
    let text = std::fs::read_to_string(&tests).expect("read the SLO tests");
    let healthy = text
        .find("- name: 'healthy production")
        .expect("the healthy case");
    std::fs::write(&tests, &text[..healthy]).expect("write the SLO tests");
    assert_reported(
        &promtool(copy.path()),
        &["alert PodinfoErrorBudgetBurnSlow: no unit test shows it quiet"],
    );
}

fn amtool(root: &Path) -> Result<String, String> {
    run(Command::new(tool("amtool"))
        .arg("check-config")
        .arg(root.join(ALERTMANAGER)))
}

#[test]
fn alertmanager_configuration_passes_amtool_and_routes_by_severity() {
    if let Err(report) = amtool(&repo_root()) {
        panic!("amtool check-config:\n{report}");
    }
    let text = std::fs::read_to_string(repo_root().join(ALERTMANAGER)).expect("read");
    let config: Value = serde_yaml::from_str(&text).expect("valid YAML");
    let receiver_for = |severity: &str| {
        config["route"]["routes"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|route| {
                route["matchers"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|matcher| matcher.as_str() == Some(&format!("severity = \"{severity}\"")))
            })
            .map(|route| str_of(route, &["receiver"]).to_string())
    };
    assert_eq!(receiver_for("critical").as_deref(), Some("pager"));
    assert_eq!(receiver_for("warning").as_deref(), Some("chat"));

    let copy = copy_of_repo();
    edit(
        copy.path(),
        ALERTMANAGER,
        "    - receiver: pager\n",
        "    - receiver: pagr\n",
    );
    let report = amtool(copy.path()).expect_err("amtool must reject an undefined receiver");
    assert!(report.contains("undefined receiver \"pagr\""), "{report}");
}

/// The repository file a runbook URL names (a GitHub blob URL or a relative path).
fn runbook_file(url: &str) -> Option<String> {
    let path = match url.find("/blob/") {
        Some(index) => url[index + "/blob/".len()..].split_once('/')?.1,
        None => url.trim_start_matches("./"),
    };
    let path = path.split('#').next()?;
    path.starts_with("docs/runbooks/").then(|| path.to_string())
}

fn runbook_problems(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for (alert, rule) in alerts(&prometheus_rules(root)) {
        let url = str_of(&rule, &["annotations", "runbook_url"]);
        let Some(file) = runbook_file(url) else {
            problems.push(format!(
                "alert {alert}: runbook_url `{url}` does not point under docs/runbooks/"
            ));
            continue;
        };
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else {
            problems.push(format!("alert {alert}: runbook {file} does not exist"));
            continue;
        };
        for section in ["## Diagnose", "## Mitigate", "## Rollback"] {
            if !text.lines().any(|line| line.trim_end() == section) {
                problems.push(format!(
                    "alert {alert}: runbook {file} has no `{section}` section"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_alert_has_a_runbook_with_diagnose_mitigate_and_rollback() {
    let problems = runbook_problems(&repo_root());
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let copy = copy_of_repo();
    let root = copy.path();
    edit(
        root,
        "docs/runbooks/certificate-expiry.md",
        "## Rollback",
        "## Afterwards",
    );
    edit(
        root,
        "flux/infrastructure/configs/observability/rules/platform.yaml",
        "docs/runbooks/ingress-5xx.md",
        "docs/runbooks/ingress-errors.md",
    );
    edit(
        root,
        "flux/infrastructure/configs/observability/rules/platform.yaml",
        "runbook_url: https://github.com/sre-control-plane/guardrail/blob/main/docs/runbooks/flux-reconciliation.md",
        "runbook_url: https://wiki.example.org/flux",
    );
    let problems = runbook_problems(root);
    assert_reported(
        &problems,
        &[
            "alert CertificateExpiringSoon: runbook docs/runbooks/certificate-expiry.md has no `## Rollback` section",
            "alert IngressHighErrorRate: runbook docs/runbooks/ingress-errors.md does not exist",
            "alert FluxReconciliationFailing: runbook_url `https://wiki.example.org/flux` does not point under docs/runbooks/",
        ],
    );
}
