//! Streaming the top level of a plan: the plan object is read member by member
//! from a buffered stream. Each value is handed to serde_json straight from the
//! buffer (no copy): the members a rule reads and every element of
//! `resource_changes` and `resource_drift` are deserialized into compact
//! records; the members no rule needs (`planned_values`, `prior_state`,
//! `checks`, unknown ones) are skipped, but still checked to be valid JSON.
//! A skipped value larger than the buffer is walked container by container, so
//! memory stays near the buffer size plus the largest single element, and
//! errors carry the line and column in the whole input.

use std::io::Read;

use serde::de::{DeserializeOwned, IgnoredAny};

use super::model::{Plan, ResourceChange};

/// Members skipped without deserializing.
const SKIPPED: [&str; 3] = ["planned_values", "prior_state", "checks"];

/// The buffer the input is read into; it grows only for a single value that
/// must be deserialized whole and does not fit.
pub const DEFAULT_BUFFER: usize = 256 * 1024;

/// The smallest buffer [`read_plan_buffered`] accepts.
const MIN_BUFFER: usize = 16;

/// How deep skipped containers larger than the buffer may nest (serde_json's
/// own limit inside the buffer is 128).
const MAX_SKIP_DEPTH: usize = 128;

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

/// Byte source with position tracking. Unconsumed bytes are
/// `buffer[start..end]`; refilling moves them to the front first.
struct Scanner<R> {
    reader: R,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// The reader has no more bytes.
    exhausted: bool,
    /// Line of `buffer[start]`.
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

/// What serde_json made of the bytes at hand.
enum Attempt<T> {
    Done(T, usize),
    /// The value may continue past the bytes at hand.
    NeedMore,
    Failed(serde_json::Error),
}

impl<R: Read> Scanner<R> {
    fn new(reader: R, capacity: usize) -> Self {
        Scanner {
            reader,
            buffer: vec![0; capacity.max(MIN_BUFFER)],
            start: 0,
            end: 0,
            exhausted: false,
            line: 1,
            offset: 0,
            line_start: 0,
        }
    }

