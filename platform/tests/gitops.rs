//! The rendered GitOps tree, checked with real tools:
//!
//! * every Flux Kustomization path of the cluster entry builds with `kubectl kustomize`;
//! * every rendered object validates against its published schema with unknown fields
//!   rejected (`scripts/validate_manifests.py`: kubernetes-validate's strict schemas for
//!   built-in kinds, the cloudcoil models generated from the Flux, cert-manager and
//!   prometheus-operator CRDs for theirs; a kind with no schema is an error);
//! * the platform policy over the rendered objects (`platform_checks::policy`, also the
//!   `platform-policy tree` command the course's labs run): hardening of every workload
//!   in an environment namespace, autoscaling and a disruption budget in staging and
//!   production, default-deny isolation without open rules, pinned charts, image policy
//!   markers, no plaintext Secret;
//! * `yamllint --strict` on `flux/`, `shellcheck` on every shell script.
//!
//! Each check has a broken case: a copy of the files with one thing broken, and the
//! problem the check must report.

mod gitops_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use gitops_support::{
    assert_reported, copy_of_repo, edit, flux_paths, python, render, repo_root, run, tool,
    ENVIRONMENTS,
};
use platform_checks::policy::{plaintext_secrets_in_sources, tree as policy};

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
        "flux/apps/base/podinfo/deployment.yaml",
        "allowPrivilegeEscalation: false",
        "allowPrivilegeEscalation: false\n            privileged: true",
    );
    // An allow-all ingress rule next to the default deny.
    let policies = root.join("flux/apps/base/podinfo/network-policies.yaml");
    let mut text = std::fs::read_to_string(&policies).expect("read the network policies");
    text.push_str("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-all\nspec:\n  podSelector: {}\n  policyTypes:\n    - Ingress\n  ingress:\n    - {}\n");
    std::fs::write(&policies, text).expect("write the network policies");
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
            "apps-develop: Deployment develop/podinfo: container podinfo: securityContext.privileged is true",
            "production: NetworkPolicy allow-all opens ingress to every peer",
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
