//! The progress bar of long reads (`tfaudit state`, `tfaudit drift --live`):
//! objects read of objects found, on stderr, drawn only where
//! [`super::output::progress_on_stderr`] allows it (a terminal, colour allowed,
//! not `--quiet`). Elsewhere nothing is written: a CI log or a piped stderr
//! stays free of it.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::state::source::Progress;

/// A bar over the objects a command reads; hidden when stderr may not have one.
pub struct ObjectsBar {
    bar: ProgressBar,
}

impl ObjectsBar {
    /// A bar labelled `what` (e.g. `reading states`), drawn on stderr when
    /// [`super::output::progress_on_stderr`] says so, else hidden.
    pub fn start(what: &str) -> ObjectsBar {
        let bar = if super::output::progress_on_stderr() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} objects ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(what.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        ObjectsBar { bar }
    }

    /// Ends the bar, leaving its last line (the count) on the terminal.
    pub fn finish(&self) {
        self.bar.finish();
    }
}

impl Progress for ObjectsBar {
    fn found(&self, count: u64) {
        self.bar.inc_length(count);
    }

    fn read_one(&self) {
        self.bar.inc(1);
    }
}

impl Drop for ObjectsBar {
    /// A run that fails part-way clears its bar before the error is printed.
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}
