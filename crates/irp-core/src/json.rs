//! A small JSON reader and writer that keep what the portal must echo.
//!
//! The signed invoice repeats every number with exactly the text the client sent (`05` §4.3), and
//! object keys bind case-insensitively with the last duplicate winning (`03` §1). A general JSON
//! library either rounds numbers through `f64` or needs a crate-wide feature that changes its
//! behaviour for every other user in the workspace, so the core reads JSON itself:
//!
//! - numbers are kept as their literal text ([`Value::Number`]);
//! - objects keep their members in document order, duplicates included ([`Value::Object`]);
//! - strings borrow from the input unless they contain escapes;
//! - nesting is limited to [`MAX_DEPTH`], so hostile input cannot exhaust the stack, and nothing is
//!   allocated beyond a small multiple of the input size.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;

use crate::invoice::Number;

/// Deepest nesting of arrays and objects accepted. INV-01 needs four levels.
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value that borrows from its input.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// The literal text of the number, exactly as it appeared (valid JSON number grammar).
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    /// Members in document order; duplicate names are kept.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl Value<'_> {
    /// The JSON type name, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The member `name` of an object, matched exactly; the last duplicate wins.
    pub fn get(&self, name: &str) -> Option<&Value<'_>> {
        match self {
            Value::Object(members) => members
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// The member `name` of an object, matched ignoring ASCII case as NIC's binder does; the
    /// last duplicate wins.
    pub fn get_ignore_case(&self, name: &str) -> Option<&Value<'_>> {
        match self {
            Value::Object(members) => members
                .iter()
                .rev()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// The string content, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }
}

/// Why a document is not JSON, with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line}, column {column}")]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Parses one JSON document. Leading and trailing whitespace is allowed, anything else after the
/// value is an error.
pub fn parse(input: &[u8]) -> Result<Value<'_>, ParseError> {
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(error) => {
            return Err(error_at(input, error.valid_up_to(), "invalid UTF-8"));
        }
    };
    let mut parser = Parser {
        text,
        bytes: input,
        pos: 0,
    };
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

fn error_at(bytes: &[u8], pos: usize, message: &str) -> ParseError {
    let consumed = &bytes[..pos.min(bytes.len())];
    let line = consumed.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = consumed
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // Columns count characters, not bytes; continuation bytes of UTF-8 are not characters.
    let column = consumed[line_start..]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    ParseError {
        message: message.to_owned(),
        line,
        column,
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, message: &str) -> ParseError {
        error_at(self.bytes, self.pos, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        match self.peek() {
            None => Err(self.error("EOF while parsing a value")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.error("expected value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Value<'a>, ParseError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("key must be a string")),
            }
            let key = self.string()?;
            self.skip_whitespace();
            match self.peek() {
                Some(b':') => self.pos += 1,
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `:`")),
            }
            self.skip_whitespace();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("EOF while parsing a list")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value<'a>, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(Value::Number(&self.text[start..self.pos]))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes, borrow the slice. `plain_run` stops only at `"`, `\\`, a control
        // character or the end.
        self.pos += plain_run(&self.bytes[self.pos..]);
        match self.peek() {
            None => return Err(self.error("EOF while parsing a string")),
            Some(b'"') => {
                let text = &self.text[start..self.pos];
                self.pos += 1;
                return Ok(Cow::Borrowed(text));
            }
            Some(b'\\') => {}
            Some(_) => {
                return Err(
                    self.error("control character (\\u0000-\\u001F) found while parsing a string")
                );
            }
        }
        let mut owned = String::with_capacity(self.pos - start + 16);
        owned.push_str(&self.text[start..self.pos]);
        loop {
            let run_start = self.pos;
            self.pos += plain_run(&self.bytes[self.pos..]);
            owned.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut owned)?;
                }
                Some(_) => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let Some(b) = self.peek() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => return Err(self.error("invalid escape")),
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            return Err(self.error("EOF while parsing a string"));
        };
        let mut value = 0u32;
        for &d in digits {
            let nibble = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid escape"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.pos..].starts_with(b"\\u") {
                return Err(self.error("lone leading surrogate in hex escape"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("lone leading surrogate in hex escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid unicode code point"))
    }
}

/// Appends `text` as a JSON string literal. Only what JSON requires is escaped (`"`, `\` and
/// control characters); non-ASCII is written as UTF-8 and `/` is left alone (`05` §4.2).
pub fn write_str(out: &mut String, text: &str) {
    out.push('"');
    write_escaped(out, text, |out, escape| out.push_str(escape));
    out.push('"');
}

/// Appends what [`write_str`] would write for `text` as it appears inside another JSON string
/// literal: escaped once more, so `"` becomes `\"`, `\` becomes `\\`. The JWS payload carries
/// its signed data as a string; writing the data in this form directly saves building it
/// and then escaping all of it.
pub fn write_str_in_string(out: &mut String, text: &str) {
    out.push_str("\\\"");
    write_escaped(out, text, push_in_string);
    out.push_str("\\\"");
}

/// `text` without its quotes as [`write_str`] escapes it, each escape sequence passed to
/// `push_escape`, the plain runs between them copied as they are.
fn write_escaped(out: &mut String, text: &str, push_escape: impl Fn(&mut String, &str)) {
    let bytes = text.as_bytes();
    let mut run_start = 0;
    let mut index = 0;
    loop {
        index += plain_run(&bytes[index..]);
        let Some(&byte) = bytes.get(index) else { break };
        out.push_str(&text[run_start..index]);
        let escape: &str = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0C => "\\f",
            _ => "",
        };
        if escape.is_empty() {
            push_escape(out, &format!("\\u{byte:04x}"));
        } else {
            push_escape(out, escape);
        }
        index += 1;
        run_start = index;
    }
    out.push_str(&text[run_start..]);
}

/// Appends `text`, which holds no control characters, as the inside of a JSON string literal.
fn push_in_string(out: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            other => out.push(other),
        }
    }
}

