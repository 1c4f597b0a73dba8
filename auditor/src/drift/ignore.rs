//! Noisy attributes that drift never reports, per resource type:
//!
//! ```toml
//! [drift.ignore]
//! "*" = ["timeouts"]
//! hcloud_server = ["labels.last_seen", "rebuild_protection"]
//! ```
//!
//! An entry covers the attribute and everything inside it (`labels` covers
//! `labels.role`).

use std::collections::BTreeMap;

/// The ignore lists, by resource type (`*` applies to every type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreList {
    by_type: BTreeMap<String, Vec<String>>,
}

impl IgnoreList {
    /// The lists of `[drift.ignore]`, as the configuration parsed them
    /// ([`crate::config::Config::drift_ignore`]).
    pub fn new(by_type: BTreeMap<String, Vec<String>>) -> IgnoreList {
        IgnoreList { by_type }
    }

    /// Whether `attribute` (e.g. `labels.role`, `rule[0].port`) of `resource_type` is ignored.
    pub fn ignores(&self, resource_type: &str, attribute: &str) -> bool {
        [resource_type, "*"]
            .iter()
            .filter_map(|key| self.by_type.get(*key))
            .flatten()
            .any(|ignored| {
                attribute == ignored
                    || attribute
                        .strip_prefix(ignored.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_attribute_and_its_contents() {
        let ignore = IgnoreList::new(BTreeMap::from([
            ("*".to_string(), vec!["timeouts".to_string()]),
            (
                "hcloud_server".to_string(),
                vec!["labels.last_seen".to_string(), "rescue".to_string()],
            ),
        ]));
        let cases = [
            ("hcloud_server", "labels.last_seen", true),
            ("hcloud_server", "labels.last_seen_by", false),
            ("hcloud_server", "rescue", true),
            ("hcloud_server", "labels.role", false),
            ("hcloud_volume", "timeouts.create", true),
            ("hcloud_volume", "rescue", false),
        ];
        for (resource_type, attribute, expected) in cases {
            assert_eq!(
                ignore.ignores(resource_type, attribute),
                expected,
                "{resource_type} {attribute}"
            );
        }
    }
}
