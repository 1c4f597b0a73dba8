//! Collecting the plan's sensitive strings beside the reader.
//!
//! Collecting means walking values under their masks: the masked `before` /
//! `after` of each resource change (copied as text, with the mask's text, as
//! the reader deserializes the change) and every resource of `prior_state`
//! (checked by the reader with serde_json's fast skip and cut out of the
//! stream). The texts are gathered into batches, one buffer each, handed to a
//! thread of its own while the reader goes on through the input; a plan small
//! enough for one batch never starts the thread. An error in a `prior_state`
//! resource names its line and column in the whole input.

use std::collections::BTreeSet;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use serde_json::value::RawValue;

use super::mask::Mask;
use super::model::{collect_masked_text, SensitiveSink};
use super::prior_state::ResourceSecrets;
use super::stream::{place, Result, StreamError};

/// Bytes of text gathered before a batch is handed over.
const BATCH_BYTES: usize = 256 * 1024;

/// Batches that may wait for the collecting thread.
const QUEUED_BATCHES: usize = 4;

const PRIOR_STATE_FIELD: &str = "prior_state module";

/// Texts one after the other in one buffer.
struct Texts<E> {
    bytes: Vec<u8>,
    entries: Vec<E>,
}

impl<E> Texts<E> {
    /// The texts gathered so far; gathering goes on in `bytes`.
    fn take_into(&mut self, bytes: Vec<u8>) -> Texts<E> {
        std::mem::replace(
            self,
            Texts {
                bytes,
                entries: Vec::new(),
            },
        )
    }
}

impl<E> Default for Texts<E> {
    fn default() -> Self {
        Texts {
            bytes: Vec::new(),
            entries: Vec::new(),
        }
    }
}

/// A masked value of a change: where its text and its mask's text end.
struct MaskedValue {
    value_end: usize,
    mask_end: usize,
}

/// A `prior_state` resource: where its text ends, and the line and column of
/// its first byte in the input.
struct PriorResource {
    end: usize,
    start: (usize, usize),
}

enum Batch {
    MaskedValues(Texts<MaskedValue>),
    PriorResources(Texts<PriorResource>),
}

impl Batch {
    /// Collects into `found`; gives back the emptied byte buffer.
    fn collect(self, found: &mut BTreeSet<String>) -> Result<Vec<u8>> {
        let mut strings = Vec::new();
        let mut bytes = match self {
            Batch::MaskedValues(texts) => {
                let mut from = 0;
                for entry in &texts.entries {
                    let value = text(&texts.bytes[from..entry.value_end]);
                    let mask = text(&texts.bytes[entry.value_end..entry.mask_end]);
                    from = entry.mask_end;
                    let mask = Mask::parse(mask);
                    if mask.marks_anything() {
                        collect_masked_text(value, &mask, &mut strings);
                    }
                }
                texts.bytes
            }
            Batch::PriorResources(texts) => {
                let mut from = 0;
                for entry in &texts.entries {
                    let bytes = &texts.bytes[from..entry.end];
                    from = entry.end;
                    let ResourceSecrets(secrets) = serde_json::from_slice(bytes)
                        .map_err(|error| place(&error, entry.start, PRIOR_STATE_FIELD))?;
                    strings.extend(secrets);
                }
                texts.bytes
            }
        };
        found.extend(strings);
        bytes.clear();
        Ok(bytes)
    }
}

/// Text the reader copied from JSON it accepted (so UTF-8).
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Gathers texts into batches and has them collected, on a thread once
/// there is more than one batch.
#[derive(Default)]
pub(super) struct SecretCollector {
    masked: Texts<MaskedValue>,
    resources: Texts<PriorResource>,
    worker: Option<Worker>,
    /// The thread stopped at an error, already returned.
    failed: bool,
}

struct Worker {
    batches: SyncSender<Batch>,
    /// Byte buffers coming back for reuse.
    returned: Receiver<Vec<u8>>,
    thread: JoinHandle<Result<BTreeSet<String>>>,
}

