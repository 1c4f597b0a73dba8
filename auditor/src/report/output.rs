//! Writing reports: `--format` on stdout and every `--report FORMAT=PATH` file.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::ReportError;
use super::{write_report, Format, Report};

/// One parsed `--report FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    pub format: Format,
    pub path: PathBuf,
}

impl ReportSpec {
    /// Parses `FORMAT=PATH` (the format name is case-insensitive; the path may
    /// itself contain `=`).
    pub fn parse(spec: &str) -> Result<ReportSpec, ReportError> {
        let invalid = |problem: &str| {
            ReportError::Spec(format!(
                "--report `{spec}`: {problem}; expected FORMAT=PATH with FORMAT one of {}",
                Format::accepted_names()
            ))
        };
        let Some((name, path)) = spec.split_once('=') else {
            return Err(invalid("no `=` between format and path"));
        };
        let Some(format) = Format::from_name(&name.trim().to_ascii_lowercase()) else {
            return Err(invalid(&format!("unknown format `{name}`")));
        };
        if path.trim().is_empty() {
            return Err(invalid("the path is empty"));
        }
        if path.ends_with('/') || Path::new(path).file_name().is_none() {
            return Err(invalid("the path names a folder, not a file"));
        }
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// Parses every spec; the first invalid one is the error. Two specs naming the
/// same path are an error too ([`check_distinct_paths`]).
pub fn parse_report_specs(specs: &[String]) -> Result<Vec<ReportSpec>, ReportError> {
    let parsed = specs
        .iter()
        .map(|spec| ReportSpec::parse(spec))
        .collect::<Result<Vec<_>, _>>()?;
    check_distinct_paths(&parsed)?;
    Ok(parsed)
}

/// Two reports for one path are an error: one would silently overwrite the other.
pub fn check_distinct_paths(specs: &[ReportSpec]) -> Result<(), ReportError> {
    for (index, spec) in specs.iter().enumerate() {
        if specs[..index]
            .iter()
            .any(|earlier| earlier.path == spec.path)
        {
            return Err(ReportError::Spec(format!(
                "--report `{}={}`: the path `{}` is given more than once",
                spec.format,
                spec.path.display(),
                spec.path.display()
            )));
        }
    }
    Ok(())
}

/// Writes every report file (all of them or none of them when a write fails),
/// then `format` to `out`, in colour when `color` says.
pub fn emit_to(
    out: &mut dyn Write,
    color: bool,
    format: Format,
    specs: &[ReportSpec],
    report: &Report,
) -> Result<(), ReportError> {
    // Each file is written as it is rendered (one report in memory at a
    // time, json and sarif not even that), and moved into place once all are.
    let mut staged: Vec<(tempfile::NamedTempFile, &Path)> = Vec::with_capacity(specs.len());
    for spec in specs {
        let temp = stage_with(&spec.path, |file| {
            write_report(spec.format, report, false, file)
        })?;
        staged.push((temp, &spec.path));
    }
    persist_all(staged)?;
    for spec in specs {
        tracing::info!(format = %spec.format, path = %spec.path.display(), "report written");
    }
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, out);
    let written =
        write_report(format, report, color, &mut buffered).and_then(|()| buffered.flush());
    match written {
        Ok(()) => Ok(()),
        // A closed pipe (`tfaudit ... | head`) is not an error of the audit.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(ReportError::Other {
            context: "stdout".into(),
            message: format!("cannot write the report: {error}"),
        }),
    }
}

/// Writes each `(path, contents)` to a temporary file in the path's folder, and
/// only when every one was written renames them into place. On error the
/// temporary files are removed and no destination has changed (unless a rename
/// itself fails midway, which the error then names).
pub fn write_all_atomically(files: &[(PathBuf, String)]) -> Result<(), ReportError> {
    let mut staged: Vec<(tempfile::NamedTempFile, &Path)> = Vec::with_capacity(files.len());
    for (path, contents) in files {
        staged.push((
            stage_with(path, |file| file.write_all(contents.as_bytes()))?,
            path,
        ));
    }
    persist_all(staged)
}

/// Renames every staged file into place.
fn persist_all(staged: Vec<(tempfile::NamedTempFile, &Path)>) -> Result<(), ReportError> {
    for (temp, path) in staged {
        temp.persist(path).map_err(|error| ReportError::Other {
            context: path.display().to_string(),
            message: format!("cannot move the report into place: {}", error.error),
        })?;
    }
    Ok(())
}

/// Has `write` fill a new temporary file beside `path`, flushed to disk.
fn stage_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<tempfile::NamedTempFile, ReportError> {
    let write_error = |error: std::io::Error| ReportError::Other {
        context: path.display().to_string(),
        message: format!("cannot write the report: {error}"),
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(write_error)?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| {
            ReportError::Spec(format!(
                "--report: `{}` does not name a file",
                path.display()
            ))
        })?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(&folder)
        .map_err(write_error)?;
    {
        let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, temp.as_file_mut());
        write(&mut buffered).map_err(write_error)?;
        buffered.flush().map_err(write_error)?;
    }
    temp.as_file().sync_all().map_err(write_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(write_error)?;
    }
    Ok(temp)
}
