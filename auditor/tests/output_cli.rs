//! Where output goes and what it looks like: `--report FORMAT=-` on stdout
//! (one report at most there), no colour with `--no-color` or `TERM=dumb`, no
//! ANSI escapes in logs written to a file, and an unreachable S3 endpoint said
//! in one line for people.

#[path = "support/cli.rs"]
mod cli;

use cli::{case as plan, run, stderr};

use std::path::Path;
use std::process::{Command, Stdio};

/// [`cli::tfaudit`] with colour left to tfaudit's own rules.
fn tfaudit() -> Command {
    let mut command = cli::tfaudit();
    command.env_remove("NO_COLOR");
    command
}

#[test]
fn a_report_to_dash_is_written_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let case = plan("firewall_changes").display().to_string();
    let sarif = dir.path().join("out.sarif");
    let sarif_arg = format!("sarif={}", sarif.display());
    let output = run(
        &["plan", &case, "--report", "json=-", "--report", &sarif_arg],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["command"], "plan");
    assert!(sarif.is_file(), "the file report is written too");
    assert!(!dir.path().join("-").exists(), "no file named `-`");
}

#[test]
fn two_reports_on_stdout_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let case = plan("firewall_changes").display().to_string();
    let file = dir.path().join("out.md");
    let file_arg = format!("markdown={}", file.display());
    let cases: [(&[&str], &str); 4] = [
        (
            &["--report", "json=-", "--report", "sarif=-"],
            "only one report can be written to stdout",
        ),
        (
            &["--format", "json", "--report", "sarif=-"],
            "--format json and --report sarif=-: both would be written to stdout",
        ),
        (
            &["--format", "text", "--report", "junit=-"],
            "both would be written to stdout",
        ),
        (
            &["--format=github", "--report", "json=-"],
            "both would be written to stdout",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["plan", case.as_str(), "--report", file_arg.as_str()];
        args.extend_from_slice(extra);
        let output = run(&args, dir.path());
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {message}");
        assert!(message.contains(expected), "{extra:?}: {message}");
        assert!(output.stdout.is_empty(), "{extra:?}");
        assert!(!file.exists(), "{extra:?}: no report file");
        assert!(!dir.path().join("-").exists(), "{extra:?}");
    }
}

#[test]
fn state_and_drift_write_a_dash_report_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/states");
    let state = data.join("cluster.tfstate").display().to_string();
    let refresh = data.join("refresh-plan.json").display().to_string();
    for args in [
        vec!["state", state.as_str(), "--report", "json=-"],
        vec![
            "drift",
            "--refresh-plan",
            refresh.as_str(),
            "--report",
            "json=-",
        ],
    ] {
        let output = tfaudit()
            .args(&args)
            .env_remove("HCLOUD_TOKEN")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&output)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["command"], args[0]);
        assert!(!dir.path().join("-").exists(), "{args:?}");
    }
}

/// Runs tfaudit on a terminal (through `script`) and returns what it printed;
/// `None` where `script` is not installed.
fn on_a_terminal(args: &[&str], term: &str) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|path| Path::new(path).is_file())?;
    let mut line = String::from(env!("CARGO_BIN_EXE_tfaudit"));
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let output = Command::new(script)
        .args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("TFAUDIT_LOG")
        .env("TERM", term)
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn no_color_and_term_dumb_turn_colour_off_on_a_terminal() {
    let case = plan("firewall_changes").display().to_string();
    let Some(coloured) = on_a_terminal(&["plan", &case], "xterm") else {
        eprintln!("no `script`: the terminal cases are skipped");
        return;
    };
    assert!(coloured.contains('\u{1b}'), "a terminal gets colour");
    for (args, term) in [
        (vec!["plan", case.as_str(), "--no-color"], "xterm"),
        (vec!["--no-color", "plan", case.as_str()], "xterm"),
        (vec!["plan", case.as_str()], "dumb"),
    ] {
        let printed = on_a_terminal(&args, term).unwrap();
        assert!(printed.contains("plan/destroy"), "{args:?}: {printed}");
        assert!(
            !printed.contains('\u{1b}'),
            "{args:?} TERM={term}: {printed}"
        );
    }
}

#[test]
fn logs_written_to_a_file_have_no_ansi_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tfaudit.log");
    let case = plan("firewall_changes").display().to_string();
    for filter in ["debug", "tfaudit=trace"] {
        let status = tfaudit()
            .args(["plan", &case, "--log", filter])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1));
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("plan read"), "{filter}: {text}");
        assert!(!text.contains('\u{1b}'), "{filter}: {text}");
    }
}

#[test]
fn a_refused_s3_connection_is_one_line_for_people() {
    let dir = tempfile::tempdir().unwrap();
    let line = "cannot reach http://127.0.0.1:9: connection refused; \
                check --endpoint / AWS_ENDPOINT_URL_S3";
    let s3 = |args: &[&str]| {
        tfaudit()
            .args(args)
            .args(["--endpoint", "http://127.0.0.1:9"])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "auto")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", dir.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let listing = s3(&["state", "s3://bucket/prefix/"]);
    let message = stderr(&listing);
    assert_eq!(listing.status.code(), Some(2), "{message}");
    assert!(
        message.contains(&format!("s3://bucket/prefix/: cannot list objects: {line}")),
        "{message}"
    );
    assert!(!message.contains("DispatchFailure"), "{message}");

    let object = s3(&["state", "s3://bucket/env.tfstate", "--format", "json"]);
    assert_eq!(object.status.code(), Some(1), "{}", stderr(&object));
    let report: serde_json::Value = serde_json::from_slice(&object.stdout).unwrap();
    let finding = &report["findings"][0];
    assert_eq!(finding["rule_id"], "state/unreadable");
    let text = finding["message"].as_str().unwrap();
    assert!(text.contains(line), "{text}");
    assert!(!text.contains("DispatchFailure"), "{text}");

    // A journal with an endpoint of its own is named by that endpoint.
    let journal = tfaudit()
        .args([
            "state",
            "s3://bucket/env.tfstate",
            "--journal",
            "s3://journal/",
        ])
        .args(["--endpoint", "http://127.0.0.1:9"])
        .env("TFAUDIT_JOURNAL_ENDPOINT", "http://127.0.0.1:7")
        .env("TFAUDIT_JOURNAL_ACCESS_KEY_ID", "journal")
        .env("TFAUDIT_JOURNAL_SECRET_ACCESS_KEY", "journal")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "auto")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let message = stderr(&journal);
    assert_eq!(journal.status.code(), Some(2), "{message}");
    assert!(
        message.contains("cannot reach http://127.0.0.1:7: connection refused"),
        "{message}"
    );
    assert!(!message.contains("DispatchFailure"), "{message}");
}

#[test]
fn a_reader_that_stops_early_ends_the_run_without_a_panic() {
    // `tfaudit rules | head -c0`, without the timing: the pipe's reading end is
    // closed before tfaudit starts, so its first write meets a closed pipe.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let output = tfaudit()
        .arg("rules")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run tfaudit rules");
    let stderr = stderr(&output);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
    assert_ne!(output.status.code(), Some(101), "a panic's exit code");
}
