//! The escaped forms in which Terraform and JSON print a string, so that a
//! secret containing `"`, `\`, control characters or template introducers is
//! redacted in those forms too.

/// The forms of `text` other than itself that may appear in printed text:
/// JSON-escaped (as serde and Go's `encoding/json` write it) and HCL-quoted (as
/// Terraform writes instance keys in addresses: `["pa\"ss"]`), without the
/// surrounding quotes.
pub fn escaped_forms(text: &str) -> Vec<String> {
    let mut forms = vec![json_escaped(text), go_json_escaped(text), hcl_escaped(text)];
    forms.retain(|form| form != text);
    forms.sort();
    forms.dedup();
    forms
}

/// `text` as serde_json escapes it inside a string literal.
pub fn json_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_default()
        .to_string()
}

/// `text` as Go's `encoding/json` escapes it (what Terraform writes): like
/// serde, plus `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes.
pub fn go_json_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in json_escaped(text).chars() {
        match character {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

/// `text` as Terraform quotes a string instance key (HCL quoted-string
/// syntax): `\n \r \t \" \\`, `${` and `%{` doubled to `$${` and `%%{`, other
/// non-printable characters as `\uXXXX` or `\UXXXXXXXX`.
pub fn hcl_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => {
                out.push(character);
                if characters.peek() == Some(&'{') {
                    out.push(character);
                }
            }
            other if other.is_control() => {
                let code = u32::from(other);
                if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_templates_are_escaped_like_terraform_does() {
        assert_eq!(hcl_escaped(r#"pa"ss\w${x}%{y}"#), r#"pa\"ss\\w$${x}%%{y}"#);
        assert_eq!(json_escaped("pa\"ss\\w\n"), r#"pa\"ss\\w\n"#);
        assert_eq!(go_json_escaped("<a&b>"), r"\u003ca\u0026b\u003e");
        assert!(escaped_forms("plain").is_empty());
        assert_eq!(
            escaped_forms("a\"b"),
            vec![r#"a\"b"#.to_string()],
            "JSON and HCL agree on a quote"
        );
    }
}
