//! Running the built `tfaudit` binary from the CLI tests, and their fixtures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `tfaudit`, with no colour and none of the caller's log filter, GitHub
/// context or S3 endpoint leaking into the run.
pub fn tfaudit() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tfaudit"));
    command
        .env_remove("TFAUDIT_LOG")
        .env_remove("HCLOUD_TOKEN")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env_remove("AWS_ENDPOINT_URL")
        .env("NO_COLOR", "1");
    command
}

/// Runs [`tfaudit`] with `args` in `dir`.
pub fn run(args: &[&str], dir: &Path) -> Output {
    tfaudit()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tfaudit")
}

/// A file under `tests/data`.
pub fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// The plan of the data-driven case `name` (`tests/data/plans/NAME/plan.json`).
pub fn case(name: &str) -> PathBuf {
    data("plans").join(name).join("plan.json")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
