//! `--source-dir`: resource addresses mapped to the `.tf` file and line that
//! declare them, through local modules, for a small fixture configuration.

use std::path::Path;

use tfaudit::findings::{Finding, Severity, SourceLocation};
use tfaudit::source::{annotate, SourceMap};

const FIXTURE: &str = "tests/data/reports/source";

/// The 1-based line of the first line of `file` that starts with `header`.
fn line_of(file: &str, header: &str) -> u32 {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let index = text
        .lines()
        .position(|line| line.starts_with(header))
        .unwrap_or_else(|| panic!("{header} not in {file}"));
    u32::try_from(index + 1).unwrap()
}

fn at(file: &str, header: &str) -> Option<SourceLocation> {
    Some(SourceLocation {
        file: file.to_string(),
        line: line_of(file, header),
    })
}

#[test]
fn addresses_map_to_their_declarations_through_local_modules() {
    let map = SourceMap::load(Path::new(FIXTURE)).unwrap();
    let root = "tests/data/reports/source/main.tf";
    let net = "tests/data/reports/source/modules/net/main.tf";
    let firewall = "tests/data/reports/source/modules/net/firewall.tf";
    let subnets = "tests/data/reports/source/modules/net/subnets/main.tf";
    let shared = "tests/data/reports/shared/main.tf";
    let cases = [
        (
            "hcloud_server.web",
            at(root, "resource \"hcloud_server\" \"web\""),
        ),
        (
            "hcloud_server.web[1]",
            at(root, "resource \"hcloud_server\" \"web\""),
        ),
        (
            "data.hcloud_image.base",
            at(root, "data \"hcloud_image\" \"base\""),
        ),
        ("output.web_ips", at(root, "output \"web_ips\"")),
        ("module.net", at(root, "module \"net\"")),
        (
            "module.net.hcloud_network.main",
            at(net, "resource \"hcloud_network\" \"main\""),
        ),
        (
            "module.net.hcloud_firewall.web[\"a.b\"]",
            at(firewall, "resource \"hcloud_firewall\" \"web\""),
        ),
        (
            "module.net.module.subnets[\"a\"].hcloud_network_subnet.this",
            at(subnets, "resource \"hcloud_network_subnet\" \"this\""),
        ),
        (
            "module.shared.hcloud_ssh_key.admin",
            at(shared, "resource \"hcloud_ssh_key\" \"admin\""),
        ),
        // A registry module is not read: its resources point at the module call.
        (
            "module.cluster.hcloud_load_balancer.cluster",
            at(root, "module \"cluster\""),
        ),
        // An unknown resource inside a local module points at the call too.
        ("module.net.hcloud_server.gone", at(root, "module \"net\"")),
        // Text that only looks like a block, in a heredoc or a comment.
        ("hcloud_server.fake", None),
        (
            "module.net.hcloud_firewall.commented",
            at(root, "module \"net\""),
        ),
        ("hcloud_server.missing", None),
        ("not an address", None),
    ];
    for (address, expected) in cases {
        assert_eq!(map.locate(address), expected, "{address}");
    }
}

#[test]
fn annotate_fills_only_missing_locations() {
    let map = SourceMap::load(Path::new(FIXTURE)).unwrap();
    let preset = SourceLocation {
        file: "elsewhere.tf".into(),
        line: 99,
    };
    let mut findings = vec![
        Finding::new("plan/destroy", Severity::High, "hcloud_server.web[0]", "m"),
        Finding::new("plan/destroy", Severity::High, "hcloud_server.unknown", "m"),
        Finding {
            location: Some(preset.clone()),
            ..Finding::new("plan/destroy", Severity::High, "hcloud_server.web[1]", "m")
        },
    ];
    annotate(&mut findings, &map);
    assert_eq!(
        findings[0].location,
        at(
            "tests/data/reports/source/main.tf",
            "resource \"hcloud_server\" \"web\""
        )
    );
    assert_eq!(findings[1].location, None);
    assert_eq!(findings[2].location, Some(preset));
}

