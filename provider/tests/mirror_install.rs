//! Installing the provider as its users do, without `dev_overrides`: the release zip
//! (packed by `scripts/package_release.py`, the script the release workflow runs)
//! served from a filesystem mirror and from a network mirror over HTTPS, with the
//! hashes `terraform providers lock` records checked by `terraform init`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{provider_block, REQUIRED_PROVIDERS};
use guardrail_testkit::{tools, S3Server, TerraformDir};
use sha2::{Digest, Sha256};

const SOURCE: &str = "registry.terraform.io/sre-control-plane/guardrail";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Packs `bin_dir`'s provider into `dist` as the release does; returns the zip.
fn release_zip(bin_dir: &Path, dist: &Path) -> PathBuf {
    let platform = tools::terraform_platform();
    let (os, arch) = platform.split_once('_').unwrap();
    let output = tools::package_release(&[
        "--version",
        VERSION,
        "--os",
        os,
        "--arch",
        arch,
        "--bin-dir",
        bin_dir.to_str().unwrap(),
        "--dist",
        dist.to_str().unwrap(),
        "--only",
        "terraform-provider-guardrail",
    ]);
    assert!(
        output.status.success(),
        "package_release.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let zip = dist.join(format!(
        "terraform-provider-guardrail_{VERSION}_{platform}.zip"
    ));
    assert!(
        zip.is_file(),
        "the release zip is named as the registry expects"
    );
    zip
}

