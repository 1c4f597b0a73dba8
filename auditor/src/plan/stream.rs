//! Streaming the top level of a plan: the plan object is read member by member
//! from a buffered stream. Large members no rule needs (`planned_values`,
//! `prior_state`, `checks`) are skipped with a byte scanner; `resource_changes`
//! and `resource_drift` are cut into one array element at a time and each
//! element is deserialized from its own bytes; other members are deserialized
//! whole. Memory stays near the size of the largest single element, and
//! errors carry the line and column in the whole input.

use std::io::Read;

use serde::de::DeserializeOwned;

use super::model::{Plan, ResourceChange};

/// Members skipped without deserializing.
const SKIPPED: [&str; 3] = ["planned_values", "prior_state", "checks"];

/// An error with its position in the input (1-based line and column).
#[derive(Debug)]
pub enum StreamError {
    Io(std::io::Error),
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
}

type Result<T> = std::result::Result<T, StreamError>;

/// Byte source with position tracking.
struct Scanner<R> {
    reader: R,
    buffer: Vec<u8>,
    position: usize,
    filled: usize,
    line: usize,
    /// Bytes consumed before `buffer[0]`.
    offset: u64,
    /// Absolute offset of the first byte of the current line.
    line_start: u64,
}

/// Where a value starts, to translate positions inside it.
#[derive(Clone, Copy)]
struct Mark {
    line: usize,
    column: usize,
}

impl<R: Read> Scanner<R> {
    fn new(reader: R) -> Self {
        Scanner {
            reader,
            buffer: vec![0; 256 * 1024],
            position: 0,
            filled: 0,
            line: 1,
            offset: 0,
            line_start: 0,
        }
    }

    fn column(&self) -> usize {
        let here = self.offset + self.position as u64;
        (here - self.line_start) as usize + 1
    }