impl SensitiveSink for SecretCollector {
    fn add(&mut self, value: &RawValue, mask: &RawValue) {
        let texts = &mut self.masked;
        texts.bytes.extend_from_slice(value.get().as_bytes());
        let value_end = texts.bytes.len();
        texts.bytes.extend_from_slice(mask.get().as_bytes());
        texts.entries.push(MaskedValue {
            value_end,
            mask_end: texts.bytes.len(),
        });
    }
}

impl SecretCollector {
    /// Hands over the masked values gathered once they fill a batch.
    pub(super) fn check(&mut self) -> Result<()> {
        if self.masked.bytes.len() < BATCH_BYTES {
            return Ok(());
        }
        let spare = self.spare_buffer();
        let full = self.masked.take_into(spare);
        self.hand_over(Batch::MaskedValues(full))
    }

    /// The buffer the next `prior_state` resource is appended to; call
    /// [`SecretCollector::added_resource`] once it is.
    pub(super) fn resource_buffer(&mut self) -> &mut Vec<u8> {
        &mut self.resources.bytes
    }

    /// Records the resource just appended, which starts at `start` (line and column).
    pub(super) fn added_resource(&mut self, start: (usize, usize)) -> Result<()> {
        let end = self.resources.bytes.len();
        self.resources.entries.push(PriorResource { end, start });
        if end < BATCH_BYTES {
            return Ok(());
        }
        let spare = self.spare_buffer();
        let full = self.resources.take_into(spare);
        self.hand_over(Batch::PriorResources(full))
    }

    /// A buffer the thread gave back, or a new one.
    fn spare_buffer(&mut self) -> Vec<u8> {
        self.worker
            .as_ref()
            .and_then(|worker| worker.returned.try_recv().ok())
            .unwrap_or_else(|| Vec::with_capacity(BATCH_BYTES * 2))
    }

    fn hand_over(&mut self, batch: Batch) -> Result<()> {
        if self.worker.is_none() {
            self.worker = Some(start_worker()?);
        }
        let Some(worker) = &self.worker else {
            return Ok(());
        };
        if worker.batches.send(batch).is_err() {
            // The thread stopped at an error, which comes first.
            self.failed = true;
            return Err(match self.worker.take().map(Worker::finish) {
                Some(Err(error)) => error,
                _ => stopped(),
            });
        }
        Ok(())
    }

    /// Every sensitive string collected; the first error if any.
    pub(super) fn finish(mut self) -> Result<BTreeSet<String>> {
        let pending = [
            Batch::MaskedValues(std::mem::take(&mut self.masked)),
            Batch::PriorResources(std::mem::take(&mut self.resources)),
        ];
        let Some(worker) = self.worker.take() else {
            let mut found = BTreeSet::new();
            for batch in pending {
                batch.collect(&mut found)?;
            }
            return Ok(found);
        };
        let mut sent = true;
        for batch in pending {
            sent = sent && worker.batches.send(batch).is_ok();
        }
        let found = worker.finish();
        if !sent {
            return Err(found.err().unwrap_or_else(stopped));
        }
        found
    }

    /// The error to report when reading stopped at `error`: an error in a
    /// resource before it comes first.
    pub(super) fn abandon(self, error: StreamError) -> StreamError {
        if self.failed {
            return error;
        }
        match self.finish() {
            Err(earlier) => earlier,
            Ok(_) => error,
        }
    }
}

impl Worker {
    fn finish(self) -> Result<BTreeSet<String>> {
        drop(self.batches);
        self.thread.join().map_err(|_| stopped())?
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
                let bytes = batch.collect(&mut found)?;
                let _ = give_back.try_send(bytes);
            }
            Ok(found)
        })
        .map_err(StreamError::Io)?;
    Ok(Worker {
        batches,
        returned,
        thread,
    })
}
