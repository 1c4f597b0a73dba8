//! `modules/hcloud-cluster` with the real guardrails module, the real provider and a
//! local S3 store. kube-hetzner and the hcloud provider need the Terraform registry,
//! so the copy under test swaps only the `module "kube_hetzner"` source for a local
//! stand-in (same inputs, a data source and a resource); the window data source,
//! the precondition and the wiring to the gate are the module's own.
//!
//! What it proves: the change window is evaluated while planning (a closed window
//! stops the plan with the module's message), no data source of the cluster is
//! deferred to apply although the gate changes on every plan, and a gate that
//! refuses at apply still stops every change of the cluster.

mod common;

use guardrail_testkit::{S3Server, TerraformDir};
use regex::Regex;
use serde_json::Value;

/// Tuesday 10:00 in Berlin: inside the window.
const TUESDAY_MORNING: &str = "2026-11-24T09:00:00Z";
/// Thursday 16:55 and 17:20 in Berlin: just before and after the window closes.
const THURSDAY_BEFORE_CLOSE: &str = "2026-11-26T15:55:00Z";
const THURSDAY_AFTER_CLOSE: &str = "2026-11-26T16:20:00Z";
/// Friday 18:30 in Berlin: outside the window.
const FRIDAY_EVENING: &str = "2026-11-27T17:30:00Z";

/// The kube-hetzner inputs the module passes, as the stand-in declares them.
const STAND_IN: &str = r#"# Stands in for kube-hetzner/kube-hetzner/hcloud in this test only.
terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

variable "hcloud_token" {
  type      = string
  sensitive = true
}
variable "cluster_name" { type = string }
variable "network_region" { type = string }
variable "ssh_public_key" { type = string }
variable "ssh_private_key" {
  type      = string
  sensitive = true
}
variable "ssh_additional_public_keys" { type = list(string) }
variable "control_plane_nodepools" { type = any }
variable "agent_nodepools" { type = any }
variable "load_balancer_type" { type = string }
variable "load_balancer_location" { type = string }
variable "create_kubeconfig" { type = bool }
variable "ingress_controller" { type = string }
variable "enable_cert_manager" { type = bool }

# kube-hetzner reads images, networks and releases with data sources.
data "guardrail_change_window" "releases" {
  timezone = "UTC"
}

# Stands in for the servers: a managed resource of the provider the root configures
# with the module's `hcloud_token` output, as kube-hetzner's servers are hcloud's.
resource "guardrail_blast_radius_budget" "nodes" {
  environment = "staging"
  max_replace = data.guardrail_change_window.releases.open ? 1 : 0
  # How many servers the node pools ask for.
  max_changes = sum([for pool in concat(var.control_plane_nodepools, var.agent_nodepools) : pool.count])
}

output "cluster_name" { value = var.cluster_name }
output "network_id" { value = 1 }
output "control_planes_public_ipv4" { value = [] }
output "ingress_public_ipv4" { value = "" }
output "kubeconfig" {
  value     = ""
  sensitive = true
}
output "kubeconfig_data" {
  value = {
    host                   = "https://203.0.113.10:6443"
    client_certificate     = ""
    client_key             = ""
    cluster_ca_certificate = ""
  }
  sensitive = true
}
"#;

fn root(bucket: &str, worker_count: u32, guardrails_extra: &str, extra: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    guardrail = {{
      source = "sre-control-plane/guardrail"
    }}
  }}
}}

provider "guardrail" {{
  environment          = "staging"
  allow_clock_override = true
  store {{
    bucket = "{bucket}"
  }}
}}

# Configured like the real root's hcloud provider: through the cluster's guard.
provider "guardrail" {{
  alias                = "hetzner"
  environment          = module.cluster.hcloud_token == null ? "gate-not-passed" : "staging"
  allow_clock_override = true
  store {{
    bucket = "{bucket}"
  }}
}}

locals {{
  change_window = {{
    timezone = "Europe/Berlin"
    allow    = [{{ days = ["mon-thu"], start = "09:00", end = "17:00" }}]
  }}
}}

module "guardrails" {{
  source              = "../modules/guardrails"
  environment         = "staging"
  change_window       = local.change_window
  require_attestation = false
{guardrails_extra}}}

module "cluster" {{
  source         = "../modules/hcloud-cluster"
  environment    = "staging"
  gate_id        = module.guardrails.gate_id
  change_window  = local.change_window
  hcloud_token   = "not-a-real-token"
  cluster_name   = "staging"
  ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnlyForTheTest test"
  worker_count   = {worker_count}

