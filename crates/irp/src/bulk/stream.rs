//! The elements of a JSON array read from a file one at a time, so that a file of any size is
//! processed in bounded memory. Each element is returned as the exact bytes of the file; only
//! the array's structure is checked here, the elements are checked by the portal.

use std::io::{BufRead, ErrorKind};

use anyhow::{Context as _, bail};

/// The most bytes one element may have: far above any INV-01 invoice the portal accepts.
const MAX_ELEMENT: usize = 8 * 1024 * 1024;

/// Reads the top-level array of a JSON document (a bare array, or the `Invoices` member of an
/// object when `wrapper` is allowed).
pub struct ArrayReader<R> {
    input: R,
    started: bool,
    finished: bool,
    offset: u64,
}

impl<R: BufRead> ArrayReader<R> {
    pub fn new(input: R) -> ArrayReader<R> {
        ArrayReader {
            input,
            started: false,
            finished: false,
            offset: 0,
        }
    }

    fn next_byte(&mut self) -> anyhow::Result<Option<u8>> {
        let buffer = loop {
            match self.input.fill_buf() {
                Ok(buffer) => break buffer,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => return Err(error).context("reading the input"),
            }
        };
        let Some(&byte) = buffer.first() else {
            return Ok(None);
        };
        self.input.consume(1);
        self.offset += 1;
        Ok(Some(byte))
    }

    fn next_significant(&mut self) -> anyhow::Result<Option<u8>> {
        while let Some(byte) = self.next_byte()? {
            // A UTF-8 byte order mark before the document is allowed, as the portal allows it.
            let byte_order_mark = self.offset <= 3 && [0xEF, 0xBB, 0xBF].contains(&byte);
            if !byte.is_ascii_whitespace() && !byte_order_mark {
                return Ok(Some(byte));
            }
        }
        Ok(None)
    }

    /// Moves to just after the `[` of the array.
    fn start(&mut self, wrapper: bool) -> anyhow::Result<()> {
        match self.next_significant()? {
            Some(b'[') => Ok(()),
            Some(b'{') if wrapper => self.find_invoices_member(),
            Some(_) => bail!("the input is not a JSON array of documents"),
            None => bail!("the input is empty"),
        }
    }

    /// In an object, finds the member `Invoices` (any case) whose value is an array; other
    /// members before it are skipped.
    fn find_invoices_member(&mut self) -> anyhow::Result<()> {
        loop {
            match self.next_significant()? {
                Some(b'"') => {}
                _ => bail!("the input's object has no \"Invoices\" array"),
            }
            let name = self.string_rest()?;
            if self.next_significant()? != Some(b':') {
                bail!("malformed JSON at byte {}", self.offset);
            }
            let first = self.next_significant()?;
            if name.eq_ignore_ascii_case("Invoices") && first == Some(b'[') {
                return Ok(());
            }
            let mut skipped = Vec::new();
            self.value_rest(first, &mut skipped)?;
            match self.next_significant()? {
                Some(b',') => continue,
                _ => bail!("the input's object has no \"Invoices\" array"),
            }
        }
    }

