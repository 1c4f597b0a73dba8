//! The documentation: the architecture names the loop and the R2 key layout, the
//! runbooks and the course exist, and every relative link in `docs/` resolves.

mod common;

use regex::Regex;

#[test]
fn architecture_draws_the_loop_and_the_r2_key_layout() {
    let text = std::fs::read_to_string(common::repo_path("docs/architecture.md"))
        .expect("docs/architecture.md must exist");
    assert!(
        text.contains("```mermaid"),
        "docs/architecture.md: expected a mermaid diagram"
    );
    for needle in [
        "terraform plan -out",
        "tfaudit plan",
        "attestation",
        "guardrail_change_gate",
        "terraform apply PLANFILE",
        "guardrail/locks/<env>.json",
        "guardrail/attestations/<env>/<plan_id>.json",
        "guardrail/audit/<env>/",
        ".tflock",
    ] {
        assert!(
            text.contains(needle),
            "docs/architecture.md: expected `{needle}`"
        );
    }
}

#[test]
fn runbooks_and_course_cover_their_topics() {
    for runbook in [
        "stuck-lock",
        "state-rollback",
        "break-glass-apply",
        "drift-alert",
    ] {
        let path = common::repo_path(&format!("docs/runbooks/{runbook}.md"));
        assert!(path.is_file(), "docs/runbooks/{runbook}.md must exist");
    }
    let course = std::fs::read_to_string(common::repo_path("docs/course/README.md"))
        .expect("docs/course/README.md must exist");
    for lab in [
        "examples/01-freeze",
        "examples/02-change-window",
        "examples/03-blast-radius",
        "examples/04-plan-attestation",
        "examples/05-drift",
    ] {
        assert!(
            course.contains(lab),
            "docs/course/README.md: expected a chapter for {lab}"
        );
    }
}

#[test]
fn every_relative_link_in_docs_resolves() {
    let link = Regex::new(r"\]\(([^)#\s]+)(#[^)]*)?\)").expect("valid regex");
    let mut broken = Vec::new();
    for file in common::files_under(&common::repo_path("docs"), &[".md"]) {
        let text = std::fs::read_to_string(&file).expect("read a Markdown file");
        for captures in link.captures_iter(&text) {
            let target = &captures[1];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let resolved = file.parent().expect("a file has a folder").join(target);
            if !resolved.exists() {
                broken.push(format!(
                    "{}: `{target}` does not exist",
                    common::display(&file)
                ));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// What the course promises for a lab, the lab does: every rule id a chapter's row
/// names (`plan/…`, `state/…`, `drift/…`) is one its script expects to see.
#[test]
fn every_rule_the_course_names_is_one_its_lab_checks() {
    let course = std::fs::read_to_string(common::repo_path("docs/course/README.md"))
        .expect("docs/course/README.md must exist");
    let lab = Regex::new(r"`(examples/[0-9]{2}-[a-z-]+)`").expect("valid regex");
    let rule = Regex::new(r"\b((plan|state|drift)/[a-z]+(-[a-z]+)*)\b").expect("valid regex");
    let mut checked = 0;
    let mut problems = Vec::new();
    for row in course.lines().filter(|line| line.starts_with('|')) {
        let Some(found) = lab.captures(row) else {
            continue;
        };
        let folder = &found[1];
        let script = std::fs::read_to_string(common::repo_path(&format!("{folder}/run.sh")))
            .unwrap_or_else(|error| panic!("{folder}/run.sh must exist: {error}"));
        for rule in rule.captures_iter(row) {
            checked += 1;
            if !script.contains(&rule[1]) {
                problems.push(format!(
                    "docs/course/README.md: the {folder} chapter names {} but {folder}/run.sh never checks it",
                    &rule[1]
                ));
            }
        }
    }
    assert!(
        checked >= 6,
        "the course rows must name the rules their labs show"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The runbooks point at the scheduled drift job, and it exists; the drift alert
/// passes refresh-only plans with `--refresh-plan` (`--state` takes states).
#[test]
fn the_drift_runbook_matches_the_tools() {
    let index = std::fs::read_to_string(common::repo_path("docs/runbooks/README.md"))
        .expect("docs/runbooks/README.md");
    if index.contains("scheduled drift job") {
        assert!(
            common::repo_path(".github/workflows/drift.yml").is_file(),
            "docs/runbooks/README.md refers to a scheduled drift job: .github/workflows/drift.yml must exist"
        );
    }
    let alert = std::fs::read_to_string(common::repo_path("docs/runbooks/drift-alert.md"))
        .expect("docs/runbooks/drift-alert.md");
    let state_json = Regex::new(r"tfaudit drift[^\n]*--state\s+\S+\.json").expect("valid regex");
    assert!(
        !state_json.is_match(&alert),
        "docs/runbooks/drift-alert.md: a refresh-only plan's JSON goes to --refresh-plan, not --state"
    );
    assert!(
        alert.contains("tfaudit drift --refresh-plan drift.json"),
        "docs/runbooks/drift-alert.md: expected the refresh-only plan audited with --refresh-plan"
    );
}

/// The Hetzner runbook covers secrets, the workflow order, post-apply checks,
/// DNS/TLS, the Flux Git auth decision, time and cost estimates.
#[test]
fn the_hetzner_runbook_goes_from_credentials_to_a_reconciled_cluster() {
    let text = std::fs::read_to_string(common::repo_path("docs/hetzner.md"))
        .expect("docs/hetzner.md must exist");
    for needle in [
        "HCLOUD_TOKEN",
        "R2_ACCESS_KEY_ID",
        "SOPS_AGE_KEY",
        "sops-age",
        "age.agekey",
        "FLUX_GIT_DEPLOY_KEY",
        "TFAUDIT_SIGNING_KEY",
        "plan → audit → attest → apply",
        "kubectl get nodes",
        "get fluxinstance",
        "-H 'Host: ",
        "DNS and TLS",
        "read-only SSH deploy key",
        "estimates",
        "cx23",
        "lb11",
        "per month",
    ] {
        assert!(
            text.contains(needle),
            "docs/hetzner.md: expected `{needle}`"
        );
    }
    let architecture = std::fs::read_to_string(common::repo_path("docs/architecture.md"))
        .expect("docs/architecture.md");
    for needle in [
        "## The cluster and GitOps",
        "tfaudit gate --environment production",
        "Admission",
    ] {
        assert!(
            architecture.contains(needle),
            "docs/architecture.md: expected `{needle}`"
        );
    }
}

/// The lines a merge that stopped on a conflict leaves in a file.
fn conflict_markers(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("<<<<<<< ") || line.starts_with(">>>>>>> "))
        .map(|(index, _)| index + 1)
        .collect()
}

#[test]
fn no_tracked_file_holds_merge_conflict_markers() {
    assert_eq!(
        conflict_markers("a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> topic\n"),
        [2, 6],
        "the marker check must see a conflict"
    );
    let root = common::repo_path("");
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        .expect("git ls-files");
    assert!(
        listed.status.success(),
        "git ls-files failed in {}",
        root.display()
    );
    let mut conflicted = Vec::new();
    for relative in listed
        .stdout
        .split(|byte| *byte == 0)
        .filter(|name| !name.is_empty())
    {
        let relative = String::from_utf8_lossy(relative).into_owned();
        let Ok(text) = std::fs::read_to_string(root.join(&relative)) else {
            continue; // binary, or removed from the work tree
        };
        for line in conflict_markers(&text) {
            conflicted.push(format!("{relative}:{line}"));
        }
    }
    assert!(
        conflicted.is_empty(),
        "merge conflict markers left in: {}",
        conflicted.join(", ")
    );
}
