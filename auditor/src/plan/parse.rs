//! Reading a plan: JSON from a file or stdin (streamed, read once, hashed as it
//! is read), or a binary plan file rendered with `terraform show -json`.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::model::Plan;
use super::reader;
use super::retention::Retention;
use super::scanner::{StreamError, DEFAULT_BUFFER};
use crate::error::InputError;
use crate::input_kind::{expected, InputKind};

/// Why a plan cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {message}")]
    Other { context: String, message: String },
}

/// The first bytes of a zip archive: binary plan files are zip archives.
const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// A parsed plan and facts about its bytes.
#[derive(Debug, Clone)]
pub struct LoadedPlan {
    pub plan: Plan,
    /// Hex SHA-256 of the plan JSON bytes.
    pub sha256: String,
    /// How many JSON bytes were read.
    pub size: u64,
    /// What was read, for reports and error messages (`-` is `stdin`).
    pub subject: PathBuf,
}

/// Reads the plan named on the command line: `-` for stdin, a JSON file, or a
/// binary plan file (detected by its zip signature), which `terraform show`
/// renders in `chdir` (the configuration's folder; else the working folder).
pub fn load(input: &str, chdir: Option<&Path>) -> Result<LoadedPlan, PlanError> {
    refuse_terminal_stdin(input)?;
    if input == "-" {
        return parse_read_ahead(std::io::stdin(), Path::new("stdin"));
    }
    let path = PathBuf::from(input);
    let read_error = |source| InputError::Read {
        file: path.clone(),
        source,
    };
    let mut file = std::fs::File::open(&path).map_err(read_error)?;
    let mut head = [0u8; 4];
    let head_length = read_up_to(&mut file, &mut head).map_err(read_error)?;
    if head_length == head.len() && &head == ZIP_MAGIC {
        let json = show_binary_plan(&path, chdir)?;
        return parse_slice(&json, &path);
    }
    let reader = std::io::Cursor::new(head[..head_length].to_vec()).chain(file);
    parse_read_ahead(reader, &path)
}

/// Reads the whole plan JSON into memory (for `--policy`, which needs the
/// document itself): `-` for stdin, a JSON file, or a binary plan file
/// (rendered in `chdir`, as [`load`] does).
pub fn read_all(input: &str, chdir: Option<&Path>) -> Result<(Vec<u8>, PathBuf), PlanError> {
    refuse_terminal_stdin(input)?;
    if input == "-" {
        let subject = PathBuf::from("stdin");
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|source| InputError::Read {
                file: subject.clone(),
                source,
            })?;
        return Ok((bytes, subject));
    }
    let path = PathBuf::from(input);
    let bytes = std::fs::read(&path).map_err(|source| InputError::Read {
        file: path.clone(),
        source,
    })?;
    if bytes.starts_with(ZIP_MAGIC) {
        return Ok((show_binary_plan(&path, chdir)?, path));
    }
    Ok((bytes, path))
}

/// Reading a plan from a terminal would wait forever: say what is expected.
fn refuse_terminal_stdin(input: &str) -> Result<(), PlanError> {
    use std::io::IsTerminal;
    if input == "-" && std::io::stdin().is_terminal() {
        return Err(PlanError::Usage(
            "no plan given: pass PLAN (plan JSON or a binary plan file) or pipe `terraform show -json PLANFILE` into `tfaudit plan -`".into(),
        ));
    }
    Ok(())
}

fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Parses plan JSON from a stream, hashing the bytes as they pass. The input
/// is read once, in chunks; see [`super::reader`].
pub fn parse_reader(reader: impl Read, subject: &Path) -> Result<LoadedPlan, PlanError> {
    let mut hashing = HashingReader {
        inner: reader,
        hasher: Sha256::new(),
        size: 0,
    };
    let plan = read_plan(&mut hashing, subject)?;
    let sha256 = hex::encode(hashing.hasher.finalize());
    finish(plan, sha256, hashing.size, subject)
}

