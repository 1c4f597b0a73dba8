//! The documentation: the architecture names the loop and the R2 key layout, the
//! runbooks and the course exist, and every relative link in `docs/` resolves.

mod common;

use regex::Regex;

#[test]
fn architecture_draws_the_loop_and_the_r2_key_layout() {
    let text = std::fs::read_to_string(common::repo_path("docs/architecture.md"))
        .expect("docs/architecture.md must exist");
    assert!(
        text.contains("```mermaid"),
        "docs/architecture.md: expected a mermaid diagram"
    );
    for needle in [
        "terraform plan -out",
        "tfaudit plan",
        "attestation",
        "guardrail_change_gate",
        "terraform apply PLANFILE",
        "guardrail/locks/<env>.json",
        "guardrail/attestations/<env>/<plan_id>.json",
        "guardrail/audit/<env>/",
        ".tflock",
    ] {
        assert!(
            text.contains(needle),
            "docs/architecture.md: expected `{needle}`"
        );
    }
}

#[test]
fn runbooks_and_course_cover_their_topics() {
    for runbook in [
        "stuck-lock",
        "state-rollback",
        "break-glass-apply",
        "drift-alert",
    ] {
        let path = common::repo_path(&format!("docs/runbooks/{runbook}.md"));
        assert!(path.is_file(), "docs/runbooks/{runbook}.md must exist");
    }
    let course = std::fs::read_to_string(common::repo_path("docs/course/README.md"))
        .expect("docs/course/README.md must exist");
    for lab in [
        "examples/01-freeze",
        "examples/02-change-window",
        "examples/03-blast-radius",
        "examples/04-plan-attestation",
        "examples/05-drift",
    ] {
        assert!(
            course.contains(lab),
            "docs/course/README.md: expected a chapter for {lab}"
        );
    }
}

#[test]
fn every_relative_link_in_docs_resolves() {
    let link = Regex::new(r"\]\(([^)#\s]+)(#[^)]*)?\)").expect("valid regex");
    let mut broken = Vec::new();
    for file in common::files_under(&common::repo_path("docs"), &[".md"]) {
        let text = std::fs::read_to_string(&file).expect("read a Markdown file");
        for captures in link.captures_iter(&text) {
            let target = &captures[1];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let resolved = file.parent().expect("a file has a folder").join(target);
            if !resolved.exists() {
                broken.push(format!(
                    "{}: `{target}` does not exist",
                    common::display(&file)
                ));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
