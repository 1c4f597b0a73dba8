//! Environment names: short, lowercase, and safe to use as one S3 key segment.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::window::quoted;

const MAX_LENGTH: usize = 63;

/// A valid environment name: 1 to 63 characters of lowercase ASCII letters,
/// digits and `-`, starting with a letter and not ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvironmentName(String);

/// Why a text is not a valid [`EnvironmentName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid environment name {shown}: {problem}; expected 1-63 lowercase letters, digits or '-', starting with a letter and not ending with '-'")]
pub struct EnvironmentError {
    /// The offending text, quoted and shortened for display.
    pub shown: String,
    /// What is wrong with it.
    pub problem: String,
}

impl EnvironmentName {
    pub fn parse(text: &str) -> Result<Self, EnvironmentError> {
        let fail = |problem: &str| EnvironmentError {
            shown: quoted(text),
            problem: problem.to_string(),
        };
        let first = text.chars().next().ok_or_else(|| fail("it is empty"))?;
        if text.chars().count() > MAX_LENGTH {
            return Err(fail("it is longer than 63 characters"));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(fail(&format!("character {:?} is not allowed", bad)));
        }
        if !first.is_ascii_lowercase() {
            return Err(fail("it does not start with a letter"));
        }
        if text.ends_with('-') {
            return Err(fail("it ends with '-'"));
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvironmentName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl AsRef<str> for EnvironmentName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for EnvironmentName {
    type Err = EnvironmentError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for EnvironmentName {
    type Error = EnvironmentError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<EnvironmentName> for String {
    fn from(name: EnvironmentName) -> Self {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_that_are_valid_key_segments() {
        for text in ["prod", "a", "staging-eu-1", "x1", &"a".repeat(63)] {
            let name = EnvironmentName::parse(text).expect(text);
            assert_eq!(name.as_str(), text);
            assert_eq!(name.to_string(), text);
        }
    }

    #[test]
    fn rejects_names_with_the_reason() {
        let cases = [
            ("", "empty"),
            ("Prod", "'P'"),
            ("1prod", "start with a letter"),
            ("-prod", "start with a letter"),
            ("prod-", "ends with '-'"),
            ("prod/eu", "'/'"),
            ("prod eu", "' '"),
            ("prod_eu", "'_'"),
            ("..", "'.'"),
            ("prödd", "'ö'"),
        ];
        for (text, fragment) in cases {
            let error = EnvironmentName::parse(text).expect_err(text);
            let message = error.to_string();
            assert!(message.contains(fragment), "{text:?}: {message}");
            assert!(
                message.contains("expected 1-63 lowercase letters"),
                "{message}"
            );
        }
        let too_long = "a".repeat(64);
        assert!(EnvironmentName::parse(&too_long)
            .expect_err("64 characters")
            .to_string()
            .contains("longer than 63"));
    }

    #[test]
    fn deserializing_validates() {
        let name: EnvironmentName = serde_json::from_str("\"prod\"").expect("valid");
        assert_eq!(name.as_str(), "prod");
        assert_eq!(
            serde_json::to_string(&name).expect("serializes"),
            "\"prod\""
        );
        let error = serde_json::from_str::<EnvironmentName>("\"Prod\"").expect_err("invalid");
        assert!(
            error.to_string().contains("invalid environment name"),
            "{error}"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_accepts_only_key_safe_names(text in proptest::prelude::any::<String>()) {
            if let Ok(name) = EnvironmentName::parse(&text) {
                proptest::prop_assert!(name.as_str().len() <= 63);
                proptest::prop_assert!(!name.as_str().contains(['/', '.', ' ']));
            }
        }

        #[test]
        fn names_of_the_documented_shape_are_accepted(text in "[a-z]([a-z0-9-]{0,61}[a-z0-9])?") {
            proptest::prop_assert_eq!(EnvironmentName::parse(&text).map(|name| name.to_string()), Ok(text));
        }
    }
}
