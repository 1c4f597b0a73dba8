//! Helpers of the GitOps checks (`gitops.rs`, `alerts.rs`): the tools `make setup`
//! installs, the Flux Kustomization paths of the cluster entry, rendering a path with
//! `kubectl kustomize`, and copies of the files the checks read, so a test can break a
//! copy and see the check fail.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

// Each test file uses some of these.
#[allow(unused_imports)]
pub use platform_checks::manifests::{
    documents, flux_paths, render, repo_root, run, str_of, tool, ENVIRONMENTS,
};

/// The Python of `.tools/venv`, which has kubernetes-validate and the CRD models.
pub fn python() -> PathBuf {
    let python = repo_root().join(".tools/venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `make setup`",
        python.display()
    );
    python
}

/// A temporary copy of what the GitOps checks read: `flux/`, the runbooks, the
/// manifest validator and the lint configurations.
pub fn copy_of_repo() -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("a temporary folder");
    for folder in ["flux", "docs/runbooks"] {
        copy_folder(&repo_root().join(folder), &copy.path().join(folder));
    }
    for file in ["scripts/validate_manifests.py", ".yamllint", ".sops.yaml"] {
        let target = copy.path().join(file);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("create folders");
        std::fs::copy(repo_root().join(file), &target).expect("copy a file");
    }
    copy
}

pub fn copy_folder(source: &Path, target: &Path) {
    std::fs::create_dir_all(target).expect("create a folder");
    for entry in std::fs::read_dir(source).expect("read a folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_folder(&path, &target.join(entry.file_name()));
        } else {
            std::fs::copy(&path, target.join(entry.file_name())).expect("copy a file");
        }
    }
}

/// Replaces `from` (which must occur) by `to` in the file `relative` under `root`.
pub fn edit(root: &Path, relative: &str, from: &str, to: &str) {
    let path = root.join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{relative}: {error}"));
    assert!(text.contains(from), "{relative} does not contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write the edited file");
}

/// Asserts that every expected fragment occurs in one of the problems.
pub fn assert_reported(problems: &[String], expected: &[&str]) {
    for fragment in expected {
        assert!(
            problems.iter().any(|problem| problem.contains(fragment)),
            "expected a problem containing {fragment:?}, got:\n{}",
            problems.join("\n")
        );
    }
}
