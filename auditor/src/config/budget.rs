//! `[budget]` and `--budget`: limits on destroys, replacements and changes.

/// Limits from `[budget]` or `--budget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetLimits {
    pub destroy: Option<u64>,
    pub replace: Option<u64>,
    pub changes: Option<u64>,
}

impl BudgetLimits {
    pub fn is_empty(&self) -> bool {
        self.destroy.is_none() && self.replace.is_none() && self.changes.is_none()
    }

    /// `other`'s limits where set, else these.
    pub fn overridden_by(self, other: BudgetLimits) -> BudgetLimits {
        BudgetLimits {
            destroy: other.destroy.or(self.destroy),
            replace: other.replace.or(self.replace),
            changes: other.changes.or(self.changes),
        }
    }

    /// Parses `destroy=N,replace=N,changes=N` (any subset).
    pub fn parse_flag(text: &str) -> Result<BudgetLimits, String> {
        let mut limits = BudgetLimits::default();
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let Some((name, value)) = part.split_once('=') else {
                return Err(format!(
                    "--budget `{part}`: expected NAME=N with NAME one of destroy, replace, changes"
                ));
            };
            let value: u64 = value.trim().parse().map_err(|_| {
                format!("--budget `{part}`: expected a whole number of zero or more")
            })?;
            let slot = match name.trim() {
                "destroy" => &mut limits.destroy,
                "replace" => &mut limits.replace,
                "changes" => &mut limits.changes,
                other => {
                    return Err(format!(
                        "--budget: unknown limit `{other}`; expected destroy, replace or changes"
                    ))
                }
            };
            *slot = Some(value);
        }
        if limits.is_empty() {
            return Err("--budget: expected destroy=N, replace=N and/or changes=N".into());
        }
        Ok(limits)
    }
}
