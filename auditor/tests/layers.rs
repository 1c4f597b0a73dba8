//! The shape of the source tree, checked from the sources themselves:
//!
//! (a) the auditor's top-level modules import only from their own layer or
//!     the layers below it (`LAYERS`, bottom first);
//! (b) the files (and subfolders) of one folder import each other without a
//!     cycle, in every crate;
//! (c) no file outside tests is longer than `MAX_LINES`, in every crate.
//!
//! References are `crate::…`, `super::…` and `self::…` paths (grouped `{…}`
//! imports included) outside comments, strings and test code; the binary's
//! `tfaudit::…` paths count as references into the library. Test code
//! (`tests.rs`, `*_tests.rs`, `tests/` folders and `#[cfg(test)]` items) may
//! reach any layer and is not checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The auditor's top-level modules, bottom layer first. A module may import
/// from its own layer (without a cycle, see (b)) and from the layers below.
const LAYERS: &[&[&str]] = &[
    // Vocabulary: findings, input errors and kinds, the rule-registry shape; the cloud client.
    &["findings", "error", "input_kind", "registry", "hcloud"],
    // Readers and models of the inputs.
    &["plan", "source", "config", "policy", "window_file"],
    // The redactor of a plan's sensitive values.
    &["redact"],
    // Rule families over those inputs.
    &["rules", "state"],
    // What builds on the rule families: drift, attestations, reports.
    &["drift", "attest", "report"],
    // The plan audit pipeline and the catalogue of every rule.
    &["audit", "catalogue"],
    // The advisor, serving the state audit over HTTP.
    &["serve"],
    // The command line.
    &["commands", "cli"],
    // The binary.
    &["main"],
];

/// The crates whose sources are checked, relative to the workspace root.
const CRATES: &[&str] = &[
    "auditor/src",
    "core/src",
    "provider/src",
    "testkit/src",
    "platform/src",
];

/// The crate whose top-level modules `LAYERS` orders.
const LAYERED_CRATE: &str = "auditor/src";

/// The longest a file outside tests may be.
const MAX_LINES: usize = 600;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the auditor sits in the workspace")
        .to_path_buf()
}

/// One source file of a crate.
struct Source {
    /// Relative to the workspace root, with `/` separators.
    path: String,
    /// The module path of the file (`["state", "rules", "tainted"]`); the
    /// crate root is `[]`, a binary beside a library is `["main"]`.
    module: Vec<String>,
    /// Test code only: not checked for imports or length.
    is_test: bool,
    text: String,
}

/// One resolved reference.
struct Reference {
    /// The module the path names, as deep as files go.
    target: Vec<String>,
    line: usize,
    written: String,
}

fn is_test_file(relative: &Path) -> bool {
    let name = relative
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || relative
            .components()
            .any(|component| component.as_os_str() == "tests")
}

fn sources_of(root: &Path, krate: &str) -> Vec<Source> {
    let src = root.join(krate);
    let has_lib = src.join("lib.rs").is_file();
    let mut files = Vec::new();
    collect_rs(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(&src).unwrap().to_path_buf();
            let mut module: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|component| component.as_os_str().to_string_lossy().into_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("mod") | Some("lib") => {
                    module.pop();
                }
                Some("main") if !has_lib && module.len() == 1 => {
                    module.pop();
                }
                _ => {}
            }
            Source {
                path: format!("{krate}/{}", relative.to_string_lossy().replace('\\', "/")),
                module,
                is_test: is_test_file(&relative),
                text: std::fs::read_to_string(&file).unwrap(),
            }
        })
        .collect()
}

