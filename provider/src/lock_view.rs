//! How locks read to people: the sentence of `guardrail_core::gate`, the expiry
//! as a Terraform attribute, and, for a lock held by someone else, the commands
//! that unstick it.

use guardrail_core::lock::LockRecord;
use guardrail_core::store::ObjectStore;
use guardrail_core::store::Store;

pub use guardrail_core::gate::describe_lock as describe;

/// The expiry as RFC 3339, when the lock has one.
pub fn expires_at_text(record: &LockRecord) -> Option<String> {
    record.expires_at.map(|at| at.to_rfc3339())
}

/// `--store s3://bucket/prefix/ [--endpoint URL]` for `tfaudit lock`.
fn tfaudit_store_flags(store: &Store) -> String {
    let url = store.location().url();
    match store.endpoint() {
        Some(endpoint) => format!("--store {url} --endpoint {endpoint}"),
        None => format!("--store {url}"),
    }
}

/// Why the live lock is not this configuration's, and the commands that unstick it.
pub fn held_detail(store: &Store, live: &LockRecord, owner: &str) -> String {
    let environment = &live.environment;
    let why = if live.owner == owner {
        "it has the same owner but was taken by another configuration or working directory"
            .to_string()
    } else {
        format!("this configuration asks for owner {owner}")
    };
    let flags = tfaudit_store_flags(store);
    format!(
        "{environment} is already {} (generation {}), and it is not this configuration's lock: {why}.\n\n\
         If that lock is this resource's, left by an interrupted apply, adopt it into the state \
         (NAME is this resource's name):\n  terraform import guardrail_environment_lock.NAME {environment}\n\
         If its holder is gone, release it (the release is recorded in the audit trail):\n  \
         tfaudit lock release --environment {environment} {flags} --reason \"...\"\n\
         See who holds it first with: tfaudit lock status --environment {environment} {flags}",
        describe(live),
        live.generation,
    )
}
