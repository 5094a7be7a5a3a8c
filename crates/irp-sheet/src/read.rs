//! The reader: the `Invoices` sheet of an `.xlsx` workbook to INV-01 JSON documents.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{DataRef, ExcelDateTime, Reader, Xlsx};

use crate::columns::{
    COLUMNS, Column, Kind, Level, REQUIRED_SECTIONS, SECTIONS, column_index, column_letter,
    index_of,
};
use crate::error::{Problems, SheetError};

/// The name of the sheet the reader reads (matched case-insensitively).
pub const SHEET: &str = "Invoices";

/// Bounds on the work of [`read_invoices`], checked before any row is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest workbook accepted, in bytes (the `.xlsx` file as uploaded).
    pub max_bytes: usize,
    /// The most data rows (rows under the header, empty ones included up to the last filled
    /// one) accepted. The reader stops at the first filled cell beyond.
    pub max_rows: u32,
}

/// One invoice read from the sheet, with the rows it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The INV-01 v1.1 JSON object, fields in the schema's order.
    pub json: String,
    /// The document's first sheet row (1-based, as Excel shows it).
    pub first_row: u32,
    /// The document's last sheet row.
    pub last_row: u32,
    /// The sheet row of each item, in `ItemList` order (empty rows skipped).
    pub item_rows: Vec<u32>,
}

/// A cell as read, before its column's kind is applied.
enum Raw {
    Text(String),
    Float(f64),
    Int(i64),
    Bool(bool),
    Date(ExcelDateTime),
    IsoDate(String),
    Duration(String),
    Error(String),
}

impl Raw {
    fn from_data(data: DataRef<'_>) -> Option<Raw> {
        let raw = match data {
            DataRef::Empty => return None,
            DataRef::String(text) => Raw::Text(text.trim().to_owned()),
            DataRef::SharedString(text) => Raw::Text(text.trim().to_owned()),
            DataRef::Float(value) => Raw::Float(value),
            DataRef::Int(value) => Raw::Int(value),
            DataRef::Bool(value) => Raw::Bool(value),
            DataRef::DateTime(value) => Raw::Date(value),
            DataRef::DateTimeIso(text) => Raw::IsoDate(text),
            DataRef::DurationIso(text) => Raw::Duration(text),
            DataRef::Error(error) => Raw::Error(error.to_string()),
        };
        match &raw {
            Raw::Text(text) if text.is_empty() => None,
            _ => Some(raw),
        }
    }

    /// The cell as an error message shows it.
    fn shown(&self) -> String {
        match self {
            Raw::Text(text) => format!("{text:?}"),
            Raw::Float(value) => float_text(*value),
            Raw::Int(value) => value.to_string(),
            Raw::Bool(true) => "TRUE".to_owned(),
            Raw::Bool(false) => "FALSE".to_owned(),
            Raw::Date(date) if date.is_duration() => "a duration cell".to_owned(),
            Raw::Date(date) => format!("the date cell {}", excel_date(date)),
            Raw::IsoDate(text) => format!("the date cell {text}"),
            Raw::Duration(text) => format!("the duration cell {text}"),
            Raw::Error(error) => format!("the error {error}"),
        }
    }

    /// The cell's text as a header.
    fn header_text(&self) -> String {
        match self {
            Raw::Text(text) => text.clone(),
            other => other.shown(),
        }
    }
}

/// A converted cell value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    /// A JSON string.
    Str(String),
    /// A JSON number, as its literal text.
    Num(String),
}

impl Val {
    fn text(&self) -> &str {
        match self {
            Val::Str(text) | Val::Num(text) => text,
        }
    }
}

/// A cell of a known column after conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Empty,
    Value(Val),
    /// The cell could not be converted (a problem was recorded).
    Bad,
}

impl Slot {
    fn text(&self) -> &str {
        match self {
            Slot::Value(value) => value.text(),
            _ => "",
        }
    }
}