fn collect_rs(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The code of `text` with comments, string and character literals blanked
/// (line breaks kept, so that positions keep their line numbers).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    _ => j += 1,
                }
            }
            for c in &chars[i..j.min(chars.len())] {
                out.push(blank(*c));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\''
            && (next == Some('\\') && chars.get(i + 2).is_some() || chars.get(i + 2) == Some(&'\''))
        {
            // A character literal ('x', '\n', '\u{…}'), not a lifetime.
            let mut j = i + 1;
            if chars[j] == '\\' {
                j += 2;
            } else {
                j += 1;
            }
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            for _ in i..=j.min(chars.len() - 1) {
                out.push(' ');
            }
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `code` without `#[cfg(test)]` items: an inline `mod … {` ends the code
/// (test modules close a file), any other item is one line.
fn without_test_code(code: &str) -> String {
    let mut kept = Vec::new();
    let mut lines = code.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            kept.push(String::new());
            let item = lines.next().unwrap_or_default().trim();
            if item.starts_with("mod ") && item.ends_with('{') {
                break;
            }
            kept.push(String::new());
            continue;
        }
        kept.push(line.to_string());
    }
    kept.join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths written at `at` (just after `root::`), grouped imports expanded.
fn paths_at(code: &[char], mut at: usize) -> Vec<Vec<String>> {
    let skip_space = |at: &mut usize| {
        while *at < code.len() && code[*at].is_whitespace() {
            *at += 1;
        }
    };
    let mut prefix = Vec::new();
    loop {
        skip_space(&mut at);
        if code.get(at) == Some(&'{') {
            // A group: split at top-level commas.
            let mut depth = 0;
            let mut items = vec![at + 1];
            let mut end = at;
            for (index, c) in code.iter().enumerate().skip(at) {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = index;
                            break;
                        }
                    }
                    ',' if depth == 1 => items.push(index + 1),
                    _ => {}
                }
            }
            let mut paths = Vec::new();
            for start in items.into_iter().filter(|start| *start < end) {
                for path in paths_at(code, start) {
                    let mut full = prefix.clone();
                    full.extend(path);
                    paths.push(full);
                }
            }
            return paths;
        }
        let start = at;
        while at < code.len() && is_ident(code[at]) {
            at += 1;
        }
        if start == at {
            return vec![prefix];
        }
        let segment: String = code[start..at].iter().collect();
        if segment == "self" {
            return vec![prefix];
        }
        prefix.push(segment);
        skip_space(&mut at);
        if code.get(at) == Some(&':') && code.get(at + 1) == Some(&':') {
            at += 2;
        } else {
            return vec![prefix];
        }
    }
}

/// The module `segments` name in the crate at `src`, as deep as its files go.
fn resolve(src: &Path, segments: &[String]) -> Vec<String> {
    let mut dir = src.to_path_buf();
    let mut module = Vec::new();
    for segment in segments {
        if dir.join(format!("{segment}.rs")).is_file() || dir.join(segment).join("mod.rs").is_file()
        {
            module.push(segment.clone());
            dir = dir.join(segment);
        } else {
            break;
        }
    }
    module
}

fn references(root: &Path, krate: &str, source: &Source) -> Vec<Reference> {
    let src = root.join(krate);
    let code = without_test_code(&code_only(&source.text));
    let chars: Vec<char> = code.chars().collect();
    let mut line_starts = vec![0];
    line_starts.extend(
        chars
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == '\n')
            .map(|(index, _)| index + 1),
    );
    let is_binary = source.module == ["main"];
    let mut found = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let preceded = at > 0 && (is_ident(chars[at - 1]) || chars[at - 1] == ':');
        if !is_ident(chars[at]) || preceded {
            at += 1;
            continue;
        }
        let start = at;
        // Leading `super::super::…` and `self::` resolve from this file's module.
        let mut base: Option<Vec<String>> = None;
        let mut cursor = at;
        loop {
            let word_end = (cursor..chars.len())
                .find(|index| !is_ident(chars[*index]))
                .unwrap_or(chars.len());
            let word: String = chars[cursor..word_end].iter().collect();
            let followed =
                chars.get(word_end) == Some(&':') && chars.get(word_end + 1) == Some(&':');
            if !followed {
                break;
            }
            let next = match (word.as_str(), &base) {
                ("crate", None) | ("tfaudit", None) if word == "crate" || is_binary => {
                    Some(Vec::new())
                }
                ("super", None) => {
                    let mut module = source.module.clone();
                    module.pop();
                    Some(module)
                }
                ("super", Some(module)) => {
                    let mut module = module.clone();
                    module.pop();
                    Some(module)
                }
                ("self", None) => Some(source.module.clone()),
                _ => None,
            };
            match next {
                Some(module) => {
                    base = Some(module);
                    cursor = word_end + 2;
                }
                None => break,
            }
        }
        let Some(base) = base else {
            at = (at..chars.len())
                .find(|index| !is_ident(chars[*index]))
                .unwrap_or(chars.len());
            continue;
        };
        let line = line_starts.partition_point(|line_start| *line_start <= start);
        for path in paths_at(&chars, cursor) {
            let mut segments = base.clone();
            segments.extend(path);
            let target = resolve(&src, &segments);
            found.push(Reference {
                target,
                line,
                written: segments.join("::"),
            });
        }
        at = cursor;
    }
    found
}

