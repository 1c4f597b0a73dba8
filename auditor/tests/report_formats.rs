//! What each output format shows for a fixed plan report: structure, key content,
//! ordering, escaping and the verdict.

mod report_fixture;

use report_fixture::{plan_report, with_threshold, TRICKY_MESSAGE};
use serde_json::Value;
use tfaudit::findings::{FailOn, Finding, Severity};
use tfaudit::report::{markdown, render, render_with_color, Format, Report};

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn severity_rank(name: &str) -> usize {
    ["info", "low", "medium", "high", "critical"]
        .iter()
        .position(|s| *s == name)
        .unwrap_or_else(|| panic!("unknown severity {name}"))
}

mod text {
    use super::*;

    #[test]
    fn summary_groups_by_severity_and_ends_with_the_verdict() {
        let output = render(Format::Text, &plan_report());
        assert!(
            !output.contains('\x1b'),
            "no colour unless asked:\n{output}"
        );
        assert!(output.starts_with("tfaudit plan: plan.json\n"), "{output}");
        assert!(output.contains(
            "Changes: 2 create, 1 update, 1 delete, 1 replace, 0 read, 10 no-op, 0 forget, 0 import\n"
        ));
        assert!(output.contains("Findings: 1 critical, 1 high, 2 medium, 0 low, 1 info (1 waived)"));
        let critical = output.find("CRITICAL (1)").expect("critical group");
        let high = output.find("HIGH (1)").expect("high group");
        let medium = output.find("MEDIUM (2)").expect("medium group");
        let info = output.find("INFO (1)").expect("info group");
        assert!(
            critical < high && high < medium && medium < info,
            "{output}"
        );
        assert!(!output.contains("LOW ("), "the only low finding is waived");
        assert!(output.contains("hcloud_server.db is destroyed  [main.tf:12]"));
        assert!(output.contains("WAIVED (1)"));
        assert!(output.contains("waived: approved in CHG-42"));
        let last = output.trim_end().lines().last().unwrap();
        assert_eq!(last, "FAIL: 2 findings at or above the threshold `high`");
    }

    #[test]
    fn colour_only_adds_escape_codes() {
        let report = plan_report();
        let plain = render_with_color(Format::Text, &report, false);
        let coloured = render_with_color(Format::Text, &report, true);
        assert!(coloured.contains("\x1b["), "colour asked for:\n{coloured}");
        assert_eq!(strip_ansi(&coloured), plain);
        // Colour is for the text format only.
        assert_eq!(
            render_with_color(Format::Json, &report, true),
            render(Format::Json, &report)
        );
    }

    #[test]
    fn pass_line_names_the_threshold() {
        let cases = [
            (FailOn::Never, "PASS: the threshold is `never`"),
            (
                FailOn::At(Severity::Critical),
                "FAIL: 1 finding at or above the threshold `critical`",
            ),
        ];
        for (threshold, expected) in cases {
            let output = render(Format::Text, &with_threshold(threshold));
            assert_eq!(output.trim_end().lines().last().unwrap(), expected);
        }
        let mut report = plan_report();
        report
            .findings
            .retain(|finding| finding.severity < Severity::High);
        let output = render(Format::Text, &report);
        assert!(output
            .trim_end()
            .ends_with("PASS: no findings at or above the threshold `high`"));
    }

    #[test]
    fn messages_cannot_drive_the_terminal() {
        let mut report = plan_report();
        report.findings = vec![Finding::new(
            "plan/tags",
            Severity::High,
            "hcloud_server.x",
            "clears the screen \x1b[2J and rings \x07",
        )];
        let output = render(Format::Text, &report);
        assert!(
            !output.contains('\x1b') && !output.contains('\x07'),
            "{output:?}"
        );
        assert!(output.contains("clears the screen"));
    }
}

mod json {
    use super::*;