/// A numeric cell's value as JSON number text: taken to 15 significant digits, as Excel shows
/// and keeps numbers (so that a formula's `0.30000000000000004` is `0.3`), then written as the
/// shortest text that reads back as the same `f64` (Rust's `Display`): `1234.5`, `0.3`,
/// `560001` (no `.0`), never an exponent.
fn float_text(value: f64) -> String {
    let excel: f64 = format!("{value:.14e}").parse().unwrap_or(value);
    if excel == 0.0 {
        "0".to_owned()
    } else {
        excel.to_string()
    }
}

/// An Excel date cell as `dd/mm/yyyy` (the time of day, if any, is dropped).
fn excel_date(date: &ExcelDateTime) -> String {
    let (year, month, day, ..) = date.to_ymd_hms_milli();
    format!("{day:02}/{month:02}/{year:04}")
}

/// A plain decimal (`-12.50`, `007`, `.5`) as a valid JSON number's text (`-12.50`, `7`, `0.5`):
/// an optional `-`, digits, an optional fraction; no exponent, no thousands separators.
fn decimal_text(text: &str) -> Option<String> {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    Some(if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    })
}

/// A text date `dd/mm/yyyy` (one-digit day or month accepted) as `dd/mm/yyyy`.
fn text_date(text: &str) -> Option<String> {
    let mut parts = text.split('/');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = |part: &str, lengths: &[usize]| {
        lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !ok(day, &[1, 2]) || !ok(month, &[1, 2]) || !ok(year, &[4]) {
        return None;
    }
    Some(format!("{day:0>2}/{month:0>2}/{year}"))
}

/// An ISO date cell (`2025-04-01`, `2025-04-01T10:00:00`) as `dd/mm/yyyy`.
fn iso_date(text: &str) -> Option<String> {
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    text_date(&format!("{day}/{month}/{year}"))
}

/// Applies a column's kind to a cell: the value, or the problem's message.
fn convert(kind: Kind, raw: &Raw) -> Result<Val, String> {
    match kind {
        Kind::Text => match raw {
            Raw::Text(text) => Ok(Val::Str(text.clone())),
            Raw::Float(value) => Ok(Val::Str(float_text(*value))),
            Raw::Int(value) => Ok(Val::Str(value.to_string())),
            other => Err(format!(
                "{} is not text (format the cells of this column as Text)",
                other.shown()
            )),
        },
        Kind::Number => match raw {
            Raw::Float(value) => Ok(Val::Num(float_text(*value))),
            Raw::Int(value) => Ok(Val::Num(value.to_string())),
            Raw::Text(text) => decimal_text(text)
                .map(Val::Num)
                .ok_or_else(|| format!("{} is not a number", raw.shown())),
            other => Err(format!("{} is not a number", other.shown())),
        },
        Kind::Integer => {
            let text = match raw {
                Raw::Float(value) if value.fract() == 0.0 => Some(float_text(*value)),
                Raw::Int(value) => Some(value.to_string()),
                Raw::Text(text) => {
                    decimal_text(text).and_then(|number| match number.split_once('.') {
                        None => Some(number),
                        Some((int, frac)) if frac.bytes().all(|b| b == b'0') => {
                            Some(int.to_owned())
                        }
                        Some(_) => None,
                    })
                }
                _ => None,
            };
            text.map(Val::Num)
                .ok_or_else(|| format!("{} is not a whole number", raw.shown()))
        }
        Kind::Date => {
            let text = match raw {
                Raw::Text(text) => text_date(text),
                Raw::Date(date) if !date.is_duration() => Some(excel_date(date)),
                Raw::IsoDate(text) => iso_date(text),
                _ => None,
            };
            text.map(Val::Str).ok_or_else(|| {
                format!(
                    "{} is not a date dd/mm/yyyy (write it as text dd/mm/yyyy or use a date cell)",
                    raw.shown()
                )
            })
        }
    }
}

/// Which document a row belongs to: supplier GSTIN, document type, number and date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    gstin: String,
    typ: String,
    no: String,
    dt: String,
}

