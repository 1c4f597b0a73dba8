//! What GitHub receives: SARIF categories per environment, artifact URIs
//! relative to the repository root (never `file://`), `removed` blocks located,
//! and a pull-request comment within GitHub's limit with the header included.

#[path = "support/cli.rs"]
mod cli;

use cli::{case, run};

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn sarif(output: &Output) -> Value {
    assert!(
        output.status.code().is_some_and(|code| code <= 1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("SARIF on stdout")
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().expect("results")
}

#[test]
fn without_a_category_the_log_has_no_automation_details() {
    let repo = tempfile::tempdir().unwrap();
    let plan = case("hcloud_edge");
    let output = run(
        &[
            "plan",
            plan.to_str().unwrap(),
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "--repo-root",
            repo.path().to_str().unwrap(),
        ],
        repo.path(),
    );
    let log = sarif(&output);
    assert!(
        log["runs"][0].get("automationDetails").is_none(),
        "{}",
        log["runs"][0]["automationDetails"]
    );
}

/// Three uploads of one plan, as the plan workflow's matrix makes them: each
/// environment has a category of its own, so no upload replaces another's alerts.
#[test]
fn three_environments_upload_three_categories() {
    let repo = tempfile::tempdir().unwrap();
    let plan = case("hcloud_edge");
    let mut ids = Vec::new();
    for environment in ["develop", "staging", "production"] {
        let category = format!("tfaudit/plan/{environment}");
        let out = repo.path().join(format!("{environment}.sarif"));
        let report = format!("sarif={}", out.display());
        let output = run(
            &[
                "plan",
                plan.to_str().unwrap(),
                "--fail-on",
                "never",
                "--sarif-category",
                &category,
                "--report",
                &report,
            ],
            repo.path(),
        );
        assert_eq!(output.status.code(), Some(0));
        let log: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let id = log["runs"][0]["automationDetails"]["id"]
            .as_str()
            .expect("automationDetails.id")
            .to_string();
        assert_eq!(id, format!("{category}/"), "GitHub's category convention");
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
}

#[test]
fn an_absolute_plan_outside_the_repository_is_never_a_file_uri() {
    let repo = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let plan = elsewhere.path().join("plan.json");
    std::fs::copy(case("hcloud_edge"), &plan).unwrap();
    let output = run(
        &[
            "plan",
            plan.to_str().unwrap(),
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "--repo-root",
            repo.path().to_str().unwrap(),
        ],
        repo.path(),
    );
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let log = sarif(&output);
    assert!(!results(&log).is_empty());
    assert!(!text.contains("file:"), "{text}");
    for result in results(&log) {
        let location = &result["locations"][0];
        assert!(location.get("physicalLocation").is_none(), "{location}");
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            result["properties"]["address"]
        );
    }

    // Inside the repository, the plan is named relative to its root.
    let inside = repo.path().join("plans");
    std::fs::create_dir(&inside).unwrap();
    std::fs::copy(&plan, inside.join("plan.json")).unwrap();
    let output = run(
        &[
            "plan",
            inside.join("plan.json").to_str().unwrap(),
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "--repo-root",
            repo.path().to_str().unwrap(),
        ],
        &inside,
    );
    let log = sarif(&output);
    let uri = &results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "plans/plan.json");
}

#[test]
fn a_finding_in_a_tf_file_is_named_relative_to_the_repository_root() {
    let repo = tempfile::tempdir().unwrap();
    let config = repo.path().join("infra/prod");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("storage.tf"),
        "# storage\n\nresource \"hcloud_volume\" \"data\" {\n  size = 100\n}\n",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let plan = elsewhere.path().join("plan.json");
    std::fs::copy(case("hcloud_edge"), &plan).unwrap();
    // Run from the configuration directory, as `terraform -chdir` users do.
    let output = run(
        &[
            "plan",
            plan.to_str().unwrap(),
            "--source-dir",
            ".",
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "--repo-root",
            repo.path().to_str().unwrap(),
        ],
        &config,
    );
    let log = sarif(&output);
    let volume = results(&log)
        .iter()
        .find(|r| {
            r["ruleId"] == "plan/protected-destroy"
                && r["properties"]["address"] == "hcloud_volume.data"
        })
        .expect("the volume's finding");
    let physical = &volume["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "infra/prod/storage.tf");
    assert_eq!(physical["region"]["startLine"], 3);

    // Code scanning rejects a result without a file: one the configuration
    // does not declare points at the configuration's file, line 1, never at
    // the plan outside the repository.
    let unlocated = results(&log)
        .iter()
        .find(|r| r["properties"]["address"] != "hcloud_volume.data")
        .expect("a finding the configuration does not declare");
    let physical = &unlocated["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "infra/prod/storage.tf");
    assert_eq!(physical["region"]["startLine"], 1);
    assert!(!log.to_string().contains("file:"));
}

#[test]
fn removed_blocks_are_located() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"hcloud_server\" \"web\" {}\n\n\
         removed {\n  from = hcloud_server.old\n\n  lifecycle {\n    destroy = false\n  }\n}\n\n\
         removed {\n  from = module.legacy\n}\n",
    )
    .unwrap();
    let map = tfaudit::source::SourceMap::load(dir.path()).unwrap();
    let old = map.locate("hcloud_server.old").expect("removed resource");
    assert!(old.file.ends_with("main.tf"), "{old:?}");
    assert_eq!(old.line, 3);
    let legacy = map
        .locate("module.legacy.hcloud_server.s[0]")
        .expect("object of a removed module");
    assert_eq!(legacy.line, 11);
    assert_eq!(map.locate("hcloud_server.web").unwrap().line, 1);
    assert!(map.locate("hcloud_server.other").is_none());
}

fn generated_plan(resources: usize, out: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/gen_plan.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(resources.to_string())
        .arg(out)
        .status()
        .expect("python3 runs bench/gen_plan.py");
    assert!(status.success());
}

/// A 10,000-resource plan: the comment the workflow posts (tfaudit's body as it
/// is, header included) stays within GitHub's limit, lists critical findings
/// first and collapses the rest per module.
#[test]
fn a_large_plan_comment_fits_with_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    generated_plan(10_000, &plan);
    let header = "<!-- tfaudit-environment: production -->\n### tfaudit — production";
    let output = run(
        &[
            "plan",
            plan.to_str().unwrap(),
            "--format",
            "markdown",
            "--fail-on",
            "never",
            "--comment-header",
            header,
            "--pull-request",
            "42",
            "--repository",
            "owner/repo",
        ],
        dir.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body = String::from_utf8(output.stdout).unwrap();
    assert!(
        body.chars().count() <= 65_536,
        "{} characters",
        body.chars().count()
    );
    assert!(body.starts_with(&format!("<!-- tfaudit -->\n{header}\n")));
    assert!(body.contains("(https://github.com/owner/repo/security/code-scanning?query=pr:42)"));
    assert!(body.contains("<details><summary>"), "collapsed sections");
    let severity_of = |line: &str| line.split('|').nth(1).map(str::trim).map(str::to_string);
    let rows: Vec<String> = body
        .lines()
        .filter(|line| line.starts_with("| ") && line.contains("` |"))
        .filter_map(severity_of)
        .collect();
    let first_high = rows.iter().position(|s| s == "high");
    let last_critical = rows.iter().rposition(|s| s == "critical");
    assert!(last_critical.is_some(), "the plan has critical findings");
    if let (Some(high), Some(critical)) = (first_high, last_critical) {
        assert!(critical < high, "critical rows come before high rows");
    }
}

#[test]
fn the_comment_header_counts_towards_the_limit() {
    use tfaudit::findings::{Finding, Severity};
    use tfaudit::report::{markdown, RenderOptions, Report};
    let findings: Vec<Finding> = (0..500)
        .map(|i| {
            let severity = Severity::ALL[i % 5];
            let mut finding = Finding::new(
                "plan/tags",
                severity,
                format!("module.m{}.hcloud_server.s{i:04}", i % 3),
                "x".repeat(i % 90),
            );
            finding.module = format!("module.m{}", i % 3);
            finding
        })
        .collect();
    let header = format!(
        "<!-- tfaudit-environment: production -->\n{}",
        "h".repeat(3_000)
    );
    let report = Report {
        command: "plan",
        subject: "plan.json".into(),
        summary: serde_json::Map::new(),
        findings,
        rules: Vec::new(),
        fail_on: None,
        configuration: None,
        options: RenderOptions {
            comment_header: Some(header.clone()),
            ..RenderOptions::default()
        },
    };
    for limit in [8_000, 20_000, 65_536] {
        let body = markdown::render_with_limit(&report, limit);
        assert!(body.len() <= limit, "limit {limit}: {}", body.len());
        assert!(body.starts_with(&format!("{}\n{header}\n", markdown::MARKER)));
        let first_high = body.find("| high |").unwrap_or(usize::MAX);
        let last_critical = body.rfind("| critical |").expect("critical rows");
        assert!(last_critical < first_high, "limit {limit}");
    }
}
