//! Reports as a user of the `tfaudit` binary sees them: colour only on a
//! terminal without `NO_COLOR`, `--report FORMAT=PATH` files, and a bad pair
//! refused before anything is written.

use std::path::Path;
use std::process::{Command, Output};

const PLAN: &str = "tests/data/reports/plan.json";

fn tfaudit() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tfaudit"));
    command.env_remove("NO_COLOR").env_remove("TFAUDIT_LOG");
    command
}

/// Runs `tfaudit ARGS` with stdout on a pseudo-terminal (through `script`).
fn on_terminal(args: &str, no_color: Option<&str>) -> String {
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_tfaudit"));
    let mut command = Command::new("script");
    command
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_remove("NO_COLOR");
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    let output = command.output().expect("run script(1)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("script(1) is not installed; the terminal case is not checked");
        return;
    }
    let args = format!("plan {PLAN} --format text");
    let coloured = on_terminal(&args, None);
    assert!(coloured.contains("FAIL"), "{coloured}");
    assert!(
        coloured.contains("\x1b["),
        "colour on a terminal:\n{coloured}"
    );

    let no_color = on_terminal(&args, Some("1"));
    assert!(no_color.contains("FAIL"), "{no_color}");
    assert!(!no_color.contains("\x1b["), "NO_COLOR=1:\n{no_color}");

    let empty = on_terminal(&args, Some(""));
    assert!(empty.contains("\x1b["), "an empty NO_COLOR does not count");

    let piped = tfaudit()
        .args(["plan", PLAN, "--format", "text"])
        .output()
        .unwrap();
    assert!(!stdout(&piped).contains('\x1b'), "no colour into a pipe");
    assert!(stdout(&piped).contains("FAIL"));
}

#[test]
fn report_files_are_written_beside_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out/tfaudit.sarif");
    let junit = dir.path().join("junit.xml");
    let output = tfaudit()
        .args(["plan", PLAN, "--format", "github"])
        .arg("--report")
        .arg(format!("sarif={}", sarif.display()))
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "the fixture plan fails at `high`"
    );
    assert!(
        stdout(&output).starts_with("::error "),
        "{}",
        stdout(&output)
    );

    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let errors = stdout(&output)
        .lines()
        .filter(|line| line.starts_with("::error "))
        .count();
    assert_eq!(
        results.iter().filter(|r| r["level"] == "error").count(),
        errors,
        "the SARIF file and stdout report the same findings"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testcase classname=\"tfaudit.plan\""),
        "{xml}"
    );
}

#[test]
fn a_bad_pair_stops_the_run_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    let output = tfaudit()
        .args(["plan", PLAN, "--format", "json"])
        .arg("--report")
        .arg(format!("json={}", good.display()))
        .arg("--report")
        .arg("html=report.html")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--report `html=report.html`: unknown format `html`"),
        "{stderr}"
    );
    assert!(stderr.contains("text, json, sarif, junit, markdown, github"));
    assert!(stdout(&output).is_empty(), "nothing on stdout either");
    assert!(!good.exists());
    assert!(!Path::new("report.html").exists());
}

/// Real Terraform addresses (count, `for_each` keys with dots, `for_each` module
/// instances) mapped to the local module files through `--source-dir`.
#[test]
fn source_dir_points_findings_from_a_real_plan_at_their_blocks() {
    let tf = guardrail_testkit::TerraformDir::new();
    let root = "resource \"terraform_data\" \"root\" {\n  count = COUNT\n  input = \"r\"\n}\n\n\
                module \"app\" {\n  source   = \"./modules/app\"\n  for_each = toset([\"eu\", \"us\"])\n}\n";
    let module = "variable \"unused\" {\n  default = 1\n}\n\n\
                  resource \"terraform_data\" \"web\" {\n  for_each = toset(KEYS)\n  input    = each.key\n}\n";
    tf.write("main.tf", &root.replace("COUNT", "2"));
    tf.write(
        "modules/app/main.tf",
        &module.replace("KEYS", "[\"a.b\", \"c\"]"),
    );
    tf.init().assert_success();
    tf.run(&["apply", "-auto-approve", "-input=false"])
        .assert_success();
    // Shrinking count and for_each destroys one instance of each.
    tf.write("main.tf", &root.replace("COUNT", "1"));
    tf.write("modules/app/main.tf", &module.replace("KEYS", "[\"a.b\"]"));
    tf.run(&["plan", "-input=false", "-out=change.tfplan"])
        .assert_success();
    let plan = tf.path().join("change.json");
    std::fs::write(&plan, tf.show_json("change.tfplan").to_string()).unwrap();

    let output = tfaudit()
        .current_dir(tf.path())
        .args([
            "plan",
            "change.json",
            "--source-dir",
            ".",
            "--format",
            "github",
        ])
        .output()
        .unwrap();
    let text = stdout(&output);
    let mut commands: Vec<&str> = text.lines().filter(|l| l.starts_with("::")).collect();
    commands.sort();
    let expected = [
        "::error file=main.tf,line=1,title=plan/destroy::[high] terraform_data.root[1]:",
        "::error file=modules/app/main.tf,line=5,title=plan/destroy::[high] module.app[\"eu\"].terraform_data.web[\"c\"]:",
        "::error file=modules/app/main.tf,line=5,title=plan/destroy::[high] module.app[\"us\"].terraform_data.web[\"c\"]:",
    ];
    assert_eq!(commands.len(), expected.len(), "{text}");
    for (command, prefix) in commands.iter().zip(expected) {
        assert!(command.starts_with(prefix), "{command}\nexpected {prefix}");
    }
}
