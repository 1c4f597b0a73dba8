//! The Agent Skills under `skills/`: every folder is a skill in the Agent Skills
//! format (a `SKILL.md` with YAML frontmatter whose `name` equals the folder name,
//! lowercase letters, digits and hyphens, 1–64 characters, and a `description` of
//! 1–1024 characters), its relative links and the scripts it names exist, it says
//! that it is review-only, and its scripts run no command that changes anything.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use guardrail_testkit::tools::workspace_root;
use regex::Regex;

/// The skills the course (chapters 12 and 13) relies on.
const SKILLS: [&str; 5] = [
    "review-terraform-plan",
    "triage-drift",
    "check-change-allowed",
    "incident-summary",
    "review-k8s-manifest",
];

/// Commands a review-only skill must never run, as (what, pattern on a script line).
const MUTATING: &[(&str, &str)] = &[
    (
        "terraform apply/destroy/import/taint/force-unlock",
        r"\bterraform\b[^|;&#]*\s(apply|destroy|import|taint|untaint|force-unlock)\b",
    ),
    (
        "terraform state writes",
        r"\bterraform\b[^|;&#]*\sstate\s+(rm|mv|push|replace-provider)\b",
    ),
    (
        "kubectl writes",
        r"\bkubectl\b[^|;&#]*\s(apply|create|delete|patch|edit|scale|replace|drain|cordon|uncordon|label|annotate|set|rollout\s+(restart|undo))\b",
    ),
    (
        "helm and flux writes",
        r"\b(helm\b[^|;&#]*\s(install|upgrade|uninstall|rollback)|flux\b[^|;&#]*\s(reconcile|suspend|resume|delete))\b",
    ),
    (
        "bucket writes",
        r"\baws\s+s3\s+(cp|mv|rm|sync)\b|\baws\s+s3api\s+(put|delete|copy)-|\b(put_object|delete_object|delete_objects|copy_object|upload_file|upload_fileobj)\b",
    ),
    (
        "tfaudit lock release/takeover",
        r"\btfaudit\b[^|;&#]*\slock\s+(release|takeover)\b",
    ),
    ("attestation signing", r"\btfaudit\b[^|;&#]*\s--attest\b"),
];

/// What a skill folder breaks; empty when the skill is valid.
fn skill_problems(dir: &Path) -> Vec<String> {
    let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
    let mut problems = Vec::new();
    let Ok(text) = std::fs::read_to_string(dir.join("SKILL.md")) else {
        return vec![format!("skills/{folder}: expected a SKILL.md")];
    };
    let Some(rest) = text.strip_prefix("---\n") else {
        return vec![format!(
            "skills/{folder}/SKILL.md: expected YAML frontmatter between `---` lines at the top"
        )];
    };
    let Some((frontmatter, body)) = rest.split_once("\n---\n") else {
        return vec![format!(
            "skills/{folder}/SKILL.md: the frontmatter has no closing `---`"
        )];
    };
    let fields: yaml_serde::Mapping = match yaml_serde::from_str(frontmatter) {
        Ok(fields) => fields,
        Err(error) => {
            return vec![format!(
                "skills/{folder}/SKILL.md: the frontmatter is not a YAML mapping: {error}"
            )]
        }
    };
    let field = |key: &str| fields.get(key).and_then(|value| value.as_str());
    let name_format = Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
    match field("name") {
        None => problems.push(format!(
            "skills/{folder}/SKILL.md: no `name` in the frontmatter"
        )),
        Some(name) => {
            if name != folder {
                problems.push(format!(
                    "skills/{folder}/SKILL.md: name `{name}` differs from its folder `{folder}`"
                ));
            }
            if name.is_empty() || name.chars().count() > 64 || !name_format.is_match(name) {
                problems.push(format!(
                    "skills/{folder}/SKILL.md: name `{name}` must be 1-64 lowercase letters, digits and single hyphens"
                ));
            }
        }
    }
    match field("description") {
        None => problems.push(format!(
            "skills/{folder}/SKILL.md: no `description` in the frontmatter"
        )),
        Some(description) => {
            let length = description.trim().chars().count();
            if length == 0 || length > 1024 {
                problems.push(format!(
                    "skills/{folder}/SKILL.md: the description has {length} characters, expected 1-1024"
                ));
            }
        }
    }
    if !body.to_lowercase().contains("review-only") {
        problems.push(format!(
            "skills/{folder}/SKILL.md: expected it to say that the skill is review-only"
        ));
    }
    // Relative links, and every script the instructions name, must exist.
    let link = Regex::new(r"\]\(([^)#\s]+)(#[^)]*)?\)").unwrap();
    for captures in link.captures_iter(body) {
        let target = &captures[1];
        if !target.contains("://") && !dir.join(target).exists() {
            problems.push(format!(
                "skills/{folder}/SKILL.md: link `{target}` does not exist"
            ));
        }
    }
    let script_ref = Regex::new(&format!(r"skills/{folder}/(scripts/[A-Za-z0-9_.-]+)")).unwrap();
    for captures in script_ref.captures_iter(body) {
        if !dir.join(&captures[1]).is_file() {
            problems.push(format!(
                "skills/{folder}/SKILL.md: names {} which does not exist",
                &captures[1]
            ));
        }
    }
    problems.extend(script_problems(dir, &folder));
    problems
}

