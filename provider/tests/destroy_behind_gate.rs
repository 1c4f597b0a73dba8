//! Destroys behind the gate. Terraform orders the destroy of a resource before the
//! update of what it `depends_on`, so `depends_on` alone cannot hold a delete back
//! until the gate's apply-time check. A provider configured from the gate's
//! `provider_guard` can: Terraform configures it only after the gate passed, and a
//! refused gate leaves every resource of that provider as it was, deletes included.
//! `terraform destroy` itself is planned only when the gate would pass.

mod common;

use common::{apply_with_env, assert_mentions, block_on, rewrite, state_list, workdir};
use guardrail_testkit::S3Server;

/// Mon–Fri 09:00–17:00 UTC.
const GATE: &str = r#"resource "guardrail_change_gate" "staging" {
  environment = "staging"
  change_window {
    timezone = "UTC"
    allow {
      days  = ["mon-fri"]
      start = "09:00"
      end   = "17:00"
    }
  }
}

# Everything behind the gate is managed through a provider configured from it.
provider "guardrail" {
  alias       = "behind_gate"
  environment = "develop${guardrail_change_gate.staging.provider_guard}"
  store {
    bucket   = "BUCKET"
    endpoint = "ENDPOINT"
  }
}
"#;

const FREEZE_BEHIND_GATE: &str = r#"
resource "guardrail_environment_lock" "maintenance" {
  provider    = guardrail.behind_gate
  environment = "develop"
  reason      = "maintenance window"
  owner       = "platform"
  ttl         = "100h"
}
"#;

fn gate(server: &S3Server) -> String {
    GATE.replace("BUCKET", server.bucket())
        .replace("ENDPOINT", &server.endpoint())
}

fn develop_lock(server: &S3Server) -> serde_json::Value {
    block_on(async {
        let body = server
            .get("guardrail/locks/develop.json")
            .await
            .expect("the lock record of develop");
        serde_json::from_slice(&body).expect("the lock record is JSON")
    })
}

#[test]
fn a_saved_plan_that_deletes_behind_the_gate_deletes_nothing_after_the_window_closed() {
    let server = S3Server::start();
    let with_lock = format!("{}{FREEZE_BEHIND_GATE}", gate(&server));
    let dir = workdir(&server, "staging", "", &with_lock);
    apply_with_env(&dir, &[("GUARDRAIL_NOW", "2026-11-24T10:00:00Z")]).assert_success();
    assert!(develop_lock(&server)["released_at"].is_null());

    // The lock leaves the configuration; the plan is saved one minute before closing.
    rewrite(&dir, &server, "staging", "", &gate(&server));
    let plan = dir.run_with_env(
        &["plan", "-input=false", "-out=cleanup.tfplan"],
        &[("GUARDRAIL_NOW", "2026-11-24T16:59:00Z")],
    );
    plan.assert_success();
    assert_mentions(
        &plan,
        &["guardrail_environment_lock.maintenance will be destroyed"],
    );

    // Applied after closing time: the gate refuses, and the delete never ran.
    let late = dir.run_with_env(
        &["apply", "-input=false", "cleanup.tfplan"],
        &[("GUARDRAIL_NOW", "2026-11-24T17:05:00Z")],
    );
    late.assert_failure();
    assert_mentions(&late, &["Change gate closed"]);
    assert!(
        !late.stdout.contains("Destruction complete"),
        "a resource behind the gate was destroyed although the gate refused:\n{}",
        late.stdout
    );
    assert!(state_list(&dir).contains(&"guardrail_environment_lock.maintenance".to_string()));
    assert!(
        develop_lock(&server)["released_at"].is_null(),
        "the lock behind the gate was released although the gate refused"
    );

    // Planned and applied inside the window, the delete goes through.
    dir.run_with_env(
        &["plan", "-input=false", "-out=intime.tfplan"],
        &[("GUARDRAIL_NOW", "2026-11-25T10:00:00Z")],
    )
    .assert_success();
    dir.run_with_env(
        &["apply", "-input=false", "intime.tfplan"],
        &[("GUARDRAIL_NOW", "2026-11-25T10:01:00Z")],
    )
    .assert_success();
    assert!(!state_list(&dir).contains(&"guardrail_environment_lock.maintenance".to_string()));
    assert!(develop_lock(&server)["released_at"].is_string());

    // `terraform destroy` of the environment is a change like any other: refused
    // after closing time, planned and applied inside the window.
    let closed = dir.run_with_env(
        &["destroy", "-auto-approve", "-input=false"],
        &[("GUARDRAIL_NOW", "2026-11-25T18:00:00Z")],
    );
    closed.assert_failure();
    assert_mentions(&closed, &["Change gate closed"]);
    assert!(state_list(&dir).contains(&"guardrail_change_gate.staging".to_string()));
    dir.run_with_env(
        &["destroy", "-auto-approve", "-input=false"],
        &[("GUARDRAIL_NOW", "2026-11-26T10:00:00Z")],
    )
    .assert_success();
    assert!(state_list(&dir).is_empty());
}
