//! The JSON scanner under the plan reader: a plan object read member by
//! member from a buffered stream, each value handed to serde_json straight
//! from the buffer (no copy), borrowing from it where the record allows. It
//! knows nothing of plans; the plan reader (`reader.rs`) says what each member becomes.
//!
//! A value that must be deserialized whole grows the buffer to fit; a value
//! to skip (checked to be valid JSON) that is larger than the buffer is
//! walked container by container, so memory stays near the buffer size plus
//! the largest single element whatever the size of `planned_values` or
//! `prior_state`. Lines are counted only as bytes leave the buffer, in bulk,
//! and errors carry the line and column in the whole input.
//!
//! Why not a crate. serde_json reads one value from a reader
//! (`Deserializer::from_reader`) but then only through its own per-byte
//! reader, which neither borrows (no `&RawValue`, no `&str` keys, so every
//! masked value and name is copied) nor lets the caller stop between the
//! elements of a large array; its `StreamDeserializer` reads a sequence of
//! top-level values, not the members of one object. simd-json needs the
//! whole document in memory (a mutable buffer of the input's size, plus its
//! tape), so its memory grows with the plan where this scanner's does not;
//! struson and similar pull parsers build each value token by token instead
//! of letting serde_json read it from a slice at full speed. This scanner
//! gives serde_json's slice speed with streaming memory: `bench/plan.sh`
//! with 100,000 resources (a 214 MiB plan, text format) takes a median of
//! 0.72 s at a peak RSS of 71 MiB, where simd-json would hold over 214 MiB of
//! input alone.
//!
//! Imports nothing else of the plan.

use std::io::Read;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

/// The buffer the input is read into; it grows only for a single value that
/// must be deserialized whole and does not fit.
pub const DEFAULT_BUFFER: usize = 256 * 1024;

/// The smallest read buffer.
const MIN_BUFFER: usize = 16;

/// How deep skipped or walked containers larger than the buffer may nest
/// (serde_json's own limit inside the buffer is 128).
pub(super) const MAX_DEPTH: usize = 128;

/// An error with its position in the input (1-based line and column).
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{message} at line {line} column {column}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
}

pub(super) type Result<T> = std::result::Result<T, StreamError>;

/// Byte source with position tracking. Unconsumed bytes are
/// `buffer[start..end]`; refilling moves them to the front first.
pub(super) struct Scanner<R> {
    reader: R,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// The reader has no more bytes.
    exhausted: bool,
    /// Bytes consumed before `buffer[0]`.
    offset: u64,
    /// Line of `buffer[0]`.
    line: usize,
    /// Absolute offset of the first byte of the line of `buffer[0]`.
    line_start: u64,
}

/// Where a value starts (its absolute offset), to place errors inside it.
#[derive(Clone, Copy)]
pub(super) struct Mark(u64);

/// What serde_json made of the bytes at hand.
enum Attempt<T> {
    Done(T, usize),
    /// The value may continue past the bytes at hand.
    NeedMore,
    Failed(serde_json::Error),
}

