//! Sensitive values of the plan's `prior_state`, collected while the plan is
//! read.
//!
//! The plan reader skips `prior_state` (it is as large as the state), yet it
//! holds sensitive values found nowhere else: data sources read during the
//! plan (`sensitive_values` masks of `prior_state.values...resources[]`) and
//! sensitive outputs of the previous run. [`PriorStateTap`] wraps the input
//! stream: it follows the JSON structure byte by byte, keeps only one resource
//! object of `prior_state` at a time (and the `outputs` object), and collects
//! the strings under their masks. Malformed JSON is for the plan reader to
//! report; the tap then stops following.

use std::collections::BTreeSet;
use std::io::Read;

use serde_json::Value;

use crate::plan::model::{collect_all, collect_masked};

/// Deeper nesting is not followed (serde_json refuses it anyway).
const MAX_DEPTH: usize = 256;
/// Object keys longer than this cannot be a key the tap looks for.
const MAX_KEY: usize = 32;

/// How many chunks of input may wait for the scanner thread.
const QUEUED_CHUNKS: usize = 8;

/// A reader that passes bytes through and collects `prior_state` secrets. The
/// bytes are followed on a thread of their own, beside the plan reader, so the
/// second pass over the input costs no wall time on a machine with two cores;
/// at most [`QUEUED_CHUNKS`] chunks wait for it.
pub struct PriorStateTap<R> {
    inner: R,
    chunks: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    scanner: Option<std::thread::JoinHandle<BTreeSet<String>>>,
}

impl<R: Read> PriorStateTap<R> {
    pub fn new(inner: R) -> Self {
        let (chunks, received) = std::sync::mpsc::sync_channel::<Vec<u8>>(QUEUED_CHUNKS);
        let scanner = std::thread::Builder::new()
            .name("prior-state".into())
            .spawn(move || {
                let mut scanner = Scanner::default();
                for chunk in received {
                    scanner.feed(&chunk);
                }
                scanner.found
            })
            .ok();
        PriorStateTap {
            inner,
            chunks: scanner.is_some().then_some(chunks),
            scanner,
        }
    }

    /// The sensitive strings found (each once), once the input is read; `None`
    /// when they could not be collected (the caller then refuses to report).
    pub fn into_secrets(mut self) -> Option<BTreeSet<String>> {
        drop(self.chunks.take());
        self.scanner.take()?.join().ok()
    }
}

impl<R: Read> Read for PriorStateTap<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        if count > 0 {
            let sent = self
                .chunks
                .as_ref()
                .is_some_and(|chunks| chunks.send(buffer[..count].to_vec()).is_ok());
            if !sent {
                self.chunks = None;
            }
        }
        Ok(count)
    }
}

/// One open object or array.
struct Frame {
    object: bool,
    /// The member name being read or whose value is being read (objects).
    key: Vec<u8>,
    expecting_key: bool,
}

#[derive(Clone, Copy)]
enum CaptureKind {
    /// An element of a `resources` array in `prior_state`.
    Resource,
    /// `prior_state.values.outputs`.
    Outputs,
}

struct Capture {
    kind: CaptureKind,
    /// The stack depth at which the captured object closes.
    depth: usize,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct Scanner {
    stack: Vec<Frame>,
    in_string: bool,
    escaped: bool,
    /// Whether the string being read is a member name the tap records.
    reading_key: bool,
    /// The bytes of that member name (reused).
    key: Vec<u8>,
    capture: Option<Capture>,
    found: BTreeSet<String>,
    /// Set when the input is not JSON the tap can follow.
    stopped: bool,
}

impl Scanner {
    fn feed(&mut self, bytes: &[u8]) {
        let mut index = 0;
        while index < bytes.len() && !self.stopped {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    self.copy(&bytes[index..=index]);
                    index += 1;
                    continue;
                }
                let rest = &bytes[index..];
                let plain = rest
                    .iter()
                    .position(|byte| matches!(byte, b'"' | b'\\'))
                    .unwrap_or(rest.len());
                self.copy(&rest[..plain]);
                index += plain;
                if index == bytes.len() {
                    break;
                }
                let byte = bytes[index];
                self.copy(&bytes[index..=index]);
                index += 1;
                if byte == b'\\' {
                    self.escaped = true;
                } else {
                    self.end_string();
                }
                continue;
            }
            // Whitespace, numbers and literals need no attention.
            let rest = &bytes[index..];
            let plain = rest
                .iter()
                .position(|byte| matches!(byte, b'"' | b'{' | b'}' | b'[' | b']' | b','))
                .unwrap_or(rest.len());
            self.copy_capture(&rest[..plain]);
            index += plain;
            if index == bytes.len() {
                break;
            }
            let byte = bytes[index];
            match byte {
                b'"' => {
                    self.in_string = true;
                    // Member names matter at the top level and inside `prior_state` only.
                    let relevant = self.stack.len() == 1 || self.key_at(0) == Some(b"prior_state");
                    if relevant
                        && self
                            .stack
                            .last()
                            .is_some_and(|top| top.object && top.expecting_key)
                    {
                        self.reading_key = true;
                        self.key.clear();
                    }
                    self.copy_capture(&bytes[index..=index]);
                }
                b'{' | b'[' => self.open(byte == b'{', &bytes[index..=index]),
                b'}' | b']' => {
                    self.copy_capture(&bytes[index..=index]);
                    self.close();
                }
                b',' => {
                    if let Some(top) = self.stack.last_mut() {
                        top.expecting_key = top.object;
                    }
                    self.copy_capture(&bytes[index..=index]);
                }
                _ => self.copy_capture(&bytes[index..=index]),
            }
            index += 1;
        }
    }

    /// Bytes inside a string: to the member name being read and the capture.
    fn copy(&mut self, bytes: &[u8]) {
        if self.reading_key && self.key.len() <= MAX_KEY {
            let room = MAX_KEY + 1 - self.key.len();
            self.key.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        self.copy_capture(bytes);
    }

    fn copy_capture(&mut self, bytes: &[u8]) {
        if let Some(capture) = &mut self.capture {
            capture.bytes.extend_from_slice(bytes);
        }
    }

    fn end_string(&mut self) {
        self.in_string = false;
        if self.reading_key {
            self.reading_key = false;
            // The closing quote was copied too.
            self.key.pop();
            if let Some(top) = self.stack.last_mut() {
                top.key.clear();
                top.key.extend_from_slice(&self.key);
                top.expecting_key = false;
            }
        }
    }

    /// The member name of the frame at `depth`, if it is an object.
    fn key_at(&self, depth: usize) -> Option<&[u8]> {
        self.stack
            .get(depth)
            .filter(|frame| frame.object)
            .map(|frame| frame.key.as_slice())
    }

    fn open(&mut self, object: bool, byte: &[u8]) {
        if self.stack.len() >= MAX_DEPTH {
            self.stopped = true;
            return;
        }
        if object && self.capture.is_none() && self.key_at(0) == Some(b"prior_state") {
            let depth = self.stack.len();
            let kind = if depth >= 3
                && self.stack.last().is_some_and(|top| !top.object)
                && self.key_at(depth - 2) == Some(b"resources")
            {
                Some(CaptureKind::Resource)
            } else if depth == 3
                && self.key_at(2) == Some(b"outputs")
                && self.key_at(1) == Some(b"values")
            {
                Some(CaptureKind::Outputs)
            } else {
                None
            };
            if let Some(kind) = kind {
                self.capture = Some(Capture {
                    kind,
                    depth,
                    bytes: Vec::new(),
                });
            }
        }
        self.copy_capture(byte);
        self.stack.push(Frame {
            object,
            key: Vec::new(),
            expecting_key: object,
        });
    }

    fn close(&mut self) {
        if self.stack.pop().is_none() {
            self.stopped = true;
            return;
        }
        let finished = self
            .capture
            .as_ref()
            .is_some_and(|capture| capture.depth == self.stack.len());
        if finished {
            if let Some(capture) = self.capture.take() {
                collect(capture, &mut self.found);
            }
        }
    }
}

