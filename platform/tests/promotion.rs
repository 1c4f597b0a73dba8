//! Promotion to production (`.github/workflows/promote.yml`): the production gate
//! runs before anything changes, break glass needs a ticket, and the tag lands in
//! the GitOps tree as a commit whose trailers name the image and the gate's record.
//!
//! The workflow's own gate step is run for real: its script, with `tfaudit` and a
//! local S3 server, while production is frozen through the control configuration
//! (`infra/terraform/guardrails`, as an operator freezes it) and after the freeze is
//! lifted. `scripts/promote.sh` runs on a temporary Git repository.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use guardrail_testkit::{tools, S3Server, TerraformDir};
use regex::Regex;
use yaml_serde::Value;

const IMAGE: &str = "ghcr.io/stefanprodan/podinfo";

fn workflow() -> Value {
    let text = std::fs::read_to_string(common::repo_path(".github/workflows/promote.yml"))
        .expect(".github/workflows/promote.yml must exist");
    yaml_serde::from_str(&text).expect("promote.yml is YAML")
}

fn steps(workflow: &Value) -> Vec<Value> {
    workflow["jobs"]["promote"]["steps"]
        .as_sequence()
        .cloned()
        .expect("promote.yml: jobs.promote.steps")
}

fn run_of(step: &Value) -> &str {
    step["run"].as_str().unwrap_or("")
}

fn gate_step(workflow: &Value) -> Value {
    steps(workflow)
        .into_iter()
        .find(|step| step["id"].as_str() == Some("gate"))
        .expect("promote.yml: a step with id `gate`")
}

#[test]
fn the_gate_runs_before_anything_changes_and_break_glass_needs_a_ticket() {
    let workflow = workflow();
    let inputs = &workflow["on"]["workflow_dispatch"]["inputs"];
    assert_eq!(
        inputs["tag"]["required"].as_bool(),
        Some(true),
        "a tag input"
    );
    for input in ["image", "break_glass_reason", "ticket"] {
        assert!(inputs.get(input).is_some(), "promote.yml: input {input}");
    }
    let job = &workflow["jobs"]["promote"];
    assert_eq!(
        job["environment"].as_str(),
        Some("production"),
        "the job runs in the GitHub environment production (required reviewers)"
    );
    assert_eq!(
        workflow["permissions"]["contents"].as_str(),
        Some("read"),
        "read-only by default"
    );
    assert_eq!(
        job["permissions"]["contents"].as_str(),
        Some("write"),
        "only the promotion job pushes"
    );

    let steps = steps(&workflow);
    let position = |what: &dyn Fn(&str) -> bool| steps.iter().position(|s| what(run_of(s)));
    let gate =
        position(&|run| run.contains("tfaudit gate --environment production --store \"s3://"))
            .expect(
            "promote.yml: a step running `tfaudit gate --environment production --store s3://…`",
        );
    let changes = Regex::new(r"promote\.sh|git (commit|push|add)|kubectl|flux ").unwrap();
    let first_change = steps
        .iter()
        .position(|step| changes.is_match(run_of(step)))
        .expect("promote.yml: steps that write the tag and push it");
    assert!(
        gate < first_change,
        "the gate (step {gate}) must run before the first change (step {first_change})"
    );
    for needle in ["scripts/promote.sh --commit", "git push"] {
        let at = position(&|run| run.contains(needle))
            .unwrap_or_else(|| panic!("promote.yml: a step running `{needle}`"));
        assert!(gate < at, "`{needle}` must come after the gate");
    }

    // The gate's script: break glass only with a ticket, inputs never spliced in.
    let script = run_of(&steps[gate]);
    assert!(
        !script.contains("${{"),
        "inputs reach the gate as variables, not spliced into the script"
    );
    assert!(script.contains("--break-glass-reason \"$BREAK_GLASS_REASON\" --ticket \"$TICKET\""));
    assert!(
        script.contains("[ -z \"$TICKET\" ]"),
        "the gate script must refuse a break glass without a ticket"
    );
    assert_eq!(
        job["env"]["TICKET"].as_str(),
        Some("${{ inputs.ticket }}"),
        "TICKET comes from the ticket input"
    );
    let summary = steps
        .iter()
        .map(run_of)
        .filter(|run| run.contains("GITHUB_STEP_SUMMARY"))
        .collect::<Vec<_>>()
        .join("\n");
    for needle in ["$COMMIT", "$IMAGE:$TAG", "${RECORD:-none}"] {
        assert!(
            summary.contains(needle),
            "the job summary must record {needle} (commit -> image tag -> deployment)"
        );
    }
}

