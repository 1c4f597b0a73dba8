//! The tokens of JSON text the plan reader already accepted, one after the
//! other, without following the nesting: walks built on them keep their own
//! stack, so no depth of the input can overflow the call stack.
//!
//! Separators (`,` `:`) and whitespace are skipped; the grammar is not
//! checked again. Text that is not JSON at all ends in [`Malformed`] (a
//! string without its closing quote, a container closed that was never
//! opened, text that ends inside a container), never in a panic.

use std::borrow::Cow;

/// One token of JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token<'t> {
    /// `{` (an object) or `[` (an array).
    Open { object: bool },
    /// `}` or `]`.
    Close,
    /// A string, with its quotes and its escapes as written.
    Str(&'t str),
    /// A number, `true`, `false` or `null`, as written.
    Literal(&'t str),
}

/// The text is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Malformed;

/// The tokens of a text, in order.
pub(super) struct Tokens<'t> {
    text: &'t str,
    at: usize,
}

fn ends_literal(byte: u8) -> bool {
    matches!(
        byte,
        b' ' | b'\t' | b'\r' | b'\n' | b',' | b':' | b'[' | b']' | b'{' | b'}' | b'"'
    )
}

impl<'t> Tokens<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Tokens { text, at: 0 }
    }

    /// The next token; `None` at the end of the text.
    pub(super) fn next_token(&mut self) -> Result<Option<Token<'t>>, Malformed> {
        let bytes = self.text.as_bytes();
        while let Some(&byte) = bytes.get(self.at) {
            let start = self.at;
            match byte {
                b' ' | b'\t' | b'\r' | b'\n' | b',' | b':' => self.at += 1,
                b'{' | b'[' => {
                    self.at += 1;
                    return Ok(Some(Token::Open {
                        object: byte == b'{',
                    }));
                }
                b'}' | b']' => {
                    self.at += 1;
                    return Ok(Some(Token::Close));
                }
                b'"' => {
                    let mut end = start + 1;
                    loop {
                        let rest = bytes.get(end..).ok_or(Malformed)?;
                        match memchr::memchr2(b'"', b'\\', rest) {
                            Some(offset) if rest[offset] == b'\\' => end += offset + 2,
                            Some(offset) => {
                                end += offset;
                                break;
                            }
                            None => return Err(Malformed),
                        }
                    }
                    self.at = end + 1;
                    return Ok(Some(Token::Str(&self.text[start..self.at])));
                }
                _ => {
                    let length = bytes[start..]
                        .iter()
                        .position(|&byte| ends_literal(byte))
                        .unwrap_or(bytes.len() - start);
                    self.at = start + length;
                    return Ok(Some(Token::Literal(&self.text[start..self.at])));
                }
            }
        }
        Ok(None)
    }

    /// The next token; the text must not end before it.
    pub(super) fn expect_token(&mut self) -> Result<Token<'t>, Malformed> {
        self.next_token()?.ok_or(Malformed)
    }

    /// Skips the rest of a container whose opening token was just read.
    pub(super) fn skip_container(&mut self) -> Result<(), Malformed> {
        let mut open = 1usize;
        while open > 0 {
            match self.expect_token()? {
                Token::Open { .. } => open += 1,
                Token::Close => open -= 1,
                Token::Str(_) | Token::Literal(_) => {}
            }
        }
        Ok(())
    }
}

/// A string token's text, escapes decoded.
pub(super) fn decoded(token: &str) -> Result<Cow<'_, str>, Malformed> {
    let inner = token
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or(Malformed)?;
    if !inner.contains('\\') {
        return Ok(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(token)
        .map(Cow::Owned)
        .map_err(|_| Malformed)
}

/// A number literal as serde_json prints it once parsed (`1.50` -> `1.5`);
/// `None` for `true`, `false` and `null`.
pub(super) fn number_text(literal: &str) -> Option<String> {
    if matches!(literal, "true" | "false" | "null") {
        return None;
    }
    Some(
        serde_json::from_str::<serde_json::Number>(literal)
            .map(|number| number.to_string())
            .unwrap_or_else(|_| literal.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Result<Vec<Token<'_>>, Malformed> {
        let mut tokens = Tokens::new(text);
        let mut found = Vec::new();
        while let Some(token) = tokens.next_token()? {
            found.push(token);
        }
        Ok(found)
    }

    #[test]
    fn tokens_come_in_order_with_separators_left_out() {
        assert_eq!(
            all(r#" {"a\"]": [1.5e3, true, null], "b": "x\\"} "#),
            Ok(vec![
                Token::Open { object: true },
                Token::Str(r#""a\"]""#),
                Token::Open { object: false },
                Token::Literal("1.5e3"),
                Token::Literal("true"),
                Token::Literal("null"),
                Token::Close,
                Token::Str(r#""b""#),
                Token::Str(r#""x\\""#),
                Token::Close,
            ])
        );
        assert_eq!(decoded(r#""a\"]""#).unwrap(), "a\"]");
        assert_eq!(decoded(r#""plain""#).unwrap(), "plain");
        assert_eq!(number_text("1.50").as_deref(), Some("1.5"));
        assert_eq!(number_text("4711").as_deref(), Some("4711"));
        assert_eq!(number_text("true"), None);
    }

    #[test]
    fn text_that_is_not_json_is_malformed_and_never_panics() {
        for text in [r#""open"#, r#""ends in \"#, "\"\\"] {
            assert_eq!(all(text), Err(Malformed), "{text:?}");
        }
        let mut tokens = Tokens::new("[[1]");
        tokens.next_token().unwrap();
        assert_eq!(tokens.skip_container(), Err(Malformed));
        assert_eq!(decoded("x"), Err(Malformed));
    }
}
