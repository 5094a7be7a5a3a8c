//! The hand-written parts checked against general libraries on generated input: the schema's
//! pattern matchers (`bind::patterns`) against the `regex` crate running the patterns' own text,
//! and the JSON reader and writer (`json`) against serde_json on valid documents.

use std::cell::Cell;

use irp_core::bind::patterns::{self, Pattern};
use irp_core::json::{self, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use regex::Regex;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

// --- patterns ---------------------------------------------------------------------------------

/// Every pattern of `bind::patterns`.
const PATTERNS: [(&str, &Pattern); 20] = [
    ("FREE_TEXT", &patterns::FREE_TEXT),
    ("TAX_SCH", &patterns::TAX_SCH),
    ("SUP_TYP", &patterns::SUP_TYP),
    ("GSTIN", &patterns::GSTIN),
    ("GSTIN_OR_URP", &patterns::GSTIN_OR_URP),
    ("DOC_NO", &patterns::DOC_NO),
    ("PREC_INV_NO", &patterns::PREC_INV_NO),
    ("STATE_CODE", &patterns::STATE_CODE),
    ("PHONE", &patterns::PHONE),
    ("EMAIL", &patterns::EMAIL),
    ("SL_NO", &patterns::SL_NO),
    ("HSN", &patterns::HSN),
    ("UNIT", &patterns::UNIT),
    ("ORG_CNTRY", &patterns::ORG_CNTRY),
    ("PORT", &patterns::PORT),
    ("FOR_CUR", &patterns::FOR_CUR),
    ("CNT_CODE", &patterns::CNT_CODE),
    ("TRANS_MODE", &patterns::TRANS_MODE),
    ("TRANS_DOC_NO", &patterns::TRANS_DOC_NO),
    ("VEH_NO", &patterns::VEH_NO),
];

const NOT_ALL_ZEROS: &str = "(?!0+$)";

/// A pattern's text as the `regex` crate runs it, which has no look-ahead.
struct Oracle {
    regex: Regex,
    /// The pattern began `^(?!0+$)`: a value of only zeros fails.
    not_all_zeros: bool,
}

impl Oracle {
    fn of(name: &str, pattern: &Pattern) -> Oracle {
        let text = match name {
            // `03` §1: the schema's `^([^\"])*$` excludes the double quote, "and backslash is
            // also excluded"; the matcher follows the spec's sentence.
            "FREE_TEXT" => r#"^[^"\\]*$"#.to_owned(),
            // `(?i)` as the matcher reads it: ASCII letters in either case. The regex crate's
            // Unicode folding would also take `ſ` (U+017F) for `s`, which no NIC code contains.
            _ => pattern.regex.replace("(?i)", "(?i-u)"),
        };
        Oracle {
            not_all_zeros: text.contains(NOT_ALL_ZEROS),
            regex: Regex::new(&text.replace(NOT_ALL_ZEROS, "")).unwrap(),
        }
    }

    fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text) && !(self.not_all_zeros && text.bytes().all(|b| b == b'0'))
    }
}

/// The pattern without anchors or look-ahead, for proptest to generate matching strings from.
fn generator_text(pattern: &Pattern) -> String {
    let text = pattern.regex.replace(NOT_ALL_ZEROS, "");
    let (flags, body) = match text.strip_prefix("(?i)") {
        Some(body) => ("(?i)", body),
        None => ("", text.as_str()),
    };
    let body = body.strip_prefix('^').unwrap_or(body);
    let body = body.strip_suffix('$').unwrap_or(body);
    format!("{flags}{body}")
}

/// Characters at the edges of the patterns' classes, and some beyond ASCII.
const EDGES: &[char] = &[
    '0', '1', '4', '5', '9', 'A', 'Z', 'a', 'z', '|', '/', '-', '@', '.', '+', '_', '"', '\\', ' ',
    '\t', '\n', '\0', 'é', 'ſ', 'K', 'İ', '😀', '[', '`', '{', ':', '\u{7f}',
];

