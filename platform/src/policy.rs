//! The platform policy over the GitOps tree, the one check the tests
//! (`platform/tests/gitops.rs`) and the course's labs (`platform-policy tree`) share:
//! hardening of every workload in an environment namespace, autoscaling and a
//! disruption budget in staging and production, default-deny network isolation with
//! no open rule, pinned charts, image policy markers, and no plaintext Secret.

use std::path::{Path, PathBuf};

use regex::Regex;
use yaml_serde::Value;

use crate::manifests::{documents, flux_paths, rendered_tree, str_of, yaml_files, ENVIRONMENTS};

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
    if is_true(&security["privileged"]) {
        problems.push("securityContext.privileged is true".to_string());
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
pub fn is_plaintext_secret(object: &Value) -> bool {
    str_of(object, &["kind"]) == "Secret" && object["sops"].is_null()
}

/// The platform policy over the rendered tree under `root`.
pub fn tree(root: &Path) -> Vec<String> {
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
    let mut problems = Vec::new();
    // A rule without peers admits every source (or destination); so does a peer
    // selecting every namespace.
    for policy in &policies {
        let name = str_of(policy, &["metadata", "name"]);
        for (direction, side) in [("ingress", "from"), ("egress", "to")] {
            for rule in policy["spec"][direction]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                let peers = rule[side].as_sequence();
                let open = peers.is_none_or(|peers| {
                    peers.is_empty()
                        || peers.iter().any(|peer| {
                            peer["namespaceSelector"]
                                .as_mapping()
                                .is_some_and(|selector| selector.is_empty())
                        })
                });
                if open {
                    problems.push(format!(
                        "{environment}: NetworkPolicy {name} opens {direction} to every peer (a rule without `{side}` or selecting all namespaces)"
                    ));
                }
            }
        }
    }
    let ingress = peers("ingress", "from");
    let egress = peers("egress", "to");
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

/// Secrets in the source files under `flux/` (also those no kustomization lists)
/// without SOPS metadata.
pub fn plaintext_secrets_in_sources(root: &Path) -> Vec<String> {
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

/// Secret files under `flux/` that no creation rule of `.sops.yaml` covers: they could
/// not be encrypted for their environment. A missing or unreadable `.sops.yaml` is an
/// error (Err), not a pass.
pub fn secrets_without_sops_rule(root: &Path) -> Result<Vec<String>, String> {
    let config = std::fs::read_to_string(root.join(".sops.yaml"))
        .map_err(|error| format!(".sops.yaml: {error}"))?;
    let config: Value =
        yaml_serde::from_str(&config).map_err(|error| format!(".sops.yaml: {error}"))?;
    let mut rules = Vec::new();
    for rule in config["creation_rules"].as_sequence().into_iter().flatten() {
        let pattern = str_of(rule, &["path_regex"]);
        rules.push(
            Regex::new(pattern)
                .map_err(|error| format!(".sops.yaml: path_regex {pattern}: {error}"))?,
        );
    }
    let mut problems = Vec::new();
    for file in yaml_files(&root.join("flux")) {
        let text = std::fs::read_to_string(&file)
            .map_err(|error| format!("{}: {error}", file.display()))?;
        if !documents(&text)
            .iter()
            .any(|document| str_of(document, &["kind"]) == "Secret")
        {
            continue;
        }
        let relative = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if !rules.iter().any(|rule| rule.is_match(&relative)) {
            problems.push(format!(
                "{relative}: no .sops.yaml creation rule covers this Secret's path"
            ));
        }
    }
    Ok(problems)
}
