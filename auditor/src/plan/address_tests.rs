use super::*;
use proptest::prelude::*;

/// `(module call names, block key)` of an address, as the source map and
/// the configuration tree read it.
type Split<'a> = (Vec<&'a str>, Option<String>);

/// An expected split: module call names and block key.
type Expected = Option<(&'static [&'static str], Option<&'static str>)>;

fn split(address: &str) -> Option<Split<'_>> {
    let parsed = Address::parse(address)?;
    Some((parsed.call_path(), parsed.block_key()))
}

#[test]
fn addresses_split_into_module_path_and_block() {
    let cases: &[(&str, Expected)] = &[
        ("hcloud_server.web", Some((&[], Some("hcloud_server.web")))),
        (
            "hcloud_server.web[3]",
            Some((&[], Some("hcloud_server.web"))),
        ),
        (
            "data.hcloud_image.base",
            Some((&[], Some("data.hcloud_image.base"))),
        ),
        (
            "ephemeral.random_password.p[\"a\"]",
            Some((&[], Some("ephemeral.random_password.p"))),
        ),
        (
            "module.net.hcloud_firewall.web[\"a\"]",
            Some((&["net"], Some("hcloud_firewall.web"))),
        ),
        (
            "module.net[\"eu.1\"].module.sub[0].hcloud_network.main",
            Some((&["net", "sub"], Some("hcloud_network.main"))),
        ),
        (
            "module.net[\"we\\\"ird]\"].hcloud_network.main",
            Some((&["net"], Some("hcloud_network.main"))),
        ),
        (
            r#"module.a["x.]"].module.b[0].t.n[1]"#,
            Some((&["a", "b"], Some("t.n"))),
        ),
        ("module.net", Some((&["net"], None))),
        ("module.net[\"a\"]", Some((&["net"], None))),
        ("output.ip", Some((&[], Some("output.ip")))),
        ("", None),
        ("hcloud_server", None),
        ("hcloud_server.web[", None),
        ("hcloud_server.web[\"a]", None),
        ("hcloud_server.web[x]", None),
        ("hcloud_server.web[1]x", None),
        ("hcloud_server.web[1", None),
        ("hcloud_server..web", None),
        ("hcloud_server.web.", None),
        ("hcloud_server.web[0].", None),
        ("module.", None),
        (".web", None),
        ("[0].web", None),
        ("web server.x", None),
        ("web\u{a0}server.x", None),
        ("a]b.c", None),
        ("a\"b.c", None),
    ];
    for (address, expected) in cases {
        let expected = expected.map(|(modules, key)| (modules.to_vec(), key.map(str::to_string)));
        assert_eq!(split(address), expected, "address {address:?}");
    }
}

