//! Reading one module directory's `.tf` files with `hcl-rs`: where each
//! addressable block and module call starts, and which module sources are
//! local directories.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl::edit::parser::parse_body;
use hcl::edit::structure::{Block, BlockLabel};
use hcl::edit::Span;

use super::paths::{normalize, path_to_slash};
use super::SourceError;
use crate::error::InputError;
use crate::findings::SourceLocation;

/// Block types that declare something an address can name.
const ADDRESSABLE_BLOCKS: [&str; 4] = ["resource", "data", "ephemeral", "output"];

/// The declarations of one module directory.
#[derive(Debug, Clone, Default)]
pub(super) struct ModuleDeclarations {
    /// `TYPE.NAME`, `data.TYPE.NAME`, `ephemeral.TYPE.NAME` or `output.NAME`.
    pub(super) blocks: HashMap<String, SourceLocation>,
    /// Module calls by name.
    pub(super) calls: HashMap<String, SourceLocation>,
    /// `removed` blocks (Terraform 1.7+) by their `from` address as written,
    /// relative to this module: `TYPE.NAME`, `module.NAME`, `module.A.TYPE.NAME`.
    pub(super) removed: HashMap<String, SourceLocation>,
}

/// A parsed module directory: its declarations and its local module calls.
pub(super) struct ParsedModule {
    pub(super) declarations: ModuleDeclarations,
    /// `(call name, directory)` for every module call with a local source.
    pub(super) local_calls: Vec<(String, PathBuf)>,
}

/// Parses every `.tf` file directly inside `dir` (Terraform does not read
/// subdirectories of a module).
pub(super) fn parse_module_dir(dir: &Path) -> Result<ParsedModule, SourceError> {
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

fn parse_file(dir: &Path, file: &Path, parsed: &mut ParsedModule) -> Result<(), SourceError> {
    let text = std::fs::read_to_string(file).map_err(|source| InputError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    // The parser's own error text quotes the offending line, which may hold a
    // sensitive default: only its position and expectation are reported.
    let body = parse_body(&text).map_err(|error| SourceError::Syntax {
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
                        return Err(SourceError::from(InputError::Field {
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
            ("removed", []) => {
                let from = block.body.get_attribute("from").and_then(|attribute| {
                    let span = attribute.value.span()?;
                    let written = text.get(span)?;
                    Some(written.split_whitespace().collect::<String>())
                });
                if let Some(from) = from.filter(|from| !from.is_empty()) {
                    insert_first(&mut parsed.declarations.removed, from, location_of(block));
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
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(super) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, byte)| *byte == b'\n')
                .map(|(offset, _)| offset + 1),
        );
        LineIndex { starts }
    }

    pub(super) fn line_of(&self, offset: usize) -> u32 {
        let line = self.starts.partition_point(|start| *start <= offset);
        u32::try_from(line.max(1)).unwrap_or(u32::MAX)
    }
}
