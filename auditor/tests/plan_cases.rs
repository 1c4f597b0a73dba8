//! Data-driven plan cases: every `tests/data/plans/<case>/expected.json` names a
//! plan (its own `plan.json` unless `plan` says otherwise), an optional
//! configuration and `--budget`, and the exact change counts, findings
//! `[rule_id, address, severity, waived?]`, exit code, message fragments and
//! secrets that must not appear in any output format (in any escaped form) but
//! that a rule would print without redaction.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tfaudit::audit::audit;
use tfaudit::config::{BudgetLimits, Config};
use tfaudit::findings::Finding;
use tfaudit::plan::load as load_plan;
use tfaudit::redact::escape::{hcl_escaped, json_escaped};
use tfaudit::redact::{Redactor, MIN_REDACTED_LENGTH};
use tfaudit::report::{self, Format, Report};
use tfaudit::rules::PlanContext;
use tfaudit::{plan as tfplan, rules};

/// Every form in which `secret` could be printed: as it is, as Terraform
/// quotes it in an address, and those JSON-escaped (once or twice, as a JSON
/// report prints an address) and XML-escaped (JUnit). A value shorter than
/// the redaction minimum counts only where it stands quoted as a whole value.
fn printed_forms(secret: &str) -> Vec<String> {
    let xml = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
    };
    let mut forms = Vec::new();
    for base in [secret.to_string(), hcl_escaped(secret)] {
        let once = json_escaped(&base);
        forms.extend([xml(&base), json_escaped(&once), once, base]);
    }
    if secret.chars().count() < MIN_REDACTED_LENGTH {
        forms = forms
            .into_iter()
            .flat_map(|form| {
                [
                    format!("\"{form}\""),
                    format!("\\\"{form}\\\""),
                    format!("&quot;{form}&quot;"),
                    format!("`{form}`"),
                ]
            })
            .collect();
    }
    forms.sort();
    forms.dedup();
    forms
}

