//! Helpers shared by the platform checks: the repository's files, copies of
//! Terraform configurations into temporary directories, and a CLI configuration
//! under which `terraform init` works offline with the freshly built provider.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use guardrail_testkit::{tools, S3Server, TerraformDir};

/// A path inside the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    tools::workspace_root().join(relative)
}

/// Every file under `dir` (recursively) whose name ends with one of `suffixes`,
/// skipping Terraform's working folders. Sorted, so failures are reproducible.
pub fn files_under(dir: &Path, suffixes: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != ".terraform" {
                    pending.push(path);
                }
            } else if suffixes.iter().any(|suffix| name.ends_with(suffix)) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The path relative to the repository root, for messages.
pub fn display(path: &Path) -> String {
    path.strip_prefix(tools::workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Copies the repository folder `relative` to the same relative place under `dest`.
pub fn copy_into(relative: &str, dest: &Path) {
    let source = repo_path(relative);
    for file in files_under(&source, &[""]) {
        let inside = file.strip_prefix(&source).expect("file under its folder");
        let target = dest.join(relative).join(inside);
        std::fs::create_dir_all(target.parent().expect("a file has a parent"))
            .expect("create the copy's folders");
        std::fs::copy(&file, &target)
            .unwrap_or_else(|error| panic!("copy {}: {error}", file.display()));
    }
}

/// A Terraform directory wired to `server` whose CLI configuration both overrides
/// the provider with the freshly built binary (`dev_overrides`) and offers it from
/// a local filesystem mirror, so `terraform init` of a configuration with a backend
/// and version constraints completes without a registry.
pub fn terraform_dir(server: &S3Server) -> TerraformDir {
    let dir = TerraformDir::new().with_s3(server);
    let provider = tools::provider_bin();
    let version = env!("CARGO_PKG_VERSION");
    let mirror = dir.path().join(".provider-mirror");
    let package = mirror
        .join("registry.terraform.io/sre-control-plane/guardrail")
        .join(version)
        .join(tools::terraform_platform());
    std::fs::create_dir_all(&package).expect("create the provider mirror");
    std::os::unix::fs::symlink(
        &provider,
        package.join(format!("terraform-provider-guardrail_v{version}")),
    )
    .expect("link the provider into the mirror");
    let cli_config = format!(
        r#"provider_installation {{
  dev_overrides {{
    "sre-control-plane/guardrail" = "{bin_dir}"
  }}
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/sre-control-plane/guardrail"]
  }}
  direct {{
    exclude = ["registry.terraform.io/sre-control-plane/guardrail"]
  }}
}}
"#,
        bin_dir = tools::provider_bin_dir().display(),
        mirror = mirror.display(),
    );
    dir.write(".terraformrc", &cli_config);
    dir
}
