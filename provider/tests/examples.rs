//! Every example under `provider/examples/` runs: `terraform apply` and `destroy`
//! against the provider under test and a local S3 server holding the examples'
//! `guardrails` bucket, on a Tuesday morning in Berlin (inside every window). The
//! gate example requires attestation, so its apply is refused for want of one.

use std::path::{Path, PathBuf};

use guardrail_testkit::{S3Server, TerraformDir};

/// Tuesday 10:00 in Berlin.
const INSIDE_THE_WINDOWS: &str = "2026-11-24T10:00:00+01:00";

fn example_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut has_tf = false;
        for entry in std::fs::read_dir(&dir)
            .expect("read an example folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            found.push(dir);
        }
    }
    found.sort();
    found
}

#[test]
fn every_example_applies_and_destroys() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let dirs = example_dirs(&root);
    assert!(
        dirs.len() >= 6,
        "expected the provider, resource and data source examples, found {dirs:?}"
    );
    let server = S3Server::start();
    server
        .create_bucket("guardrails")
        .expect("create the examples' bucket");
    let mut failures = Vec::new();
    for example in &dirs {
        let work = TerraformDir::new()
            .with_s3(&server)
            .with_env("GUARDRAIL_NOW", INSIDE_THE_WINDOWS);
        for entry in std::fs::read_dir(example).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "tf") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                work.write(&name, &std::fs::read_to_string(&path).unwrap());
            }
        }
        // The examples show real configurations; the test alone simulates the clock.
        let texts: String = std::fs::read_dir(work.path())
            .unwrap()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
            .collect();
        if texts.contains("provider \"guardrail\"") {
            work.write(
                "clock_override.tf",
                "provider \"guardrail\" {\n  allow_clock_override = true\n}\n",
            );
        }
        let name = example.display().to_string();
        let apply = work.run(&["apply", "-auto-approve", "-input=false"]);
        if example.ends_with("guardrail_change_gate") {
            if apply.success()
                || !apply
                    .stderr
                    .contains("Gate created with require_attestation")
            {
                failures.push(format!(
                    "{name}: creating a gate that requires attestation must be refused until it exists:\n{}",
                    apply.combined()
                ));
            }
        } else if !apply.success() {
            failures.push(format!("{name}: apply failed:\n{}", apply.combined()));
        }
        let destroy = work.run(&["destroy", "-auto-approve", "-input=false"]);
        if !destroy.success() {
            failures.push(format!("{name}: destroy failed:\n{}", destroy.combined()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
