//! Where a run's report goes: `--format` on stdout, every `--report
//! FORMAT=PATH` to its file, and `--report FORMAT=-` on stdout instead of
//! `--format`. One report at most goes to stdout: two `FORMAT=-`, or an explicit
//! `--format` beside a `FORMAT=-`, are refused before anything is read.
//!
//! Colour on stdout ([`colour_on_stdout`]): the text format on a terminal,
//! unless `--no-color`, `NO_COLOR` (not empty) or `TERM=dumb` says otherwise.
//! The same decision for stderr ([`colour_on_stderr`]) colours diagnostics and
//! allows the progress bar ([`progress_on_stderr`]), which `--quiet` also
//! turns off.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::OnceLock;

use super::args::OutputArgs;
use super::error::CommandError;
use crate::report::output::{check_distinct_paths, emit_to, ReportSpec};
use crate::report::{Format, Report};

/// The path that names stdout in `--report FORMAT=-`.
pub const STDOUT_PATH: &str = "-";

/// What the command line says of stdout beyond a subcommand's own options.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutOptions {
    /// `--format` was given on the command line (not its default).
    pub format_given: bool,
    /// `--no-color`.
    pub no_color: bool,
    /// `--quiet`: no progress bar.
    pub quiet: bool,
}

static STDOUT_OPTIONS: OnceLock<StdoutOptions> = OnceLock::new();

/// Sets the stdout options for this process (the first call counts).
pub fn configure(options: StdoutOptions) {
    let _ = STDOUT_OPTIONS.set(options);
}

fn options() -> StdoutOptions {
    STDOUT_OPTIONS.get().copied().unwrap_or_default()
}

/// Whether colour is wanted where a terminal is: not with `--no-color`,
/// `NO_COLOR` (not empty) or `TERM=dumb`.
pub fn colour_allowed() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|term| term == "dumb");
    !options().no_color && !no_color && !dumb
}

/// Whether the text report on stdout gets colour: a terminal, and
/// [`colour_allowed`].
pub fn colour_on_stdout() -> bool {
    colour_allowed() && std::io::stdout().is_terminal()
}

/// Whether stderr gets colour: a terminal, and [`colour_allowed`].
pub fn colour_on_stderr() -> bool {
    colour_allowed() && std::io::stderr().is_terminal()
}

/// Whether a progress bar is drawn on stderr: where it gets colour
/// ([`colour_on_stderr`]), and not `--quiet`.
pub fn progress_on_stderr() -> bool {
    !options().quiet && colour_on_stderr()
}

/// Where the report goes.
#[derive(Debug, Clone)]
pub struct Destinations {
    /// The format printed on stdout.
    pub stdout: Format,
    /// The report files.
    pub files: Vec<ReportSpec>,
}

impl Destinations {
    /// Whether one of the reports is in `format`.
    pub fn include(&self, format: Format) -> bool {
        self.stdout == format || self.files.iter().any(|spec| spec.format == format)
    }
}

/// Parses `--format` and every `--report`: the first invalid one, two reports
/// on stdout, or an explicit `--format` beside `FORMAT=-` is the error.
pub fn destinations(output: &OutputArgs) -> Result<Destinations, CommandError> {
    let (to_stdout, files): (Vec<_>, Vec<_>) = output
        .reports
        .iter()
        .map(|text| ReportSpec::parse(text))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .partition(|spec| spec.path == Path::new(STDOUT_PATH));
    check_distinct_paths(&files)?;
    let stdout = match to_stdout.as_slice() {
        [] => output.format.into(),
        [spec] if options().format_given => {
            return Err(CommandError::Usage(format!(
                "--format {} and --report {}=-: both would be written to stdout; \
                 drop one, or write the report to a file",
                Format::from(output.format),
                spec.format
            )))
        }
        [spec] => spec.format,
        [first, second, ..] => {
            return Err(CommandError::Usage(format!(
                "--report {}=- and --report {}=-: only one report can be written to stdout",
                first.format, second.format
            )))
        }
    };
    Ok(Destinations { stdout, files })
}

/// Writes every report file (all or none), then the stdout report.
pub fn emit(destinations: &Destinations, report: &Report) -> Result<(), CommandError> {
    let colour = destinations.stdout == Format::Text && colour_on_stdout();
    emit_to(
        &mut std::io::stdout().lock(),
        colour,
        destinations.stdout,
        &destinations.files,
        report,
    )?;
    Ok(())
}