    #[test]
    fn document_has_the_documented_shape() {
        let value: Value = serde_json::from_str(&render(Format::Json, &plan_report())).unwrap();
        assert_eq!(value["tool"]["name"], "tfaudit");
        assert_eq!(value["tool"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(value["command"], "plan");
        assert_eq!(value["subject"], "plan.json");
        assert_eq!(value["passed"], false);
        let changes = &value["summary"]["changes"];
        for (action, count) in [("create", 2), ("update", 1), ("delete", 1), ("no_op", 10)] {
            assert_eq!(changes[action], count, "{action}");
        }
        let counts = &value["summary"]["findings"];
        for (severity, count) in [
            ("critical", 1),
            ("high", 1),
            ("medium", 2),
            ("low", 0),
            ("info", 1),
        ] {
            assert_eq!(
                counts[severity], count,
                "waived findings are not counted: {severity}"
            );
        }

        let findings = value["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 6);
        let waived = findings.iter().find(|f| f["waived"] == true).unwrap();
        assert_eq!(waived["waiver_reason"], "approved in CHG-42");
        let destroy = &findings[0];
        assert_eq!(destroy["rule_id"], "plan/destroy");
        assert_eq!(destroy["location"]["file"], "main.tf");
        assert_eq!(destroy["location"]["line"], 12);
        assert!(destroy.get("module").is_none(), "root module is omitted");
        let replace = findings
            .iter()
            .find(|f| f["rule_id"] == "plan/replace")
            .unwrap();
        assert_eq!(replace["module"], "module.net");
        let tricky = findings
            .iter()
            .find(|f| f["rule_id"] == "budget/exceeded")
            .unwrap();
        assert_eq!(tricky["message"], TRICKY_MESSAGE);
        assert!(findings
            .iter()
            .all(|f| f["waiver_reason"].is_null() || f["waived"] == true));
    }

    #[test]
    fn passes_when_nothing_reaches_the_threshold() {
        let value: Value =
            serde_json::from_str(&render(Format::Json, &with_threshold(FailOn::Never))).unwrap();
        assert_eq!(value["passed"], true);
        assert_eq!(value["fail_on"], "never");
    }
}

mod ordering {
    use super::*;

    /// Severity then address, read back from each machine-readable format.
    #[test]
    fn every_format_lists_findings_most_severe_first_then_by_address() {
        let report = plan_report();
        let json: Value = serde_json::from_str(&render(Format::Json, &report)).unwrap();
        let from_json: Vec<(String, String)> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["severity"].as_str().unwrap().to_string(),
                    f["address"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        for pair in from_json.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let (rank_a, rank_b) = (severity_rank(&a.0), severity_rank(&b.0));
            assert!(
                rank_a > rank_b || (rank_a == rank_b && a.1 <= b.1),
                "{a:?} before {b:?}"
            );
        }

        let sarif: Value = serde_json::from_str(&render(Format::Sarif, &report)).unwrap();
        let from_sarif: Vec<(String, String)> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["properties"]["severity"].as_str().unwrap().to_string(),
                    r["properties"]["address"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(from_sarif, from_json);

        let github = render(Format::Github, &report);
        let addresses_in_github: Vec<&str> = github
            .lines()
            .filter(|line| line.starts_with("::"))
            .map(|line| {
                let message = line.splitn(3, "::").nth(2).unwrap();
                message
                    .split("] ")
                    .nth(1)
                    .unwrap()
                    .split(": ")
                    .next()
                    .unwrap()
            })
            .collect();
        let expected: Vec<&str> = from_json.iter().map(|(_, a)| a.as_str()).collect();
        assert_eq!(addresses_in_github, expected);
    }
}

mod github {
    use super::*;

    #[test]
    fn one_workflow_command_per_finding_with_level_file_and_title() {
        let output = render(Format::Github, &plan_report());
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 7, "six findings and the verdict:\n{output}");
        assert_eq!(
            lines[0],
            "::error file=main.tf,line=12,title=plan/destroy::[critical] hcloud_server.db: hcloud_server.db is destroyed"
        );
        assert!(lines[1].starts_with(
            "::error file=modules/net/main.tf,line=1,title=plan/replace::[high] module.net.hcloud_network.main"
        ));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("::warning title=custom/undeclared::")),
            "no location, no file property:\n{output}"
        );
        assert!(lines
            .iter()
            .any(|l| l.starts_with("::notice title=plan/tags::[info]")));
        let waived = lines
            .iter()
            .find(|l| l.contains("hcloud_server.web[0]"))
            .unwrap();
        assert!(waived.starts_with("::notice file=main.tf,line=30,title=plan/public-ip::[low]"));
        assert!(waived.ends_with("(waived: approved in CHG-42)"));
        assert_eq!(
            lines[6],
            "tfaudit plan: FAIL: 2 finding(s) at or above the threshold `high`"
        );
    }

    #[test]
    fn verdict_line_names_the_threshold() {
        let cases = [
            (
                FailOn::Never,
                "tfaudit plan: PASS: the threshold is `never`",
            ),
            (
                FailOn::At(Severity::Critical),
                "tfaudit plan: FAIL: 1 finding(s) at or above the threshold `critical`",
            ),
        ];
        for (threshold, expected) in cases {
            let output = render(Format::Github, &with_threshold(threshold));
            assert_eq!(output.lines().last(), Some(expected));
        }
        let mut report = plan_report();
        report.findings.retain(|f| f.severity < Severity::High);
        assert_eq!(
            render(Format::Github, &report).lines().last(),
            Some("tfaudit plan: PASS: nothing at or above the threshold `high`")
        );
    }

    #[test]
    fn escapes_data_and_properties_the_way_the_runner_reads_them() {
        let output = render(Format::Github, &plan_report());
        let tricky = output
            .lines()
            .find(|line| line.contains("budget/exceeded"))
            .unwrap();
        assert!(
            tricky.ends_with("3 > 2 <b>&\"quoted\"' 100%25 done: yes, really%0Asecond line"),
            "{tricky}"
        );

        let mut report = plan_report();
        report.findings = vec![Finding {
            location: Some(tfaudit::findings::SourceLocation {
                file: "odd:dir,1/100%.tf".into(),
                line: 4,
            }),
            ..Finding::new("a:b,c", Severity::Medium, "x.y", "carriage\rreturn")
        }];
        let output = render(Format::Github, &report);
        assert_eq!(
            output.lines().next().unwrap(),
            "::warning file=odd%3Adir%2C1/100%25.tf,line=4,title=a%3Ab%2Cc::[medium] x.y: carriage%0Dreturn"
        );
    }
}

mod markdown_comment {
    use super::*;

