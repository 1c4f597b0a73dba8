//! Every runnable scenario under `examples/` (the quickstart and the labs) runs as
//! a test: each script starts its own local S3 server, drives real Terraform with
//! the debug builds of the provider and tfaudit, and checks that the unsafe path is
//! stopped with the expected message and the safe path passes.

use std::process::Command;

use guardrail_testkit::tools::{provider_bin_dir, workspace_root};

fn scenarios() -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(workspace_root().join("examples"))
        .expect("examples/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("run.sh").is_file())
        .collect();
    found.sort();
    found
}

#[test]
fn every_scenario_under_examples_passes() {
    let scenarios = scenarios();
    assert!(
        !scenarios.is_empty(),
        "no runnable scenario under examples/"
    );
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
