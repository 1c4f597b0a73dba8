//! The progress bar of `tfaudit state`: on a terminal (a pseudo-terminal from
//! util-linux `script`) stderr shows it with the count of objects read; a
//! piped stderr, `--quiet`, `--no-color`, `NO_COLOR` and `TERM=dumb` get none,
//! and the report on stdout is the same either way.

#[path = "support/cli.rs"]
mod cli;

use std::path::Path;
use std::process::Command;

/// A folder of `count` states.
fn states(dir: &Path, count: usize) {
    let state = std::fs::read(cli::data("states/cluster.tfstate")).unwrap();
    for index in 0..count {
        std::fs::write(dir.join(format!("s{index:02}.tfstate")), &state).unwrap();
    }
}

/// Single-quoted for the shell.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// What a terminal shows for `tfaudit ARGS` run in a pseudo-terminal, stdout
/// sent to `report`: only stderr reaches the terminal.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)], report: &Path) -> String {
    let mut line = vec![quoted(env!("CARGO_BIN_EXE_tfaudit"))];
    line.extend(args.iter().map(|arg| quoted(arg)));
    line.push(format!(">{}", quoted(report.to_str().unwrap())));
    let mut command = Command::new("script");
    command
        .args(["-qec", &line.join(" "), "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("TFAUDIT_LOG")
        .env("TERM", "xterm-256color");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command
        .output()
        .expect("run util-linux `script` (Debian's bsdutils)");
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{shown}");
    shown
}

/// Flags and environment variables that turn the bar off.
type Opt<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

fn shows_a_bar(terminal: &str) -> bool {
    terminal.contains("reading states") || terminal.contains(" objects (")
}

#[test]
fn a_terminal_shows_the_bar_with_the_count_of_objects_read() {
    let dir = tempfile::tempdir().unwrap();
    states(dir.path(), 40);
    let report = dir.path().join("report.txt");
    let target = dir.path().to_str().unwrap();
    let terminal = on_a_terminal(&["state", target, "--fail-on", "never"], &[], &report);
    assert!(terminal.contains("reading states"), "{terminal:?}");
    assert!(terminal.contains("40/40 objects"), "{terminal:?}");
    // The report went to stdout, untouched by the bar.
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.starts_with("tfaudit state: "), "{text}");
    assert!(text.contains("states: 40"), "{text}");
    assert!(!shows_a_bar(&text), "{text}");
}

#[test]
fn piped_stderr_and_the_opt_outs_get_no_bar() {
    let dir = tempfile::tempdir().unwrap();
    states(dir.path(), 40);
    let target = dir.path().to_str().unwrap();

    // stderr a pipe, even without NO_COLOR.
    let output = cli::tfaudit()
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .args(["state", target, "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = cli::stderr(&output);
    assert!(!shows_a_bar(&stderr), "{stderr:?}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );

    // On a terminal, each opt-out silences it.
    let report = dir.path().join("report.txt");
    let cases: [Opt<'_>; 4] = [
        (&["--quiet"], &[]),
        (&["--no-color"], &[]),
        (&[], &[("TERM", "dumb")]),
        (&[], &[("NO_COLOR", "1")]),
    ];
    for (flags, env) in cases {
        let mut args = vec!["state", target, "--fail-on", "never"];
        args.extend_from_slice(flags);
        let terminal = on_a_terminal(&args, env, &report);
        assert!(!shows_a_bar(&terminal), "{flags:?} {env:?}: {terminal:?}");
    }
}