/// The control configuration with a production freeze, or without it.
fn control_configuration(server: &S3Server) -> TerraformDir {
    let dir = common::terraform_dir(server);
    for folder in [
        "infra/terraform/guardrails",
        "infra/terraform/policies",
        "modules/guardrails",
    ] {
        common::copy_into(folder, dir.path());
    }
    let bucket = format!("bucket={}", server.bucket());
    let endpoint = format!("endpoints={{s3=\"{}\"}}", server.endpoint());
    dir.run(&[
        "-chdir=infra/terraform/guardrails",
        "init",
        "-no-color",
        "-input=false",
        "-backend-config",
        &bucket,
        "-backend-config",
        "key=guardrails/control.tfstate",
        "-backend-config",
        &endpoint,
    ])
    .assert_success();
    dir
}

fn apply_control(dir: &TerraformDir, server: &S3Server) {
    let store = format!("store_bucket={}", server.bucket());
    dir.run(&[
        "-chdir=infra/terraform/guardrails",
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-var",
        &store,
    ])
    .assert_success();
}

const PRODUCTION_FREEZE: &str = r#"locals {
  freezes = {
    production = {
      reason     = "Black Friday traffic"
      owner      = "platform-oncall"
      expires_at = "2099-01-01T00:00:00Z"
    }
  }
}
"#;

/// A checkout for the gate step: the policies, with production's window as
/// committed (`keep_window`) or without it, so the answer does not depend on the
/// hour the test runs at.
fn checkout(keep_window: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary checkout");
    common::copy_into("infra/terraform/policies", dir.path());
    if !keep_window {
        let main = dir.path().join("infra/terraform/policies/main.tf");
        let text = std::fs::read_to_string(&main).expect("policies/main.tf");
        let window = Regex::new(
            r"(?s)(production = \{\s*change_window = )\{.*?\n      \}\n(\s*max_destroy\s*=\s*0)",
        )
        .unwrap();
        assert!(
            window.is_match(&text),
            "production's change window in policies/main.tf"
        );
        std::fs::write(&main, window.replace(&text, "${1}null\n${2}").as_ref()).unwrap();
    }
    dir
}

struct Step {
    output: Output,
    outputs: String,
    summary: String,
}

impl Step {
    fn said(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.output.stdout),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
}

