//! `plan/security-sensitive`: changes to what guards the cluster's network edge.

use serde_json::Value;

use super::{change_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::{Action, ResourceChange};

/// Addresses meaning "anywhere".
const ANYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];
/// Ports whose opening to anywhere is reported at [`WEB_SEVERITY`] instead of
/// the rule's severity: public web traffic is what an edge firewall is for.
const WEB_PORTS: [&str; 2] = ["80", "443"];
/// The firewall type, whose `rule` blocks the rule reads.
pub const FIREWALL_TYPE: &str = "hcloud_firewall";
/// The severity of a firewall change that only opens TCP/UDP 80 or 443 to anywhere.
pub const WEB_SEVERITY: Severity = Severity::Low;

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/security-sensitive",
    default_severity: Severity::High,
    summary: "The plan changes firewalls, networks, load balancers or SSH keys",
    help: "Firewall rules opened to 0.0.0.0/0 or ::/0 (every port; a change that only opens \
           TCP/UDP 80 or 443 to anywhere is reported at low), firewall rules removed, a \
           firewall destroyed or replaced, firewall attachments changed, and any change to \
           hcloud networks, subnets, routes, load balancers or SSH keys change who can reach \
           the cluster. Review them with the security owner.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    for change in context.managed().filter(|change| change.action.changes()) {
        let resource_type: &str = &change.resource_type;
        if resource_type == FIREWALL_TYPE {
            findings.extend(firewall_findings(change));
        } else if is_edge_type(resource_type) {
            findings.push(change_finding(
                &INFO,
                change,
                format!("{} {resource_type}", verb(change.action)),
            ));
        }
    }
    findings
}

fn is_edge_type(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "hcloud_network"
            | "hcloud_network_subnet"
            | "hcloud_network_route"
            | "hcloud_ssh_key"
            | "hcloud_firewall_attachment"
    ) || resource_type.starts_with("hcloud_load_balancer")
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "creates",
        Action::Update => "updates",
        Action::Delete => "destroys",
        Action::Replace(_) => "replaces",
        Action::Forget | Action::CreateAndForget => "forgets",
        Action::NoOp | Action::Read | Action::Unknown => "touches",
    }
}

/// One firewall rule, described for people.
struct RuleText {
    text: String,
    /// Open to anywhere.
    open: bool,
    /// Only TCP/UDP 80 or 443.
    web: bool,
}

