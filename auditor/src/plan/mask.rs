//! Sensitivity masks (`before_sensitive`, `after_sensitive`,
//! `sensitive_values`) and the one walk that finds the strings of a value
//! under them.
//!
//! A sensitive value gives up everything in it: every string and number, and
//! the member names of every object inside it (the keys of a sensitive map are
//! as secret as its values). Member names on the way down to a sensitive part
//! (attribute names) are not sensitive.
//!
//! Masks and values are walked over their tokens ([`super::tokens`]) with a
//! stack of their own, so a mask of any depth is read and followed. A value
//! whose walked parts nest deeper than [`MAX_VALUE_DEPTH`] (serde_json's own
//! limit, beyond which no rule or Terraform renderer reads it) gives up every
//! string, number and member name in it instead: too deep never means less
//! redacted.
//!
//! Every reader hands what it finds through one trait, [`SensitiveSink`]: the
//! plan reader's resource changes and `prior_state` resources and outputs
//! alike. Values already parsed ([`collect_masked`], [`collect_all`]) take the
//! same walk over their JSON text. Imports only [`super::tokens`].

use serde_json::value::RawValue;
use serde_json::Value;

use super::tokens::{decoded, number_text, Malformed, Token, Tokens};

/// How deep the walked parts of a masked value may nest before every string
/// of the value counts as sensitive.
pub const MAX_VALUE_DEPTH: usize = 128;

/// The parts of a sensitivity mask that are `true`, without the branches
/// that lead to none: most masks mark nothing and allocate nothing.
///
/// The nodes are kept side by side (not nested), so that no depth of mask
/// makes cloning, comparing or dropping one recurse.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mask {
    root: Part,
    nodes: Vec<Node>,
}

/// What a mask says of one value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Part {
    /// Nothing below is sensitive.
    #[default]
    Nothing,
    /// Everything below is sensitive.
    Whole,
    /// Some members or elements are: the node at this index says which.
    Node(usize),
}

impl Part {
    fn marks_anything(self) -> bool {
        self != Part::Nothing
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// Object members with something sensitive below them.
    Fields(Vec<(Box<str>, Part)>),
    /// Array elements (by index, ascending) with something sensitive below them.
    Items(Vec<(usize, Part)>),
}

impl Mask {
    /// A mask that marks the whole value.
    pub fn whole() -> Mask {
        Mask {
            root: Part::Whole,
            nodes: Vec::new(),
        }
    }

    /// The mask in JSON text the plan reader accepted. Text that is not JSON
    /// marks the whole value: a mask that cannot be read hides everything.
    pub fn parse(text: &str) -> Mask {
        build(text).unwrap_or_else(|Malformed| Mask::whole())
    }

    pub fn marks_anything(&self) -> bool {
        self.root.marks_anything()
    }

    /// Whether the mask marks the whole value.
    pub fn is_whole(&self) -> bool {
        self.root == Part::Whole
    }

    /// The part for member `name` of an object under `node` (when a mask
    /// repeats a name, the first entry that marks anything); `None` when
    /// `node` is not about an object.
    fn field(&self, node: usize, name: &str) -> Option<Part> {
        match &self.nodes[node] {
            Node::Fields(fields) => Some(
                fields
                    .iter()
                    .find(|(field, _)| &**field == name)
                    .map_or(Part::Nothing, |(_, part)| *part),
            ),
            Node::Items(_) => None,
        }
    }

    fn is_object(&self, node: usize) -> bool {
        matches!(self.nodes[node], Node::Fields(_))
    }

    /// The part for element `index` of an array under `node`, starting the
    /// search at `cursor` (elements come in ascending order).
    fn item(&self, node: usize, index: usize, cursor: &mut usize) -> Part {
        let Node::Items(items) = &self.nodes[node] else {
            return Part::Nothing;
        };
        match items.get(*cursor) {
            Some((at, part)) if *at == index => {
                *cursor += 1;
                *part
            }
            _ => Part::Nothing,
        }
    }
}

/// A container of a mask being read.
struct MaskFrame<'t> {
    object: bool,
    /// The member name read, whose value comes next.
    key: Option<&'t str>,
    index: usize,
    fields: Vec<(Box<str>, Part)>,
    items: Vec<(usize, Part)>,
}

impl<'t> MaskFrame<'t> {
    fn new(object: bool) -> Self {
        MaskFrame {
            object,
            key: None,
            index: 0,
            fields: Vec::new(),
            items: Vec::new(),
        }
    }

    fn attach(&mut self, part: Part) -> Result<(), Malformed> {
        if self.object {
            let key = self.key.take().ok_or(Malformed)?;
            if part.marks_anything() {
                self.fields.push((decoded(key)?.into(), part));
            }
        } else {
            if part.marks_anything() {
                self.items.push((self.index, part));
            }
            self.index += 1;
        }
        Ok(())
    }

