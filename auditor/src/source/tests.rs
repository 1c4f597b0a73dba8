use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::declarations::LineIndex;
use super::paths::normalize;
use super::SourceMap;

#[test]
fn lexical_normalisation_keeps_relative_paths_relative() {
    let cases = [
        ("infra/prod/./modules/net", "infra/prod/modules/net"),
        ("infra/prod/../modules/net", "infra/modules/net"),
        ("../shared", "../shared"),
        ("./", "."),
        ("/abs/a/../b", "/abs/b"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            normalize(Path::new(input)),
            PathBuf::from(expected),
            "{input}"
        );
    }
}

#[test]
fn line_index_counts_from_one() {
    let index = LineIndex::new("a\nbb\n\nc");
    assert_eq!(index.line_of(0), 1);
    assert_eq!(index.line_of(2), 2);
    assert_eq!(index.line_of(5), 3);
    assert_eq!(index.line_of(6), 4);
    assert_eq!(index.line_of(600), 4);
}

proptest! {
    #[test]
    fn hcl_like_files_never_panic(
        tokens in proptest::collection::vec(
            proptest::sample::select(vec![
                "resource", "module", "data", "\"hcloud_server\"", "\"web\"", "{", "}",
                "source", "=", "\"./m\"", "\"../\"", "\n", "# c\n", "/*", "*/", "<<EOT\n",
                "EOT\n", "${", "[", "]", "\"", "1", ",", "x",
            ]),
            0..40,
        )
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), tokens.join(" ")).unwrap();
        let _ = SourceMap::load(dir.path());
    }

    #[test]
    fn hcl_files_of_any_content_never_panic(text in "\\PC{0,200}") {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), &text).unwrap();
        let _ = SourceMap::load(dir.path());
    }
}

#[test]
fn names_are_made_relative_to_the_repository_root() {
    use super::relative_to_root;
    let root = tempfile::tempdir().unwrap();
    let inside = root.path().join("infra/main.tf");
    assert_eq!(
        relative_to_root(&inside, root.path()).as_deref(),
        Some("infra/main.tf")
    );
    assert_eq!(
        relative_to_root(&root.path().join("a/../b/./c.tf"), root.path()).as_deref(),
        Some("b/c.tf")
    );
    let elsewhere = tempfile::tempdir().unwrap();
    assert_eq!(
        relative_to_root(&elsewhere.path().join("plan.json"), root.path()),
        None
    );
}
