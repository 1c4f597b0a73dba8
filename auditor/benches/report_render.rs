//! How long each reporter takes for a large report, and how long the source map
//! takes to load a large configuration.
//!
//!     cargo bench -p tfaudit --bench report_render [-- FINDINGS]
//!
//! Prints the median of five runs per format (default: 100,000 findings).

use std::time::{Duration, Instant};

use tfaudit::findings::{FailOn, Finding, RuleInfo, Severity, SourceLocation};
use tfaudit::report::{render, Format, Report};
use tfaudit::source::SourceMap;

const RUNS: usize = 5;

const RULE_IDS: [&str; 6] = [
    "plan/destroy",
    "plan/replace",
    "budget/exceeded",
    "plan/public-ip",
    "plan/tags",
    "plan/import",
];

fn large_report(findings: usize) -> Report {
    let rules = RULE_IDS
        .iter()
        .enumerate()
        .map(|(i, id)| RuleInfo {
            id,
            default_severity: Severity::ALL[i % 5],
            summary: "benchmark rule",
            help: "A rule used only by the benchmark.",
        })
        .collect();
    let findings = (0..findings)
        .map(|i| {
            let module = match i % 4 {
                0 => String::new(),
                n => format!("module.m{n}"),
            };
            let prefix = if module.is_empty() {
                String::new()
            } else {
                format!("{module}.")
            };
            let mut finding = Finding::new(
                RULE_IDS[i % RULE_IDS.len()],
                Severity::ALL[(i * 7) % 5],
                format!("{prefix}hcloud_server.s{}[\"k{}\"]", i / 5, i % 5),
                format!("server {i} changes in a way the rule reports (sensitive value)"),
            );
            finding.module = module;
            if i % 3 == 0 {
                finding.location = Some(SourceLocation {
                    file: format!("modules/m{}/main.tf", i % 4),
                    line: u32::try_from(i % 5000).unwrap_or(1) + 1,
                });
            }
            if i % 50 == 0 {
                finding.waived = true;
                finding.waiver_reason = Some("accepted for the benchmark".into());
            }
            finding
        })
        .collect();
    let mut summary = serde_json::Map::new();
    summary.insert(
        "changes".into(),
        serde_json::json!({"create": 10, "update": 20, "delete": 3, "replace": 1}),
    );
    Report {
        command: "plan",
        subject: "plan.json".into(),
        summary,
        findings,
        rules,
        fail_on: Some(FailOn::At(Severity::High)),
        configuration: None,
        options: Default::default(),
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut samples = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let value = work();
        samples.push(started.elapsed());
        last = Some(value);
    }
    (median(samples), last.expect("at least one run"))
}

/// A configuration of `modules` local modules with `per_module` resources each.
fn write_configuration(dir: &std::path::Path, modules: usize, per_module: usize) {
    let mut root = String::new();
    for m in 0..modules {
        root.push_str(&format!(
            "module \"m{m}\" {{\n  source = \"./modules/m{m}\"\n}}\n\n"
        ));
        let module_dir = dir.join(format!("modules/m{m}"));
        std::fs::create_dir_all(&module_dir).expect("create module folder");
        let mut text = String::new();
        for r in 0..per_module {
            text.push_str(&format!(
                "resource \"hcloud_server\" \"s{r}\" {{\n  name = \"s{r}\"\n  labels = {{ env = \"bench\" }}\n}}\n\n"
            ));
        }
        std::fs::write(module_dir.join("main.tf"), text).expect("write module");
    }
    std::fs::write(dir.join("main.tf"), root).expect("write root module");
}

fn main() {
    let findings: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(100_000);
    let report = large_report(findings);
    println!("{findings} findings, median of {RUNS} runs");
    for format in Format::ALL {
        let (elapsed, output) = time(|| render(format, &report));
        println!(
            "  {:<9} {:>9.1} ms  {:>8.1} KiB",
            format.name(),
            elapsed.as_secs_f64() * 1000.0,
            output.len() as f64 / 1024.0
        );
    }

    let dir = std::env::temp_dir().join(format!("tfaudit-bench-{}", std::process::id()));
    write_configuration(&dir, 50, 200);
    let (elapsed, map) = time(|| SourceMap::load(&dir).expect("load the configuration"));
    println!(
        "source map: {} declarations in 51 modules loaded in {:.1} ms",
        map.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    let (elapsed, located) = time(|| {
        (0..findings)
            .filter(|i| {
                map.locate(&format!("module.m{}.hcloud_server.s{}[0]", i % 50, i % 200))
                    .is_some()
            })
            .count()
    });
    println!(
        "source map: {located} of {findings} addresses located in {:.1} ms",
        elapsed.as_secs_f64() * 1000.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