    fn finish(self, nodes: &mut Vec<Node>) -> Part {
        let node = match (self.object, self.fields.is_empty(), self.items.is_empty()) {
            (true, false, _) => Node::Fields(self.fields),
            (false, _, false) => Node::Items(self.items),
            _ => return Part::Nothing,
        };
        nodes.push(node);
        Part::Node(nodes.len() - 1)
    }
}

fn build(text: &str) -> Result<Mask, Malformed> {
    let mut tokens = Tokens::new(text);
    let mut nodes = Vec::new();
    let mut stack: Vec<MaskFrame> = Vec::new();
    loop {
        let part = match tokens.expect_token()? {
            Token::Open { object } => {
                stack.push(MaskFrame::new(object));
                continue;
            }
            Token::Close => stack.pop().ok_or(Malformed)?.finish(&mut nodes),
            Token::Str(key) => {
                if let Some(frame) = stack
                    .last_mut()
                    .filter(|frame| frame.object && frame.key.is_none())
                {
                    frame.key = Some(key);
                    continue;
                }
                Part::Nothing
            }
            Token::Literal("true") => Part::Whole,
            Token::Literal(_) => Part::Nothing,
        };
        match stack.last_mut() {
            Some(frame) => frame.attach(part)?,
            None => return Ok(Mask { root: part, nodes }),
        }
    }
}

/// Takes values with their sensitivity masks as a reader meets them; what it
/// does with them (collect at once, or batch them for a thread of their own)
/// is its own affair, but every string is found by the one walk of this
/// module ([`collect_masked_text`]).
pub trait SensitiveSink {
    /// `value` under `mask`: both JSON text the parser accepted. Callers pass
    /// every mask; the sink decides (with [`may_mark`] first) what it marks.
    fn masked(&mut self, value: &str, mask: &str);

    /// A value that is sensitive as a whole (a sensitive output).
    fn whole(&mut self, value: &str) {
        self.masked(value, "true");
    }
}

/// Collects at once.
impl SensitiveSink for Vec<String> {
    fn masked(&mut self, value: &str, mask: &str) {
        if may_mark(mask) {
            let mask = Mask::parse(mask);
            if mask.marks_anything() {
                collect_masked_text(value, &mask, self);
            }
        }
    }
}

/// Whether mask text may mark anything: without a `true` it marks nothing
/// and needs no parse.
pub fn may_mark(mask: &str) -> bool {
    memchr::memmem::find(mask.as_bytes(), b"true").is_some()
}

/// Collects the strings of unparsed JSON `raw` under the sensitive parts of
/// `mask`, like [`collect_masked`] on the parsed value.
pub fn collect_masked_raw(raw: &RawValue, mask: &Mask, found: &mut Vec<String>) {
    collect_masked_text(raw.get(), mask, found);
}

/// Collects every string and number of unparsed JSON `raw`, and the member
/// names of its objects.
pub fn collect_all_raw(raw: &RawValue, found: &mut Vec<String>) {
    collect_masked_raw(raw, &Mask::whole(), found);
}

/// [`collect_masked_raw`] on JSON text.
pub fn collect_masked_text(text: &str, mask: &Mask, found: &mut Vec<String>) {
    collect_walked(text, mask, Numbers::Normalised, found);
}

/// How numbers of the walked text are given.
#[derive(Clone, Copy)]
enum Numbers {
    /// As serde_json prints them once parsed (`1.50` -> `1.5`), as for a
    /// value parsed from the text.
    Normalised,
    /// As written: text that serde_json printed from a parsed value.
    AsWritten,
}

impl Numbers {
    fn text(self, literal: &str) -> Option<String> {
        match self {
            Numbers::Normalised => number_text(literal),
            Numbers::AsWritten => {
                (!matches!(literal, "true" | "false" | "null")).then(|| literal.to_string())
            }
        }
    }
}

fn collect_walked(text: &str, mask: &Mask, numbers: Numbers, found: &mut Vec<String>) {
    let before = found.len();
    if walk(text, mask, numbers, found).is_err() {
        // Nested deeper than the walk follows (or not JSON at all): no
        // string of the value may be left out, so every one counts.
        found.truncate(before);
        collect_every_scalar(text, found);
    }
}

/// The walk stopped: the value nests too deep, or is not JSON.
struct GiveUp;

impl From<Malformed> for GiveUp {
    fn from(_: Malformed) -> Self {
        GiveUp
    }
}

/// A container of the value being walked, with the mask node it is under.
enum WalkFrame {
    Object {
        node: usize,
        /// The part for the member whose name was just read.
        member: Option<Part>,
    },
    Array {
        node: usize,
        index: usize,
        cursor: usize,
    },
}