fn edge_char() -> impl Strategy<Value = char> {
    prop_oneof![4 => prop::sample::select(EDGES), 1 => any::<char>()]
}

/// Strings that match, nearly match (a match with characters inserted, replaced or removed) or
/// are made of edge characters.
fn candidates(pattern: &Pattern) -> BoxedStrategy<String> {
    let matching = proptest::string::string_regex(&generator_text(pattern))
        .unwrap()
        .boxed();
    let edits = prop::collection::vec((any::<prop::sample::Index>(), edge_char(), 0..3u8), 1..4);
    let near = (matching.clone(), edits).prop_map(|(text, edits)| {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, c, kind) in edits {
            match kind {
                0 => chars.insert(at.index(chars.len() + 1), c),
                1 if !chars.is_empty() => {
                    let i = at.index(chars.len());
                    chars[i] = c;
                }
                _ if !chars.is_empty() => {
                    chars.remove(at.index(chars.len()));
                }
                _ => chars.push(c),
            }
        }
        chars.into_iter().collect::<String>()
    });
    let edges = prop::collection::vec(edge_char(), 0..24).prop_map(String::from_iter);
    prop_oneof![matching, near, edges].boxed()
}

#[test]
fn each_pattern_matcher_agrees_with_the_regex_crate() {
    for (name, pattern) in PATTERNS {
        let oracle = Oracle::of(name, pattern);
        let (matched, refused) = (Cell::new(0), Cell::new(0));
        runner(1024)
            .run(&candidates(pattern), |text| {
                let expected = oracle.is_match(&text);
                prop_assert_eq!(
                    (pattern.test)(&text),
                    expected,
                    "{} ({}) on {:?}",
                    name,
                    pattern.regex,
                    text
                );
                let side = if expected { &matched } else { &refused };
                side.set(side.get() + 1);
                Ok(())
            })
            .unwrap_or_else(|failure| panic!("{name}: {failure}"));
        // A generator that only ever produced one side would check nothing.
        let (matched, refused) = (matched.get(), refused.get());
        assert!(
            matched > 50 && refused > 50,
            "{name}: {matched} matching and {refused} refused strings"
        );
    }
}

/// The oracle itself: its rewriting of the patterns keeps their meaning on known values.
#[test]
fn the_oracle_reads_the_patterns_as_the_spec_does() {
    let oracle = |name: &str| {
        let (_, pattern) = PATTERNS.iter().find(|(n, _)| *n == name).unwrap();
        Oracle::of(name, pattern)
    };
    assert!(oracle("HSN").is_match("1001") && !oracle("HSN").is_match("0000"));
    assert!(oracle("STATE_CODE").is_match("07") && !oracle("STATE_CODE").is_match("00"));
    assert!(oracle("SUP_TYP").is_match("sezwop") && !oracle("SUP_TYP").is_match("ſezwop"));
    assert!(!oracle("FREE_TEXT").is_match("a\\b") && !oracle("FREE_TEXT").is_match("a\"b"));
    assert!(oracle("UNIT").is_match("N|S") && oracle("TRANS_MODE").is_match(""));
    assert!(oracle("DOC_NO").is_match("A/1-2") && !oracle("DOC_NO").is_match("0A"));
}

// --- JSON -------------------------------------------------------------------------------------

/// A generated document: what it holds, with how each piece is to be written left to a seed.
#[derive(Debug, Clone)]
enum Doc {
    Null,
    Bool(bool),
    /// The literal, as written.
    Number(String),
    String(String),
    Array(Vec<Doc>),
    /// In document order, duplicates included.
    Object(Vec<(String, Doc)>),
}

fn number_literal() -> impl Strategy<Value = String> {
    // Exponents stay within f64's range: serde_json refuses numbers it cannot hold.
    proptest::string::string_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?")
        .unwrap()
}

