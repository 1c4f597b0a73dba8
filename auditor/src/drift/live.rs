//! Live drift: every Hetzner Cloud resource the states manage is looked up in
//! the API (one listing per type, following pages), and everything carrying the
//! cluster's labels is matched against the states.
//!
//! The cluster's labels are the `--label-selector` given, or else the labels
//! that every managed `hcloud_server` carries with the same value (what a module
//! such as kube-hetzner stamps on all it creates); per-node labels like `role`
//! differ between servers and so drop out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::ignore::IgnoreList;
use super::rules::{changed, missing, unmanaged};
use super::DriftError;
use crate::findings::Finding;
use crate::hcloud::kinds::{kind_of, CloudObject, Kind, KINDS};
use crate::hcloud::Client;
use crate::state::address_in;
use crate::state::model::Resource;
use crate::state::source::LoadedState;

/// One managed instance of a supported type.
struct Managed<'a> {
    address: String,
    kind: &'static Kind,
    id: String,
    attributes: &'a Value,
}

/// The label selector `drift/unmanaged` used, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `--label-selector`.
    Given(String),
    /// The labels every managed server shares.
    Derived(String),
    /// No selector: the unmanaged check did not run, for this reason.
    None(String),
}

impl Default for Selector {
    fn default() -> Self {
        Selector::None("not computed".into())
    }
}

impl Selector {
    fn text(&self) -> Option<&str> {
        match self {
            Selector::Given(text) | Selector::Derived(text) => Some(text),
            Selector::None(_) => None,
        }
    }
}

/// What the live comparison found.
#[derive(Debug, Default)]
pub struct LiveDrift {
    pub findings: Vec<Finding>,
    pub checked: usize,
    pub cloud_objects: usize,
    pub selector: Selector,
}

/// Compares `states` with the API.
pub async fn compare(
    client: &Client,
    states: &[LoadedState],
    label_selector: Option<&str>,
    ignore: &IgnoreList,
) -> Result<LiveDrift, DriftError> {
    let managed = managed_instances(states);
    let selector = match label_selector.map(str::trim).filter(|s| !s.is_empty()) {
        Some(given) => Selector::Given(given.to_owned()),
        None => derive_selector(&managed),
    };
    let mut result = LiveDrift {
        checked: managed.len(),
        selector: selector.clone(),
        ..LiveDrift::default()
    };
    let mut by_type: BTreeMap<&'static str, Vec<&Managed<'_>>> = BTreeMap::new();
    for instance in &managed {
        by_type
            .entry(instance.kind.resource_type)
            .or_default()
            .push(instance);
    }
    // Networks and their subnets share one listing.
    let mut listings: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for (resource_type, instances) in &by_type {
        let Some(kind) = kind_of(resource_type) else {
            continue;
        };
        if !listings.contains_key(kind.collection) {
            let items = client.list(kind.collection, None).await?;
            listings.insert(kind.collection, items);
        }
        let cloud: BTreeMap<String, CloudObject> = kind
            .objects(listings.get(kind.collection).map_or(&[][..], Vec::as_slice))
            .into_iter()
            .map(|object| (object.id.clone(), object))
            .collect();
        result.cloud_objects += cloud.len();
        for instance in instances {
            let Some(object) = cloud.get(&instance.id) else {
                result.findings.push(missing::finding(
                    instance.address.clone(),
                    &format!(
                        "{} id {} is not in GET /{}",
                        kind.resource_type, instance.id, kind.collection
                    ),
                ));
                continue;
            };
            let changes: Vec<changed::Change> = kind
                .differences(instance.attributes, &object.value)
                .into_iter()
                .filter(|difference| !ignore.ignores(kind.resource_type, &difference.attribute))
                .map(|difference| changed::Change {
                    attribute: difference.attribute,
                    before: difference.before,
                    after: difference.after,
                })
                .collect();
            if !changes.is_empty() {
                result
                    .findings
                    .push(changed::finding(instance.address.clone(), &changes));
            }
        }
    }
    if let Some(selector) = selector.text() {
        for kind in KINDS.iter().filter(|kind| kind.labelled) {
            let known: BTreeSet<&str> = by_type
                .get(kind.resource_type)
                .into_iter()
                .flatten()
                .map(|instance| instance.id.as_str())
                .collect();
            for object in kind.fetch(client, Some(selector)).await? {
                if !known.contains(object.id.as_str()) {
                    result.findings.push(unmanaged::finding(
                        kind.resource_type,
                        kind.collection,
                        &object.id,
                        &object.name,
                        selector,
                    ));
                }
            }
        }
    }
    Ok(result)
}

