//! Names that repeat across a plan's records (resource types, providers,
//! module addresses, attribute names), stored once and shared.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

/// A shared name.
pub type Name = Arc<str>;

/// How many distinct names a thread keeps; past that, names are allocated
/// one by one (a plan has a few hundred).
const MAX_KEPT: usize = 8192;

thread_local! {
    static KEPT: RefCell<HashSet<Name>> = RefCell::new(HashSet::new());
}

/// The shared copy of `text`.
pub fn name(text: &str) -> Name {
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        if let Some(known) = kept.get(text) {
            return known.clone();
        }
        let new: Name = Arc::from(text);
        if kept.len() < MAX_KEPT {
            kept.insert(new.clone());
        }
        new
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_allocation() {
        let first = name("hcloud_server");
        let second = name(&String::from("hcloud_server"));
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(&*first, "hcloud_server");
    }
}