fn walk(text: &str, mask: &Mask, numbers: Numbers, found: &mut Vec<String>) -> Result<(), GiveUp> {
    let mut tokens = Tokens::new(text);
    let mut stack: Vec<WalkFrame> = Vec::new();
    loop {
        let token = tokens.expect_token()?;
        if token == Token::Close && stack.pop().is_some() {
            if stack.is_empty() {
                return Ok(());
            }
            continue;
        }
        let part = match stack.last_mut() {
            None => mask.root,
            Some(WalkFrame::Object { node, member }) => match member.take() {
                Some(part) => part,
                None => {
                    let Token::Str(name) = token else {
                        return Err(GiveUp);
                    };
                    *member = Some(mask.field(*node, &decoded(name)?).unwrap_or_default());
                    continue;
                }
            },
            Some(WalkFrame::Array {
                node,
                index,
                cursor,
            }) => {
                let part = mask.item(*node, *index, cursor);
                *index += 1;
                part
            }
        };
        let depth = stack.len() + 1;
        match (part, token) {
            (_, Token::Close) => return Err(GiveUp),
            (Part::Nothing, Token::Open { .. }) => tokens.skip_container()?,
            (Part::Whole, Token::Open { .. }) => {
                collect_container(&mut tokens, depth, numbers, found)?
            }
            (Part::Node(node), Token::Open { object }) if mask.is_object(node) == object => {
                if depth > MAX_VALUE_DEPTH {
                    return Err(GiveUp);
                }
                stack.push(if object {
                    WalkFrame::Object { node, member: None }
                } else {
                    WalkFrame::Array {
                        node,
                        index: 0,
                        cursor: 0,
                    }
                });
            }
            (Part::Node(_), Token::Open { .. }) => tokens.skip_container()?,
            (Part::Whole, Token::Str(text)) => found.push(decoded(text)?.into_owned()),
            (Part::Whole, Token::Literal(literal)) => found.extend(numbers.text(literal)),
            (_, Token::Str(_) | Token::Literal(_)) => {}
        }
        if stack.is_empty() {
            return Ok(());
        }
    }
}

/// Collects every string (member names too) and number of the rest of a
/// container whose opening token was just read, at `depth`.
fn collect_container(
    tokens: &mut Tokens,
    depth: usize,
    numbers: Numbers,
    found: &mut Vec<String>,
) -> Result<(), GiveUp> {
    let mut depth = depth;
    let bottom = depth;
    loop {
        if depth > MAX_VALUE_DEPTH {
            return Err(GiveUp);
        }
        match tokens.expect_token()? {
            Token::Open { .. } => depth += 1,
            Token::Close if depth == bottom => return Ok(()),
            Token::Close => depth -= 1,
            Token::Str(text) => found.push(decoded(text)?.into_owned()),
            Token::Literal(literal) => found.extend(numbers.text(literal)),
        }
    }
}

/// Every string (member names too) and number in JSON text, found without
/// following its nesting.
fn collect_every_scalar(text: &str, found: &mut Vec<String>) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                let mut end = at + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let token = text.get(at..=end.min(bytes.len() - 1)).unwrap_or_default();
                found.push(serde_json::from_str(token).unwrap_or_else(|_| token.to_string()));
                at = end + 1;
            }
            b'-' | b'0'..=b'9' => {
                let end = bytes[at..]
                    .iter()
                    .position(|byte| {
                        !matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    })
                    .map_or(bytes.len(), |length| at + length);
                found.push(text[at..end].to_string());
                at = end;
            }
            _ => at += 1,
        }
    }
}

/// Collects every string (and number, as text) of `value` under the parts of
/// a `*_sensitive` mask that are `true`, and the member names of every object
/// inside those parts: the walk of [`collect_masked_text`] over the value's
/// JSON text.
pub fn collect_masked(value: &Value, mask: &Value, found: &mut Vec<String>) {
    if !mask_has_true(mask) {
        return;
    }
    let mask = Mask::parse(&mask.to_string());
    collect_walked(&value.to_string(), &mask, Numbers::AsWritten, found);
}

/// Collects every string and number of `value`, and the member names of its
/// objects, in the order they are written.
pub fn collect_all(value: &Value, found: &mut Vec<String>) {
    collect_walked(
        &value.to_string(),
        &Mask::whole(),
        Numbers::AsWritten,
        found,
    );
}

/// Whether any part of a sensitivity mask is `true`.
pub fn mask_has_true(mask: &Value) -> bool {
    let mut pending = vec![mask];
    while let Some(mask) = pending.pop() {
        match mask {
            Value::Bool(true) => return true,
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
#[path = "mask_tests.rs"]
mod tests;
