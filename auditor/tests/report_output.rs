//! `--format` and `--report FORMAT=PATH`: parsing, and files written atomically
//! (all of them, or none of them).

mod report_fixture;

use std::path::{Path, PathBuf};

use report_fixture::plan_report;
use tfaudit::commands::error::CommandError;
use tfaudit::report::output::{emit_to, parse_report_specs, write_all_atomically, ReportSpec};
use tfaudit::report::{render, Format};

fn specs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Every entry of `dir`, recursively, sorted.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(entries(&path));
        }
        found.push(path);
    }
    found.sort();
    found
}

#[test]
fn format_path_pairs_parse() {
    let parsed = parse_report_specs(&specs(&[
        "sarif=out/tfaudit.sarif",
        "JUnit=junit.xml",
        "json=weird=name.json",
    ]))
    .unwrap();
    assert_eq!(
        parsed,
        [
            ReportSpec {
                format: Format::Sarif,
                path: "out/tfaudit.sarif".into()
            },
            ReportSpec {
                format: Format::Junit,
                path: "junit.xml".into()
            },
            ReportSpec {
                format: Format::Json,
                path: "weird=name.json".into()
            },
        ]
    );
}

#[test]
fn bad_pairs_are_named_with_the_accepted_formats() {
    let cases = [
        ("sarif", "no `=` between format and path"),
        ("xml=out.xml", "unknown format `xml`"),
        ("json=", "the path is empty"),
        ("=out.json", "unknown format ``"),
        ("sarif=reports/", "the path names a folder, not a file"),
        ("sarif=..", "the path names a folder, not a file"),
    ];
    for (spec, problem) in cases {
        let error = parse_report_specs(&specs(&["text=ok.txt", spec]))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("--report `{spec}`: {problem};")),
            "{spec}: {error}"
        );
        assert!(
            error.contains("text, json, sarif, junit, markdown, github"),
            "{error}"
        );
    }
    let error = parse_report_specs(&specs(&["json=a.out", "sarif=a.out"]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("`a.out` is given more than once"), "{error}");
}

#[test]
fn nothing_is_written_when_one_pair_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("reports/tfaudit.json");
    let error = parse_report_specs(&[
        format!("json={}", good.display()),
        format!("yaml={}", dir.path().join("b.yaml").display()),
    ])
    .and_then(|specs| emit_to(&mut Vec::new(), false, Format::Json, &specs, &plan_report()))
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown format `yaml`"),
        "{error}"
    );
    assert_eq!(CommandError::from(error).exit_code(), 2);
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn every_report_is_written_and_stdout_gets_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let report = plan_report();
    let targets: Vec<(Format, PathBuf)> = Format::ALL
        .into_iter()
        .map(|format| (format, dir.path().join(format!("out/report.{format}"))))
        .collect();
    let specs: Vec<ReportSpec> = targets
        .iter()
        .map(|(format, path)| ReportSpec {
            format: *format,
            path: path.clone(),
        })
        .collect();
    // An older report at one of the paths is replaced.
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::write(&targets[1].1, "stale").unwrap();

    let mut stdout = Vec::new();
    emit_to(&mut stdout, false, Format::Markdown, &specs, &report).unwrap();

    assert_eq!(
        String::from_utf8(stdout).unwrap(),
        render(Format::Markdown, &report)
    );
    for (format, path) in &targets {
        let written = std::fs::read_to_string(path).unwrap();
        assert_eq!(written, render(*format, &report), "{format}");
    }
    let text = std::fs::read_to_string(&targets[0].1).unwrap();
    assert!(!text.contains('\x1b'), "files never get colour");
    let mut expected: Vec<PathBuf> = targets.iter().map(|(_, p)| p.clone()).collect();
    expected.push(dir.path().join("out"));
    expected.sort();
    assert_eq!(
        entries(dir.path()),
        expected,
        "no temporary file left behind"
    );
}

#[test]
fn colour_reaches_stdout_only_when_asked() {
    let report = plan_report();
    let mut coloured = Vec::new();
    emit_to(&mut coloured, true, Format::Text, &[], &report).unwrap();
    assert!(String::from_utf8(coloured).unwrap().contains("\x1b["));
    let mut plain = Vec::new();
    emit_to(&mut plain, false, Format::Text, &[], &report).unwrap();
    assert_eq!(
        String::from_utf8(plain).unwrap(),
        render(Format::Text, &report)
    );
}

#[test]
fn a_failed_write_leaves_every_destination_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.json");
    std::fs::write(&first, "previous run").unwrap();
    // A regular file where a folder is needed: the second write cannot happen.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "").unwrap();
    let second = blocker.join("second.json");

    let error = write_all_atomically(&[
        (first.clone(), "new contents".to_string()),
        (second.clone(), "new contents".to_string()),
    ])
    .unwrap_err();
    assert!(error.to_string().contains("blocker"), "{error}");
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "previous run");
    assert!(!second.exists());
    assert_eq!(
        entries(dir.path()),
        [blocker, first],
        "temporary files are cleaned up"
    );
}