impl Key {
    fn of(row: &[Slot], keys: &KeyColumns) -> Key {
        Key {
            gstin: row[keys.gstin].text().to_uppercase(),
            typ: row[keys.typ].text().to_uppercase(),
            no: row[keys.no].text().to_uppercase(),
            dt: row[keys.dt].text().to_owned(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "document {} {} of {} dated {}",
            self.typ, self.no, self.gstin, self.dt
        )
    }
}

struct KeyColumns {
    gstin: usize,
    typ: usize,
    no: usize,
    dt: usize,
}

/// A document being gathered: its first row's values and each item row.
struct Gathered {
    key: Key,
    first_row: u32,
    last_row: u32,
    first: Vec<Slot>,
    items: Vec<(u32, Vec<Slot>)>,
}

/// How many times its size a workbook may unpack to (spreadsheets compress about 5 to 10 times).
const EXPANSION: usize = 20;
/// What any workbook may unpack to, however small the byte limit.
const MIN_EXPANDED: usize = 16 * 1024 * 1024;

/// The sum of the declared sizes of the archive's parts, or `None` when it is not a ZIP.
fn expanded_size(bytes: &[u8]) -> Option<u64> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        total = total.saturating_add(archive.by_index_raw(index).ok()?.size());
    }
    Some(total)
}

/// Reads the `Invoices` sheet of an `.xlsx` workbook: one INV-01 v1.1 JSON document per group
/// of consecutive rows with the same document key, in sheet order.
///
/// Refuses a workbook larger than `limits.max_bytes` before opening it, and one with a filled
/// cell below row `limits.max_rows + 1` as soon as the cell is met, before any row is
/// converted. Any problem (layout, a cell that does not fit its column, a document split over
/// non-consecutive rows, merged cells) makes the whole workbook an error listing every problem
/// found, up to [`MAX_PROBLEMS`](crate::MAX_PROBLEMS); nothing is returned partially.
///
/// The values are converted, not validated: a document the portal would reject (a bad GSTIN,
/// wrong totals, an empty required cell) is read, and the portal's answer names its fields.
pub fn read_invoices(bytes: &[u8], limits: &Limits) -> Result<Vec<Document>, SheetError> {
    if bytes.len() > limits.max_bytes {
        return Err(SheetError::one(
            "workbook",
            format!(
                "the file is {} bytes, over the limit of {} bytes",
                bytes.len(),
                limits.max_bytes
            ),
        ));
    }
    // A workbook is a ZIP archive: its parts' declared sizes are checked before any is expanded,
    // so that a small file that unpacks to gigabytes (a zip bomb) is refused unread.
    let expanded = expanded_size(bytes).ok_or_else(|| {
        SheetError::one(
            "workbook",
            "the file is not a readable .xlsx workbook".to_owned(),
        )
    })?;
    let most = limits.max_bytes.saturating_mul(EXPANSION).max(MIN_EXPANDED);
    if expanded > most as u64 {
        return Err(SheetError::one(
            "workbook",
            format!("the workbook unpacks to {expanded} bytes, over the limit of {most} bytes"),
        ));
    }
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|error| {
        SheetError::one(
            "workbook",
            format!("the file is not a readable .xlsx workbook ({error})"),
        )
    })?;
    let names = workbook.sheet_names();
    let Some(sheet) = names
        .iter()
        .find(|name| name.trim().eq_ignore_ascii_case(SHEET))
        .cloned()
    else {
        return Err(SheetError::one(
            "workbook",
            format!(
                "there is no sheet named {SHEET} (the workbook's sheets: {})",
                names.join(", ")
            ),
        ));
    };

    let cells = read_cells(&mut workbook, &sheet, limits)?;
    let mut problems = Problems::default();
    let merged = workbook
        .merge_cells_by_sheet_name(&sheet)
        .map_err(|error| unreadable(&sheet, &error))?;
    for range in merged {
        let (top, left) = range.start;
        let (bottom, right) = range.end;
        problems.push(
            format!(
                "{sheet}!{}{}:{}{}",
                column_letter(left),
                top + 1,
                column_letter(right),
                bottom + 1
            ),
            Some(top + 1),
            "merged cells are not allowed: unmerge them and fill every cell".to_owned(),
        );
    }

    let header = read_header(&sheet, &cells, &mut problems);
    problems.check()?;
    let documents = gather(&sheet, &cells, &header, &mut problems);
    problems.check()?;
    if documents.is_empty() {
        return Err(SheetError::one(
            sheet,
            "the sheet has no data rows under the header row",
        ));
    }
    Ok(documents.iter().map(write_document).collect())
}

