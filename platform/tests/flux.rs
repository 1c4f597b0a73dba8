//! The Flux manifests under `flux/`: every document parses, every path a Flux
//! Kustomization, a kustomize `resources` entry or a patch names exists, every
//! `dependsOn` and `sourceRef` names an object that is defined, and every
//! HelmRelease pins an exact chart version. And the layout: one cluster entry,
//! `flux/clusters/hetzner`, synced by the FluxInstance that Terraform installs (so no
//! `gotk-components.yaml`), reconciling infrastructure (controllers, then configs),
//! image automation and one apps Kustomization per environment namespace.

mod common;
mod gitops_support;

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use yaml_serde::Value;

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
        for (index, document) in yaml_serde::Deserializer::from_str(&text).enumerate() {
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
                // The FluxInstance's sync creates the GitRepository `flux-system`.
                let from_flux_instance = kind == "GitRepository" && source_name == "flux-system";
                if !from_flux_instance
                    && !siblings
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
    gitops_support::repo_root().join("flux")
}

#[test]
fn every_flux_reference_resolves_and_every_chart_is_pinned() {
    let problems = check(&gitops_support::repo_root(), &flux_root());
    assert!(
        problems.is_empty(),
        "flux problems:\n{}",
        problems.join("\n")
    );
}

const CLUSTER: &str = "hetzner";
const ENVIRONMENTS: [&str; 3] = ["develop", "staging", "production"];