fn mirror(dist: &Path, flag: &str, target: &Path) {
    let output = tools::package_release(&[
        "mirror",
        "--dist",
        dist.to_str().unwrap(),
        flag,
        target.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "package_release.py mirror failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn zip_hash(zip: &Path) -> String {
    format!(
        "zh:{}",
        hex::encode(Sha256::digest(std::fs::read(zip).unwrap()))
    )
}

/// Terraform's `h1:` hash of a package holding the one executable `name` with
/// `contents` (Go's dirhash Hash1: SHA-256 over the sorted "SHA256  NAME" lines),
/// computed here independently of Terraform.
fn h1_hash(name: &str, contents: &[u8]) -> String {
    use base64::Engine;
    let summary = format!("{}  {name}\n", hex::encode(Sha256::digest(contents)));
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

fn provider_h1() -> String {
    h1_hash(
        &format!("terraform-provider-guardrail_v{VERSION}"),
        &std::fs::read(tools::provider_bin()).unwrap(),
    )
}

/// A configuration that pins the provider's version and reads the environment
/// through it, so a plan proves the installed binary runs.
fn configuration(dir: &TerraformDir, server: &S3Server) {
    let pinned = REQUIRED_PROVIDERS.replace(
        "source = \"sre-control-plane/guardrail\"",
        &format!("source  = \"sre-control-plane/guardrail\"\n      version = \"{VERSION}\""),
    );
    assert_ne!(
        pinned, REQUIRED_PROVIDERS,
        "the version constraint was added"
    );
    dir.write(
        "main.tf",
        &format!(
            "{pinned}\n{}\ndata \"guardrail_environment\" \"production\" {{\n  name = \"production\"\n}}\n\noutput \"frozen\" {{\n  value = data.guardrail_environment.production.locked\n}}\n",
            provider_block(server, "production", "")
        ),
    );
}

/// The CLI configuration a user writes: only the mirror (`method` with its
/// `location` setting), no `dev_overrides`.
fn cli_config(dir: &TerraformDir, method: &str, location: &str) {
    dir.write(
        ".terraformrc",
        &format!(
            "provider_installation {{\n  {method} {{\n    {location}\n    include = [\"{SOURCE}\"]\n  }}\n  direct {{\n    exclude = [\"{SOURCE}\"]\n  }}\n}}\n"
        ),
    );
}

fn installed_binary(dir: &TerraformDir) -> PathBuf {
    dir.path().join(format!(
        ".terraform/providers/{SOURCE}/{VERSION}/{}/terraform-provider-guardrail_v{VERSION}",
        tools::terraform_platform()
    ))
}

#[test]
fn the_release_zip_installs_from_a_filesystem_mirror_and_a_tampered_zip_is_refused() {
    let server = S3Server::start();
    let scratch = tempfile::tempdir().unwrap();
    let dist = scratch.path().join("dist");
    let fs_mirror = scratch.path().join("mirror");
    let zip = release_zip(&tools::provider_bin_dir(), &dist);
    mirror(&dist, "--fs-mirror", &fs_mirror);
    let packed = fs_mirror.join(SOURCE).join(zip.file_name().unwrap());
    assert_eq!(
        std::fs::read(&packed).unwrap(),
        std::fs::read(&zip).unwrap(),
        "the packed layout holds the release zip itself"
    );

    let dir = TerraformDir::new().with_s3(&server);
    configuration(&dir, &server);
    cli_config(
        &dir,
        "filesystem_mirror",
        &format!("path    = \"{}\"", fs_mirror.display()),
    );

    let lock = dir.run(&[
        "providers",
        "lock",
        &format!("-fs-mirror={}", fs_mirror.display()),
        &format!("-platform={}", tools::terraform_platform()),
    ]);
    lock.assert_success();
    let lock_file = std::fs::read_to_string(dir.path().join(".terraform.lock.hcl")).unwrap();
    // A mirror is not a registry: Terraform records the hash of the package's
    // contents (h1:), not the registry-signed zip hash (zh:).
    assert!(
        lock_file.contains(&provider_h1()),
        "the lock file records the hash of exactly the binary in the zip:\n{lock_file}"
    );
    assert!(lock_file.contains(&format!("version     = \"{VERSION}\"")));

    let init = dir.init();
    init.assert_success();
    assert!(
        init.combined()
            .contains(&format!("Installed sre-control-plane/guardrail v{VERSION}")),
        "{}",
        init.combined()
    );
    let installed = installed_binary(&dir);
    let metadata = std::fs::symlink_metadata(&installed).expect("the provider is installed");
    assert!(
        metadata.file_type().is_file(),
        "a copy from the zip, not a link to the build"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_ne!(metadata.permissions().mode() & 0o111, 0, "and executable");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(tools::provider_bin()).unwrap()
    );
    let plan = dir.run(&["plan", "-input=false"]);
    plan.assert_success();
    assert!(
        plan.combined().contains("frozen = false"),
        "{}",
        plan.combined()
    );

    // Someone swaps the zip in the mirror for another build: init against the
    // committed lock file refuses it.
    let impostor_dir = scratch.path().join("impostor");
    std::fs::create_dir_all(&impostor_dir).unwrap();
    let impostor = impostor_dir.join("terraform-provider-guardrail");
    std::fs::write(&impostor, "#!/bin/sh\necho pwned\n").unwrap();
    std::fs::set_permissions(&impostor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let impostor_dist = scratch.path().join("impostor-dist");
    let impostor_zip = release_zip(&impostor_dir, &impostor_dist);
    std::fs::copy(&impostor_zip, &packed).unwrap();
    std::fs::remove_dir_all(dir.path().join(".terraform")).unwrap();
    let refused = dir.init();
    refused.assert_failure();
    let text = refused
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains(
            "doesn't match any of the checksums previously recorded in the dependency lock file"
        ),
        "{}",
        refused.combined()
    );
    assert!(
        !installed.exists(),
        "nothing was installed from the tampered zip"
    );
}

/// A static HTTPS server (Python's http.server behind TLS) for the network mirror;
/// its request log goes to `log`.
struct HttpsServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl HttpsServer {
    fn start(root: &Path, cert: &Path, key: &Path, log: PathBuf) -> HttpsServer {
        const SERVER: &str = r#"
import functools, http.server, ssl, sys
root, cert, key = sys.argv[1:4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
        let mut child = Command::new(tools::python_bin())
            .args(["-c", SERVER])
            .arg(root)
            .arg(cert)
            .arg(key)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("create the request log"))
            .spawn()
            .expect("start the HTTPS server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the server prints its port");
        HttpsServer { child, port, log }
    }

    /// The requests served so far, one line each.
    fn requests(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_release_zip_installs_from_a_network_mirror_over_https() {
    let server = S3Server::start();
    let scratch = tempfile::tempdir().unwrap();
    let dist = scratch.path().join("dist");
    let site = scratch.path().join("site");
    let zip = release_zip(&tools::provider_bin_dir(), &dist);
    mirror(&dist, "--network-mirror", &site);

    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = scratch.path().join("mirror.crt");
    let key = scratch.path().join("mirror.key");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let https = HttpsServer::start(&site, &cert, &key, scratch.path().join("requests.log"));

    let dir = TerraformDir::new()
        .with_s3(&server)
        .with_env("SSL_CERT_FILE", cert.to_str().unwrap());
    configuration(&dir, &server);
    cli_config(
        &dir,
        "network_mirror",
        &format!("url     = \"https://127.0.0.1:{}/\"", https.port),
    );
    // The mirror lists the zip's hash; a mirror that lists another hash is refused.
    let listing = site.join(SOURCE).join(format!("{VERSION}.json"));
    let honest = std::fs::read_to_string(&listing).unwrap();
    assert!(honest.contains(&zip_hash(&zip)), "{honest}");
    std::fs::write(
        &listing,
        honest.replace(&zip_hash(&zip), &format!("zh:{}", "0".repeat(64))),
    )
    .unwrap();
    let refused = dir.init();
    refused.assert_failure();
    let text = refused
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("provider package doesn't match the expected checksum"),
        "{}",
        refused.combined()
    );
    assert!(
        !installed_binary(&dir).exists(),
        "nothing installed from a zip that fails its hash"
    );
    std::fs::write(&listing, honest).unwrap();

    let init = dir.init();
    init.assert_success();
    let lock_file = std::fs::read_to_string(dir.path().join(".terraform.lock.hcl")).unwrap();
    assert!(
        lock_file.contains(&provider_h1()),
        "the lock file records the hash of exactly the binary in the zip:\n{lock_file}"
    );
    assert!(installed_binary(&dir).is_file());
    dir.run(&["plan", "-input=false"]).assert_success();

    let log = https.requests();
    for path in [
        format!("/{SOURCE}/index.json"),
        format!("/{SOURCE}/{VERSION}.json"),
        format!("/{SOURCE}/{}", zip.file_name().unwrap().to_str().unwrap()),
    ] {
        assert!(
            log.contains(&format!("GET {path} ")),
            "{path} was not fetched:\n{log}"
        );
    }
}

#[test]
fn packing_a_missing_binary_exits_2_and_writes_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let dist = scratch.path().join("dist");
    let output = tools::package_release(&[
        "--version",
        VERSION,
        "--os",
        "linux",
        "--arch",
        "amd64",
        "--bin-dir",
        scratch.path().to_str().unwrap(),
        "--dist",
        dist.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("terraform-provider-guardrail: no such binary"),
        "{stderr}"
    );
    assert!(!dist.exists(), "no partial output");
    let mirror = tools::package_release(&[
        "mirror",
        "--dist",
        dist.to_str().unwrap(),
        "--fs-mirror",
        "x",
    ]);
    assert_eq!(mirror.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mirror.stderr)
        .contains("holds no terraform-provider-guardrail_VERSION_OS_ARCH.zip"));
}
