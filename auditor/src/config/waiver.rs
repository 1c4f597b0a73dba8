//! `[[waiver]]`: a rule waived (for an address glob) until a date.

use chrono::NaiveDate;

use crate::findings::Finding;

/// One `[[waiver]]`.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    /// The address glob as written; `None` waives the rule everywhere.
    pub address: Option<String>,
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
                .as_deref()
                .is_none_or(|pattern| address_matches(pattern, &finding.address))
    }

    pub fn expired(&self, today: NaiveDate) -> bool {
        self.expires < today
    }
}

/// Whether `address` matches the waiver glob `pattern`: `*` is any run of
/// characters (dots and brackets included), `?` any one character, and every
/// other character stands for itself ([`crate::plan::address::Glob`]).
pub fn address_matches(pattern: &str, address: &str) -> bool {
    crate::plan::address::glob_matches(pattern, address)
}
