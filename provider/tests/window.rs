//! Change windows through real Terraform: the data source in every shape (open,
//! closed, blackout, crossing midnight, daylight-saving weeks), and the gate
//! refusing a closed window at plan time and, for a plan saved inside the window,
//! again at apply time after it closed.

mod common;

use common::{apply, assert_mentions, block_on, outputs, state_list, workdir, REQUIRED_PROVIDERS};
use guardrail_testkit::{S3Server, TerraformDir};

/// (name, window body, `at`, expected open, expected opens_at, expected closes_at, reason fragment)
struct Case {
    name: &'static str,
    window: &'static str,
    at: &'static str,
    open: bool,
    opens_at: Option<&'static str>,
    closes_at: Option<&'static str>,
    reason: Option<&'static str>,
}

const BUSINESS_HOURS: &str = r#"
  timezone = "Europe/Berlin"
  allow {
    days  = ["mon-fri"]
    start = "09:00"
    end   = "17:00"
  }
  deny {
    from   = "2026-12-21"
    to     = "2027-01-04"
    reason = "year-end blackout"
  }
"#;

const FRIDAY_NIGHT: &str = r#"
  timezone = "Europe/Berlin"
  allow {
    days  = ["fri"]
    start = "22:00"
    end   = "02:00"
  }
"#;

const EVERY_DAY: &str = r#"
  timezone = "Europe/Berlin"
  allow {
    start = "09:00"
    end   = "17:00"
  }
"#;

const SUNDAY_NIGHT: &str = r#"
  timezone = "Europe/Berlin"
  allow {
    days  = ["sun"]
    start = "02:30"
    end   = "04:00"
  }
"#;

const CASES: &[Case] = &[
    Case {
        name: "open",
        window: BUSINESS_HOURS,
        at: "2026-11-24T10:00:00+01:00",
        open: true,
        opens_at: None,
        closes_at: Some("2026-11-24T17:00:00+01:00"),
        reason: None,
    },
    Case {
        name: "closed",
        window: BUSINESS_HOURS,
        at: "2026-11-24T18:30:00+01:00",
        open: false,
        opens_at: Some("2026-11-25T09:00:00+01:00"),
        closes_at: None,
        reason: None,
    },
    Case {
        name: "blackout",
        window: BUSINESS_HOURS,
        at: "2026-12-22T10:00:00+01:00",
        open: false,
        opens_at: Some("2027-01-04T09:00:00+01:00"),
        closes_at: None,
        reason: Some("year-end blackout"),
    },
    Case {
        name: "after_midnight",
        window: FRIDAY_NIGHT,
        at: "2026-11-28T01:30:00+01:00",
        open: true,
        opens_at: None,
        closes_at: Some("2026-11-28T02:00:00+01:00"),
        reason: None,
    },
    Case {
        name: "after_the_night",
        window: FRIDAY_NIGHT,
        at: "2026-11-28T02:30:00+01:00",
        open: false,
        opens_at: Some("2026-12-04T22:00:00+01:00"),
        closes_at: None,
        reason: None,
    },
    Case {
        // Berlin leaves summer time on Sunday 2026-10-25: the next opening is in CET.
        name: "autumn_dst",
        window: EVERY_DAY,
        at: "2026-10-24T20:00:00+02:00",
        open: false,
        opens_at: Some("2026-10-25T09:00:00+01:00"),
        closes_at: None,
        reason: None,
    },
    Case {
        name: "autumn_dst_open",
        window: EVERY_DAY,
        at: "2026-10-26T16:00:00+01:00",
        open: true,
        opens_at: None,
        closes_at: Some("2026-10-26T17:00:00+01:00"),
        reason: None,
    },
    Case {
        // 02:30 does not exist on 2026-03-29 in Berlin: the window opens at 03:00 CEST.
        name: "spring_gap",
        window: SUNDAY_NIGHT,
        at: "2026-03-29T00:30:00+01:00",
        open: false,
        opens_at: Some("2026-03-29T03:00:00+02:00"),
        closes_at: None,
        reason: None,
    },
];

