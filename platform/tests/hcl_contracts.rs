//! Contracts of the Terraform modules and root configurations that cannot be
//! planned here (they need the Terraform registry or Hetzner Cloud): parsed with
//! hcl-rs and checked for pinned versions, an R2 backend with `use_lockfile`,
//! documented and typed variables, sensitive secrets and no committed secrets.

mod common;

use hcl::{Block, Body, Expression};
use regex::Regex;

/// Every Terraform configuration of the platform.
const CONFIGURATIONS: &[&str] = &[
    "modules/guardrails",
    "modules/hcloud-cluster",
    "infra/terraform/policies",
    "infra/terraform/guardrails",
    "infra/terraform/hcloud_cluster",
    "infra/terraform/local",
];

/// The root configurations: each keeps its state in R2.
const ROOTS: &[&str] = &[
    "infra/terraform/guardrails",
    "infra/terraform/hcloud_cluster",
    "infra/terraform/local",
];

/// One Terraform source file: where it is and what it says.
struct Source {
    name: String,
    text: String,
}

fn configuration(dir: &str) -> Vec<Source> {
    let path = common::repo_path(dir);
    let sources: Vec<Source> = std::fs::read_dir(&path)
        .unwrap_or_else(|error| panic!("{dir} must exist: {error}"))
        .flatten()
        .map(|entry| entry.path())
        .filter(|file| file.extension().is_some_and(|ext| ext == "tf"))
        .map(|file| Source {
            name: common::display(&file),
            text: std::fs::read_to_string(&file).expect("read a .tf file"),
        })
        .collect();
    assert!(!sources.is_empty(), "{dir} must hold .tf files");
    sources
}

fn parse(source: &Source, problems: &mut Vec<String>) -> Option<Body> {
    match hcl::parse(&source.text) {
        Ok(body) => Some(body),
        Err(error) => {
            problems.push(format!("{}: not valid HCL: {error}", source.name));
            None
        }
    }
}

fn blocks<'a>(body: &'a Body, identifier: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.blocks()
        .filter(move |block| block.identifier() == identifier)
}

fn attribute<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|attribute| attribute.key() == key)
        .map(|attribute| attribute.expr())
}

fn literal_string(expression: &Expression) -> Option<&str> {
    match expression {
        Expression::String(text) => Some(text),
        _ => None,
    }
}

fn label(block: &Block) -> &str {
    block
        .labels()
        .first()
        .map(|label| label.as_str())
        .unwrap_or("")
}

/// One clause of a version constraint: its operator and version.
fn clauses(constraint: &str) -> Option<Vec<(String, String)>> {
    let clause = Regex::new(r"^(=|!=|>=|<=|>|<|~>)?\s*(\d+(\.\d+){0,2})$").expect("valid regex");
    constraint
        .split(',')
        .map(|part| {
            let captures = clause.captures(part.trim())?;
            Some((
                captures.get(1).map_or("=", |op| op.as_str()).to_string(),
                captures[2].to_string(),
            ))
        })
        .collect()
}

/// A constraint with a lower and an upper bound: an exact version, a `~>` pin
/// (`~> 1.52` allows 1.x from 1.52, never 2.0), or `>=`/`>` with `<`/`<=`.
fn is_bounded(constraint: &str) -> bool {
    let Some(clauses) = clauses(constraint) else {
        return false;
    };
    let exact = clauses
        .iter()
        .any(|(op, version)| op == "=" && version.split('.').count() == 3);
    let pessimistic = clauses.iter().any(|(op, _)| op == "~>");
    let lower = clauses.iter().any(|(op, _)| op == ">=" || op == ">");
    let upper = clauses.iter().any(|(op, _)| op == "<" || op == "<=");
    exact || pessimistic || (lower && upper)
}

