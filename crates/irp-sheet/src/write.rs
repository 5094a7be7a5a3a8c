//! The writers: the blank template with its example, and the result workbooks of bulk tasks.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::columns::{COLUMNS, Kind, index_of};
use crate::read::SHEET;

/// Why a workbook could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the workbook could not be written: {0}")]
pub struct WriteError(String);

impl From<XlsxError> for WriteError {
    fn from(error: XlsxError) -> Self {
        WriteError(error.to_string())
    }
}

/// A cell of the template's example.
#[derive(Clone, Copy)]
enum Example {
    Text(&'static str),
    Number(f64),
}

use Example::{Number as N, Text as T};

/// The example document's fields, written on each of its rows.
const EXAMPLE_DOCUMENT: &[(&str, Example)] = &[
    ("Version", T("1.1")),
    ("TranDtls.TaxSch", T("GST")),
    ("TranDtls.SupTyp", T("B2B")),
    ("TranDtls.RegRev", T("N")),
    ("TranDtls.IgstOnIntra", T("N")),
    ("DocDtls.Typ", T("INV")),
    ("DocDtls.No", T("DOC/001")),
    ("DocDtls.Dt", T(EXAMPLE_DATE)),
    ("SellerDtls.Gstin", T("29LARGE1000C1ZK")),
    ("SellerDtls.LglNm", T("Sandbox Large 29")),
    ("SellerDtls.Addr1", T("1 MG Road")),
    ("SellerDtls.Loc", T("Bengaluru")),
    ("SellerDtls.Pin", N(560001.0)),
    ("SellerDtls.Stcd", T("29")),
    ("BuyerDtls.Gstin", T("29AWGPV7107B1Z1")),
    ("BuyerDtls.LglNm", T("XYZ company pvt ltd")),
    ("BuyerDtls.Pos", T("29")),
    ("BuyerDtls.Addr1", T("7th block, Kuvempu Layout")),
    ("BuyerDtls.Loc", T("Bengaluru")),
    ("BuyerDtls.Pin", N(562160.0)),
    ("BuyerDtls.Stcd", T("29")),
    ("ValDtls.AssVal", N(1500.0)),
    ("ValDtls.CgstVal", N(70.0)),
    ("ValDtls.SgstVal", N(70.0)),
    ("ValDtls.TotInvVal", N(1640.0)),
];

/// The example document's two items: goods at 5 %, a service at 18 %.
const EXAMPLE_ITEMS: &[&[(&str, Example)]] = &[
    &[
        ("ItemList.SlNo", T("1")),
        ("ItemList.IsServc", T("N")),
        ("ItemList.PrdDesc", T("Cotton T-shirt")),
        ("ItemList.HsnCd", T("61091000")),
        ("ItemList.Qty", N(10.0)),
        ("ItemList.Unit", T("NOS")),
        ("ItemList.UnitPrice", N(100.5)),
        ("ItemList.TotAmt", N(1005.0)),
        ("ItemList.Discount", N(5.0)),
        ("ItemList.AssAmt", N(1000.0)),
        ("ItemList.GstRt", N(5.0)),
        ("ItemList.CgstAmt", N(25.0)),
        ("ItemList.SgstAmt", N(25.0)),
        ("ItemList.TotItemVal", N(1050.0)),
    ],
    &[
        ("ItemList.SlNo", T("2")),
        ("ItemList.IsServc", T("Y")),
        ("ItemList.PrdDesc", T("IT consulting")),
        ("ItemList.HsnCd", T("998313")),
        ("ItemList.UnitPrice", N(500.0)),
        ("ItemList.TotAmt", N(500.0)),
        ("ItemList.AssAmt", N(500.0)),
        ("ItemList.GstRt", N(18.0)),
        ("ItemList.CgstAmt", N(45.0)),
        ("ItemList.SgstAmt", N(45.0)),
        ("ItemList.TotItemVal", N(590.0)),
    ],
];

/// The blank bulk-upload template: the `Invoices` sheet with the header row of every column
/// (bold, frozen), text-formatted text and date columns (so that `0401` or `07` keep their
/// leading zeros), and one example document of two items on rows 2 and 3; and the `Columns`
/// sheet describing each column.
pub fn template() -> Vec<u8> {
    template_dated(EXAMPLE_DATE)
}

/// [`template`] with the example document dated `doc_date` (`dd/mm/yyyy`), so that a user
/// (or a test) can upload the example as it is: the portal refuses documents dated too long
/// ago.
pub fn template_dated(doc_date: &str) -> Vec<u8> {
    // The content is fixed: writing it cannot fail, and the crate's tests read it back.
    write_template(doc_date)
        .unwrap_or_else(|error| unreachable!("the template is written: {error}"))
}

/// The example's date in [`template`].
const EXAMPLE_DATE: &str = "01/04/2025";

fn write_template(doc_date: &str) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color(0xDDEBF7)
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let text = Format::new().set_num_format("@");

    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET)?;
    for (index, column) in COLUMNS.iter().enumerate() {
        let col = u16::try_from(index).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, col, column.header, &header)?;
        let width = column.header.len().max(12) + 2;
        sheet.set_column_width(col, width as f64)?;
        if matches!(column.kind, Kind::Text | Kind::Date) {
            sheet.set_column_format(col, &text)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (n, item) in EXAMPLE_ITEMS.iter().enumerate() {
        let row = 1 + n as u32;
        for (header, value) in EXAMPLE_DOCUMENT.iter().chain(item.iter()) {
            let col = u16::try_from(index_of(header)).unwrap_or(u16::MAX);
            match value {
                Example::Text(_) if *header == "DocDtls.Dt" => {
                    sheet.write_string_with_format(row, col, doc_date, &text)?
                }
                Example::Text(value) => sheet.write_string_with_format(row, col, *value, &text)?,
                Example::Number(value) => sheet.write_number(row, col, *value)?,
            };
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name("Columns")?;
    let titles = [
        ("Column", 30.0),
        ("JSON path", 34.0),
        ("Kind", 16.0),
        ("Level", 10.0),
        ("Required", 10.0),
        ("Description", 90.0),
    ];
    for (col, (title, width)) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold)?;
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (index, column) in COLUMNS.iter().enumerate() {
        let row = 1 + index as u32;
        sheet.write_string(row, 0, column.header)?;
        sheet.write_string(row, 1, column.json_path())?;
        sheet.write_string(row, 2, column.kind.name())?;
        sheet.write_string(row, 3, column.level.name())?;
        sheet.write_string(row, 4, if column.required { "yes" } else { "no" })?;
        sheet.write_string(row, 5, column.description)?;
    }
    workbook.save_to_buffer()
}

/// One row of a bulk generate task's results: the columns of the CSV format (spec `09` §2.3).
/// Empty strings and empty lists are written as empty cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateResult {
    /// The element's 0-based position in the submitted array.
    pub index: u64,
    /// Registered (`1`) or failed (`0`).
    pub success: bool,
    /// `DocDtls.Typ`, when it could be read.
    pub doc_typ: String,
    /// `DocDtls.No`, when it could be read.
    pub doc_no: String,
    /// `DocDtls.Dt` (`dd/mm/yyyy`), when it could be read.
    pub doc_dt: String,
    /// The IRN of a registered document.
    pub irn: String,
    /// The acknowledgement number (15 digits).
    pub ack_no: String,
    /// The acknowledgement date.
    pub ack_dt: String,
    /// The e-way bill number, when one was generated.
    pub ewb_no: String,
    /// The e-way bill's date.
    pub ewb_dt: String,
    /// The e-way bill's validity end.
    pub ewb_valid_till: String,
    /// The error codes of a failure (joined with `|` in the cell).
    pub error_codes: Vec<String>,
    /// The error messages of a failure (joined with `|`).
    pub error_messages: Vec<String>,
    /// The information codes (`InfCd`), e.g. `DUPIRN` (joined with `|`).
    pub info_codes: Vec<String>,
}

