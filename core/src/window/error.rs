//! The error returned when a window specification is invalid.

/// An invalid field in a [`WindowSpec`](super::WindowSpec).
///
/// `field` is a path such as `timezone`, `allow[1].start` or `deny[0].to`;
/// `message` says what was found and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct WindowError {
    pub field: String,
    pub message: String,
}

impl WindowError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Quotes user input for an error message: control characters escaped and
/// long input shortened, so a message stays one readable line.
pub(crate) fn quoted(text: &str) -> String {
    const LIMIT: usize = 48;
    let mut shown: String = text
        .chars()
        .take(LIMIT)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().count() > LIMIT {
        shown.push('…');
    }
    format!("`{shown}`")
}
