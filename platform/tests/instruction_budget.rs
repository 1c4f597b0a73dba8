//! The instruction-count check that `make test` runs (`bench/instructions.sh`):
//! it passes on the committed baseline's terms and fails when tfaudit executes
//! more than the tolerance above a baseline.

mod common;

use std::process::Command;

use guardrail_testkit::tools;

fn check(baseline: &std::path::Path) -> std::process::Output {
    Command::new("bash")
        .arg(common::repo_path("bench/instructions.sh"))
        .env("TFAUDIT_BIN", tools::tfaudit_bin())
        .env("BENCH_BASELINE", baseline)
        .env("BENCH_CASES", "plan-1000-json")
        .output()
        .expect("bash runs bench/instructions.sh")
}

#[test]
fn a_run_over_the_baseline_fails_and_says_what_to_do() {
    let committed = std::fs::read_to_string(common::repo_path("bench/instructions.baseline"))
        .expect("bench/instructions.baseline is committed");
    let count: u64 = committed
        .lines()
        .find_map(|line| line.strip_prefix("plan-1000-json "))
        .expect("the baseline has the plan-1000-json case")
        .trim()
        .parse()
        .expect("a count");
    let dir = tempfile::tempdir().unwrap();

    // Half the instructions it really takes: a slowdown of 100%.
    let strict = dir.path().join("halved.baseline");
    std::fs::write(&strict, format!("plan-1000-json {}\n", count / 2)).unwrap();
    let slower = check(&strict);
    let stderr = String::from_utf8_lossy(&slower.stderr);
    assert_eq!(slower.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("above the baseline"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&slower.stdout).contains("slower"),
        "{}",
        String::from_utf8_lossy(&slower.stdout)
    );

    // A baseline without the case is an error that names the fix.
    let empty = dir.path().join("empty.baseline");
    std::fs::write(&empty, "# nothing measured\n").unwrap();
    let missing = check(&empty);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--update"));
}
