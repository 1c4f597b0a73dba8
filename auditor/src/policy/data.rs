//! `--data PATH`: JSON and YAML documents merged under `data.`, as conftest
//! loads them.
//!
//! A file given on its own is merged at the root of `data`; a folder is
//! searched recursively for `.json`, `.yaml` and `.yml` files, and each is
//! merged at the path of its folder relative to the one given
//! (`--data policy` with `policy/exceptions/list.yaml` gives
//! `data.exceptions`). Objects merge key by key; two files that set the same
//! key (anything but two objects meeting) are refused, naming both files and
//! the key, as is a file that does not parse (file, line and column).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::PolicyError;

/// The `--data` documents, merged, and which file set what.
#[derive(Debug, Default)]
pub struct Documents {
    /// The merged `data` object.
    pub merged: Map<String, Value>,
    loaded: Vec<(PathBuf, Vec<String>, Value)>,
}

impl Documents {
    /// The file that sets the key at `path` (below `data`), if one does.
    pub fn file_setting(&self, path: &[String]) -> Option<&Path> {
        self.loaded
            .iter()
            .find(|(_, prefix, document)| sets(prefix, document, path))
            .map(|(file, _, _)| file.as_path())
    }
}

/// The documents of every `--data` path, merged into one `data` object.
pub fn load(paths: &[PathBuf]) -> Result<Documents, PolicyError> {
    let mut merged = Map::new();
    let mut loaded: Vec<(PathBuf, Vec<String>, Value)> = Vec::new();
    for path in paths {
        let mut files = Vec::new();
        if path.is_dir() {
            collect(path, &mut files)?;
            files.sort();
        } else if path.exists() {
            if !is_data_file(path) {
                return Err(PolicyError::Data {
                    path: path.clone(),
                    message: "expected a .json, .yaml or .yml file".into(),
                });
            }
            files.push(path.clone());
        } else {
            return Err(PolicyError::Read {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            });
        }
        for file in files {
            let prefix: Vec<String> = if path.is_dir() {
                file.parent()
                    .and_then(|parent| parent.strip_prefix(path).ok())
                    .map(|relative| {
                        relative
                            .components()
                            .map(|part| part.as_os_str().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let document = parse(&file)?;
            if document.is_null() {
                continue;
            }
            if prefix.is_empty() && !document.is_object() {
                return Err(PolicyError::Data {
                    path: file,
                    message: format!(
                        "expected an object at the top level (merged at the root of `data`), got {}",
                        kind(&document)
                    ),
                });
            }
            let mut nested = document.clone();
            for key in prefix.iter().rev() {
                let mut object = Map::new();
                object.insert(key.clone(), nested);
                nested = Value::Object(object);
            }
            let Value::Object(nested) = nested else {
                unreachable!("wrapped in an object above");
            };
            if let Err(key) = merge(&mut merged, nested, &mut Vec::new()) {
                let earlier = loaded
                    .iter()
                    .find(|(_, earlier_prefix, earlier_document)| {
                        sets(earlier_prefix, earlier_document, &key)
                    })
                    .map(|(earlier, _, _)| earlier.display().to_string())
                    .unwrap_or_else(|| "another data file".into());
                return Err(PolicyError::Data {
                    path: file,
                    message: format!(
                        "sets `data.{}`, which {earlier} already sets (data files must not \
                         overlap)",
                        key.join(".")
                    ),
                });
            }
            loaded.push((file, prefix, document));
        }
    }
    Ok(Documents { merged, loaded })
}

fn is_data_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|extension| extension.to_str()),
        Some("json" | "yaml" | "yml")
    )
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), PolicyError> {
    let read_error = |source| PolicyError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if is_data_file(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn parse(file: &Path) -> Result<Value, PolicyError> {
    let text = std::fs::read_to_string(file).map_err(|source| PolicyError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let yaml = file.extension().is_none_or(|extension| extension != "json");
    if yaml {
        yaml_serde::from_str::<Value>(&text).map_err(|error| {
            let (line, column) = error
                .location()
                .map(|at| (at.line(), at.column()))
                .unwrap_or((0, 0));
            PolicyError::DataSyntax {
                path: file.to_path_buf(),
                line,
                column,
                format: "YAML",
                message: without_position(error.to_string()),
            }
        })
    } else {
        serde_json::from_str::<Value>(&text).map_err(|error| PolicyError::DataSyntax {
            path: file.to_path_buf(),
            line: error.line(),
            column: error.column(),
            format: "JSON",
            message: without_position(error.to_string()),
        })
    }
}

/// A parser's message without the ` at line L column C` the error already shows.
fn without_position(mut message: String) -> String {
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    message
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Merges `from` into `into`; on a clash, the path of the key both set.
fn merge(
    into: &mut Map<String, Value>,
    from: Map<String, Value>,
    at: &mut Vec<String>,
) -> Result<(), Vec<String>> {
    for (key, value) in from {
        at.push(key.clone());
        match (into.get_mut(&key), value) {
            (None, value) => {
                into.insert(key, value);
            }
            (Some(Value::Object(existing)), Value::Object(value)) => merge(existing, value, at)?,
            (Some(_), _) => return Err(at.clone()),
        }
        at.pop();
    }
    Ok(())
}

/// Whether a document merged at `prefix` sets the key at `path`.
fn sets(prefix: &[String], document: &Value, path: &[String]) -> bool {
    let mut value = document;
    for (index, key) in path.iter().enumerate() {
        if let Some(expected) = prefix.get(index) {
            if expected != key {
                return false;
            }
            continue;
        }
        match value.get(key) {
            Some(inner) => value = inner,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_merge_and_leaves_clash() {
        let mut into = Map::new();
        let first = serde_json::json!({"a": {"b": 1}});
        let second = serde_json::json!({"a": {"c": 2}});
        let third = serde_json::json!({"a": {"b": 3}});
        let object = |value: Value| value.as_object().unwrap().clone();
        merge(&mut into, object(first), &mut Vec::new()).unwrap();
        merge(&mut into, object(second), &mut Vec::new()).unwrap();
        assert_eq!(
            Value::Object(into.clone()),
            serde_json::json!({"a": {"b": 1, "c": 2}})
        );
        assert_eq!(
            merge(&mut into, object(third), &mut Vec::new()),
            Err(vec!["a".to_string(), "b".to_string()])
        );
    }
}
