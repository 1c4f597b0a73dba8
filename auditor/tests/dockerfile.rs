//! The advisor's image cannot be built here, so its Dockerfile is checked for the
//! rules it must keep: several stages, a final stage from `scratch` (no shell, no
//! package manager) that runs nothing, a numeric non-root user, an exec-form
//! entrypoint, and a copied binary that is the one this workspace builds: the
//! `tfaudit` binary target of this package, built `--release --locked` for the
//! static target whose output folder the copy reads.

use std::path::Path;

struct Instruction {
    keyword: String,
    arguments: String,
}

/// The instructions of a Dockerfile (comments dropped, continuation lines joined).
fn instructions(text: &str) -> Vec<Instruction> {
    let mut joined = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && joined.is_empty()) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            joined.push_str(head);
            joined.push(' ');
            continue;
        }
        joined.push_str(line);
        let (keyword, arguments) = joined.split_once(' ').unwrap_or((&joined, ""));
        out.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            arguments: arguments.trim().to_owned(),
        });
        joined.clear();
    }
    out
}

/// The problems of a Dockerfile's text, for the binary `bin` of package `package`.
fn problems(text: &str, package: &str, bin: &str) -> Vec<String> {
    let all = instructions(text);
    let mut problems = Vec::new();
    let stages: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, i)| i.keyword == "FROM")
        .map(|(n, _)| n)
        .collect();
    if stages.len() < 2 {
        problems.push("not a multi-stage build".to_owned());
        return problems;
    }
    let last = *stages.last().unwrap();
    let final_stage = &all[last..];
    let base = final_stage[0]
        .arguments
        .split_whitespace()
        .next()
        .unwrap_or("");
    if base != "scratch" {
        problems.push(format!(
            "the final stage is FROM {base}, not scratch (a shell could be in it)"
        ));
    }
    for instruction in final_stage {
        if instruction.keyword == "RUN" {
            problems.push(format!("the final stage runs `{}`", instruction.arguments));
        }
    }
    match final_stage.iter().rev().find(|i| i.keyword == "USER") {
        None => problems.push("the final stage sets no USER (it would run as root)".to_owned()),
        Some(user) => {
            let uid = user.arguments.split(':').next().unwrap_or("");
            if uid.parse::<u32>().map_or(true, |uid| uid == 0) {
                problems.push(format!(
                    "USER {} is not a numeric non-root user",
                    user.arguments
                ));
            }
        }
    }
    match final_stage.iter().find(|i| i.keyword == "ENTRYPOINT") {
        Some(entry) if entry.arguments.starts_with('[') => {}
        _ => problems.push("no ENTRYPOINT in exec form".to_owned()),
    }
    let build = &all[..last];
    let cargo = build
        .iter()
        .filter(|i| i.keyword == "RUN")
        .find(|i| i.arguments.contains("cargo build"));
    let Some(cargo) = cargo else {
        problems.push("no stage runs cargo build".to_owned());
        return problems;
    };
    let words: Vec<&str> = cargo.arguments.split_whitespace().collect();
    let value_of = |flag: &str| {
        words
            .iter()
            .position(|w| *w == flag)
            .and_then(|at| words.get(at + 1))
            .copied()
    };
    for flag in ["--release", "--locked"] {
        if !words.contains(&flag) {
            problems.push(format!("cargo build without {flag}"));
        }
    }
    if value_of("-p") != Some(package) {
        problems.push(format!("cargo build does not build the package {package}"));
    }
    if value_of("--bin") != Some(bin) {
        problems.push(format!("cargo build does not build the binary {bin}"));
    }
    let target = value_of("--target").unwrap_or("");
    if !target.ends_with("-musl") {
        problems.push(format!(
            "the target `{target}` does not link statically (musl)"
        ));
    }
    let expected = format!("target/{target}/release/{bin}");
    let copies_it = final_stage.iter().any(|i| {
        i.keyword == "COPY" && i.arguments.starts_with("--from=") && i.arguments.contains(&expected)
    });
    if !copies_it {
        problems.push(format!("the final stage does not copy {expected}"));
    }
    problems
}

fn manifest_names(manifest: &str) -> (String, String) {
    let value: toml::Value = toml::from_str(manifest).unwrap();
    let package = value["package"]["name"].as_str().unwrap().to_owned();
    let bin = value["bin"][0]["name"].as_str().unwrap().to_owned();
    (package, bin)
}

#[test]
fn the_advisor_image_is_multi_stage_static_non_root_and_shell_free() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (package, bin) = manifest_names(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap());
    assert!(
        Path::new(env!("CARGO_BIN_EXE_tfaudit")).ends_with(&bin),
        "the binary target is {bin}"
    );
    let text = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    assert_eq!(problems(&text, &package, &bin), Vec::<String>::new());
}

#[test]
fn a_dockerfile_that_breaks_a_rule_is_reported() {
    let good =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile")).unwrap();
    let cases = [
        (
            good.replace("FROM scratch", "FROM debian:bookworm-slim"),
            "not scratch",
        ),
        (
            good.replace("USER 65532:65532", "USER root"),
            "not a numeric non-root user",
        ),
        (good.replace("USER 65532:65532\n", ""), "sets no USER"),
        (
            good.replace("EXPOSE 8080", "RUN [\"/tfaudit\", \"--version\"]"),
            "the final stage runs",
        ),
        (
            good.replace("--bin tfaudit", "--bin other"),
            "does not build the binary tfaudit",
        ),
        (
            good.replace(
                "x86_64-unknown-linux-musl -p",
                "x86_64-unknown-linux-gnu -p",
            ),
            "does not link statically",
        ),
        (
            good.replace("/release/tfaudit /tfaudit", "/release/old /tfaudit"),
            "does not copy",
        ),
        (good.replace(" --locked", ""), "without --locked"),
        (
            good.replace("ENTRYPOINT [\"/tfaudit\"]", "ENTRYPOINT /tfaudit"),
            "exec form",
        ),
    ];
    for (text, expected) in cases {
        let found = problems(&text, "tfaudit", "tfaudit");
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "expected `{expected}` in {found:?}"
        );
    }
}
