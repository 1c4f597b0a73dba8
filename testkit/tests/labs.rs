//! Every runnable scenario under `examples/` (the quickstart and the labs) runs as
//! a test: each script starts its own local S3 server, drives real Terraform with
//! the debug builds of the provider and tfaudit, and checks that the unsafe path is
//! stopped with the expected message and the safe path passes. The course's
//! thirteen chapters must all be there, each with its page and its labs, and each
//! lab with a README that tells the whole story.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use guardrail_testkit::tools::{provider_bin_dir, workspace_root};

/// The course's thirteen chapters (`docs/course/chapter-NN-<slug>/`) and the labs
/// under `examples/` each one is built on, in order.
const CHAPTERS: &[(&str, &[&str])] = &[
    (
        "chapter-01-production-mindset",
        &["00-quickstart", "01-freeze", "02-change-window"],
    ),
    (
        "chapter-02-infrastructure-as-code",
        &["03-blast-radius", "04-plan-attestation", "05-drift"],
    ),
    ("chapter-03-secrets-sops", &["06-sops"]),
    ("chapter-04-gitops-promotion", &["07-promotion"]),
    ("chapter-05-network-policies", &["08-network-policy"]),
    ("chapter-06-pod-hardening", &["09-pod-hardening"]),
    ("chapter-07-resource-management", &["10-resources"]),
    ("chapter-08-availability", &["11-availability"]),
    ("chapter-09-observability", &["12-observability"]),
    ("chapter-10-backup-restore", &["13-state-restore"]),
    ("chapter-11-controlled-chaos", &["14-controlled-chaos"]),
    (
        "chapter-12-ai-sre-guardian",
        &["15-ai-guardian", "17-advisor"],
    ),
    ("chapter-13-production-sre", &["16-on-call-drill"]),
];

/// Every lab of the course, in chapter order. The quickstart has a README of its
/// own kind (no incident): its chapter page tells the story.
fn labs() -> Vec<&'static str> {
    CHAPTERS
        .iter()
        .flat_map(|(_, labs)| labs.iter().copied())
        .filter(|lab| *lab != "00-quickstart")
        .collect()
}

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
    let problems: Vec<String> = labs()
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

/// The sections every chapter page has, as (what, test on a lower-cased heading).
const CHAPTER_SECTIONS: [(&str, HeadingTest); 6] = [
    ("the incident", |h| h.contains("incident")),
    ("the unsafe path and what stops it", |h| {
        h.contains("unsafe path") && h.contains("stops")
    }),
    ("the safe path", |h| {
        h.replace("unsafe path", "").contains("safe path")
    }),
    ("the rollback checklist", |h| {
        h.contains("rollback") && h.contains("checklist")
    }),
    ("the exercise", |h| h.contains("exercise")),
    ("the expected output", |h| h.contains("expected output")),
];

/// What a chapter page lacks: a section, or a link to one of its labs.
fn chapter_problems(page: &Path, labs: &[&str]) -> Vec<String> {
    let name = page.display();
    let Ok(text) = std::fs::read_to_string(page) else {
        return vec![format!("{name}: expected the chapter's page")];
    };
    let headings = headings(&text);
    let mut problems = Vec::new();
    for (section, wanted) in CHAPTER_SECTIONS {
        if !headings.iter().any(|heading| wanted(heading)) {
            problems.push(format!(
                "{name}: expected a `## ` section on {section}, found {headings:?}"
            ));
        }
    }
    for lab in labs {
        if !text.contains(&format!("examples/{lab}")) {
            problems.push(format!("{name}: expected a link to its lab examples/{lab}"));
        }
    }
    problems
}

#[test]
fn every_chapter_has_its_page_and_its_labs_and_the_course_maps_them() {
    let root = workspace_root();
    let course = root.join("docs/course");
    let map = std::fs::read_to_string(course.join("README.md")).expect("docs/course/README.md");
    let curriculum =
        std::fs::read_to_string(course.join("CURRICULUM.md")).expect("docs/course/CURRICULUM.md");
    let mut problems = Vec::new();
    assert_eq!(CHAPTERS.len(), 13, "the course has thirteen chapters");
    for (chapter, labs) in CHAPTERS {
        problems.extend(chapter_problems(
            &course.join(chapter).join("README.md"),
            labs,
        ));
        for file in [("README.md", &map), ("CURRICULUM.md", &curriculum)] {
            if !file.1.contains(&format!("{chapter}/README.md")) {
                problems.push(format!(
                    "docs/course/{}: expected a link to {chapter}",
                    file.0
                ));
            }
        }
        for lab in *labs {
            if !root.join("examples").join(lab).join("run.sh").is_file() {
                problems.push(format!(
                    "{chapter}: its lab examples/{lab}/run.sh is missing"
                ));
            }
            if !map.contains(&format!("examples/{lab}")) {
                problems.push(format!(
                    "docs/course/README.md: expected examples/{lab} in the map"
                ));
            }
        }
    }
    // No lab without a chapter: the demo runs every examples/NN-*, so does the course.
    for scenario in scenarios() {
        let name = scenario.file_name().unwrap().to_string_lossy().into_owned();
        if !CHAPTERS
            .iter()
            .any(|(_, labs)| labs.contains(&name.as_str()))
        {
            problems.push(format!("examples/{name}: no chapter of the course uses it"));
        }
    }
    if !curriculum.contains("../ai-code-of-conduct.md") {
        problems
            .push("docs/course/CURRICULUM.md: expected a link to ../ai-code-of-conduct.md".into());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The chapter check can fail: a page without its exercise or a link to its lab
/// is reported.
#[test]
fn an_incomplete_chapter_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("README.md");
    std::fs::write(
        &page,
        "# Chapter\n\n## The incident\n\n## The unsafe path and what stops it\n\n## The safe path\n\n## Rollback checklist\n\n## Expected output\n",
    )
    .unwrap();
    let problems = chapter_problems(&page, &["06-sops"]);
    assert!(
        problems.iter().any(|p| p.contains("the exercise")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("examples/06-sops")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn every_scenario_under_examples_passes() {
    let scenarios = scenarios();
    for lab in labs() {
        assert!(
            scenarios.iter().any(|path| path.ends_with(lab)),
            "examples/{lab}/run.sh must exist and run in this test"
        );
    }
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let started = std::time::Instant::now();
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
        eprintln!(
            "{}: {:.1}s",
            scenario.file_name().unwrap().to_string_lossy(),
            started.elapsed().as_secs_f64()
        );
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
