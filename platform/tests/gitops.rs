//! The rendered GitOps tree, checked with real tools:
//!
//! * every Flux Kustomization path of the cluster entry builds with `kubectl kustomize`;
//! * every rendered object validates against its published schema with unknown fields
//!   rejected (`scripts/validate_manifests.py`: kubernetes-validate's strict schemas for
//!   built-in kinds, the cloudcoil models generated from the Flux, cert-manager and
//!   prometheus-operator CRDs for theirs; a kind with no schema is an error);
//! * the platform policy over the rendered objects: hardening of every workload in an
//!   environment namespace, autoscaling and a disruption budget in staging and
//!   production, pinned charts, image policy markers, no plaintext Secret;
//! * `yamllint --strict` on `flux/`, `shellcheck` on every shell script.
//!
//! Each check has a broken case: a copy of the files with one thing broken, and the
//! problem the check must report.

mod gitops_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use gitops_support::{
    assert_reported, copy_of_repo, documents, edit, flux_paths, python, render, rendered_tree,
    repo_root, run, str_of, tool, ENVIRONMENTS,
};
use regex::Regex;
use serde_yaml::Value;

/// The Kubernetes minor version the schemas are taken for (kube-hetzner's k3s channel).
const KUBERNETES_VERSION: &str = "1.33";

// ---------------------------------------------------------------------------
// Build and schema validation

/// Renders every Flux path under `root` and validates the objects; the problems found.
fn build_and_validate(root: &Path) -> Vec<String> {
    let out = tempfile::tempdir().expect("a temporary folder");
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for (name, path) in flux_paths(root) {
        match render(root, &path) {
            Ok(rendered) => {
                let file = out.path().join(format!("{name}.yaml"));
                std::fs::write(&file, rendered).expect("write the rendered path");
                files.push(file);
            }
            Err(error) => problems.push(format!("Kustomization {name}: {error}")),
        }
    }
    if let Err(report) = run(Command::new(python())
        .arg(root.join("scripts/validate_manifests.py"))
        .args(["--kubernetes-version", KUBERNETES_VERSION])
        .args(&files))
    {
        problems.extend(
            report
                .lines()
                .filter(|line| line.starts_with("ERROR") || line.contains("Error"))
                .map(str::to_string),
        );
        if problems.is_empty() {
            problems.push(report);
        }
    }
    problems
}

#[test]
fn every_flux_path_builds_and_validates_against_published_schemas() {
    let paths = flux_paths(&repo_root());
    let names: BTreeSet<&str> = paths.iter().map(|(name, _)| name.as_str()).collect();
    for expected in [
        "flux-system",
        "infra-controllers",
        "infra-configs",
        "image-automation",
        "apps-develop",
        "apps-staging",
        "apps-production",
    ] {
        assert!(
            names.contains(expected),
            "no Flux path {expected}: {names:?}"
        );
    }
    let problems = build_and_validate(&repo_root());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_path_that_does_not_build_or_an_unknown_field_is_reported() {
    let copy = copy_of_repo();
    let root = copy.path();
    // A resource that kustomize cannot find.
    edit(
        root,
        "flux/infrastructure/image-automation/kustomization.yaml",
        "  - podinfo-policies.yaml\n",
        "  - podinfo-policies.yaml\n  - missing.yaml\n",
    );
    // A field the Deployment schema does not have.
    edit(
        root,
        "flux/apps/base/podinfo/deployment.yaml",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: true\n            readOnlyRoot: true",
    );
    // A field the Flux Kustomization schema does not have, and a wrong type in a CRD kind.
    edit(
        root,
        "flux/clusters/hetzner/apps.yaml",
        "  path: ./flux/apps/staging\n",
        "  path: ./flux/apps/staging\n  healthcheck: true\n",
    );
    edit(
        root,
        "flux/infrastructure/configs/cluster-issuers.yaml",
        "email: platform@example.org",
        "email: [platform@example.org]",
    );
    let problems = build_and_validate(root);
    assert_reported(
        &problems,
        &[
            "Kustomization image-automation: kubectl kustomize flux/infrastructure/image-automation failed",
            "Deployment/podinfo: spec.template.spec.containers.0.securityContext: Additional properties are not allowed ('readOnlyRoot' was unexpected)",
            "Kustomization/apps-staging: spec.healthcheck: unknown field",
            "ClusterIssuer/letsencrypt-staging: spec.acme.email",
        ],
    );
}

// ---------------------------------------------------------------------------
// Platform policy over the rendered tree

const WORKLOAD_KINDS: [&str; 5] = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];