#[test]
fn the_window_data_source_evaluates_every_shape() {
    let dir = TerraformDir::new();
    let mut config = format!(
        "{REQUIRED_PROVIDERS}\nprovider \"guardrail\" {{\n  allow_clock_override = true\n  now                  = \"2026-11-24T10:00:00+01:00\"\n}}\n"
    );
    for case in CASES {
        config.push_str(&format!(
            "\ndata \"guardrail_change_window\" \"{name}\" {{\n  at = \"{at}\"\n{window}}}\n\noutput \"{name}\" {{\n  value = data.guardrail_change_window.{name}\n}}\n",
            name = case.name,
            at = case.at,
            window = case.window
        ));
    }
    // Without `at` the provider clock (`now`) is used: Tuesday 10:00 in Berlin.
    config.push_str(&format!(
        "\ndata \"guardrail_change_window\" \"provider_clock\" {{\n{BUSINESS_HOURS}}}\n\noutput \"provider_clock\" {{\n  value = data.guardrail_change_window.provider_clock\n}}\n"
    ));
    dir.write("main.tf", &config);
    apply(&dir).assert_success();
    let outputs = outputs(&dir);
    for case in CASES {
        let value = &outputs[case.name]["value"];
        assert_eq!(value["open"], case.open, "{}: {value}", case.name);
        assert_eq!(
            value["opens_at"].as_str(),
            case.opens_at,
            "{}: {value}",
            case.name
        );
        assert_eq!(
            value["closes_at"].as_str(),
            case.closes_at,
            "{}: {value}",
            case.name
        );
        if let Some(reason) = case.reason {
            let shown = value["reason"].as_str().unwrap_or_default();
            assert!(shown.contains(reason), "{}: reason {shown:?}", case.name);
        }
    }
    let clock = &outputs["provider_clock"]["value"];
    assert_eq!(clock["open"], true, "{clock}");
    assert_eq!(clock["closes_at"], "2026-11-24T17:00:00+01:00", "{clock}");
}

fn gated_config() -> String {
    format!(
        r#"resource "guardrail_change_gate" "production" {{
  environment = "production"
  change_window {{
{BUSINESS_HOURS}  }}
}}

resource "terraform_data" "rollout" {{
  input      = "v1"
  depends_on = [guardrail_change_gate.production]
}}
"#
    )
}

#[test]
fn a_closed_window_fails_the_plan_and_a_saved_plan_fails_after_closing_time() {
    let server = S3Server::start();
    let dir = workdir(&server, "production", "", &gated_config());

    // Closed (Tuesday evening): the plan fails, naming why and when it opens.
    let closed = dir.run_with_env(
        &["plan", "-input=false"],
        &[("GUARDRAIL_NOW", "2026-11-24T18:30:00+01:00")],
    );
    closed.assert_failure();
    assert_mentions(
        &closed,
        &[
            "Change gate closed",
            "next opening 2026-11-25T09:00:00+01:00",
        ],
    );

    // Blackout: the reason is named.
    let blackout = dir.run_with_env(
        &["plan", "-input=false"],
        &[("GUARDRAIL_NOW", "2026-12-22T10:00:00+01:00")],
    );
    blackout.assert_failure();
    assert_mentions(
        &blackout,
        &["year-end blackout", "2027-01-04T09:00:00+01:00"],
    );

    // Saved one minute before closing time, applied five minutes after it.
    dir.run_with_env(
        &["plan", "-input=false", "-out=inside.tfplan"],
        &[("GUARDRAIL_NOW", "2026-11-24T16:59:00+01:00")],
    )
    .assert_success();
    let late = dir.run_with_env(
        &["apply", "-input=false", "inside.tfplan"],
        &[("GUARDRAIL_NOW", "2026-11-24T17:05:00+01:00")],
    );
    late.assert_failure();
    assert_mentions(&late, &["Change gate closed", "2026-11-24T16:05:00+00:00"]);
    let state = state_list(&dir);
    assert!(
        !state
            .iter()
            .any(|address| address == "terraform_data.rollout"),
        "the rollout ran although the gate refused: {state:?}"
    );
    let denials = block_on(async {
        let mut found = 0;
        for key in server.keys().await {
            if key.contains("audit/production/") {
                let body = String::from_utf8_lossy(&server.get(&key).await.unwrap()).into_owned();
                if body.contains("\"denied\"") && body.contains("2026-11-24T16:05:00") {
                    found += 1;
                }
            }
        }
        found
    });
    assert!(denials >= 1, "the refused apply left no audit record");

    // The same plan applied in time passes, and the rollout happens.
    dir.run_with_env(
        &["plan", "-input=false", "-out=intime.tfplan"],
        &[("GUARDRAIL_NOW", "2026-11-24T16:00:00+01:00")],
    )
    .assert_success();
    dir.run_with_env(
        &["apply", "-input=false", "intime.tfplan"],
        &[("GUARDRAIL_NOW", "2026-11-24T16:01:00+01:00")],
    )
    .assert_success();
    assert!(state_list(&dir)
        .iter()
        .any(|a| a == "terraform_data.rollout"));
}
