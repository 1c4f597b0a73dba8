//! `tfaudit rules` lists every stable rule id exactly once.

use std::process::Command;

use guardrail_testkit::tools::tfaudit_bin;

const CONTRACT_IDS: &[&str] = &[
    "plan/destroy",
    "plan/replace",
    "plan/forget",
    "plan/import",
    "plan/moved",
    "plan/protected-destroy",
    "plan/budget-exceeded",
    "plan/window-closed",
    "plan/environment-frozen",
    "plan/gate-missing",
    "plan/break-glass",
    "plan/clock-override",
    "plan/security-sensitive",
    "plan/output-secret-not-sensitive",
    "plan/incomplete",
    "plan/unknown-critical",
    "plan/correlated-changes",
    "plan/drift",
    "plan/reduced-coverage",
    "state/stale-lock",
    "state/serial-regression",
    "state/lineage-changed",
    "state/output-secret-not-sensitive",
    "state/secret-in-attributes",
    "state/tainted",
    "state/deposed",
    "state/empty",
    "state/version-skew",
    "state/unreadable",
    "drift/missing",
    "drift/changed",
    "drift/unmanaged",
];

#[test]
fn every_contract_rule_is_listed_once_with_help() {
    let output = Command::new(tfaudit_bin())
        .args(["rules", "--json"])
        .output()
        .expect("run tfaudit rules");
    assert!(output.status.success());
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in CONTRACT_IDS {
        assert_eq!(ids.iter().filter(|listed| *listed == id).count(), 1, "{id}");
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique");
    for rule in &rules {
        assert!(!rule["help"].as_str().unwrap_or("").is_empty(), "{rule}");
        assert!(rule["default_severity"].is_string(), "{rule}");
    }
}