    /// The rest of a string whose opening quote was read.
    fn string_rest(&mut self) -> anyhow::Result<String> {
        let mut bytes = Vec::new();
        self.copy_string_rest(&mut bytes)?;
        bytes.pop();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn copy_string_rest(&mut self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        loop {
            let Some(byte) = self.next_byte()? else {
                bail!("the input ends inside a string");
            };
            out.push(byte);
            match byte {
                b'"' => return Ok(()),
                b'\\' => {
                    let Some(escaped) = self.next_byte()? else {
                        bail!("the input ends inside a string");
                    };
                    out.push(escaped);
                }
                _ => {}
            }
            if out.len() > MAX_ELEMENT {
                bail!("an element is over {MAX_ELEMENT} bytes");
            }
        }
    }

    /// Copies one value that starts with `first` into `out`, with its nested values.
    fn value_rest(&mut self, first: Option<u8>, out: &mut Vec<u8>) -> anyhow::Result<()> {
        let Some(first) = first else {
            bail!("the input ends inside the array");
        };
        if b"]},:".contains(&first) {
            bail!("malformed JSON at byte {}", self.offset);
        }
        out.push(first);
        match first {
            b'"' => return self.copy_string_rest(out),
            b'{' | b'[' => {}
            _ => {
                // A number, true, false or null: up to the next delimiter.
                loop {
                    let buffer = self.input.fill_buf().context("reading the input")?;
                    match buffer.first() {
                        Some(b) if !b",]} \t\r\n".contains(b) => {
                            out.push(*b);
                            self.input.consume(1);
                            self.offset += 1;
                        }
                        _ => return Ok(()),
                    }
                    if out.len() > MAX_ELEMENT {
                        bail!("an element is over {MAX_ELEMENT} bytes");
                    }
                }
            }
        }
        let mut depth = 1_usize;
        while depth > 0 {
            let Some(byte) = self.next_byte()? else {
                bail!("the input ends inside an element");
            };
            out.push(byte);
            match byte {
                b'"' => self.copy_string_rest(out)?,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth -= 1,
                _ => {}
            }
            if out.len() > MAX_ELEMENT {
                bail!("an element is over {MAX_ELEMENT} bytes");
            }
        }
        Ok(())
    }

    /// The next element's bytes, `None` after the last.
    pub fn next_element(&mut self, wrapper: bool) -> anyhow::Result<Option<Vec<u8>>> {
        if self.finished {
            return Ok(None);
        }
        let first = if self.started {
            match self.next_significant()? {
                Some(b',') => self.next_significant()?,
                Some(b']') => {
                    self.finished = true;
                    return Ok(None);
                }
                _ => bail!("malformed JSON array at byte {}", self.offset),
            }
        } else {
            self.start(wrapper)?;
            self.started = true;
            match self.next_significant()? {
                Some(b']') => {
                    self.finished = true;
                    return Ok(None);
                }
                other => other,
            }
        };
        let mut element = Vec::with_capacity(2048);
        self.value_rest(first, &mut element)?;
        Ok(Some(element))
    }
}

/// The elements of `input` read to the end.
#[cfg(test)]
fn all(input: &[u8], wrapper: bool) -> anyhow::Result<Vec<String>> {
    let mut reader = ArrayReader::new(input);
    let mut found = Vec::new();
    while let Some(element) = reader.next_element(wrapper)? {
        found.push(String::from_utf8(element)?);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_come_back_as_the_bytes_of_the_file() {
        let input = br#" [ {"A": "x,]}", "B": [1, {"c": "\"q\""}]} , 7 ,"s", null, -1.50e2, [] ] "#;
        assert_eq!(
            all(input, false).unwrap(),
            [
                r#"{"A": "x,]}", "B": [1, {"c": "\"q\""}]}"#,
                "7",
                r#""s""#,
                "null",
                "-1.50e2",
                "[]"
            ]
        );
        assert!(all(b"[]", false).unwrap().is_empty());
        assert_eq!(all("\u{feff}[1]".as_bytes(), false).unwrap(), ["1"]);
    }

    #[test]
    fn an_invoices_wrapper_is_found_after_other_members() {
        let input =
            br#"{"version": "1.0", "meta": {"x": [1, "]"]}, "INVOICES": [{"n": 1}, {"n": 2}]}"#;
        assert_eq!(all(input, true).unwrap(), [r#"{"n": 1}"#, r#"{"n": 2}"#]);
        assert!(all(input, false).is_err());
        assert!(all(br#"{"Other": []}"#, true).is_err());
    }

    #[test]
    fn broken_input_is_an_error_not_a_guess() {
        for input in [
            &b""[..],
            b"  ",
            b"{}",
            b"[1 2]",
            b"[1,]",
            b"[{\"a\": 1}",
            b"[\"open",
            b"42",
        ] {
            assert!(
                all(input, true).is_err(),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
