//! `--window FILE`: a change window in the shape of the provider's
//! `guardrail_change_window` (HCL or JSON): `timezone`, `allow { ... }` and
//! `deny { ... }` blocks. An HCL file may also wrap them in a `change_window`
//! block or a `data "guardrail_change_window" "NAME"` block.

use std::path::Path;

use guardrail_core::window::{ChangeWindow, WindowSpec};
use hcl::{Block, Body, Expression};
use serde_json::{Map, Value};

use crate::error::InputError;

const TOP: &[&str] = &["timezone"];
const ALLOW: &[&str] = &["days", "start", "end", "cron", "duration"];
const DENY: &[&str] = &["from", "to", "reason"];

/// Reads and compiles the window in `path`.
pub fn load(path: &Path) -> Result<ChangeWindow, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let field = |field: &str, expected: String| InputError::Field {
        file: path.to_path_buf(),
        field: field.to_string(),
        expected,
    };
    let json = if text.trim_start().starts_with('{') {
        let value: Value = serde_json::from_str(&text).map_err(|error| InputError::Json {
            file: path.to_path_buf(),
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        })?;
        check_json(&value).map_err(|(at, expected)| field(&at, expected))?;
        value
    } else {
        let body: Body = hcl::parse(&text).map_err(|error| {
            field("(file)", format!("not valid HCL ({error}); expected a change window: timezone, allow {{ }} and deny {{ }} blocks"))
        })?;
        hcl_window(&unwrap_body(body)).map_err(|(at, expected)| field(&at, expected))?
    };
    let spec: WindowSpec = serde_json::from_value(json)
        .map_err(|error| field("(window)", crate::error::value_free(&error.to_string())))?;
    spec.compile()
        .map_err(|error| field(&error.field, error.message))
}

/// The body of a `change_window` or `data "guardrail_change_window"` block when
/// the file holds exactly one such block.
fn unwrap_body(body: Body) -> Body {
    let blocks: Vec<&Block> = body.blocks().collect();
    if body.attributes().next().is_none() && blocks.len() == 1 {
        let block = blocks[0];
        let wraps = block.identifier() == "change_window"
            || (block.identifier() == "data"
                && block.labels().first().map(|l| l.as_str()) == Some("guardrail_change_window"));
        if wraps {
            return block.body().clone();
        }
    }
    body
}

type Problem = (String, String);

fn hcl_window(body: &Body) -> Result<Value, Problem> {
    let mut window = Map::new();
    for attribute in body.attributes() {
        let key = attribute.key();
        if !TOP.contains(&key) {
            return Err((
                key.to_string(),
                "unknown attribute; a window has `timezone` and `allow` / `deny` blocks".into(),
            ));
        }
        window.insert(key.to_string(), expression(key, attribute.expr())?);
    }
    for block in body.blocks() {
        let kind = block.identifier();
        let allowed = match kind {
            "allow" => ALLOW,
            "deny" => DENY,
            other => {
                return Err((
                    other.to_string(),
                    "unknown block; expected `allow` or `deny`".into(),
                ))
            }
        };
        let mut fields = Map::new();
        for attribute in block.body().attributes() {
            let key = attribute.key();
            let at = format!("{kind}.{key}");
            if !allowed.contains(&key) {
                return Err((
                    at,
                    format!("unknown attribute; `{kind}` takes {}", allowed.join(", ")),
                ));
            }
            fields.insert(key.to_string(), expression(&at, attribute.expr())?);
        }
        window
            .entry(kind.to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .expect("blocks are collected in arrays")
            .push(Value::Object(fields));
    }
    Ok(Value::Object(window))
}

fn expression(at: &str, value: &Expression) -> Result<Value, Problem> {
    match value {
        Expression::String(text) => Ok(Value::String(text.clone())),
        Expression::Array(items) => items
            .iter()
            .map(|item| expression(at, item))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Expression::Null => Ok(Value::Null),
        _ => Err((
            at.to_string(),
            "expected a literal string or a list of strings".into(),
        )),
    }
}

fn check_json(value: &Value) -> Result<(), Problem> {
    let Value::Object(window) = value else {
        return Err((
            "(window)".into(),
            "expected an object with timezone, allow and deny".into(),
        ));
    };
    for (key, item) in window {
        let allowed = match key.as_str() {
            "timezone" => continue,
            "allow" => ALLOW,
            "deny" => DENY,
            other => {
                return Err((
                    other.to_string(),
                    "unknown field; expected timezone, allow or deny".into(),
                ))
            }
        };
        let Value::Array(blocks) = item else {
            return Err((key.clone(), "expected a list of objects".into()));
        };
        for (index, block) in blocks.iter().enumerate() {
            let Value::Object(fields) = block else {
                return Err((format!("{key}[{index}]"), "expected an object".into()));
            };
            if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
                return Err((
                    format!("{key}[{index}].{unknown}"),
                    format!("unknown field; `{key}` takes {}", allowed.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str, name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn hcl_and_json_windows_read_the_same() {
        let hcl = r#"
timezone = "Europe/Berlin"
allow {
  days  = ["mon-fri"]
  start = "09:00"
  end   = "17:00"
}
deny {
  from   = "2026-12-20"
  to     = "2027-01-04"
  reason = "year-end freeze"
}
"#;
        let json = r#"{"timezone":"Europe/Berlin","allow":[{"days":["mon-fri"],"start":"09:00","end":"17:00"}],
                      "deny":[{"from":"2026-12-20","to":"2027-01-04","reason":"year-end freeze"}]}"#;
        let wrapped = format!("data \"guardrail_change_window\" \"production\" {{\n{hcl}\n}}\n");
        let (_a, hcl_path) = write(hcl, "window.hcl");
        let (_b, json_path) = write(json, "window.json");
        let (_c, wrapped_path) = write(&wrapped, "window.tf");
        let at = "2026-12-22T10:00:00Z".parse().unwrap();
        let statuses: Vec<_> = [hcl_path, json_path, wrapped_path]
            .iter()
            .map(|path| load(path).unwrap().status_at(at))
            .collect();
        assert!(!statuses[0].open && statuses[0].reason.contains("year-end freeze"));
        assert_eq!(statuses[0], statuses[1]);
        assert_eq!(statuses[0], statuses[2]);
    }

    #[test]
    fn bad_windows_name_the_file_and_the_field() {
        for (text, field) in [
            ("allow {\n  day = [\"mon\"]\n}\n", "allow.day"),
            (
                "allow {\n  start = \"25:00\"\n  end = \"26:00\"\n}\n",
                "start",
            ),
            ("{\"allow\":[{\"cron\":\"* * *\"}]}", "allow"),
            ("{\"deny\":[{\"from\":\"x\",\"too\":\"y\"}]}", "deny[0].too"),
            ("timezone = \"Mars/Olympus\"\n", "timezone"),
        ] {
            let (_dir, path) = write(text, "window.hcl");
            let message = load(&path).unwrap_err().to_string();
            assert!(message.contains("window.hcl"), "{message}");
            assert!(message.contains(field), "{field}: {message}");
        }
    }
}