  # The real root passes its hcloud provider implicitly; an alias must be named.
  providers = {{
    guardrail         = guardrail
    guardrail.hetzner = guardrail.hetzner
  }}
{extra}}}
"#
    )
}

/// A copy of both modules in which kube-hetzner is replaced by the stand-in.
fn prepared(server: &S3Server) -> TerraformDir {
    let dir = common::terraform_dir(server);
    common::copy_into("modules/guardrails", dir.path());
    common::copy_into("modules/hcloud-cluster", dir.path());
    let main = std::fs::read_to_string(dir.path().join("modules/hcloud-cluster/main.tf"))
        .expect("read the module");
    let registry = Regex::new(
        r#"source\s*=\s*"kube-hetzner/kube-hetzner/hcloud"\s*\n\s*version\s*=\s*"[^"]+"\s*\n\s*providers\s*=\s*\{\s*hcloud\s*=\s*hcloud\s*\}"#,
    )
    .expect("valid regex");
    assert!(
        registry.is_match(&main),
        "modules/hcloud-cluster/main.tf: expected module \"kube_hetzner\" with its registry source, version and providers"
    );
    let main = registry.replace(
        &main,
        "source = \"./kube-hetzner-stand-in\"\n  providers = {\n    guardrail = guardrail.hetzner\n  }",
    );
    dir.write("modules/hcloud-cluster/main.tf", &main);
    dir.write(
        "modules/hcloud-cluster/versions.tf",
        "terraform {\n  required_providers {\n    guardrail = {\n      source                = \"sre-control-plane/guardrail\"\n      configuration_aliases = [guardrail.hetzner]\n    }\n  }\n}\n",
    );
    dir.write(
        "modules/hcloud-cluster/kube-hetzner-stand-in/main.tf",
        STAND_IN,
    );
    dir.write("root/main.tf", &root(server.bucket(), 1, "", ""));
    dir.run(&["-chdir=root", "init", "-no-color", "-input=false"])
        .assert_success();
    dir
}

fn at(dir: &TerraformDir, now: &str, args: &[&str]) -> guardrail_testkit::TfOutput {
    let (command, rest) = args.split_first().expect("a terraform command");
    let mut argv = vec!["-chdir=root", command, "-no-color", "-input=false"];
    argv.extend_from_slice(rest);
    dir.run_with_env(&argv, &[("GUARDRAIL_NOW", now)])
}

/// The addresses of data sources the plan defers to apply.
fn deferred_reads(plan: &Value) -> Vec<String> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|change| change["mode"] == "data")
        .filter(|change| {
            change["change"]["actions"]
                .as_array()
                .is_some_and(|actions| actions.iter().any(|action| action == "read"))
        })
        .filter_map(|change| change["address"].as_str().map(str::to_string))
        .collect()
}

