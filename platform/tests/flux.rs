//! The Flux manifests under `flux/`: every document parses, every path a Flux
//! Kustomization, a kustomize `resources` entry or a patch names exists, every
//! `dependsOn` and `sourceRef` names an object that is defined, and every
//! HelmRelease pins an exact chart version.

mod common;

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use serde_yaml::Value;

/// One YAML document and the file it came from.
struct Document {
    file: PathBuf,
    value: Value,
}

impl Document {
    fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or("")
    }

    fn api_group(&self) -> &str {
        self.value["apiVersion"]
            .as_str()
            .and_then(|api| api.split('/').next())
            .unwrap_or("")
    }

    fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or("")
    }

    fn namespace(&self) -> &str {
        self.value["metadata"]["namespace"].as_str().unwrap_or("")
    }
}

fn load(root: &Path, problems: &mut Vec<String>) -> Vec<Document> {
    let mut documents = Vec::new();
    for file in common::files_under(root, &[".yaml", ".yml"]) {
        let text = std::fs::read_to_string(&file).expect("read a YAML file");
        for (index, document) in serde_yaml::Deserializer::from_str(&text).enumerate() {
            match Value::deserialize(document) {
                Ok(Value::Null) => {}
                Ok(value) => documents.push(Document {
                    file: file.clone(),
                    value,
                }),
                Err(error) => problems.push(format!(
                    "{} (document {}): not valid YAML: {error}",
                    file.display(),
                    index + 1
                )),
            }
        }
    }
    documents
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A kustomize `resources` entry resolves to a manifest file or to a folder
/// holding a `kustomization.yaml`.
fn resolves_as_resource(base: &Path, entry: &str) -> bool {
    let target = base.join(entry);
    target.is_file() || target.join("kustomization.yaml").is_file()
}

/// A Flux Kustomization path is a folder with a `kustomization.yaml`, or with
/// manifests from which Flux generates one.
fn holds_manifests(folder: &Path) -> bool {
    folder.is_dir() && !common::files_under(folder, &[".yaml", ".yml"]).is_empty()
}

/// Every reference and every chart version under `flux` (the folder at `root`,
/// with `repo` the repository root that Flux paths are relative to).
fn check(repo: &Path, root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let documents = load(root, &mut problems);
    let exact_version = Regex::new(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$").expect("valid regex");

    for document in &documents {
        let file = document.file.display();
        let base = document.file.parent().expect("a file has a folder");
        match (document.api_group(), document.kind()) {
            ("kustomize.config.k8s.io", "Kustomization") => {
                for entry in strings(&document.value["resources"]) {
                    if !resolves_as_resource(base, &entry) {
                        problems.push(format!(
                            "{file}: resources: `{entry}` is neither a file nor a folder with a kustomization.yaml"
                        ));
                    }
                }
                for patch in document.value["patches"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                {
                    if let Some(path) = patch["path"].as_str() {
                        if !base.join(path).is_file() {
                            problems.push(format!("{file}: patches.path: `{path}` does not exist"));
                        }
                    }
                }
            }
            ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
                let name = document.name();
                match document.value["spec"]["path"].as_str() {
                    Some(path) if holds_manifests(&repo.join(path)) => {}
                    Some(path) => problems.push(format!(
                        "{file}: Kustomization {name}: spec.path `{path}` holds no manifests"
                    )),
                    None => problems.push(format!(
                        "{file}: Kustomization {name}: spec.path is missing"
                    )),
                }
                let siblings: Vec<&Document> = documents
                    .iter()
                    .filter(|other| {
                        other.file.parent() == Some(base)
                            || other.file.parent().and_then(Path::parent) == Some(base)
                    })
                    .collect();
                for dependency in document.value["spec"]["dependsOn"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                {
                    let wanted = dependency["name"].as_str().unwrap_or("");
                    let defined = siblings.iter().any(|other| {
                        other.kind() == "Kustomization"
                            && other.api_group() == "kustomize.toolkit.fluxcd.io"
                            && other.name() == wanted
                    });
                    if !defined {
                        problems.push(format!(
                            "{file}: Kustomization {name}: dependsOn `{wanted}` is not defined for this cluster"
                        ));
                    }
                }
                let source = &document.value["spec"]["sourceRef"];
                let (kind, source_name) = (
                    source["kind"].as_str().unwrap_or(""),
                    source["name"].as_str().unwrap_or(""),
                );
                if !siblings
                    .iter()
                    .any(|other| other.kind() == kind && other.name() == source_name)
                {
                    problems.push(format!(
                        "{file}: Kustomization {name}: sourceRef {kind}/{source_name} is not defined for this cluster"
                    ));
                }
            }
            ("helm.toolkit.fluxcd.io", "HelmRelease") => {
                let name = document.name();
                let chart = &document.value["spec"]["chart"]["spec"];
                if chart.is_null() {
                    // A patch of a HelmRelease defined elsewhere.
                    continue;
                }
                match chart["version"].as_str() {
                    Some(version) if exact_version.is_match(version) => {}
                    Some(version) => problems.push(format!(
                        "{file}: HelmRelease {name}: spec.chart.spec.version: expected an exact version, got `{version}`"
                    )),
                    None => problems.push(format!(
                        "{file}: HelmRelease {name}: spec.chart.spec.version: expected an exact version, found none"
                    )),
                }
                let source = &chart["sourceRef"];
                let source_name = source["name"].as_str().unwrap_or("");
                let source_namespace = source["namespace"].as_str().unwrap_or(document.namespace());
                let defined = documents.iter().any(|other| {
                    other.kind() == "HelmRepository"
                        && other.name() == source_name
                        && other.namespace() == source_namespace
                });
                if !defined {
                    problems.push(format!(
                        "{file}: HelmRelease {name}: sourceRef HelmRepository {source_namespace}/{source_name} is not defined"
                    ));
                }
            }
            _ => {}
        }
    }
    problems
}

fn flux_root() -> PathBuf {
    common::repo_path("flux")
}

#[test]
fn every_flux_reference_resolves_and_every_chart_is_pinned() {
    let problems = check(&guardrail_testkit::tools::workspace_root(), &flux_root());
    assert!(
        problems.is_empty(),
        "flux problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn each_cluster_reconciles_infrastructure_before_apps() {
    let mut problems = Vec::new();
    let documents = load(&flux_root(), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    for cluster in ["staging", "production"] {
        let folder = flux_root().join("clusters").join(cluster);
        let in_cluster = |name: &str| {
            documents
                .iter()
                .find(|document| {
                    document.file.starts_with(&folder)
                        && document.api_group() == "kustomize.toolkit.fluxcd.io"
                        && document.name() == name
                })
                .unwrap_or_else(|| panic!("cluster {cluster} must define the Kustomization {name}"))
        };
        let depends_on = |name: &str| -> Vec<String> {
            in_cluster(name).value["spec"]["dependsOn"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|entry| entry["name"].as_str().map(str::to_string))
                .collect()
        };
        assert_eq!(
            depends_on("infra-configs"),
            ["infra-controllers"],
            "{cluster}"
        );
        assert_eq!(depends_on("apps"), ["infra-configs"], "{cluster}");
        assert_eq!(
            in_cluster("apps").value["spec"]["path"].as_str(),
            Some(format!("./flux/apps/{cluster}").as_str()),
            "{cluster} must reconcile its own overlay"
        );
        assert!(folder.join("flux-system/kustomization.yaml").is_file());
    }
}

/// The checks can fail: a broken copy of `flux/` is reported file by file.
#[test]
fn broken_references_and_floating_versions_are_reported() {
    let copy = tempfile::tempdir().expect("a temporary folder");
    common::copy_into("flux", copy.path());
    let root = copy.path().join("flux");
    let release = root.join("apps/base/podinfo/release.yaml");
    let text = std::fs::read_to_string(&release).expect("read the podinfo release");
    std::fs::write(
        &release,
        text.replace("version: \"6.7.1\"", "version: \">=6.0.0\""),
    )
    .expect("write the broken release");
    std::fs::remove_file(root.join("infrastructure/configs/cluster-issuers.yaml"))
        .expect("remove a resource");
    std::fs::remove_dir_all(root.join("apps/production")).expect("remove an overlay");
    let infrastructure = root.join("clusters/staging/infrastructure.yaml");
    let text = std::fs::read_to_string(&infrastructure).expect("read infrastructure.yaml");
    std::fs::write(
        &infrastructure,
        text.replace("- name: infra-controllers", "- name: infra-controller"),
    )
    .expect("write the broken dependency");

    let problems = check(copy.path(), &root);
    for expected in [
        "release.yaml: HelmRelease podinfo: spec.chart.spec.version: expected an exact version, got `>=6.0.0`",
        "configs/kustomization.yaml: resources: `cluster-issuers.yaml`",
        "production/apps.yaml: Kustomization apps: spec.path `./flux/apps/production`",
        "staging/infrastructure.yaml: Kustomization infra-configs: dependsOn `infra-controller`",
    ] {
        assert!(
            problems.iter().any(|problem| problem.contains(expected)),
            "expected a problem containing {expected:?}, got:\n{}",
            problems.join("\n")
        );
    }
}
