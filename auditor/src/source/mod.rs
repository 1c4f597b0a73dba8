//! Maps resource addresses to the `.tf` file and line that declares them
//! (`--source-dir`).
//!
//! [`SourceMap::load`] parses every `.tf` file of a configuration directory with
//! `hcl-rs`, records where each `resource`, `data`, `ephemeral`, `module`,
//! `output` and `removed` block starts (a `removed` block by its `from`, so an
//! object a plan forgets or destroys after its block was removed is located), and follows local module sources
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
//!
//! [`rebase`] then makes the names relative to the repository root (the
//! command finds it), so they are right wherever the audit runs.
//!
//! Addresses are split by [`crate::plan::address`], the one reader of
//! Terraform addresses; [`declarations`] reads the module directories, [`paths`] names
//! their files.
//!
//! May import: `findings`, `error`, `plan` (addresses); nothing above.

mod declarations;
mod paths;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use crate::error::InputError;
use crate::findings::{Finding, SourceLocation};
use crate::plan::address::Address;

use declarations::{parse_module_dir, ModuleDeclarations, ParsedModule};
pub use paths::relative_to_root;
use paths::{normalize, relative_to_cwd};

/// Why a configuration directory cannot be mapped.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file or directory that cannot be read, or a module call whose local
    /// source is not a directory.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A `.tf` file that is not HCL: where, and what the parser expected.
    #[error("{context}: {message}")]
    Syntax { context: String, message: String },
}

/// How deep module calls are followed; deeper local modules are not mapped.
const MAX_MODULE_DEPTH: usize = 32;
/// How many module calls are followed in all (a symlinked cycle that the lexical
/// check cannot see would otherwise multiply without end).
const MAX_MODULE_CALLS: usize = 10_000;

/// Where each `resource`, `data`, `ephemeral`, `module` and `output` block of a
/// configuration is declared, per module call path.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// Keyed by the module call path without instance keys: `[]` for the root
    /// module, `["net", "subnets"]` for `module.net.module.subnets`.
    modules: HashMap<Vec<String>, ModuleDeclarations>,
}

impl SourceMap {
    /// Reads the `.tf` files of `dir` and, recursively, of its local module sources.
    ///
    /// Errors name the file (and line) that cannot be read or parsed, or the module
    /// call whose local source is not a directory.
    pub fn load(dir: &Path) -> Result<SourceMap, SourceError> {
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
        let parsed = Address::parse(address)?;
        let modules: Vec<String> = parsed.call_path().into_iter().map(str::to_string).collect();
        let mut best: Option<&SourceLocation> = None;
        for depth in 0..modules.len() {
            let Some(caller) = self.modules.get(&modules[..depth]) else {
                break;
            };
            match caller.calls.get(&modules[depth]) {
                Some(location) => best = Some(location),
                None => break,
            }
        }
        let key = parsed.block_key();
        if let Some(key) = &key {
            if let Some(location) = self
                .modules
                .get(&modules)
                .and_then(|module| module.blocks.get(key))
            {
                return Some(location.clone());
            }
        }
        self.removed_block(&modules, key.as_deref())
            .or(best)
            .cloned()
    }

    /// The `removed` block whose `from` names the object (or a module it was
    /// in), looked up from the innermost known module outwards.
    fn removed_block(&self, modules: &[String], key: Option<&str>) -> Option<&SourceLocation> {
        for depth in (0..=modules.len()).rev() {
            let Some(module) = self.modules.get(&modules[..depth]) else {
                continue;
            };
            if module.removed.is_empty() {
                continue;
            }
            let calls: Vec<String> = modules[depth..]
                .iter()
                .map(|name| format!("module.{name}"))
                .collect();
            let mut candidates = Vec::new();
            if let Some(key) = key {
                candidates.push(
                    calls
                        .iter()
                        .cloned()
                        .chain([key.to_string()])
                        .collect::<Vec<_>>()
                        .join("."),
                );
            }
            for end in (1..=calls.len()).rev() {
                candidates.push(calls[..end].join("."));
            }
            if let Some(location) = candidates
                .iter()
                .find_map(|candidate| module.removed.get(candidate))
            {
                return Some(location);
            }
        }
        None
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

/// The file that stands for a configuration directory: its `main.tf`, else its
/// first `.tf` file by name.
pub fn configuration_file(dir: &Path) -> Option<PathBuf> {
    let main = dir.join("main.tf");
    if main.is_file() {
        return Some(main);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "tf") && path.is_file())
        .collect();
    files.sort();
    files.into_iter().next()
}

/// Makes every finding's file relative to the repository `root` (what code
/// scanning and workflow annotations read); a file outside it keeps its name.
pub fn rebase(findings: &mut [Finding], root: &Path) {
    for location in findings.iter_mut().filter_map(|f| f.location.as_mut()) {
        if let Some(relative) = relative_to_root(Path::new(&location.file), root) {
            location.file = relative;
        }
    }
}

#[cfg(test)]
mod tests;
