//! A minimal RFC 4180 reader for the embedded master tables.
//!
//! The tables are small, trusted build inputs, so a few dozen lines are enough and no CSV crate is
//! pulled into the core. Quoted fields may contain commas, line breaks and doubled quotes
//! (`error-codes.csv` has messages with commas); records end with LF or CRLF.

/// Parses `text` into records of fields. Blank lines (including the final line ending) are
/// skipped. Panics on a quote that is never closed or on text right after a closing quote: the
/// input is an embedded file, so that is a build defect the tests catch.
pub(crate) fn parse(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false; // the current field started with a quote
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                quoted = true;
                in_quotes = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                quoted = false;
                end_record(&mut records, &mut record);
            }
            _ => {
                assert!(!quoted, "CSV: text after a closing quote near {field:?}");
                field.push(c);
            }
        }
    }
    assert!(!in_quotes, "CSV: unterminated quoted field {field:?}");
    if quoted || !field.is_empty() || !record.is_empty() {
        record.push(field);
        end_record(&mut records, &mut record);
    }
    records
}

fn end_record(records: &mut Vec<Vec<String>>, record: &mut Vec<String>) {
    let r = std::mem::take(record);
    let blank = r.len() == 1 && r[0].is_empty();
    if !blank {
        records.push(r);
    }
}

/// Parses an embedded table and checks its header and the width of every row; returns the rows
/// without the header. `name` only labels the panic message.
pub(crate) fn table(name: &str, text: &str, header: &[&str]) -> Vec<Vec<String>> {
    let mut rows = parse(text).into_iter();
    let head = rows
        .next()
        .unwrap_or_else(|| panic!("embedded master {name}: empty file"));
    assert!(
        head == header,
        "embedded master {name}: header {head:?}, expected {header:?}"
    );
    rows.enumerate()
        .map(|(i, row)| {
            assert!(
                row.len() == header.len(),
                "embedded master {name}: row {} has {} fields, expected {}",
                i + 2,
                row.len(),
                header.len()
            );
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        let text = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,,\"multi\nline\"\n\n3,\"\",z";
        let rows = parse(text);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[1], ["1", "x, y", "say \"hi\""]);
        assert_eq!(rows[2], ["2", "", "multi\nline"]);
        assert_eq!(rows[3], ["3", "", "z"]);
    }

    #[test]
    #[should_panic(expected = "unterminated")]
    fn unterminated_quote_panics() {
        parse("a,\"b\n");
    }

    #[test]
    #[should_panic(expected = "expected 2")]
    fn ragged_rows_panic() {
        table("t", "a,b\n1,2,3\n", &["a", "b"]);
    }
}
