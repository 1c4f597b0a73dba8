//! The alerting checks the tests (`platform/tests/alerts.rs`) and the course's labs
//! (`platform-policy alerts`, `platform-policy runbooks`) share: every PrometheusRule
//! rendered from `flux/infrastructure/configs` passes `promtool check rules`, its unit
//! tests pass `promtool test rules` with every alert both firing and quiet, and every
//! alert's `runbook_url` names a runbook with Diagnose, Mitigate and Rollback sections.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use yaml_serde::Value;

use crate::manifests::{documents, render, run, str_of, tool};

pub const CONFIGS: &str = "flux/infrastructure/configs";
pub const RULE_TESTS: &str = "flux/infrastructure/configs/observability/tests";

/// The rendered PrometheusRule objects under `root`.
pub fn prometheus_rules(root: &Path) -> Vec<Value> {
    let rendered = render(root, CONFIGS).unwrap_or_else(|error| panic!("{error}"));
    documents(&rendered)
        .into_iter()
        .filter(|object| str_of(object, &["kind"]) == "PrometheusRule")
        .collect()
}

/// Alert name → its rule, over every PrometheusRule.
pub fn alerts(rules: &[Value]) -> BTreeMap<String, Value> {
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
pub fn promtool(root: &Path) -> Vec<String> {
    promtool_report(root).0
}

/// As [`promtool`], with what `promtool test rules` printed when it passed.
pub fn promtool_report(root: &Path) -> (Vec<String>, String) {
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
            yaml_serde::to_string(&rule_object["spec"]).expect("serialise the rule spec"),
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
    let mut passed = String::new();
    match run(Command::new(tool("promtool"))
        .current_dir(scratch.path())
        .arg("test")
        .arg("rules")
        .args(&tests))
    {
        Ok(report) => passed = report,
        Err(report) => problems.push(format!("promtool test rules:\n{report}")),
    }
    for alert in alerts(&rules).keys() {
        if !firing.contains(alert) {
            problems.push(format!("alert {alert}: no unit test makes it fire"));
        }
        if !quiet.contains(alert) {
            problems.push(format!("alert {alert}: no unit test shows it quiet"));
        }
    }
    (problems, passed)
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

/// Every alert whose `runbook_url` does not name a runbook under `docs/runbooks/`
/// with `## Diagnose`, `## Mitigate` and `## Rollback` sections.
pub fn runbook_problems(root: &Path) -> Vec<String> {
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
