//! `tfaudit keygen`: a new ed25519 signing key for `tfaudit plan --attest`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use guardrail_core::attestation;

use super::error::CommandError;
use crate::error::InputError;

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, readable by the owner only).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Writes a new key to `--out` and prints its public key (base64 of the raw
/// 32 bytes, the form `attestation_public_keys` accepts) on stdout.
pub async fn run(args: KeygenArgs) -> Result<i32, CommandError> {
    let key = attestation::generate_signing_key();
    let pem = attestation::encode_signing_key_pem(&key);
    write_private(&args.out, pem.as_bytes(), args.force)?;
    let public = attestation::encode_public_key(&key.verifying_key());
    println!("{public}");
    eprintln!(
        "tfaudit: wrote the signing key to {} (mode 0600); add the public key above to the guardrail provider's attestation_public_keys",
        args.out.display()
    );
    Ok(0)
}

/// Writes `contents` to a temporary file (created 0600) next to `path`, then
/// renames it into place: never a partly written or world-readable key.
fn write_private(path: &std::path::Path, contents: &[u8], force: bool) -> Result<(), CommandError> {
    let error = |source: std::io::Error| InputError::Read {
        file: path.to_path_buf(),
        source,
    };
    if !force && path.exists() {
        return Err(CommandError::Usage(format!(
            "{}: already exists; pass --force to replace it",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tfaudit-key-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut file = builder.tempfile_in(&dir).map_err(error)?;
    file.write_all(contents).map_err(error)?;
    file.as_file().sync_all().map_err(error)?;
    let persisted = if force {
        file.persist(path).map(|_| ())
    } else {
        file.persist_noclobber(path).map(|_| ())
    };
    persisted.map_err(|persist| error(persist.error).into())
}