/// The length of the leading run of `bytes` that a JSON string carries as is: no `"`, no `\\`,
/// no control character. Signed tokens and encrypted payloads are kilobytes of such bytes, so the
/// scan looks at eight bytes per step (a "has a byte below n" bit trick on one `u64`).
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let mut index = 0;
    while let Some(chunk) = bytes.get(index..index + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
        let special = control
            | has_zero(word ^ (ONES * u64::from(b'"')))
            | has_zero(word ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            // A flag above a flagged byte may be a borrow's artefact, but the lowest flag is
            // always a byte that must be escaped: it is the end of the run.
            return index + (special.trailing_zeros() / 8) as usize;
        }
        index += 8;
    }
    while let Some(&byte) = bytes.get(index) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            break;
        }
        index += 1;
    }
    index
}

/// Writes a compact JSON object member by member, in the order the calls are made. Every
/// NIC structure has a fixed key order, so output is written by hand rather than by a map.
/// A writer opened with [`ObjectWriter::open_in_string`] writes the object as the inside of a
/// JSON string literal (see [`write_str_in_string`]).
pub struct ObjectWriter<'o> {
    out: &'o mut String,
    empty: bool,
    in_string: bool,
}

impl<'o> ObjectWriter<'o> {
    pub fn open(out: &'o mut String) -> ObjectWriter<'o> {
        out.push('{');
        ObjectWriter {
            out,
            empty: true,
            in_string: false,
        }
    }

    /// Opens an object written as the inside of a JSON string literal: `{\"Key\":\"value\"}`.
    pub fn open_in_string(out: &'o mut String) -> ObjectWriter<'o> {
        out.push('{');
        ObjectWriter {
            out,
            empty: true,
            in_string: true,
        }
    }

    pub fn close(self) {
        self.out.push('}');
    }

    /// Writes the member's key and colon, and returns the output for its value, which the caller
    /// writes itself. Only in a plain writer: in one opened in a string the caller would have to
    /// escape its value once more, which the typed members do and a raw output cannot check.
    pub fn key(&mut self, name: &str) -> &mut String {
        debug_assert!(
            !self.in_string,
            "a raw value in a string writer is not escaped"
        );
        self.member(name)
    }

    fn member(&mut self, name: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.string(name);
        self.out.push(':');
        self.out
    }

    fn string(&mut self, text: &str) {
        if self.in_string {
            write_str_in_string(self.out, text);
        } else {
            write_str(self.out, text);
        }
    }

    pub fn str(&mut self, name: &str, value: &str) {
        self.member(name);
        self.string(value);
    }

    pub fn opt_str(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(name, value);
        }
    }

    /// A JSON literal written as is: a number, or in a plain writer any JSON text. In a writer
    /// opened in a string, only literals that need no escaping (numbers, `true`, `null`).
    pub fn raw(&mut self, name: &str, literal: &str) {
        debug_assert!(
            !self.in_string || !literal.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20),
            "a literal in a string needs escaping"
        );
        self.member(name).push_str(literal);
    }

    pub fn num(&mut self, name: &str, value: &Number) {
        self.raw(name, value.text());
    }

    pub fn opt_num(&mut self, name: &str, value: &Option<Number>) {
        if let Some(value) = value {
            self.num(name, value);
        }
    }

