use super::*;

/// `{"outer": [[...[LEAF]...]]}` with `arrays` arrays around `leaf`.
fn nested(arrays: usize, leaf: &str) -> String {
    let mut text = String::with_capacity(arrays * 2 + leaf.len() + 16);
    text.push_str(r#"{"outer": "#);
    text.push_str(&"[".repeat(arrays));
    text.push_str(leaf);
    text.push_str(&"]".repeat(arrays));
    text.push('}');
    text
}

fn collected(value: &str, mask: &str) -> Vec<String> {
    let mut found = Vec::new();
    collect_masked_text(value, &Mask::parse(mask), &mut found);
    found
}

#[test]
fn masks_of_any_depth_are_read_and_followed() {
    for arrays in [1, 100, 126, 127, 128, 129, 200, 5_000, 100_000] {
        let mask = Mask::parse(&nested(arrays, "true"));
        assert!(mask.marks_anything(), "{arrays} levels");
        let value = nested(arrays, r#""s3cret-at-depth""#);
        let mut found = Vec::new();
        collect_masked_text(&value, &mask, &mut found);
        // The object and the arrays: the walk follows 128 levels exactly,
        // a deeper value gives up every string in it, its names too.
        let expected: &[&str] = if arrays < MAX_VALUE_DEPTH {
            &["s3cret-at-depth"]
        } else {
            &["outer", "s3cret-at-depth"]
        };
        assert_eq!(found, expected, "{arrays} levels");
        // Cloning, comparing and dropping a deep mask does not recurse.
        assert_eq!(mask.clone(), mask);
    }
}

#[test]
fn a_deep_mask_on_a_shallower_value_marks_nothing_more() {
    let mask = nested(300, "true");
    assert!(collected(r#"{"outer": ["open", ["also-open"]]}"#, &mask).is_empty());
    assert!(collected(r#"{"outer": "open"}"#, &mask).is_empty());
}

#[test]
fn member_names_inside_a_sensitive_value_are_sensitive_and_those_above_are_not() {
    let value = r#"{"input": {"db-password-key-Xq9": "v", "k7": {"inner-key-Q2": [1.50, true, null]}},
                    "tags": {"team": "platform"}, "list": [{"list-key": "x"}, {"other-key": "y"}]}"#;
    let mask = r#"{"input": true, "tags": {"team": false}, "list": [false, true]}"#;
    assert_eq!(
        collected(value, mask),
        [
            "db-password-key-Xq9",
            "v",
            "k7",
            "inner-key-Q2",
            "1.5",
            "other-key",
            "y"
        ]
    );
    let whole = collected(r#"{"pa\"ss": {"k": 1}}"#, "true");
    assert_eq!(whole, ["pa\"ss", "k", "1"]);
}

#[test]
fn masks_mark_only_what_they_say() {
    assert_eq!(
        collected(r#"["a", "b", "c", "d", "e"]"#, "[false, true, 1, true]"),
        ["b", "d"]
    );
    // A mask of another shape than the value marks nothing in it.
    assert!(collected(r#"["a"]"#, r#"{"0": true}"#).is_empty());
    assert!(collected(r#"{"a": "b"}"#, "[true]").is_empty());
    assert!(collected(r#""plain""#, r#"{"a": true}"#).is_empty());
    // Masks without `true` mark nothing and allocate no node.
    for text in [
        r#"{"true": false}"#,
        "[[false], {}]",
        r#""true""#,
        "null",
        "7",
    ] {
        assert_eq!(Mask::parse(text), Mask::default(), "{text}");
    }
    // A name a mask repeats is sensitive when any of its entries says so.
    for mask in [r#"{"a": false, "a": true}"#, r#"{"a": true, "a": false}"#] {
        assert_eq!(collected(r#"{"a": "x", "b": "y"}"#, mask), ["x"], "{mask}");
    }
}

#[test]
fn a_mask_that_is_not_json_hides_the_whole_value() {
    for text in [r#"{"a": tr"#, "]", r#"{"a"#, ""] {
        assert!(Mask::parse(text).is_whole(), "{text:?}");
    }
}

#[test]
fn values_nested_too_deep_for_the_walk_give_every_string() {
    let mut text = r#"{"pin": 4711, "key": "deep\"secret"}"#.to_string();
    for _ in 0..200 {
        text = format!("[{text}]");
    }
    let mut found = Vec::new();
    collect_masked_text(&text, &Mask::whole(), &mut found);
    assert_eq!(found, vec!["pin", "4711", "key", "deep\"secret"]);
}

#[test]
fn values_that_are_not_json_give_every_string() {
    let mut found = Vec::new();
    collect_masked_text(
        r#"{"a": "open", "b": "cut"#,
        &Mask::parse(r#"{"b": true}"#),
        &mut found,
    );
    assert_eq!(found, vec!["a", "open", "b", "\"cut"]);
}

#[test]
fn masked_strings_are_collected() {
    let value = serde_json::json!({"a": "open", "b": {"c": "hidden", "d": ["x", "y"]}});
    let mask = serde_json::json!({"b": {"c": true, "d": [false, true]}});
    let mut found = Vec::new();
    collect_masked(&value, &mask, &mut found);
    assert_eq!(found, vec!["hidden", "y"]);
}

#[test]
fn parsed_values_give_up_member_names_inside_sensitive_parts() {
    let value = serde_json::json!({"m": {"db-password-key-Xq9": {"k2": "v"}, "n": 5}, "open": "x"});
    let mut found = Vec::new();
    collect_masked(&value, &serde_json::json!({"m": true}), &mut found);
    assert_eq!(found, vec!["db-password-key-Xq9", "k2", "v", "n", "5"]);
    let mut all = Vec::new();
    collect_all(&value, &mut all);
    assert_eq!(
        all,
        vec!["m", "db-password-key-Xq9", "k2", "v", "n", "5", "open", "x"]
    );
    assert!(mask_has_true(&serde_json::json!([{"a": [false, true]}])));
    assert!(!mask_has_true(&serde_json::json!([{"a": [false, "true"]}])));
}

#[test]
fn a_mask_out_of_member_order_still_finds_its_values() {
    let text = r#"{"b": [false, {"c": true}], "a": true}"#;
    assert_eq!(
        collected(r#"{"a": "x", "b": [1, {"c": "y"}]}"#, text),
        ["x", "y"]
    );
}
