//! Maps resource addresses to the `.tf` file and line that declares them
//! (`--source-dir`).
//!
//! [`SourceMap::load`] parses every `.tf` file of a configuration directory with
//! `hcl-rs`, records where each `resource`, `data`, `ephemeral`, `module` and
//! `output` block starts, and follows local module sources
//! (`source = "./modules/net"`) recursively. [`SourceMap::locate`] then maps an
//! address such as `module.net.hcloud_firewall.web["a"]` to the resource block in
//! the module's file. An address inside a module whose source is not local (a
//! registry or Git module) is located at its `module` block instead, so reporters
//! still have a line to point at.
//!
//! File names are the source directory as given joined with the file's path,
//! normalised lexically and written with `/` (e.g. `infra/modules/net/main.tf`);
//! an absolute source directory inside the working directory is made relative to
//! it. That is what code scanning expects when the audit runs at the repository
//! root. Only `.tf` files are read (not `.tf.json`).

use std::collections::{HashMap, VecDeque};
use std::path::{Component, Path, PathBuf};

use hcl::edit::parser::parse_body;
use hcl::edit::structure::{Block, BlockLabel};
use hcl::edit::Span;

use super::ReportError;
use crate::error::InputError;
use crate::findings::{Finding, SourceLocation};

/// How deep module calls are followed; deeper local modules are not mapped.
const MAX_MODULE_DEPTH: usize = 32;
/// How many module calls are followed in all (a symlinked cycle that the lexical
/// check cannot see would otherwise multiply without end).
const MAX_MODULE_CALLS: usize = 10_000;

/// Block types that declare something an address can name.
const ADDRESSABLE_BLOCKS: [&str; 4] = ["resource", "data", "ephemeral", "output"];

/// Where each `resource`, `data`, `ephemeral`, `module` and `output` block of a
/// configuration is declared, per module call path.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// Keyed by the module call path without instance keys: `[]` for the root
    /// module, `["net", "subnets"]` for `module.net.module.subnets`.
    modules: HashMap<Vec<String>, ModuleDeclarations>,
}

/// The declarations of one module directory.
#[derive(Debug, Clone, Default)]
struct ModuleDeclarations {
    /// `TYPE.NAME`, `data.TYPE.NAME`, `ephemeral.TYPE.NAME` or `output.NAME`.
    blocks: HashMap<String, SourceLocation>,
    /// Module calls by name.
    calls: HashMap<String, SourceLocation>,
}

/// A parsed module directory: its declarations and its local module calls.
struct ParsedModule {
    declarations: ModuleDeclarations,
    /// `(call name, directory)` for every module call with a local source.
    local_calls: Vec<(String, PathBuf)>,
}

impl SourceMap {
    /// Reads the `.tf` files of `dir` and, recursively, of its local module sources.
    ///
    /// Errors name the file (and line) that cannot be read or parsed, or the module
    /// call whose local source is not a directory.
    pub fn load(dir: &Path) -> Result<SourceMap, ReportError> {
        let mut map = SourceMap::default();
        let mut cache: HashMap<PathBuf, std::rc::Rc<ParsedModule>> = HashMap::new();
        // Breadth first, so that when a limit stops the walk the shallow modules
        // (where most findings are) are mapped.
        let mut queue: VecDeque<(Vec<String>, PathBuf, Vec<PathBuf>)> =
            VecDeque::from([(Vec::new(), relative_to_cwd(&normalize(dir)), Vec::new())]);
        let mut followed = 0usize;
        while let Some((call_path, module_dir, ancestors)) = queue.pop_front() {
            followed += 1;
            if followed > MAX_MODULE_CALLS {
                tracing::warn!(
                    "more than {MAX_MODULE_CALLS} module calls; the rest are not mapped"
                );
                break;
            }
            let parsed = match cache.get(&module_dir) {
                Some(parsed) => parsed.clone(),
                None => {
                    let parsed = std::rc::Rc::new(parse_module_dir(&module_dir)?);
                    cache.insert(module_dir.clone(), parsed.clone());
                    parsed
                }
            };
            map.modules
                .insert(call_path.clone(), parsed.declarations.clone());
            if call_path.len() >= MAX_MODULE_DEPTH {
                tracing::warn!(
                    module = %call_path.join("."),
                    "module calls nested deeper than {MAX_MODULE_DEPTH} levels are not mapped"
                );
                continue;
            }
            for (name, child_dir) in &parsed.local_calls {
                if child_dir == &module_dir || ancestors.contains(child_dir) {
                    tracing::warn!(
                        module = %name,
                        dir = %child_dir.display(),
                        "module source calls itself; not followed"
                    );
                    continue;
                }
                let mut child_path = call_path.clone();
                child_path.push(name.clone());
                let mut child_ancestors = ancestors.clone();
                child_ancestors.push(module_dir.clone());
                queue.push_back((child_path, child_dir.clone(), child_ancestors));
            }
        }
        Ok(map)
    }

