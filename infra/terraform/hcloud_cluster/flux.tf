# Flux, installed by Terraform once the cluster exists: the Flux Operator (Helm
# chart `flux-operator`) and a FluxInstance (Helm chart `flux-instance`) that syncs
# flux/clusters/hetzner of this repository. Everything after that is GitOps.
#
# Behind the gate: the helm and kubernetes providers get the cluster's credentials
# only from `module.cluster.kubeconfig_data`, which the cluster module releases
# through its change guard, exactly as it releases the Hetzner token. Nothing here
# talks to the cluster before the gate has passed, and a gate that refuses at apply
# stops these changes with the rest. There is no data source here, so nothing is
# deferred either.
#
# Secrets: the SOPS age key and the Git deploy key come from sensitive variables
# (TF_VAR_sops_age_key, TF_VAR_flux_git_ssh_private_key) and are written once, when
# their Secret is created; later plans ignore their content, so a plan without them
# (a pull-request review) changes nothing. Rotate with
# `-replace=kubernetes_secret_v1.sops_age` (or `.flux_git`). Terraform's state in
# R2 holds them, as it holds the kubeconfig: the state bucket is as sensitive as
# the cluster.

locals {
  # Reviewed pins: a new release is a pull request changing these lines.
  flux_operator_chart_version = "0.58.1"
  flux_instance_chart_version = "0.58.1"
  flux_distribution_version   = "2.9.x"
  flux_charts_repository      = "oci://ghcr.io/controlplaneio-fluxcd/charts"

  flux_namespace = "flux-system"
  # The Secret Flux clones with; `flux-system` is the name flux bootstrap uses.
  flux_git_secret = "flux-system"

  kube = module.cluster.kubeconfig_data
}

provider "helm" {
  kubernetes = {
    host                   = try(local.kube.host, null)
    client_certificate     = try(local.kube.client_certificate, null)
    client_key             = try(local.kube.client_key, null)
    cluster_ca_certificate = try(local.kube.cluster_ca_certificate, null)
  }
}

provider "kubernetes" {
  host                   = try(local.kube.host, null)
  client_certificate     = try(local.kube.client_certificate, null)
  client_key             = try(local.kube.client_key, null)
  cluster_ca_certificate = try(local.kube.cluster_ca_certificate, null)
}

resource "helm_release" "flux_operator" {
  name             = "flux-operator"
  namespace        = local.flux_namespace
  create_namespace = true
  repository       = local.flux_charts_repository
  chart            = "flux-operator"
  version          = local.flux_operator_chart_version
  wait             = true
  timeout          = 600
}

# The age private key the kustomize-controller decrypts SOPS secrets with
# (`decryption.secretRef.name: sops-age` in flux/clusters/hetzner).
resource "kubernetes_secret_v1" "sops_age" {
  metadata {
    name      = "sops-age"
    namespace = local.flux_namespace
  }

  data = {
    "age.agekey" = var.sops_age_key
  }

  lifecycle {
    ignore_changes = [data]
  }

  depends_on = [helm_release.flux_operator]
}

# Read access to the repository: a read-only deploy key (docs/hetzner.md, "Flux and
# Git"). Absent when the repository is public (flux_git_auth = "none").
resource "kubernetes_secret_v1" "flux_git" {
  count = var.flux_git_auth == "ssh-deploy-key" ? 1 : 0

  metadata {
    name      = local.flux_git_secret
    namespace = local.flux_namespace
  }

  data = {
    identity    = var.flux_git_ssh_private_key
    known_hosts = var.flux_git_known_hosts
  }

  lifecycle {
    ignore_changes = [data]
  }

  depends_on = [helm_release.flux_operator]
}

resource "helm_release" "flux_instance" {
  name       = "flux"
  namespace  = local.flux_namespace
  repository = local.flux_charts_repository
  chart      = "flux-instance"
  version    = local.flux_instance_chart_version
  wait       = true
  timeout    = 600

  values = [yamlencode({
    instance = {
      distribution = {
        version  = local.flux_distribution_version
        registry = "ghcr.io/fluxcd"
      }
      components = [
        "source-controller",
        "kustomize-controller",
        "helm-controller",
        "notification-controller",
      ]
      cluster = {
        type          = "kubernetes"
        multitenant   = false
        networkPolicy = true
        domain        = "cluster.local"
      }
      sync = merge(
        {
          kind     = "GitRepository"
          url      = var.flux_git_url
          ref      = "refs/heads/${var.flux_git_branch}"
          path     = var.flux_sync_path
          interval = "1m"
        },
        var.flux_git_auth == "ssh-deploy-key" ? { pullSecret = local.flux_git_secret } : {},
      )
    }
  })]

  # The operator's CRDs first; the Secrets before the first sync needs them.
  depends_on = [
    helm_release.flux_operator,
    kubernetes_secret_v1.sops_age,
    kubernetes_secret_v1.flux_git,
  ]
}

check "flux_secrets" {
  assert {
    condition     = var.sops_age_key != null && (var.flux_git_auth == "none" || var.flux_git_ssh_private_key != null)
    error_message = "TF_VAR_sops_age_key (and TF_VAR_flux_git_ssh_private_key with flux_git_auth = \"ssh-deploy-key\") are not set: fine for a review plan, but the first apply must have them, or Flux starts without them (see docs/hetzner.md)."
  }
}
