//! `plan/security-sensitive`: changes to what guards the cluster's network edge.

use serde_json::Value;

use super::{change_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::model::ResourceChange;
use crate::plan::Action;

/// Addresses meaning "anywhere".
const ANYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];
/// Ports that may be open to anywhere without a finding.
const WEB_PORTS: [&str; 2] = ["80", "443"];

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/security-sensitive",
    default_severity: Severity::High,
    summary: "The plan changes firewalls, networks, load balancers or SSH keys",
    help: "Firewall rules opening ports other than 80 and 443 to 0.0.0.0/0 or ::/0, and any \
           change to hcloud networks, subnets, routes, load balancers or SSH keys, change who \
           can reach the cluster. Review them with the security owner.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    for change in context.managed().filter(|change| change.action.changes()) {
        let resource_type = change.resource_type.as_str();
        if resource_type == "hcloud_firewall" {
            let open = open_rules(change);
            if !open.is_empty() {
                findings.push(change_finding(
                    &INFO,
                    change,
                    format!("firewall opens to anywhere: {}", open.join("; ")),
                ));
            }
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
        "hcloud_network" | "hcloud_network_subnet" | "hcloud_network_route" | "hcloud_ssh_key"
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

/// Descriptions of the planned rules open to anywhere on non-web ports that
/// were not already open before this change.
fn open_rules(change: &ResourceChange) -> Vec<String> {
    if change.action == Action::Delete {
        return Vec::new();
    }
    let before: Vec<String> = change
        .before
        .as_ref()
        .map(describe_open)
        .unwrap_or_default();
    change
        .after
        .as_ref()
        .map(describe_open)
        .unwrap_or_default()
        .into_iter()
        .filter(|rule| !before.contains(rule))
        .collect()
}

/// `in tcp port 22 from 0.0.0.0/0` for every open rule of a firewall value.
fn describe_open(firewall: &Value) -> Vec<String> {
    let Some(rules) = firewall.get("rule").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut open = Vec::new();
    for rule in rules {
        let text = |name: &str| rule.get(name).and_then(Value::as_str).unwrap_or_default();
        let direction = text("direction");
        let (field, preposition) = if direction == "out" {
            ("destination_ips", "to")
        } else {
            ("source_ips", "from")
        };
        let anywhere: Vec<&str> = rule
            .get(field)
            .and_then(Value::as_array)
            .map(|ips| {
                ips.iter()
                    .filter_map(Value::as_str)
                    .filter(|ip| ANYWHERE.contains(&ip.trim()))
                    .collect()
            })
            .unwrap_or_default();
        if anywhere.is_empty() {
            continue;
        }
        let protocol = text("protocol");
        let port = text("port");
        let is_web = matches!(protocol, "tcp" | "udp") && WEB_PORTS.contains(&port);
        if is_web {
            continue;
        }
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
        open.push(format!(
            "{direction} {protocol} {port} {preposition} {}",
            anywhere.join(", ")
        ));
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_ports_pass_and_others_are_named() {
        let firewall = serde_json::json!({"rule": [
            {"direction": "in", "protocol": "tcp", "port": "443", "source_ips": ["0.0.0.0/0", "::/0"]},
            {"direction": "in", "protocol": "tcp", "port": "22", "source_ips": ["0.0.0.0/0"]},
            {"direction": "in", "protocol": "tcp", "port": "6443", "source_ips": ["10.0.0.0/8"]},
            {"direction": "in", "protocol": "icmp", "port": null, "source_ips": ["::/0"]},
            {"direction": "out", "protocol": "udp", "port": "53", "destination_ips": ["0.0.0.0/0"]}
        ]});
        assert_eq!(
            describe_open(&firewall),
            vec![
                "in tcp port 22 from 0.0.0.0/0",
                "in icmp all ports from ::/0",
                "out udp port 53 to 0.0.0.0/0"
            ]
        );
    }
}