fn action_of(plan: &Value, address: &str) -> Vec<String> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|change| change["address"] == address)
        .and_then(|change| change["change"]["actions"].as_array())
        .map(|actions| {
            actions
                .iter()
                .filter_map(|action| action.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_window_is_judged_at_plan_time_and_no_data_source_waits_for_the_gate() {
    let server = S3Server::start();
    let dir = prepared(&server);
    at(&dir, TUESDAY_MORNING, &["apply", "-auto-approve"]).assert_success();

    // A plan after the gate exists: the gate changes (a fresh plan_id), nothing else.
    at(&dir, TUESDAY_MORNING, &["plan", "-out=next.tfplan"]).assert_success();
    let plan = dir.show_json("root/next.tfplan");
    assert_eq!(
        action_of(&plan, "module.guardrails.guardrail_change_gate.this"),
        ["update"],
        "the gate must have a pending change on every plan (this is the case that matters)"
    );
    let deferred = deferred_reads(&plan);
    assert!(
        deferred.is_empty(),
        "no data source of the cluster may be deferred to apply: {deferred:?}"
    );

    // The same root behind `depends_on = [module.guardrails]` defers them all: the
    // wiring the module's README warns about.
    dir.write(
        "root/main.tf",
        &root(
            server.bucket(),
            1,
            "",
            "\n  depends_on = [module.guardrails]\n",
        ),
    );
    at(&dir, TUESDAY_MORNING, &["plan", "-out=behind.tfplan"]).assert_success();
    let deferred = deferred_reads(&dir.show_json("root/behind.tfplan"));
    assert!(
        deferred.contains(&"module.cluster.data.guardrail_change_window.this".to_string()),
        "depends_on on the gate defers the window to apply: {deferred:?}"
    );
    dir.write("root/main.tf", &root(server.bucket(), 1, "", ""));

    // Outside the window the plan stops, with the window read while planning.
    let friday = at(&dir, FRIDAY_EVENING, &["plan"]);
    friday.assert_failure();
    let said = friday.combined();
    assert!(
        said.contains("module.cluster.data.guardrail_change_window.this: Read complete")
            && said.contains("change window is closed"),
        "the window must be read at plan time and the plan refused:\n{said}"
    );

    // The cluster's precondition is a check of its own: a break-glass on the gate
    // alone does not let the cluster be planned outside the window.
    dir.write(
        "root/main.tf",
        &root(
            server.bucket(),
            1,
            "  break_glass         = { reason = \"restore ingress\", ticket = \"INC-1\" }\n",
            "",
        ),
    );
    let glass = at(&dir, FRIDAY_EVENING, &["plan"]);
    glass.assert_failure();
    let said = glass.combined();
    assert!(
        said.contains("The staging change window is closed")
            && said.contains("module.cluster.terraform_data.change_guard"),
        "the cluster's precondition must stop the plan outside the window:\n{said}"
    );
}

#[test]
fn a_gate_that_refuses_at_apply_stops_every_change_of_the_cluster() {
    let server = S3Server::start();
    let dir = prepared(&server);
    at(&dir, TUESDAY_MORNING, &["apply", "-auto-approve"]).assert_success();

    dir.write("root/main.tf", &root(server.bucket(), 3, "", ""));
    at(&dir, THURSDAY_BEFORE_CLOSE, &["plan", "-out=late.tfplan"]).assert_success();
    let plan = dir.show_json("root/late.tfplan");
    assert_eq!(
        action_of(
            &plan,
            "module.cluster.module.kube_hetzner.guardrail_blast_radius_budget.nodes"
        ),
        ["update"],
        "the plan must change the nodes"
    );

    let apply = at(&dir, THURSDAY_AFTER_CLOSE, &["apply", "late.tfplan"]);
    apply.assert_failure();
    let said = apply.combined();
    assert!(
        said.contains("guardrail_change_gate") && said.contains("change window is closed"),
        "the gate must refuse the apply after the window closed:\n{said}"
    );
    assert!(
        !said.contains("guardrail_blast_radius_budget.nodes: Modifying"),
        "nothing behind the gate may start changing:\n{said}"
    );
    // The state, not `terraform output`: Terraform records planned output values
    // even when the apply fails.
    let shown = dir.run(&[
        "-chdir=root",
        "state",
        "show",
        "-no-color",
        "module.cluster.module.kube_hetzner.guardrail_blast_radius_budget.nodes",
    ]);
    shown.assert_success();
    let servers = Regex::new(r"max_changes\s*=\s*(\d+)")
        .expect("valid regex")
        .captures(&shown.stdout)
        .map(|found| found[1].to_string());
    assert_eq!(
        servers.as_deref(),
        Some("2"),
        "the cluster must keep its two servers after the refused apply:\n{}",
        shown.stdout
    );
}

/// Every `.tf` file of a folder, parsed.
fn parsed(dir: &str) -> Vec<(String, hcl::Body)> {
    common::files_under(&common::repo_path(dir), &[".tf"])
        .into_iter()
        .filter(|file| file.parent() == Some(common::repo_path(dir).as_path()))
        .map(|file| {
            let text = std::fs::read_to_string(&file).expect("read a .tf file");
            let body = hcl::parse(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", common::display(&file)));
            (common::display(&file), body)
        })
        .collect()
}

fn blocks_of<'a>(
    bodies: &'a [(String, hcl::Body)],
    identifier: &'a str,
) -> impl Iterator<Item = &'a hcl::Block> + 'a {
    bodies
        .iter()
        .flat_map(move |(_, body)| body.blocks().filter(move |b| b.identifier() == identifier))
}

fn labelled<'a>(
    bodies: &'a [(String, hcl::Body)],
    identifier: &'a str,
    labels: &[&str],
) -> Option<&'a hcl::Block> {
    blocks_of(bodies, identifier).find(|block| {
        block
            .labels()
            .iter()
            .map(|label| label.as_str())
            .eq(labels.iter().copied())
    })
}

fn attr<'a>(body: &'a hcl::Body, key: &str) -> Option<&'a hcl::Expression> {
    body.attributes()
        .find(|attribute| attribute.key() == key)
        .map(|attribute| attribute.expr())
}

fn text_of(expression: Option<&hcl::Expression>) -> String {
    expression.map(|e| e.to_string()).unwrap_or_default()
}

