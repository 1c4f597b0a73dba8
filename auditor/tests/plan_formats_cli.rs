//! `tfaudit plan` reads the plan formats of Terraform 0.12 to 1.0 (0.1, 0.2)
//! beside 1.x, saying what the older format lacks in an info finding, and
//! refuses a format it does not know with exit 2, naming `format_version`.

#[path = "support/cli.rs"]
mod cli;

use cli::{case, run};

#[test]
fn older_formats_are_read_with_reduced_coverage_reported() {
    let dir = tempfile::tempdir().unwrap();
    for (name, version) in [("format_0_1", "0.1"), ("format_0_2", "0.2")] {
        let plan = case(name).display().to_string();
        let output = run(&["plan", &plan, "--format", "json"], dir.path());
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {message}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let reduced: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["rule_id"] == "plan/reduced-coverage")
            .collect();
        assert_eq!(reduced.len(), 1, "{name}: {report}");
        assert_eq!(reduced[0]["severity"], "info", "{name}");
        let text = reduced[0]["message"].as_str().unwrap();
        assert!(
            text.contains(&format!("plan format {version}")),
            "{name}: {text}"
        );
        let high = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["rule_id"] == "plan/security-sensitive")
            .count();
        assert_eq!(high, 6, "{name}: the other rules read the older format");
    }
}

#[test]
fn a_current_plan_has_no_reduced_coverage_finding() {
    let dir = tempfile::tempdir().unwrap();
    let plan = case("firewall_changes").display().to_string();
    let output = run(&["plan", &plan, "--format", "json"], dir.path());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|finding| finding["rule_id"] != "plan/reduced-coverage"));
}

#[test]
fn unknown_formats_exit_2_naming_format_version() {
    let dir = tempfile::tempdir().unwrap();
    for version in ["0.3", "3.0", "", "x"] {
        let plan = dir.path().join("plan.json");
        let text = serde_json::json!({
            "format_version": version,
            "planned_values": {"root_module": {}},
            "resource_changes": [],
        });
        std::fs::write(&plan, text.to_string()).unwrap();
        let report = dir.path().join("report.json");
        let report_arg = format!("json={}", report.display());
        let output = run(
            &["plan", plan.to_str().unwrap(), "--report", &report_arg],
            dir.path(),
        );
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{version:?}: {message}");
        assert!(
            message.contains("plan.json") && message.contains("`format_version`"),
            "{version:?}: {message}"
        );
        assert!(
            message.contains("expected 0.1, 0.2 or 1.x"),
            "{version:?}: {message}"
        );
        assert!(!report.exists(), "{version:?}");
    }
}