    /// Splits a table row the way GitHub does: a `|` right after a `\` is part of
    /// the cell (whatever comes before that backslash), any other `|` divides.
    fn cells(row: &str) -> Vec<String> {
        let mut cells = vec![String::new()];
        let mut escaped = false;
        for c in row.chars() {
            if c == '|' && !escaped {
                cells.push(String::new());
            } else {
                cells.last_mut().unwrap().push(c);
            }
            escaped = c == '\\';
        }
        cells
    }

    #[test]
    fn comment_has_marker_verdict_changes_and_findings_by_module() {
        let output = render(Format::Markdown, &plan_report());
        assert_eq!(output.lines().next(), Some(markdown::MARKER));
        assert!(output.contains("### tfaudit plan: :x: **FAIL**"));
        assert!(output.contains("fail threshold **high**: 2 findings at or above it"));
        assert!(output.contains(
            "| create | update | delete | replace | read | no-op | forget | import |\n\
             | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
             | 2 | 1 | 1 | 1 | 0 | 10 | 0 | 0 |\n"
        ));
        let root = output.find("#### Root module").expect("root group");
        let net = output
            .find("#### Module `module.net`")
            .expect("module group");
        assert!(root < net, "root module first");
        let root_section = &output[root..net];
        assert!(root_section.contains("`hcloud_server.db`"));
        assert!(!root_section.contains("hcloud_network.main"));
        assert!(output[net..].contains("`module.net.hcloud_network.main`"));
        assert!(output.contains("~~low~~ waived"));
        assert!(
            output.contains("(waived: approved in CHG\\-42)")
                || output.contains("(waived: approved in CHG-42)")
        );

        let pass = render(Format::Markdown, &with_threshold(FailOn::Never));
        assert!(pass.contains("### tfaudit plan: :white_check_mark: **PASS**"));
    }

    #[test]
    fn table_cells_escape_pipes_backticks_and_markup() {
        let mut report = plan_report();
        report.findings.push(Finding::new(
            "plan/tags",
            Severity::Info,
            "odd.addr[\"a|`b`\"]",
            "x",
        ));
        let output = render(Format::Markdown, &report);
        let rows: Vec<&str> = output
            .lines()
            .filter(|line| line.starts_with("| ") && line.contains('`'))
            .collect();
        assert_eq!(rows.len(), 7, "{output}");
        for row in &rows {
            assert_eq!(cells(row).len(), 7, "five cells in {row}");
        }
        let tricky = rows.iter().find(|r| r.contains("budget/exceeded")).unwrap();
        assert!(tricky.contains("budget \\`delete\\` exceeded \\| 3 \\> 2 \\<b\\>\\&\"quoted\"' 100% done: yes, really second line"),
            "{tricky}");
        let odd = rows.iter().find(|r| r.contains("odd.addr")).unwrap();
        assert!(odd.contains("``odd.addr[\"a\\|`b`\"]``"), "{odd}");
    }

    fn many_findings(count: usize) -> Report {
        let mut report = plan_report();
        report.findings = (0..count)
            .map(|i| {
                let severity = Severity::ALL[i % 5];
                let mut finding = Finding::new(
                    "plan/tags",
                    severity,
                    format!("module.m{}.hcloud_server.s{i:05}", i % 7),
                    // Row lengths vary, so a shorter, less severe row could fit
                    // where a more severe one did not.
                    format!(
                        "finding {i} with an explanation {}",
                        "x".repeat((i * 37) % 200)
                    ),
                );
                finding.module = format!("module.m{}", i % 7);
                finding
            })
            .collect();
        report
    }

    #[test]
    fn stays_within_githubs_limit_keeping_the_most_severe_whole_rows() {
        // 200 findings of each severity, far more than one comment holds.
        let total = 1000;
        let report = many_findings(total);
        let output = render(Format::Markdown, &report);
        assert!(
            output.len() <= markdown::GITHUB_COMMENT_LIMIT,
            "{} bytes",
            output.len()
        );
        assert!(output.chars().count() <= 65_536);

        let rows = finding_rows(&output);
        for row in &rows {
            assert!(
                row.ends_with(" |") && cells(row).len() == 7,
                "whole row: {row}"
            );
        }
        let left_out = total - rows.len();
        assert!(left_out > 0);
        assert!(
            output.contains(&format!("> {left_out} findings were left out")),
            "note names the count"
        );
        // Everything kept is at least as severe as everything left out: every
        // severity above the least severe kept one is complete.
        let kept_per_severity = |rank: usize| {
            rows.iter()
                .filter(|row| severity_rank(cells(row)[1].trim()) == rank)
                .count()
        };
        let kept_min = (0..5).find(|rank| kept_per_severity(*rank) > 0).unwrap();
        assert!(kept_min >= 1, "not everything fits");
        for rank in kept_min + 1..5 {
            assert_eq!(
                kept_per_severity(rank),
                total / 5,
                "severity rank {rank} complete"
            );
        }
    }