impl<R: Read> Scanner<R> {
    pub(super) fn new(reader: R, capacity: usize) -> Self {
        Scanner {
            reader,
            buffer: vec![0; capacity.max(MIN_BUFFER)],
            start: 0,
            end: 0,
            exhausted: false,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    pub(super) fn mark(&self) -> Mark {
        Mark(self.offset + self.start as u64)
    }

    /// The 1-based line and column of an absolute offset still in the buffer
    /// (or at its end).
    fn position(&self, absolute: u64) -> (usize, usize) {
        let local = (absolute.saturating_sub(self.offset) as usize).min(self.end);
        let before = &self.buffer[..local];
        let newlines = memchr::memchr_iter(b'\n', before).count();
        let line_start = match memchr::memrchr(b'\n', before) {
            Some(last) => self.offset + last as u64 + 1,
            None => self.line_start,
        };
        let column = (self.offset + local as u64 - line_start) as usize + 1;
        (self.line + newlines, column)
    }

    /// An error placed where a value that started at `mark` starts (still
    /// in the buffer: consumed bytes leave it only when more is read).
    pub(super) fn error_at<T>(&self, mark: Mark, message: impl Into<String>) -> Result<T> {
        let (line, column) = self.position(mark.0);
        Err(StreamError::Syntax {
            line,
            column,
            message: message.into(),
        })
    }

    pub(super) fn error<T>(&self, message: impl Into<String>) -> Result<T> {
        let (line, column) = self.position(self.offset + self.start as u64);
        Err(StreamError::Syntax {
            line,
            column,
            message: message.into(),
        })
    }

    /// Counts the lines of the consumed bytes `buffer[..start]` before they
    /// leave the buffer.
    fn forget_consumed(&mut self) {
        let consumed = &self.buffer[..self.start];
        if let Some(last) = memchr::memrchr(b'\n', consumed) {
            self.line += memchr::memchr_iter(b'\n', consumed).count();
            self.line_start = self.offset + last as u64 + 1;
        }
        self.offset += self.start as u64;
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
            self.forget_consumed();
            self.buffer.copy_within(self.start..self.end, 0);
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

    /// Consumes `count` bytes at hand.
    pub(super) fn consume(&mut self, count: usize) {
        self.start += count;
    }

    /// The first byte of the next value or token (after whitespace), not consumed.
    pub(super) fn skip_whitespace(&mut self) -> Result<Option<u8>> {
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
    fn attempt<'s, T: Deserialize<'s>>(&'s self) -> Attempt<T> {
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
    pub(super) fn parse<T: DeserializeOwned>(&mut self, field: &str) -> Result<T> {
        self.parse_borrowed(field, &mut Owned(std::marker::PhantomData))
    }

    /// Reads the next value (after whitespace) as `R::Raw`, borrowing from
    /// the buffer, and hands it to `reader`; errors point into the input.
    pub(super) fn parse_borrowed<B: ReadBorrowed>(
        &mut self,
        field: &str,
        reader: &mut B,
    ) -> Result<B::Output> {
        if self.skip_whitespace()?.is_none() {
            return self.error(format!("field `{field}`: EOF while parsing a value"));
        }
        let mark = self.mark();
        loop {
            // The borrowed value is finished before the buffer moves on.
            let outcome = match self.attempt::<B::Raw<'_>>() {
                Attempt::Done(raw, used) => Attempt::Done(reader.finish(raw), used),
                Attempt::Failed(error) => Attempt::Failed(error),
                Attempt::NeedMore => Attempt::NeedMore,
            };
            match outcome {
                Attempt::Done(output, used) => {
                    self.accept(used, field)?;
                    return Ok(output);
                }
                Attempt::Failed(error) => return Err(self.translate(&error, mark, field)),
                Attempt::NeedMore => {
                    self.read_more()?;
                }
            }
        }
    }

    /// Skips the next value (after whitespace), checking its syntax. A value
    /// that fills the buffer is walked container by container instead.
    pub(super) fn skip(&mut self, field: &str, depth: usize) -> Result<()> {
        let Some(first) = self.skip_whitespace()? else {
            return self.error(format!("field `{field}`: EOF while parsing a value"));
        };
        let mark = self.mark();
        loop {
            match self.attempt::<IgnoredAny>() {
                Attempt::Done(_, used) => return self.accept(used, field),
                Attempt::Failed(error) => return Err(self.translate(&error, mark, field)),
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
        if depth >= MAX_DEPTH {
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
    /// Errors name `field` unless it is the plan itself.
    pub(super) fn member_name(
        &mut self,
        first: bool,
        field: Option<&str>,
    ) -> Result<Option<String>> {
        let problem = |what: &str| match field {
            Some(field) => format!("field `{field}`: {what}"),
            None => what.to_string(),
        };
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
            Some(_) if first => return self.error(problem("expected a member name or `}`")),
            Some(_) => return self.error(problem("expected `,` or `}`")),
            None => return self.error(problem("EOF while parsing an object")),
        }
        match self.peek()? {
            Some(b'"') => {}
            Some(_) => return self.error(problem("key must be a string")),
            None => return self.error(problem("EOF while parsing an object")),
        }
        let name: String = self.parse(field.unwrap_or("member name"))?;
        self.expect_after_whitespace(b':', "`:`")?;
        Ok(Some(name))
    }

    /// Walks the object that comes next (its `{` not yet consumed), handing
    /// each member name to `each`, which must consume the member's value.
    /// Anything but an object is skipped (checked to be JSON).
    pub(super) fn object_each(
        &mut self,
        field: &str,
        depth: usize,
        mut each: impl FnMut(&mut Self, &str) -> Result<()>,
    ) -> Result<()> {
        if self.skip_whitespace()? != Some(b'{') {
            return self.skip(field, depth);
        }
        if depth >= MAX_DEPTH {
            return self.error(format!("field `{field}`: recursion limit exceeded"));
        }
        self.consume(1);
        let mut first = true;
        while let Some(name) = self.member_name(first, Some(field))? {
            first = false;
            each(self, &name)?;
        }
        Ok(())
    }

    /// Walks the array that comes next (its `[` not yet consumed), letting
    /// `each` consume every element. Anything but an array is skipped
    /// (checked to be JSON).
    pub(super) fn array_each(
        &mut self,
        field: &str,
        depth: usize,
        mut each: impl FnMut(&mut Self) -> Result<()>,
    ) -> Result<()> {
        if self.skip_whitespace()? != Some(b'[') {
            return self.skip(field, depth);
        }
        if depth >= MAX_DEPTH {
            return self.error(format!("field `{field}`: recursion limit exceeded"));
        }
        self.consume(1);
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
            each(self)?;
        }
    }

    /// Walks an array (or `null`) that comes next, letting `each` consume
    /// every element; anything else is an error.
    pub(super) fn array_or_null(
        &mut self,
        field: &str,
        each: impl FnMut(&mut Self) -> Result<()>,
    ) -> Result<()> {
        match self.skip_whitespace()? {
            Some(b'[') => self.array_each(field, 0, each),
            Some(b'n') => {
                let _: Option<()> = self.parse(field)?;
                Ok(())
            }
            _ => self.error(format!("field `{field}`: expected an array")),
        }
    }

    /// Streams an array (or `null`), handing each deserialized element to `each`.
    pub(super) fn array_with<T: DeserializeOwned>(
        &mut self,
        field: &str,
        mut each: impl FnMut(T),
    ) -> Result<()> {
        self.array_or_null(field, |scanner| {
            each(scanner.parse(field)?);
            Ok(())
        })
    }

    /// A serde_json error inside a value starting at `mark`, placed in the input.
    fn translate(&self, error: &serde_json::Error, mark: Mark, field: &str) -> StreamError {
        place(error, self.position(mark.0), field)
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

/// Reads a value that borrows from the input (`Raw`) into one that does not.
pub trait ReadBorrowed {
    type Raw<'a>: Deserialize<'a>;
    type Output;
    fn finish(&mut self, raw: Self::Raw<'_>) -> Self::Output;
}

/// A value that borrows nothing: read as it is.
struct Owned<T>(std::marker::PhantomData<T>);

impl<T: DeserializeOwned> ReadBorrowed for Owned<T> {
    type Raw<'a> = T;
    type Output = T;
    fn finish(&mut self, value: T) -> T {
        value
    }
}

/// A serde_json error inside a value that starts at line and column `start`
/// of the input, placed in the input.
fn place(error: &serde_json::Error, start: (usize, usize), field: &str) -> StreamError {
    let (start_line, start_column) = start;
    let (line, column) = if error.line() <= 1 {
        (start_line, start_column + error.column().saturating_sub(1))
    } else {
        (start_line + error.line() - 1, error.column())
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