    /// The declaration of `address`, e.g. `module.net.hcloud_firewall.web["a"]`,
    /// `data.hcloud_image.base`, `module.net` or `output.ip`.
    ///
    /// When the resource itself is unknown but a module call on its path is known
    /// (a registry module, say), the innermost known module call is returned.
    pub fn locate(&self, address: &str) -> Option<SourceLocation> {
        let parsed = ParsedAddress::parse(address)?;
        let mut best: Option<&SourceLocation> = None;
        for depth in 0..parsed.modules.len() {
            let Some(caller) = self.modules.get(&parsed.modules[..depth]) else {
                break;
            };
            match caller.calls.get(&parsed.modules[depth]) {
                Some(location) => best = Some(location),
                None => break,
            }
        }
        if let Some(key) = &parsed.block_key {
            if let Some(location) = self
                .modules
                .get(&parsed.modules)
                .and_then(|module| module.blocks.get(key))
            {
                return Some(location.clone());
            }
        }
        best.cloned()
    }

    /// How many declarations the map knows (blocks and module calls).
    pub fn len(&self) -> usize {
        self.modules
            .values()
            .map(|module| module.blocks.len() + module.calls.len())
            .sum()
    }

    /// Whether the map knows no declaration at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Fills in `location` of every finding the map can locate (and leaves the others).
pub fn annotate(findings: &mut [Finding], map: &SourceMap) {
    for finding in findings.iter_mut() {
        if finding.location.is_none() {
            finding.location = map.locate(&finding.address);
        }
    }
}

/// Parses every `.tf` file directly inside `dir` (Terraform does not read
/// subdirectories of a module).
fn parse_module_dir(dir: &Path) -> Result<ParsedModule, ReportError> {
    let entries = std::fs::read_dir(dir).map_err(|source| InputError::Read {
        file: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| InputError::Read {
            file: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let is_tf = path.extension().is_some_and(|ext| ext == "tf");
        if is_tf && path.is_file() {
            files.push(path);
        }
    }
    files.sort();

    let mut parsed = ParsedModule {
        declarations: ModuleDeclarations::default(),
        local_calls: Vec::new(),
    };
    for file in files {
        parse_file(dir, &file, &mut parsed)?;
    }
    Ok(parsed)
}

fn parse_file(dir: &Path, file: &Path, parsed: &mut ParsedModule) -> Result<(), ReportError> {
    let text = std::fs::read_to_string(file).map_err(|source| InputError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    // The parser's own error text quotes the offending line, which may hold a
    // sensitive default: only its position and expectation are reported.
    let body = parse_body(&text).map_err(|error| ReportError::Other {
        context: format!(
            "{}:{}:{}",
            file.display(),
            error.location().line(),
            error.location().column()
        ),
        message: format!("invalid HCL: {}", error.message()),
    })?;
    let lines = LineIndex::new(&text);
    let file_name = path_to_slash(&normalize(file));
    let location_of = |block: &Block| SourceLocation {
        file: file_name.clone(),
        line: block.span().map_or(1, |span| lines.line_of(span.start)),
    };

    for block in body.blocks() {
        let kind = block.ident.as_str();
        let labels: Vec<&str> = block.labels.iter().map(BlockLabel::as_str).collect();
        match (kind, labels.as_slice()) {
            ("resource", [resource_type, name]) => {
                insert_first(
                    &mut parsed.declarations.blocks,
                    format!("{resource_type}.{name}"),
                    location_of(block),
                );
            }
            ("data" | "ephemeral", [resource_type, name]) => {
                insert_first(
                    &mut parsed.declarations.blocks,
                    format!("{kind}.{resource_type}.{name}"),
                    location_of(block),
                );
            }
            ("output", [name]) => {
                insert_first(
                    &mut parsed.declarations.blocks,
                    format!("output.{name}"),
                    location_of(block),
                );
            }
            ("module", [name]) => {
                insert_first(
                    &mut parsed.declarations.calls,
                    (*name).to_string(),
                    location_of(block),
                );
                if let Some(source) = local_source(block) {
                    let child = normalize(&dir.join(source));
                    if !child.is_dir() {
                        return Err(ReportError::from(InputError::Field {
                            file: file.to_path_buf(),
                            field: format!("module.{name}.source"),
                            expected: format!(
                                "a local module directory; `{}` is not a directory",
                                path_to_slash(&child)
                            ),
                        }));
                    }
                    parsed.local_calls.push(((*name).to_string(), child));
                }
            }
            _ if ADDRESSABLE_BLOCKS.contains(&kind) => {
                tracing::debug!(
                    file = %file.display(),
                    block = kind,
                    "block with unexpected labels ignored"
                );
            }
            _ => {}
        }
    }
    Ok(())
}

/// Terraform rejects duplicate declarations; the first one wins here.
fn insert_first(map: &mut HashMap<String, SourceLocation>, key: String, location: SourceLocation) {
    map.entry(key).or_insert(location);
}

/// The `source` of a module block when it is a local path (`./` or `../`).
fn local_source(block: &Block) -> Option<String> {
    let attribute = block.body.get_attribute("source")?;
    let source = attribute.value.as_str()?;
    let is_local = source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with(".\\")
        || source.starts_with("..\\");
    is_local.then(|| source.to_string())
}

/// Byte offsets of line starts, to turn a span into a 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, byte)| *byte == b'\n')
                .map(|(offset, _)| offset + 1),
        );
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> u32 {
        let line = self.starts.partition_point(|start| *start <= offset);
        u32::try_from(line.max(1)).unwrap_or(u32::MAX)
    }
}

/// Removes `.` and resolves `..` lexically (without touching the file system, so
/// the names stay relative when the source directory is relative).
fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}

/// An absolute path inside the working directory made relative to it, so that
/// file names stay relative to the repository root when the audit runs there.
fn relative_to_cwd(path: &Path) -> PathBuf {
    if path.is_absolute() {
        if let Ok(cwd) = std::env::current_dir() {
            if let Ok(relative) = path.strip_prefix(&cwd) {
                return normalize(relative);
            }
        }
    }
    path.to_path_buf()
}

fn path_to_slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// An address split into its module call path and the block it names.
#[derive(Debug, PartialEq, Eq)]
struct ParsedAddress {
    /// Module call names, without instance keys.
    modules: Vec<String>,
    /// `TYPE.NAME`, `data.TYPE.NAME`, `ephemeral.TYPE.NAME` or `output.NAME`;
    /// `None` for a module address such as `module.net["a"]`.
    block_key: Option<String>,
}

impl ParsedAddress {
    /// Parses a Terraform address; `None` when it is not one.
    fn parse(address: &str) -> Option<ParsedAddress> {
        let names = split_address(address)?;
        let mut rest: &[String] = &names;
        let mut modules = Vec::new();
        while let [keyword, name, tail @ ..] = rest {
            if keyword != "module" {
                break;
            }
            modules.push(name.clone());
            rest = tail;
        }
        let block_key = match rest {
            [] if !modules.is_empty() => None,
            [kind, resource_type, name, ..] if kind == "data" || kind == "ephemeral" => {
                Some(format!("{kind}.{resource_type}.{name}"))
            }
            [kind, name] if kind == "output" => Some(format!("output.{name}")),
            [resource_type, name, ..] => Some(format!("{resource_type}.{name}")),
            _ => return None,
        };
        Some(ParsedAddress { modules, block_key })
    }
}

/// Splits `a.b["k.1"].c[0]` into `["a", "b", "c"]`, dropping instance keys.
/// `None` when brackets or quotes do not balance or a name is empty.
fn split_address(address: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut current = String::new();
    let mut chars = address.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                // `a..b`, `.a` (a dot after a key is consumed with the key).
                if current.is_empty() {
                    return None;
                }
                names.push(std::mem::take(&mut current));
            }
            '[' => {
                if current.is_empty() {
                    return None;
                }
                names.push(std::mem::take(&mut current));
                skip_instance_key(&mut chars)?;
                // A key must be followed by `.` or the end.
                let mut lookahead = chars.clone();
                match lookahead.next() {
                    None => break,
                    Some('.') => {
                        chars = lookahead;
                        // `x[0].` with nothing after the dot.
                        chars.clone().next()?;
                    }
                    Some(_) => return None,
                }
            }
            ']' | '"' => return None,
            c if c.is_whitespace() => return None,
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        names.push(current);
    } else if address.ends_with('.') || names.is_empty() {
        return None;
    }
    Some(names)
}

