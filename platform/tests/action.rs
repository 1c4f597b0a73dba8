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

/// A release folder `v$VERSION/` with the archive for this machine and its sums.
fn publish(root: &Path) -> String {
    let release = root.join(format!("v{VERSION}"));
    let stage = root.join("stage");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(tools::tfaudit_bin(), stage.join("tfaudit")).unwrap();
    let archive = format!("tfaudit_{VERSION}_linux_amd64.tar.gz");
    sh(
        &format!(
            "tar -C '{}' -czf '{}/{archive}' tfaudit && cd '{}' && sha256sum '{archive}' > 'tfaudit_{VERSION}_SHA256SUMS'",
            stage.display(),
            release.display(),
            release.display()
        ),
        root,
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
    let action: serde_yaml::Value = serde_yaml::from_str(&text).expect("action.yml is YAML");
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
