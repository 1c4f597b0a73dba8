//! Collecting the plan's sensitive strings beside the reader: the plan
//! reader's [`SensitiveSink`].
//!
//! The readers hand it every masked value they meet (the masked `before` /
//! `after` of each resource change, the `values` of each `prior_state`
//! resource under its `sensitive_values`, each sensitive `prior_state`
//! output), as JSON text with the mask's text. The texts are gathered into
//! batches, one buffer each, handed to a thread of its own while the reader
//! goes on through the input; each batch is walked there by the one walk of
//! [`super::mask`]. A plan small enough for one batch never starts the
//! thread.

use std::collections::BTreeSet;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use super::mask::{collect_masked_text, may_mark, Mask, SensitiveSink};
use super::scanner::{Result, StreamError};

/// Bytes of text gathered before a batch is handed over.
const BATCH_BYTES: usize = 256 * 1024;

/// Batches that may wait for the collecting thread.
const QUEUED_BATCHES: usize = 4;

/// Masked values one after the other in one buffer: for each, where its
/// text and its mask's text end.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<(usize, usize)>,
}

impl Batch {
    /// Walks every value under its mask into `found`; gives back the emptied
    /// byte buffer.
    fn collect(self, found: &mut BTreeSet<String>) -> Vec<u8> {
        let mut strings = Vec::new();
        let mut from = 0;
        for &(value_end, mask_end) in &self.ends {
            let value = text(&self.bytes[from..value_end]);
            let mask = Mask::parse(text(&self.bytes[value_end..mask_end]));
            from = mask_end;
            if mask.marks_anything() {
                collect_masked_text(value, &mask, &mut strings);
            }
        }
        found.extend(strings);
        let mut bytes = self.bytes;
        bytes.clear();
        bytes
    }
}

/// Text the reader copied from JSON it accepted (so UTF-8).
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Gathers masked values into batches and has them collected, on a thread
/// once there is more than one batch.
#[derive(Default)]
pub(super) struct SecretCollector {
    batch: Batch,
    worker: Option<Worker>,
}

struct Worker {
    batches: SyncSender<Batch>,
    /// Byte buffers coming back for reuse.
    returned: Receiver<Vec<u8>>,
    thread: JoinHandle<BTreeSet<String>>,
}

impl SensitiveSink for SecretCollector {
    fn masked(&mut self, value: &str, mask: &str) {
        if !may_mark(mask) {
            return;
        }
        let batch = &mut self.batch;
        batch.bytes.extend_from_slice(value.as_bytes());
        let value_end = batch.bytes.len();
        batch.bytes.extend_from_slice(mask.as_bytes());
        batch.ends.push((value_end, batch.bytes.len()));
    }
}

impl SecretCollector {
    /// Hands over the values gathered once they fill a batch.
    pub(super) fn check(&mut self) -> Result<()> {
        if self.batch.bytes.len() < BATCH_BYTES {
            return Ok(());
        }
        let spare = self.spare_buffer();
        let full = std::mem::replace(
            &mut self.batch,
            Batch {
                bytes: spare,
                ends: Vec::new(),
            },
        );
        self.hand_over(full)
    }

    /// A buffer the thread gave back, or a new one.
    fn spare_buffer(&mut self) -> Vec<u8> {
        self.worker
            .as_ref()
            .and_then(|worker| worker.returned.try_recv().ok())
            .unwrap_or_else(|| Vec::with_capacity(BATCH_BYTES * 2))
    }

    fn hand_over(&mut self, batch: Batch) -> Result<()> {
        let worker = match &mut self.worker {
            Some(worker) => worker,
            None => self.worker.insert(start_worker()?),
        };
        if worker.batches.send(batch).is_err() {
            self.worker = None;
            return Err(stopped());
        }
        Ok(())
    }

    /// Every sensitive string collected.
    pub(super) fn finish(mut self) -> Result<BTreeSet<String>> {
        let last = std::mem::take(&mut self.batch);
        let Some(worker) = self.worker.take() else {
            let mut found = BTreeSet::new();
            last.collect(&mut found);
            return Ok(found);
        };
        let sent = worker.batches.send(last).is_ok();
        let found = worker.finish()?;
        if !sent {
            return Err(stopped());
        }
        Ok(found)
    }
}

impl Worker {
    fn finish(self) -> Result<BTreeSet<String>> {
        drop(self.batches);
        self.thread.join().map_err(|_| stopped())
    }
}

fn stopped() -> StreamError {
    StreamError::Io(std::io::Error::other(
        "the thread collecting sensitive values stopped unexpectedly",
    ))
}

fn start_worker() -> Result<Worker> {
    let (batches, received) = sync_channel::<Batch>(QUEUED_BATCHES);
    let (give_back, returned) = sync_channel::<Vec<u8>>(QUEUED_BATCHES);
    let thread = std::thread::Builder::new()
        .name("plan-secrets".into())
        .spawn(move || {
            let mut found = BTreeSet::new();
            for batch in received {
                let bytes = batch.collect(&mut found);
                let _ = give_back.try_send(bytes);
            }
            found
        })
        .map_err(StreamError::Io)?;
    Ok(Worker {
        batches,
        returned,
        thread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The collector finds what collecting at once finds, in one batch or
    /// across many (on the thread).
    #[test]
    fn batches_find_what_collecting_at_once_finds() {
        let cases: &[(&str, &str)] = &[
            (r#"{"a": "x", "b": "y"}"#, r#"{"b": true}"#),
            (r#"["p", "q"]"#, "[false, true]"),
            (r#"{"k": {"n": 1.50}}"#, "true"),
            (r#"{"open": "o"}"#, r#"{"open": false}"#),
            (r#""whole""#, "true"),
        ];
        for copies in [1, 20_000] {
            let mut collector = SecretCollector::default();
            let mut at_once: Vec<String> = Vec::new();
            for copy in 0..copies {
                for (value, mask) in cases {
                    let value = value.replace("x", &format!("x{copy}"));
                    collector.masked(&value, mask);
                    at_once.masked(&value, mask);
                }
                collector.check().unwrap();
            }
            assert_eq!(copies > 1, collector.worker.is_some(), "{copies} copies");
            let found: Vec<String> = collector.finish().unwrap().into_iter().collect();
            at_once.sort();
            at_once.dedup();
            assert_eq!(found, at_once, "{copies} copies");
            assert!(found.contains(&"1.5".to_string()));
            assert!(!found.contains(&"o".to_string()));
        }
    }
}