/// Consumes an instance key up to and including its `]`: a number or a quoted
/// string with `\` escapes.
fn skip_instance_key(chars: &mut std::str::Chars<'_>) -> Option<()> {
    match chars.next()? {
        '"' => {
            loop {
                match chars.next()? {
                    '\\' => {
                        chars.next()?;
                    }
                    '"' => break,
                    _ => {}
                }
            }
            (chars.next()? == ']').then_some(())
        }
        first if first.is_ascii_digit() => loop {
            match chars.next()? {
                ']' => return Some(()),
                c if c.is_ascii_digit() => {}
                _ => return None,
            }
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(modules: &[&str], key: Option<&str>) -> Option<ParsedAddress> {
        Some(ParsedAddress {
            modules: modules.iter().map(|m| m.to_string()).collect(),
            block_key: key.map(str::to_string),
        })
    }

    #[test]
    fn addresses_split_into_module_path_and_block() {
        let cases: &[(&str, Option<ParsedAddress>)] = &[
            ("hcloud_server.web", parsed(&[], Some("hcloud_server.web"))),
            (
                "hcloud_server.web[3]",
                parsed(&[], Some("hcloud_server.web")),
            ),
            (
                "data.hcloud_image.base",
                parsed(&[], Some("data.hcloud_image.base")),
            ),
            (
                "module.net.hcloud_firewall.web[\"a\"]",
                parsed(&["net"], Some("hcloud_firewall.web")),
            ),
            (
                "module.net[\"eu.1\"].module.sub[0].hcloud_network.main",
                parsed(&["net", "sub"], Some("hcloud_network.main")),
            ),
            (
                "module.net[\"we\\\"ird]\"].hcloud_network.main",
                parsed(&["net"], Some("hcloud_network.main")),
            ),
            ("module.net", parsed(&["net"], None)),
            ("module.net[\"a\"]", parsed(&["net"], None)),
            ("output.ip", parsed(&[], Some("output.ip"))),
            ("", None),
            ("hcloud_server", None),
            ("hcloud_server.web[", None),
            ("hcloud_server.web[\"a]", None),
            ("hcloud_server.web[x]", None),
            ("hcloud_server.web[1]x", None),
            ("hcloud_server..web", None),
            ("hcloud_server.web.", None),
            ("module.", None),
            (".web", None),
            ("web server.x", None),
        ];
        for (address, expected) in cases {
            assert_eq!(
                &ParsedAddress::parse(address),
                expected,
                "address {address:?}"
            );
        }
    }

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
        fn address_parsing_never_panics(address in "\\PC{0,40}") {
            let _ = ParsedAddress::parse(&address);
        }

        #[test]
        fn address_like_input_never_panics(address in "(module|data|[a-z_]{1,6}|\\.|\\[|\\]|\"|\\\\|[0-9]){0,24}") {
            let _ = ParsedAddress::parse(&address);
        }

        #[test]
        fn generated_addresses_parse_back(
            modules in proptest::collection::vec("[a-z][a-z0-9_]{0,8}", 0..4),
            key in proptest::option::of("[a-z0-9.\"\\\\ -]{0,6}"),
            resource_type in "hcloud_[a-z0-9_]{0,10}",
            name in "[a-z][a-z0-9_-]{0,10}",
        ) {
            let mut address = String::new();
            for module in &modules {
                address.push_str(&format!("module.{module}"));
                if let Some(key) = &key {
                    let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
                    address.push_str(&format!("[\"{escaped}\"]"));
                }
                address.push('.');
            }
            address.push_str(&format!("{resource_type}.{name}[0]"));
            let expected = ParsedAddress {
                modules,
                block_key: Some(format!("{resource_type}.{name}")),
            };
            prop_assert_eq!(ParsedAddress::parse(&address), Some(expected));
        }

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
}
