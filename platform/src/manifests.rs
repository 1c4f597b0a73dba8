//! Reading the GitOps tree: the tools `make setup` installs, the Flux Kustomization
//! paths of the cluster entry, rendering a path with `kubectl kustomize`, and the YAML
//! documents of a stream.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use yaml_serde::Value;

/// The one cluster entry: what the FluxInstance syncs.
pub const CLUSTER: &str = "flux/clusters/hetzner";
/// The environment namespaces, each reconciled from `flux/apps/ENV`.
pub const ENVIRONMENTS: [&str; 3] = ["develop", "staging", "production"];

/// The repository root, from this crate's own manifest folder (`platform/`), so the
/// checks read the tree they were compiled from.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("platform/ lives one level below the repository root")
        .to_path_buf()
}

/// A tool from `.tools/bin` (where `make setup` links it), else from PATH.
pub fn tool(name: &str) -> PathBuf {
    let local = repo_root().join(".tools/bin").join(name);
    if local.is_file() {
        return local;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("`{name}` is missing: run `make setup` (scripts/setup.sh installs it)");
}

/// Runs a command; Ok(stdout) when it exits 0, else Err(stdout and stderr).
pub fn run(command: &mut Command) -> Result<String, String> {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("run {command:?}: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!("{stdout}{stderr}"))
    }
}

/// Every YAML document of a stream (empty documents skipped).
pub fn documents(text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|document| Value::deserialize(document).expect("valid YAML"))
        .filter(|value| !value.is_null())
        .collect()
}

pub fn str_of<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    let mut current = value;
    for key in path {
        current = &current[*key];
    }
    current.as_str().unwrap_or("")
}

/// The Flux Kustomization paths under `root`: the cluster entry itself (the
/// FluxInstance's sync path) and the `spec.path` of every Flux Kustomization in it,
/// as (name, repository-relative path).
pub fn flux_paths(root: &Path) -> Vec<(String, String)> {
    let mut paths = vec![("flux-system".to_string(), CLUSTER.to_string())];
    let rendered = render(root, CLUSTER).unwrap_or_else(|error| panic!("{error}"));
    for document in documents(&rendered) {
        if str_of(&document, &["kind"]) == "Kustomization"
            && str_of(&document, &["apiVersion"]).starts_with("kustomize.toolkit.fluxcd.io/")
        {
            let path = str_of(&document, &["spec", "path"]).trim_start_matches("./");
            paths.push((
                str_of(&document, &["metadata", "name"]).to_string(),
                path.to_string(),
            ));
        }
    }
    paths
}

/// `kubectl kustomize` of a repository-relative path under `root`.
pub fn render(root: &Path, path: &str) -> Result<String, String> {
    run(Command::new(tool("kubectl"))
        .arg("kustomize")
        .arg(root.join(path)))
    .map_err(|error| format!("kubectl kustomize {path} failed: {error}"))
}

/// Every object of every Flux Kustomization path, with the name of the Kustomization
/// that applies it.
pub fn rendered_tree(root: &Path) -> Vec<(String, Value)> {
    let mut objects = Vec::new();
    for (name, path) in flux_paths(root) {
        let rendered = render(root, &path).unwrap_or_else(|error| panic!("{error}"));
        for document in documents(&rendered) {
            objects.push((name.clone(), document));
        }
    }
    objects
}

/// Every `.yaml`/`.yml` file under `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
