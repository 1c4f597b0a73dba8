//! Terraform addresses: the one place that splits them and matches them.
//!
//! An address is a module path (`module.NAME` steps, each with an optional
//! instance key) followed by the object inside the module: a resource
//! (`TYPE.NAME`), a data source (`data.TYPE.NAME`), an ephemeral resource
//! (`ephemeral.TYPE.NAME`) or an output (`output.NAME`), itself with an
//! optional instance key. Instance keys are numbers (`[0]`) or quoted strings
//! with `\` escapes (`["eu.1"]`, `["we\"ird]"]`): dots, brackets and quotes
//! inside a quoted key are part of the key. A module address such as
//! `module.net["a"]` has no object.
//!
//! [`Address::parse`] is strict: unbalanced brackets or quotes, empty names,
//! a key that is neither a number nor a quoted string, whitespace outside a
//! key, or text after a key other than `.` make it no address (`None`).
//! Every address Terraform writes parses.
//!
//! [`Glob`] matches addresses against the globs of waivers: `*` is any run of
//! characters (dots and brackets included), `?` any one character, and every
//! other character stands for itself, brackets and quotes included, so
//! `module.zones["b"].*` means what it says. The matching is the `wildmatch`
//! crate's, which has exactly these two wildcards and no escapes or character
//! classes; globset and shell-style globs would read `[...]` as a class.
//!
//! Imports nothing else of the plan.

use wildmatch::WildMatch;

/// An instance key as written: digits, or a quoted string with its quotes and
/// escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceKey<'a> {
    /// `[3]`: the digits.
    Index(&'a str),
    /// `["a.b"]`: the string with its quotes, escapes as written.
    Name(&'a str),
}

impl InstanceKey<'_> {
    /// The key as it stands between the brackets.
    pub fn as_written(&self) -> &str {
        match self {
            InstanceKey::Index(text) | InstanceKey::Name(text) => text,
        }
    }

    /// The string of a quoted key, escapes decoded; `None` for an index.
    pub fn name(&self) -> Option<String> {
        match self {
            InstanceKey::Index(_) => None,
            InstanceKey::Name(text) => serde_json::from_str(text).ok(),
        }
    }
}

/// One dotted part of an address: a name and the instance key after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    pub name: &'a str,
    pub key: Option<InstanceKey<'a>>,
}

/// An address split into its module path and the object it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address<'a> {
    /// The module calls, outermost first (the segment holds the call's name
    /// and instance key).
    pub modules: Vec<Segment<'a>>,
    /// The parts after the module path (`["data", "t", "n"]` with the key of
    /// the last); empty for a module address.
    pub object: Vec<Segment<'a>>,
}

impl<'a> Address<'a> {
    /// Splits `address`; `None` when it is not a Terraform address (see the
    /// module documentation).
    pub fn parse(address: &'a str) -> Option<Address<'a>> {
        let segments = segments(address)?;
        let mut rest: &[Segment<'a>] = &segments;
        let mut modules = Vec::new();
        while let [keyword, call, tail @ ..] = rest {
            if keyword.name != "module" {
                break;
            }
            modules.push(*call);
            rest = tail;
        }
        let address = Address {
            modules,
            object: rest.to_vec(),
        };
        if address.object.is_empty() && address.modules.is_empty() {
            return None;
        }
        if !address.object.is_empty() && address.block_key().is_none() {
            return None;
        }
        Some(address)
    }

    /// The module call names on the way to the object, without instance keys
    /// (`module.a["x"].module.b.t.n` -> `["a", "b"]`).
    pub fn call_path(&self) -> Vec<&'a str> {
        self.modules.iter().map(|step| step.name).collect()
    }

    /// The block that declares the object, as the configuration names it
    /// inside its module: `TYPE.NAME`, `data.TYPE.NAME`,
    /// `ephemeral.TYPE.NAME` or `output.NAME`; `None` for a module address.
    pub fn block_key(&self) -> Option<String> {
        let names: Vec<&str> = self.object.iter().map(|segment| segment.name).collect();
        match names.as_slice() {
            [kind, resource_type, name, ..] if *kind == "data" || *kind == "ephemeral" => {
                Some(format!("{kind}.{resource_type}.{name}"))
            }
            ["output", name] => Some(format!("output.{name}")),
            [resource_type, name, ..] => Some(format!("{resource_type}.{name}")),
            _ => None,
        }
    }

    /// The instance key of the object (`t.n["a"]` -> `"a"` as written).
    pub fn instance_key(&self) -> Option<InstanceKey<'a>> {
        self.object.last().and_then(|segment| segment.key)
    }
}

/// The module call names of a module address (`module.a["x"].module.b` ->
/// `["a", "b"]`); empty for the root module (`""`) and for text that is no
/// address.
pub fn module_calls(module_address: &str) -> Vec<&str> {
    Address::parse(module_address)
        .map(|address| address.call_path())
        .unwrap_or_default()
}

/// Splits `a.b["k.1"].c[0]` into its names with their keys. `None` when
/// brackets or quotes do not balance or a name is empty.
pub fn segments(address: &str) -> Option<Vec<Segment<'_>>> {
    let bytes = address.as_bytes();
    let mut segments = Vec::new();
    let mut at = 0;
    loop {
        let start = at;
        while at < bytes.len() && !matches!(bytes[at], b'.' | b'[') {
            if matches!(bytes[at], b']' | b'"') || (bytes[at] as char).is_ascii_whitespace() {
                return None;
            }
            at += 1;
        }
        let name = &address[start..at];
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return None;
        }
        let key = if bytes.get(at) == Some(&b'[') {
            let (key, end) = instance_key(address, at)?;
            at = end;
            Some(key)
        } else {
            None
        };
        segments.push(Segment { name, key });
        match bytes.get(at) {
            None => return Some(segments),
            Some(b'.') if at + 1 < bytes.len() => at += 1,
            _ => return None,
        }
    }
}

/// The instance key whose `[` is at `open`, and where the text after its `]`
/// starts: a number or a quoted string with `\` escapes.
fn instance_key(address: &str, open: usize) -> Option<(InstanceKey<'_>, usize)> {
    let bytes = address.as_bytes();
    let first = open + 1;
    match bytes.get(first)? {
        b'"' => {
            let mut at = first + 1;
            loop {
                match bytes.get(at)? {
                    b'\\' => at += 2,
                    b'"' => break,
                    _ => at += 1,
                }
            }
            let close = at + 1;
            (bytes.get(close)? == &b']').then(|| {
                let key = InstanceKey::Name(address.get(first..close)?);
                Some((key, close + 1))
            })?
        }
        digit if digit.is_ascii_digit() => {
            let length = bytes[first..]
                .iter()
                .position(|byte| !byte.is_ascii_digit())?;
            let close = first + length;
            (bytes[close] == b']').then(|| (InstanceKey::Index(&address[first..close]), close + 1))
        }
        _ => None,
    }
}

/// A waiver's address glob (see the module documentation), compiled once.
#[derive(Debug, Clone)]
pub struct Glob {
    pattern: Box<str>,
    matcher: WildMatch,
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        Glob {
            pattern: pattern.into(),
            matcher: WildMatch::new(pattern),
        }
    }

    pub fn matches(&self, address: &str) -> bool {
        self.matcher.matches(address)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
