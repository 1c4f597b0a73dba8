//! Who takes a lock when the configuration does not say: the CI actor or the local user.

/// Environment variables consulted in order for a lock's default owner.
pub const OWNER_VARIABLES: &[&str] = &[
    "GUARDRAIL_OWNER",
    "GITHUB_ACTOR",
    "GITLAB_USER_LOGIN",
    "BUILDKITE_BUILD_CREATOR",
    "CIRCLE_USERNAME",
    "USER",
    "USERNAME",
];

/// The default owner from `lookup` (normally the process environment), or `"unknown"`.
pub fn default_owner_from(lookup: impl Fn(&str) -> Option<String>) -> String {
    OWNER_VARIABLES
        .iter()
        .filter_map(|name| lookup(name))
        .map(|value| value.trim().to_string())
        .find(|value| !value.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The default owner from the process environment.
pub fn default_owner() -> String {
    default_owner_from(|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_actor_wins_over_the_local_user() {
        let owner = default_owner_from(|name| match name {
            "GITHUB_ACTOR" => Some("octocat".into()),
            "USER" => Some("root".into()),
            _ => None,
        });
        assert_eq!(owner, "octocat");
    }

    #[test]
    fn blank_values_are_skipped() {
        let owner = default_owner_from(|name| match name {
            "GITHUB_ACTOR" => Some("  ".into()),
            "USER" => Some("alice".into()),
            _ => None,
        });
        assert_eq!(owner, "alice");
        assert_eq!(default_owner_from(|_| None), "unknown");
    }
}
