//! `platform-policy`: the platform's own checks of the GitOps tree, as the tests run
//! them, for a student or an operator at a terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use platform_checks::{alerting, policy};

const USAGE: &str = "\
Usage: platform-policy CHECK [--root DIR]

Checks the GitOps tree of the repository at DIR (default: the current directory):

  tree      the platform policy over every rendered Flux path: hardened workloads
            (non-root, no privilege, read-only root, limits, probes), an HPA and a
            PodDisruptionBudget in staging and production, default-deny network
            isolation without open rules, pinned charts, governed images, no
            plaintext Secret
  secrets   every Secret under flux/ carries SOPS metadata and has a .sops.yaml
            creation rule
  alerts    promtool check rules and promtool test rules; every alert fires on its
            symptom and stays quiet on a healthy series
  runbooks  every alert's runbook_url names a runbook under docs/runbooks/ with
            Diagnose, Mitigate and Rollback sections

Prints one line per problem. Exit 0 when there is none, 1 when there are problems,
2 on bad arguments or a tree that cannot be read.";

fn usage(message: &str) -> ExitCode {
    if !message.is_empty() {
        eprintln!("platform-policy: {message}");
    }
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut check = None;
    let mut root = PathBuf::from(".");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--root" => match args.next() {
                Some(dir) => root = PathBuf::from(dir),
                None => return usage("--root needs a folder"),
            },
            _ if arg.starts_with("--root=") => root = PathBuf::from(&arg["--root=".len()..]),
            "tree" | "secrets" | "alerts" | "runbooks" if check.is_none() => check = Some(arg),
            _ => return usage(&format!("unexpected argument `{arg}`")),
        }
    }
    let Some(check) = check else {
        return usage("which check? tree, secrets, alerts or runbooks");
    };
    if !root.join("flux").is_dir() {
        return usage(&format!(
            "{} has no flux/ folder: pass the repository root with --root",
            root.display()
        ));
    }
    // The checks panic on a tree they cannot read (a path kustomize cannot build, a
    // file that is not YAML): that is an input error, exit 2, with the reason.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown error".to_string());
        eprintln!("platform-policy: cannot check the tree: {message}");
    }));
    let outcome = std::panic::catch_unwind(|| -> Result<(Vec<String>, String), String> {
        Ok(match check.as_str() {
            "tree" => (policy::tree(&root), String::new()),
            "secrets" => {
                let mut problems = policy::plaintext_secrets_in_sources(&root);
                problems.extend(policy::secrets_without_sops_rule(&root)?);
                (problems, String::new())
            }
            "alerts" => alerting::promtool_report(&root),
            _ => (alerting::runbook_problems(&root), String::new()),
        })
    });
    let (problems, report) = match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(message)) => {
            eprintln!("platform-policy: cannot check the tree: {message}");
            return ExitCode::from(2);
        }
        Err(_) => return ExitCode::from(2),
    };
    print!("{report}");
    for problem in &problems {
        println!("{problem}");
    }
    if problems.is_empty() {
        println!("platform-policy {check}: no problems");
        ExitCode::SUCCESS
    } else {
        println!("platform-policy {check}: {} problem(s)", problems.len());
        ExitCode::from(1)
    }
}