fn unreadable(sheet: &str, error: &calamine::XlsxError) -> SheetError {
    SheetError::one(
        "workbook",
        format!("the sheet {sheet} could not be read ({error})"),
    )
}

/// The filled cells of the sheet, `(row, column, value)` with 0-based positions, sorted.
fn read_cells(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
    limits: &Limits,
) -> Result<Vec<(u32, u32, Raw)>, SheetError> {
    let mut reader = workbook
        .worksheet_cells_reader(sheet)
        .map_err(|error| unreadable(sheet, &error))?;
    let mut cells = Vec::new();
    while let Some(cell) = reader
        .next_cell()
        .map_err(|error| unreadable(sheet, &error))?
    {
        let (row, column) = cell.get_position();
        let Some(raw) = Raw::from_data(cell.get_value().clone()) else {
            continue;
        };
        if row > limits.max_rows {
            return Err(SheetError::one(
                format!("{sheet}!{}:{}", row + 1, row + 1),
                format!(
                    "the sheet has more than {} data rows, the limit for one upload: split it",
                    limits.max_rows
                ),
            ));
        }
        cells.push((row, column, raw));
    }
    cells.sort_by_key(|&(row, column, _)| (row, column));
    Ok(cells)
}

/// The header row: for each sheet column, the index in [`COLUMNS`] of its column.
fn read_header(
    sheet: &str,
    cells: &[(u32, u32, Raw)],
    problems: &mut Problems,
) -> HashMap<u32, usize> {
    let mut header = HashMap::new();
    let mut seen: HashMap<usize, u32> = HashMap::new();
    for (_, column, raw) in cells.iter().take_while(|(row, ..)| *row == 0) {
        let text = raw.header_text();
        let place = format!("{sheet}!{}1", column_letter(*column));
        match column_index(&text) {
            None => problems.push(
                place,
                Some(1),
                format!("unknown column {text:?} (the template's Columns sheet lists the columns)"),
            ),
            Some(index) => {
                if let Some(first) = seen.get(&index) {
                    problems.push(
                        place,
                        Some(1),
                        format!(
                            "the column {} appears twice (also in {}1)",
                            COLUMNS[index].header,
                            column_letter(*first)
                        ),
                    );
                } else {
                    seen.insert(index, *column);
                    header.insert(*column, index);
                }
            }
        }
    }
    for column in COLUMNS.iter().filter(|column| column.required) {
        if !seen.contains_key(&index_of(column.header)) {
            problems.push(
                format!("{sheet}!1:1"),
                Some(1),
                format!("the required column {} is missing", column.header),
            );
        }
    }
    header
}