fn pod_spec(object: &Value) -> &Value {
    match str_of(object, &["kind"]) {
        "CronJob" => &object["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &object["spec"]["template"]["spec"],
    }
}

fn template_labels(object: &Value) -> &Value {
    &object["spec"]["template"]["metadata"]["labels"]
}

fn is_true(value: &Value) -> bool {
    value.as_bool() == Some(true)
}

fn is_false(value: &Value) -> bool {
    value.as_bool() == Some(false)
}

/// The hardening every container of an environment workload must carry.
fn container_problems(pod: &Value, container: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let security = &container["securityContext"];
    let pod_security = &pod["securityContext"];
    if !(is_true(&security["runAsNonRoot"]) || is_true(&pod_security["runAsNonRoot"]))
        || is_false(&security["runAsNonRoot"])
    {
        problems.push("runAsNonRoot is not true".to_string());
    }
    if !is_true(&security["readOnlyRootFilesystem"]) {
        problems.push("securityContext.readOnlyRootFilesystem is not true".to_string());
    }
    if !is_false(&security["allowPrivilegeEscalation"]) {
        problems.push("securityContext.allowPrivilegeEscalation is not false".to_string());
    }
    let drops_all = security["capabilities"]["drop"]
        .as_sequence()
        .is_some_and(|drop| drop.iter().any(|cap| cap.as_str() == Some("ALL")));
    if !drops_all {
        problems.push("securityContext.capabilities.drop does not hold ALL".to_string());
    }
    let seccomp = str_of(security, &["seccompProfile", "type"]);
    let pod_seccomp = str_of(pod_security, &["seccompProfile", "type"]);
    if !(seccomp == "RuntimeDefault" || (seccomp.is_empty() && pod_seccomp == "RuntimeDefault")) {
        problems.push("seccompProfile is not RuntimeDefault".to_string());
    }
    for (section, keys) in [
        ("requests", ["cpu", "memory"]),
        ("limits", ["cpu", "memory"]),
    ] {
        for key in keys {
            if container["resources"][section][key].is_null() {
                problems.push(format!("resources.{section}.{key} is not set"));
            }
        }
    }
    for probe in ["readinessProbe", "livenessProbe"] {
        if container[probe].is_null() {
            problems.push(format!("no {probe}"));
        }
    }
    problems
}

/// Setter markers in the source files under `flux/`: (file, marked field, value, policy).
fn image_markers(root: &Path) -> Vec<(PathBuf, String, String, String)> {
    let marker = Regex::new(
        r##"(image|newTag|newName|digest):\s*"?([^\s"#]+)"?\s*#\s*\{"\$imagepolicy":\s*"([^"]+)"\}"##,
    )
    .expect("valid regex");
    let mut markers = Vec::new();
    for file in yaml_files(&root.join("flux")) {
        let text = std::fs::read_to_string(&file).expect("read a YAML file");
        for capture in marker.captures_iter(&text) {
            markers.push((
                file.clone(),
                capture[1].to_string(),
                capture[2].to_string(),
                capture[3].to_string(),
            ));
        }
    }
    markers
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
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

/// Whether `image` (as rendered by the Flux path `path`) is pinned by a digest or set by
/// a setter marker whose ImagePolicy exists and watches that image's repository.
fn image_is_governed(
    image: &str,
    path: &Path,
    markers: &[(PathBuf, String, String, String)],
    policies: &[(String, String)],
) -> Result<(), String> {
    if image.contains("@sha256:") {
        return Ok(());
    }
    let (repository, tag) = image.rsplit_once(':').unwrap_or((image, ""));
    let policy_watches = |policy: &str| {
        let policy = policy.trim_end_matches(":tag").trim_end_matches(":name");
        policies
            .iter()
            .any(|(name, watched)| name == policy && watched == repository)
    };
    for (file, field, value, policy) in markers {
        let applies = match field.as_str() {
            "image" => value == image,
            // A kustomize `images` entry of a kustomization.yaml inside this path.
            "newTag" => file.starts_with(path) && value == tag,
            _ => false,
        };
        if applies {
            return if policy_watches(policy) {
                Ok(())
            } else {
                Err(format!(
                    "its marker in {} names {policy}, which is not an ImagePolicy of {repository}",
                    file.display()
                ))
            };
        }
    }
    Err("has neither a digest nor an image policy marker".to_string())
}

fn exact_version() -> Regex {
    Regex::new(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$").expect("valid regex")
}

/// A rendered Secret is in plaintext unless SOPS metadata travels with it.
fn is_plaintext_secret(object: &Value) -> bool {
    str_of(object, &["kind"]) == "Secret" && object["sops"].is_null()
}

/// The platform policy over the rendered tree under `root`.
fn policy(root: &Path) -> Vec<String> {
    let objects = rendered_tree(root);
    let mut problems = Vec::new();
    let paths: Vec<(String, String)> = flux_paths(root);
    let source_of = |kustomization: &str| {
        let relative = paths
            .iter()
            .find(|(name, _)| name == kustomization)
            .map(|(_, path)| path.clone())
            .unwrap_or_default();
        root.join(relative)
    };
    let markers = image_markers(root);
    let repositories: Vec<(String, String)> = objects
        .iter()
        .filter(|(_, object)| str_of(object, &["kind"]) == "ImageRepository")
        .map(|(_, object)| {
            (
                str_of(object, &["metadata", "name"]).to_string(),
                str_of(object, &["spec", "image"]).to_string(),
            )
        })
        .collect();
    let policies: Vec<(String, String)> = objects
        .iter()
        .filter(|(_, object)| str_of(object, &["kind"]) == "ImagePolicy")
        .map(|(_, object)| {
            let repository = str_of(object, &["spec", "imageRepositoryRef", "name"]);
            let watched = repositories
                .iter()
                .find(|(name, _)| name == repository)
                .map(|(_, image)| image.clone())
                .unwrap_or_default();
            (
                format!(
                    "{}:{}",
                    str_of(object, &["metadata", "namespace"]),
                    str_of(object, &["metadata", "name"])
                ),
                watched,
            )
        })
        .collect();
    let exact = exact_version();

    for (kustomization, object) in &objects {
        let kind = str_of(object, &["kind"]);
        let name = str_of(object, &["metadata", "name"]);
        let namespace = str_of(object, &["metadata", "namespace"]);
        let what = format!("{kustomization}: {kind} {namespace}/{name}");
        if is_plaintext_secret(object) {
            problems.push(format!("{what}: a Secret without SOPS encryption"));
        }
        if kind == "HelmRelease" {
            let version = str_of(object, &["spec", "chart", "spec", "version"]);
            if !exact.is_match(version) {
                problems.push(format!(
                    "{what}: chart version `{version}` is not an exact version"
                ));
            }
        }
        if !WORKLOAD_KINDS.contains(&kind) {
            continue;
        }
        let pod = pod_spec(object);
        let containers = pod["containers"]
            .as_sequence()
            .into_iter()
            .chain(pod["initContainers"].as_sequence())
            .flatten();
        for container in containers {
            let container_name = str_of(container, &["name"]);
            let image = str_of(container, &["image"]);
            if let Err(problem) =
                image_is_governed(image, &source_of(kustomization), &markers, &policies)
            {
                problems.push(format!("{what}: image {image} {problem}"));
            }
            if ENVIRONMENTS.contains(&namespace) {
                for problem in container_problems(pod, container) {
                    problems.push(format!("{what}: container {container_name}: {problem}"));
                }
            }
        }
    }

    for environment in ENVIRONMENTS {
        let in_environment: Vec<&Value> = objects
            .iter()
            .map(|(_, object)| object)
            .filter(|object| str_of(object, &["metadata", "namespace"]) == environment)
            .collect();
        let namespace = objects.iter().map(|(_, object)| object).find(|object| {
            str_of(object, &["kind"]) == "Namespace"
                && str_of(object, &["metadata", "name"]) == environment
        });
        match namespace {
            None => problems.push(format!("{environment}: no Namespace object")),
            Some(namespace) => {
                let enforce = str_of(
                    namespace,
                    &["metadata", "labels", "pod-security.kubernetes.io/enforce"],
                );
                if enforce != "restricted" {
                    problems.push(format!(
                        "{environment}: Namespace label pod-security.kubernetes.io/enforce is `{enforce}`, not restricted"
                    ));
                }
            }
        }
        problems.extend(network_policy_problems(environment, &in_environment));
        for deployment in in_environment
            .iter()
            .filter(|object| str_of(object, &["kind"]) == "Deployment")
        {
            let name = str_of(deployment, &["metadata", "name"]);
            let hpa = in_environment.iter().find(|object| {
                str_of(object, &["kind"]) == "HorizontalPodAutoscaler"
                    && str_of(object, &["spec", "scaleTargetRef", "name"]) == name
            });
            let pdb = in_environment.iter().find(|object| {
                str_of(object, &["kind"]) == "PodDisruptionBudget"
                    && selects(&object["spec"]["selector"], template_labels(deployment))
            });
            if environment != "develop" {
                if hpa.is_none() {
                    problems.push(format!(
                        "{environment}: no HorizontalPodAutoscaler for Deployment {name}"
                    ));
                }
                if pdb.is_none() {
                    problems.push(format!(
                        "{environment}: no PodDisruptionBudget selecting Deployment {name}"
                    ));
                }
            }
            if hpa.is_some() && !deployment["spec"]["replicas"].is_null() {
                problems.push(format!(
                    "{environment}: Deployment {name} sets replicas although an HPA scales it"
                ));
            }
        }
    }
    problems
}

fn selects(selector: &Value, labels: &Value) -> bool {
    selector["matchLabels"].as_mapping().is_some_and(|wanted| {
        !wanted.is_empty() && wanted.iter().all(|(key, value)| &labels[key] == value)
    })
}

/// Default deny, and the allows podinfo needs, in an environment namespace.
fn network_policy_problems(environment: &str, objects: &[&Value]) -> Vec<String> {
    let policies: Vec<&&Value> = objects
        .iter()
        .filter(|object| str_of(object, &["kind"]) == "NetworkPolicy")
        .collect();
    let types = |policy: &Value| -> Vec<String> {
        policy["spec"]["policyTypes"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect()
    };
    let default_deny = policies.iter().any(|policy| {
        let spec = &policy["spec"];
        spec["podSelector"]
            .as_mapping()
            .is_some_and(|selector| selector.is_empty())
            && types(policy).len() == 2
            && spec["ingress"].is_null()
            && spec["egress"].is_null()
    });
    let peers = |direction: &str, side: &str| -> Vec<(String, Vec<i64>)> {
        let mut found = Vec::new();
        for policy in &policies {
            for rule in policy["spec"][direction]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                let ports: Vec<i64> = rule["ports"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .filter_map(|port| port["port"].as_i64())
                    .collect();
                for peer in rule[side].as_sequence().into_iter().flatten() {
                    let namespace = str_of(
                        peer,
                        &[
                            "namespaceSelector",
                            "matchLabels",
                            "kubernetes.io/metadata.name",
                        ],
                    );
                    found.push((namespace.to_string(), ports.clone()));
                }
            }
        }
        found
    };
    let ingress = peers("ingress", "from");
    let egress = peers("egress", "to");
    let mut problems = Vec::new();
    if !default_deny {
        problems.push(format!(
            "{environment}: no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)"
        ));
    }
    if !ingress
        .iter()
        .any(|(namespace, _)| namespace == "kube-system")
    {
        problems.push(format!(
            "{environment}: no NetworkPolicy admits Traefik from kube-system"
        ));
    }
    if !ingress
        .iter()
        .any(|(namespace, _)| namespace == "observability")
    {
        problems.push(format!(
            "{environment}: no NetworkPolicy admits Prometheus from observability"
        ));
    }
    if !egress
        .iter()
        .any(|(namespace, ports)| namespace == "kube-system" && ports.contains(&53))
    {
        problems.push(format!(
            "{environment}: no NetworkPolicy allows DNS egress to kube-dns"
        ));
    }
    problems
}

#[test]
fn the_rendered_tree_meets_the_platform_policy() {
    let problems = policy(&repo_root());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn policy_violations_are_reported() {
    let copy = copy_of_repo();
    let root = copy.path();
    edit(
        root,
        "flux/apps/base/podinfo/deployment.yaml",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
    );
    edit(
        root,
        "flux/apps/base/podinfo/deployment.yaml",
        "livenessProbe:",
        "startupProbe:",
    );
    edit(
        root,
        "flux/apps/staging/kustomization.yaml",
        r#"newTag: 6.7.1 # {"$imagepolicy": "flux-system:podinfo-staging:tag"}"#,
        "newTag: 6.7.1",
    );
    edit(
        root,
        "flux/apps/production/kustomization.yaml",
        "components:\n  - ../components/availability\n",
        "",
    );
    // The overlay's patches of the HPA and PDB go with the component.
    let overlay = root.join("flux/apps/production/kustomization.yaml");
    let text = std::fs::read_to_string(&overlay).expect("read the overlay");
    let cut = text
        .find("  - target:\n      kind: HorizontalPodAutoscaler")
        .expect("the HPA patch");
    std::fs::write(&overlay, &text[..cut]).expect("write the overlay");
    edit(
        root,
        "flux/apps/develop/namespace.yaml",
        "pod-security.kubernetes.io/enforce: restricted",
        "pod-security.kubernetes.io/enforce: baseline",
    );
    edit(
        root,
        "flux/apps/base/podinfo/network-policies.yaml",
        "          port: 53\n        - protocol: TCP\n          port: 53",
        "          port: 5353\n        - protocol: TCP\n          port: 5353",
    );
    edit(
        root,
        "flux/infrastructure/controllers/cert-manager.yaml",
        "version: \"v1.16.2\"",
        "version: \">=1.16.0\"",
    );
    std::fs::write(
        root.join("flux/apps/production/secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-token\nstringData:\n  token: hunter2\n",
    )
    .expect("write a plaintext Secret");
    edit(
        root,
        "flux/apps/production/kustomization.yaml",
        "  - namespace.yaml\n",
        "  - namespace.yaml\n  - secret.yaml\n",
    );

    let problems = policy(root);
    assert_reported(
        &problems,
        &[
            "apps-develop: Deployment develop/podinfo: container podinfo: securityContext.readOnlyRootFilesystem is not true",
            "apps-develop: Deployment develop/podinfo: container podinfo: no livenessProbe",
            "apps-staging: Deployment staging/podinfo: image ghcr.io/stefanprodan/podinfo:6.7.1 has neither a digest nor an image policy marker",
            "production: no HorizontalPodAutoscaler for Deployment podinfo",
            "production: no PodDisruptionBudget selecting Deployment podinfo",
            "develop: Namespace label pod-security.kubernetes.io/enforce is `baseline`, not restricted",
            "staging: no NetworkPolicy allows DNS egress to kube-dns",
            "infra-controllers: HelmRelease cert-manager/cert-manager: chart version `>=1.16.0` is not an exact version",
            "apps-production: Secret production/api-token: a Secret without SOPS encryption",
        ],
    );
}

// ---------------------------------------------------------------------------
// No plaintext Secret in the source files either (also those no kustomization lists)

fn plaintext_secrets_in_sources(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for file in yaml_files(&root.join("flux")) {
        let text = std::fs::read_to_string(&file).expect("read a YAML file");
        if !text.contains("Secret") {
            continue;
        }
        for document in documents(&text) {
            if is_plaintext_secret(&document) {
                problems.push(format!(
                    "{}: Secret {} is not SOPS-encrypted (no `sops:` metadata)",
                    file.strip_prefix(root).unwrap_or(&file).display(),
                    str_of(&document, &["metadata", "name"])
                ));
            }
        }
    }
    problems
}

#[test]
fn no_plaintext_secret_is_committed_under_flux() {
    let problems = plaintext_secrets_in_sources(&repo_root());
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let copy = copy_of_repo();
    std::fs::write(
        copy.path().join("flux/apps/staging/unused-secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: aHVudGVyMg==\n",
    )
    .expect("write a plaintext Secret");
    std::fs::write(
        copy.path().join("flux/apps/staging/encrypted-secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ok\ndata:\n  password: ENC[AES256_GCM,data:x]\nsops:\n  version: 3.9.0\n",
    )
    .expect("write an encrypted-looking Secret");
    let problems = plaintext_secrets_in_sources(copy.path());
    assert_eq!(
        problems,
        ["flux/apps/staging/unused-secret.yaml: Secret db is not SOPS-encrypted (no `sops:` metadata)"]
    );
}

// ---------------------------------------------------------------------------
// yamllint

fn yamllint(root: &Path) -> Result<String, String> {
    run(Command::new(tool("yamllint")).current_dir(root).args([
        "--strict",
        "-c",
        ".yamllint",
        "flux",
        ".sops.yaml",
        ".yamllint",
    ]))
}

#[test]
fn yamllint_is_clean_on_flux() {
    if let Err(report) = yamllint(&repo_root()) {
        panic!("yamllint:\n{report}");
    }
    let copy = copy_of_repo();
    edit(
        copy.path(),
        "flux/apps/develop/namespace.yaml",
        "kind: Namespace\n",
        "kind: Namespace   \nkind: Namespace\n",
    );
    let report = yamllint(copy.path()).expect_err("yamllint must fail on the broken copy");
    for expected in [
        "flux/apps/develop/namespace.yaml",
        "(trailing-spaces)",
        "duplication of key \"kind\"",
    ] {
        assert!(report.contains(expected), "{expected:?} not in:\n{report}");
    }
}

// ---------------------------------------------------------------------------
// shellcheck

/// Scripts checked at warning severity only, and why.
const SHELLCHECK_WARNING_ONLY: [(&str, &str); 1] = [(
    "auditor/tests/data/plans/generate.sh",
    "its single-quoted Terraform templates hold ${...} on purpose (SC2016 is an info note)",
)];

fn shell_scripts(root: &Path) -> Vec<PathBuf> {
    let listed = run(Command::new("git").current_dir(root).args([
        "ls-files",
        "--cached",
        "--others",
        "--exclude-standard",
    ]))
    .expect("git ls-files");
    listed
        .lines()
        .filter(|file| {
            file.ends_with(".sh") || *file == ".ci/run" || {
                let path = root.join(file);
                !file.contains('.')
                    && std::fs::read(&path).is_ok_and(|bytes| {
                        bytes.starts_with(b"#!/usr/bin/env bash") || bytes.starts_with(b"#!/bin/sh")
                    })
            }
        })
        .map(|file| root.join(file))
        .filter(|path| path.is_file())
        .collect()
}

fn shellcheck(root: &Path, scripts: &[PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    for script in scripts {
        let relative = script.strip_prefix(root).unwrap_or(script);
        let mut command = Command::new(tool("shellcheck"));
        command
            .current_dir(root)
            .args(["--external-sources", "--source-path=SCRIPTDIR"]);
        let has_shebang = std::fs::read(script).is_ok_and(|bytes| bytes.starts_with(b"#!"));
        if !has_shebang {
            // Sourced libraries (scripts/lib/*.sh) are bash.
            command.arg("--shell=bash");
        }
        if SHELLCHECK_WARNING_ONLY
            .iter()
            .any(|(file, _)| Path::new(file) == relative)
        {
            command.arg("--severity=warning");
        }
        if let Err(report) = run(command.arg(relative)) {
            problems.push(format!("{}:\n{report}", relative.display()));
        }
    }
    problems
}

#[test]
fn shellcheck_is_clean_on_every_script() {
    let root = repo_root();
    let scripts = shell_scripts(&root);
    for expected in ["scripts/setup.sh", "scripts/demo.sh", "bench/run.sh"] {
        assert!(
            scripts.contains(&root.join(expected)),
            "{expected} is not among the scripts checked"
        );
    }
    let problems = shellcheck(&root, &scripts);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let scratch = tempfile::tempdir().expect("a temporary folder");
    let broken = scratch.path().join("cleanup.sh");
    std::fs::write(&broken, "#!/usr/bin/env bash\nrm -rf $1/cache\n").expect("write a script");
    let problems = shellcheck(scratch.path(), &[broken]);
    assert!(
        problems.len() == 1
            && problems[0].starts_with("cleanup.sh")
            && problems[0].contains("SC2086"),
        "{problems:?}"
    );
}

// ---------------------------------------------------------------------------
// Tracing: off by default, and valid when an overlay turns it on

#[test]
fn the_tracing_component_is_off_by_default_and_valid_when_enabled() {
    let root = repo_root();
    for environment in ENVIRONMENTS {
        let rendered = render(&root, &format!("flux/apps/{environment}")).expect("render");
        assert!(
            !rendered.contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
            "{environment}: tracing must stay off unless an overlay lists the component"
        );
    }
    let copy = copy_of_repo();
    edit(
        copy.path(),
        "flux/apps/develop/kustomization.yaml",
        "images:\n",
        "components:\n  - ../components/tracing\nimages:\n",
    );
    let rendered = render(copy.path(), "flux/apps/develop").expect("render with tracing");
    assert!(rendered.contains("OTEL_EXPORTER_OTLP_ENDPOINT"));
    assert!(rendered.contains("allow-otlp-egress"));
    let problems = build_and_validate(copy.path());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let problems = policy(copy.path());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
