//! The one shape of a rule registry: each family of rules (plan, state, drift)
//! declares the input its checks read and lists its rules in a [`Registry`].
//! The catalogue `tfaudit rules` prints, and the rule ids the configuration
//! accepts, are read from these registries.

use crate::findings::{Finding, RuleInfo};

/// What the checks of one family of rules read, for any lifetime of what it borrows.
pub trait RuleInput: 'static {
    type Of<'a>;
}

/// One registered rule: its description and its check.
pub struct Rule<I: RuleInput> {
    pub info: RuleInfo,
    pub check: for<'a, 'b> fn(&'b I::Of<'a>) -> Vec<Finding>,
}

/// The rules of one family, in reporting order.
pub struct Registry<I: RuleInput> {
    /// Rules with a check over the family's input.
    pub rules: &'static [Rule<I>],
    /// Rules the family reports without a check of their own (findings made
    /// while reading or comparing, or by another part of the command).
    pub reported: &'static [RuleInfo],
}

impl<I: RuleInput> Registry<I> {
    /// Every rule's description: the checked rules, then the reported ones.
    pub fn infos(&self) -> Vec<RuleInfo> {
        self.rules
            .iter()
            .map(|rule| rule.info)
            .chain(self.reported.iter().copied())
            .collect()
    }

    /// Runs every check, in order.
    pub fn run(&self, input: &I::Of<'_>) -> Vec<Finding> {
        self.rules
            .iter()
            .flat_map(|rule| (rule.check)(input))
            .collect()
    }
}

/// The input of a family whose rules have no checks (all reported).
pub enum NoInput {}

impl RuleInput for NoInput {
    type Of<'a> = ();
}
