//! Terraform's S3 lockfile (`<key>.tflock`, written with `use_lockfile = true`).

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The lock record Terraform writes. Every field is optional: a lockfile that is
/// not valid JSON is still a lock and is reported with what is known.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct LockInfo {
    #[serde(rename = "ID", default)]
    pub id: String,
    #[serde(rename = "Operation", default)]
    pub operation: String,
    #[serde(rename = "Info", default)]
    pub info: String,
    #[serde(rename = "Who", default)]
    pub who: String,
    #[serde(rename = "Version", default)]
    pub version: String,
    #[serde(rename = "Created", default)]
    pub created: Option<DateTime<Utc>>,
    #[serde(rename = "Path", default)]
    pub path: String,
}

/// A lockfile found beside a state.
#[derive(Debug, Clone)]
pub struct LockObject {
    /// Where the lockfile is, e.g. `s3://bucket/env/prod.tfstate.tflock`.
    pub origin: String,
    /// The state it locks, in the same notation as [`super::LoadedState::origin`].
    pub state_origin: String,
    pub info: LockInfo,
    /// Whether the content parsed as Terraform's lock record.
    pub parsed: bool,
    /// The object's or file's modification time.
    pub last_modified: Option<DateTime<Utc>>,
}

/// The suffix Terraform appends to the state key.
pub const LOCK_SUFFIX: &str = ".tflock";

impl LockObject {
    /// Builds a lock from the lockfile's bytes (never fails: unparsable content is
    /// kept as an unknown lock).
    pub fn from_bytes(
        origin: String,
        bytes: &[u8],
        last_modified: Option<DateTime<Utc>>,
    ) -> LockObject {
        let state_origin = origin
            .strip_suffix(LOCK_SUFFIX)
            .unwrap_or(&origin)
            .to_owned();
        let (info, parsed) = match serde_json::from_slice::<LockInfo>(bytes) {
            Ok(info) => (info, true),
            Err(error) => {
                tracing::warn!(lock = %origin, %error, "lockfile is not Terraform's JSON lock record");
                (LockInfo::default(), false)
            }
        };
        LockObject {
            origin,
            state_origin,
            info,
            parsed,
            last_modified,
        }
    }

    /// When the lock was taken: its `Created` field, else the object's time.
    pub fn created(&self) -> Option<DateTime<Utc>> {
        self.info.created.or(self.last_modified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_terraform_lock_record() {
        let lock = LockObject::from_bytes(
            "s3://b/prod.tfstate.tflock".into(),
            br#"{"ID":"5f0c","Operation":"OperationTypeApply","Info":"","Who":"ci@runner","Version":"1.11.4","Created":"2026-01-02T03:04:05.123456Z","Path":"b/prod.tfstate"}"#,
            None,
        );
        assert!(lock.parsed);
        assert_eq!(lock.state_origin, "s3://b/prod.tfstate");
        assert_eq!(lock.info.who, "ci@runner");
        assert_eq!(
            lock.created().unwrap().to_rfc3339(),
            "2026-01-02T03:04:05.123456+00:00"
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = LockObject::from_bytes("x.tflock".into(), &bytes, None);
        }
    }
}
