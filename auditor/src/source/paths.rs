//! File names of a configuration: lexical normalisation, relative to the
//! working directory, written with `/`.

use std::path::{Component, Path, PathBuf};

/// Removes `.` and resolves `..` lexically (without touching the file system, so
/// the names stay relative when the source directory is relative).
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}

/// An absolute path inside the working directory made relative to it, so that
/// file names stay relative to the repository root when the audit runs there.
pub(super) fn relative_to_cwd(path: &Path) -> PathBuf {
    if path.is_absolute() {
        if let Ok(cwd) = std::env::current_dir() {
            if let Ok(relative) = path.strip_prefix(&cwd) {
                return normalize(relative);
            }
        }
    }
    path.to_path_buf()
}

pub(super) fn path_to_slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// `path` (relative paths read from the working directory) relative to `root`,
/// written with `/`; `None` when it is outside `root`. Symbolic links are
/// resolved only when the lexical comparison fails.
pub fn relative_to_root(path: &Path, root: &Path) -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let absolute = normalize(&cwd.join(path));
    let root = normalize(&cwd.join(root));
    if let Ok(relative) = absolute.strip_prefix(&root) {
        return Some(path_to_slash(&normalize(relative)));
    }
    let real_root = std::fs::canonicalize(&root).ok()?;
    let real_path = std::fs::canonicalize(&absolute).ok()?;
    let relative = real_path.strip_prefix(&real_root).ok()?;
    Some(path_to_slash(&normalize(relative)))
}