/// The findings the rules produce before redaction, as one text.
fn unredacted_findings(
    loaded: &tfplan::LoadedPlan,
    config: &Config,
    budget: BudgetLimits,
) -> String {
    let redactor = Redactor::default();
    let mut context = PlanContext::new(&loaded.plan, config, &redactor);
    context.budget = config.budget.overridden_by(budget);
    rules::run_all(&context)
        .iter()
        .map(|finding| format!("{}\n{}\n", finding.address, finding.message))
        .collect()
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans")
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("read the cases folder")
        .map(|entry| entry.expect("read a case").path())
        .filter(|path| path.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn finding_key(finding: &Finding, cases: &Path) -> Value {
    let prefix = format!("{}/", cases.display());
    let address = finding.address.replace(&prefix, "");
    let mut key = vec![
        Value::from(finding.rule_id),
        Value::from(address),
        Value::from(finding.severity.as_str()),
    ];
    if finding.waived {
        key.push(Value::Bool(true));
    }
    Value::Array(key)
}

fn run_case(dir: &Path) -> Result<(), String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{name}: expected.json: {e}"))?;
    let plan_path = dir.join(expected["plan"].as_str().unwrap_or("plan.json"));
    let loaded =
        load_plan(plan_path.to_str().unwrap(), None).map_err(|e| format!("{name}: {e}"))?;
    let config = match expected["config"].as_str() {
        Some(file) => Config::load(Some(&dir.join(file)), &tfaudit::catalogue::all_rules())
            .map_err(|e| format!("{name}: {e}"))?,
        None => Config::default(),
    };
    let budget = match expected["budget"].as_str() {
        Some(text) => BudgetLimits::parse_flag(text)?,
        None => BudgetLimits::default(),
    };
    let unredacted = unredacted_findings(&loaded, &config, budget);
    let outcome = audit(&loaded, &config, budget, &[]);
    let mut problems = Vec::new();

    let changes = outcome.summary.get("changes").cloned().unwrap_or_default();
    if changes != expected["changes"] {
        problems.push(format!(
            "changes: got {changes}, expected {}",
            expected["changes"]
        ));
    }

    let cases = cases_dir();
    let got: BTreeSet<String> = outcome
        .findings
        .iter()
        .map(|f| finding_key(f, &cases).to_string())
        .collect();
    let want: BTreeSet<String> = expected["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(Value::to_string)
        .collect();
    for missing in want.difference(&got) {
        problems.push(format!("missing finding {missing}"));
    }
    for extra in got.difference(&want) {
        problems.push(format!("unexpected finding {extra}"));
    }
    if got.len() != outcome.findings.len() {
        problems.push(format!(
            "{} findings, {} distinct",
            outcome.findings.len(),
            got.len()
        ));
    }

    for fragment in expected["message_contains"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (rule, address, text) = (
            fragment[0].as_str().unwrap_or_default(),
            fragment[1].as_str().unwrap_or_default(),
            fragment[2].as_str().unwrap_or_default(),
        );
        let prefix = format!("{}/", cases.display());
        let found = outcome.findings.iter().any(|f| {
            f.rule_id == rule
                && f.address.replace(&prefix, "") == address
                && f.message.contains(text)
        });
        if !found {
            problems.push(format!(
                "no {rule} finding on {address} whose message contains {text:?}"
            ));
        }
    }

    let report = Report {
        command: "plan",
        subject: plan_path.display().to_string(),
        summary: outcome.summary.clone(),
        findings: outcome.findings.clone(),
        rules: rules::infos(),
        fail_on: config.fail_on,
        configuration: None,
        options: Default::default(),
    };
    let exit_code = i64::from(report.failed());
    if Some(exit_code) != expected["exit_code"].as_i64() {
        problems.push(format!(
            "exit code {exit_code}, expected {}",
            expected["exit_code"]
        ));
    }

    let plan_text = std::fs::read_to_string(&plan_path).map_err(|e| e.to_string())?;
    for secret in expected["secrets"].as_array().into_iter().flatten() {
        let secret = secret.as_str().unwrap_or_default();
        if !plan_text.contains(&json_escaped(secret)) {
            problems.push(format!(
                "secret {secret:?} is not in the plan, the check would prove nothing"
            ));
        }
        let forms = printed_forms(secret);
        if !forms.iter().any(|form| unredacted.contains(form.as_str())) {
            problems.push(format!(
                "no rule would print secret {secret:?}, the check would prove nothing"
            ));
        }
        for format in Format::ALL {
            let rendered = report::render(format, &report);
            if let Some(form) = forms.iter().find(|form| rendered.contains(form.as_str())) {
                problems.push(format!(
                    "the {format} output contains secret {secret:?} as {form:?}"
                ));
            }
        }
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("case {name}:\n  {}", problems.join("\n  ")))
    }
}

#[test]
fn every_plan_case_yields_exactly_the_expected_counts_and_findings() {
    let dirs = case_dirs();
    assert!(
        dirs.len() >= 6,
        "expected the plan cases in {}",
        cases_dir().display()
    );
    let failures: Vec<String> = dirs.iter().filter_map(|dir| run_case(dir).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn real_plans_count_what_terraform_printed() {
    // `terraform-summary.txt` holds the "Plan: N to add, M to change, K to destroy."
    // line Terraform printed when the case was generated.
    for dir in case_dirs() {
        let Ok(summary) = std::fs::read_to_string(dir.join("terraform-summary.txt")) else {
            continue;
        };
        let loaded = load_plan(dir.join("plan.json").to_str().unwrap(), None).unwrap();
        let counts = tfplan::ChangeSummary::of(&loaded.plan.resource_changes);
        let imports = if counts.import > 0 {
            format!("{} to import, ", counts.import)
        } else {
            String::new()
        };
        let printed = if summary.contains("No changes") {
            "No changes".to_string()
        } else {
            format!(
                "Plan: {imports}{} to add, {} to change, {} to destroy.",
                counts.create + counts.replace,
                counts.update,
                counts.delete + counts.replace
            )
        };
        assert!(
            summary.contains(&printed),
            "{}: terraform printed {summary:?}, tfaudit counts {printed:?}",
            dir.display()
        );
        if summary.contains("No changes") {
            assert_eq!(
                counts.create + counts.update + counts.delete + counts.replace + counts.forget,
                0
            );
        }
    }
}
