//! Where the time of `tfaudit plan` goes, phase by phase, on one plan file.
//!
//!     python3 bench/gen_plan.py 100000 /tmp/plan.json
//!     cargo bench -p tfaudit --bench plan_phases -- /tmp/plan.json
//!
//! Prints the median of five runs of: serde_json skipping the whole document
//! (the floor any JSON reader pays), SHA-256 of the bytes, reading the plan
//! from memory, loading it from the file (read-ahead thread, hashing), the
//! redactor, the rules, and each reporter.

use std::path::Path;
use std::time::{Duration, Instant};

use sha2::Digest;
use tfaudit::audit::audit;
use tfaudit::config::{BudgetLimits, Config};
use tfaudit::plan::parse::{load, parse_slice};
use tfaudit::redact::Redactor;
use tfaudit::report::{render, Format, Report};
use tfaudit::rules;

const RUNS: usize = 5;

fn median(mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn show(phase: &str, time: Duration) {
    println!("{phase:<28} {:>9.1} ms", time.as_secs_f64() * 1000.0);
}

fn main() {
    let Some(path) = std::env::args().skip(1).find(|arg| !arg.starts_with('-')) else {
        eprintln!("usage: cargo bench -p tfaudit --bench plan_phases -- PLAN.json");
        std::process::exit(2);
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|error| {
        eprintln!("{path}: {error}");
        std::process::exit(2);
    });
    println!("{path}: {:.1} MiB", bytes.len() as f64 / 1048576.0);
    show(
        "serde_json skip (floor)",
        median(|| {
            let _: serde::de::IgnoredAny = serde_json::from_slice(&bytes).expect("valid JSON");
        }),
    );
    show(
        "sha-256",
        median(|| {
            sha2::Sha256::digest(&bytes);
        }),
    );
    show(
        "read plan from memory",
        median(|| {
            parse_slice(&bytes, Path::new(&path)).expect("a plan");
        }),
    );
    show(
        "load plan from file",
        median(|| {
            load(&path, None).expect("a plan");
        }),
    );
    let loaded = load(&path, None).expect("a plan");
    show(
        "redactor",
        median(|| {
            Redactor::for_plan(&loaded.plan);
        }),
    );
    let config = Config::default();
    show(
        "rules",
        median(|| {
            audit(&loaded, &config, BudgetLimits::default(), &[]);
        }),
    );
    let outcome = audit(&loaded, &config, BudgetLimits::default(), &[]);
    println!("  ({} findings)", outcome.findings.len());
    let report = Report {
        command: "plan",
        subject: path.clone(),
        summary: outcome.summary,
        findings: outcome.findings,
        rules: rules::infos(),
        fail_on: config.fail_on,
        configuration: None,
        options: Default::default(),
    };
    for format in Format::ALL {
        show(
            &format!("report {format:?}"),
            median(|| {
                let _ = render(format, &report);
            }),
        );
    }
}
