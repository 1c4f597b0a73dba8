//! Turns the field paths of core validation errors (`allow[1].start`,
//! `protected_types[0]`) into Terraform attribute paths, so diagnostics point at
//! the offending attribute in the configuration.

use tf_provider::{AttributePath, AttributePathStep};

/// Appends the steps of `field` (dotted names with `[index]` suffixes) to `base`.
/// Anything unparsable is kept as an attribute name so the path stays useful.
pub fn extend(base: AttributePath, field: &str) -> AttributePath {
    let mut path = base;
    for segment in field.split('.').filter(|s| !s.is_empty()) {
        let (name, mut rest) = match segment.find('[') {
            Some(open) => (&segment[..open], &segment[open..]),
            None => (segment, ""),
        };
        if !name.is_empty() {
            path += AttributePathStep::Attribute(name.to_string().into());
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let Some(close) = stripped.find(']') else {
                break;
            };
            let inner = &stripped[..close];
            path += match inner.parse::<i64>() {
                Ok(index) => AttributePathStep::Index(index),
                Err(_) => AttributePathStep::Key(inner.trim_matches('"').to_string().into()),
            };
            rest = &stripped[close + 1..];
        }
    }
    path
}

/// The attribute path of `field` from the root of a resource or data source.
pub fn from_root(field: &str) -> AttributePath {
    extend(AttributePath::root(), field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nested_fields_become_steps() {
        let cases = [
            ("timezone", "timezone"),
            ("allow[1].start", "allow[1].start"),
            ("protected_types[0]", "protected_types[0]"),
            ("deny[0].to", "deny[0].to"),
        ];
        for (field, shown) in cases {
            assert_eq!(from_root(field).to_string(), shown, "{field}");
        }
    }

    #[test]
    fn extends_a_block_path() {
        let base = AttributePath::new("change_window").index(0);
        assert_eq!(
            extend(base, "allow[2].days").to_string(),
            "change_window[0].allow[2].days"
        );
    }

    proptest! {
        #[test]
        fn never_panics(field in ".{0,40}") {
            let _ = from_root(&field);
        }
    }
}