/// `required_version` is declared and bounded on both sides (a Terraform 2.0
/// would be a new language), every required provider has a source and a version
/// bounded above (exact, `~>`, or `>=` with `<`), and every registry module has an
/// exact version.
fn check_pins(sources: &[Source], problems: &mut Vec<String>) {
    let mut has_required_version = false;
    let exact = Regex::new(r"^\d+\.\d+\.\d+$").expect("valid regex");
    for source in sources {
        let Some(body) = parse(source, problems) else {
            continue;
        };
        for terraform in blocks(&body, "terraform") {
            if let Some(expression) = attribute(terraform.body(), "required_version") {
                has_required_version = true;
                match literal_string(expression) {
                    Some(constraint) if is_bounded(constraint) => {}
                    other => problems.push(format!(
                        "{}: terraform.required_version: expected a lower and an upper bound such as \">= 1.10, < 2.0\", got {other:?}",
                        source.name
                    )),
                }
            }
            for providers in blocks(terraform.body(), "required_providers") {
                for entry in providers.body().attributes() {
                    let name = entry.key();
                    let Expression::Object(fields) = entry.expr() else {
                        problems.push(format!(
                            "{}: required_providers.{name}: expected an object with source and version",
                            source.name
                        ));
                        continue;
                    };
                    let field = |wanted: &str| {
                        fields
                            .iter()
                            .find(|(key, _)| key.to_string() == wanted)
                            .and_then(|(_, value)| literal_string(value))
                    };
                    if field("source").is_none() {
                        problems.push(format!(
                            "{}: required_providers.{name}: expected a source address",
                            source.name
                        ));
                    }
                    match field("version") {
                        Some(version) if is_bounded(version) => {}
                        Some(version) => problems.push(format!(
                            "{}: required_providers.{name}.version: expected a version bounded above (exact, `~>`, or `>=` with `<`), got `{version}`",
                            source.name
                        )),
                        None => problems.push(format!(
                            "{}: required_providers.{name}.version: expected a version bounded above (exact, `~>`, or `>=` with `<`), found none",
                            source.name
                        )),
                    }
                }
            }
        }
        for module in blocks(&body, "module") {
            let name = label(module);
            let Some(module_source) = attribute(module.body(), "source").and_then(literal_string)
            else {
                problems.push(format!(
                    "{}: module.{name}.source: expected a literal source",
                    source.name
                ));
                continue;
            };
            if module_source.starts_with("./") || module_source.starts_with("../") {
                continue;
            }
            match attribute(module.body(), "version").and_then(literal_string) {
                Some(version) if exact.is_match(version) => {}
                other => problems.push(format!(
                    "{}: module.{name}.version: expected an exact version for {module_source}, got {other:?}",
                    source.name
                )),
            }
        }
    }
    if !has_required_version {
        problems.push(format!(
            "{}: terraform.required_version: expected a Terraform version constraint",
            sources
                .first()
                .map(|source| source.name.as_str())
                .unwrap_or("?")
        ));
    }
}

/// The flags Cloudflare R2 needs on the S3 backend, and their values.
const R2_BACKEND_FLAGS: &[(&str, bool)] = &[
    ("use_lockfile", true),
    ("use_path_style", true),
    ("skip_credentials_validation", true),
    ("skip_region_validation", true),
    ("skip_requesting_account_id", true),
    ("skip_metadata_api_check", true),
    ("skip_s3_checksum", true),
];

/// Settings that belong in `-backend-config` or the environment, never in a file.
const BACKEND_SETTINGS_FROM_OUTSIDE: &[&str] = &[
    "bucket",
    "key",
    "endpoint",
    "endpoints",
    "access_key",
    "secret_key",
    "token",
];

