//! The bulk upload's Excel workbook.
//!
//! Converts between the product's `.xlsx` bulk-upload template and INV-01 v1.1 invoice JSON
//! (spec `03`), and writes the result workbooks of bulk tasks (spec `09` §2.3). Bytes in, bytes
//! out: no files, no network.
//!
//! - [`read_invoices`] reads a filled template into one JSON document per invoice;
//! - [`template`] writes the blank template, with one example invoice;
//! - [`results_workbook`] writes a bulk task's results.
//!
//! # The template
//!
//! One sheet named **`Invoices`** (the name's letter case does not matter; other sheets are
//! ignored). Row 1 is the **header row**. Every following row is **one item** of an invoice,
//! and the invoice's own fields (document, seller, buyer, totals …) are repeated on each row of
//! that invoice, as in the single-sheet layout of NIC's offline tool.
//!
//! ## Documents
//!
//! Consecutive rows with the same **document key** form one invoice. The key is the supplier's
//! GSTIN (`SellerDtls.Gstin`), the document type (`DocDtls.Typ`), the document number
//! (`DocDtls.No`) and the document date (`DocDtls.Dt`); GSTIN, type and number are compared
//! ignoring letter case. Their rows give the items of `ItemList` in sheet order.
//!
//! - A key that comes back after rows of another document is an error naming both places: the
//!   rows of one document must be next to each other.
//! - Every document-level cell must be the same on all the rows of its document (an empty cell
//!   is a value too): a difference is an error naming the cell and the document's first row.
//! - Empty rows are skipped anywhere.
//!
//! ## Columns
//!
//! The header of each column is the field's place in INV-01, `Object.Field`: `DocDtls.No`,
//! `SellerDtls.Gstin`, `ItemList.HsnCd`, `ValDtls.TotInvVal`, and `Version`. Headers are
//! matched ignoring letter case and surrounding spaces, and the columns may be in any order.
//! Optional columns may be left out of the sheet. The template's `Columns` sheet lists every
//! column with its JSON path, kind, level, whether it is required, and a description; the same
//! list is [`COLUMNS`].
//!
//! - A header that is not a known column is an error (naming the column letter and header),
//!   and so is a column that appears twice and a filled cell under no header.
//! - A **required** column (below) missing from the header row is an error naming it.
//!
//! The required columns are those every invoice needs: `TranDtls.SupTyp`; `DocDtls.Typ`,
//! `No`, `Dt`; `SellerDtls.Gstin`, `LglNm`, `Addr1`, `Loc`, `Pin`, `Stcd`; `BuyerDtls.Gstin`,
//! `LglNm`, `Pos`, `Addr1`, `Loc`, `Stcd`; `ItemList.SlNo`, `IsServc`, `HsnCd`, `UnitPrice`,
//! `TotAmt`, `AssAmt`, `GstRt`, `TotItemVal`; `ValDtls.AssVal`, `TotInvVal`.
//!
//! Covered objects: `Version`; `TranDtls`, `DocDtls`, `SellerDtls`, `BuyerDtls`, `DispDtls`,
//! `ShipDtls`, `ValDtls`, `PayDtls`, `ExpDtls`, `EwbDtls` (every field); `ItemList` (every
//! scalar field). **Not covered** by the sheet: the item's `BchDtls` (batch) and `AttribDtls`
//! (attributes), `RefDtls` and `AddlDocDtls`. An invoice that needs them is uploaded as JSON.
//!
//! ## Cells
//!
//! Each column has a [`Kind`]:
//!
//! - **text**: the cell's text, trimmed. A numeric cell is taken as its number's text
//!   (`29` → `"29"`); format such columns as Text to keep leading zeros (`07`, `0401`): the
//!   template does. `Y`/`N` fields (`IsServc`, `RegRev` …) are text, not TRUE/FALSE cells.
//! - **number**: a JSON number. A numeric cell is written from its value to 15 significant
//!   digits, as Excel shows it, as the shortest decimal text (`1234.5`, `1050`, never `1050.0`
//!   nor `0.30000000000000004`). A text cell holding a plain decimal (`12.50`, `-0.3`; no
//!   exponent, no thousands separators) is accepted as that number, kept as written.
//! - **integer**: like number, without a fraction (`PIN` codes, `CrDay`, `Distance`);
//!   `560001.0` is accepted, `560001.5` is an error.
//! - **date**: a text `dd/mm/yyyy` (`d/m/yyyy` is padded to `dd/mm/yyyy`) or an Excel date
//!   cell, written as `dd/mm/yyyy`.
//!
//! An empty cell leaves its field out of the JSON, except `Version` (`"1.1"`) and
//! `TranDtls.TaxSch` (`"GST"`), whose only valid values are filled in. The objects `DispDtls`,
//! `ShipDtls`, `PayDtls`, `ExpDtls` and `EwbDtls` are written only when one of their cells is
//! filled; the required objects always are. A cell that does not fit its column's kind is an
//! error naming the sheet, the row as Excel numbers it, the column letter and the header:
//!
//! ```text
//! Invoices!H7 (ItemList.Qty): "ten" is not a number
//! ```
//!
//! The reader converts; it does not validate. An invoice with a wrong GSTIN, wrong totals or an
//! empty required cell is read, and the portal's answer for it names the JSON field; each
//! [`Document`] says which rows it came from, to map the answer back to the sheet.
//!
//! ## Refused workbooks
//!
//! Merged cells anywhere in the sheet (naming each merged range), a workbook without the
//! `Invoices` sheet or without data rows, a file that is not `.xlsx`, and a workbook over the
//! caller's [`Limits`] (bytes, checked first; data rows, checked while the cells are read,
//! before any is converted). All problems found are reported together (up to
//! [`MAX_PROBLEMS`]), and no invoice is returned when there is any.
//!
//! # Result workbooks
//!
//! [`results_workbook`] writes one sheet `Results` with the columns of the CSV results format
//! ([`GENERATE_COLUMNS`], [`CANCEL_COLUMNS`]): `Index` and `Status` (`1`/`0`) as numbers, the
//! rest as text, lists joined with `|`. `AckNo` and `EwbNo` are text because a 15-digit number
//! is beyond what an Excel number cell keeps exactly.

mod columns;
mod error;
mod read;
mod write;

pub use columns::{COLUMNS, Column, Kind, Level, column_index, column_letter};
pub use error::{MAX_PROBLEMS, Problem, SheetError};
pub use read::{Document, Limits, SHEET, read_invoices};
pub use write::{
    CANCEL_COLUMNS, CancelResult, GENERATE_COLUMNS, GenerateResult, Results, WriteError,
    results_workbook, template, template_dated,
};
