//! Freezes through real Terraform and a real S3 server: a lock taken in one
//! working directory blocks a gate in another, break glass passes it with a
//! warning and an audit record, releasing the lock unblocks; and of eight
//! concurrent applies taking the same lock exactly one wins, round after round.

mod common;

use common::{apply, assert_mentions, block_on, destroy, outputs, rewrite, state_list, workdir};
use guardrail_testkit::{S3Server, TerraformDir};

const FREEZE: &str = r#"resource "guardrail_environment_lock" "incident" {
  environment = "production"
  reason      = "INC-4711: database failover in progress"
  owner       = "oncall-alice"
  ttl         = "2h"
}
"#;

fn app_config(break_glass: bool) -> String {
    let glass = if break_glass {
        "  break_glass {\n    reason = \"rollback of a broken release\"\n    ticket = \"INC-4712\"\n  }\n"
    } else {
        ""
    };
    format!(
        r#"resource "guardrail_change_gate" "production" {{
  environment = "production"
{glass}}}

resource "terraform_data" "rollout" {{
  input      = "v2"
  depends_on = [guardrail_change_gate.production]
}}

data "guardrail_environment" "production" {{
  name       = "production"
  depends_on = [guardrail_change_gate.production]
}}

output "environment" {{
  value = data.guardrail_environment.production
}}
"#
    )
}

#[test]
fn a_freeze_blocks_gates_elsewhere_break_glass_passes_and_release_unblocks() {
    let server = S3Server::start();
    let ops = workdir(&server, "production", "", FREEZE);
    apply(&ops).assert_success();

    let app = workdir(&server, "production", "", &app_config(false));
    let blocked = app.run(&["plan", "-input=false"]);
    blocked.assert_failure();
    assert_mentions(
        &blocked,
        &[
            "Change gate closed",
            "production is frozen",
            "held by oncall-alice",
            "INC-4711: database failover in progress",
            "expires",
        ],
    );

    // Break glass: a warning at plan and apply, the change goes through, audited.
    rewrite(&app, &server, "production", "", &app_config(true));
    let forced = apply(&app);
    forced.assert_success();
    assert_mentions(&forced, &["Break glass", "INC-4712"]);
    let shown = app.run(&[
        "state",
        "show",
        "-no-color",
        "guardrail_change_gate.production",
    ]);
    assert_mentions(&shown, &["allowed-break-glass"]);
    assert!(state_list(&app)
        .iter()
        .any(|a| a == "terraform_data.rollout"));
    let environment = &outputs(&app)["environment"]["value"];
    assert_eq!(environment["locked"], true, "{environment}");
    assert_eq!(environment["lock_owner"], "oncall-alice", "{environment}");
    let audit = block_on(async {
        let mut bodies = Vec::new();
        for key in server.keys().await {
            if key.contains("audit/production/") {
                let body = server.get(&key).await.unwrap_or_default();
                bodies.push(String::from_utf8_lossy(&body).into_owned());
            }
        }
        bodies
    });
    assert!(
        audit
            .iter()
            .any(|record| record.contains("INC-4712")
                && record.contains("rollback of a broken release")),
        "no audit record of the break glass: {audit:?}"
    );

    // Releasing the freeze (destroy) unblocks the gate without break glass.
    destroy(&ops).assert_success();
    rewrite(&app, &server, "production", "", &app_config(false));
    apply(&app).assert_success();
    let environment = &outputs(&app)["environment"]["value"];
    assert_eq!(environment["locked"], false, "{environment}");
}

const RUNNERS: usize = 8;
const ROUNDS: usize = 6;

#[test]
fn concurrent_applies_never_produce_two_lock_holders() {
    let server = S3Server::start();
    let dirs: Vec<TerraformDir> = (0..RUNNERS)
        .map(|runner| {
            workdir(
                &server,
                "production",
                "",
                &format!(
                    r#"resource "guardrail_environment_lock" "freeze" {{
  environment = "production"
  reason      = "release train {runner}"
  owner       = "runner-{runner}"
  ttl         = "1h"
}}
"#
                ),
            )
        })
        .collect();

    for round in 0..ROUNDS {
        let children: Vec<_> = dirs
            .iter()
            .map(|dir| dir.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]))
            .collect();
        let results: Vec<_> = children.into_iter().map(TerraformDir::wait).collect();
        let winners: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, output)| output.success())
            .map(|(runner, _)| runner)
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: expected exactly one lock holder, got runners {winners:?}\n{}",
            results
                .iter()
                .map(|o| o.combined())
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        for (runner, output) in results.iter().enumerate() {
            if runner != winners[0] {
                let winner = winners[0];
                assert_mentions(
                    output,
                    &[
                        "Environment is locked",
                        &format!("held by runner-{winner}"),
                        &format!("release train {winner}"),
                        "expires",
                    ],
                );
            }
        }
        let winner = winners[0];
        let record = block_on(async {
            let keys = server.keys().await;
            let key = keys
                .iter()
                .find(|key| key.ends_with("locks/production.json"))
                .cloned()
                .expect("the lock record exists");
            server.get(&key).await.expect("lock record body")
        });
        let record: serde_json::Value =
            serde_json::from_slice(&record).expect("lock record is JSON");
        assert_eq!(record["owner"], format!("runner-{winner}"), "{record}");
        assert_eq!(record["generation"], (round + 1) as u64, "{record}");
        destroy(&dirs[winner]).assert_success();
    }
}
