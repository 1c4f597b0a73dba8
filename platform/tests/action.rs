//! The GitHub Action (`action.yml`): it installs a released tfaudit only when
//! the archive matches the release's SHA256SUMS, and audits the plan with the
//! code-scanning category and the reports the caller uploads.
//!
//! The installer runs for real against a local HTTP server that serves a
//! release laid out as `release.yml` publishes it (the freshly built tfaudit in
//! `tfaudit_VERSION_OS_ARCH.tar.gz`, and `tfaudit_VERSION_SHA256SUMS`).

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use guardrail_testkit::tools;

const VERSION: &str = "9.8.7";

/// `python3 -m http.server` over `dir`, stopped on drop.
struct Releases {
    child: Child,
    url: String,
}

impl Releases {
    fn serve(dir: &Path) -> Releases {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the release server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Releases {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Releases {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sh(command: &str, dir: &Path) {
    let status = Command::new("bash")
        .args(["-c", command])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "{command}");
}

/// A release folder `v$VERSION/` with the archive for this machine, packed by the
/// release workflow's own script, and its sums.
fn publish(root: &Path) -> String {
    let release = root.join(format!("v{VERSION}"));
    let bin_dir = tools::tfaudit_bin().parent().unwrap().display().to_string();
    let dist = release.display().to_string();
    let packed = tools::package_release(&[
        "--version",
        VERSION,
        "--os",
        "linux",
        "--arch",
        "amd64",
        "--only",
        "tfaudit",
        "--bin-dir",
        &bin_dir,
        "--dist",
        &dist,
    ]);
    assert!(
        packed.status.success(),
        "package_release.py: {}",
        String::from_utf8_lossy(&packed.stderr)
    );
    let archive = format!("tfaudit_{VERSION}_linux_amd64.tar.gz");
    sh(
        &format!("sha256sum '{archive}' > 'tfaudit_{VERSION}_SHA256SUMS'"),
        &release,
    );
    archive
}

fn install(releases: &Releases, dest: &Path) -> Output {
    Command::new("bash")
        .arg(common::repo_path("scripts/install-tfaudit.sh"))
        .args([&format!("v{VERSION}"), dest.to_str().unwrap()])
        .env("TFAUDIT_RELEASES_URL", &releases.url)
        .output()
        .unwrap()
}

#[test]
fn the_installer_installs_only_an_archive_that_matches_the_release_sums() {
    if std::env::consts::ARCH != "x86_64" || std::env::consts::OS != "linux" {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let archive = publish(root.path());
    let releases = Releases::serve(root.path());

    let dest = root.path().join("installed");
    let output = install(&releases, &dest);
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    let version = Command::new(dest.join("bin/tfaudit"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("tfaudit "));

    // A tampered archive (or a sums file that does not vouch for it) is refused
    // and nothing is installed.
    let release = root.path().join(format!("v{VERSION}"));
    std::fs::write(release.join(&archive), b"not the release").unwrap();
    let tampered_dest = root.path().join("tampered");
    let refused = install(&releases, &tampered_dest);
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(said.contains("refusing to install it"), "{said}");
    assert!(!tampered_dest.join("bin/tfaudit").exists());

    // A version that is not a release is a usage error.
    let bad = Command::new("bash")
        .arg(common::repo_path("scripts/install-tfaudit.sh"))
        .args(["latest", tampered_dest.to_str().unwrap()])
        .env("TFAUDIT_RELEASES_URL", &releases.url)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_action_audits_with_its_category_and_reports_and_passes_the_exit_code_on() {
    let path = common::repo_path("action.yml");
    let text = std::fs::read_to_string(&path).expect("action.yml at the repository root");
    let action: yaml_serde::Value = yaml_serde::from_str(&text).expect("action.yml is YAML");
    assert_eq!(action["runs"]["using"], "composite");
    for input in ["version", "plan", "chdir", "sarif-category", "fail-on"] {
        assert!(
            action["inputs"][input]["description"].is_string(),
            "action.yml: input {input}"
        );
    }
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    let scripts: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let all = scripts.join("\n");
    assert!(all.contains("$GITHUB_ACTION_PATH/scripts/install-tfaudit.sh"));
    assert!(common::repo_path("scripts/install-tfaudit.sh").is_file());
    for needed in [
        "--sarif-category",
        "--chdir",
        "sarif=$sarif",
        "markdown=$markdown",
        "exit-code=$status",
        "exit \"$STATUS\"",
    ] {
        assert!(all.contains(needed), "action.yml: expected {needed:?}");
    }
    // Inputs reach the scripts through the environment, never spliced into them.
    assert!(
        !all.contains("${{ inputs."),
        "action.yml: inputs must be passed as env"
    );
    // SARIF goes to code scanning and the comment is sticky, both optional.
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@")),
        "{uses:?}"
    );
    assert!(
        uses.iter().any(|u| u.starts_with("actions/github-script@")),
        "{uses:?}"
    );
    for input in ["upload-sarif", "comment"] {
        assert_eq!(action["inputs"][input]["default"], "true", "input {input}");
    }
    assert!(
        steps.last().unwrap()["run"].as_str() == Some("exit \"$STATUS\""),
        "the last step fails as tfaudit does"
    );
    for output in ["sarif", "markdown", "exit-code"] {
        assert!(
            action["outputs"][output]["value"]
                .as_str()
                .is_some_and(|v| v.contains("steps.audit.outputs")),
            "action.yml: output {output}"
        );
    }
}

fn action() -> yaml_serde::Value {
    let text = std::fs::read_to_string(common::repo_path("action.yml")).expect("action.yml");
    yaml_serde::from_str(&text).expect("action.yml is YAML")
}

/// The names `action.yml` declares under `inputs` or `outputs`, sorted.
fn declared(action: &yaml_serde::Value, kind: &str) -> Vec<String> {
    let mut names: Vec<String> = action[kind]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(name, _)| name.as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The first-column names of the README tables under "## The tfaudit GitHub
/// Action" whose header's first cell is `kind` (`input` or `output`), sorted.
fn documented(readme: &str, kind: &str) -> Vec<String> {
    let section = readme
        .split("\n## ")
        .find(|section| section.starts_with("The tfaudit GitHub Action"))
        .unwrap_or("");
    let mut names = Vec::new();
    let mut in_table = false;
    for line in section.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if !line.trim_start().starts_with('|') {
            in_table = false;
            continue;
        }
        if cells[0] == kind {
            in_table = true;
            continue;
        }
        if in_table && !cells[0].starts_with("---") {
            names.push(cells[0].trim_matches('`').to_string());
        }
    }
    names.sort();
    names
}

/// Differences between what `action.yml` declares and what the README lists.
fn readme_problems(action: &yaml_serde::Value, readme: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (kind, key) in [("input", "inputs"), ("output", "outputs")] {
        let declared = declared(action, key);
        let documented = documented(readme, kind);
        for name in declared.iter().filter(|name| !documented.contains(name)) {
            problems.push(format!(
                "README.md: {kind} `{name}` of action.yml is not in the table"
            ));
        }
        for name in documented.iter().filter(|name| !declared.contains(name)) {
            problems.push(format!(
                "README.md: {kind} `{name}` is not declared in action.yml"
            ));
        }
    }
    problems
}

#[test]
fn the_readme_lists_exactly_the_inputs_and_outputs_the_action_declares() {
    let action = action();
    let readme = std::fs::read_to_string(common::repo_path("README.md")).unwrap();
    let problems = readme_problems(&action, &readme);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(declared(&action, "outputs").contains(&"verdict".to_string()));

    // The check can fail: a row left out, and a row of nothing declared.
    let missing = readme.replace("| `verdict` |", "| `outcome` |");
    let problems = readme_problems(&action, &missing);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`verdict` of action.yml")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`outcome` is not declared")),
        "{problems:?}"
    );
}

/// Runs the Action's `audit` step as the runner would (bash -eo pipefail, the
/// step's environment), with the freshly built tfaudit on PATH, and returns
/// its outputs.
fn run_audit_step(plan: &str, fail_on: &str, temp: &Path) -> Vec<(String, String)> {
    let action = action();
    let step = action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|step| step["id"] == "audit")
        .expect("a step with id audit");
    let script = step["run"].as_str().unwrap();
    let outputs = temp.join("github-output");
    std::fs::write(&outputs, "").unwrap();
    let bin = tools::tfaudit_bin();
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(temp)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("RUNNER_TEMP", temp)
        .env("GITHUB_OUTPUT", &outputs)
        .env("PLAN", plan)
        .env("CHDIR", "")
        .env("SARIF_CATEGORY", "production")
        .env("FAIL_ON", fail_on)
        .env("EXTRA_ARGS", "")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the audit step itself failed (the verdict is the last step's):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(&outputs)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("GITHUB_OUTPUT line without `=`: {line:?}"));
            (name.to_string(), value.to_string())
        })
        .collect()
}