    fn finding_rows(output: &str) -> Vec<&str> {
        output
            .lines()
            .filter(|line| line.starts_with("| ") && line.contains("`plan/tags`"))
            .collect()
    }

    #[test]
    fn a_less_severe_row_never_takes_the_place_of_a_more_severe_one() {
        let mut report = plan_report();
        report.findings = vec![
            Finding::new("plan/destroy", Severity::Critical, "a.critical", "short"),
            Finding::new("plan/replace", Severity::High, "b.high", "x".repeat(5_000)),
            Finding::new("plan/tags", Severity::Info, "c.info", "short"),
        ];
        let with_all = markdown::render_with_limit(&report, 1_000_000);
        let limit = with_all.len() - 2_000;
        let output = markdown::render_with_limit(&report, limit);
        assert!(output.len() <= limit);
        assert!(output.contains("`a.critical`"));
        assert!(!output.contains("`b.high`"));
        assert!(
            !output.contains("`c.info`"),
            "the info row would fit, but the high one before it did not"
        );
        assert!(output.contains("> 2 findings were left out"));
    }

    #[test]
    fn smaller_limits_are_respected_too() {
        let report = many_findings(200);
        for limit in [1_500, 4_000, 10_000, 30_000] {
            let output = markdown::render_with_limit(&report, limit);
            assert!(
                output.len() <= limit,
                "limit {limit}: {} bytes",
                output.len()
            );
            let left_out = 200 - finding_rows(&output).len();
            assert!(left_out > 0, "limit {limit} is too small for everything");
            assert!(
                output.contains(&format!("> {left_out} findings were left out")),
                "limit {limit}"
            );
        }
        let everything = markdown::render_with_limit(&report, 1_000_000);
        assert!(!everything.contains("left out"));
        assert_eq!(everything.matches("`plan/tags`").count(), 200);
    }
}

mod junit {
    use super::*;
    use quick_xml::events::Event;
    use quick_xml::{Reader, XmlVersion};

    /// A test case as read back from the XML.
    #[derive(Debug, Default)]
    struct Case {
        classname: String,
        name: String,
        failure_message: Option<String>,
        failure_text: String,
        system_out: String,
    }

    struct Parsed {
        suites: usize,
        suite_failures: String,
        cases: Vec<Case>,
    }

    /// Parses the document with a real XML parser; any well-formedness error fails.
    fn parse(xml: &str) -> Parsed {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        let mut parsed = Parsed {
            suites: 0,
            suite_failures: String::new(),
            cases: Vec::new(),
        };
        let mut in_element = String::new();
        let mut depth = 0i32;
        loop {
            let event = reader
                .read_event()
                .unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"));
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    if matches!(event, Event::Start(_)) {
                        depth += 1;
                    }
                    let name = start.name().as_ref().to_string();
                    let attr = |key: &str| {
                        start
                            .attributes()
                            .map(|a| a.unwrap())
                            .find(|a| a.key.as_ref() == key)
                            .map(|a| {
                                a.normalized_value(XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .into_owned()
                            })
                    };
                    match name.as_str() {
                        "testsuite" => {
                            parsed.suites += 1;
                            parsed.suite_failures = attr("failures").unwrap();
                        }
                        "testcase" => parsed.cases.push(Case {
                            classname: attr("classname").unwrap(),
                            name: attr("name").unwrap(),
                            ..Case::default()
                        }),
                        "failure" => {
                            parsed.cases.last_mut().unwrap().failure_message = attr("message");
                        }
                        _ => {}
                    }
                    in_element = name;
                }
                Event::End(_) => depth -= 1,
                Event::Text(text) => {
                    let text = text.xml10_content().into_owned();
                    if let Some(case) = parsed.cases.last_mut() {
                        match in_element.as_str() {
                            "failure" => case.failure_text.push_str(&text),
                            "system-out" => case.system_out.push_str(&text),
                            _ => {}
                        }
                    }
                }
                Event::GeneralRef(reference) => {
                    let name = reference.into_inner().into_owned();
                    let text = quick_xml::escape::unescape(&format!("&{name};"))
                        .unwrap()
                        .into_owned();
                    if let Some(case) = parsed.cases.last_mut() {
                        match in_element.as_str() {
                            "failure" => case.failure_text.push_str(&text),
                            "system-out" => case.system_out.push_str(&text),
                            _ => {}
                        }
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0, "every element closed");
        parsed
    }

    #[test]
    fn one_suite_one_case_per_rule_failing_at_the_threshold() {
        let xml = render(Format::Junit, &plan_report());
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        let parsed = parse(&xml);
        assert_eq!(parsed.suites, 1);
        let names: Vec<&str> = parsed.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "plan/destroy",
                "plan/replace",
                "budget/exceeded",
                "plan/public-ip",
                "plan/tags",
                "plan/unused",
                "custom/undeclared"
            ]
        );
        assert!(parsed.cases.iter().all(|c| c.classname == "tfaudit.plan"));
        let case = |name: &str| parsed.cases.iter().find(|c| c.name == name).unwrap();

        let destroy = case("plan/destroy");
        assert_eq!(
            destroy.failure_message.as_deref(),
            Some("1 finding at or above the threshold `high`")
        );
        assert!(destroy
            .failure_text
            .contains("[critical] hcloud_server.db: hcloud_server.db is destroyed (main.tf:12)"));
        assert!(case("plan/replace").failure_message.is_some());

        let budget = case("budget/exceeded");
        assert!(budget.failure_message.is_none(), "medium is below `high`");
        assert!(
            budget.system_out.contains(TRICKY_MESSAGE),
            "escaped and read back intact"
        );

        let waived = case("plan/public-ip");
        assert!(waived.failure_message.is_none());
        assert!(waived.system_out.contains("(waived: approved in CHG-42)"));
        assert!(case("plan/unused").failure_message.is_none());
        assert!(case("plan/unused").system_out.is_empty());
        assert_eq!(parsed.suite_failures, "2");
    }

