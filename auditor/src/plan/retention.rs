//! Which resource changes keep their attribute values (`change.before` and
//! `change.after`): plain data the reader is handed, so that the model knows
//! no resource type by name. Every other change keeps only the strings at
//! its sensitive paths, so that large plans stay small in memory.
//!
//! [`Retention::AUDIT`] lists what the plan rules read (the gate and budget
//! resources whole, of a firewall only its `rule` blocks); the plan loaders
//! (`parse.rs`) read with it, and the rules check in their tests that
//! every type they inspect is listed. Imports nothing else of the plan.

/// What of a resource type's values is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Every attribute.
    All,
    /// Only these top-level attributes (the others are skipped, never built).
    Attributes(&'static [&'static str]),
}

/// The resource types whose values are kept, and how much of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    types: &'static [(&'static str, Kept)],
}

impl Retention {
    /// What the audit's rules read.
    pub const AUDIT: Retention = Retention::new(&[
        ("guardrail_change_gate", Kept::All),
        ("guardrail_blast_radius_budget", Kept::All),
        ("hcloud_firewall", Kept::Attributes(&["rule"])),
    ]);

    pub const fn new(types: &'static [(&'static str, Kept)]) -> Retention {
        Retention { types }
    }

    /// What is kept of `resource_type`; `None` when its values are dropped.
    pub fn kept(&self, resource_type: &str) -> Option<Kept> {
        self.types
            .iter()
            .find(|(listed, _)| *listed == resource_type)
            .map(|(_, kept)| *kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_types_keep_values() {
        let cases = [
            ("guardrail_change_gate", Some(Kept::All)),
            ("hcloud_firewall", Some(Kept::Attributes(&["rule"]))),
            ("hcloud_server", None),
            ("", None),
        ];
        for (resource_type, expected) in cases {
            assert_eq!(
                Retention::AUDIT.kept(resource_type),
                expected,
                "{resource_type}"
            );
            assert_eq!(Retention::new(&[]).kept(resource_type), None);
        }
    }
}
