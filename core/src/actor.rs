//! Who is acting: the one answer every audit record, lock and spent marker gives.
//!
//! In order: an explicit `GUARDRAIL_ACTOR`; a CI identity (the CI system's user
//! together with where it ran, such as `github:octocat (acme/infra run 42)`); else
//! the operating-system user and host (`alice@laptop`). Never `unknown`: when no
//! user name can be found the numeric uid stands in for it.

/// The variable that names the actor explicitly.
pub const ACTOR_ENV: &str = "GUARDRAIL_ACTOR";

/// The actor from the process environment and the operating system.
pub fn current() -> String {
    resolve(&|name| std::env::var(name).ok(), &os_identity)
}

/// The actor from `lookup` (environment variables) and `os` (user, host).
pub fn resolve(
    lookup: &dyn Fn(&str) -> Option<String>,
    os: &dyn Fn() -> (String, String),
) -> String {
    let get = |name: &str| {
        lookup(name)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
    };
    if let Some(explicit) = get(ACTOR_ENV) {
        return explicit;
    }
    if let Some(user) = get("GITHUB_ACTOR") {
        let place = match (get("GITHUB_REPOSITORY"), get("GITHUB_RUN_ID")) {
            (Some(repository), Some(run)) => format!(" ({repository} run {run})"),
            (Some(repository), None) => format!(" ({repository})"),
            _ => String::new(),
        };
        return format!("github:{user}{place}");
    }
    for (system, variable) in [
        ("gitlab", "GITLAB_USER_LOGIN"),
        ("buildkite", "BUILDKITE_BUILD_CREATOR"),
        ("circleci", "CIRCLE_USERNAME"),
    ] {
        if let Some(user) = get(variable) {
            return format!("{system}:{user}");
        }
    }
    let (os_user, host) = os();
    let user = get("USER")
        .or_else(|| get("USERNAME"))
        .or_else(|| Some(os_user).filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "uid-unknown".to_string());
    if host.is_empty() {
        user
    } else {
        format!("{user}@{host}")
    }
}

/// The operating-system user (by uid) and host name; empty strings where unknown.
#[cfg(unix)]
fn os_identity() -> (String, String) {
    let uid = unsafe_free_uid();
    let user = passwd_name(uid).unwrap_or_else(|| format!("uid-{uid}"));
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    (user, host)
}

#[cfg(not(unix))]
fn os_identity() -> (String, String) {
    (
        std::env::var("USERNAME").unwrap_or_default(),
        std::env::var("COMPUTERNAME").unwrap_or_default(),
    )
}

/// The real uid, read from `/proc/self/status` (no `unsafe` needed).
#[cfg(unix)]
fn unsafe_free_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().next())
                .and_then(|uid| uid.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

/// The user name of `uid` in `/etc/passwd`.
#[cfg(unix)]
fn passwd_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        (fields.next()?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> String {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(
            &move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            &|| ("alice".to_string(), "laptop".to_string()),
        )
    }

    #[test]
    fn the_explicit_actor_wins() {
        assert_eq!(
            with(&[
                ("GUARDRAIL_ACTOR", "release-bot"),
                ("GITHUB_ACTOR", "octocat")
            ]),
            "release-bot"
        );
    }

    #[test]
    fn ci_identities_name_the_system_and_the_run() {
        assert_eq!(
            with(&[
                ("GITHUB_ACTOR", "octocat"),
                ("GITHUB_REPOSITORY", "acme/infra"),
                ("GITHUB_RUN_ID", "42"),
                ("USER", "runner"),
            ]),
            "github:octocat (acme/infra run 42)"
        );
        assert_eq!(with(&[("GITLAB_USER_LOGIN", "gl")]), "gitlab:gl");
    }

    #[test]
    fn a_local_user_is_named_with_the_host() {
        assert_eq!(with(&[("USER", "bob")]), "bob@laptop");
        assert_eq!(with(&[]), "alice@laptop");
        assert_eq!(with(&[("USER", "  ")]), "alice@laptop");
    }

    #[test]
    fn the_current_actor_is_never_unknown() {
        let actor = current();
        assert!(!actor.is_empty());
        assert_ne!(actor, "unknown");
    }
}