    #[test]
    fn lower_threshold_fails_more_rules() {
        let parsed = parse(&render(
            Format::Junit,
            &with_threshold(FailOn::At(Severity::Info)),
        ));
        let failing: Vec<&str> = parsed
            .cases
            .iter()
            .filter(|c| c.failure_message.is_some())
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            failing,
            [
                "plan/destroy",
                "plan/replace",
                "budget/exceeded",
                "plan/tags",
                "custom/undeclared"
            ],
            "the waived low finding never fails"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_keep_the_document_well_formed() {
        let mut report = plan_report();
        report.subject = "a \"plan\" <&> 'file'".into();
        report.findings = vec![Finding::new(
            "plan/destroy",
            Severity::Critical,
            "x.y[\"<&>\"]",
            "bell \x07 nul \0 escape \x1b ]]> end",
        )];
        let parsed = parse(&render(Format::Junit, &report));
        let destroy = &parsed.cases[0];
        assert!(
            destroy.failure_text.contains("x.y[\"<&>\"]"),
            "{}",
            destroy.failure_text
        );
        assert!(destroy
            .failure_text
            .contains("bell \u{FFFD} nul \u{FFFD} escape \u{FFFD} ]]> end"));
    }
}

mod sarif {
    use super::*;
    use std::collections::HashSet;

    fn log(report: &Report) -> Value {
        serde_json::from_str(&render(Format::Sarif, report)).unwrap()
    }

    fn text_field(value: &Value, pointer: &str) -> String {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| panic!("missing {pointer} in {value:#}"))
            .to_string()
    }

    /// The parts of the SARIF 2.1.0 schema GitHub code scanning relies on.
    fn assert_valid_for_code_scanning(log: &Value) {
        assert_eq!(text_field(log, "/version"), "2.1.0");
        assert!(text_field(log, "/$schema").contains("sarif-2.1.0"));
        let runs = log["runs"].as_array().expect("runs array");
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        let driver = &run["tool"]["driver"];
        assert_eq!(text_field(driver, "/name"), "tfaudit");
        assert_eq!(text_field(driver, "/version"), env!("CARGO_PKG_VERSION"));
        assert!(text_field(driver, "/informationUri").starts_with("https://"));
        let rules = driver["rules"].as_array().expect("rules array");
        let mut ids = HashSet::new();
        for rule in rules {
            let id = text_field(rule, "/id");
            assert!(ids.insert(id.clone()), "rule ids are unique: {id}");
            let name = text_field(rule, "/name");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
            for pointer in [
                "/shortDescription/text",
                "/fullDescription/text",
                "/help/text",
                "/help/markdown",
            ] {
                text_field(rule, pointer);
            }
            let level = text_field(rule, "/defaultConfiguration/level");
            assert!(["none", "note", "warning", "error"].contains(&level.as_str()));
            let tags = rule["properties"]["tags"].as_array().expect("tags");
            assert!(tags.iter().all(Value::is_string));
        }
        for result in run["results"].as_array().expect("results array") {
            let rule_id = text_field(result, "/ruleId");
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(
                rules[index]["id"],
                rule_id.as_str(),
                "ruleIndex points at ruleId"
            );
            let level = text_field(result, "/level");
            assert!(["none", "note", "warning", "error"].contains(&level.as_str()));
            text_field(result, "/message/text");
            let location = &result["locations"][0]["physicalLocation"];
            let uri = text_field(location, "/artifactLocation/uri");
            assert!(
                !uri.contains(' ') && !uri.contains('\\'),
                "uri reference: {uri}"
            );
            assert!(location["region"]["startLine"].as_u64().expect("startLine") >= 1);
            let fingerprints = result["partialFingerprints"]
                .as_object()
                .expect("fingerprints");
            assert!(!fingerprints.is_empty());
            assert!(fingerprints
                .values()
                .all(|v| v.as_str().is_some_and(|s| !s.is_empty())));
            if let Some(suppressions) = result.get("suppressions") {
                for suppression in suppressions.as_array().unwrap() {
                    let kind = text_field(suppression, "/kind");
                    assert!(["inSource", "external"].contains(&kind.as_str()));
                }
            }
        }
    }

