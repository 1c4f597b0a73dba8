//! The guard scripts under `scripts/guard/`, run with bash: the kube context check
//! against kubeconfig files the test writes (with kubectl when it is installed, and
//! always with the script's own reader), and plan-before-apply against a real
//! Terraform configuration and, for the attestation, a local S3 server.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use guardrail_testkit::{tools, S3Server};

const KUBECONFIG: &str = r#"apiVersion: v1
kind: Config
clusters:
  - name: hetzner
    cluster:
      server: https://203.0.113.10:6443
contexts:
  - name: hetzner-production
    context:
      cluster: hetzner
      user: admin
      namespace: production
  - context:
      cluster: hetzner
      namespace: staging
      user: admin
    name: hetzner
  - name: bare
    context:
      cluster: hetzner
      user: admin
current-context: hetzner
preferences: {}
users:
  - name: admin
    user:
      token: not-a-real-token
"#;

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The ways the context is read: the script's own reader always, kubectl too
/// when it is installed.
fn readers() -> Vec<&'static str> {
    let mut readers = vec!["/nonexistent/kubectl"];
    let installed = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|output| output.status.success());
    if installed {
        readers.push("kubectl");
    }
    readers
}

fn check(kubeconfig: &Path, kubectl: &str, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(common::repo_path("scripts/guard/kube-context-check.sh"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("KUBECTL", kubectl)
        .output()
        .expect("run kube-context-check.sh")
}

#[test]
fn kube_context_check_runs_the_command_only_on_the_named_context_and_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, KUBECONFIG).unwrap();
    let marker = dir.path().join("ran");
    let touch = ["touch", marker.to_str().unwrap()];
    for kubectl in readers() {
        let run = |context: &str, namespace: &str, command: &[&str]| {
            let _ = std::fs::remove_file(&marker);
            let mut args = vec!["--context", context, "--namespace", namespace, "--"];
            args.extend_from_slice(command);
            let output = check(&config, kubectl, &args);
            (output, marker.exists())
        };

        let (right, ran) = run("hetzner", "staging", &touch);
        assert_eq!(right.status.code(), Some(0), "{kubectl}: {}", said(&right));
        assert!(
            ran,
            "{kubectl}: the command runs on the right context and namespace"
        );

        let (wrong_ns, ran) = run("hetzner", "production", &touch);
        assert_eq!(
            wrong_ns.status.code(),
            Some(1),
            "{kubectl}: {}",
            said(&wrong_ns)
        );
        assert!(!ran, "{kubectl}: nothing runs in the wrong namespace");
        assert!(
            said(&wrong_ns).contains("is 'staging', not 'production'"),
            "{kubectl}: {}",
            said(&wrong_ns)
        );

        let (wrong_context, ran) = run("hetzner-production", "production", &touch);
        assert_eq!(
            wrong_context.status.code(),
            Some(1),
            "{}",
            said(&wrong_context)
        );
        assert!(!ran);
        assert!(
            said(&wrong_context).contains("current context is 'hetzner', not 'hetzner-production'"),
            "{kubectl}: {}",
            said(&wrong_context)
        );

        // The right shell, but a command that points itself elsewhere.
        let (elsewhere, _) = run(
            "hetzner",
            "staging",
            &["kubectl", "-n", "production", "apply", "-f", "x.yaml"],
        );
        assert_eq!(elsewhere.status.code(), Some(1), "{}", said(&elsewhere));
        assert!(said(&elsewhere).contains("names namespace production"));
        let (other_context, _) = run(
            "hetzner",
            "staging",
            &["kubectl", "--context=hetzner-production", "get", "pods"],
        );
        assert_eq!(
            other_context.status.code(),
            Some(1),
            "{}",
            said(&other_context)
        );

        // The command's own exit status passes through.
        let (failing, _) = run("hetzner", "staging", &["false"]);
        assert_eq!(failing.status.code(), Some(1));
        let (status, _) = run("hetzner", "staging", &["bash", "-c", "exit 7"]);
        assert_eq!(
            status.status.code(),
            Some(7),
            "{kubectl}: {}",
            said(&status)
        );
    }

    // A context without a namespace is `default`; a missing context is refused.
    for kubectl in readers() {
        let bare = dir.path().join("bare");
        std::fs::write(
            &bare,
            KUBECONFIG.replace("current-context: hetzner", "current-context: bare"),
        )
        .unwrap();
        let output = check(
            &bare,
            kubectl,
            &["--context", "bare", "--namespace", "default", "--", "true"],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{kubectl}: {}",
            said(&output)
        );
        let none = dir.path().join("none");
        std::fs::write(&none, KUBECONFIG.replace("current-context: hetzner\n", "")).unwrap();
        let output = check(
            &none,
            kubectl,
            &[
                "--context",
                "hetzner",
                "--namespace",
                "staging",
                "--",
                "true",
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "{kubectl}: {}",
            said(&output)
        );
    }

    // Bad arguments: exit 2.
    let usage = check(
        &config,
        "/nonexistent/kubectl",
        &["--context", "hetzner", "--", "true"],
    );
    assert_eq!(usage.status.code(), Some(2), "{}", said(&usage));
}

const CONFIGURATION: &str = r#"terraform {
  required_version = ">= 1.10, < 2.0"
}

resource "terraform_data" "node" {
  input = "cx23"
}

module "addons" {
  source = "./modules/addons"
}
"#;