/// What a firewall change does: destroyed or replaced, rules opened to
/// anywhere (high, or [`WEB_SEVERITY`] when only web ports open), rules removed.
fn firewall_findings(change: &ResourceChange) -> Vec<Finding> {
    let before = change
        .before
        .as_deref()
        .map(describe_rules)
        .unwrap_or_default();
    let after = if change.action == Action::Delete {
        Vec::new()
    } else {
        change
            .after
            .as_deref()
            .map(describe_rules)
            .unwrap_or_default()
    };
    let is_new = |rule: &RuleText, others: &[RuleText]| !others.iter().any(|o| o.text == rule.text);
    let opened: Vec<&RuleText> = after
        .iter()
        .filter(|rule| rule.open && is_new(rule, &before))
        .collect();
    let removed: Vec<&str> = before
        .iter()
        .filter(|rule| is_new(rule, &after))
        .map(|rule| rule.text.as_str())
        .collect();
    let join = |rules: &[&RuleText]| {
        rules
            .iter()
            .map(|rule| rule.text.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut parts = Vec::new();
    match change.action {
        Action::Delete => parts.push(
            "destroys hcloud_firewall: its rules stop applying to every server and label \
             selector it is attached to"
                .to_string(),
        ),
        Action::Replace(_) => {
            parts.push("replaces hcloud_firewall: its attachments are recreated".to_string())
        }
        _ => {}
    }
    let (web, wide): (Vec<&RuleText>, Vec<&RuleText>) = opened.into_iter().partition(|r| r.web);
    if !wide.is_empty() {
        parts.push(format!("firewall opens to anywhere: {}", join(&wide)));
    }
    if !removed.is_empty() && change.action != Action::Delete {
        parts.push(format!("removes rules: {}", removed.join("; ")));
    }
    let mut findings = Vec::new();
    if !parts.is_empty() {
        let mut message = parts.join("; ");
        if !web.is_empty() {
            message.push_str(&format!("; opens web ports to anywhere: {}", join(&web)));
        }
        findings.push(change_finding(&INFO, change, message));
    } else if !web.is_empty() {
        let mut finding = change_finding(
            &INFO,
            change,
            format!("firewall opens web ports to anywhere: {}", join(&web)),
        );
        finding.severity = WEB_SEVERITY;
        findings.push(finding);
    }
    findings
}

/// `in tcp port 22 from 0.0.0.0/0` for every rule of a firewall value.
fn describe_rules(firewall: &Value) -> Vec<RuleText> {
    let Some(rules) = firewall.get("rule").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut described = Vec::new();
    for rule in rules {
        let text = |name: &str| rule.get(name).and_then(Value::as_str).unwrap_or_default();
        let direction = text("direction");
        let (field, preposition) = if direction == "out" {
            ("destination_ips", "to")
        } else {
            ("source_ips", "from")
        };
        let ips: Vec<&str> = rule
            .get(field)
            .and_then(Value::as_array)
            .map(|ips| {
                ips.iter()
                    .filter_map(Value::as_str)
                    .map(str::trim)
                    .collect()
            })
            .unwrap_or_default();
        let anywhere: Vec<&str> = ips
            .iter()
            .copied()
            .filter(|ip| ANYWHERE.contains(ip))
            .collect();
        let protocol = text("protocol");
        let port = text("port");
        let web = matches!(protocol, "tcp" | "udp") && WEB_PORTS.contains(&port);
        let port = if port.is_empty() {
            "all ports".to_string()
        } else {
            format!("port {port}")
        };
        let direction = if direction.is_empty() {
            "in"
        } else {
            direction
        };
        let protocol = if protocol.is_empty() { "any" } else { protocol };
        let shown = if anywhere.is_empty() { &ips } else { &anywhere };
        let shown = if shown.is_empty() {
            "nowhere".to_string()
        } else {
            shown.join(", ")
        };
        described.push(RuleText {
            text: format!("{direction} {protocol} {port} {preposition} {shown}"),
            open: !anywhere.is_empty(),
            web,
        });
    }
    described
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_described_and_open_ones_marked() {
        let firewall = serde_json::json!({"rule": [
            {"direction": "in", "protocol": "tcp", "port": "443", "source_ips": ["0.0.0.0/0", "::/0"]},
            {"direction": "in", "protocol": "tcp", "port": "22", "source_ips": ["0.0.0.0/0"]},
            {"direction": "in", "protocol": "tcp", "port": "6443", "source_ips": ["10.0.0.0/8"]},
            {"direction": "in", "protocol": "icmp", "port": null, "source_ips": ["::/0"]},
            {"direction": "out", "protocol": "udp", "port": "53", "destination_ips": ["0.0.0.0/0"]}
        ]});
        let described: Vec<(String, bool, bool)> = describe_rules(&firewall)
            .into_iter()
            .map(|rule| (rule.text, rule.open, rule.web))
            .collect();
        let expected = [
            ("in tcp port 443 from 0.0.0.0/0, ::/0", true, true),
            ("in tcp port 22 from 0.0.0.0/0", true, false),
            ("in tcp port 6443 from 10.0.0.0/8", false, false),
            ("in icmp all ports from ::/0", true, false),
            ("out udp port 53 to 0.0.0.0/0", true, false),
        ];
        let expected: Vec<(String, bool, bool)> = expected
            .iter()
            .map(|(text, open, web)| (text.to_string(), *open, *web))
            .collect();
        assert_eq!(described, expected);
    }
}
