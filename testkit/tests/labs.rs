//! Every runnable scenario under `examples/` (the quickstart and the labs) runs as
//! a test: each script starts its own local S3 server, drives real Terraform with
//! the debug builds of the provider and tfaudit, and checks that the unsafe path is
//! stopped with the expected message and the safe path passes. The course's labs
//! must all be there, each with a README that tells the whole story.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use guardrail_testkit::tools::{provider_bin_dir, workspace_root};

/// The labs the course (`docs/course/README.md`) is built on, in order.
const LABS: &[&str] = &[
    "01-freeze",
    "02-change-window",
    "03-blast-radius",
    "04-plan-attestation",
    "05-drift",
];

fn scenarios() -> Vec<PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(workspace_root().join("examples"))
        .expect("examples/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("run.sh").is_file())
        .collect();
    found.sort();
    found
}

/// The `##` headings of a Markdown file, lower-cased.
fn headings(readme: &str) -> Vec<String> {
    readme
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .map(|heading| heading.trim().to_lowercase())
        .collect()
}

/// Whether a (lower-cased) heading is the section sought.
type HeadingTest = fn(&str) -> bool;

/// What a lab's README and script lack; empty when the lab is complete.
fn lab_problems(lab: &Path) -> Vec<String> {
    let name = lab.display();
    let mut problems = Vec::new();
    match std::fs::metadata(lab.join("run.sh")) {
        Ok(meta) if meta.permissions().mode() & 0o111 != 0 => {}
        Ok(_) => problems.push(format!("{name}/run.sh: expected it to be executable")),
        Err(_) => problems.push(format!(
            "{name}/run.sh: expected a script running both paths"
        )),
    }
    let readme = match std::fs::read_to_string(lab.join("README.md")) {
        Ok(readme) => readme,
        Err(_) => {
            problems.push(format!("{name}/README.md: expected the lab's README"));
            return problems;
        }
    };
    let headings = headings(&readme);
    let sections: [(&str, HeadingTest); 4] = [
        ("the incident", |h| h.contains("incident")),
        ("the unsafe path", |h| h.contains("unsafe path")),
        ("the safe path", |h| {
            h.replace("unsafe path", "").contains("safe path")
        }),
        ("the rollback", |h| h.contains("rollback")),
    ];
    for (section, wanted) in sections {
        if !headings.iter().any(|heading| wanted(heading)) {
            problems.push(format!(
                "{name}/README.md: expected a `## ` section on {section}, found {headings:?}"
            ));
        }
    }
    problems
}

#[test]
fn every_lab_of_the_course_exists_with_its_story_and_script() {
    let examples = workspace_root().join("examples");
    let problems: Vec<String> = LABS
        .iter()
        .flat_map(|lab| {
            let dir = examples.join(lab);
            if dir.is_dir() {
                lab_problems(&dir)
            } else {
                vec![format!("examples/{lab}: expected the lab")]
            }
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check above can fail: a README without a safe path, or a script without
/// the execute bit, is reported.
#[test]
fn an_incomplete_lab_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("README.md"),
        "# Lab\n\n## The incident\n\n## The unsafe path (stopped)\n\n## Rollback\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("run.sh"), "#!/usr/bin/env bash\n").unwrap();
    std::fs::set_permissions(
        dir.path().join("run.sh"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let problems = lab_problems(dir.path());
    assert!(
        problems.iter().any(|p| p.contains("the safe path")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("executable")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn every_scenario_under_examples_passes() {
    let scenarios = scenarios();
    for lab in LABS {
        assert!(
            scenarios.iter().any(|path| path.ends_with(lab)),
            "examples/{lab}/run.sh must exist and run in this test"
        );
    }
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let workdir = tempfile::tempdir().unwrap();
        let output = Command::new("bash")
            .arg(scenario.join("run.sh"))
            .env("GUARDRAIL_BIN_DIR", provider_bin_dir())
            .env("LAB_WORKDIR", workdir.path())
            .env("NO_COLOR", "1")
            .env_remove("AWS_ENDPOINT_URL_S3")
            .env_remove("TF_CLI_CONFIG_FILE")
            .env_remove("GUARDRAIL_NOW")
            .env_remove("HCLOUD_TOKEN")
            .output()
            .expect("run the scenario script");
        if !output.status.success() {
            failures.push(format!(
                "{} exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
                scenario.display(),
                output.status.code(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `make demo` fails, rather than skips, a lab whose script cannot run.
#[test]
fn the_demo_fails_a_lab_whose_script_is_not_executable() {
    let root = tempfile::tempdir().unwrap();
    let scripts = root.path().join("scripts");
    std::fs::create_dir_all(scripts.join("lib")).unwrap();
    for file in ["scripts/demo.sh", "scripts/lib/local-r2.sh"] {
        std::fs::copy(workspace_root().join(file), root.path().join(file)).unwrap();
    }
    // The local S3 server and Terraform come from the repository's tools.
    std::os::unix::fs::symlink(workspace_root().join(".tools"), root.path().join(".tools"))
        .unwrap();
    let lab = root.path().join("examples/01-broken");
    std::fs::create_dir_all(&lab).unwrap();
    std::fs::write(lab.join("run.sh"), "#!/usr/bin/env bash\necho ran\n").unwrap();
    std::fs::set_permissions(lab.join("run.sh"), std::fs::Permissions::from_mode(0o644)).unwrap();
    // The demo checks for the binaries first: point it at the debug builds.
    let output = Command::new("bash")
        .arg(scripts.join("demo.sh"))
        .env("GUARDRAIL_ROOT", root.path())
        .env("GUARDRAIL_BIN_DIR", provider_bin_dir())
        .env("NO_COLOR", "1")
        .output()
        .expect("run the demo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "the demo must fail on a lab it cannot run:\n{stderr}"
    );
    assert!(
        stderr.contains("01-broken/run.sh is not executable"),
        "the demo must name the lab it could not run:\n{stderr}"
    );
}