    fn result_for<'a>(log: &'a Value, address: &str) -> &'a Value {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["properties"]["address"] == address)
            .unwrap_or_else(|| panic!("no result for {address}"))
    }

    #[test]
    fn log_has_the_fields_code_scanning_needs() {
        let log = log(&plan_report());
        assert_valid_for_code_scanning(&log);
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), 7, "six declared rules and the undeclared one");
        let destroy = &rules[0];
        assert_eq!(destroy["id"], "plan/destroy");
        assert_eq!(destroy["name"], "PlanDestroy");
        assert_eq!(
            destroy["shortDescription"]["text"],
            "A resource is destroyed"
        );
        assert_eq!(destroy["defaultConfiguration"]["level"], "error");
        assert_eq!(rules[6]["id"], "custom/undeclared");
        assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 6);
    }

    #[test]
    fn levels_follow_severity() {
        let log = log(&plan_report());
        let cases = [
            ("hcloud_server.db", "error"),
            ("module.net.hcloud_network.main", "error"),
            ("module.net.hcloud_firewall.web[\"a\"]", "warning"),
            ("hcloud_server.web[0]", "note"),
            ("hcloud_volume.data", "note"),
        ];
        for (address, level) in cases {
            assert_eq!(result_for(&log, address)["level"], level, "{address}");
        }
    }

    #[test]
    fn locations_point_at_the_source_or_fall_back_to_the_subject() {
        let mut report = plan_report();
        report.subject = "plans/prod plan.json".into();
        let log = log(&report);
        let located = &result_for(&log, "hcloud_server.db")["locations"][0]["physicalLocation"];
        assert_eq!(located["artifactLocation"]["uri"], "main.tf");
        assert_eq!(located["region"]["startLine"], 12);
        let unlocated = &result_for(&log, "hcloud_volume.data")["locations"][0]["physicalLocation"];
        assert_eq!(
            unlocated["artifactLocation"]["uri"],
            "plans/prod%20plan.json"
        );
        assert_eq!(unlocated["region"]["startLine"], 1);

        // An absolute subject is never named (no `file://` URI): the result
        // keeps its logical location only.
        report.subject = "/work/repo/plan #1.json".into();
        let log = super::sarif::log(&report);
        let absolute = &result_for(&log, "hcloud_volume.data")["locations"][0];
        assert!(absolute.get("physicalLocation").is_none(), "{absolute}");
        assert_eq!(
            absolute["logicalLocations"][0]["fullyQualifiedName"],
            "hcloud_volume.data"
        );
        assert!(!log.to_string().contains("file:"));
    }

    #[test]
    fn waived_findings_are_suppressed_with_their_reason() {
        let log = log(&plan_report());
        let waived = result_for(&log, "hcloud_server.web[0]");
        assert_eq!(waived["suppressions"][0]["kind"], "external");
        assert_eq!(
            waived["suppressions"][0]["justification"],
            "approved in CHG-42"
        );
        assert!(result_for(&log, "hcloud_server.db")
            .get("suppressions")
            .is_none());
    }

    #[test]
    fn fingerprints_depend_on_rule_and_address_only() {
        let fingerprint = |report: &Report, address: &str| {
            result_for(&log(report), address)["partialFingerprints"].clone()
        };
        let report = plan_report();
        let mut moved = plan_report();
        for finding in &mut moved.findings {
            finding.location = None;
            finding.message = format!("{} (reworded)", finding.message);
        }
        assert_eq!(
            fingerprint(&report, "hcloud_server.db"),
            fingerprint(&moved, "hcloud_server.db"),
            "stable across line moves and rewording"
        );
        assert_ne!(
            fingerprint(&report, "hcloud_server.db"),
            fingerprint(&report, "hcloud_volume.data")
        );
    }

    #[test]
    fn results_beyond_the_limit_are_counted_not_dropped_silently() {
        let report = plan_report();
        let limited = tfaudit::report::sarif::to_value_with_limit(&report, 2);
        assert_valid_for_code_scanning(&limited);
        let results = limited["runs"][0]["results"].as_array().unwrap();
        let kept: Vec<&str> = results
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap())
            .collect();
        assert_eq!(kept, ["plan/destroy", "plan/replace"], "the most severe");
        let notification = &limited["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(notification["level"], "warning");
        assert!(notification["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("4 of 6 results were left out"));
        assert!(log(&report)["runs"][0]["invocations"][0]
            .get("toolExecutionNotifications")
            .is_none());
    }

    #[test]
    fn empty_report_is_still_a_valid_log() {
        let mut report = plan_report();
        report.findings.clear();
        let log = log(&report);
        assert_valid_for_code_scanning(&log);
        assert_eq!(log["runs"][0]["results"], Value::Array(vec![]));
    }
}

mod redaction {
    use super::*;
    use std::collections::HashSet;

    /// Alphanumeric words of `text`.
    fn words(text: &str) -> HashSet<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The report with every finding's own text replaced by a neutral placeholder:
    /// what a format prints for it then is nothing but its labels.
    fn placeholders(report: &Report) -> Report {
        let mut neutral = report.clone();
        for finding in &mut neutral.findings {
            finding.address = "placeholder".into();
            finding.message = "placeholder".into();
            finding.waiver_reason = finding.waiver_reason.as_ref().map(|_| "placeholder".into());
            finding.module = if finding.module.is_empty() {
                String::new()
            } else {
                "placeholder".into()
            };
            if let Some(location) = &mut finding.location {
                location.file = "placeholder".into();
            }
        }
        neutral
    }

    /// Reporters print the (already redacted) findings and fixed labels, and
    /// nothing else: every word of the output comes from the findings, the rules,
    /// the summary, or what the format prints for a neutral report.
    #[test]
    fn outputs_contain_nothing_but_finding_content_and_labels() {
        let mut report = plan_report();
        for finding in &mut report.findings {
            if finding.rule_id == "budget/exceeded" {
                finding.message =
                    "password changed from (sensitive value) to (sensitive value)".into();
            }
        }
        let mut allowed_from_content = HashSet::new();
        for finding in &report.findings {
            allowed_from_content.extend(words(&finding.address));
            allowed_from_content.extend(words(&finding.message));
            allowed_from_content.extend(words(&finding.module));
            allowed_from_content.extend(words(finding.waiver_reason.as_deref().unwrap_or("")));
            if let Some(location) = &finding.location {
                allowed_from_content.extend(words(&location.file));
            }
        }
        let neutral = placeholders(&report);
        for format in Format::ALL {
            let output = render(format, &report);
            let mut allowed = words(&render(format, &neutral));
            allowed.extend(allowed_from_content.iter().cloned());
            let unexplained: Vec<String> = words(&output)
                .into_iter()
                .filter(|word| !allowed.contains(word))
                .filter(|word| !(word.len() == 64 && word.chars().all(|c| c.is_ascii_hexdigit())))
                .filter(|word| !word.chars().all(|c| c.is_ascii_digit()))
                .collect();
            assert!(
                unexplained.is_empty(),
                "{format}: unexplained words {unexplained:?}"
            );
            assert!(
                output.contains("sensitive value"),
                "{format} keeps the redaction marker"
            );
        }
    }
}

#[test]
fn other_summaries_show_in_text_and_markdown() {
    let mut report = plan_report();
    report.command = "state";
    report.summary = serde_json::Map::new();
    report.summary.insert("states".into(), 3.into());
    report.summary.insert("locked".into(), true.into());
    report.summary.insert(
        "by_kind".into(),
        serde_json::json!({"server": 2, "volume": 1}),
    );
    report.summary.insert(
        "keys".into(),
        serde_json::json!(["prod/a.tfstate", "prod/b.tfstate"]),
    );
    let text = render(Format::Text, &report);
    for line in [
        "states: 3",
        "locked: true",
        "by_kind: server=2, volume=1",
        "keys: prod/a.tfstate, prod/b.tfstate",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    assert!(!text.contains("Changes:"), "no plan changes for state");
    let markdown = render(Format::Markdown, &report);
    assert!(
        markdown.contains("| by\\_kind | server=2, volume=1 |"),
        "{markdown}"
    );
    assert!(markdown.contains("### tfaudit state:"));
    let json: Value = serde_json::from_str(&render(Format::Json, &report)).unwrap();
    assert_eq!(json["summary"]["by_kind"]["server"], 2);
    assert_eq!(json["summary"]["findings"]["critical"], 1);
}

/// Whole-output comparison of every format but the coloured text (the tool's
/// version is replaced by `VERSION`). `TFAUDIT_UPDATE_GOLDEN=1` rewrites the files
/// after a deliberate change; review the diff.
#[test]
fn stable_formats_match_their_golden_files() {
    let report = plan_report();
    let folder = std::path::Path::new("tests/data/reports/golden");
    let update = std::env::var_os("TFAUDIT_UPDATE_GOLDEN").is_some();
    let mut mismatched = Vec::new();
    for (format, file) in [
        (Format::Text, "plan.txt"),
        (Format::Markdown, "plan.md"),
        (Format::Junit, "plan.junit.xml"),
        (Format::Github, "plan.github.txt"),
        (Format::Json, "plan.json"),
        (Format::Sarif, "plan.sarif"),
    ] {
        let path = folder.join(file);
        // The tool's version is the one part that changes with every release.
        let output = render(format, &report)
            .replace(&format!("\"{}\"", env!("CARGO_PKG_VERSION")), "\"VERSION\"");
        if update {
            std::fs::write(&path, &output).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (TFAUDIT_UPDATE_GOLDEN=1 writes it)",
                path.display()
            )
        });
        if output != expected {
            mismatched.push(format!("{}:\n{output}", path.display()));
        }
    }
    assert!(
        mismatched.is_empty(),
        "outputs differ from:\n{}",
        mismatched.join("\n")
    );
}

