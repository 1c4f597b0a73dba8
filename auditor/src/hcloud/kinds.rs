//! The Hetzner Cloud resource types drift understands: where each lives in the
//! API, and which attributes matter (data-driven, one table).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::client::{Client, HcloudError};

/// How an attribute is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// Strings and numbers, compared as text.
    Scalar,
    /// A string map, compared key by key.
    Labels,
    /// Firewall rules, compared as a set (descriptions ignored).
    FirewallRules,
    /// A server image: the state holds a name or an id.
    Image,
}

/// One attribute that matters.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The attribute in the Terraform state (and in messages).
    pub attribute: &'static str,
    /// A JSON pointer into the API object.
    pub cloud: &'static str,
    pub compare: Compare,
}

/// A Terraform resource type and its API collection.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub resource_type: &'static str,
    /// The API path and the JSON key of its items (`servers`).
    pub collection: &'static str,
    /// Objects carry labels (and can be listed by `label_selector`).
    pub labelled: bool,
    pub fields: &'static [Field],
}

const fn field(attribute: &'static str, cloud: &'static str, compare: Compare) -> Field {
    Field {
        attribute,
        cloud,
        compare,
    }
}

const LABELS: Field = field("labels", "/labels", Compare::Labels);

/// Every supported type.
pub const KINDS: [Kind; 10] = [
    Kind {
        resource_type: "hcloud_server",
        collection: "servers",
        labelled: true,
        fields: &[
            field("server_type", "/server_type/name", Compare::Scalar),
            field("image", "/image", Compare::Image),
            field("location", "/location/name", Compare::Scalar),
            LABELS,
        ],
    },
    Kind {
        resource_type: "hcloud_network",
        collection: "networks",
        labelled: true,
        fields: &[field("ip_range", "/ip_range", Compare::Scalar), LABELS],
    },
    Kind {
        resource_type: "hcloud_network_subnet",
        collection: "networks",
        labelled: false,
        fields: &[
            field("ip_range", "/ip_range", Compare::Scalar),
            field("network_zone", "/network_zone", Compare::Scalar),
            field("type", "/type", Compare::Scalar),
        ],
    },
    Kind {
        resource_type: "hcloud_firewall",
        collection: "firewalls",
        labelled: true,
        fields: &[field("rule", "/rules", Compare::FirewallRules), LABELS],
    },
    Kind {
        resource_type: "hcloud_load_balancer",
        collection: "load_balancers",
        labelled: true,
        fields: &[
            field(
                "load_balancer_type",
                "/load_balancer_type/name",
                Compare::Scalar,
            ),
            field("location", "/location/name", Compare::Scalar),
            LABELS,
        ],
    },
    Kind {
        resource_type: "hcloud_volume",
        collection: "volumes",
        labelled: true,
        fields: &[
            field("size", "/size", Compare::Scalar),
            field("location", "/location/name", Compare::Scalar),
            LABELS,
        ],
    },
    Kind {
        resource_type: "hcloud_placement_group",
        collection: "placement_groups",
        labelled: true,
        fields: &[field("type", "/type", Compare::Scalar), LABELS],
    },
    Kind {
        resource_type: "hcloud_ssh_key",
        collection: "ssh_keys",
        labelled: true,
        fields: &[
            field("fingerprint", "/fingerprint", Compare::Scalar),
            LABELS,
        ],
    },
    Kind {
        resource_type: "hcloud_primary_ip",
        collection: "primary_ips",
        labelled: true,
        fields: &[
            field("type", "/type", Compare::Scalar),
            field("location", "/location/name", Compare::Scalar),
            field("ip_address", "/ip", Compare::Scalar),
            LABELS,
        ],
    },
    Kind {
        resource_type: "hcloud_floating_ip",
        collection: "floating_ips",
        labelled: true,
        fields: &[
            field("type", "/type", Compare::Scalar),
            field("home_location", "/home_location/name", Compare::Scalar),
            field("ip_address", "/ip", Compare::Scalar),
            LABELS,
        ],
    },
];

/// The kind of a Terraform resource type, if supported.
pub fn kind_of(resource_type: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|kind| kind.resource_type == resource_type)
}