/// Converts the data rows and groups them into documents.
fn gather(
    sheet: &str,
    cells: &[(u32, u32, Raw)],
    header: &HashMap<u32, usize>,
    problems: &mut Problems,
) -> Vec<Gathered> {
    let keys = KeyColumns {
        gstin: index_of("SellerDtls.Gstin"),
        typ: index_of("DocDtls.Typ"),
        no: index_of("DocDtls.No"),
        dt: index_of("DocDtls.Dt"),
    };
    let letters: HashMap<usize, String> = header
        .iter()
        .map(|(&column, &index)| (index, column_letter(column)))
        .collect();
    let place = |index: usize, row: u32| {
        format!(
            "{sheet}!{}{row} ({})",
            letters[&index], COLUMNS[index].header
        )
    };
    let mut documents: Vec<Gathered> = Vec::new();
    let mut finished: HashMap<Key, (u32, u32)> = HashMap::new();
    let data = cells.iter().skip_while(|(row, ..)| *row == 0);
    let mut rows = data.collect::<Vec<_>>();
    rows.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    for row_cells in rows.chunk_by(|a, b| a.0 == b.0) {
        if problems.is_full() {
            break;
        }
        let row = row_cells[0].0 + 1;
        let mut values = vec![Slot::Empty; COLUMNS.len()];
        for (_, column, raw) in row_cells {
            let Some(&index) = header.get(column) else {
                problems.push(
                    format!("{sheet}!{}{row}", column_letter(*column)),
                    Some(row),
                    format!("{} is in a column without a header", raw.shown()),
                );
                continue;
            };
            values[index] = match convert(COLUMNS[index].kind, raw) {
                Ok(value) => Slot::Value(value),
                Err(message) => {
                    problems.push(place(index, row), Some(row), message);
                    Slot::Bad
                }
            };
        }
        let key = Key::of(&values, &keys);
        match documents.last_mut() {
            Some(current) if current.key == key => {
                for (index, column) in COLUMNS.iter().enumerate() {
                    if column.level == Level::Item {
                        continue;
                    }
                    let (first, this) = (&current.first[index], &values[index]);
                    if first != this && *first != Slot::Bad && *this != Slot::Bad {
                        problems.push(
                            place(index, row),
                            Some(row),
                            format!(
                                "{} differs from {} in {}{} on the document's first row: a \
                                 document's fields must be the same on each of its rows",
                                shown_slot(this),
                                shown_slot(first),
                                letters[&index],
                                current.first_row
                            ),
                        );
                    }
                }
                current.last_row = row;
                current.items.push((row, values));
            }
            _ => {
                if let Some(current) = documents.last() {
                    finished.insert(current.key.clone(), (current.first_row, current.last_row));
                }
                if let Some((first, last)) = finished.get(&key) {
                    problems.push(
                        format!("{sheet}!{row}:{row}"),
                        Some(row),
                        format!(
                            "the {} was already in rows {first} to {last}, with another \
                             document in between: a document's rows must be consecutive",
                            key.describe()
                        ),
                    );
                }
                documents.push(Gathered {
                    key,
                    first_row: row,
                    last_row: row,
                    first: values.clone(),
                    items: vec![(row, values)],
                });
            }
        }
    }
    documents
}

fn shown_slot(slot: &Slot) -> String {
    match slot {
        Slot::Value(value) => format!("{:?}", value.text()),
        _ => "an empty cell".to_owned(),
    }
}

/// Writes a JSON string literal.
fn json_string(out: &mut String, text: &str) {
    out.push_str(&serde_json::Value::from(text).to_string());
}

/// Writes `{"Field":value,...}` of the filled columns among `columns`; false when none is.
fn write_object<'a>(
    out: &mut String,
    columns: impl Iterator<Item = (&'a Column, &'a Slot)>,
    defaults: &[(&str, &str)],
) -> bool {
    let mut wrote = false;
    out.push('{');
    for (column, slot) in columns {
        let value = match slot {
            Slot::Value(value) => value.clone(),
            _ => match defaults.iter().find(|(header, _)| *header == column.header) {
                Some((_, default)) => Val::Str((*default).to_owned()),
                None => continue,
            },
        };
        if wrote {
            out.push(',');
        }
        json_string(out, column.field());
        out.push(':');
        match value {
            Val::Str(text) => json_string(out, &text),
            Val::Num(text) => out.push_str(&text),
        }
        wrote = true;
    }
    out.push('}');
    wrote
}

