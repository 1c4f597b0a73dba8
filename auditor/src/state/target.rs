//! What `tfaudit state` audits: a local file or folder, one S3 object, or every
//! `*.tfstate` under an S3 prefix.

use std::path::PathBuf;

/// One TARGET argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A state file, or a folder searched recursively for `*.tfstate`.
    Local(PathBuf),
    /// `s3://bucket/key`
    S3Object { bucket: String, key: String },
    /// `s3://bucket/prefix/` or `s3://bucket`: every `*.tfstate` below.
    S3Prefix { bucket: String, prefix: String },
}

impl Target {
    /// Parses a TARGET; errors say what was expected.
    pub fn parse(text: &str) -> Result<Target, String> {
        let Some(rest) = text.strip_prefix("s3://") else {
            if text.trim().is_empty() {
                return Err(
                    "empty TARGET: expected a state file, s3://bucket/key or s3://bucket/prefix/"
                        .into(),
                );
            }
            return Ok(Target::Local(PathBuf::from(text)));
        };
        let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!(
                "`{text}`: no bucket name: expected s3://bucket/key or s3://bucket/prefix/"
            ));
        }
        if path.is_empty() || path.ends_with('/') {
            Ok(Target::S3Prefix {
                bucket: bucket.to_owned(),
                prefix: path.to_owned(),
            })
        } else {
            Ok(Target::S3Object {
                bucket: bucket.to_owned(),
                key: path.to_owned(),
            })
        }
    }
}

/// `s3://bucket/key`
pub fn s3_url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_each_form() {
        let cases = [
            (
                "states/prod.tfstate",
                Target::Local("states/prod.tfstate".into()),
            ),
            (
                "s3://tf/prod/cluster.tfstate",
                Target::S3Object {
                    bucket: "tf".into(),
                    key: "prod/cluster.tfstate".into(),
                },
            ),
            (
                "s3://tf/prod/",
                Target::S3Prefix {
                    bucket: "tf".into(),
                    prefix: "prod/".into(),
                },
            ),
            (
                "s3://tf",
                Target::S3Prefix {
                    bucket: "tf".into(),
                    prefix: String::new(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Target::parse(text), Ok(expected), "{text}");
        }
        assert!(Target::parse("s3:///key").is_err());
        assert!(Target::parse("").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = Target::parse(&text);
        }
    }
}
