//! The CI workflows under `.github/workflows/`: triggers, least-privilege
//! permissions, per-environment concurrency, environment protection on apply,
//! apply of the attested artifact only, SARIF upload, the sticky PR comment, release
//! asset names, and third-party actions pinned to commits.

mod common;

use regex::Regex;
use serde_yaml::{Mapping, Value};

fn workflow(name: &str) -> (String, Value) {
    let path = common::repo_path(&format!(".github/workflows/{name}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!(".github/workflows/{name} must exist: {error}"));
    let value = serde_yaml::from_str(&text)
        .unwrap_or_else(|error| panic!(".github/workflows/{name}: not valid YAML: {error}"));
    (text, value)
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
    if input["type"].as_str() != Some("choice") || options != ["develop", "staging", "production"] {
        problems.push(format!(
            "on.workflow_dispatch.inputs.environment: expected a choice of develop, staging, production, got {options:?}"
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
        if !scripts
            .iter()
            .any(|script| script.lines().any(|line| apply_planfile.is_match(line)))
        {
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
        ["darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64"]
    );
    for asset in [
        "terraform-provider-guardrail_${version}_${OS}_${ARCH}.zip",
        "terraform-provider-guardrail_${version}_SHA256SUMS",
        "terraform-provider-guardrail_${version}_manifest.json",
        "terraform-provider-guardrail_${version}_SHA256SUMS.sig",
        "tfaudit_${version}_${OS}_${ARCH}.tar.gz",
        "\"protocol_versions\": [\"6.0\"]",
        "--detach-sign",
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
        let workflow: Value = serde_yaml::from_str(&text).expect("valid YAML");
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
    let leaking: Value = serde_yaml::from_str(&plan_text.replace(
        "path: plan-artifact/",
        "path: infra/terraform/hcloud_cluster/production.tfplan",
    ))
    .expect("valid YAML");
    assert!(
        plan_workflow_problems(&leaking)
            .iter()
            .any(|problem| problem.contains("upload it only encrypted")),
        "an unencrypted planfile upload must be reported"
    );
    let unattested: Value = serde_yaml::from_str(
        &plan_text
            .replace("--attest ", "")
            .replace("<!-- tfaudit -->", ""),
    )
    .expect("valid YAML");
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

    let replanning: Value = serde_yaml::from_str(&apply_text.replace(
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
}
