//! Bad configuration fails `terraform validate`, and each diagnostic points at the
//! offending attribute (Terraform quotes that attribute's source line).

mod common;

use common::{flat, REQUIRED_PROVIDERS};
use guardrail_testkit::TerraformDir;

/// (resource or block that is wrong, the source line Terraform must quote, what the message says)
const CASES: &[(&str, &str, &str)] = &[
    (
        r#"resource "guardrail_change_gate" "zone" {
  environment = "production"
  change_window {
    timezone = "Mars/Olympus_Mons"
  }
}"#,
        r#"timezone = "Mars/Olympus_Mons""#,
        "Mars/Olympus_Mons",
    ),
    (
        r#"resource "guardrail_change_gate" "day" {
  environment = "production"
  change_window {
    timezone = "Europe/Berlin"
    allow {
      days  = ["funday"]
      start = "09:00"
      end   = "17:00"
    }
  }
}"#,
        r#"days  = ["funday"]"#,
        "funday",
    ),
    (
        r#"data "guardrail_change_window" "blackout" {
  timezone = "UTC"
  deny {
    from = "2026-12-24"
    to   = "2026-12-20"
  }
}"#,
        r#"to   = "2026-12-20""#,
        "deny[0].to",
    ),
    (
        r#"resource "guardrail_blast_radius_budget" "negative" {
  environment = "production"
  max_destroy = -1
}"#,
        "max_destroy = -1",
        "max_destroy must be zero or more, got -1",
    ),
    (
        r#"resource "guardrail_blast_radius_budget" "fraction" {
  environment = "production"
  max_replace = 1.5
}"#,
        "max_replace = 1.5",
        "max_replace must be a whole number of resources, got 1.5",
    ),
    (
        r#"resource "guardrail_blast_radius_budget" "type" {
  environment     = "production"
  protected_types = ["hcloud_volume", "Not A Type"]
}"#,
        r#"protected_types = ["hcloud_volume", "Not A Type"]"#,
        "protected_types[1]",
    ),
    (
        r#"resource "guardrail_environment_lock" "ttl" {
  environment = "production"
  reason      = "maintenance"
  ttl         = "two hours"
}"#,
        r#"ttl         = "two hours""#,
        "expected a positive duration",
    ),
    (
        r#"resource "guardrail_environment_lock" "expiry" {
  environment = "production"
  reason      = "maintenance"
  expires_at  = "tomorrow"
}"#,
        r#"expires_at  = "tomorrow""#,
        "expected an RFC 3339 timestamp",
    ),
    (
        r#"resource "guardrail_environment_lock" "name" {
  environment = "Production!"
  reason      = "maintenance"
  ttl         = "1h"
}"#,
        r#"environment = "Production!""#,
        "invalid environment name",
    ),
];

#[test]
fn bad_configuration_points_at_the_attribute() {
    let dir = TerraformDir::new();
    let mut config = format!("{REQUIRED_PROVIDERS}\nprovider \"guardrail\" {{}}\n");
    for (block, _, _) in CASES {
        config.push('\n');
        config.push_str(block);
        config.push('\n');
    }
    dir.write("main.tf", &config);
    let output = dir.run(&["validate"]);
    output.assert_failure();
    let text = flat(&output);
    for (block, quoted_line, message) in CASES {
        let quoted_line = quoted_line.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains(&quoted_line),
            "no diagnostic quotes {quoted_line:?} (from:\n{block})\n{}",
            output.combined()
        );
        assert!(
            text.contains(message),
            "no diagnostic says {message:?}\n{}",
            output.combined()
        );
    }
}

#[test]
fn a_bad_provider_clock_points_at_now() {
    let dir = TerraformDir::new();
    dir.write(
        "main.tf",
        &format!(
            "{REQUIRED_PROVIDERS}\nprovider \"guardrail\" {{\n  allow_clock_override = true\n  now = \"yesterday\"\n}}\n\ndata \"guardrail_change_window\" \"any\" {{}}\n"
        ),
    );
    let output = dir.run(&["plan", "-input=false"]);
    output.assert_failure();
    let text = flat(&output);
    assert!(
        text.contains(r#"now = "yesterday""#) && text.contains("Invalid clock override"),
        "{}",
        output.combined()
    );
}

#[test]
fn valid_configuration_passes_validation() {
    let dir = TerraformDir::new();
    dir.write(
        "main.tf",
        &format!(
            r#"{REQUIRED_PROVIDERS}
provider "guardrail" {{
  environment = "production"
}}

resource "guardrail_change_gate" "production" {{
  environment = "production"
  change_window {{
    timezone = "Europe/Berlin"
    allow {{
      days  = ["mon-fri"]
      start = "22:00"
      end   = "02:00"
    }}
    allow {{
      cron     = "0 6 * * sat"
      duration = "2h"
    }}
  }}
}}

resource "guardrail_blast_radius_budget" "cluster" {{
  environment     = "production"
  max_destroy     = 0
  protected_types = ["hcloud_volume"]
  scope           = ["module.cluster"]
}}
"#
        ),
    );
    dir.run(&["validate"]).assert_success();
}