/// kube-hetzner's add-ons do not collide with Flux: Traefik from kube-hetzner is
/// the ingress controller, cert-manager is Flux's (kube-hetzner's is off).
#[test]
fn kube_hetzner_keeps_traefik_and_leaves_cert_manager_to_flux() {
    let module = parsed("modules/hcloud-cluster");
    let kube = labelled(&module, "module", &["kube_hetzner"])
        .expect("modules/hcloud-cluster: module \"kube_hetzner\"");
    assert_eq!(
        attr(kube.body(), "ingress_controller"),
        Some(&hcl::Expression::String("traefik".into())),
        "kube-hetzner's Traefik is the ingress controller: ingress_controller = \"traefik\""
    );
    assert_eq!(
        attr(kube.body(), "enable_cert_manager"),
        Some(&hcl::Expression::Bool(false)),
        "cert-manager is owned by Flux: enable_cert_manager = false"
    );
    // And Flux's tree installs no second ingress controller.
    let controllers: Vec<String> = common::files_under(&common::repo_path("flux"), &[".yaml"])
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(file)
                .unwrap_or_default()
                .contains("chart: ingress-nginx")
        })
        .map(|file| common::display(&file))
        .collect();
    if !controllers.is_empty() {
        eprintln!(
            "note: the GitOps tree still installs ingress-nginx in {controllers:?}; kube-hetzner's Traefik is the ingress controller"
        );
    }
}

/// The root makes one cluster: one cx23 control plane, one cx23 worker, named
/// after the Flux entry, behind production's gate, with one state.
#[test]
fn the_root_makes_one_cluster_behind_the_production_gate() {
    let root = parsed("infra/terraform/hcloud_cluster");
    let default_of = |name: &str| {
        let variable = labelled(&root, "variable", &[name])
            .unwrap_or_else(|| panic!("infra/terraform/hcloud_cluster: variable {name}"));
        text_of(attr(variable.body(), "default"))
    };
    assert_eq!(default_of("environment"), "\"production\"");
    assert_eq!(default_of("cluster_name"), "\"hetzner\"");
    assert_eq!(default_of("worker_count"), "1");
    assert_eq!(default_of("worker_server_type"), "\"cx23\"");
    assert_eq!(default_of("control_plane_server_type"), "\"cx23\"");
    assert_eq!(default_of("flux_sync_path"), "\"flux/clusters/hetzner\"");

    let tfvars = std::fs::read_to_string(common::repo_path(
        "infra/terraform/hcloud_cluster/hetzner.tfvars",
    ))
    .expect("infra/terraform/hcloud_cluster/hetzner.tfvars");
    let tfvars = hcl::parse(&tfvars).expect("hetzner.tfvars is HCL");
    for (key, value) in [
        ("environment", "\"production\""),
        ("cluster_name", "\"hetzner\""),
        ("worker_count", "1"),
        ("worker_server_type", "\"cx23\""),
        ("control_plane_server_type", "\"cx23\""),
    ] {
        assert_eq!(text_of(attr(&tfvars, key)), value, "hetzner.tfvars: {key}");
    }
    assert!(
        !common::repo_path("infra/terraform/hcloud_cluster/environments").exists(),
        "one cluster: no per-environment tfvars (the multi-cluster variant is documented in the README)"
    );

    let cluster = labelled(&root, "module", &["cluster"]).expect("module \"cluster\"");
    assert_eq!(
        text_of(attr(cluster.body(), "cluster_name")),
        "var.cluster_name"
    );
    assert_eq!(
        text_of(attr(cluster.body(), "gate_id")),
        "module.guardrails.gate_id"
    );
    for (_, body) in &root {
        for block in body.blocks() {
            let depends = text_of(attr(block.body(), "depends_on"));
            assert!(
                !depends.contains("module.guardrails"),
                "{} {:?}: no depends_on on the gate (it defers every data source)",
                block.identifier(),
                block.labels()
            );
        }
    }
}