/// One row of a bulk cancel task's results (spec `09` §2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CancelResult {
    /// The element's 0-based position in the submitted array.
    pub index: u64,
    /// Cancelled (`1`) or failed (`0`).
    pub success: bool,
    /// The IRN.
    pub irn: String,
    /// The cancellation date of a cancelled IRN.
    pub cancel_date: String,
    /// The error codes of a failure (joined with `|`).
    pub error_codes: Vec<String>,
    /// The error messages of a failure (joined with `|`).
    pub error_messages: Vec<String>,
}

/// A bulk task's results, by kind of task.
#[derive(Debug, Clone, Copy)]
pub enum Results<'a> {
    /// A `bulk/generate` task's.
    Generate(&'a [GenerateResult]),
    /// A `bulk/cancel` task's.
    Cancel(&'a [CancelResult]),
}

/// The header of the generate results sheet: the CSV format's columns.
pub const GENERATE_COLUMNS: &[&str] = &[
    "Index",
    "Status",
    "DocTyp",
    "DocNo",
    "DocDt",
    "Irn",
    "AckNo",
    "AckDt",
    "EwbNo",
    "EwbDt",
    "EwbValidTill",
    "ErrorCodes",
    "ErrorMessages",
    "InfCd",
];

/// The header of the cancel results sheet: the CSV format's columns.
pub const CANCEL_COLUMNS: &[&str] = &[
    "Index",
    "Status",
    "Irn",
    "CancelDate",
    "ErrorCodes",
    "ErrorMessages",
];

/// The longest text an Excel cell holds.
const MAX_CELL_CHARS: usize = 32_767;

/// A cell's value in a results row.
enum Out {
    Number(f64),
    Text(String),
}

/// A bulk task's results as a workbook: one sheet `Results`, the header row (bold, frozen) of
/// [`GENERATE_COLUMNS`] or [`CANCEL_COLUMNS`], then one row per result. `Index` and `Status`
/// (`1`/`0`) are numbers; every other cell is text. Fails only above Excel's 1,048,575 data
/// rows.
pub fn results_workbook(results: Results<'_>) -> Result<Vec<u8>, WriteError> {
    let join = |list: &[String]| Out::Text(list.join("|"));
    let status = |success: bool| Out::Number(if success { 1.0 } else { 0.0 });
    // AckNo and EwbNo are written as text: a 15-digit acknowledgement number exceeds the 15
    // significant digits Excel keeps of a number (and Excel would show either in scientific
    // notation), so a numeric cell would lose or hide digits.
    let (columns, rows): (&[&str], Vec<Vec<Out>>) = match results {
        Results::Generate(rows) => (
            GENERATE_COLUMNS,
            rows.iter()
                .map(|row| {
                    vec![
                        Out::Number(row.index as f64),
                        status(row.success),
                        Out::Text(row.doc_typ.clone()),
                        Out::Text(row.doc_no.clone()),
                        Out::Text(row.doc_dt.clone()),
                        Out::Text(row.irn.clone()),
                        Out::Text(row.ack_no.clone()),
                        Out::Text(row.ack_dt.clone()),
                        Out::Text(row.ewb_no.clone()),
                        Out::Text(row.ewb_dt.clone()),
                        Out::Text(row.ewb_valid_till.clone()),
                        join(&row.error_codes),
                        join(&row.error_messages),
                        join(&row.info_codes),
                    ]
                })
                .collect(),
        ),
        Results::Cancel(rows) => (
            CANCEL_COLUMNS,
            rows.iter()
                .map(|row| {
                    vec![
                        Out::Number(row.index as f64),
                        status(row.success),
                        Out::Text(row.irn.clone()),
                        Out::Text(row.cancel_date.clone()),
                        join(&row.error_codes),
                        join(&row.error_messages),
                    ]
                })
                .collect(),
        ),
    };
    if rows.len() > 1_048_575 {
        return Err(WriteError(format!(
            "{} results are more than an Excel sheet's 1,048,575 data rows",
            rows.len()
        )));
    }
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Results")?;
    write_results(sheet, columns, &rows)?;
    Ok(workbook.save_to_buffer()?)
}

fn write_results(
    sheet: &mut Worksheet,
    columns: &[&str],
    rows: &[Vec<Out>],
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    for (col, title) in columns.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, *title, &bold)?;
        let width = match *title {
            "Irn" => 68.0,
            "ErrorMessages" => 60.0,
            "AckDt" | "EwbDt" | "EwbValidTill" | "CancelDate" => 20.0,
            "AckNo" | "EwbNo" | "DocNo" | "ErrorCodes" => 18.0,
            _ => 10.0,
        };
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (n, cells) in rows.iter().enumerate() {
        let row = 1 + n as u32;
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell {
                Out::Number(value) => {
                    sheet.write_number(row, col, *value)?;
                }
                Out::Text(value) if value.is_empty() => {}
                Out::Text(value) => {
                    let value: String = value.chars().take(MAX_CELL_CHARS).collect();
                    sheet.write_string_with_format(row, col, value, &text)?;
                }
            }
        }
    }
    Ok(())
}
