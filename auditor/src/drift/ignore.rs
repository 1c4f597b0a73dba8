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

use crate::error::InputError;

/// The ignore lists, by resource type (`*` applies to every type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreList {
    by_type: BTreeMap<String, Vec<String>>,
}

impl IgnoreList {
    /// Reads `[drift.ignore]` from a configuration table; `origin` names the file.
    pub fn from_config(
        config: Option<&toml::Table>,
        origin: &str,
    ) -> Result<IgnoreList, InputError> {
        let mut by_type = BTreeMap::new();
        let Some(drift) = config.and_then(|table| table.get("drift")) else {
            return Ok(IgnoreList { by_type });
        };
        let expected = |field: String, what: &str| InputError::Field {
            file: origin.into(),
            field,
            expected: format!("expected {what}"),
        };
        let drift = drift
            .as_table()
            .ok_or_else(|| expected("drift".into(), "a table"))?;
        let Some(ignore) = drift.get("ignore") else {
            return Ok(IgnoreList { by_type });
        };
        let ignore = ignore.as_table().ok_or_else(|| {
            expected(
                "drift.ignore".into(),
                "a table of resource type = [attribute paths]",
            )
        })?;
        for (resource_type, paths) in ignore {
            let field = format!("drift.ignore.{resource_type}");
            let paths = paths
                .as_array()
                .ok_or_else(|| expected(field.clone(), "an array of attribute paths"))?
                .iter()
                .map(|path| {
                    path.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| expected(field.clone(), "strings"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            by_type.insert(resource_type.clone(), paths);
        }
        Ok(IgnoreList { by_type })
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
        let config: toml::Table = r#"
            [drift.ignore]
            "*" = ["timeouts"]
            hcloud_server = ["labels.last_seen", "rescue"]
        "#
        .parse()
        .unwrap();
        let ignore = IgnoreList::from_config(Some(&config), ".tfaudit.toml").unwrap();
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

    #[test]
    fn bad_shapes_name_the_field() {
        let config: toml::Table = "[drift.ignore]\nhcloud_server = \"labels\"\n"
            .parse()
            .unwrap();
        let error = IgnoreList::from_config(Some(&config), "x.toml")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("x.toml") && error.contains("drift.ignore.hcloud_server"),
            "{error}"
        );
    }
}