/// A root has exactly one `backend "s3"` block configured for R2, with state
/// locking through `use_lockfile`, and without account-specific settings.
fn check_backend(sources: &[Source], problems: &mut Vec<String>) {
    let mut backends = Vec::new();
    for source in sources {
        let Some(body) = parse(source, problems) else {
            continue;
        };
        for terraform in blocks(&body, "terraform") {
            for backend in blocks(terraform.body(), "backend") {
                backends.push((
                    source.name.clone(),
                    label(backend).to_string(),
                    backend.body().clone(),
                ));
            }
        }
    }
    let Some((file, kind, body)) = backends.first() else {
        problems.push(format!(
            "{}: terraform.backend: expected an `s3` backend (Cloudflare R2), found none",
            sources
                .first()
                .map(|source| source.name.as_str())
                .unwrap_or("?")
        ));
        return;
    };
    if backends.len() > 1 {
        problems.push(format!(
            "{file}: terraform.backend: expected one backend, found {}",
            backends.len()
        ));
    }
    if kind != "s3" {
        problems.push(format!(
            "{file}: terraform.backend: expected `s3`, got `{kind}`"
        ));
    }
    match attribute(body, "region").and_then(literal_string) {
        Some("auto") => {}
        other => problems.push(format!(
            "{file}: backend.region: expected \"auto\" (R2), got {other:?}"
        )),
    }
    for (flag, wanted) in R2_BACKEND_FLAGS {
        match attribute(body, flag) {
            Some(Expression::Bool(value)) if value == wanted => {}
            other => problems.push(format!(
                "{file}: backend.{flag}: expected {wanted}, got {}",
                other
                    .map(|expression| expression.to_string())
                    .unwrap_or_else(|| "nothing".into())
            )),
        }
    }
    for setting in BACKEND_SETTINGS_FROM_OUTSIDE {
        if attribute(body, setting).is_some() {
            problems.push(format!(
                "{file}: backend.{setting}: expected it from -backend-config or the environment, not committed"
            ));
        }
    }
}

/// Whether a variable's name says it holds a secret (public keys do not).
fn names_a_secret(name: &str) -> bool {
    let name = name.to_lowercase();
    if name.contains("public") {
        return false;
    }
    ["token", "secret", "password", "key"]
        .iter()
        .any(|word| name.contains(word))
}

/// Every variable has a description and a type; secrets are `sensitive = true`.
fn check_variables(sources: &[Source], problems: &mut Vec<String>) {
    for source in sources {
        let Some(body) = parse(source, problems) else {
            continue;
        };
        for variable in blocks(&body, "variable") {
            let name = label(variable);
            let declared = variable.body();
            match attribute(declared, "description") {
                Some(Expression::String(text)) if !text.trim().is_empty() => {}
                Some(Expression::TemplateExpr(_)) => {}
                _ => problems.push(format!(
                    "{}: variable.{name}.description: expected a description for people",
                    source.name
                )),
            }
            if attribute(declared, "type").is_none() {
                problems.push(format!(
                    "{}: variable.{name}.type: expected a type",
                    source.name
                ));
            }
            if names_a_secret(name)
                && !matches!(
                    attribute(declared, "sensitive"),
                    Some(Expression::Bool(true))
                )
            {
                problems.push(format!(
                    "{}: variable.{name}.sensitive: expected `sensitive = true` for a secret",
                    source.name
                ));
            }
        }
    }
}