/// One object as the API returns it, with its id as text.
#[derive(Debug, Clone)]
pub struct CloudObject {
    pub id: String,
    pub name: String,
    pub value: Value,
}

/// One attribute that differs, already rendered (`before` is the state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub attribute: String,
    pub before: String,
    pub after: String,
}

impl Kind {
    /// Lists this kind's objects. Subnets are read from their networks, with the
    /// id the hcloud provider gives them (`NETWORK_ID-IP_RANGE`).
    pub async fn fetch(
        &self,
        client: &Client,
        label_selector: Option<&str>,
    ) -> Result<Vec<CloudObject>, HcloudError> {
        let items = client.list(self.collection, label_selector).await?;
        Ok(self.objects(&items))
    }

    /// This kind's objects in a listing of its collection.
    pub fn objects(&self, items: &[Value]) -> Vec<CloudObject> {
        if self.resource_type == "hcloud_network_subnet" {
            return items.iter().flat_map(subnets_of).collect();
        }
        items
            .iter()
            .filter_map(|value| {
                let id = id_text(value.get("id")?)?;
                let name = value
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                Some(CloudObject {
                    id,
                    name,
                    value: value.clone(),
                })
            })
            .collect()
    }

    /// The attributes that matter and differ between a state's attributes and
    /// the API object.
    pub fn differences(&self, state: &Value, cloud: &Value) -> Vec<Difference> {
        let mut differences = Vec::new();
        for field in self.fields {
            let before = state.get(field.attribute);
            let after = cloud.pointer(field.cloud);
            match field.compare {
                Compare::Scalar => {
                    if let (Some(before), Some(after)) =
                        (before.and_then(scalar), after.and_then(scalar))
                    {
                        if before != after {
                            differences.push(Difference {
                                attribute: field.attribute.to_owned(),
                                before,
                                after,
                            });
                        }
                    }
                }
                Compare::Image => {
                    let (Some(before), Some(after)) =
                        (before.and_then(scalar), after.filter(|a| a.is_object()))
                    else {
                        continue;
                    };
                    let name = after.get("name").and_then(scalar);
                    let id = after.get("id").and_then(scalar);
                    if name.as_deref() != Some(before.as_str())
                        && id.as_deref() != Some(before.as_str())
                    {
                        differences.push(Difference {
                            attribute: field.attribute.to_owned(),
                            before,
                            after: name.or(id).unwrap_or_default(),
                        });
                    }
                }
                Compare::Labels => {
                    differences.extend(label_differences(field.attribute, before, after))
                }
                Compare::FirewallRules => {
                    let before = rule_set(before);
                    let after = rule_set(after);
                    if before != after {
                        let removed: Vec<&String> = before.difference(&after).collect();
                        let added: Vec<&String> = after.difference(&before).collect();
                        differences.push(Difference {
                            attribute: field.attribute.to_owned(),
                            before: render_set(&removed),
                            after: render_set(&added),
                        });
                    }
                }
            }
        }
        differences
    }
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) => Some(text.clone()),
        _ => None,
    }
}

fn subnets_of(network: &Value) -> Vec<CloudObject> {
    let Some(network_id) = network.get("id").and_then(id_text) else {
        return Vec::new();
    };
    let name = network
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    network
        .get("subnets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|subnet| {
            let range = subnet.get("ip_range")?.as_str()?;
            Some(CloudObject {
                id: format!("{network_id}-{range}"),
                name: format!("{name} {range}"),
                value: subnet.clone(),
            })
        })
        .collect()
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        // The API's sizes are decoded as floats (`50.0`); the state holds `50`.
        Value::Number(number) => Some(match number.as_f64() {
            Some(float)
                if !number.is_i64()
                    && !number.is_u64()
                    && float.fract() == 0.0
                    && float.abs() < 1e15 =>
            {
                format!("{}", float as i64)
            }
            _ => number.to_string(),
        }),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn label_differences(
    attribute: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<Difference> {
    let to_map = |value: Option<&Value>| -> BTreeMap<String, String> {
        value
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(key, value)| Some((key.clone(), scalar(value)?)))
            .collect()
    };
    if after.is_none() {
        return Vec::new();
    }
    let (before, after) = (to_map(before), to_map(after));
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|key| before.get(*key) != after.get(*key))
        .map(|key| Difference {
            attribute: key_path(attribute, key),
            before: before
                .get(key)
                .cloned()
                .unwrap_or_else(|| "(absent)".into()),
            after: after.get(key).cloned().unwrap_or_else(|| "(absent)".into()),
        })
        .collect()
}