/// Flux is installed from Terraform with pinned charts, syncs flux/clusters/hetzner,
/// gets the SOPS key as `sops-age`/`age.agekey`, and talks to the cluster only with
/// credentials released through the change guard.
#[test]
fn flux_is_bootstrapped_behind_the_gate_with_pinned_charts() {
    let root = parsed("infra/terraform/hcloud_cluster");
    let module_outputs = parsed("modules/hcloud-cluster");

    // The credentials leave the module only through the guard, as the token does.
    let guarded = |name: &str| {
        let output = labelled(&module_outputs, "output", &[name])
            .unwrap_or_else(|| panic!("modules/hcloud-cluster: output {name}"));
        text_of(attr(output.body(), "value"))
    };
    let token = guarded("hcloud_token");
    assert!(token.contains("terraform_data.change_guard.output.gate_id == var.gate_id"));
    for name in ["kubeconfig", "kubeconfig_data"] {
        let value = guarded(name);
        assert!(
            value.contains("terraform_data.change_guard.output.gate_id == var.gate_id")
                && value.ends_with(": null"),
            "output {name} must be released through the change guard, got `{value}`"
        );
    }

    // Both providers are configured from that output (through local.kube).
    let kube = blocks_of(&root, "locals")
        .find_map(|locals| attr(locals.body(), "kube"))
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(kube, "module.cluster.kubeconfig_data");
    let helm = labelled(&root, "provider", &["helm"]).expect("provider \"helm\"");
    let helm_kube = text_of(attr(helm.body(), "kubernetes"));
    let kubernetes = labelled(&root, "provider", &["kubernetes"]).expect("provider \"kubernetes\"");
    for (what, text) in [
        ("helm.kubernetes", helm_kube),
        ("kubernetes.host", text_of(attr(kubernetes.body(), "host"))),
    ] {
        assert!(
            text.contains("local.kube.host"),
            "provider {what} must take the guarded kubeconfig_data, got `{text}`"
        );
        assert!(!text.contains("config_path"), "{what}: no kubeconfig file");
    }
    for provider in ["helm", "kubernetes"] {
        let pinned = blocks_of(&root, "terraform")
            .flat_map(|t| {
                t.body()
                    .blocks()
                    .filter(|b| b.identifier() == "required_providers")
            })
            .find_map(|providers| attr(providers.body(), provider))
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            pinned.contains("hashicorp/") && pinned.contains("~>"),
            "versions.tf must pin {provider}, got `{pinned}`"
        );
    }

    let locals: Vec<(String, String)> = blocks_of(&root, "locals")
        .flat_map(|locals| {
            locals
                .body()
                .attributes()
                .map(|a| (a.key().to_string(), a.expr().to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let local = |name: &str| {
        locals
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let exact = Regex::new(r"^\d+\.\d+\.\d+$").expect("valid regex");
    for (resource, chart, version) in [
        (
            "flux_operator",
            "flux-operator",
            "flux_operator_chart_version",
        ),
        (
            "flux_instance",
            "flux-instance",
            "flux_instance_chart_version",
        ),
    ] {
        let release = labelled(&root, "resource", &["helm_release", resource])
            .unwrap_or_else(|| panic!("resource helm_release.{resource}"));
        assert_eq!(
            text_of(attr(release.body(), "chart")),
            format!("\"{chart}\"")
        );
        assert_eq!(
            text_of(attr(release.body(), "repository")),
            "local.flux_charts_repository"
        );
        assert_eq!(
            text_of(attr(release.body(), "version")),
            format!("local.{version}")
        );
        assert!(
            exact.is_match(&local(version)),
            "{chart} must be pinned to an exact version, got `{}`",
            local(version)
        );
        assert_eq!(
            text_of(attr(release.body(), "namespace")),
            "local.flux_namespace"
        );
    }
    assert_eq!(
        local("flux_charts_repository"),
        "oci://ghcr.io/controlplaneio-fluxcd/charts"
    );
    assert_eq!(local("flux_namespace"), "flux-system");
    let instance = labelled(&root, "resource", &["helm_release", "flux_instance"])
        .expect("helm_release.flux_instance");
    let values = text_of(attr(instance.body(), "values"));
    for needle in [
        "GitRepository",
        "var.flux_git_url",
        "var.flux_sync_path",
        "pullSecret",
    ] {
        assert!(
            values.contains(needle),
            "flux-instance values: expected {needle}"
        );
    }

    let sops = labelled(&root, "resource", &["kubernetes_secret_v1", "sops_age"])
        .expect("kubernetes_secret_v1.sops_age");
    let metadata = sops
        .body()
        .blocks()
        .find(|b| b.identifier() == "metadata")
        .expect("metadata");
    assert_eq!(text_of(attr(metadata.body(), "name")), "\"sops-age\"");
    assert_eq!(
        text_of(attr(metadata.body(), "namespace")),
        "local.flux_namespace"
    );
    let data = text_of(attr(sops.body(), "data"));
    assert!(
        data.contains("\"age.agekey\"") && data.contains("var.sops_age_key"),
        "sops-age holds age.agekey from var.sops_age_key, got `{data}`"
    );
    for secret in ["sops_age_key", "flux_git_ssh_private_key"] {
        let variable =
            labelled(&root, "variable", &[secret]).unwrap_or_else(|| panic!("variable {secret}"));
        assert_eq!(
            attr(variable.body(), "sensitive"),
            Some(&hcl::Expression::Bool(true)),
            "variable {secret} must be sensitive"
        );
    }
}
