//! A blast-radius budget is a declaration that tfaudit reads from the plan JSON:
//! its values (and its id) must be there, known at plan time.

mod common;

use common::REQUIRED_PROVIDERS;
use guardrail_testkit::TerraformDir;

#[test]
fn the_budget_is_visible_in_the_plan_json() {
    let dir = TerraformDir::new();
    dir.write(
        "main.tf",
        &format!(
            r#"{REQUIRED_PROVIDERS}
resource "guardrail_blast_radius_budget" "cluster" {{
  environment     = "production"
  max_destroy     = 1
  max_replace     = 0
  protected_types = ["hcloud_volume"]
  scope           = ["module.cluster"]
}}
"#
        ),
    );
    dir.run(&["plan", "-input=false", "-out=budget.tfplan"])
        .assert_success();
    let plan = dir.show_json("budget.tfplan");
    let budget = plan["planned_values"]["root_module"]["resources"]
        .as_array()
        .expect("planned resources")
        .iter()
        .find(|r| r["address"] == "guardrail_blast_radius_budget.cluster")
        .expect("the budget is planned")["values"]
        .clone();
    assert_eq!(budget["environment"], "production", "{budget}");
    assert_eq!(budget["max_destroy"], 1, "{budget}");
    assert_eq!(budget["max_replace"], 0, "{budget}");
    assert!(budget["max_changes"].is_null(), "{budget}");
    assert_eq!(budget["protected_types"][0], "hcloud_volume", "{budget}");
    assert_eq!(budget["scope"][0], "module.cluster", "{budget}");
    assert_eq!(budget["id"], "production:module.cluster", "{budget}");

    // Applied, it stays in state unchanged; a second plan has nothing to do.
    dir.run(&["apply", "-input=false", "budget.tfplan"])
        .assert_success();
    let again = dir.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.combined());
}
