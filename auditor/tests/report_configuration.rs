//! The configuration that judged a run is named in its report: the text
//! report's `Configuration:` line and the json report's `configuration`, for
//! the `.tfaudit.toml` found in the working folder and for `--config`; a run
//! on the defaults has no line and `configuration: null`.

#[path = "support/cli.rs"]
mod cli;

use std::path::Path;

use serde_json::Value;

fn text_and_json(args: &[&str], dir: &Path) -> (String, Value) {
    let mut text_args = args.to_vec();
    text_args.extend(["--format", "text"]);
    let text = cli::run(&text_args, dir);
    assert!(
        text.status.code().is_some_and(|code| code <= 1),
        "{}",
        cli::stderr(&text)
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json = cli::run(&json_args, dir);
    assert!(
        json.status.code().is_some_and(|code| code <= 1),
        "{}",
        cli::stderr(&json)
    );
    (
        String::from_utf8(text.stdout).unwrap(),
        serde_json::from_slice(&json.stdout).expect("json on stdout"),
    )
}

fn configuration_line(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|line| line.strip_prefix("Configuration: "))
}

#[test]
fn the_plan_report_names_the_configuration_found_or_given() {
    let dir = tempfile::tempdir().unwrap();
    let plan = cli::case("hcloud_edge");
    let plan = plan.to_str().unwrap();

    // No configuration: the defaults, named nowhere.
    let (text, json) = text_and_json(&["plan", plan], dir.path());
    assert_eq!(configuration_line(&text), None, "{text}");
    assert_eq!(json["configuration"], Value::Null, "{json}");

    // The working folder's .tfaudit.toml, as stderr names it too.
    let found = cli::write(dir.path(), ".tfaudit.toml", "fail_on = \"never\"\n");
    let (text, json) = text_and_json(&["plan", plan], dir.path());
    let named = configuration_line(&text).expect("a Configuration line");
    assert_eq!(
        std::fs::canonicalize(dir.path().join(named)).unwrap(),
        std::fs::canonicalize(&found).unwrap()
    );
    assert_eq!(json["configuration"], named, "{json}");
    // The second line of the report, right below what was audited.
    assert_eq!(
        text.lines().nth(1),
        Some(format!("Configuration: {named}").as_str())
    );
    // It is the one that judged the run: its `fail_on` is the report's.
    assert_eq!(json["fail_on"], "never");
    let stderr = cli::stderr(&cli::run(&["plan", plan], dir.path()));
    assert!(
        stderr.contains(&format!("tfaudit: configuration {named}")),
        "{stderr}"
    );

    // --config names another file: that one is reported.
    cli::write(dir.path(), "strict.toml", "fail_on = \"low\"\n");
    let (text, json) = text_and_json(&["plan", plan, "--config", "strict.toml"], dir.path());
    assert_eq!(configuration_line(&text), Some("strict.toml"), "{text}");
    assert_eq!(json["configuration"], "strict.toml");
    assert_eq!(json["fail_on"], "low");
}

#[test]
fn the_state_report_names_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let state = cli::data("states/cluster.tfstate");
    cli::write(dir.path(), "audit.toml", "fail_on = \"never\"\n");
    let (text, json) = text_and_json(
        &["state", state.to_str().unwrap(), "--config", "audit.toml"],
        dir.path(),
    );
    assert_eq!(configuration_line(&text), Some("audit.toml"), "{text}");
    assert_eq!(json["configuration"], "audit.toml", "{json}");
    assert_eq!(json["command"], "state");
}
