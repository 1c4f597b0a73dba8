//! Every example under `provider/examples/` is a valid configuration
//! (`terraform validate` against the provider under test).

use std::path::{Path, PathBuf};

use guardrail_testkit::TerraformDir;

fn example_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut has_tf = false;
        for entry in std::fs::read_dir(&dir)
            .expect("read an example folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            found.push(dir);
        }
    }
    found.sort();
    found
}

#[test]
fn every_example_is_a_valid_configuration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let dirs = example_dirs(&root);
    assert!(
        dirs.len() >= 6,
        "expected the provider, resource and data source examples, found {dirs:?}"
    );
    let mut failures = Vec::new();
    for example in &dirs {
        let work = TerraformDir::new();
        for entry in std::fs::read_dir(example).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "tf") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                work.write(&name, &std::fs::read_to_string(&path).unwrap());
            }
        }
        let output = work.run(&["validate"]);
        if !output.success() {
            failures.push(format!("{}:\n{}", example.display(), output.combined()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
