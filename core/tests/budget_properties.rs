//! Budget parsers never panic, and scope matching respects segment boundaries
//! for arbitrary module names and instance keys.

use guardrail_core::budget::{BudgetSpec, ChangeCounts};
use proptest::prelude::*;

fn module_segment() -> impl Strategy<Value = String> {
    (
        "[a-z_][a-z0-9_-]{0,10}",
        prop_oneof![
            Just(String::new()),
            (0u32..100).prop_map(|index| format!("[{index}]")),
            "[a-z0-9.\\-]{0,8}".prop_map(|key| format!("[\"{key}\"]")),
        ],
    )
        .prop_map(|(name, key)| format!("module.{name}{key}"))
}

fn module_address() -> impl Strategy<Value = String> {
    proptest::collection::vec(module_segment(), 1..4).prop_map(|segments| segments.join("."))
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(
        environment in any::<String>(),
        scope in proptest::collection::vec(any::<String>(), 0..3),
        protected in proptest::collection::vec(any::<String>(), 0..3),
        address in any::<String>(),
        limits in proptest::array::uniform3(proptest::option::of(any::<i64>())),
        counts in proptest::array::uniform3(any::<u64>()),
    ) {
        let spec = BudgetSpec {
            environment,
            max_destroy: limits[0],
            max_replace: limits[1],
            max_changes: limits[2],
            protected_types: protected,
            scope,
        };
        if let Err(error) = spec.validate() {
            prop_assert!(!error.field.is_empty() && !error.message.is_empty());
        }
        let _ = spec.in_scope(&address);
        let counts = ChangeCounts { destroy: counts[0], replace: counts[1], changes: counts[2] };
        for violation in spec.check(&counts) {
            prop_assert!(violation.actual > violation.allowed);
        }
    }

    #[test]
    fn generated_module_addresses_are_valid_scopes(scope in module_address()) {
        let spec = BudgetSpec { environment: "prod".into(), scope: vec![scope.clone()], ..BudgetSpec::default() };
        prop_assert_eq!(spec.validate(), Ok(()), "{}", scope);
    }

    #[test]
    fn resources_inside_a_module_are_in_scope_and_near_misses_are_not(
        scope in module_address(),
        inner in proptest::collection::vec(module_segment(), 0..2),
        resource in "[a-z]{1,8}_[a-z]{1,8}\\.[a-z0-9_]{1,8}",
        extra in "[a-z0-9_-]{1,4}",
    ) {
        let spec = BudgetSpec { environment: "prod".into(), scope: vec![scope.clone()], ..BudgetSpec::default() };
        let mut inside = scope.clone();
        for segment in &inner {
            inside = format!("{inside}.{segment}");
        }
        let inside = format!("{inside}.{resource}");
        prop_assert!(spec.in_scope(&inside), "{} in {}", inside, scope);
        // A longer module name, or a different instance key, is another module.
        if !scope.ends_with(']') {
            let near_miss = format!("{scope}{extra}.{resource}");
            prop_assert!(!spec.in_scope(&near_miss), "{} in {}", near_miss, scope);
        }
        let other_root = format!("module.other_{extra}.{resource}");
        let other_prefix = format!("module.other_{extra}");
        prop_assert!(!spec.in_scope(&other_root) || scope.starts_with(&other_prefix));
    }
}