    pub fn flag(&mut self, name: &str, value: Option<bool>) {
        self.opt_str(name, value.map(|yes| if yes { "Y" } else { "N" }));
    }

    pub fn date(&mut self, name: &str, value: Option<NaiveDate>) {
        if let Some(date) = value {
            self.str(name, &crate::canonical::format_date(date));
        }
    }

    pub fn object(&mut self, name: &str, write: impl FnOnce(&mut ObjectWriter<'_>)) {
        let in_string = self.in_string;
        let out = self.member(name);
        let mut nested = ObjectWriter {
            in_string,
            ..ObjectWriter::open(out)
        };
        write(&mut nested);
        nested.close();
    }

    pub fn array<T>(
        &mut self,
        name: &str,
        items: &[T],
        mut write: impl FnMut(&mut ObjectWriter<'_>, &T),
    ) {
        let in_string = self.in_string;
        let out = self.member(name);
        out.push('[');
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            let mut nested = ObjectWriter {
                in_string,
                ..ObjectWriter::open(out)
            };
            write(&mut nested, item);
            nested.close();
        }
        out.push(']');
    }
}

/// Formats a value back to compact JSON, numbers as their literal text. Used by tests and tools.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_value(&mut out, self);
        f.write_str(&out)
    }
}

fn write_value(out: &mut String, value: &Value<'_>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(text) => out.push_str(text),
        Value::String(text) => write_str(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (index, (key, member)) in members.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_str(out, key);
                out.push(':');
                write_value(out, member);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_literal_text() {
        let value = parse(br#"{"a":12897.70,"b":0.0,"c":-1e5,"d":562160.0}"#).unwrap();
        assert_eq!(value.get("a"), Some(&Value::Number("12897.70")));
        assert_eq!(value.get("b"), Some(&Value::Number("0.0")));
        assert_eq!(value.get("c"), Some(&Value::Number("-1e5")));
        assert_eq!(
            value.to_string(),
            r#"{"a":12897.70,"b":0.0,"c":-1e5,"d":562160.0}"#
        );
    }

    #[test]
    fn duplicate_keys_are_kept_in_order_and_the_last_wins() {
        let value = parse(br#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(value.get("a"), Some(&Value::Number("2")));
        let Value::Object(members) = value else {
            panic!("object expected")
        };
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn escapes_are_decoded() {
        let value = parse(br#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(value.as_str(), Some("a\"b\\c/d\n\u{e9}\u{1F600}"));
    }

    #[test]
    fn errors_report_line_and_column() {
        let error = parse(b"{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!((error.line, error.column), (2, 8));
        assert_eq!(error.message, "expected value");
        let error = parse(b"{\"a\":1,}").unwrap_err();
        assert_eq!(error.message, "key must be a string");
        let error = parse(b"[1] x").unwrap_err();
        assert_eq!(error.message, "trailing characters");
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let error = parse(b"{\"a\":\"\xff\"}").unwrap_err();
        assert_eq!(error.message, "invalid UTF-8");
        assert_eq!(error.column, 7);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = "[".repeat(10_000);
        let error = parse(deep.as_bytes()).unwrap_err();
        assert_eq!(error.message, "recursion limit exceeded");
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(fine.as_bytes()).is_ok());
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for bad in ["01", "1.", "-", "1e", ".5", "+1", "1.e5"] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad} must not parse");
        }
    }

    #[test]
    fn plain_run_stops_at_the_first_byte_json_must_escape_wherever_it_is() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(bytes.len())
        };
        // Every special and a few near misses, at every offset of words of several lengths, behind
        // plain ASCII and behind bytes with the high bit set.
        let specials = [b'"', b'\\', 0x00, 0x1F, b'\n'];
        let near_misses = [b' ', b'!', b'#', b'[', b']', 0x7F, 0x80, 0xA2, 0xDC, 0xFF];
        for len in 0..40 {
            for fill in [b'A', 0xC3] {
                let plain = vec![fill; len];
                assert_eq!(plain_run(&plain), naive(&plain));
                for at in 0..len {
                    for byte in specials.iter().chain(&near_misses) {
                        let mut bytes = plain.clone();
                        bytes[at] = *byte;
                        assert_eq!(plain_run(&bytes), naive(&bytes), "{bytes:?}");
                    }
                }
            }
        }
        // Two bytes in one word, where a borrow from the lower one could flag the upper one.
        let all: Vec<u8> = specials.iter().chain(&near_misses).copied().collect();
        for len in 2..20 {
            for at in 0..len {
                for above in at + 1..len {
                    for &low in &all {
                        for &high in &all {
                            let mut bytes = vec![b'A'; len];
                            bytes[at] = low;
                            bytes[above] = high;
                            assert_eq!(plain_run(&bytes), naive(&bytes), "{bytes:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn raw_control_characters_and_open_strings_are_refused_before_and_after_an_escape() {
        let control = "control character (\\u0000-\\u001F) found while parsing a string";
        for input in [&b"\"abcdefghij\x01\""[..], b"\"ab\\ncdefghijk\x1f\""] {
            assert_eq!(parse(input).unwrap_err().message, control, "{input:?}");
        }
        for input in [&b"\"abcdefghijklmnop"[..], b"\"ab\\ncdefghijklmnop"] {
            assert_eq!(
                parse(input).unwrap_err().message,
                "EOF while parsing a string",
                "{input:?}"
            );
        }
    }

    #[test]
    fn long_strings_round_trip_through_writer_and_parser() {
        let text = format!(
            "{}\"{}\\{}\u{1}é\n",
            "x".repeat(17),
            "y".repeat(9),
            "z".repeat(31)
        );
        let mut out = String::new();
        write_str(&mut out, &text);
        assert_eq!(
            parse(out.as_bytes()).unwrap(),
            Value::String(Cow::Owned(text))
        );
    }

    #[test]
    fn write_str_escapes_only_what_json_requires() {
        let mut out = String::new();
        write_str(&mut out, "a/b\"c\\d\u{1}é\n");
        assert_eq!(out, r#""a/b\"c\\d\u0001é\n""#);
    }

    /// `json` as the inside of a JSON string literal.
    fn inside_a_string(json: &str) -> String {
        let mut literal = String::new();
        write_str(&mut literal, json);
        literal[1..literal.len() - 1].to_owned()
    }

    /// What `write_str` writes, as the inside of another JSON string literal.
    fn escaped_again(text: &str) -> String {
        let mut once = String::new();
        write_str(&mut once, text);
        inside_a_string(&once)
    }

    #[test]
    fn write_str_in_string_escapes_what_write_str_writes_once_more() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for text in [
            "",
            "plain",
            "a/b\"c\\d\u{1}é\n",
            "\"\"\\\\",
            "₹ 12,000 \t\r\u{8}\u{c}\u{1f}\u{7f}",
            every_ascii.as_str(),
        ] {
            let mut out = String::new();
            write_str_in_string(&mut out, text);
            assert_eq!(out, escaped_again(text), "{text:?}");
        }
        let mut out = String::new();
        write_str_in_string(&mut out, "q\"b\\c\n");
        assert_eq!(out, r#"\"q\\\"b\\\\c\\n\""#);
    }

    #[test]
    fn an_object_written_in_a_string_is_the_plain_object_escaped() {
        fn write(o: &mut ObjectWriter<'_>) {
            o.str("Nm", "A \"quoted\" \\ name\u{2}");
            o.raw("No", "12.50");
            o.object("Inner", |o| {
                o.flag("Flag", Some(true));
                o.opt_str("Absent", None);
            });
            o.array("List", &["x\"", "y"], |o, item| o.str("V", item));
            o.array::<&str>("Empty", &[], |o, item| o.str("V", item));
        }
        let mut plain = String::new();
        let mut object = ObjectWriter::open(&mut plain);
        write(&mut object);
        object.close();
        let mut in_string = String::new();
        let mut object = ObjectWriter::open_in_string(&mut in_string);
        write(&mut object);
        object.close();
        assert_eq!(in_string, inside_a_string(&plain));
    }

    /// A raw value written into a string writer would go unescaped: debug builds refuse it.
    #[test]
    #[cfg(debug_assertions)]
    fn a_string_writer_refuses_unescaped_values() {
        for write in [
            (|o: &mut ObjectWriter<'_>| {
                o.key("K");
            }) as fn(&mut ObjectWriter<'_>),
            |o| o.raw("K", "\"quoted\""),
            |o| o.raw("K", "1\n"),
        ] {
            let refused = std::panic::catch_unwind(|| {
                let mut out = String::new();
                write(&mut ObjectWriter::open_in_string(&mut out));
            });
            assert!(refused.is_err());
        }
        let mut out = String::new();
        let mut plain = ObjectWriter::open(&mut out);
        plain.key("K").push_str("\"v\"");
        plain.raw("N", "1.5");
        plain.close();
        assert_eq!(out, r#"{"K":"v","N":1.5}"#);
    }

    proptest::proptest! {
        #[test]
        fn write_str_in_string_matches_escaping_twice(text in "\\PC*|[\"\\\\\u{0}-\u{1f}a]{0,40}") {
            let mut out = String::new();
            write_str_in_string(&mut out, &text);
            proptest::prop_assert_eq!(out, escaped_again(&text));
        }
    }
}
