//! Which packages `--namespace` and `--all-namespaces` select, matched as
//! conftest matches them (Go's `path.Match` on a package name: `*`, `?`,
//! `[a-z]`/`[^a-z]` classes, `\\` escapes, and `*` crossing dots).
//!
//! Why not a crate: the workspace's `wildmatch` has no character classes, and
//! glob crates for paths (`globset`, `glob`) stop `*` at separators or need
//! options that still differ from Go's class syntax and errors; this file is
//! the small matcher conftest's semantics need.

use super::{PolicyError, PolicyOptions, DEFAULT_NAMESPACE};

/// The packages `options` select among the `declared` ones, and the names
/// asked for that none declares.
pub(super) fn select_namespaces(
    declared: &[String],
    options: &PolicyOptions,
) -> Result<(Vec<String>, Vec<String>), PolicyError> {
    if options.all_namespaces {
        return Ok((declared.to_vec(), Vec::new()));
    }
    let default = [DEFAULT_NAMESPACE.to_string()];
    let patterns = if options.namespaces.is_empty() {
        &default[..]
    } else {
        &options.namespaces[..]
    };
    let mut selected = Vec::new();
    let mut missing = Vec::new();
    for pattern in patterns {
        let glob = pattern.contains(['*', '?', '[']);
        if glob {
            validate_glob(pattern.as_bytes()).map_err(|message| PolicyError::Namespace {
                pattern: pattern.clone(),
                message,
            })?;
        }
        let mut matched = false;
        for package in declared {
            let hit = if glob {
                glob_match(pattern.as_bytes(), package.as_bytes()).map_err(|message| {
                    PolicyError::Namespace {
                        pattern: pattern.clone(),
                        message,
                    }
                })?
            } else {
                pattern == package
            };
            if hit {
                matched = true;
                if !selected.contains(package) {
                    selected.push(package.clone());
                }
            }
        }
        if !matched && !missing.contains(pattern) {
            missing.push(pattern.clone());
        }
    }
    selected.sort();
    Ok((selected, missing))
}

/// A namespace glob as conftest matches one (Go's `path.Match` on a name
/// without slashes): `*` any run of characters, dots too, `?` one character,
/// `[abc]`, `[a-z]`, `[^a-z]` one of (or none of) a class, `\\` escapes.
fn glob_match(pattern: &[u8], name: &[u8]) -> Result<bool, String> {
    let Some((&first, rest)) = pattern.split_first() else {
        return Ok(name.is_empty());
    };
    match first {
        b'*' => {
            for skip in 0..=name.len() {
                if glob_match(rest, &name[skip..])? {
                    return Ok(true);
                }
            }
            // An invalid class later in the pattern is an error even when
            // nothing matches, as in Go.
            Ok(false)
        }
        b'?' => match name.split_first() {
            Some((_, name_rest)) => glob_match(rest, name_rest),
            None => Ok(false),
        },
        b'[' => {
            let (matches, after) = class(rest, name.first().copied())?;
            match name.split_first() {
                Some((_, name_rest)) if matches => glob_match(after, name_rest),
                _ => Ok(false),
            }
        }
        b'\\' => match rest.split_first() {
            Some((&literal, after)) => match name.split_first() {
                Some((&c, name_rest)) if c == literal => glob_match(after, name_rest),
                _ => Ok(false),
            },
            None => Err("the pattern ends with `\\`".into()),
        },
        literal => match name.split_first() {
            Some((&c, name_rest)) if c == literal => glob_match(rest, name_rest),
            _ => Ok(false),
        },
    }
}

/// Checks a glob's classes and escapes before it matches anything.
fn validate_glob(mut pattern: &[u8]) -> Result<(), String> {
    while let Some((&first, rest)) = pattern.split_first() {
        pattern = match first {
            b'[' => class(rest, None)?.1,
            b'\\' => match rest.split_first() {
                Some((_, after)) => after,
                None => return Err("the pattern ends with `\\`".into()),
            },
            _ => rest,
        };
    }
    Ok(())
}

/// Matches one character against the class starting after `[`; returns the
/// answer and the pattern after `]`.
fn class(pattern: &[u8], c: Option<u8>) -> Result<(bool, &[u8]), String> {
    let unclosed = || "a `[` class is not closed with `]`".to_string();
    let (negated, mut rest) = match pattern.split_first() {
        Some((b'^', rest)) => (true, rest),
        _ => (false, pattern),
    };
    let mut matched = false;
    let mut first = true;
    loop {
        let (&low, after) = rest.split_first().ok_or_else(unclosed)?;
        if low == b']' && !first {
            rest = after;
            break;
        }
        if low == b']' {
            return Err("a `[]` class is empty".into());
        }
        first = false;
        let (low, after) = if low == b'\\' {
            let (&escaped, after) = after.split_first().ok_or_else(unclosed)?;
            (escaped, after)
        } else {
            (low, after)
        };
        let (high, after) = match after {
            [b'-', high, tail @ ..] if *high != b']' => (*high, tail),
            _ => (low, after),
        };
        if c.is_some_and(|c| low <= c && c <= high) {
            matched = true;
        }
        rest = after;
    }
    Ok((matched != negated, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_globs_match_as_conftest() {
        let glob = |pattern: &str, name: &str| glob_match(pattern.as_bytes(), name.as_bytes());
        assert_eq!(glob("k8s.*", "k8s.simple.deployment"), Ok(true));
        assert_eq!(glob("*", "main"), Ok(true));
        assert_eq!(glob("ma?n", "main"), Ok(true));
        assert_eq!(glob("ma?n", "maiin"), Ok(false));
        assert_eq!(glob("[a-m]ain", "main"), Ok(true));
        assert_eq!(glob("[^a-m]ain", "main"), Ok(false));
        assert_eq!(glob("\\*", "*"), Ok(true));
        assert!(validate_glob(b"ma[in").is_err());
        assert!(validate_glob(b"x\\").is_err());
        assert!(validate_glob(b"[]").is_err());
    }
}