fn text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '"',
        '\\',
        '/',
        '\u{0}',
        '\u{1f}',
        '\n',
        '\t',
        '\u{8}',
        '\u{c}',
        '\r',
        'é',
        'ж',
        '中',
        '\u{2028}',
        '\u{fffd}',
        '😀',
        '\u{10ffff}',
        ' ',
    ]);
    prop::collection::vec(
        prop_oneof![2 => any::<char>(), 3 => special, 3 => prop::char::range('a', 'z')],
        0..12,
    )
    .prop_map(String::from_iter)
}

fn key() -> impl Strategy<Value = String> {
    // A few names recur, so objects get duplicate keys and keys that differ only in case.
    prop_oneof![
        3 => prop::sample::select(vec!["Irn", "irn", "a", "", "k\"q", "é"]).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn doc() -> impl Strategy<Value = Doc> {
    let leaf = prop_oneof![
        Just(Doc::Null),
        any::<bool>().prop_map(Doc::Bool),
        number_literal().prop_map(Doc::Number),
        text().prop_map(Doc::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Doc::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(Doc::Object),
        ]
    })
}

/// xorshift64: the writing choices of one document, reproducible from its seed.
struct Choices(u64);

impl Choices {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn space(&mut self, out: &mut String) {
        for _ in 0..self.next(3) {
            out.push([' ', '\t', '\n', '\r'][self.next(4) as usize]);
        }
    }
}

/// Writes `text` as a JSON string, each character plainly or escaped in one of the ways JSON
/// allows, as the seed chooses.
fn write_string(out: &mut String, text: &str, choices: &mut Choices) {
    out.push('"');
    for c in text.chars() {
        let must_escape = c < ' ' || c == '"' || c == '\\';
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '/' => Some("\\/"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            _ => None,
        };
        match choices.next(3) {
            0 if !must_escape => out.push(c),
            1 if short.is_some() => out.push_str(short.unwrap_or_default()),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let hex = format!("{unit:04x}");
                    out.push_str("\\u");
                    out.push_str(&if choices.next(2) == 0 {
                        hex.to_ascii_uppercase()
                    } else {
                        hex
                    });
                }
            }
        }
    }
    out.push('"');
}

fn write_doc(out: &mut String, doc: &Doc, choices: &mut Choices) {
    choices.space(out);
    match doc {
        Doc::Null => out.push_str("null"),
        Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Doc::Number(literal) => out.push_str(literal),
        Doc::String(text) => write_string(out, text, choices),
        Doc::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_doc(out, item, choices);
            }
            choices.space(out);
            out.push(']');
        }
        Doc::Object(members) => {
            out.push('{');
            for (i, (name, member)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                choices.space(out);
                write_string(out, name, choices);
                choices.space(out);
                out.push(':');
                write_doc(out, member, choices);
            }
            choices.space(out);
            out.push('}');
        }
    }
    choices.space(out);
}

/// The reader keeps the document as written: numbers as their literal text, members in order
/// with their duplicates.
fn same_as_written(read: &Value<'_>, doc: &Doc) -> bool {
    match (read, doc) {
        (Value::Null, Doc::Null) => true,
        (Value::Bool(a), Doc::Bool(b)) => a == b,
        (Value::Number(a), Doc::Number(b)) => a == b,
        (Value::String(a), Doc::String(b)) => a == b,
        (Value::Array(a), Doc::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_as_written(a, b))
        }
        (Value::Object(a), Doc::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_as_written(va, vb))
        }
        _ => false,
    }
}