#[test]
fn format_names_round_trip() {
    for format in Format::ALL {
        assert_eq!(Format::from_name(format.name()), Some(format));
        assert!(Format::accepted_names().contains(format.name()));
    }
    assert_eq!(Format::from_name("xml"), None);
}

#[test]
fn empty_report_renders_in_every_format() {
    let mut report = plan_report();
    report.findings.clear();
    for format in Format::ALL {
        let output = render(format, &report);
        assert!(!output.is_empty(), "{format}");
    }
    assert!(render(Format::Text, &report)
        .trim_end()
        .ends_with("PASS: no findings at or above the threshold `high`"));
    assert!(render(Format::Markdown, &report).contains("No findings."));
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use quick_xml::events::Event;
    use quick_xml::Reader;

    fn report_with(address: &str, message: &str, reason: Option<&str>) -> Report {
        let mut report = plan_report();
        let mut finding = Finding::new("plan/destroy", Severity::High, address, message);
        finding.waived = reason.is_some();
        finding.waiver_reason = reason.map(str::to_string);
        finding.location = Some(tfaudit::findings::SourceLocation {
            file: format!("{address}.tf"),
            line: 3,
        });
        finding.module = address.to_string();
        report.findings = vec![finding];
        report.subject = message.to_string();
        report
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,30}",
            "[|`<>&\"'%:,\\\\\\[\\]*_#!\r\n\t\u{0}\u{1b}a-z ]{0,30}",
        ]
    }

    proptest! {
        #[test]
        fn junit_is_well_formed_for_any_text(address in text(), message in text(), reason in proptest::option::of(text())) {
            let xml = render(Format::Junit, &report_with(&address, &message, reason.as_deref()));
            let mut reader = Reader::from_str(&xml);
            reader.config_mut().check_end_names = true;
            loop {
                match reader.read_event() {
                    Ok(Event::Eof) => break,
                    Ok(_) => {}
                    Err(error) => prop_assert!(false, "not well-formed: {error}\n{xml}"),
                }
            }
        }

        #[test]
        fn markdown_rows_keep_five_cells_for_any_text(address in text(), message in text(), reason in proptest::option::of(text())) {
            let output = render(Format::Markdown, &report_with(&address, &message, reason.as_deref()));
            let heading = output.find("| Severity |").unwrap();
            let row = output[heading..].lines().nth(2).unwrap();
            let mut cells = 1;
            let mut escaped = false;
            for c in row.chars() {
                if c == '|' && !escaped {
                    cells += 1;
                }
                escaped = c == '\\';
            }
            prop_assert_eq!(cells, 7, "{}", row);
        }

        #[test]
        fn github_commands_stay_on_one_line(address in text(), message in text(), reason in proptest::option::of(text())) {
            let output = render(Format::Github, &report_with(&address, &message, reason.as_deref()));
            let lines: Vec<&str> = output.lines().collect();
            prop_assert_eq!(lines.len(), 2, "{:?}", output);
            let (properties, _) = lines[0].trim_start_matches("::").split_once("::").unwrap();
            prop_assert_eq!(properties.matches(',').count(), 2, "only separators: {}", properties);
        }

        #[test]
        fn every_format_renders_any_text(address in text(), message in text(), reason in proptest::option::of(text())) {
            let report = report_with(&address, &message, reason.as_deref());
            for format in Format::ALL {
                prop_assert!(!render(format, &report).is_empty());
            }
            let json: Value = serde_json::from_str(&render(Format::Json, &report)).unwrap();
            prop_assert_eq!(json["findings"][0]["message"].as_str(), Some(message.as_str()));
            let sarif: Value = serde_json::from_str(&render(Format::Sarif, &report)).unwrap();
            // A physical location only for a repository-relative file, never a
            // `file://` URI; the address is always the logical location.
            let location = &sarif["runs"][0]["results"][0]["locations"][0];
            let relative = tfaudit::report::is_repository_relative(&format!("{address}.tf"));
            prop_assert_eq!(location.get("physicalLocation").is_some(), relative);
            if relative {
                prop_assert!(location["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|uri| !uri.is_empty() && !uri.contains(' ') && !uri.starts_with("file:")));
            }
            prop_assert_eq!(location["logicalLocations"][0]["fullyQualifiedName"].as_str(), Some(address.as_str()));
        }

        #[test]
        fn report_specs_never_panic(spec in "\\PC{0,40}") {
            let _ = tfaudit::report::output::ReportSpec::parse(&spec);
        }
    }
}