/// [`parse_reader`] with reading and hashing on a thread of their own, a few
/// chunks ahead of the parser.
fn parse_read_ahead(
    reader: impl Read + Send + 'static,
    subject: &Path,
) -> Result<LoadedPlan, PlanError> {
    let (chunks, received) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
    // Chunks the parser is done with come back to be filled again.
    let (give_back, returned) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
    let reading = std::thread::Builder::new()
        .name("plan-reader".into())
        .spawn(move || {
            let mut hashing = HashingReader {
                inner: reader,
                hasher: Sha256::new(),
                size: 0,
            };
            loop {
                let mut chunk = returned
                    .try_recv()
                    .unwrap_or_else(|_| vec![0; READ_AHEAD_CHUNK]);
                chunk.resize(READ_AHEAD_CHUNK, 0);
                match read_up_to(&mut hashing, &mut chunk) {
                    Ok(0) => break,
                    Ok(count) => {
                        chunk.truncate(count);
                        if chunks.send(Ok(chunk)).is_err() {
                            break;
                        }
                    }
                    Err(error) => {
                        let _ = chunks.send(Err(error));
                        break;
                    }
                }
            }
            (hex::encode(hashing.hasher.finalize()), hashing.size)
        })
        .map_err(|error| PlanError::Other {
            context: subject.display().to_string(),
            message: format!("cannot start the plan reader: {error}"),
        })?;
    let plan = read_plan(
        ChunkReader {
            chunks: received,
            give_back,
            current: Vec::new(),
            position: 0,
        },
        subject,
    );
    // The parser may stop early (an error): the reader then stops at its next send.
    let (sha256, size) = reading.join().map_err(|_| PlanError::Other {
        context: subject.display().to_string(),
        message: "the plan reader stopped unexpectedly".into(),
    })?;
    finish(plan?, sha256, size, subject)
}

/// Bytes per chunk handed from the reading thread to the parser.
const READ_AHEAD_CHUNK: usize = 256 * 1024;

/// Reads the chunks the reading thread sends, and gives them back.
struct ChunkReader {
    chunks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    give_back: std::sync::mpsc::SyncSender<Vec<u8>>,
    current: Vec<u8>,
    position: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.position == self.current.len() {
            match self.chunks.recv() {
                Ok(chunk) => {
                    let done = std::mem::replace(&mut self.current, chunk?);
                    if done.capacity() > 0 {
                        let _ = self.give_back.try_send(done);
                    }
                    self.position = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let count = buffer.len().min(self.current.len() - self.position);
        buffer[..count].copy_from_slice(&self.current[self.position..self.position + count]);
        self.position += count;
        Ok(count)
    }
}

/// Streams a plan into the model, mapping errors to [`InputError`]s; the
/// plan is checked ([`check_is_plan`]) before it is returned.
fn read_plan(reader: impl Read, subject: &Path) -> Result<Plan, InputError> {
    let read = reader::read_plan_and_kind(reader, DEFAULT_BUFFER, &Retention::AUDIT);
    let (plan, kind) = read.map_err(|error| match error {
        StreamError::Io(source) => InputError::Read {
            file: subject.to_path_buf(),
            source,
        },
        StreamError::Syntax {
            line,
            column,
            message,
        } => InputError::Json {
            file: subject.to_path_buf(),
            line,
            column,
            message,
        },
    })?;
    check_is_plan(&plan, kind, subject)?;
    Ok(plan)
}

/// Parses plan JSON held in memory (the output of `terraform show -json`).
pub fn parse_slice(bytes: &[u8], subject: &Path) -> Result<LoadedPlan, PlanError> {
    parse_reader(bytes, subject)
}

fn finish(plan: Plan, sha256: String, size: u64, subject: &Path) -> Result<LoadedPlan, PlanError> {
    Ok(LoadedPlan {
        plan,
        sha256,
        size,
        subject: subject.to_path_buf(),
    })
}

/// The plan formats accepted besides `1.x`: what Terraform 0.12 to 1.0 write.
pub const OLDER_FORMATS: [&str; 2] = ["0.1", "0.2"];

/// Rejects JSON that is not a Terraform plan (a state is named as one), or a
/// plan format this version does not understand (`0.1`, `0.2` and `1.x` are
/// accepted).
pub fn check_is_plan(plan: &Plan, kind: InputKind, subject: &Path) -> Result<(), InputError> {
    let field_error = |field: &str, expected: String| InputError::Field {
        file: subject.to_path_buf(),
        field: field.to_string(),
        expected,
    };
    if matches!(kind, InputKind::State | InputKind::ShownState) {
        return Err(field_error(
            "planned_values",
            format!(
                "missing: this is not a plan but {}; expected {}",
                kind.describe(),
                expected::PLAN
            ),
        ));
    }
    let Some(version) = plan.format_version.as_deref() else {
        return Err(field_error(
            "format_version",
            "missing: expected Terraform plan JSON (`terraform show -json PLANFILE`)".into(),
        ));
    };
    if !is_supported_format(version) {
        let shown: String = version
            .chars()
            .take(20)
            .flat_map(char::escape_debug)
            .collect();
        return Err(field_error(
            "format_version",
            format!("unsupported plan format `{shown}`: expected 0.1, 0.2 or 1.x"),
        ));
    }
    if plan.planned_values.is_none() {
        return Err(field_error(
            "planned_values",
            "missing: this is not a plan (a state file or other Terraform JSON?); \
             expected the output of `terraform show -json PLANFILE`"
                .into(),
        ));
    }
    Ok(())
}

/// Whether `version` is a plan format this version reads: any `1.x`, or one
/// of [`OLDER_FORMATS`] (a patch level such as `0.2.1` included).
pub fn is_supported_format(version: &str) -> bool {
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("1"), _) => true,
        (Some("0"), Some(minor)) => OLDER_FORMATS.contains(&format!("0.{minor}").as_str()),
        _ => false,
    }
}