/// Runs the workflow's gate step as GitHub runs a `run` script.
fn run_gate_step(server: &S3Server, checkout: &Path, reason: &str, ticket: &str) -> Step {
    let script = run_of(&gate_step(&workflow())).to_string();
    let runner = tempfile::tempdir().expect("RUNNER_TEMP");
    let script_file = runner.path().join("gate.sh");
    std::fs::write(&script_file, script).unwrap();
    let outputs = runner.path().join("output");
    let summary = runner.path().join("summary");
    let dir_of = |bin: PathBuf| bin.parent().expect("a folder").to_path_buf();
    let path = format!(
        "{}:{}:{}",
        dir_of(tools::tfaudit_bin()).display(),
        dir_of(tools::terraform_bin()).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script_file)
        .current_dir(checkout)
        .env("PATH", path)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .env("GUARDRAIL_ACTOR", "promote-bot")
        .env_remove("GUARDRAIL_NOW")
        .env("GUARDRAIL_BUCKET", server.bucket())
        .env("RUNNER_TEMP", runner.path())
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("IMAGE", IMAGE)
        .env("TAG", "6.7.1")
        .env("BREAK_GLASS_REASON", reason)
        .env("TICKET", ticket);
    for (key, value) in server.env() {
        command.env(key, value);
    }
    let output = command.output().expect("run the gate step");
    Step {
        output,
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

#[test]
fn the_workflow_gate_refuses_a_frozen_production_and_passes_once_it_is_released() {
    let server = S3Server::start();
    let control = control_configuration(&server);
    control.write(
        "infra/terraform/guardrails/freezes_override.tf",
        PRODUCTION_FREEZE,
    );
    apply_control(&control, &server);
    let checkout = checkout(false);

    // Frozen: exit 1, naming the holder and the reason; nothing passes.
    let frozen = run_gate_step(&server, checkout.path(), "", "");
    assert_eq!(frozen.code(), Some(1), "{}", frozen.said());
    let said = frozen.said();
    assert!(
        said.contains("production may not change now")
            && said.contains("platform-oncall")
            && said.contains("Black Friday traffic"),
        "the refusal must name the holder and the reason:\n{said}"
    );
    assert!(frozen.summary.contains("exit 1"), "{}", frozen.summary);

    // Break glass without a ticket is refused before tfaudit runs.
    let no_ticket = run_gate_step(&server, checkout.path(), "hotfix for INC-9", "");
    assert_eq!(no_ticket.code(), Some(2), "{}", no_ticket.said());
    assert!(
        no_ticket
            .said()
            .contains("needs both a reason and a ticket"),
        "{}",
        no_ticket.said()
    );
    assert!(!no_ticket.said().contains("may change now"));

    // With a ticket the closed gate passes, with a warning and an audit record.
    let glass = run_gate_step(&server, checkout.path(), "hotfix for INC-9", "INC-9");
    assert_eq!(glass.code(), Some(0), "{}", glass.said());
    assert!(glass.said().contains("break glass"), "{}", glass.said());
    let record = glass
        .outputs
        .lines()
        .find_map(|line| line.strip_prefix("audit_record="))
        .unwrap_or("");
    assert!(
        record.contains("production"),
        "the gate's audit record reaches the step outputs: {:?}",
        glass.outputs
    );

    // The freeze lifted the way it was set: exit 0.
    control.remove("infra/terraform/guardrails/freezes_override.tf");
    apply_control(&control, &server);
    let open = run_gate_step(&server, checkout.path(), "", "");
    assert_eq!(open.code(), Some(0), "{}", open.said());
    assert!(
        open.said().contains("production may change now"),
        "{}",
        open.said()
    );

    // With production's committed window the step reads it from the policies:
    // open or closed depends on the hour, but the window is never bad input.
    let real = run_gate_step(&server, checkout_with_window().path(), "", "");
    assert!(
        matches!(real.code(), Some(0) | Some(1)),
        "the committed window must be accepted:\n{}",
        real.said()
    );
    if real.code() == Some(1) {
        assert!(real.said().contains("window"), "{}", real.said());
    }
}

fn checkout_with_window() -> tempfile::TempDir {
    checkout(true)
}

fn git(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn promote(repo: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(common::repo_path("scripts/promote.sh"));
    command
        .args(args)
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("PROMOTE_FILE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run scripts/promote.sh")
}

fn image_tags(path: &Path) -> Vec<(String, String)> {
    let value: Value =
        yaml_serde::from_str(&std::fs::read_to_string(path).unwrap()).expect("YAML after promote");
    value["images"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|image| {
            (
                image["name"].as_str().unwrap_or("").to_string(),
                image["newTag"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn promote_sh_writes_the_tag_and_commits_it_with_its_trailers() {
    let repo = tempfile::tempdir().unwrap();
    let overlay = repo.path().join("flux/apps/production/kustomization.yaml");
    std::fs::create_dir_all(overlay.parent().unwrap()).unwrap();
    let original =
        std::fs::read_to_string(common::repo_path("flux/apps/production/kustomization.yaml"))
            .expect("the production overlay");
    std::fs::write(&overlay, &original).unwrap();
    let policies = repo
        .path()
        .join("flux/infrastructure/image-automation/podinfo-policies.yaml");
    std::fs::create_dir_all(policies.parent().unwrap()).unwrap();
    std::fs::copy(
        common::repo_path("flux/infrastructure/image-automation/podinfo-policies.yaml"),
        &policies,
    )
    .expect("the image policies");
    git(repo.path(), &["init", "-q", "-b", "main"]);
    git(repo.path(), &["config", "user.name", "Promotion Test"]);
    git(
        repo.path(),
        &["config", "user.email", "promotion@example.invalid"],
    );
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "overlay"]);

    // The default file, edited in place; everything else in it is kept.
    let first = promote(repo.path(), &[IMAGE, "6.7.1"], &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        image_tags(&overlay),
        [(IMAGE.to_string(), "6.7.1".to_string())]
    );
    let before: Value = yaml_serde::from_str(&original).unwrap();
    let after: Value = yaml_serde::from_str(&std::fs::read_to_string(&overlay).unwrap()).unwrap();
    for key in ["resources", "patches", "kind", "apiVersion"] {
        assert_eq!(before[key], after[key], "{key} must be kept");
    }

    // The setter marker the image automation writes through is kept.
    assert!(
        std::fs::read_to_string(&overlay).unwrap().contains(
            r#"newTag: "6.7.1" # {"$imagepolicy": "flux-system:podinfo-production:tag"}"#
        ),
        "the setter comment must survive the promotion"
    );

    // A bad tag changes nothing; neither does a prerelease, which production's
    // policy cannot take.
    let policies_before = std::fs::read_to_string(&policies).unwrap();
    for tag in ["6.7.1; rm -rf /", "6.8.0-rc.1"] {
        let bad = promote(repo.path(), &[IMAGE, tag], &[]);
        assert_eq!(bad.status.code(), Some(2), "{tag}");
        assert_eq!(image_tags(&overlay)[0].1, "6.7.1");
        assert_eq!(std::fs::read_to_string(&policies).unwrap(), policies_before);
    }

    // --commit: the commit carries image, source commit, previous tag, gate record.
    let source = git(repo.path(), &["rev-parse", "HEAD"]);
    let committed = promote(
        repo.path(),
        &["--commit", IMAGE, "6.7.2"],
        &[
            ("PROMOTE_SOURCE_COMMIT", &source),
            (
                "PROMOTE_GATE_RECORD",
                "guardrail/audit/production/0000000007.json",
            ),
        ],
    );
    assert!(
        committed.status.success(),
        "{}",
        String::from_utf8_lossy(&committed.stderr)
    );
    let stdout = String::from_utf8_lossy(&committed.stdout).to_string();
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    assert!(stdout.contains(&format!("commit={head}")), "{stdout}");
    assert!(stdout.contains("previous_tag=6.7.1"), "{stdout}");
    let trailer = |key: &str| {
        git(
            repo.path(),
            &[
                "log",
                "-1",
                &format!("--format=%(trailers:key={key},valueonly)"),
            ],
        )
    };
    assert_eq!(trailer("Promoted-Image"), format!("{IMAGE}:6.7.2"));
    assert_eq!(trailer("Promoted-Environment"), "production");
    assert_eq!(trailer("Promoted-From"), source);
    assert_eq!(trailer("Previous-Tag"), "6.7.1");
    assert_eq!(
        trailer("Gate-Record"),
        "guardrail/audit/production/0000000007.json"
    );
    assert_eq!(
        git(repo.path(), &["status", "--porcelain"]),
        "",
        "the promotion is committed"
    );
    // Production's ImagePolicy takes exactly the promoted release, in the same
    // commit, so the image automation keeps the tag instead of writing the old one back.
    assert!(
        std::fs::read_to_string(&policies)
            .unwrap()
            .contains("range: '6.7.2' # promotion: production version"),
        "the production policy range follows the promotion"
    );
    let changed = git(repo.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        changed.contains("podinfo-policies.yaml") && changed.contains("kustomization.yaml"),
        "{changed}"
    );

    // Another layout: an images list among other keys, several entries.
    let other = repo.path().join("other.yaml");
    std::fs::write(
        &other,
        "images:\n- name: ghcr.io/example/api\n  newTag: \"1.0.0\"\n- newName: registry.example/web\n  name: ghcr.io/stefanprodan/podinfo\n  newTag: 6.0.0\nresources:\n- deployment.yaml\n",
    )
    .unwrap();
    let again = promote(repo.path(), &["--file", "other.yaml", IMAGE, "6.9.0"], &[]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        image_tags(&other),
        [
            ("ghcr.io/example/api".to_string(), "1.0.0".to_string()),
            (IMAGE.to_string(), "6.9.0".to_string())
        ]
    );
    let value: Value = yaml_serde::from_str(&std::fs::read_to_string(&other).unwrap()).unwrap();
    assert_eq!(
        value["images"][1]["newName"].as_str(),
        Some("registry.example/web")
    );
    assert_eq!(value["resources"][0].as_str(), Some("deployment.yaml"));
}
