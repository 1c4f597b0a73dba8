//! `[[waiver]]`: a rule waived (for an address glob) until a date.

use chrono::NaiveDate;

use crate::findings::Finding;
use crate::plan::address::Glob;

/// One `[[waiver]]`.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    /// The address glob: `*` is any run of characters (dots and brackets
    /// included), `?` any one character, every other character stands for
    /// itself. `None` waives the rule everywhere.
    pub address: Option<Glob>,
    pub reason: String,
    pub owner: String,
    /// The last day the waiver applies. Required: a waiver without an end is a
    /// finding hidden for good.
    pub expires: NaiveDate,
    /// Position in the file, for messages (`waiver[0]`).
    pub index: usize,
}

impl Waiver {
    pub fn covers(&self, finding: &Finding) -> bool {
        self.rule == finding.rule_id
            && self
                .address
                .as_ref()
                .is_none_or(|glob| glob.matches(&finding.address))
    }

    pub fn expired(&self, today: NaiveDate) -> bool {
        self.expires < today
    }
}
