//! The one digest form of the workspace: `sha256:<hex>` of stored bytes, used
//! for audit records (`previous_digest`), lock configurations and plans.
//!
//! May import: nothing else of the crate.

use sha2::{Digest, Sha256};

/// `sha256:<lowercase hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_the_algorithm_and_the_hex_of_the_bytes() {
        assert_eq!(
            super::sha256(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