    fn column(&self) -> usize {
        let here = self.offset + self.start as u64;
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

    fn at_hand(&self) -> &[u8] {
        &self.buffer[self.start..self.end]
    }

    /// Reads more input after the unconsumed bytes (moved to the front; the
    /// buffer doubles when they fill it). `false` when nothing more came.
    fn read_more(&mut self) -> Result<bool> {
        if self.exhausted {
            return Ok(false);
        }
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.offset += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buffer.len() {
            let doubled = self.buffer.len() * 2;
            self.buffer.resize(doubled, 0);
        }
        let before = self.end;
        while self.end < self.buffer.len() {
            match self.reader.read(&mut self.buffer[self.end..]) {
                Ok(0) => {
                    self.exhausted = true;
                    break;
                }
                Ok(count) => self.end += count,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(StreamError::Io(error)),
            }
        }
        Ok(self.end > before)
    }

    fn peek(&mut self) -> Result<Option<u8>> {
        if self.start == self.end && !self.read_more()? {
            return Ok(None);
        }
        Ok(Some(self.buffer[self.start]))
    }

    /// Consumes `count` bytes at hand, following lines.
    fn consume(&mut self, count: usize) {
        let taken = &self.buffer[self.start..self.start + count];
        let newlines = taken.iter().filter(|byte| **byte == b'\n').count();
        if newlines > 0 {
            self.line += newlines;
            let last = taken.iter().rposition(|byte| *byte == b'\n').unwrap_or(0);
            self.line_start = self.offset + (self.start + last + 1) as u64;
        }
        self.start += count;
    }

    fn skip_whitespace(&mut self) -> Result<Option<u8>> {
        loop {
            let at_hand = self.at_hand();
            let blank = at_hand
                .iter()
                .position(|byte| !matches!(byte, b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(at_hand.len());
            self.consume(blank);
            if self.start < self.end {
                return Ok(Some(self.buffer[self.start]));
            }
            if !self.read_more()? {
                return Ok(None);
            }
        }
    }

    fn expect_after_whitespace(&mut self, wanted: u8, what: &str) -> Result<()> {
        match self.skip_whitespace()? {
            Some(byte) if byte == wanted => {
                self.consume(1);
                Ok(())
            }
            Some(_) => self.error(format!("expected {what}")),
            None => self.error(format!("EOF while parsing: expected {what}")),
        }
    }

    /// Lets serde_json read one value of type `T` from the bytes at hand.
    fn attempt<T: DeserializeOwned>(&self) -> Attempt<T> {
        let at_hand = self.at_hand();
        let mut values = serde_json::Deserializer::from_slice(at_hand).into_iter::<T>();
        match values.next() {
            None if self.exhausted => match serde_json::from_slice::<IgnoredAny>(b"") {
                Err(error) => Attempt::Failed(error),
                Ok(_) => Attempt::NeedMore,
            },
            None => Attempt::NeedMore,
            Some(Ok(value)) => {
                let used = values.byte_offset();
                // A number could go on in the next bytes.
                if used == at_hand.len() && !self.exhausted {
                    Attempt::NeedMore
                } else {
                    Attempt::Done(value, used)
                }
            }
            Some(Err(error)) => {
                let offset = offset_of(at_hand, error.line(), error.column());
                if !self.exhausted && (error.is_eof() || offset + 2 >= at_hand.len()) {
                    Attempt::NeedMore
                } else {
                    Attempt::Failed(error)
                }
            }
        }
    }

    /// Consumes the `used` bytes of a value serde_json accepted, after
    /// checking that its strings are UTF-8 (serde_json does not check the
    /// strings it skips; outside strings, valid JSON is ASCII).
    fn accept(&mut self, used: usize, field: &str) -> Result<()> {
        if let Err(error) = std::str::from_utf8(&self.buffer[self.start..self.start + used]) {
            self.consume(error.valid_up_to());
            return self.error(format!("field `{field}`: invalid UTF-8 in a string"));
        }
        self.consume(used);
        Ok(())
    }

    /// Deserializes the next value (after whitespace); errors point into the input.
    fn parse<T: DeserializeOwned>(&mut self, field: &str) -> Result<T> {
        if self.skip_whitespace()?.is_none() {
            return self.error(format!("field `{field}`: EOF while parsing a value"));
        }
        let mark = self.mark();
        loop {
            match self.attempt::<T>() {
                Attempt::Done(value, used) => {
                    self.accept(used, field)?;
                    return Ok(value);
                }
                Attempt::Failed(error) => return Err(translate(&error, mark, field)),
                // At the end of the input, the next attempt reports what is missing.
                Attempt::NeedMore => {
                    self.read_more()?;
                }
            }
        }
    }

    /// Skips the next value (after whitespace), checking its syntax. A value
    /// that fills the buffer is walked container by container instead.
    fn skip(&mut self, field: &str, depth: usize) -> Result<()> {
        let Some(first) = self.skip_whitespace()? else {
            return self.error(format!("field `{field}`: EOF while parsing a value"));
        };
        let mark = self.mark();
        loop {
            match self.attempt::<IgnoredAny>() {
                Attempt::Done(_, used) => return self.accept(used, field),
                Attempt::Failed(error) => return Err(translate(&error, mark, field)),
                Attempt::NeedMore => {
                    let full = self.start == 0 && self.end == self.buffer.len();
                    if full && matches!(first, b'{' | b'[') {
                        return self.skip_container(field, depth);
                    }
                    self.read_more()?;
                }
            }
        }
    }

    /// Walks an object or array too large for the buffer, skipping its members.
    fn skip_container(&mut self, field: &str, depth: usize) -> Result<()> {
        if depth >= MAX_SKIP_DEPTH {
            return self.error(format!("field `{field}`: recursion limit exceeded"));
        }
        let object = self.buffer[self.start] == b'{';
        let close = if object { b'}' } else { b']' };
        self.consume(1);
        if self.skip_whitespace()? == Some(close) {
            self.consume(1);
            return Ok(());
        }
        loop {
            if object {
                match self.skip_whitespace()? {
                    Some(b'"') => self.skip(field, depth + 1)?,
                    Some(_) => return self.error(format!("field `{field}`: key must be a string")),
                    None => {
                        return self.error(format!("field `{field}`: EOF while parsing an object"))
                    }
                }
                self.expect_after_whitespace(b':', "`:`")?;
            }
            self.skip(field, depth + 1)?;
            match self.skip_whitespace()? {
                Some(b',') => self.consume(1),
                Some(byte) if byte == close => {
                    self.consume(1);
                    return Ok(());
                }
                Some(_) if object => {
                    return self.error(format!("field `{field}`: expected `,` or `}}`"))
                }
                Some(_) => return self.error(format!("field `{field}`: expected `,` or `]`")),
                None => return self.error(format!("field `{field}`: EOF while parsing a value")),
            }
        }
    }

    /// Reads a member name (after whitespace); `None` at the closing brace.
    fn member_name(&mut self, first: bool) -> Result<Option<String>> {
        match self.skip_whitespace()? {
            Some(b'}') => {
                self.consume(1);
                return Ok(None);
            }
            Some(b',') if !first => {
                self.consume(1);
                self.skip_whitespace()?;
            }
            Some(b'"') if first => {}
            Some(_) if first => return self.error("expected a member name or `}`"),
            Some(_) => return self.error("expected `,` or `}`"),
            None => return self.error("EOF while parsing an object"),
        }
        match self.peek()? {
            Some(b'"') => {}
            Some(_) => return self.error("key must be a string"),
            None => return self.error("EOF while parsing an object"),
        }
        let name: String = self.parse("member name")?;
        self.expect_after_whitespace(b':', "`:`")?;
        Ok(Some(name))
    }

    /// Streams an array, handing each deserialized element to `each`.
    fn array_with<T: DeserializeOwned>(
        &mut self,
        field: &str,
        mut each: impl FnMut(T),
    ) -> Result<()> {
        match self.skip_whitespace()? {
            Some(b'[') => self.consume(1),
            Some(b'n') => {
                let _: Option<()> = self.parse(field)?;
                return Ok(());
            }
            _ => return self.error(format!("field `{field}`: expected an array")),
        }
        let mut first = true;
        loop {
            match self.skip_whitespace()? {
                Some(b']') => {
                    self.consume(1);
                    return Ok(());
                }
                Some(b',') if !first => {
                    self.consume(1);
                }
                Some(_) if first => {}
                Some(_) => return self.error(format!("field `{field}`: expected `,` or `]`")),
                None => return self.error(format!("field `{field}`: EOF while parsing a list")),
            }
            first = false;
            each(self.parse(field)?);
        }
    }
}

/// The byte offset in `bytes` of serde_json's (line, column).
fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut line_start = 0;
    if line > 1 {
        let mut newlines = 0;
        for (position, byte) in bytes.iter().enumerate() {
            if *byte == b'\n' {
                newlines += 1;
                if newlines == line - 1 {
                    line_start = position + 1;
                    break;
                }
            }
        }
    }
    line_start + column
}

/// A serde_json error inside a value starting at `mark`, placed in the input.
fn translate(error: &serde_json::Error, mark: Mark, field: &str) -> StreamError {
    let (line, column) = if error.line() <= 1 {
        (mark.line, mark.column + error.column().saturating_sub(1))
    } else {
        (mark.line + error.line() - 1, error.column())
    };
    // serde_json says column 0 for the end of the previous line.
    let column = column.max(1);
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
}

/// Reads a whole plan from `reader`.
pub fn read_plan(reader: impl Read) -> Result<Plan> {
    read_plan_buffered(reader, DEFAULT_BUFFER)
}

/// [`read_plan`] with a read buffer of `buffer` bytes (at least 16): smaller
/// buffers walk more of the skipped members container by container.
pub fn read_plan_buffered(reader: impl Read, buffer: usize) -> Result<Plan> {
    let mut scanner = Scanner::new(reader, buffer);
    match scanner.skip_whitespace()? {
        Some(b'{') => scanner.consume(1),
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
            "resource_drift" => {
                let drift = &mut plan.resource_drift;
                scanner.array_with(&name, |change| drift.push(change))?
            }
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
                    plan.planned_values = Some(IgnoredAny);
                }
                if !SKIPPED.contains(&other) {
                    tracing::trace!(member = other, "skipping a plan member no rule reads");
                }
                scanner.skip(&name, 0)?;
            }
        }
    }
    if scanner.skip_whitespace()?.is_some() {
        return scanner.error("trailing characters");
    }
    // The records outlive the read: give back what the growth reserved.
    plan.resource_changes.shrink_to_fit();
    plan.resource_drift.shrink_to_fit();
    Ok(plan)
}
