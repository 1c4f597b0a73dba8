//! The vocabulary of input errors every reader shares (plan, state, drift,
//! configuration, change windows): the file, the field and what was expected.
//! Which exit code an error ends a run with is for the command line to decide.

use std::path::PathBuf;

use crate::input_kind::InputKind;

/// Input that cannot be used: the file (or object), and what is wrong with it.
///
/// `Json` messages may come from serde, which quotes the offending value
/// (`invalid type: string "..."`): they are shown through [`value_free`].
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: line {line}, column {column}: invalid JSON: {}", value_free(.message))]
    Json {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: field `{field}`: {expected}")]
    Field {
        file: PathBuf,
        field: String,
        expected: String,
    },
    /// Not the expected format at all (`invalid TOML: ...`, `not in the v4 state format: ...`).
    #[error("{file}: {problem}")]
    Invalid { file: PathBuf, problem: String },
    /// Terraform JSON of another kind than the command reads (a state given
    /// to `tfaudit plan`, a plan given to `tfaudit state`).
    #[error("{file}: this is {}; expected {expected}", .given.describe())]
    WrongKind {
        file: PathBuf,
        given: InputKind,
        expected: &'static str,
    },
}

/// How serde quotes an input value, and what it is replaced with.
const QUOTED_VALUES: [(&str, char, &str); 6] = [
    ("string \"", '"', "a string"),
    ("integer `", '`', "an integer"),
    ("floating point `", '`', "a floating point number"),
    ("boolean `", '`', "a boolean"),
    ("character `", '`', "a character"),
    ("unknown variant `", '`', "an unknown variant"),
];

/// A parser's message with the input values it quotes left out, so that an
/// error never prints a value of the plan (which may be a secret): serde's
/// `invalid type: string "Sup3r", expected a boolean` becomes `invalid type: a
/// string, expected a boolean`; `integer `5`` becomes `an integer`; any other
/// double-quoted text becomes `"…"`. Field names (`field `x``) stay.
pub fn value_free(message: &str) -> String {
    let mut text = message.to_string();
    for (prefix, close, replacement) in QUOTED_VALUES {
        text = replace_quoted(&text, prefix, close, replacement);
    }
    replace_quoted(&text, "\"", '"', "\"…\"")
}

/// `text` with every `prefix…close` (backslash escapes honoured) replaced.
fn replace_quoted(text: &str, prefix: &str, close: char, replacement: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(prefix) {
        result.push_str(&rest[..start]);
        result.push_str(replacement);
        rest = skip_quoted(&rest[start + prefix.len()..], close);
    }
    result.push_str(rest);
    result
}

/// `text` after the first `close` not escaped by a backslash (empty when none).
fn skip_quoted(text: &str, close: char) -> &str {
    let mut escaped = false;
    for (position, character) in text.char_indices() {
        match character {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == close => return &text[position + close.len_utf8()..],
            _ => {}
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_left_out_and_field_names_stay() {
        assert_eq!(
            value_free(
                r#"field `complete`: invalid type: string "Sup3r\"Secret", expected a boolean"#
            ),
            "field `complete`: invalid type: a string, expected a boolean"
        );
        assert_eq!(
            value_free("field `x`: invalid type: integer `987`, expected a string"),
            "field `x`: invalid type: an integer, expected a string"
        );
        assert_eq!(
            value_free("unknown variant `hunter2`, expected `a` or `b`"),
            "an unknown variant, expected `a` or `b`"
        );
        assert_eq!(value_free(r#"other "quoted" text"#), r#"other "…" text"#);
        assert_eq!(
            value_free("EOF while parsing a string"),
            "EOF while parsing a string"
        );
    }
}