/// Patterns of credentials that must never be committed.
fn secret_patterns() -> Vec<(&'static str, Regex)> {
    vec![
        ("a Hetzner Cloud token", Regex::new(r#""[A-Za-z0-9]{64}""#).expect("valid regex")),
        ("an AWS access key ID", Regex::new(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b").expect("valid regex")),
        ("an R2 access key ID", Regex::new(r#""[0-9a-f]{32}""#).expect("valid regex")),
        (
            "a private key",
            Regex::new(r"-----BEGIN [A-Z ]*PRIVATE KEY-----").expect("valid regex"),
        ),
        (
            "a credential assigned as a literal",
            Regex::new(
                r#"(?i)\b(hcloud_token|token|access_key|secret_key|secret|password|private_key)\s*=\s*"[^"$]{8,}""#,
            )
            .expect("valid regex"),
        ),
    ]
}

/// Names the secrets found in `text`, by line; never prints the matched value.
fn find_secrets(name: &str, text: &str) -> Vec<String> {
    let patterns = secret_patterns();
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for (what, pattern) in &patterns {
            if pattern.is_match(line) {
                found.push(format!(
                    "{name}:{}: looks like {what}; expected it from the environment",
                    number + 1
                ));
            }
        }
    }
    found
}

fn check_all(dir: &str, root: bool) -> Vec<String> {
    let sources = configuration(dir);
    let mut problems = Vec::new();
    check_pins(&sources, &mut problems);
    check_variables(&sources, &mut problems);
    if root {
        check_backend(&sources, &mut problems);
    }
    problems
}

#[test]
fn every_configuration_pins_versions_and_documents_its_variables() {
    let problems: Vec<String> = CONFIGURATIONS
        .iter()
        .flat_map(|dir| check_all(dir, ROOTS.contains(dir)))
        .collect();
    assert!(
        problems.is_empty(),
        "contract violations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_terraform_folder_is_covered_by_the_contracts() {
    let mut folders: Vec<String> = ["modules", "infra"]
        .iter()
        .flat_map(|top| common::files_under(&common::repo_path(top), &[".tf"]))
        .filter_map(|file| file.parent().map(common::display))
        .collect();
    folders.sort();
    folders.dedup();
    let uncovered: Vec<&String> = folders
        .iter()
        .filter(|folder| !CONFIGURATIONS.contains(&folder.as_str()))
        .collect();
    assert!(
        uncovered.is_empty(),
        "add these Terraform folders to CONFIGURATIONS (and ROOTS if they hold state): {uncovered:?}"
    );
}

/// The kube-hetzner release the cluster module wraps. Its inputs were checked
/// against this release's `variables.tf`; a new release is a reviewed change of
/// this constant, the module and its README together.
const KUBE_HETZNER_VERSION: &str = "2.18.4";

#[test]
fn kube_hetzner_is_pinned_to_the_reviewed_release() {
    let sources = configuration("modules/hcloud-cluster");
    let versions: Vec<String> = sources
        .iter()
        .flat_map(|source| {
            let body = hcl::parse(&source.text).expect("valid HCL");
            blocks(&body, "module")
                .filter(|module| {
                    attribute(module.body(), "source").and_then(literal_string)
                        == Some("kube-hetzner/kube-hetzner/hcloud")
                })
                .map(|module| {
                    attribute(module.body(), "version")
                        .and_then(literal_string)
                        .unwrap_or("none")
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        versions,
        [KUBE_HETZNER_VERSION],
        "modules/hcloud-cluster must wrap kube-hetzner once, pinned to exactly {KUBE_HETZNER_VERSION}"
    );
    let readme = std::fs::read_to_string(common::repo_path("modules/hcloud-cluster/README.md"))
        .expect("modules/hcloud-cluster/README.md must exist");
    assert!(
        readme.contains(&format!("`{KUBE_HETZNER_VERSION}`")),
        "modules/hcloud-cluster/README.md must name the pinned release {KUBE_HETZNER_VERSION}"
    );
    let example =
        std::fs::read_to_string(common::repo_path("modules/hcloud-cluster/kube.tf.example"))
            .expect("modules/hcloud-cluster/kube.tf.example must exist");
    hcl::parse(&example).expect("kube.tf.example must be valid HCL");
}

/// Files the secret scan reads, by how their names end.
const SCANNED: &[&str] = &[
    ".tf", ".tfvars", ".hcl", ".example", ".sh", ".py", ".json", ".toml", ".tfstate", ".md",
];

/// Matches that are not secrets, each with the reason: (file, text on the line, why).
const NOT_SECRETS: &[(&str, &str, &str)] = &[(
    "scripts/lib/local-r2.sh",
    "AKIALOCALR2DEMO00000",
    "the local S3 server's dummy access key: moto accepts any key, no cloud knows this one",
)];

fn scan_for_secrets(tops: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for top in tops {
        for file in common::files_under(&common::repo_path(top), SCANNED) {
            let name = common::display(&file);
            let text = std::fs::read_to_string(&file).expect("read a scanned file");
            for finding in find_secrets(&name, &text) {
                let line: usize = finding
                    .split(':')
                    .nth(1)
                    .and_then(|number| number.parse().ok())
                    .expect("findings name their line");
                let content = text.lines().nth(line - 1).unwrap_or("");
                let allowed = NOT_SECRETS
                    .iter()
                    .any(|(file, needle, _why)| *file == name && content.contains(needle));
                if !allowed {
                    found.push(finding);
                }
            }
        }
    }
    found
}

#[test]
fn no_secret_is_committed_in_terraform_files_scripts_or_labs() {
    let found = scan_for_secrets(&["modules", "infra", "scripts", "examples"]);
    assert!(found.is_empty(), "committed secrets:\n{}", found.join("\n"));
    for (file, needle, _why) in NOT_SECRETS {
        let text = std::fs::read_to_string(common::repo_path(file))
            .unwrap_or_else(|error| panic!("{file}: allowed match no longer exists: {error}"));
        assert!(
            text.contains(needle),
            "{file}: the allowed match is gone; remove it from NOT_SECRETS"
        );
    }
}

/// Labs run with the freshly built provider (no version to pin), but each still
/// says which Terraform it is written for.
#[test]
fn every_lab_configuration_declares_a_bounded_required_version() {
    let mut folders: Vec<std::path::PathBuf> =
        common::files_under(&common::repo_path("examples"), &[".tf"])
            .into_iter()
            .filter_map(|file| file.parent().map(std::path::Path::to_path_buf))
            .collect();
    folders.sort();
    folders.dedup();
    assert!(
        folders.len() >= 6,
        "examples/ must hold the labs' Terraform configurations, found {folders:?}"
    );
    let mut problems = Vec::new();
    for folder in folders {
        let sources = configuration(&common::display(&folder));
        let constraints: Vec<String> = sources
            .iter()
            .filter_map(|source| hcl::parse(&source.text).ok())
            .flat_map(|body| {
                blocks(&body, "terraform")
                    .filter_map(|terraform| {
                        attribute(terraform.body(), "required_version")
                            .and_then(literal_string)
                            .map(str::to_string)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        match constraints.as_slice() {
            [constraint] if is_bounded(constraint) => {}
            other => problems.push(format!(
                "{}: terraform.required_version: expected one bounded constraint, got {other:?}",
                common::display(&folder)
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn git_ignores(path: &str) -> bool {
    std::process::Command::new("git")
        .args(["check-ignore", "--quiet", "--no-index", path])
        .current_dir(guardrail_testkit::tools::workspace_root())
        .status()
        .expect("run git check-ignore")
        .success()
}

/// `backend.hcl.example` tells people to copy it to `backend.hcl`, which holds the
/// account's endpoint: the copy must never be committed, the example must be.
#[test]
fn copies_of_the_backend_example_are_git_ignored() {
    let example = std::fs::read_to_string(common::repo_path(
        "infra/terraform/hcloud_cluster/backend.hcl.example",
    ))
    .expect("the backend example exists");
    assert!(
        example.contains("backend.hcl (git-ignored)"),
        "the example must say its copy is git-ignored"
    );
    for path in [
        "infra/terraform/hcloud_cluster/backend.hcl",
        "infra/terraform/local/backend.hcl",
    ] {
        assert!(git_ignores(path), "{path} must be git-ignored (.gitignore)");
    }
    assert!(
        !git_ignores("infra/terraform/hcloud_cluster/backend.hcl.example"),
        "the example itself must stay committed"
    );
}

/// Bounds are understood as Terraform reads them.
#[test]
fn version_constraints_need_both_bounds() {
    for bounded in [
        "1.2.3",
        "= 1.2.3",
        "~> 1.52",
        "~> 0.1",
        ">= 1.10, < 2.0",
        "> 1.0, <= 1.9",
    ] {
        assert!(is_bounded(bounded), "{bounded} is bounded");
    }
    for unbounded in [">= 1.10", "< 2.0", "!= 1.3.0", "1.2", "latest", ""] {
        assert!(!is_bounded(unbounded), "{unbounded} is not bounded");
    }
}

#[test]
fn terraform_files_are_formatted() {
    let output = std::process::Command::new(guardrail_testkit::tools::terraform_bin())
        .args([
            "fmt",
            "-check",
            "-recursive",
            "-list=true",
            "modules",
            "infra",
            "examples",
        ])
        .current_dir(guardrail_testkit::tools::workspace_root())
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform fmt");
    assert!(
        output.status.success(),
        "files need `terraform fmt`:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The checks themselves: each broken snippet is reported with its file and field.
#[test]
fn each_contract_violation_is_reported_with_file_and_field() {
    let cases: &[(&str, &str, bool, &str)] = &[
        (
            "variable without description",
            "terraform {\n required_version = \">= 1.10, < 2.0\"\n}\nvariable \"name\" {\n type = string\n}\n",
            false,
            "variable.name.description",
        ),
        (
            "variable without type",
            "terraform {\n required_version = \">= 1.10, < 2.0\"\n}\nvariable \"name\" {\n description = \"x\"\n}\n",
            false,
            "variable.name.type",
        ),
        (
            "token not sensitive",
            "terraform {\n required_version = \">= 1.10, < 2.0\"\n}\nvariable \"hcloud_token\" {\n description = \"x\"\n type = string\n}\n",
            false,
            "variable.hcloud_token.sensitive",
        ),
        (
            "unpinned provider",
            "terraform {\n required_version = \">= 1.10, < 2.0\"\n required_providers {\n hcloud = { source = \"hetznercloud/hcloud\", version = \">= 1.0\" }\n }\n}\n",
            false,
            "required_providers.hcloud.version",
        ),
        (
            "provider without an upper bound",
            "terraform {\n required_version = \">= 1.10, < 2.0\"\n required_providers {\n hcloud = { source = \"hetznercloud/hcloud\", version = \">= 1.52\" }\n }\n}\n",
            false,
            "required_providers.hcloud.version",
        ),
        (
            "required_version without an upper bound",
            "terraform {\n required_version = \">= 1.10\"\n}\n",
            false,
            "terraform.required_version: expected a lower and an upper bound",
        ),
        (
            "required_version without a lower bound",
            "terraform {\n required_version = \"< 2.0\"\n}\n",
            false,
            "terraform.required_version: expected a lower and an upper bound",
        ),
        (
            "registry module without version",
            "terraform {\n required_version = \">= 1.10, < 2.0\"\n}\nmodule \"k\" {\n source = \"kube-hetzner/kube-hetzner/hcloud\"\n}\n",
            false,
            "module.k.version",
        ),
        (
            "no required_version",
            "variable \"a\" {\n description = \"x\"\n type = string\n}\n",
            false,
            "terraform.required_version",
        ),
        (
            "root without backend",
            "terraform {\n required_version = \">= 1.10\"\n}\n",
            true,
            "terraform.backend",
        ),
        (
            "backend without lockfile",
            "terraform {\n required_version = \">= 1.10\"\n backend \"s3\" {\n region = \"auto\"\n use_lockfile = false\n }\n}\n",
            true,
            "backend.use_lockfile",
        ),
        (
            "backend with a committed bucket",
            "terraform {\n required_version = \">= 1.10\"\n backend \"s3\" {\n region = \"auto\"\n bucket = \"state\"\n }\n}\n",
            true,
            "backend.bucket",
        ),
    ];
    for (what, text, root, expected) in cases {
        let sources = [Source {
            name: "case.tf".into(),
            text: text.to_string(),
        }];
        let mut problems = Vec::new();
        check_pins(&sources, &mut problems);
        check_variables(&sources, &mut problems);
        if *root {
            check_backend(&sources, &mut problems);
        }
        assert!(
            problems
                .iter()
                .any(|problem| problem.starts_with("case.tf") && problem.contains(expected)),
            "{what}: expected a problem about {expected}, got {problems:?}"
        );
    }
}

#[test]
fn committed_secrets_are_found_without_being_printed() {
    let token = "x".repeat(20) + &"Ab1".repeat(15) + "abcd";
    let cases = [
        format!("hcloud_token = \"{token}\""),
        "access_key = \"AKIAABCDEFGHIJKLMNOP\"".to_string(),
        "-----BEGIN OPENSSH PRIVATE KEY-----".to_string(),
        "password = \"correct-horse-battery\"".to_string(),
    ];
    for case in &cases {
        let found = find_secrets("case.tfvars", case);
        assert!(!found.is_empty(), "expected a secret in {case:?}");
        assert!(found
            .iter()
            .all(|message| message.starts_with("case.tfvars:1:")));
        assert!(
            found
                .iter()
                .all(|message| !message.contains(&token) && !message.contains("AKIA")),
            "messages must not repeat the secret: {found:?}"
        );
    }
    for harmless in [
        "hcloud_token = var.hcloud_token",
        "token = \"${var.token}\"",
        "ssh_public_key = file(\"~/.ssh/id_ed25519.pub\")",
    ] {
        assert!(
            find_secrets("ok.tf", harmless).is_empty(),
            "false positive for {harmless:?}"
        );
    }
}