/// The layout problems of the cluster entries under `root` (the `flux` folder).
fn layout(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let documents = load(root, &mut problems);
    let clusters: Vec<String> = std::fs::read_dir(root.join("clusters"))
        .map(|entries| {
            entries
                .flatten()
                .filter(|entry| entry.path().is_dir())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if clusters != [CLUSTER] {
        problems.push(format!(
            "flux/clusters: expected the one cluster entry `{CLUSTER}`, found {clusters:?}"
        ));
    }
    for file in common::files_under(root, &[".yaml", ".yml"]) {
        if file
            .file_name()
            .is_some_and(|name| name == "gotk-components.yaml")
        {
            problems.push(format!(
                "{}: Flux is installed by the Flux Operator's FluxInstance, not from Git",
                file.display()
            ));
        }
    }
    let folder = root.join("clusters").join(CLUSTER);
    let flux_kustomizations: Vec<&Document> = documents
        .iter()
        .filter(|document| {
            document.file.starts_with(&folder)
                && document.api_group() == "kustomize.toolkit.fluxcd.io"
                && document.kind() == "Kustomization"
        })
        .collect();
    let find = |name: &str| {
        flux_kustomizations
            .iter()
            .find(|document| document.name() == name)
    };
    let depends_on = |document: &Document| -> Vec<String> {
        strings_at(&document.value["spec"]["dependsOn"], "name")
    };
    let mut expected: Vec<(String, String, Vec<&str>, bool)> = vec![
        (
            "infra-controllers".into(),
            "./flux/infrastructure/controllers".into(),
            vec![],
            false,
        ),
        (
            "infra-configs".into(),
            "./flux/infrastructure/configs".into(),
            vec!["infra-controllers"],
            true,
        ),
        (
            "image-automation".into(),
            "./flux/infrastructure/image-automation".into(),
            vec![],
            false,
        ),
    ];
    for environment in ENVIRONMENTS {
        expected.push((
            format!("apps-{environment}"),
            format!("./flux/apps/{environment}"),
            vec!["infra-configs"],
            true,
        ));
    }
    for (name, path, dependencies, decrypts) in &expected {
        let Some(document) = find(name) else {
            problems.push(format!("cluster {CLUSTER}: no Flux Kustomization {name}"));
            continue;
        };
        let spec = &document.value["spec"];
        if spec["path"].as_str() != Some(path.as_str()) {
            problems.push(format!("Kustomization {name}: spec.path is not {path}"));
        }
        if depends_on(document) != *dependencies {
            problems.push(format!(
                "Kustomization {name}: dependsOn {:?}, expected {dependencies:?}",
                depends_on(document)
            ));
        }
        for field in ["interval", "retryInterval", "timeout"] {
            if spec[field].as_str().is_none() {
                problems.push(format!("Kustomization {name}: spec.{field} is not set"));
            }
        }
        for field in ["prune", "wait"] {
            if spec[field].as_bool() != Some(true) {
                problems.push(format!("Kustomization {name}: spec.{field} is not true"));
            }
        }
        if name != "infra-controllers"
            && spec["healthChecks"]
                .as_sequence()
                .is_none_or(|checks| checks.is_empty())
        {
            problems.push(format!("Kustomization {name}: no healthChecks"));
        }
        let decryption = &spec["decryption"];
        let sops = decryption["provider"].as_str() == Some("sops")
            && decryption["secretRef"]["name"].as_str() == Some("sops-age");
        if *decrypts && !sops {
            problems.push(format!(
                "Kustomization {name}: decryption is not provider sops with secretRef sops-age"
            ));
        }
    }
    if !folder.join("kustomization.yaml").is_file() {
        problems.push(format!(
            "cluster {CLUSTER}: no kustomization.yaml listing what the FluxInstance syncs"
        ));
    }
    if !folder.join("README.md").is_file() {
        problems.push(format!("cluster {CLUSTER}: no README.md"));
    }
    problems
}

fn strings_at(value: &Value, key: &str) -> Vec<String> {
    value
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry[key].as_str().map(str::to_string))
        .collect()
}

#[test]
fn one_cluster_reconciles_infrastructure_then_each_environment() {
    let problems = layout(&flux_root());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checks can fail: a broken copy of `flux/` is reported file by file.
#[test]
fn broken_references_floating_versions_and_layout_are_reported() {
    let copy = tempfile::tempdir().expect("a temporary folder");
    let root = copy.path().join("flux");
    gitops_support::copy_folder(&flux_root(), &root);
    let write = |relative: &str, from: &str, to: &str| {
        let path = root.join(relative);
        let text = std::fs::read_to_string(&path).expect("read a file");
        assert!(text.contains(from), "{relative} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write the broken file");
    };
    write(
        "infrastructure/controllers/cert-manager.yaml",
        "version: \"v1.16.2\"",
        "version: \">=1.16.0\"",
    );
    std::fs::remove_file(root.join("infrastructure/configs/cluster-issuers.yaml"))
        .expect("remove a resource");
    std::fs::remove_dir_all(root.join("apps/production")).expect("remove an overlay");
    write(
        "clusters/hetzner/infrastructure.yaml",
        "- name: infra-controllers",
        "- name: infra-controller",
    );
    write(
        "clusters/hetzner/apps.yaml",
        "  prune: true\n",
        "  prune: false\n",
    );
    write(
        "clusters/hetzner/apps.yaml",
        "      name: sops-age\n",
        "      name: age-key\n",
    );
    std::fs::create_dir_all(root.join("clusters/staging/flux-system")).expect("a second cluster");
    std::fs::write(
        root.join("clusters/staging/flux-system/gotk-components.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n",
    )
    .expect("write a placeholder component file");

    let mut problems = check(copy.path(), &root);
    problems.extend(layout(&root));
    for expected in [
        "cert-manager.yaml: HelmRelease cert-manager: spec.chart.spec.version: expected an exact version, got `>=1.16.0`",
        "configs/kustomization.yaml: resources: `cluster-issuers.yaml`",
        "hetzner/apps.yaml: Kustomization apps-production: spec.path `./flux/apps/production`",
        "hetzner/infrastructure.yaml: Kustomization infra-configs: dependsOn `infra-controller`",
        "Kustomization infra-configs: dependsOn [\"infra-controller\"], expected [\"infra-controllers\"]",
        "Kustomization apps-develop: spec.prune is not true",
        "Kustomization apps-develop: decryption is not provider sops with secretRef sops-age",
        "flux/clusters: expected the one cluster entry `hetzner`",
        "gotk-components.yaml: Flux is installed by the Flux Operator's FluxInstance",
    ] {
        assert!(
            problems.iter().any(|problem| problem.contains(expected)),
            "expected a problem containing {expected:?}, got:\n{}",
            problems.join("\n")
        );
    }
}
