//! `tfaudit verify PLAN`: the apply path's check that the plan file about to be
//! applied is the one that was audited.
//!
//! For every change gate in the plan it fetches the attestation for the gate's
//! `plan_id` and requires: a signature by one of the trusted keys, the right
//! environment and plan_id, not expired (system clock), not yet spent, a passing
//! verdict, and a `plan_digest` equal to the SHA-256 of this plan's JSON (a
//! binary plan is rendered with `terraform show -json`, as `tfaudit plan` does).
//! A plan file swapped after the audit, or a second plan that shares an attested
//! `plan_id`, fails here before Terraform touches anything. Read-only.

use guardrail_core::store::ObjectStore;
use std::path::PathBuf;

use chrono::Utc;
use clap::Args;
use guardrail_core::attestation::{self, VerifyingKey};
use guardrail_core::store::Store;

use super::args::StoreArgs;
use super::error::CommandError;
use crate::attest::{connect_config, gate_targets};
use crate::error::InputError;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Plan to verify: a binary plan file, its `terraform show -json` output, or `-`.
    #[arg(value_name = "PLAN")]
    pub plan: String,

    /// Folder of the configuration a binary plan file belongs to (where
    /// `terraform init` ran): `terraform show -json` runs there, as with
    /// Terraform's own `-chdir`. Relative paths are from the working folder.
    #[arg(long, value_name = "DIR")]
    pub chdir: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub location: StoreArgs,

    /// A trusted ed25519 public key (base64 of the raw 32 bytes, or a PEM file's
    /// contents); repeatable. The same keys as the provider's attestation_public_keys.
    #[arg(
        long = "public-key",
        value_name = "KEY",
        env = "TFAUDIT_ATTESTATION_PUBLIC_KEY"
    )]
    pub public_keys: Vec<String>,

    /// A file of trusted public keys, one base64 key per line.
    #[arg(long, value_name = "FILE")]
    pub public_keys_file: Option<PathBuf>,
}

fn trusted_keys(args: &VerifyArgs) -> Result<Vec<VerifyingKey>, CommandError> {
    let mut texts: Vec<(String, String)> = args
        .public_keys
        .iter()
        .map(|key| ("--public-key".to_string(), key.clone()))
        .collect();
    if let Some(file) = &args.public_keys_file {
        let text = std::fs::read_to_string(file).map_err(|source| InputError::Read {
            file: file.clone(),
            source,
        })?;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                texts.push((
                    format!("{}:{}", file.display(), index + 1),
                    line.to_string(),
                ));
            }
        }
    }
    if texts.is_empty() {
        return Err(CommandError::Usage(
            "no trusted key: pass --public-key KEY (repeatable) or --public-keys-file FILE".into(),
        ));
    }
    texts
        .iter()
        .map(|(origin, text)| {
            attestation::parse_public_key(text)
                .map_err(|error| CommandError::Usage(format!("{origin}: {error}")))
        })
        .collect()
}

pub async fn run(args: VerifyArgs) -> Result<i32, CommandError> {
    let keys = trusted_keys(&args)?;
    let store_config = args.location.config()?;
    let loaded = crate::plan::load(&args.plan, args.chdir.as_deref())?;
    let digest = format!("sha256:{}", loaded.sha256);
    let targets = gate_targets(&loaded);
    if targets.is_empty() {
        println!(
            "{}: refused: the plan has no guardrail_change_gate with a known plan_id, so no attestation can vouch for it",
            loaded.subject.display()
        );
        return Ok(1);
    }
    let store = connect_config(&store_config).await?;
    let mut refused = 0;
    for (environment, plan_id) in &targets {
        match check(&store, &keys, environment, plan_id, &digest).await {
            Ok(issued) => println!("{environment}: plan_id {plan_id}: verified ({issued})"),
            Err(reason) => {
                refused += 1;
                println!("{environment}: plan_id {plan_id}: refused: {reason}");
            }
        }
    }
    if refused > 0 {
        eprintln!(
            "tfaudit: {} of {} gate(s) refused: do not apply {}",
            refused,
            targets.len(),
            loaded.subject.display()
        );
        return Ok(1);
    }
    Ok(0)
}

async fn check(
    store: &Store,
    keys: &[VerifyingKey],
    environment: &str,
    plan_id: &str,
    digest: &str,
) -> Result<String, String> {
    let envelope = match attestation::fetch(store, environment, plan_id).await {
        Ok(Some(envelope)) => envelope,
        Ok(None) => {
            return Err(format!(
                "no attestation at {}",
                attestation::attestation_key(environment, plan_id)
            ))
        }
        Err(error) => return Err(format!("cannot read the attestation: {error}")),
    };
    let attested = attestation::verify(&envelope, keys, environment, plan_id, Utc::now())
        .map_err(|error| error.to_string())?;
    if attested.plan_digest != digest {
        return Err(format!(
            "the attestation was issued for other plan bytes ({}) than this plan file ({digest}): \
             the plan was changed or swapped after the audit",
            attested.plan_digest
        ));
    }
    match store
        .get(&attestation::spent_key(environment, plan_id))
        .await
    {
        Ok(None) => {}
        Ok(Some(_)) => {
            return Err(
                "the attestation was already used by an apply: plan, audit and attest again".into(),
            )
        }
        Err(error) => return Err(format!("cannot read the spent marker: {error}")),
    }
    Ok(format!(
        "issued {} by tfaudit {}, expires {}",
        attested.issued_at.to_rfc3339(),
        attested.auditor_version,
        attested.expires_at.to_rfc3339()
    ))
}