    fn mark(&self) -> Mark {
        Mark {
            line: self.line,
            column: self.column(),
        }
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T> {
        Err(StreamError::Syntax {
            line: self.line,
            column: self.column(),
            message: message.into(),
        })
    }

    /// Refills the buffer when empty; `false` at the end of the input.
    fn fill(&mut self) -> Result<bool> {
        if self.position < self.filled {
            return Ok(true);
        }
        self.offset += self.filled as u64;
        self.position = 0;
        self.filled = 0;
        loop {
            match self.reader.read(&mut self.buffer) {
                Ok(count) => {
                    self.filled = count;
                    return Ok(count > 0);
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(StreamError::Io(error)),
            }
        }
    }

    fn peek(&mut self) -> Result<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.buffer[self.position])
        } else {
            None
        })
    }

    /// Consumes one byte, copying it to `copy` when given.
    fn bump(&mut self, copy: &mut Option<&mut Vec<u8>>) {
        let byte = self.buffer[self.position];
        self.position += 1;
        if byte == b'\n' {
            self.line += 1;
            self.line_start = self.offset + self.position as u64;
        }
        if let Some(copy) = copy {
            copy.push(byte);
        }
    }

    fn skip_whitespace(&mut self) -> Result<Option<u8>> {
        while let Some(byte) = self.peek()? {
            if matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
                self.bump(&mut None);
            } else {
                return Ok(Some(byte));
            }
        }
        Ok(None)
    }

    fn expect_after_whitespace(&mut self, wanted: u8, what: &str) -> Result<()> {
        match self.skip_whitespace()? {
            Some(byte) if byte == wanted => {
                self.bump(&mut None);
                Ok(())
            }
            Some(_) => self.error(format!("expected {what}")),
            None => self.error(format!("EOF while parsing: expected {what}")),
        }
    }

    /// Consumes a string (the opening quote is next), copying its raw bytes.
    fn string(&mut self, copy: &mut Option<&mut Vec<u8>>) -> Result<()> {
        self.bump(copy);
        loop {
            let Some(start) = self.fill()?.then_some(self.position) else {
                return self.error("EOF while parsing a string");
            };
            // Fast path: copy plain bytes up to a quote, backslash or control byte.
            let chunk = &self.buffer[start..self.filled];
            let plain = chunk
                .iter()
                .position(|byte| matches!(byte, b'"' | b'\\') || *byte < 0x20)
                .unwrap_or(chunk.len());
            if let Some(copy) = copy {
                copy.extend_from_slice(&chunk[..plain]);
            }
            self.position += plain;
            if self.position == self.filled {
                continue;
            }
            match self.buffer[self.position] {
                b'"' => {
                    self.bump(copy);
                    return Ok(());
                }
                b'\\' => {
                    self.bump(copy);
                    if !self.fill()? {
                        return self.error("EOF while parsing a string");
                    }
                    self.bump(copy);
                }
                _ => {
                    return self
                        .error("control character (\\u0000-\\u001F) found while parsing a string")
                }
            }
        }
    }

    /// Consumes whitespace, copying it when `copy` is given (positions inside
    /// a copied value then match the input).
    fn whitespace(&mut self, copy: &mut Option<&mut Vec<u8>>) -> Result<Option<u8>> {
        while let Some(byte) = self.peek()? {
            if matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
                self.bump(copy);
            } else {
                return Ok(Some(byte));
            }
        }
        Ok(None)
    }

    /// Consumes one value, copying its bytes when `copy` is given. Strings,
    /// nesting, separators and literals are checked; values that are copied
    /// are deserialized afterwards, which checks the rest of the grammar.
    fn value(&mut self, mut copy: Option<&mut Vec<u8>>) -> Result<()> {
        let mut stack: Vec<u8> = Vec::new();
        let mut expect_value = true;
        let mut after_separator = false;
        loop {
            let byte = if stack.is_empty() {
                self.skip_whitespace()?
            } else {
                self.whitespace(&mut copy)?
            };
            let Some(byte) = byte else {
                return self.error("EOF while parsing a value");
            };
            match byte {
                b'"' | b'{' | b'[' if !expect_value => {
                    return self.error("expected `,` or the end of the object or list");
                }
                b'"' => {
                    self.string(&mut copy)?;
                    expect_value = false;
                    after_separator = false;
                }
                b'{' | b'[' => {
                    stack.push(if byte == b'{' { b'}' } else { b']' });
                    self.bump(&mut copy);
                    expect_value = true;
                    after_separator = false;
                }
                b'}' | b']' => {
                    if after_separator {
                        return self.error("trailing comma");
                    }
                    if stack.pop() != Some(byte) {
                        return self.error(format!("unexpected `{}`", byte as char));
                    }
                    self.bump(&mut copy);
                    expect_value = false;
                }
                b',' | b':' => {
                    if stack.is_empty() || expect_value {
                        return self.error("expected value");
                    }
                    self.bump(&mut copy);
                    expect_value = true;
                    after_separator = true;
                }
                _ => {
                    if !expect_value {
                        return self.error("expected `,` or the end of the object or list");
                    }
                    self.literal(&mut copy)?;
                    expect_value = false;
                    after_separator = false;
                }
            }
            if stack.is_empty() {
                return Ok(());
            }
        }
    }

    /// Consumes `true`, `false`, `null` or a number.
    fn literal(&mut self, copy: &mut Option<&mut Vec<u8>>) -> Result<()> {
        let mut token: Vec<u8> = Vec::new();
        while let Some(byte) = self.peek()? {
            if !(byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.')) {
                break;
            }
            if token.len() > 64 {
                return self.error("expected value");
            }
            token.push(byte);
            self.bump(copy);
        }
        let valid = match token.as_slice() {
            b"true" | b"false" | b"null" => true,
            [first, ..] if *first == b'-' || first.is_ascii_digit() => {
                token
                    .iter()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
                    && std::str::from_utf8(&token).is_ok_and(|text| text.parse::<f64>().is_ok())
            }
            _ => false,
        };
        if valid {
            Ok(())
        } else {
            self.error("expected value")
        }
    }

    /// Reads a member name (after whitespace); `None` at the closing brace.
    fn member_name(&mut self, first: bool) -> Result<Option<String>> {
        match self.skip_whitespace()? {
            Some(b'}') => {
                self.bump(&mut None);
                return Ok(None);
            }
            Some(b',') if !first => {
                self.bump(&mut None);
                self.skip_whitespace()?;
            }
            Some(b'"') if first => {}
            Some(_) if first => return self.error("expected a member name or `}`"),
            Some(_) => return self.error("expected `,` or `}`"),
            None => return self.error("EOF while parsing an object"),
        }
        if self.peek()? != Some(b'"') {
            return self.error("key must be a string");
        }
        let mut raw = Vec::new();
        self.string(&mut Some(&mut raw))?;
        self.expect_after_whitespace(b':', "`:`")?;
        serde_json::from_slice(&raw).or_else(|_| self.error("invalid member name"))
    }

    /// Deserializes the next value from its bytes; errors point into the input.
    fn parse<T: DeserializeOwned>(&mut self, field: &str) -> Result<T> {
        self.skip_whitespace()?;
        let mark = self.mark();
        let mut raw = Vec::new();
        self.value(Some(&mut raw))?;
        deserialize(&raw, mark, field)
    }

    /// Streams an array, deserializing one element at a time.
    fn array<T: DeserializeOwned>(&mut self, field: &str, items: &mut Vec<T>) -> Result<()> {
        self.array_with(field, |item| items.push(item))
    }

    /// Streams an array, handing each deserialized element to `each`.
    fn array_with<T: DeserializeOwned>(
        &mut self,
        field: &str,
        mut each: impl FnMut(T),
    ) -> Result<()> {
        match self.skip_whitespace()? {
            Some(b'[') => self.bump(&mut None),
            Some(b'n') => {
                let _: Option<()> = self.parse(field)?;
                return Ok(());
            }
            _ => return self.error(format!("field `{field}`: expected an array")),
        }
        let mut raw = Vec::new();
        let mut first = true;
        loop {
            match self.skip_whitespace()? {
                Some(b']') => {
                    self.bump(&mut None);
                    return Ok(());
                }
                Some(b',') if !first => {
                    self.bump(&mut None);
                    self.skip_whitespace()?;
                }
                Some(_) if first => {}
                Some(_) => return self.error("expected `,` or `]`"),
                None => return self.error("EOF while parsing a list"),
            }
            first = false;
            let mark = self.mark();
            raw.clear();
            self.value(Some(&mut raw))?;
            each(deserialize(&raw, mark, field)?);
        }
    }
}