#[test]
fn instance_keys_keep_quotes_brackets_and_dots_inside_them() {
    let cases: &[(&str, Option<InstanceKey>, Option<&str>)] = &[
        ("t.n", None, None),
        ("t.n[12]", Some(InstanceKey::Index("12")), None),
        ("t.n[\"a\"]", Some(InstanceKey::Name("\"a\"")), Some("a")),
        (
            "t.n[\"a.b[0]\"]",
            Some(InstanceKey::Name("\"a.b[0]\"")),
            Some("a.b[0]"),
        ),
        (
            r#"t.n["say \"hi\"]"]"#,
            Some(InstanceKey::Name(r#""say \"hi\"]""#)),
            Some("say \"hi\"]"),
        ),
        (
            r#"t.n["back\\slash"]"#,
            Some(InstanceKey::Name(r#""back\\slash""#)),
            Some("back\\slash"),
        ),
        ("t.n[\"\"]", Some(InstanceKey::Name("\"\"")), Some("")),
        (
            "module.m[\"ü.ß\"].t.n[\"ö\"]",
            Some(InstanceKey::Name("\"ö\"")),
            Some("ö"),
        ),
    ];
    for (address, key, decoded) in cases {
        let parsed = Address::parse(address).unwrap_or_else(|| panic!("{address}"));
        assert_eq!(parsed.instance_key(), *key, "{address}");
        let name = parsed.instance_key().and_then(|key| key.name());
        assert_eq!(name.as_deref(), *decoded, "{address}");
    }
    let nested = Address::parse(r#"module.a["x.]"].module.b[0].t.n"#).unwrap();
    let keys: Vec<Option<&str>> = nested
        .modules
        .iter()
        .map(|step| step.key.as_ref().map(InstanceKey::as_written))
        .collect();
    assert_eq!(keys, vec![Some("\"x.]\""), Some("0")]);
}

#[test]
fn module_addresses_give_their_calls() {
    let cases: &[(&str, &[&str])] = &[
        ("", &[]),
        ("module.m", &["m"]),
        ("module.app[\"a\"].module.gate", &["app", "gate"]),
        (
            "module.app[\"a.module.x\"].module.gate[3]",
            &["app", "gate"],
        ),
        ("module.", &[]),
    ];
    for (address, expected) in cases {
        assert_eq!(module_calls(address), *expected, "{address:?}");
    }
}

#[test]
fn address_globs() {
    let cases = [
        ("module.nodes.*", "module.nodes.hcloud_server.a[0]", true),
        ("module.nodes.*", "module.nodesx", false),
        ("*.node", r#"module.zones["b"].hcloud_server.node"#, true),
        ("hcloud_server.web[?]", "hcloud_server.web[3]", true),
        ("hcloud_server.web[?]", "hcloud_server.web[12]", false),
        (r#"module.zones["b"].*"#, r#"module.zones["b"].x.y"#, true),
        // Brackets are literal, never a character class.
        (r#"module.zones["b"].*"#, "module.zonesb.x.y", false),
        (r#"module.zones["b"].*"#, r#"module.zones"].x.y"#, false),
        ("a*b*c", "aXXbYYc", true),
        ("a*b*c", "aXXbYY", false),
        ("a\\*", "a\\bc", true),
        ("a\\*", "a*", false),
        ("?", "ü", true),
        ("*", "", true),
        ("", "", true),
        ("", "x", false),
        ("**", "x", true),
        ("s3://b/prod/*", "s3://b/prod/terraform.tfstate", true),
    ];
    for (pattern, address, expected) in cases {
        assert_eq!(
            Glob::new(pattern).matches(address),
            expected,
            "{pattern} {address}"
        );
    }
}

/// The glob semantics spelled out, to compare the crate against.
fn reference_match(pattern: &[char], address: &[char]) -> bool {
    match pattern.split_first() {
        None => address.is_empty(),
        Some(('*', rest)) => {
            (0..=address.len()).any(|skip| reference_match(rest, &address[skip..]))
        }
        Some(('?', rest)) => !address.is_empty() && reference_match(rest, &address[1..]),
        Some((c, rest)) => address.first() == Some(c) && reference_match(rest, &address[1..]),
    }
}

proptest! {
    #[test]
    fn globs_match_as_specified(
        pattern in "[ab*?\\[\\]\".]{0,8}",
        address in "[ab\\[\\]\".]{0,10}",
    ) {
        let chars = |text: &str| text.chars().collect::<Vec<_>>();
        prop_assert_eq!(
            Glob::new(&pattern).matches(&address),
            reference_match(&chars(&pattern), &chars(&address))
        );
    }

    #[test]
    fn address_parsing_never_panics(address in "\\PC{0,40}") {
        let _ = Address::parse(&address);
    }

    #[test]
    fn address_like_input_never_panics(address in "(module|data|[a-z_]{1,6}|\\.|\\[|\\]|\"|\\\\|[0-9]){0,24}") {
        let _ = Address::parse(&address);
    }

    #[test]
    fn generated_addresses_parse_back(
        modules in proptest::collection::vec("[a-z][a-z0-9_]{0,8}", 0..4),
        key in proptest::option::of("[a-z0-9.\"\\\\ \\[\\]-]{0,6}"),
        resource_type in "hcloud_[a-z0-9_]{0,10}",
        name in "[a-z][a-z0-9_-]{0,10}",
    ) {
        let mut address = String::new();
        for module in &modules {
            address.push_str(&format!("module.{module}"));
            if let Some(key) = &key {
                let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
                address.push_str(&format!("[\"{escaped}\"]"));
            }
            address.push('.');
        }
        address.push_str(&format!("{resource_type}.{name}[0]"));
        let parsed = Address::parse(&address).unwrap();
        let calls: Vec<&str> = modules.iter().map(String::as_str).collect();
        prop_assert_eq!(parsed.call_path(), calls);
        prop_assert_eq!(parsed.block_key(), Some(format!("{resource_type}.{name}")));
        for step in &parsed.modules {
            prop_assert_eq!(step.key.and_then(|found| found.name()), key.clone());
        }
    }
}
