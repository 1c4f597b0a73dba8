//! Tests of the configuration model, parsed with the catalogue of every command.

use super::*;

fn finding(rule: &'static str, address: &str) -> Finding {
    Finding::new(rule, Severity::High, address, "message")
}

#[test]
fn waivers_match_globs_and_exact_addresses_until_they_expire() {
    let text = r#"
[[waiver]]
rule = "plan/destroy"
address = "module.nodes.*"
reason = "pool shrink"
owner = "platform"
expires = 2030-01-01

[[waiver]]
rule = "plan/replace"
address = 'module.zones["b"].hcloud_server.node'
reason = "zone move"
owner = "platform"
expires = 2030-01-01

[[waiver]]
rule = "plan/forget"
reason = "old"
owner = "nobody"
expires = "2020-01-01"
"#;
    let config = Config::parse(text, Path::new("t.toml"), &crate::catalogue::all_rules()).unwrap();
    let mut findings = vec![
        finding("plan/destroy", "module.nodes.hcloud_server.a[0]"),
        finding("plan/destroy", "hcloud_server.other"),
        finding("plan/replace", r#"module.zones["b"].hcloud_server.node"#),
        finding("plan/forget", "terraform_data.x"),
    ];
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    config.apply(&mut findings, today);
    let waived: Vec<bool> = findings.iter().map(|f| f.waived).collect();
    assert_eq!(waived, vec![true, false, true, false, false]);
    assert_eq!(
        findings[0].waiver_reason.as_deref(),
        Some("pool shrink (owner: platform)")
    );
    assert_eq!(findings[4].rule_id, WAIVER_EXPIRED.id);
    assert_eq!(findings[4].address, "t.toml#waiver[2]");

    let later = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap();
    let mut again = vec![finding("plan/destroy", "module.nodes.hcloud_server.a[0]")];
    config.apply(&mut again, later);
    assert!(!again[0].waived, "an expired waiver stops applying");
}

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("cfg.toml"), &crate::catalogue::all_rules())
        .map_err(|error| error.to_string())
}

#[test]
fn brackets_in_address_globs_are_literal() {
    let config = parse(
        r#"
[[waiver]]
rule = "plan/replace"
address = 'module.zones["b"].*'
reason = "zone b moves"
owner = "platform"
expires = 2030-01-01
"#,
    )
    .unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let mut findings = vec![
        finding("plan/replace", r#"module.zones["b"].hcloud_server.node"#),
        // A character class `["b]` would have matched these.
        finding("plan/replace", "module.zonesb.hcloud_server.node"),
        finding("plan/replace", r#"module.zones"].hcloud_server.node"#),
        finding("plan/replace", r#"module.zones["a"].hcloud_server.node"#),
    ];
    config.apply(&mut findings, today);
    let waived: Vec<bool> = findings.iter().map(|f| f.waived).collect();
    assert_eq!(waived, vec![true, false, false, false]);
}

#[test]
fn address_globs() {
    let cases = [
        ("module.nodes.*", "module.nodes.hcloud_server.a[0]", true),
        ("module.nodes.*", "module.nodesx", false),
        ("*.node", r#"module.zones["b"].hcloud_server.node"#, true),
        ("hcloud_server.web[?]", "hcloud_server.web[3]", true),
        ("hcloud_server.web[?]", "hcloud_server.web[12]", false),
        ("a*b*c", "aXXbYYc", true),
        ("a*b*c", "aXXbYY", false),
        ("*", "", true),
        ("", "x", false),
    ];
    for (pattern, address, expected) in cases {
        assert_eq!(
            crate::plan::address::Glob::new(pattern).matches(address),
            expected,
            "{pattern} {address}"
        );
    }
}

#[test]
fn state_and_drift_rule_ids_are_accepted_everywhere() {
    let config = parse(
        r#"
[severity]
"state/stale-lock" = "critical"
"drift/changed" = "low"
"plan/moved" = "info"

[[waiver]]
rule = "state/empty"
address = "s3://b/prod/*"
reason = "new environment"
owner = "platform"
expires = 2030-01-01
"#,
    )
    .unwrap();
    assert_eq!(
        config.severity_of("state/stale-lock", Severity::High),
        Severity::Critical
    );
    assert_eq!(
        config.severity_of("drift/changed", Severity::Medium),
        Severity::Low
    );
}

#[test]
fn bad_configuration_names_the_file_and_field() {
    let waiver = |extra: &str| {
        format!("[[waiver]]\nrule = \"plan/destroy\"\nreason = \"r\"\nowner = \"o\"\n{extra}")
    };
    let cases = [
        (waiver(""), "cfg.toml: field `waiver[0].expires`: missing"),
        (
            format!("{}{}", waiver("expires = 2030-01-01\n"), waiver("")),
            "cfg.toml: field `waiver[1].expires`: missing",
        ),
        (
            waiver("expires = 2030-01-01\nexpire = 2031-01-01\n"),
            "cfg.toml: field `waiver[0].expire`: unknown setting",
        ),
        (
            "[severty]\n\"plan/moved\" = \"low\"\n".into(),
            "cfg.toml: field `severty`: unknown setting",
        ),
        (
            "[severity]\n\"state/stale-locks\" = \"low\"\n".into(),
            "cfg.toml: field `severity.\"state/stale-locks\"`: unknown rule id `state/stale-locks`",
        ),
        (
            "[drift]\nignores = {}\n".into(),
            "cfg.toml: field `drift.ignores`: unknown setting",
        ),
        (
            "[drift.ignore]\nhcloud_server = \"labels\"\n".into(),
            "cfg.toml: field `drift.ignore.hcloud_server`",
        ),
    ];
    for (text, expected) in cases {
        let error = parse(&text).expect_err(&text);
        assert!(error.starts_with(expected), "{text}\n{error}");
    }
}

#[test]
fn budget_flags() {
    assert_eq!(
        BudgetLimits::parse_flag("destroy=0, changes=12").unwrap(),
        BudgetLimits {
            destroy: Some(0),
            replace: None,
            changes: Some(12)
        }
    );
    for bad in ["", "destroy", "destroy=-1", "size=3"] {
        assert!(BudgetLimits::parse_flag(bad).is_err(), "{bad}");
    }
}