/// Scripts that are not executable, or that run a mutating command.
fn script_problems(dir: &Path, folder: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let patterns: Vec<(&str, Regex)> = MUTATING
        .iter()
        .map(|(what, pattern)| (*what, Regex::new(pattern).unwrap()))
        .collect();
    let gate_command = Regex::new(r"(^|[;&|(]\s*)tfaudit\s+gate\b").unwrap();
    let Ok(entries) = std::fs::read_dir(dir.join("scripts")) else {
        return problems;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let file = entry.file_name().to_string_lossy().into_owned();
        if path
            .metadata()
            .is_ok_and(|meta| meta.permissions().mode() & 0o111 == 0)
        {
            problems.push(format!(
                "skills/{folder}/scripts/{file}: expected it to be executable"
            ));
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with('#') {
                continue;
            }
            // The gate records its decision unless asked for an answer only.
            let recorded_gate = gate_command.is_match(code) && !code.contains("--check");
            if recorded_gate {
                problems.push(format!(
                    "skills/{folder}/scripts/{file}:{}: runs a mutating command (tfaudit gate without --check records its decision): {}",
                    number + 1,
                    code.trim()
                ));
            }
            for (what, pattern) in &patterns {
                if pattern.is_match(code) {
                    problems.push(format!(
                        "skills/{folder}/scripts/{file}:{}: runs a mutating command ({what}): {}",
                        number + 1,
                        code.trim()
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_skill_follows_the_format_and_stays_read_only() {
    let root = workspace_root().join("skills");
    let mut folders: Vec<_> = std::fs::read_dir(&root)
        .expect("skills/ exists")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    for skill in SKILLS {
        assert!(
            folders.iter().any(|folder| folder.ends_with(skill)),
            "skills/{skill} must exist"
        );
    }
    let problems: Vec<String> = folders.iter().flat_map(|dir| skill_problems(dir)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checks can fail: a wrong name, an empty description, a missing link and
/// script, a script that deletes pods, releases a lock or records a gate decision
/// are reported (a `tfaudit gate --check` is not).
#[test]
fn a_broken_skill_is_reported() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("restart-pods");
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::write(
        dir.join("SKILL.md"),
        "---\nname: Restart_Pods\ndescription: \"\"\n---\n\nRun skills/restart-pods/scripts/go.sh, see [the guide](references/guide.md).\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("scripts/fix.sh"),
        "#!/usr/bin/env bash\n# kubectl delete is what we never do: comments are fine\nkubectl -n production delete pod -l app=podinfo\ntfaudit lock release --environment production --store s3://g/ --reason x\ntfaudit gate --environment production --store s3://g/\ntfaudit gate --check --environment production --store s3://g/\n",
    )
    .unwrap();
    std::fs::set_permissions(
        dir.join("scripts/fix.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let problems = skill_problems(&dir);
    for expected in [
        "name `Restart_Pods` differs from its folder `restart-pods`",
        "name `Restart_Pods` must be 1-64 lowercase letters",
        "the description has 0 characters",
        "expected it to say that the skill is review-only",
        "link `references/guide.md` does not exist",
        "names scripts/go.sh which does not exist",
        "fix.sh:3: runs a mutating command (kubectl writes)",
        "fix.sh:4: runs a mutating command (tfaudit lock release/takeover)",
        "fix.sh:5: runs a mutating command (tfaudit gate without --check",
    ] {
        assert!(
            problems.iter().any(|problem| problem.contains(expected)),
            "expected {expected:?} in:\n{}",
            problems.join("\n")
        );
    }
    assert_eq!(problems.len(), 9, "{}", problems.join("\n"));

    // Without frontmatter at all.
    std::fs::write(dir.join("SKILL.md"), "# Restart pods\n").unwrap();
    let problems = skill_problems(&dir);
    assert!(
        problems[0].contains("expected YAML frontmatter"),
        "{problems:?}"
    );
}
