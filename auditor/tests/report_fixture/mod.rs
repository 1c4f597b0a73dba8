//! A fixed plan report shared by the reporter tests.
#![allow(dead_code)]

use tfaudit::findings::{FailOn, Finding, RuleInfo, Severity, SourceLocation};
use tfaudit::report::Report;

pub const TRICKY_MESSAGE: &str =
    "budget `delete` exceeded | 3 > 2 <b>&\"quoted\"' 100% done: yes, really\nsecond line";

pub fn rules() -> Vec<RuleInfo> {
    vec![
        RuleInfo {
            id: "plan/destroy",
            default_severity: Severity::Critical,
            summary: "A resource is destroyed",
            help: "Destroying a resource loses its data; waive it when intended.",
        },
        RuleInfo {
            id: "plan/replace",
            default_severity: Severity::High,
            summary: "A resource is replaced",
            help: "Replacement destroys the old object before or after creating a new one.",
        },
        RuleInfo {
            id: "budget/exceeded",
            default_severity: Severity::Medium,
            summary: "A blast-radius budget is exceeded",
            help: "The plan changes more resources than the environment's budget allows.",
        },
        RuleInfo {
            id: "plan/public-ip",
            default_severity: Severity::Low,
            summary: "A server gets a public address",
            help: "Public addresses widen the attack surface.",
        },
        RuleInfo {
            id: "plan/tags",
            default_severity: Severity::Info,
            summary: "Labels change",
            help: "Label changes are harmless but noted.",
        },
        RuleInfo {
            id: "plan/unused",
            default_severity: Severity::Info,
            summary: "A rule without findings",
            help: "Listed so that JUnit shows a passing test case.",
        },
    ]
}

fn located(mut finding: Finding, file: &str, line: u32) -> Finding {
    finding.location = Some(SourceLocation {
        file: file.to_string(),
        line,
    });
    finding
}

fn in_module(mut finding: Finding, module: &str) -> Finding {
    finding.module = module.to_string();
    finding
}

/// Findings in a deliberately unsorted order.
pub fn findings() -> Vec<Finding> {
    let mut waived = located(
        Finding::new(
            "plan/public-ip",
            Severity::Low,
            "hcloud_server.web[0]",
            "server gets a public IPv4 address",
        ),
        "main.tf",
        30,
    );
    waived.waived = true;
    waived.waiver_reason = Some("approved in CHG-42".to_string());
    vec![
        Finding::new(
            "plan/tags",
            Severity::Info,
            "hcloud_volume.data",
            "labels change",
        ),
        waived,
        in_module(
            located(
                Finding::new(
                    "budget/exceeded",
                    Severity::Medium,
                    "module.net.hcloud_firewall.web[\"a\"]",
                    TRICKY_MESSAGE,
                ),
                "modules/net/firewall.tf",
                7,
            ),
            "module.net",
        ),
        in_module(
            located(
                Finding::new(
                    "plan/replace",
                    Severity::High,
                    "module.net.hcloud_network.main",
                    "network is replaced",
                ),
                "modules/net/main.tf",
                1,
            ),
            "module.net",
        ),
        Finding::new(
            "custom/undeclared",
            Severity::Medium,
            "hcloud_load_balancer.lb",
            "a finding from a rule the command did not declare",
        ),
        located(
            Finding::new(
                "plan/destroy",
                Severity::Critical,
                "hcloud_server.db",
                "hcloud_server.db is destroyed",
            ),
            "main.tf",
            12,
        ),
    ]
}

pub fn changes() -> serde_json::Map<String, serde_json::Value> {
    let mut summary = serde_json::Map::new();
    summary.insert(
        "changes".into(),
        serde_json::json!({
            "create": 2, "update": 1, "delete": 1, "replace": 1,
            "read": 0, "no_op": 10, "forget": 0, "import": 0,
        }),
    );
    summary
}

/// The plan report: fails at the default threshold (`high`): one critical and
/// one high finding.
pub fn plan_report() -> Report {
    Report {
        command: "plan",
        subject: "plan.json".to_string(),
        summary: changes(),
        findings: findings(),
        rules: rules(),
        fail_on: Some(FailOn::At(Severity::High)),
        configuration: None,
        options: Default::default(),
    }
}

/// The same report with another threshold.
pub fn with_threshold(fail_on: FailOn) -> Report {
    Report {
        fail_on: Some(fail_on),
        ..plan_report()
    }
}
