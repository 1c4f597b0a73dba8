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

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use gitops_support::{assert_reported, copy_of_repo, edit, repo_root, run, str_of, tool};
use platform_checks::alerting::{alerts, prometheus_rules, promtool, runbook_problems, RULE_TESTS};
use yaml_serde::Value;

const ALERTMANAGER: &str = "flux/infrastructure/controllers/observability/alertmanager.yaml";

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
    let config: Value = yaml_serde::from_str(&text).expect("valid YAML");
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