#[test]
fn missing_directory_is_an_error_naming_it() {
    let error = SourceMap::load(Path::new("tests/data/reports/no-such-dir")).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("tests/data/reports/no-such-dir") && text.contains("cannot read"),
        "{text}"
    );
}

#[test]
fn invalid_hcl_names_file_and_line_but_not_the_content() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ok.tf"),
        "resource \"hcloud_server\" \"a\" {}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.tf"),
        "variable \"token\" {\n  default = \"hunter2-secret\"\n  oops = = \n}\n",
    )
    .unwrap();
    let error = SourceMap::load(dir.path()).unwrap_err().to_string();
    let file = dir.path().join("broken.tf");
    assert!(
        error.starts_with(&format!("{}:3:", file.display())),
        "{error}"
    );
    assert!(error.contains("invalid HCL"), "{error}");
    assert!(
        !error.contains("hunter2"),
        "the source text is not echoed: {error}"
    );
}

#[test]
fn local_module_source_that_is_not_a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"net\" {\n  source = \"./modules/missing\"\n}\n",
    )
    .unwrap();
    let error = SourceMap::load(dir.path()).unwrap_err().to_string();
    assert!(error.contains("main.tf"), "{error}");
    assert!(error.contains("module.net.source"), "{error}");
    assert!(error.contains("modules/missing"), "{error}");
}

#[test]
fn a_module_calling_itself_does_not_loop() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"a\" {\n  source = \"./m\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m/main.tf"),
        "module \"again\" {\n  source = \"../m\"\n}\nresource \"hcloud_server\" \"s\" {}\n",
    )
    .unwrap();
    let map = SourceMap::load(dir.path()).unwrap();
    let location = map.locate("module.a.hcloud_server.s").unwrap();
    assert!(location.file.ends_with("m/main.tf"), "{location:?}");
    assert_eq!(location.line, 4);
    assert_eq!(
        map.locate("module.a.module.again.hcloud_server.s"),
        map.locate("module.a.module.again"),
        "the cycle is not followed; its call is still located"
    );
}

#[cfg(unix)]
#[test]
fn a_cycle_through_a_symlink_ends() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("m")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("m/self")).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"a\" {\n  source = \"./m\"\n}\n",
    )
    .unwrap();
    // Two calls per level through a path the lexical check cannot recognise.
    std::fs::write(
        dir.path().join("m/main.tf"),
        "module \"left\" {\n  source = \"./self\"\n}\nmodule \"right\" {\n  source = \"./self\"\n}\nresource \"hcloud_server\" \"s\" {}\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let map = SourceMap::load(dir.path()).unwrap();
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert_eq!(
        map.locate("module.a.module.left.module.right.hcloud_server.s")
            .map(|l| l.line),
        Some(7)
    );
}

#[test]
fn file_names_are_relative_to_the_working_directory() {
    let absolute = std::env::current_dir().unwrap().join(FIXTURE);
    let map = SourceMap::load(&absolute).unwrap();
    assert_eq!(
        map.locate("hcloud_server.web").map(|l| l.file),
        Some("tests/data/reports/source/main.tf".to_string())
    );
    let dotted = SourceMap::load(Path::new("./tests/data/reports/../reports/source")).unwrap();
    assert_eq!(
        dotted
            .locate("module.net.hcloud_network.main")
            .map(|l| l.file),
        Some("tests/data/reports/source/modules/net/main.tf".to_string())
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("main.tf"), "resource \"a\" \"b\" {}\n").unwrap();
    let file = SourceMap::load(outside.path())
        .unwrap()
        .locate("a.b")
        .unwrap()
        .file;
    assert_eq!(
        Path::new(&file),
        outside.path().join("main.tf"),
        "kept absolute"
    );
}