fn collect(capture: Capture, found: &mut BTreeSet<String>) {
    // Without a `true` nothing is sensitive: most resources need no parse.
    if !capture.bytes.windows(4).any(|window| window == b"true") {
        return;
    }
    let Ok(value) = serde_json::from_slice::<Value>(&capture.bytes) else {
        return;
    };
    let mut strings = Vec::new();
    collect_value(capture.kind, &value, &mut strings);
    found.extend(strings);
}

fn collect_value(kind: CaptureKind, value: &Value, found: &mut Vec<String>) {
    match kind {
        CaptureKind::Resource => {
            let mask = value.get("sensitive_values").unwrap_or(&Value::Null);
            if let Some(values) = value.get("values") {
                collect_masked(values, mask, found);
            }
        }
        CaptureKind::Outputs => {
            let Value::Object(outputs) = value else {
                return;
            };
            for output in outputs.values() {
                if output.get("sensitive") == Some(&Value::Bool(true)) {
                    collect_all(output.get("value").unwrap_or(&Value::Null), found);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets_of(json: &str, chunk: usize) -> Vec<String> {
        let mut scanner = Scanner::default();
        for piece in json.as_bytes().chunks(chunk) {
            scanner.feed(piece);
        }
        scanner.found.into_iter().collect()
    }

    #[test]
    fn masked_values_of_prior_state_resources_and_outputs_are_found() {
        let json = r#"{"variables": {"prior_state": {"values": {"outputs": {"x": {"sensitive": true, "value": "decoy"}}}}},
          "prior_state": {"format_version": "1.0", "values": {
            "outputs": {"db": {"sensitive": true, "value": "out-secret"}, "open": {"sensitive": false, "value": "visible"}},
            "root_module": {
              "resources": [{"address": "data.x.y", "values": {"password": "pa\"ss}]", "name": "n"}, "sensitive_values": {"password": true}}],
              "child_modules": [{"resources": [{"values": {"list": ["a", "deep-secret"]}, "sensitive_values": {"list": [false, true]}}]}]
            }}},
          "configuration": {"resources": [{"values": {"p": "no"}, "sensitive_values": {"p": true}}]}}"#;
        let expected = vec!["deep-secret", "out-secret", "pa\"ss}]"];
        for chunk in [1, 3, 7, 4096] {
            assert_eq!(secrets_of(json, chunk), expected, "chunks of {chunk}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "}}]]",
            "{\"prior_state\": [[[{",
            "\"\\",
            "{\"prior_state\":{\"values\":{\"outputs\":{",
        ] {
            secrets_of(text, 2);
        }
    }
}

#[cfg(test)]
mod tap_tests {
    use super::*;

    #[test]
    fn the_tap_passes_every_byte_and_collects_on_its_thread() {
        let json = br#"{"prior_state": {"values": {"outputs": {"k": {"sensitive": true, "value": "tapped-secret"}}}}}"#;
        let mut tap = PriorStateTap::new(&json[..]);
        let mut passed = Vec::new();
        let mut buffer = [0u8; 5];
        loop {
            let count = tap.read(&mut buffer).unwrap();
            if count == 0 {
                break;
            }
            passed.extend_from_slice(&buffer[..count]);
        }
        assert_eq!(passed, json);
        let found = tap.into_secrets().unwrap();
        assert_eq!(found.into_iter().collect::<Vec<_>>(), vec!["tapped-secret"]);
    }
}