/// `k=v,...` for the labels every managed server carries with one value.
fn derive_selector(managed: &[Managed<'_>]) -> Selector {
    let mut servers = managed
        .iter()
        .filter(|instance| instance.kind.resource_type == "hcloud_server")
        .map(|instance| {
            instance
                .attributes
                .get("labels")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                .collect::<BTreeMap<String, String>>()
        });
    let Some(first) = servers.next() else {
        return Selector::None(
            "no hcloud_server in the states to take the cluster's labels from; give --label-selector".into(),
        );
    };
    let shared = servers.fold(first, |shared, labels| {
        shared
            .into_iter()
            .filter(|(key, value)| labels.get(key) == Some(value))
            .collect()
    });
    if shared.is_empty() {
        return Selector::None("the managed servers share no label; give --label-selector".into());
    }
    Selector::Derived(
        shared
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// Whether the live comparison reads `resource` (a supported type of the
/// hcloud provider): what a caller that drops state values must keep.
pub fn compared(resource: &Resource) -> bool {
    resource.provider_source().ends_with("hetznercloud/hcloud")
        && kind_of(&resource.resource_type).is_some()
}

fn managed_instances(states: &[LoadedState]) -> Vec<Managed<'_>> {
    let mut managed = Vec::new();
    for loaded in states {
        for (address, resource, instance) in loaded.state.managed_instances() {
            if instance.deposed.is_some() || !compared(resource) {
                continue;
            }
            let (Some(kind), Some(attributes)) = (
                kind_of(&resource.resource_type),
                instance.attributes.as_ref(),
            ) else {
                continue;
            };
            let id = match attributes.get("id") {
                Some(Value::String(id)) if !id.is_empty() => id.clone(),
                Some(Value::Number(id)) => id.to_string(),
                _ => {
                    tracing::warn!(%address, "no id in the state; skipped");
                    continue;
                }
            };
            managed.push(Managed {
                address: address_in(&loaded.origin, &address),
                kind,
                id,
                attributes,
            });
        }
    }
    managed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn servers(labels: &[Value]) -> Vec<Managed<'_>> {
        labels
            .iter()
            .enumerate()
            .map(|(index, attributes)| Managed {
                address: format!("hcloud_server.node[{index}]"),
                kind: kind_of("hcloud_server").unwrap(),
                id: index.to_string(),
                attributes,
            })
            .collect()
    }

    #[test]
    fn the_selector_is_what_every_server_shares() {
        let states = [
            json!({"labels": {"cluster": "prod", "role": "server", "pool": "a"}}),
            json!({"labels": {"cluster": "prod", "role": "agent", "pool": "a"}}),
        ];
        assert_eq!(
            derive_selector(&servers(&states)),
            Selector::Derived("cluster=prod,pool=a".into())
        );
    }

    #[test]
    fn no_shared_label_means_no_unmanaged_check() {
        let states = [
            json!({"labels": {"cluster": "prod"}}),
            json!({"labels": {"cluster": "staging"}}),
        ];
        assert!(matches!(
            derive_selector(&servers(&states)),
            Selector::None(reason) if reason.contains("share no label")
        ));
        assert!(matches!(
            derive_selector(&[]),
            Selector::None(reason) if reason.contains("no hcloud_server")
        ));
    }
}
