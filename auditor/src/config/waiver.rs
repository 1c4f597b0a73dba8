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
/// other character stands for itself.
pub fn address_matches(pattern: &str, address: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let address: Vec<char> = address.chars().collect();
    let (mut p, mut a) = (0, 0);
    // The last `*` seen and the address position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while a < address.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, a));
                p += 1;
            }
            Some('?') => {
                p += 1;
                a += 1;
            }
            Some(c) if *c == address[a] => {
                p += 1;
                a += 1;
            }
            _ => match star {
                Some((star_p, star_a)) => {
                    p = star_p + 1;
                    a = star_a + 1;
                    star = Some((star_p, star_a + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}