/// A cycle in `edges`, if any, as the nodes along it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(node, edges, &mut state, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

#[test]
fn auditor_modules_import_only_downwards() {
    let root = workspace_root();
    let sources = sources_of(&root, LAYERED_CRATE);
    let top_level: BTreeSet<String> = sources
        .iter()
        .filter_map(|source| source.module.first().cloned())
        .collect();
    let declared: BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|layer| layer.iter().map(|m| m.to_string()))
        .collect();
    assert_eq!(
        top_level, declared,
        "every top-level module of {LAYERED_CRATE} has exactly one layer in LAYERS"
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    for source in sources.iter().filter(|source| !source.is_test) {
        let Some(from) = source.module.first() else {
            continue;
        };
        for reference in references(&root, LAYERED_CRATE, source) {
            let Some(to) = reference.target.first() else {
                continue;
            };
            if to == from {
                continue;
            }
            checked += 1;
            let (from_layer, to_layer) = (layer_of(from).unwrap(), layer_of(to).unwrap());
            if to_layer > from_layer {
                problems.push(format!(
                    "{}:{}: `{from}` (layer {from_layer}) imports `{}` from `{to}` (layer {to_layer})",
                    source.path, reference.line, reference.written
                ));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} cross-module references found: the scan is broken"
    );
    assert!(
        problems.is_empty(),
        "upward imports:\n{}",
        problems.join("\n")
    );
}

#[test]
fn files_of_one_folder_import_each_other_without_cycles() {
    let root = workspace_root();
    let mut problems = Vec::new();
    let mut folders_checked = 0;
    for krate in CRATES {
        let sources = sources_of(&root, krate);
        // Folder (a module path) -> child -> children it imports, with an example.
        let mut folders: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> =
            BTreeMap::new();
        let mut examples: BTreeMap<(Vec<String>, String, String), String> = BTreeMap::new();
        for source in sources.iter().filter(|source| !source.is_test) {
            for reference in references(&root, krate, source) {
                let (from, to) = (&source.module, &reference.target);
                let shared = from.iter().zip(to).take_while(|(a, b)| a == b).count();
                // Both below the folder they share, in different children of it.
                if shared >= from.len() || shared >= to.len() {
                    continue;
                }
                let folder = from[..shared].to_vec();
                let (a, b) = (from[shared].clone(), to[shared].clone());
                folders
                    .entry(folder.clone())
                    .or_default()
                    .entry(a.clone())
                    .or_default()
                    .insert(b.clone());
                examples.entry((folder, a, b)).or_insert_with(|| {
                    format!("{}:{}: {}", source.path, reference.line, reference.written)
                });
            }
        }
        for (folder, edges) in &folders {
            folders_checked += 1;
            if let Some(cycle) = find_cycle(edges) {
                let steps: Vec<String> = cycle
                    .windows(2)
                    .map(|pair| {
                        let key = (folder.clone(), pair[0].clone(), pair[1].clone());
                        format!("  {} -> {}  ({})", pair[0], pair[1], examples[&key])
                    })
                    .collect();
                let folder = if folder.is_empty() {
                    krate.to_string()
                } else {
                    format!("{krate}/{}", folder.join("/"))
                };
                problems.push(format!("import cycle in {folder}:\n{}", steps.join("\n")));
            }
        }
    }
    assert!(
        folders_checked > 10,
        "only {folders_checked} folders with imports: the scan is broken"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_file_outside_tests_is_too_long() {
    let root = workspace_root();
    let mut too_long = Vec::new();
    let mut files = 0;
    for krate in CRATES {
        for source in sources_of(&root, krate) {
            if source.is_test {
                continue;
            }
            files += 1;
            let lines = source.text.lines().count();
            if lines > MAX_LINES {
                too_long.push(format!("{}: {lines} lines", source.path));
            }
        }
    }
    assert!(files > 100, "only {files} files found");
    assert!(
        too_long.is_empty(),
        "files over {MAX_LINES} lines (split them; tests may sit in a sibling tests file):\n{}",
        too_long.join("\n")
    );
}

#[test]
fn the_scanner_reads_paths_as_written() {
    let code: Vec<char> = code_only(
        "use crate::{a::b, c, d::{e, f}}; // crate::g\nlet s = \"crate::h\"; super::super::i::j(); let c = '\"'; r#\"crate::k\"#;",
    )
    .chars()
    .collect();
    let at = 11; // after `use crate::`
    let paths = paths_at(&code, at);
    let written: Vec<String> = paths.iter().map(|path| path.join("::")).collect();
    assert_eq!(written, ["a::b", "c", "d::e", "d::f"]);
    let text: String = code.iter().collect();
    assert!(!text.contains("crate::g") && !text.contains("crate::h") && !text.contains("crate::k"));
    assert!(text.contains("super::super::i::j"));
}

/// The file that opens a folder of a crate: `dir/mod.rs`, else the sibling
/// `dir.rs`.
fn folder_module(dir: &Path) -> Option<PathBuf> {
    let inside = dir.join("mod.rs");
    if inside.is_file() {
        return Some(inside);
    }
    let beside = dir.with_extension("rs");
    beside.is_file().then_some(beside)
}

/// The names in backticks on the `//! May import:` lines of a module doc.
fn may_import(doc: &str) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    let mut found = false;
    for line in doc.lines().take_while(|line| line.starts_with("//!")) {
        if let Some(rest) = line.split_once("May import:").map(|(_, rest)| rest) {
            found = true;
            for (index, part) in rest.split('`').enumerate() {
                if index % 2 == 1 {
                    names.insert(part.to_string());
                }
            }
        }
    }
    found.then_some(names)
}

#[test]
fn every_folder_says_what_it_may_import_and_the_auditor_keeps_to_it() {
    assert_eq!(
        may_import("//! Holds x.\n//!\n//! May import: `a`, `b`; never `c`.\nuse x;"),
        Some(["a", "b", "c"].iter().map(|s| s.to_string()).collect())
    );
    assert_eq!(may_import("//! Holds x.\nuse y; // May import: `z`"), None);

    let root = workspace_root();
    let mut problems = Vec::new();
    let mut folders = 0;
    for krate in CRATES {
        let mut dirs = vec![root.join(krate)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                let has_rust = path.is_dir()
                    && std::fs::read_dir(&path)
                        .unwrap()
                        .flatten()
                        .any(|file| file.path().extension().is_some_and(|ext| ext == "rs"));
                if !has_rust || is_test_file(path.strip_prefix(&root).unwrap()) {
                    continue;
                }
                dirs.push(path.clone());
                folders += 1;
                let shown = path.strip_prefix(&root).unwrap().display().to_string();
                let Some(module) = folder_module(&path) else {
                    problems.push(format!("{shown}: no mod.rs or {shown}.rs opens the folder"));
                    continue;
                };
                let text = std::fs::read_to_string(&module).unwrap();
                if !text.starts_with("//!") {
                    problems.push(format!(
                        "{}: expected a `//!` comment saying what the folder holds",
                        module.display()
                    ));
                } else if may_import(&text).is_none() {
                    problems.push(format!(
                        "{}: expected a `//! May import:` line",
                        module.display()
                    ));
                }
            }
        }
    }
    assert!(
        folders >= 15,
        "only {folders} folders found: the walk is broken"
    );

    // In the auditor the statement is checked: every other top-level module a
    // folder's files reference is named on its line.
    let sources = sources_of(&root, LAYERED_CRATE);
    for source in sources.iter().filter(|source| !source.is_test) {
        let Some(top) = source.module.first() else {
            continue;
        };
        let dir = root.join(LAYERED_CRATE).join(top);
        let Some(module) = folder_module(&dir) else {
            continue; // a single-file module: its layer says enough
        };
        if !dir.is_dir() {
            continue;
        }
        let doc = std::fs::read_to_string(&module).unwrap();
        if doc.contains("May import: every library module") {
            continue; // the command layer; `LAYERS` keeps what is above it out
        }
        let allowed = may_import(&doc).unwrap_or_default();
        for reference in references(&root, LAYERED_CRATE, source) {
            let Some(to) = reference.target.first() else {
                continue;
            };
            if to != top && !allowed.contains(to) {
                problems.push(format!(
                    "{}:{}: `{}` is not on the `May import:` line of {}",
                    source.path,
                    reference.line,
                    reference.written,
                    module.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