fn output<'a>(outputs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    outputs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[test]
fn the_audit_step_sets_the_verdict_and_the_counts_from_the_json_report() {
    let temp = tempfile::tempdir().unwrap();
    let plan = common::repo_path("auditor/tests/data/plans/hcloud_edge/plan.json");
    let plan = plan.to_str().unwrap();

    let failing = run_audit_step(plan, "high", temp.path());
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(output(&failing, "json").expect("a json output")).unwrap(),
    )
    .unwrap();
    let counts = &report["summary"]["findings"];
    assert!(counts["critical"].as_u64().unwrap() + counts["high"].as_u64().unwrap() > 0);
    assert_eq!(output(&failing, "verdict"), Some("fail"), "{failing:?}");
    assert_eq!(output(&failing, "exit-code"), Some("1"), "{failing:?}");
    for severity in ["critical", "high", "medium", "low", "info"] {
        assert_eq!(
            output(&failing, severity),
            Some(counts[severity].to_string().as_str()),
            "{severity}: {failing:?}"
        );
    }
    // Every output action.yml declares from this step is set.
    let action = action();
    for name in declared(&action, "outputs") {
        let value = action["outputs"][name.as_str()]["value"].as_str().unwrap();
        let set = value
            .trim_start_matches("${{ steps.audit.outputs.")
            .trim_end_matches(" }}");
        assert!(
            output(&failing, set).is_some(),
            "output {name}: {failing:?}"
        );
    }

    let passing = run_audit_step(plan, "never", temp.path());
    assert_eq!(output(&passing, "verdict"), Some("pass"), "{passing:?}");
    assert_eq!(output(&passing, "exit-code"), Some("0"));
    assert_eq!(output(&passing, "critical"), output(&failing, "critical"));

    // No audit (a plan that is not there): fail, exit code 2, no counts.
    let missing = temp.path().join("missing.json");
    let broken = run_audit_step(missing.to_str().unwrap(), "high", temp.path());
    assert_eq!(output(&broken, "verdict"), Some("fail"), "{broken:?}");
    assert_eq!(output(&broken, "exit-code"), Some("2"));
    assert_eq!(output(&broken, "critical"), None, "{broken:?}");
}