fn deserialize<T: DeserializeOwned>(raw: &[u8], mark: Mark, field: &str) -> Result<T> {
    serde_json::from_slice(raw).map_err(|error| {
        let (line, column) = if error.line() <= 1 {
            (mark.line, mark.column + error.column().saturating_sub(1))
        } else {
            (mark.line + error.line() - 1, error.column())
        };
        let message = error.to_string();
        let message = match message.rfind(" at line ") {
            Some(position) => message[..position].to_string(),
            None => message,
        };
        StreamError::Syntax {
            line,
            column,
            message: format!("field `{field}`: {message}"),
        }
    })
}

/// Reads a whole plan from `reader`.
pub fn read_plan(reader: impl Read) -> Result<Plan> {
    let mut scanner = Scanner::new(reader);
    match scanner.skip_whitespace()? {
        Some(b'{') => scanner.bump(&mut None),
        Some(_) => {
            return scanner
                .error("expected a JSON object (the output of `terraform show -json PLANFILE`)")
        }
        None => return scanner.error("EOF while parsing a value"),
    }
    let mut plan = Plan::default();
    let mut first = true;
    while let Some(name) = scanner.member_name(first)? {
        first = false;
        match name.as_str() {
            "format_version" => plan.format_version = scanner.parse(&name)?,
            "terraform_version" => plan.terraform_version = scanner.parse(&name)?,
            "timestamp" => plan.timestamp = scanner.parse(&name)?,
            "complete" => plan.complete = scanner.parse(&name)?,
            "errored" => plan.errored = scanner.parse::<Option<bool>>(&name)?.unwrap_or(false),
            "applyable" => plan.applyable = scanner.parse(&name)?,
            "resource_changes" => {
                let (changes, secrets) = (&mut plan.resource_changes, &mut plan.sensitive_strings);
                scanner.array_with(&name, |mut change: ResourceChange| {
                    secrets.extend(std::mem::take(&mut change.sensitive_strings));
                    changes.push(change);
                })?
            }
            "resource_drift" => scanner.array(&name, &mut plan.resource_drift)?,
            "relevant_attributes" => {
                plan.relevant_attributes = scanner.parse::<Option<_>>(&name)?.unwrap_or_default()
            }
            "output_changes" => {
                plan.output_changes = scanner.parse::<Option<_>>(&name)?.unwrap_or_default()
            }
            "variables" => plan.variables = scanner.parse::<Option<_>>(&name)?.unwrap_or_default(),
            "configuration" => {
                plan.configuration = scanner.parse::<Option<_>>(&name)?.unwrap_or_default()
            }
            "deferred_changes" => {
                plan.deferred_changes = scanner.parse::<Option<_>>(&name)?.unwrap_or_default()
            }
            other => {
                if other == "planned_values" {
                    plan.planned_values = Some(serde::de::IgnoredAny);
                }
                if !SKIPPED.contains(&other) {
                    tracing::trace!(member = other, "skipping a plan member no rule reads");
                }
                scanner.value(None)?;
            }
        }
    }
    if scanner.skip_whitespace()?.is_some() {
        return scanner.error("trailing characters");
    }
    Ok(plan)
}