/// What serde_json makes of the same text: numbers as `i64`, `u64` or `f64`, an object's last
/// duplicate winning.
fn same_as_serde(read: &Value<'_>, serde: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value as S;
    match (read, serde) {
        (Value::Null, S::Null) => Ok(()),
        (Value::Bool(a), S::Bool(b)) if a == b => Ok(()),
        (Value::String(a), S::String(b)) if a == b => Ok(()),
        (Value::Number(literal), S::Number(number)) => same_number(literal, number),
        (Value::Array(a), S::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).try_for_each(|(a, b)| same_as_serde(a, b))
        }
        (Value::Object(members), S::Object(map)) => {
            let mut names: Vec<&str> = members.iter().map(|(name, _)| name.as_ref()).collect();
            names.sort_unstable();
            names.dedup();
            if names.len() != map.len() {
                return Err(format!(
                    "{} distinct names, serde has {}",
                    names.len(),
                    map.len()
                ));
            }
            names.into_iter().try_for_each(|name| {
                let ours = read.get(name).ok_or(format!("no member {name:?}"))?;
                let theirs = map
                    .get(name)
                    .ok_or(format!("serde has no member {name:?}"))?;
                same_as_serde(ours, theirs)
            })
        }
        _ => Err(format!("{read} is not {serde}")),
    }
}

/// A number literal and serde_json's number: exactly equal where serde holds an integer, and
/// within the last bits of an `f64` otherwise (serde's default float parsing is not always
/// correctly rounded; Rust's `str::parse` is).
fn same_number(literal: &str, number: &serde_json::Number) -> Result<(), String> {
    let integer = !literal.contains(['.', 'e', 'E']);
    if integer {
        if let Ok(value) = literal.parse::<i64>() {
            return (number.as_i64() == Some(value)
                || (value == 0 && number.as_f64() == Some(0.0)))
            .then_some(())
            .ok_or(format!("{literal} read by serde as {number}"));
        }
        if let Ok(value) = literal.parse::<u64>() {
            return (number.as_u64() == Some(value))
                .then_some(())
                .ok_or(format!("{literal} read by serde as {number}"));
        }
    }
    let ours: f64 = literal.parse().map_err(|e| format!("{literal}: {e}"))?;
    let theirs = number.as_f64().ok_or(format!("{number} has no f64"))?;
    let close = ours == theirs || (ours - theirs).abs() <= 4.0 * f64::EPSILON * ours.abs();
    close
        .then_some(())
        .ok_or(format!("{literal} is {ours}, serde read {theirs}"))
}

#[test]
fn the_json_reader_reads_valid_documents_as_serde_json_does() {
    runner(2048)
        .run(&(doc(), any::<u64>()), |(doc, seed)| {
            let mut text = String::new();
            write_doc(&mut text, &doc, &mut Choices(seed | 1));
            let read = json::parse(text.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{e} in {text}")))?;
            prop_assert!(
                same_as_written(&read, &doc),
                "{:?} read as {} from {}",
                doc,
                read,
                text
            );
            let serde: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("serde_json: {e} in {text}")))?;
            same_as_serde(&read, &serde)
                .map_err(|e| TestCaseError::fail(format!("{e} in {text}")))?;
            // What the writer makes of it is JSON of the same value.
            let written = read.to_string();
            let again: serde_json::Value = serde_json::from_str(&written)
                .map_err(|e| TestCaseError::fail(format!("serde_json: {e} in {written}")))?;
            prop_assert_eq!(again, serde, "{}", written);
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_string_escaper_writes_what_serde_json_writes() {
    let texts = prop_oneof![
        any::<String>(),
        text(),
        prop::collection::vec(prop::char::range('\0', '\u{7f}'), 0..40).prop_map(String::from_iter),
    ];
    runner(2048)
        .run(&texts, |text| {
            let mut out = String::new();
            json::write_str(&mut out, &text);
            prop_assert!(
                !out.chars().any(|c| c < ' '),
                "raw control character in {:?}",
                out
            );
            // Byte for byte what serde_json writes: the same escapes, non-ASCII and `/` as is.
            prop_assert_eq!(&out, &serde_json::to_string(&text).unwrap());
            let back: String = serde_json::from_str(&out)
                .map_err(|e| TestCaseError::fail(format!("serde_json: {e} in {out:?}")))?;
            prop_assert_eq!(back, text);
            Ok(())
        })
        .unwrap();
}