/// Whether `version` is one of [`OLDER_FORMATS`]: a plan of Terraform 0.12 to
/// 1.0, which may lack `resource_drift`, `relevant_attributes` and (0.1)
/// `action_reason`.
pub fn is_older_format(version: &str) -> bool {
    version.starts_with("0.") && is_supported_format(version)
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..count]);
        self.size += count as u64;
        Ok(count)
    }
}

/// The Terraform CLI to render binary plans: `$TERRAFORM`, else `terraform`
/// on PATH, else `tofu` on PATH.
pub fn terraform_cli() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("TERRAFORM").filter(|value| !value.is_empty()) {
        return Some(PathBuf::from(explicit));
    }
    let path = std::env::var_os("PATH")?;
    ["terraform", "tofu"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn show_binary_plan(path: &Path, chdir: Option<&Path>) -> Result<Vec<u8>, PlanError> {
    let context = format!("{}: binary plan file", path.display());
    // Terraform reads the plan relative to the folder it runs in.
    let plan_path = match chdir {
        Some(_) => std::path::absolute(path).map_err(|error| PlanError::Other {
            context: context.clone(),
            message: format!("cannot resolve the path: {error}"),
        })?,
        None => path.to_path_buf(),
    };
    let cli = terraform_cli().ok_or_else(|| PlanError::Other {
        context: context.clone(),
        message: "no terraform or tofu on PATH (set TERRAFORM) to run `show -json`; \
                  or pass the JSON from `terraform show -json PLANFILE`"
            .into(),
    })?;
    tracing::debug!(cli = %cli.display(), plan = %path.display(), "rendering binary plan");
    let mut command = std::process::Command::new(&cli);
    command
        .args(["show", "-json", "-no-color"])
        .arg(&plan_path)
        .stdin(std::process::Stdio::null());
    if let Some(folder) = chdir {
        command.current_dir(folder);
    }
    let output = command.output().map_err(|error| PlanError::Other {
        context: context.clone(),
        message: format!("cannot run {}: {error}", cli.display()),
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .map(|line| line.trim_start_matches(['│', '╷', '╵', ' ']).trim())
            .filter(|line| !line.is_empty())
            .collect();
        let start = lines
            .iter()
            .position(|line| line.starts_with("Error"))
            .unwrap_or(0);
        let first_lines: Vec<&str> = lines.iter().skip(start).take(3).copied().collect();
        // Terraform needs the providers of the configuration that made the plan.
        let hint = if stderr.contains("plugin") || stderr.contains("provider") {
            match chdir {
                None => {
                    "; a binary plan is rendered with the providers of its configuration: \
                         run tfaudit in the folder where `terraform init` ran, or pass --chdir DIR"
                }
                Some(_) => "; check that `terraform init` ran in the --chdir folder",
            }
        } else {
            ""
        };
        return Err(PlanError::Other {
            context,
            message: format!(
                "`{} show -json` failed ({}): {}{hint}",
                cli.display(),
                output.status,
                first_lines.join(" ")
            ),
        });
    }
    Ok(output.stdout)
}