fn guard(dir: &Path, args: &[&str], server: Option<&S3Server>) -> Output {
    let bin = |path: std::path::PathBuf| path.parent().unwrap().display().to_string();
    let mut command = Command::new("bash");
    command
        .arg(common::repo_path("scripts/guard/plan-before-apply.sh"))
        .args(args)
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}:{}",
                bin(tools::tfaudit_bin()),
                bin(tools::terraform_bin()),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("GUARDRAIL_STORE");
    if let Some(server) = server {
        for (key, value) in server.env() {
            command.env(key, value);
        }
    }
    command.output().expect("run plan-before-apply.sh")
}

fn terraform(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(tools::terraform_bin())
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform");
    assert!(
        output.status.success(),
        "terraform {args:?}: {}",
        said(&output)
    );
    output
}

fn applied(dir: &Path) -> bool {
    dir.join("root/terraform.tfstate").exists()
}

#[test]
fn plan_before_apply_applies_only_a_saved_plan_of_the_current_configuration() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    std::fs::create_dir_all(root.join("modules/addons")).unwrap();
    std::fs::write(root.join("main.tf"), CONFIGURATION).unwrap();
    std::fs::write(
        root.join("modules/addons/main.tf"),
        "resource \"terraform_data\" \"traefik\" {}\n",
    )
    .unwrap();
    terraform(&root, &["init", "-input=false", "-no-color"]);

    // No plan, a plan that does not exist, something that is not a plan.
    let none = guard(work.path(), &["--chdir", "root", "--unverified"], None);
    assert_eq!(none.status.code(), Some(1), "{}", said(&none));
    assert!(said(&none).contains("no saved plan"));
    let missing = guard(
        work.path(),
        &["--chdir", "root", "--unverified", "gone.tfplan"],
        None,
    );
    assert_eq!(missing.status.code(), Some(1), "{}", said(&missing));
    std::fs::write(root.join("fake.tfplan"), "not a plan").unwrap();
    let fake = guard(
        work.path(),
        &["--chdir", "root", "--unverified", "fake.tfplan"],
        None,
    );
    assert_eq!(fake.status.code(), Some(1), "{}", said(&fake));
    assert!(!applied(work.path()), "nothing may be applied");

    // A plan made before the configuration changed (here: a local module).
    terraform(
        &root,
        &["plan", "-input=false", "-no-color", "-out=stale.tfplan"],
    );
    std::fs::write(
        root.join("modules/addons/main.tf"),
        "resource \"terraform_data\" \"traefik\" {\n  input = \"v3\"\n}\n",
    )
    .unwrap();
    let stale = guard(
        work.path(),
        &["--chdir", "root", "--unverified", "stale.tfplan"],
        None,
    );
    assert_eq!(stale.status.code(), Some(1), "{}", said(&stale));
    assert!(
        said(&stale).contains("configuration changed")
            && said(&stale).contains("modules/addons/main.tf"),
        "{}",
        said(&stale)
    );
    // A file added to the root is a change too.
    terraform(
        &root,
        &["plan", "-input=false", "-no-color", "-out=fresh.tfplan"],
    );
    std::fs::write(root.join("extra.tf"), "locals {\n  x = 1\n}\n").unwrap();
    let added = guard(
        work.path(),
        &["--chdir", "root", "--unverified", "fresh.tfplan"],
        None,
    );
    assert_eq!(added.status.code(), Some(1), "{}", said(&added));
    std::fs::remove_file(root.join("extra.tf")).unwrap();
    assert!(!applied(work.path()), "nothing may be applied");

    // Without --unverified a store is required, and tfaudit verify must accept the
    // plan: this one carries no gate and no attestation.
    let no_store = guard(work.path(), &["--chdir", "root", "fresh.tfplan"], None);
    assert_eq!(no_store.status.code(), Some(1), "{}", said(&no_store));
    assert!(said(&no_store).contains("no --store"));
    let server = S3Server::start();
    let store = format!("s3://{}/guardrail/", server.bucket());
    let unattested = guard(
        work.path(),
        &["--chdir", "root", "--store", &store, "fresh.tfplan"],
        Some(&server),
    );
    assert_eq!(unattested.status.code(), Some(1), "{}", said(&unattested));
    assert!(
        said(&unattested).contains("tfaudit verify did not accept"),
        "{}",
        said(&unattested)
    );
    assert!(!applied(work.path()), "nothing may be applied");

    // The current plan, explicitly unverified: applied, and only it.
    let apply = guard(
        work.path(),
        &["--chdir", "root", "--unverified", "fresh.tfplan"],
        None,
    );
    assert_eq!(apply.status.code(), Some(0), "{}", said(&apply));
    assert!(
        said(&apply).contains("Apply complete! Resources: 2 added"),
        "{}",
        said(&apply)
    );
    assert!(applied(work.path()));
}

#[test]
fn the_guard_scripts_are_shellcheck_clean() {
    let installed = Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed {
        eprintln!("shellcheck is not installed here; CI runs it through scripts/setup.sh");
        return;
    }
    let mut scripts = common::files_under(&common::repo_path("scripts/guard"), &[".sh"]);
    scripts.push(common::repo_path("scripts/promote.sh"));
    let output = Command::new("shellcheck")
        .args(&scripts)
        .output()
        .expect("run shellcheck");
    assert!(output.status.success(), "shellcheck:\n{}", said(&output));
}
