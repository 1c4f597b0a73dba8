//! The CI workflows under `.github/workflows/`: triggers, least-privilege
//! permissions, per-environment concurrency, environment protection on apply,
//! apply of the attested artifact only, SARIF upload, the sticky PR comment, release
//! asset names, and third-party actions pinned to commits.

mod common;

use regex::Regex;
use yaml_serde::{Mapping, Value};

/// A workflow's text, and its value with the steps of the local Action
/// inlined (see [`with_local_action`]).
fn workflow(name: &str) -> (String, Value) {
    let path = common::repo_path(&format!(".github/workflows/{name}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!(".github/workflows/{name} must exist: {error}"));
    let value = yaml_serde::from_str(&text)
        .unwrap_or_else(|error| panic!(".github/workflows/{name}: not valid YAML: {error}"));
    (text, with_local_action(value, &local_action_text()))
}

/// The text of the Action at the repository root, which `uses: ./` runs.
fn local_action_text() -> String {
    std::fs::read_to_string(common::repo_path("action.yml")).expect("action.yml")
}

/// A workflow text parsed, with the steps of the Action `action` inlined.
fn parsed(workflow: &str, action: &str) -> Value {
    with_local_action(yaml_serde::from_str(workflow).expect("valid YAML"), action)
}

/// `workflow` with every `uses: ./` step followed by the steps of the Action
/// (`action`, the text of action.yml), each `${{ inputs.NAME }}` in them
/// replaced by the step's `with` value or the input's default: what the job
/// runs, as the checks read it.
fn with_local_action(mut workflow: Value, action: &str) -> Value {
    let action: Value = yaml_serde::from_str(action).expect("action.yml is YAML");
    let Some(jobs) = workflow["jobs"].as_mapping_mut() else {
        return workflow;
    };
    for (_, job) in jobs.iter_mut() {
        let Some(steps) = job["steps"].as_sequence() else {
            continue;
        };
        let mut expanded = Vec::new();
        for step in steps {
            expanded.push(step.clone());
            if step["uses"].as_str() != Some("./") {
                continue;
            }
            let mut inputs = Vec::new();
            for (name, input) in action["inputs"].as_mapping().into_iter().flatten() {
                let name = name.as_str().unwrap_or("").to_string();
                let value = step["with"][name.as_str()]
                    .as_str()
                    .or_else(|| input["default"].as_str())
                    .unwrap_or("")
                    .to_string();
                inputs.push((format!("${{{{ inputs.{name} }}}}"), value));
            }
            for inlined in action["runs"]["steps"].as_sequence().into_iter().flatten() {
                let mut inlined = inlined.clone();
                substitute(&mut inlined, &inputs);
                expanded.push(inlined);
            }
        }
        job["steps"] = Value::Sequence(expanded);
    }
    workflow
}

/// Replaces every `(from, to)` pair in the strings of `value`.
fn substitute(value: &mut Value, pairs: &[(String, String)]) {
    match value {
        Value::String(text) => {
            for (from, to) in pairs {
                *text = text.replace(from.as_str(), to);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|item| substitute(item, pairs)),
        Value::Mapping(map) => map.iter_mut().for_each(|(_, item)| substitute(item, pairs)),
        _ => {}
    }
}

fn key(name: &str) -> Value {
    Value::String(name.to_string())
}

/// Every `run` script and every `with` value of a job's steps, for searching.
fn step_texts(job: &Value) -> Vec<String> {
    job["steps"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|step| {
            let mut texts = Vec::new();
            if let Some(run) = step["run"].as_str() {
                texts.push(run.to_string());
            }
            if let Some(with) = step["with"].as_mapping() {
                texts.extend(
                    with.values()
                        .filter_map(|value| value.as_str().map(str::to_string)),
                );
            }
            texts
        })
        .collect()
}

fn uses(job: &Value) -> Vec<String> {
    job["steps"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|step| step["uses"].as_str().map(str::to_string))
        .collect()
}

fn jobs(workflow: &Value) -> Vec<(&str, &Value)> {
    workflow["jobs"]
        .as_mapping()
        .map(|jobs| {
            jobs.iter()
                .filter_map(|(name, job)| name.as_str().map(|name| (name, job)))
                .collect()
        })
        .unwrap_or_default()
}

fn permissions(scope: &Value) -> Vec<(String, String)> {
    let mut granted: Vec<(String, String)> = scope["permissions"]
        .as_mapping()
        .map(|map: &Mapping| {
            map.iter()
                .map(|(scope, level)| {
                    (
                        scope.as_str().unwrap_or("").to_string(),
                        level.as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    granted.sort();
    granted
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(scope, level)| (scope.to_string(), level.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Problems of the pull-request plan workflow.
fn plan_workflow_problems(workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let trigger = &workflow[key("on")]["pull_request"];
    let paths: Vec<&str> = trigger["paths"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !(paths.contains(&"infra/**") && paths.contains(&"modules/**")) {
        problems.push(format!(
            "on.pull_request.paths: expected infra/** and modules/**, got {paths:?}"
        ));
    }
    let all_steps: String = jobs(workflow)
        .iter()
        .flat_map(|(_, job)| step_texts(job))
        .collect::<Vec<_>>()
        .join("\n");
    let expected_permissions = if all_steps.contains("id-token") {
        pairs(&[
            ("contents", "read"),
            ("pull-requests", "write"),
            ("security-events", "write"),
            ("id-token", "write"),
        ])
    } else {
        pairs(&[
            ("contents", "read"),
            ("pull-requests", "write"),
            ("security-events", "write"),
        ])
    };
    if permissions(workflow) != expected_permissions {
        problems.push(format!(
            "permissions: expected exactly {expected_permissions:?}, got {:?}",
            permissions(workflow)
        ));
    }
    let Some((name, job)) = jobs(workflow).into_iter().next() else {
        problems.push("jobs: expected a plan job".into());
        return problems;
    };
    if !permissions(job).is_empty() {
        problems.push(format!(
            "jobs.{name}.permissions: expected the workflow's, got more"
        ));
    }
    let group = job["concurrency"]["group"].as_str().unwrap_or("");
    if !group.contains("matrix.environment") {
        problems.push(format!(
            "jobs.{name}.concurrency.group: expected one group per environment, got `{group}`"
        ));
    }
    if job["concurrency"]["cancel-in-progress"].as_bool() != Some(false) {
        problems.push(format!("jobs.{name}.concurrency.cancel-in-progress: expected false (a run may hold the state lock)"));
    }
    let texts = step_texts(job).join("\n");
    for (what, needle) in [
        (
            "init with the backend from -backend-config",
            "-backend-config=\"bucket=$R2_STATE_BUCKET\"",
        ),
        ("plan to a file", "plan -input=false"),
        ("a saved plan", "-out="),
        ("plan JSON", "show -json"),
        ("tfaudit plan", "tfaudit plan"),
        ("an attestation on pass", "--attest"),
        ("a SARIF report", "sarif="),
        ("a Markdown report", "markdown="),
        ("the sticky comment marker", "<!-- tfaudit -->"),
        ("update of an existing comment", "updateComment"),
        ("creation of a missing comment", "createComment"),
    ] {
        if !texts.contains(needle) {
            problems.push(format!("jobs.{name}.steps: expected {what} (`{needle}`)"));
        }
    }
    let uploads: Vec<String> = job["steps"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|used| used.starts_with("actions/upload-artifact@"))
        })
        .map(|step| step["with"]["path"].as_str().unwrap_or("").to_string())
        .collect();
    if uploads.iter().any(|path| {
        path.contains(".tfplan") || path.contains("plan.json") || path.contains("terraform.tfstate")
    }) {
        problems.push(format!(
            "jobs.{name}.steps: a planfile or plan JSON holds secrets; upload it only encrypted"
        ));
    }
    if !texts.contains("openssl enc") {
        problems.push(format!(
            "jobs.{name}.steps: expected the plan artifact to be encrypted"
        ));
    }
    let actions = uses(job);
    for action in [
        "github/codeql-action/upload-sarif@",
        "actions/upload-artifact@",
    ] {
        if !actions.iter().any(|used| used.starts_with(action)) {
            problems.push(format!("jobs.{name}.steps: expected {action}"));
        }
    }
    problems
}

/// Problems of the apply workflow.
fn apply_workflow_problems(workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let input = &workflow[key("on")]["workflow_dispatch"]["inputs"]["environment"];
    let options: Vec<&str> = input["options"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    // The one cluster answers to production's gate (infra/terraform/hcloud_cluster).
    if input["type"].as_str() != Some("choice") || options != ["production"] {
        problems.push(format!(
            "on.workflow_dispatch.inputs.environment: expected a choice of production (the one cluster), got {options:?}"
        ));
    }
    if permissions(workflow) != pairs(&[("actions", "read"), ("contents", "read")]) {
        problems.push(format!(
            "permissions: expected contents: read and actions: read, got {:?}",
            permissions(workflow)
        ));
    }
    let fresh_plan =
        Regex::new(r"terraform\b[^\n]*\s(plan|destroy)\b|-auto-approve").expect("valid regex");
    let apply_planfile =
        Regex::new(r#"terraform\b[^\n]*\sapply\b[^\n]*\.tfplan"?\s*$"#).expect("valid regex");
    for (name, job) in jobs(workflow) {
        if job["environment"].as_str() != Some("${{ inputs.environment }}") {
            problems.push(format!("jobs.{name}.environment: expected the GitHub environment of the input (its protection rules)"));
        }
        if !job["concurrency"]["group"]
            .as_str()
            .unwrap_or("")
            .starts_with("terraform-")
        {
            problems.push(format!(
                "jobs.{name}.concurrency.group: expected the plan's per-environment group"
            ));
        }
        if !uses(job)
            .iter()
            .any(|used| used.starts_with("actions/download-artifact@"))
        {
            problems.push(format!(
                "jobs.{name}.steps: expected the attested plan artifact to be downloaded"
            ));
        }
        let scripts: Vec<String> = job["steps"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|step| step["run"].as_str().map(str::to_string))
            .collect();
        if scripts.iter().any(|script| fresh_plan.is_match(script)) {
            problems.push(format!(
                "jobs.{name}.steps: must not plan afresh, destroy or auto-approve"
            ));
        }
        let verify = scripts
            .iter()
            .position(|script| script.contains("tfaudit verify") && script.contains(".tfplan"));
        let apply = scripts
            .iter()
            .position(|script| script.lines().any(|line| apply_planfile.is_match(line)));
        if verify.is_none() || verify > apply {
            problems.push(format!(
                "jobs.{name}.steps: expected `tfaudit verify` of the plan file before `terraform apply`"
            ));
        }
        if apply.is_none() {
            problems.push(format!(
                "jobs.{name}.steps: expected `terraform apply` of the downloaded plan file"
            ));
        }
    }
    problems
}

#[test]
fn the_plan_workflow_audits_attests_and_reports_with_least_privilege() {
    let (_, workflow) = workflow("terraform-plan.yml");
    let problems = plan_workflow_problems(&workflow);
    assert!(
        problems.is_empty(),
        "terraform-plan.yml:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_apply_workflow_applies_only_the_attested_artifact_behind_environment_protection() {
    let (_, workflow) = workflow("terraform-apply.yml");
    let problems = apply_workflow_problems(&workflow);
    assert!(
        problems.is_empty(),
        "terraform-apply.yml:\n{}",
        problems.join("\n")
    );
}

#[test]
fn ci_runs_every_check_and_caches_cargo() {
    let (_, workflow) = workflow("ci.yml");
    let on = &workflow[key("on")];
    assert!(
        on.get("push").is_some() && on.get("pull_request").is_some(),
        "ci.yml: on push and pull_request"
    );
    assert_eq!(
        permissions(&workflow),
        pairs(&[("contents", "read")]),
        "ci.yml: read-only"
    );
    let scripts: String = jobs(&workflow)
        .iter()
        .flat_map(|(_, job)| step_texts(job))
        .collect::<Vec<_>>()
        .join("\n");
    for needle in [
        "cargo fmt --all -- --check",
        "cargo clippy --workspace --all-targets -- -D warnings",
        "make setup && make test",
        "make demo",
        "terraform fmt -check -recursive",
    ] {
        assert!(
            scripts.contains(needle),
            "ci.yml: expected a step running `{needle}`"
        );
    }
    for (name, job) in jobs(&workflow) {
        assert!(
            uses(job)
                .iter()
                .any(|used| used.starts_with("Swatinem/rust-cache@")),
            "ci.yml: job {name} must cache cargo"
        );
    }
}

#[test]
fn releases_carry_registry_assets_for_every_platform() {
    let (text, workflow) = workflow("release.yml");
    let tags: Vec<&str> = workflow[key("on")]["push"]["tags"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(tags, ["v*"], "release.yml: on tags v*");
    let build = &workflow["jobs"]["build"];
    let mut platforms: Vec<String> = build["strategy"]["matrix"]["include"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|entry| {
            format!(
                "{}_{}",
                entry["os"].as_str().unwrap_or("?"),
                entry["arch"].as_str().unwrap_or("?")
            )
        })
        .collect();
    platforms.sort();
    assert_eq!(
        platforms,
        [
            "darwin_amd64",
            "darwin_arm64",
            "linux_amd64",
            "linux_arm64",
            "windows_amd64"
        ]
    );
    for entry in build["strategy"]["matrix"]["include"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let (os, target) = (
            entry["os"].as_str().unwrap_or("?"),
            entry["target"].as_str().unwrap_or("?"),
        );
        let packages = entry["packages"].as_str().unwrap_or("");
        if os == "linux" {
            assert!(
                target.ends_with("-linux-musl"),
                "release.yml: {target}: Linux binaries are static (musl), with no glibc floor"
            );
        }
        let expected = if os == "windows" {
            "tfaudit"
        } else {
            "terraform-provider-guardrail tfaudit"
        };
        assert_eq!(packages, expected, "release.yml: what {os} ships");
    }
    for asset in [
        // The archives' names come from the one packing script, which the mirror
        // installs and the Action's installer tests run as well.
        "scripts/package_release.py",
        "terraform-provider-guardrail_${version}_SHA256SUMS",
        "terraform-provider-guardrail_${version}_manifest.json",
        "terraform-provider-guardrail_${version}_SHA256SUMS.sig",
        "tfaudit_\"${version}\"_*.zip",
        "\"protocol_versions\": [\"6.0\"]",
        "--detach-sign",
        "static(-pie)? linked",
    ] {
        assert!(text.contains(asset), "release.yml: expected `{asset}`");
    }
    assert_eq!(
        permissions(&workflow),
        pairs(&[("contents", "read")]),
        "release.yml: read-only by default"
    );
    assert_eq!(
        permissions(&workflow["jobs"]["publish"]),
        pairs(&[("contents", "write")]),
        "release.yml: only the publishing job writes"
    );
}

#[test]
fn every_third_party_action_is_pinned_to_a_commit_with_its_version() {
    let pinned = Regex::new(r"^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*\S+")
        .expect("valid regex");
    let any_use = Regex::new(r"^\s*-?\s*uses:\s*(\S+)").expect("valid regex");
    let mut problems = Vec::new();
    for file in common::files_under(&common::repo_path(".github/workflows"), &[".yml", ".yaml"]) {
        let text = std::fs::read_to_string(&file).expect("read a workflow");
        for (number, line) in text.lines().enumerate() {
            if let Some(captures) = any_use.captures(line) {
                let used = &captures[1];
                if !used.starts_with("./") && !pinned.is_match(line) {
                    problems.push(format!(
                        "{}:{}: `{used}` is not pinned to a commit with a version comment",
                        common::display(&file),
                        number + 1
                    ));
                }
            }
        }
        let workflow: Value = yaml_serde::from_str(&text).expect("valid YAML");
        if workflow.get("permissions").is_none() {
            problems.push(format!(
                "{}: expected top-level permissions",
                common::display(&file)
            ));
        }
        if text.contains("write-all") {
            problems.push(format!(
                "{}: write-all is never least privilege",
                common::display(&file)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checks can fail: broken variants of the real workflows are reported.
#[test]
fn broken_workflows_are_reported() {
    let (_, plan) = workflow("terraform-plan.yml");
    let mut broad = plan.clone();
    broad["permissions"] = Value::String("write-all".into());
    assert!(plan_workflow_problems(&broad)
        .iter()
        .any(|problem| problem.starts_with("permissions")));

    let (plan_text, _) = workflow("terraform-plan.yml");
    let action = local_action_text();
    let leaking = parsed(
        &plan_text.replace(
            "path: plan-artifact/",
            "path: infra/terraform/hcloud_cluster/production.tfplan",
        ),
        &action,
    );
    assert!(
        plan_workflow_problems(&leaking)
            .iter()
            .any(|problem| problem.contains("upload it only encrypted")),
        "an unencrypted planfile upload must be reported"
    );
    let unattested = parsed(
        &plan_text.replace("--attest ", ""),
        &action.replace("<!-- tfaudit -->", ""),
    );
    let problems = plan_workflow_problems(&unattested);
    assert!(
        problems.iter().any(|problem| problem.contains("--attest")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("<!-- tfaudit -->")),
        "{problems:?}"
    );

    let (apply_text, apply) = workflow("terraform-apply.yml");
    let mut unprotected = apply.clone();
    if let Some(jobs) = unprotected["jobs"].as_mapping_mut() {
        for (_, job) in jobs.iter_mut() {
            if let Some(job) = job.as_mapping_mut() {
                job.remove("environment");
            }
        }
    }
    assert!(apply_workflow_problems(&unprotected)
        .iter()
        .any(|problem| problem.contains(".environment")));

    let replanning: Value = yaml_serde::from_str(&apply_text.replace(
        "run: terraform -chdir=\"$CONFIG\" apply",
        "run: terraform -chdir=\"$CONFIG\" plan -out=fresh.tfplan && terraform -chdir=\"$CONFIG\" apply",
    ))
    .expect("valid YAML");
    assert!(
        apply_workflow_problems(&replanning)
            .iter()
            .any(|problem| problem.contains("must not plan afresh")),
        "a fresh plan before apply must be reported"
    );

    let unverified: Value =
        yaml_serde::from_str(&apply_text.replace("tfaudit verify", "echo")).expect("valid YAML");
    assert!(
        apply_workflow_problems(&unverified)
            .iter()
            .any(|problem| problem.contains("tfaudit verify")),
        "an apply without `tfaudit verify` of the plan file must be reported"
    );
}

/// Every `run` script of a workflow, with the job it belongs to.
fn run_scripts(workflow: &Value) -> Vec<(String, String)> {
    jobs(workflow)
        .into_iter()
        .flat_map(|(name, job)| {
            job["steps"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|step| step["run"].as_str())
                .map(|script| (name.to_string(), script.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Problems with package installs: apt's lists on a fresh runner are stale, so
/// every `apt-get install` needs an `apt-get update` before it in the same script.
fn apt_problems(file: &str, workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (job, script) in run_scripts(workflow) {
        if let Some(install) = script.find("apt-get install") {
            if !script[..install].contains("apt-get update") {
                problems.push(format!(
                    "{file}: jobs.{job}: `apt-get install` without `apt-get update` before it"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_apt_install_follows_an_update() {
    let mut problems = Vec::new();
    for file in common::files_under(&common::repo_path(".github/workflows"), &[".yml"]) {
        let name = common::display(&file);
        let workflow: Value =
            yaml_serde::from_str(&std::fs::read_to_string(&file).unwrap()).expect("valid YAML");
        problems.extend(apt_problems(&name, &workflow));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every job of ci.yml that builds Rust installs protoc first (the provider's
/// gRPC code is generated at build time).
#[test]
fn ci_installs_protoc_before_building() {
    let (_, workflow) = workflow("ci.yml");
    for (name, job) in jobs(&workflow) {
        let scripts: Vec<String> = job["steps"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|step| step["run"].as_str().map(str::to_string))
            .collect();
        let protoc = scripts
            .iter()
            .position(|script| script.contains("install") && script.contains("protobuf-compiler"));
        let build = scripts
            .iter()
            .position(|script| script.contains("cargo") || script.contains("make "));
        assert!(
            matches!((protoc, build), (Some(p), Some(b)) if p < b),
            "ci.yml: job {name} must install protobuf-compiler before it builds"
        );
    }
    let scripts: String = run_scripts(&workflow)
        .into_iter()
        .map(|(_, script)| script)
        .collect();
    assert!(
        scripts.contains(
            "terraform fmt -check -recursive -diff modules infra examples provider/examples"
        ),
        "ci.yml: terraform fmt must cover provider/examples too"
    );
}

/// Runner labels GitHub has retired: a job on them never starts.
const RETIRED_RUNNERS: &[&str] = &[
    "macos-11",
    "macos-12",
    "macos-13",
    "ubuntu-18.04",
    "ubuntu-20.04",
    "windows-2019",
];

#[test]
fn releases_build_on_supported_runners_and_sign_in_an_environment() {
    let (_, workflow) = workflow("release.yml");
    let runners: Vec<&str> = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["runner"].as_str())
        .collect();
    assert_eq!(runners.len(), 5, "release.yml: one runner per platform");
    for runner in runners {
        assert!(
            !RETIRED_RUNNERS.contains(&runner),
            "release.yml: {runner} is a retired runner"
        );
    }
    assert_eq!(
        workflow["jobs"]["publish"]["environment"].as_str(),
        Some("release"),
        "release.yml: the GPG key is a secret of the `release` environment"
    );
}

/// Secrets that sign, decrypt or grant root on the nodes: a job that reads one
/// runs in a GitHub environment, whose deployment rules keep pull requests out.
const GUARDED_SECRETS: &[&str] = &[
    "TFAUDIT_SIGNING_KEY",
    "PLAN_ARTIFACT_KEY",
    "SSH_PRIVATE_KEY",
    "GPG_PRIVATE_KEY",
    "GPG_PASSPHRASE",
    "HCLOUD_TOKEN",
    "SOPS_AGE_KEY",
    "FLUX_GIT_DEPLOY_KEY",
];

fn guarded_secret_problems(file: &str, workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, job) in jobs(workflow) {
        let text = yaml_serde::to_string(job).unwrap_or_default();
        for secret in GUARDED_SECRETS {
            if text.contains(&format!("secrets.{secret}")) && job.get("environment").is_none() {
                problems.push(format!(
                    "{file}: jobs.{name} reads secrets.{secret} outside a GitHub environment"
                ));
            }
        }
    }
    problems
}

#[test]
fn signing_keys_and_tokens_are_environment_secrets() {
    let mut problems = Vec::new();
    for file in common::files_under(&common::repo_path(".github/workflows"), &[".yml"]) {
        let name = common::display(&file);
        let workflow: Value =
            yaml_serde::from_str(&std::fs::read_to_string(&file).unwrap()).expect("valid YAML");
        problems.extend(guarded_secret_problems(&name, &workflow));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Pull requests plan in `<env>-review`; only a push to main reaches `<env>-plan`.
    let (_, plan) = workflow("terraform-plan.yml");
    let job = &plan["jobs"]["plan"];
    let environment = job["environment"].as_str().unwrap_or("");
    for needle in [
        "github.event_name == 'push'",
        "-plan",
        "-review",
        "matrix.environment",
    ] {
        assert!(
            environment.contains(needle),
            "terraform-plan.yml: jobs.plan.environment must pick `<env>-plan` for main and `<env>-review` for PRs, got `{environment}`"
        );
    }
    let attest = job["env"]["ATTEST"].as_str().unwrap_or("");
    assert!(
        attest.contains("github.event_name == 'push'") && attest.contains("refs/heads/main"),
        "terraform-plan.yml: only a push to main attests, got ATTEST = `{attest}`"
    );
}

/// The SSH key kube-hetzner provisions with reaches the plan from a secret; the
/// apply gets it inside the encrypted plan, like every variable.
#[test]
fn the_ssh_private_key_reaches_the_plan_from_a_secret() {
    let (_, plan) = workflow("terraform-plan.yml");
    let steps = plan["jobs"]["plan"]["steps"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    let planning = steps
        .iter()
        .find(|step| {
            step["run"]
                .as_str()
                .is_some_and(|run| run.contains("terraform -chdir=\"$CONFIG\" plan"))
        })
        .expect("terraform-plan.yml: a terraform plan step");
    assert_eq!(
        planning["env"]["SSH_PRIVATE_KEY"].as_str(),
        Some("${{ secrets.SSH_PRIVATE_KEY }}"),
        "terraform-plan.yml: the plan step reads SSH_PRIVATE_KEY from the environment's secrets"
    );
    assert!(
        planning["run"]
            .as_str()
            .unwrap_or("")
            .contains("export TF_VAR_ssh_private_key=\"$SSH_PRIVATE_KEY\""),
        "terraform-plan.yml: the key must reach Terraform as TF_VAR_ssh_private_key"
    );
    let docs = std::fs::read_to_string(common::repo_path("docs/ci.md")).expect("docs/ci.md");
    assert!(
        docs.contains("SSH_PRIVATE_KEY") && docs.contains("TF_VAR_ssh_private_key"),
        "docs/ci.md must document the SSH key's secret and how it reaches Terraform"
    );
}

/// The step of `job` with id `id` that runs a script (the Action's own step,
/// not the `uses: ./` step that shares its id).
fn script_step<'a>(job: &'a Value, id: &str) -> Option<&'a Value> {
    job["steps"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|step| step["id"].as_str() == Some(id) && step["run"].is_string())
}

/// The SARIF file code scanning uploads is the one tfaudit wrote: a path, or
/// `${{ steps.ID.outputs.sarif }}` of the step that wrote it, uploaded only
/// when it exists (`hashFiles`, or an exit code other than 2 of that step:
/// tfaudit writes every report unless its input was bad).
fn sarif_problems(workflow: &Value) -> Vec<String> {
    let output =
        Regex::new(r"^\$\{\{\s*steps\.([\w-]+)\.outputs\.sarif\s*\}\}$").expect("valid regex");
    let echoed = Regex::new(r#"echo "sarif=([^"\s]+)""#).expect("valid regex");
    let mut problems = Vec::new();
    let report = Regex::new(r#"--report\s+"?sarif=([^"\s]+)"?"#).expect("valid regex");
    for (name, job) in jobs(workflow) {
        let written: Vec<String> = step_texts(job)
            .iter()
            .flat_map(|text| {
                report
                    .captures_iter(text)
                    .map(|captures| captures[1].to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        for step in job["steps"].as_sequence().into_iter().flatten() {
            let Some(uploaded) = step["with"]["sarif_file"].as_str() else {
                continue;
            };
            let condition = step["if"].as_str().unwrap_or("");
            let (uploaded, guarded) = match output.captures(uploaded) {
                Some(captures) => {
                    let id = &captures[1];
                    let path = script_step(job, id)
                        .and_then(|writer| writer["run"].as_str())
                        .and_then(|run| echoed.captures(run))
                        .map(|captures| captures[1].to_string())
                        .unwrap_or_else(|| uploaded.to_string());
                    let guarded =
                        condition.contains(&format!("steps.{id}.outputs.exit-code != '2'"));
                    (path, guarded)
                }
                None => (
                    uploaded.to_string(),
                    condition.contains(&format!("hashFiles('{uploaded}')")),
                ),
            };
            if !written.contains(&uploaded) {
                problems.push(format!(
                    "jobs.{name}: sarif_file `{uploaded}` is not the file tfaudit writes ({written:?})"
                ));
            }
            if !guarded {
                problems.push(format!(
                    "jobs.{name}: the SARIF upload must run only when `{uploaded}` exists, got `{condition}`"
                ));
            }
        }
    }
    problems
}

#[test]
fn code_scanning_receives_the_sarif_file_tfaudit_wrote() {
    let (text, workflow) = workflow("terraform-plan.yml");
    let uploads = jobs(&workflow)
        .iter()
        .flat_map(|(_, job)| job["steps"].as_sequence().cloned().unwrap_or_default())
        .filter(|step| step["with"]["sarif_file"].is_string())
        .count();
    assert_eq!(
        uploads, 1,
        "terraform-plan.yml uploads SARIF (through the Action)"
    );
    let problems = sarif_problems(&workflow);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let action = local_action_text();
    let elsewhere = parsed(
        &text,
        &action.replace(
            "sarif_file: ${{ steps.audit.outputs.sarif }}",
            "sarif_file: tfaudit.sarif",
        ),
    );
    assert!(
        sarif_problems(&elsewhere)
            .iter()
            .any(|problem| problem.contains("is not the file tfaudit writes")),
        "an upload of another file must be reported"
    );
}

/// Problems of what code scanning and the sticky comment receive: a SARIF
/// category per environment (from `--sarif-category`, or upload-sarif's
/// `category` when tfaudit sets none), `.tf` locations from `--source-dir`, and
/// a comment body that tfaudit writes whole (its header inside the size limit).
fn code_scanning_problems(workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let flag = Regex::new(r#"--sarif-category\s+"?([^"\s]+)"?"#).expect("valid regex");
    for (name, job) in jobs(workflow) {
        let texts = step_texts(job).join("\n");
        if !texts.contains("tfaudit plan") {
            continue;
        }
        let environment_env = job["env"]["ENVIRONMENT"].as_str().unwrap_or("");
        let per_environment = |value: &str| {
            value.contains("matrix.environment")
                || (value.contains("$ENVIRONMENT")
                    && environment_env.contains("matrix.environment"))
        };
        // Shell comments name flags too; only commands count.
        let commands: String = texts
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        // `$NAME` is the value a step's env gives it (the Action's
        // SARIF_CATEGORY, from its sarif-category input); empty: no category.
        let step_env = |name: &str| -> Option<String> {
            job["steps"]
                .as_sequence()
                .into_iter()
                .flatten()
                .find_map(|step| step["env"][name].as_str().map(str::to_string))
        };
        let categories: Vec<String> = flag
            .captures_iter(&commands)
            .map(|captures| captures[1].to_string())
            .map(|category| match category.strip_prefix('$') {
                Some(name) => step_env(name).unwrap_or(category),
                None => category,
            })
            .filter(|category| !category.is_empty())
            .collect();
        for category in &categories {
            if !per_environment(category) {
                problems.push(format!(
                    "jobs.{name}: --sarif-category `{category}` is the same for every environment"
                ));
            }
        }
        for step in job["steps"].as_sequence().into_iter().flatten() {
            let is_upload = step["uses"]
                .as_str()
                .is_some_and(|used| used.starts_with("github/codeql-action/upload-sarif@"));
            if !is_upload {
                continue;
            }
            match step["with"]["category"].as_str() {
                Some(_) if !categories.is_empty() => problems.push(format!(
                    "jobs.{name}: upload-sarif's `category` is ignored when the log has an automationDetails.id (--sarif-category); set one of them"
                )),
                Some(category) if !per_environment(category) => problems.push(format!(
                    "jobs.{name}: upload-sarif category `{category}` is the same for every environment"
                )),
                None if categories.is_empty() => problems.push(format!(
                    "jobs.{name}: no SARIF category: every environment's upload replaces the others' alerts"
                )),
                _ => {}
            }
        }
        if !commands.contains("--source-dir") {
            problems.push(format!(
                "jobs.{name}: tfaudit plan needs --source-dir for .tf locations in SARIF"
            ));
        }
        if texts.contains("createComment") {
            if !commands.contains("--comment-header") {
                problems.push(format!(
                    "jobs.{name}: the comment header must come from tfaudit (--comment-header), inside its size limit"
                ));
            }
            if texts.contains("${report}") {
                problems.push(format!(
                    "jobs.{name}: the comment body must be tfaudit's report as it is"
                ));
            }
        }
    }
    problems
}

#[test]
fn each_environment_has_its_own_code_scanning_category_and_the_comment_fits() {
    let (text, workflow) = workflow("terraform-plan.yml");
    let problems = code_scanning_problems(&workflow);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let category = "sarif-category: tfaudit/plan/${{ matrix.environment }}";
    assert!(text.contains(category));
    let action = local_action_text();
    assert!(action.contains("--comment-header \"<!-- tfaudit-environment: $SARIF_CATEGORY -->\""));

    // A change to the workflow (`from` → `to`), or to the Action (`in_action`).
    let broken_in = |from: &str, to: &str, in_action: bool| -> Vec<String> {
        let source = if in_action { &action } else { &text };
        assert!(source.contains(from), "{from}");
        let changed = if in_action {
            parsed(&text, &action.replace(from, to))
        } else {
            parsed(&text.replace(from, to), &action)
        };
        code_scanning_problems(&changed)
    };
    let broken = |from: &str, to: &str| broken_in(from, to, false);
    let fixed = broken("tfaudit/plan/${{ matrix.environment }}", "tfaudit/plan");
    assert!(
        fixed
            .iter()
            .any(|p| p.contains("same for every environment")),
        "{fixed:?}"
    );
    let both = broken_in(
        "sarif_file: ${{ steps.audit.outputs.sarif }}\n",
        "sarif_file: ${{ steps.audit.outputs.sarif }}\n        category: tfaudit-${{ matrix.environment }}\n",
        true,
    );
    assert!(both.iter().any(|p| p.contains("is ignored")), "{both:?}");
    let none = broken(&format!("          {category}\n"), "");
    assert!(
        none.iter().any(|p| p.contains("no SARIF category")),
        "{none:?}"
    );
    let header = broken_in("--comment-header", "--no-header", true);
    assert!(
        header.iter().any(|p| p.contains("--comment-header")),
        "{header:?}"
    );
}

/// Problems of the apply workflow's check of where the plan comes from.
fn plan_origin_problems(workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, job) in jobs(workflow) {
        let steps = job["steps"].as_sequence().cloned().unwrap_or_default();
        let verify = steps.iter().position(|step| {
            step["run"].as_str().is_some_and(|run| {
                [
                    "gh api",
                    "actions/runs/$PLAN_RUN_ID",
                    ".github/workflows/terraform-plan.yml",
                    "head_branch",
                    "\"$branch\" = main",
                    "\"$event\" = push",
                    "head_repository",
                ]
                .iter()
                .all(|needle| run.contains(needle))
            })
        });
        let download = steps.iter().position(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|used| used.starts_with("actions/download-artifact@"))
        });
        match (verify, download) {
            (Some(v), Some(d)) if v < d => {}
            _ => problems.push(format!(
                "jobs.{name}: expected a step that checks through `gh api` that the run is terraform-plan.yml on a push to main, before the download"
            )),
        }
        let verify_id = verify
            .and_then(|index| steps[index]["id"].as_str())
            .unwrap_or("?");
        let checkout_ref = steps
            .iter()
            .find(|step| {
                step["uses"]
                    .as_str()
                    .is_some_and(|used| used.starts_with("actions/checkout@"))
            })
            .and_then(|step| step["with"]["ref"].as_str())
            .unwrap_or("");
        if checkout_ref != format!("${{{{ steps.{verify_id}.outputs.sha }}}}") {
            problems.push(format!(
                "jobs.{name}: the checkout must use the commit the verified run built, got `{checkout_ref}`"
            ));
        }
    }
    problems
}

#[test]
fn the_apply_workflow_applies_only_plans_made_on_main() {
    let (text, apply) = workflow("terraform-apply.yml");
    let problems = plan_origin_problems(&apply);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let any_branch: Value =
        yaml_serde::from_str(&text.replace("[ \"$branch\" = main ]", "true")).expect("valid YAML");
    assert!(
        !plan_origin_problems(&any_branch).is_empty(),
        "an apply that accepts a plan of any branch must be reported"
    );
    let (_, plan) = workflow("terraform-plan.yml");
    let branches: Vec<&str> = plan[key("on")]["push"]["branches"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        branches,
        ["main"],
        "terraform-plan.yml must also plan pushes to main: those are the plans terraform-apply accepts"
    );
}

/// The scheduled drift job the runbooks refer to: read-only, per environment.
#[test]
fn a_scheduled_read_only_drift_job_audits_state_and_cloud() {
    let (_, workflow) = workflow("drift.yml");
    assert!(
        workflow[key("on")]["schedule"]
            .as_sequence()
            .is_some_and(|s| !s.is_empty()),
        "drift.yml: on a schedule"
    );
    assert_eq!(
        permissions(&workflow),
        pairs(&[("contents", "read")]),
        "drift.yml: read-only"
    );
    let (name, job) = jobs(&workflow).into_iter().next().expect("a drift job");
    assert!(
        job["environment"]
            .as_str()
            .unwrap_or("")
            .ends_with("-drift"),
        "drift.yml: jobs.{name} runs in `<env>-drift`, which holds read-only tokens"
    );
    let scripts = step_texts(job).join("\n");
    for needle in ["tfaudit state", "tfaudit drift --state", "--label-selector"] {
        assert!(scripts.contains(needle), "drift.yml: expected `{needle}`");
    }
    assert!(
        !scripts.contains("terraform "),
        "drift.yml: never runs Terraform (no lock, no change)"
    );
}

/// docs/ci.md (or, for the cluster's own secrets, docs/hetzner.md) names every
/// secret the workflows read.
#[test]
fn every_secret_the_workflows_read_is_documented() {
    let docs = std::fs::read_to_string(common::repo_path("docs/ci.md")).expect("docs/ci.md")
        + &std::fs::read_to_string(common::repo_path("docs/hetzner.md")).expect("docs/hetzner.md");
    let secret = Regex::new(r"secrets\.([A-Z0-9_]+)").expect("valid regex");
    let mut missing = Vec::new();
    for file in common::files_under(&common::repo_path(".github/workflows"), &[".yml"]) {
        let text = std::fs::read_to_string(&file).unwrap();
        for captures in secret.captures_iter(&text) {
            let name = captures[1].to_string();
            if !docs.contains(&name) && !missing.contains(&name) {
                missing.push(name);
            }
        }
    }
    assert!(missing.is_empty(), "docs/ci.md must document: {missing:?}");
}

/// The new checks can fail too: a signing job without an environment, an install
/// without an update.
#[test]
fn unguarded_secrets_and_stale_package_lists_are_reported() {
    let (_, plan) = workflow("terraform-plan.yml");
    let mut unguarded = plan.clone();
    if let Some(job) = unguarded["jobs"]["plan"].as_mapping_mut() {
        job.remove("environment");
    }
    assert!(
        guarded_secret_problems("terraform-plan.yml", &unguarded)
            .iter()
            .any(|problem| problem.contains("secrets.TFAUDIT_SIGNING_KEY")),
        "a signing job outside an environment must be reported"
    );
    let (ci_text, _) = workflow("ci.yml");
    let stale: Value =
        yaml_serde::from_str(&ci_text.replace("sudo apt-get update\n", "")).expect("valid YAML");
    assert!(
        !apt_problems("ci.yml", &stale).is_empty(),
        "an install without an update must be reported"
    );
}

/// Problems of the plan job's use of the Action: the job audits through
/// `uses: ./` with the tfaudit it built from the commit (no `version`), after
/// the plan JSON exists, and only a plan the audit passed is encrypted and
/// uploaded for the apply.
fn local_action_problems(text: &str) -> Vec<String> {
    let raw: Value = yaml_serde::from_str(text).expect("valid YAML");
    let mut problems = Vec::new();
    let steps = raw["jobs"]["plan"]["steps"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    let position = |found: &dyn Fn(&Value) -> bool| steps.iter().position(found);
    let audit = position(&|step| step["uses"].as_str() == Some("./"));
    let build = position(&|step| {
        step["run"]
            .as_str()
            .is_some_and(|run| run.contains("cargo build") && run.contains("tfaudit"))
    });
    let show = position(&|step| {
        step["run"]
            .as_str()
            .is_some_and(|run| run.contains("show -json"))
    });
    match audit {
        None => {
            problems.push("jobs.plan: expected the audit through the Action (`uses: ./`)".into())
        }
        Some(index) => {
            let step = &steps[index];
            if step["with"].get("version").is_some() {
                problems.push(
                    "jobs.plan: the Action must use the tfaudit of this commit (no `version`)"
                        .into(),
                );
            }
            if build.is_none_or(|build| build > index) || show.is_none_or(|show| show > index) {
                problems.push(
                    "jobs.plan: the Action runs after tfaudit is built and the plan JSON written"
                        .into(),
                );
            }
            if step["id"].as_str() != Some("audit") {
                problems.push(
                    "jobs.plan: the Action's step has id `audit` (its outputs gate the artifact)"
                        .into(),
                );
            }
        }
    }
    for step in &steps {
        let uploads_plan = step["uses"]
            .as_str()
            .is_some_and(|used| used.starts_with("actions/upload-artifact@"));
        let encrypts = step["run"]
            .as_str()
            .is_some_and(|run| run.contains("openssl enc"));
        if (uploads_plan || encrypts)
            && !step["if"]
                .as_str()
                .is_some_and(|condition| condition.contains("steps.audit.outputs.exit-code == '0'"))
        {
            problems.push(format!(
                "jobs.plan: `{}` must run only when the audit passed (steps.audit.outputs.exit-code == '0')",
                step["name"].as_str().unwrap_or("?")
            ));
        }
    }
    problems
}

#[test]
fn the_plan_workflow_audits_through_the_action_with_the_tfaudit_of_the_commit() {
    let (text, _) = workflow("terraform-plan.yml");
    let problems = local_action_problems(&text);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let released = text.replace(
        "        uses: ./\n        with:\n",
        "        uses: ./\n        with:\n          version: 0.1.0\n",
    );
    assert!(local_action_problems(&released)
        .iter()
        .any(|problem| problem.contains("no `version`")));
    let ungated = text.replace("steps.audit.outputs.exit-code == '0'", "true");
    assert!(local_action_problems(&ungated)
        .iter()
        .any(|problem| problem.contains("only when the audit passed")));
    let inline = text.replace("uses: ./", "run: tfaudit plan plan.json");
    assert!(local_action_problems(&inline)
        .iter()
        .any(|problem| problem.contains("`uses: ./`")));
}