/// Defaults for empty or absent columns whose only valid value is known.
const DEFAULTS: &[(&str, &str)] = &[("Version", "1.1"), ("TranDtls.TaxSch", "GST")];

fn write_document(document: &Gathered) -> Document {
    let mut out = String::from("{");
    let mut first_member = true;
    for section in SECTIONS {
        let mut part = String::new();
        json_string(&mut part, section);
        part.push(':');
        let keep = if *section == "Version" {
            let at = index_of("Version");
            let version = match &document.first[at] {
                Slot::Value(value) => value.text().to_owned(),
                _ => DEFAULTS[0].1.to_owned(),
            };
            json_string(&mut part, &version);
            true
        } else if *section == "ItemList" {
            part.push('[');
            for (n, (_, values)) in document.items.iter().enumerate() {
                if n > 0 {
                    part.push(',');
                }
                write_object(&mut part, in_section(section, values), &[]);
            }
            part.push(']');
            true
        } else {
            let filled = write_object(&mut part, in_section(section, &document.first), DEFAULTS);
            filled || REQUIRED_SECTIONS.contains(section)
        };
        if keep {
            if !first_member {
                out.push(',');
            }
            out.push_str(&part);
            first_member = false;
        }
    }
    out.push('}');
    Document {
        json: out,
        first_row: document.first_row,
        last_row: document.last_row,
        item_rows: document.items.iter().map(|(row, _)| *row).collect(),
    }
}

/// The columns of one INV-01 object with the row's values, in schema order.
fn in_section<'a>(
    section: &'a str,
    values: &'a [Slot],
) -> impl Iterator<Item = (&'a Column, &'a Slot)> + 'a {
    COLUMNS
        .iter()
        .zip(values)
        .filter(move |(column, _)| column.section() == Some(section))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(decimal_text("12.50").as_deref(), Some("12.50"));
        assert_eq!(decimal_text("007").as_deref(), Some("7"));
        assert_eq!(decimal_text(".5").as_deref(), Some("0.5"));
        assert_eq!(decimal_text("-0.30").as_deref(), Some("-0.30"));
        assert_eq!(decimal_text("5.").as_deref(), Some("5"));
        for bad in ["", "-", ".", "1e5", "1,000", "+1", "ten", "1.2.3", " 1"] {
            assert_eq!(decimal_text(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn floats_without_noise() {
        assert_eq!(float_text(1234.5), "1234.5");
        assert_eq!(float_text(560001.0), "560001");
        assert_eq!(float_text(0.1 + 0.2), "0.3");
        assert_eq!(float_text(99.545), "99.545");
        assert_eq!(float_text(123456789012345.0), "123456789012345");
        assert_eq!(float_text(0.3), "0.3");
        assert_eq!(float_text(-0.0), "0");
        assert_eq!(float_text(1e21), "1000000000000000000000");
    }

    #[test]
    fn dates() {
        assert_eq!(text_date("1/4/2025").as_deref(), Some("01/04/2025"));
        assert_eq!(text_date("01/04/2025").as_deref(), Some("01/04/2025"));
        assert_eq!(text_date("2025-04-01"), None);
        assert_eq!(text_date("01/04/25"), None);
        assert_eq!(
            iso_date("2025-04-01T00:00:00").as_deref(),
            Some("01/04/2025")
        );
    }

    #[test]
    fn integers() {
        assert_eq!(
            convert(Kind::Integer, &Raw::Text("562160.0".into())),
            Ok(Val::Num("562160".into()))
        );
        assert_eq!(
            convert(Kind::Integer, &Raw::Float(562160.5)),
            Err("562160.5 is not a whole number".into())
        );
        assert_eq!(
            convert(Kind::Text, &Raw::Float(61091000.0)),
            Ok(Val::Str("61091000".into()))
        );
    }
}