/// `labels.role`, or `labels["hcloud/node"]` when the key is not an identifier
/// (the notation refresh-plan drift uses too, so one ignore list fits both).
pub fn key_path(parent: &str, key: &str) -> String {
    let identifier = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if identifier {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{key:?}]")
    }
}

/// Firewall rules as comparable text: `in tcp 22 from [..] to [..]`.
fn rule_set(value: Option<&Value>) -> BTreeSet<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|rule| {
            // The provider stores an absent port (icmp, gre, esp) as "", the API as null.
            let text = |name: &str| {
                rule.get(name)
                    .and_then(scalar)
                    .filter(|text| !text.is_empty())
                    .unwrap_or_else(|| "-".into())
            };
            let ips = |name: &str| -> String {
                let mut ips: Vec<String> = rule
                    .get(name)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(scalar)
                    .collect();
                ips.sort();
                ips.join(",")
            };
            format!(
                "{} {} {} from [{}] to [{}]",
                text("direction"),
                text("protocol"),
                text("port"),
                ips("source_ips"),
                ips("destination_ips")
            )
        })
        .collect()
}

fn render_set(items: &[&String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items
            .iter()
            .map(|item| item.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_differences_show_before_and_after() {
        let kind = kind_of("hcloud_server").unwrap();
        let state = json!({"server_type": "cx22", "image": "ubuntu-24.04", "location": "nbg1",
                           "labels": {"cluster": "k3s", "role": "agent"}});
        let cloud = json!({"server_type": {"name": "cx32"}, "image": {"id": 161547269, "name": "ubuntu-24.04"},
                           "location": {"name": "nbg1"},
                           "labels": {"cluster": "k3s", "role": "server"}});
        let differences = kind.differences(&state, &cloud);
        let rendered: Vec<String> = differences
            .iter()
            .map(|d| format!("{}: {} -> {}", d.attribute, d.before, d.after))
            .collect();
        assert_eq!(
            rendered,
            ["server_type: cx22 -> cx32", "labels.role: agent -> server"]
        );
    }

    #[test]
    fn firewall_rules_compare_as_sets() {
        let kind = kind_of("hcloud_firewall").unwrap();
        let state = json!({"rule": [
            {"direction": "in", "protocol": "tcp", "port": "22", "source_ips": ["10.0.0.0/8"], "destination_ips": [], "description": "ssh"},
            {"direction": "in", "protocol": "icmp", "port": null, "source_ips": ["0.0.0.0/0", "::/0"], "destination_ips": []}
        ], "labels": {}});
        let same = json!({"rules": [
            {"direction": "in", "protocol": "icmp", "port": null, "source_ips": ["::/0", "0.0.0.0/0"], "destination_ips": [], "description": null},
            {"direction": "in", "protocol": "tcp", "port": "22", "source_ips": ["10.0.0.0/8"], "destination_ips": []}
        ], "labels": {}});
        assert!(kind.differences(&state, &same).is_empty());
        let opened = json!({"rules": [
            {"direction": "in", "protocol": "icmp", "port": null, "source_ips": ["::/0", "0.0.0.0/0"], "destination_ips": []},
            {"direction": "in", "protocol": "tcp", "port": "22", "source_ips": ["0.0.0.0/0"], "destination_ips": []}
        ], "labels": {}});
        let differences = kind.differences(&state, &opened);
        assert_eq!(differences.len(), 1);
        assert_eq!(differences[0].before, "in tcp 22 from [10.0.0.0/8] to []");
        assert_eq!(differences[0].after, "in tcp 22 from [0.0.0.0/0] to []");
    }
}
