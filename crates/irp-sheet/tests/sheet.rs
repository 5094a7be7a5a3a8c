//! The reader and the writers end to end: workbooks built with rust_xlsxwriter, read back with
//! the crate (and with calamine for the writers).

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use irp_sheet::{
    COLUMNS, CancelResult, GenerateResult, Limits, Results, SheetError, read_invoices,
    results_workbook, template,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Value, json};

const LIMITS: Limits = Limits {
    max_bytes: 5 << 20,
    max_rows: 1000,
};

/// A cell of a test workbook.
#[derive(Clone, Debug)]
enum C {
    S(&'static str),
    Owned(String),
    N(f64),
    Date(u16, u8, u8),
}

/// A workbook with one sheet `Invoices`: `headers` on row 1, then `rows` (cells by header).
fn workbook(headers: &[&str], rows: &[HashMap<&str, C>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Invoices").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (n, row) in rows.iter().enumerate() {
        for (col, header) in headers.iter().enumerate() {
            let (r, c) = (1 + n as u32, col as u16);
            match row.get(header) {
                None => {}
                Some(C::S(text)) => {
                    sheet.write_string(r, c, *text).unwrap();
                }
                Some(C::Owned(text)) => {
                    sheet.write_string(r, c, text).unwrap();
                }
                Some(C::N(value)) => {
                    sheet.write_number(r, c, *value).unwrap();
                }
                Some(C::Date(y, m, d)) => {
                    let value = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                    sheet
                        .write_datetime_with_format(r, c, &value, &date)
                        .unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// The required columns, in the table's order.
fn required() -> Vec<&'static str> {
    COLUMNS
        .iter()
        .filter(|column| column.required)
        .map(|column| column.header)
        .collect()
}

/// Every required cell of one item row of document `no` (one item of ₹100 at 5 %).
fn row(no: &'static str, sl_no: &'static str) -> HashMap<&'static str, C> {
    use C::{N, S};
    HashMap::from([
        ("TranDtls.SupTyp", S("B2B")),
        ("DocDtls.Typ", S("INV")),
        ("DocDtls.No", S(no)),
        ("DocDtls.Dt", S("01/04/2025")),
        ("SellerDtls.Gstin", S("29LARGE1000C1ZK")),
        ("SellerDtls.LglNm", S("Sandbox Large 29")),
        ("SellerDtls.Addr1", S("1 MG Road")),
        ("SellerDtls.Loc", S("Bengaluru")),
        ("SellerDtls.Pin", N(560001.0)),
        ("SellerDtls.Stcd", S("29")),
        ("BuyerDtls.Gstin", S("29AWGPV7107B1Z1")),
        ("BuyerDtls.LglNm", S("XYZ company pvt ltd")),
        ("BuyerDtls.Pos", S("29")),
        ("BuyerDtls.Addr1", S("7th block")),
        ("BuyerDtls.Loc", S("Bengaluru")),
        ("BuyerDtls.Stcd", N(29.0)),
        ("ItemList.SlNo", S(sl_no)),
        ("ItemList.IsServc", S("N")),
        ("ItemList.HsnCd", N(61091000.0)),
        ("ItemList.UnitPrice", N(100.0)),
        ("ItemList.TotAmt", N(100.0)),
        ("ItemList.AssAmt", N(100.0)),
        ("ItemList.GstRt", N(5.0)),
        ("ItemList.TotItemVal", N(105.0)),
        ("ValDtls.AssVal", N(100.0)),
        ("ValDtls.TotInvVal", N(105.0)),
    ])
}

fn with(
    mut row: HashMap<&'static str, C>,
    cells: &[(&'static str, C)],
) -> HashMap<&'static str, C> {
    row.extend(cells.iter().cloned());
    row
}

fn messages(error: &SheetError) -> Vec<String> {
    error.problems.iter().map(ToString::to_string).collect()
}

fn read_err(bytes: &[u8]) -> Vec<String> {
    messages(&read_invoices(bytes, &LIMITS).expect_err("the workbook is refused"))
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).expect("the reader writes valid JSON")
}

#[test]
fn the_template_reads_back_as_its_example() {
    let documents = read_invoices(&template(), &LIMITS).expect("the template reads");
    assert_eq!(documents.len(), 1);
    let document = &documents[0];
    assert_eq!((document.first_row, document.last_row), (2, 3));
    assert_eq!(document.item_rows, vec![2, 3]);
    let expected = json!({
        "Version": "1.1",
        "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B", "RegRev": "N", "IgstOnIntra": "N"},
        "DocDtls": {"Typ": "INV", "No": "DOC/001", "Dt": "01/04/2025"},
        "SellerDtls": {"Gstin": "29LARGE1000C1ZK", "LglNm": "Sandbox Large 29", "Addr1": "1 MG Road",
                       "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29"},
        "BuyerDtls": {"Gstin": "29AWGPV7107B1Z1", "LglNm": "XYZ company pvt ltd", "Pos": "29",
                      "Addr1": "7th block, Kuvempu Layout", "Loc": "Bengaluru", "Pin": 562160, "Stcd": "29"},
        "ItemList": [
            {"SlNo": "1", "IsServc": "N", "PrdDesc": "Cotton T-shirt", "HsnCd": "61091000", "Qty": 10,
             "Unit": "NOS", "UnitPrice": 100.5, "TotAmt": 1005, "Discount": 5, "AssAmt": 1000, "GstRt": 5,
             "CgstAmt": 25, "SgstAmt": 25, "TotItemVal": 1050},
            {"SlNo": "2", "IsServc": "Y", "PrdDesc": "IT consulting", "HsnCd": "998313", "UnitPrice": 500,
             "TotAmt": 500, "AssAmt": 500, "GstRt": 18, "CgstAmt": 45, "SgstAmt": 45, "TotItemVal": 590}
        ],
        "ValDtls": {"AssVal": 1500, "CgstVal": 70, "SgstVal": 70, "TotInvVal": 1640}
    });
    assert_eq!(parse(&document.json), expected);
    // The fields are in the schema's order, numbers without a ".0".
    assert!(
        document.json.starts_with(
            r#"{"Version":"1.1","TranDtls":{"TaxSch":"GST","SupTyp":"B2B","RegRev":"N","IgstOnIntra":"N"},"DocDtls":{"Typ":"INV","No":"DOC/001","Dt":"01/04/2025"},"SellerDtls":{"Gstin""#
        ),
        "{}",
        document.json
    );
    assert!(
        document.json.contains(
            r#"{"SlNo":"1","IsServc":"N","PrdDesc":"Cotton T-shirt","HsnCd":"61091000","Qty":10,"#
        ),
        "{}",
        document.json
    );
    assert!(document.json.contains(r#""UnitPrice":100.5,"#));
    assert!(
        document.json.ends_with(
            r#"],"ValDtls":{"AssVal":1500,"CgstVal":70,"SgstVal":70,"TotInvVal":1640}}"#
        )
    );
}

#[test]
fn the_template_has_every_column_and_a_columns_sheet() {
    let mut book = Xlsx::new(Cursor::new(template())).unwrap();
    assert_eq!(book.sheet_names(), vec!["Invoices", "Columns"]);
    let invoices = book.worksheet_range("Invoices").unwrap();
    let headers: Vec<String> = invoices
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected: Vec<&str> = COLUMNS.iter().map(|column| column.header).collect();
    assert_eq!(headers, expected);
    let columns = book.worksheet_range("Columns").unwrap();
    let rows: Vec<Vec<String>> = columns
        .rows()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "Column",
            "JSON path",
            "Kind",
            "Level",
            "Required",
            "Description"
        ]
    );
    assert_eq!(rows.len(), COLUMNS.len() + 1);
    let hsn = rows.iter().find(|row| row[0] == "ItemList.HsnCd").unwrap();
    assert_eq!(hsn[1..5], ["$.ItemList[*].HsnCd", "text", "item", "yes"]);
    let pin = rows.iter().find(|row| row[0] == "SellerDtls.Pin").unwrap();
    assert_eq!(
        pin[1..5],
        ["$.SellerDtls.Pin", "integer", "document", "yes"]
    );
    // Bold header, frozen below row 1.
    let styles = book.worksheet_style("Invoices").unwrap();
    let font = styles
        .get((0, 0))
        .and_then(|style| style.font.clone())
        .expect("a header font");
    assert!(font.is_bold());
}

#[test]
fn two_documents_of_two_and_three_items() {
    let mut headers = required();
    headers.extend([
        "ItemList.Qty",
        "ItemList.Unit",
        "DispDtls.Nm",
        "ItemList.PrdDesc",
    ]);
    let second = |sl| {
        with(
            row("B-2", sl),
            &[
                ("ItemList.Qty", C::N(2.5)),
                ("ItemList.Unit", C::S("KGS")),
                ("ItemList.UnitPrice", C::S("40.10")),
                ("ItemList.TotAmt", C::N(0.1 + 0.2)),
                ("ValDtls.AssVal", C::N(300.0)),
                ("ValDtls.TotInvVal", C::N(315.0)),
                ("DispDtls.Nm", C::S("Warehouse 2")),
            ],
        )
    };
    let first = |sl| {
        with(
            row("a-1", sl),
            &[
                ("ValDtls.AssVal", C::N(200.0)),
                ("ValDtls.TotInvVal", C::N(210.0)),
            ],
        )
    };
    let mut first_b = first("2");
    first_b.insert("ItemList.PrdDesc", C::S("  Spaces trimmed  "));
    let bytes = workbook(
        &headers,
        &[
            first("1"),
            first_b,
            HashMap::new(),
            second("1"),
            second("2"),
            second("3"),
        ],
    );
    let documents = read_invoices(&bytes, &LIMITS).expect("the workbook reads");
    assert_eq!(documents.len(), 2);
    assert_eq!((documents[0].first_row, documents[0].last_row), (2, 3));
    assert_eq!((documents[1].first_row, documents[1].last_row), (5, 7));
    assert_eq!(documents[1].item_rows, vec![5, 6, 7]);
    let (a, b) = (parse(&documents[0].json), parse(&documents[1].json));
    assert_eq!(a["ItemList"].as_array().unwrap().len(), 2);
    assert_eq!(b["ItemList"].as_array().unwrap().len(), 3);
    assert_eq!(
        a["DocDtls"],
        json!({"Typ": "INV", "No": "a-1", "Dt": "01/04/2025"})
    );
    assert_eq!(a["ItemList"][1]["PrdDesc"], "Spaces trimmed");
    assert_eq!(a["ValDtls"], json!({"AssVal": 200, "TotInvVal": 210}));
    assert_eq!(
        a.get("DispDtls"),
        None,
        "an object with no filled cell is left out"
    );
    assert_eq!(a["TranDtls"], json!({"TaxSch": "GST", "SupTyp": "B2B"}));
    assert_eq!(a["Version"], "1.1");
    assert_eq!(b["DispDtls"], json!({"Nm": "Warehouse 2"}));
    assert_eq!(b["ItemList"][2]["SlNo"], "3");
    assert_eq!(
        b["ItemList"][0]["HsnCd"], "61091000",
        "a number in a text column is text"
    );
    assert_eq!(b["BuyerDtls"]["Stcd"], "29");
    assert_eq!(b["SellerDtls"]["Pin"], 560001);
    assert_eq!(b["ValDtls"]["TotInvVal"], 315);
    // Numbers as written, without float noise.
    assert!(
        documents[1]
            .json
            .contains(r#""Qty":2.5,"Unit":"KGS","UnitPrice":40.10,"TotAmt":0.3,"#),
        "{}",
        documents[1].json
    );
}

#[test]
fn a_missing_required_column_is_named() {
    let headers: Vec<&str> = required()
        .into_iter()
        .filter(|header| *header != "DocDtls.No" && *header != "ItemList.HsnCd")
        .collect();
    let bytes = workbook(&headers, &[row("A-1", "1")]);
    assert_eq!(
        read_err(&bytes),
        [
            "Invoices!1:1: the required column DocDtls.No is missing",
            "Invoices!1:1: the required column ItemList.HsnCd is missing",
        ]
    );
}

#[test]
fn text_in_a_number_column_names_sheet_cell_and_header() {
    let mut headers = required();
    headers.insert(7, "ItemList.Qty");
    let rows: Vec<_> = (1..=6)
        .map(|n| {
            let sl = ["1", "2", "3", "4", "5", "6"][n - 1];
            let qty = if n == 6 { C::S("ten") } else { C::N(1.0) };
            with(row("A-1", sl), &[("ItemList.Qty", qty)])
        })
        .collect();
    let bytes = workbook(&headers, &rows);
    assert_eq!(
        read_err(&bytes),
        [r#"Invoices!H7 (ItemList.Qty): "ten" is not a number"#]
    );
}

#[test]
fn all_cell_problems_are_reported_together() {
    let mut headers = required();
    headers.extend(["ItemList.Qty", "EwbDtls.TransDocDt"]);
    let bytes = workbook(
        &headers,
        &[
            with(row("A-1", "1"), &[("ItemList.Qty", C::S("1,000"))]),
            with(
                row("A-1", "2"),
                &[("EwbDtls.TransDocDt", C::S("2025-04-01"))],
            ),
            with(row("A-1", "3"), &[("ItemList.GstRt", C::S("5%"))]),
        ],
    );
    assert_eq!(
        read_err(&bytes),
        [
            r#"Invoices!AA2 (ItemList.Qty): "1,000" is not a number"#,
            r#"Invoices!AB3 (EwbDtls.TransDocDt): "2025-04-01" is not a date dd/mm/yyyy (write it as text dd/mm/yyyy or use a date cell)"#,
            r#"Invoices!W4 (ItemList.GstRt): "5%" is not a number"#,
        ]
    );
}

#[test]
fn merged_cells_are_refused() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Invoices").unwrap();
    for (col, header) in required().iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet
        .merge_range(1, 1, 2, 2, "merged", &Format::new())
        .unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let problems = read_err(&bytes);
    assert_eq!(
        problems,
        ["Invoices!B2:C3: merged cells are not allowed: unmerge them and fill every cell"]
    );
}

#[test]
fn an_unknown_column_is_named_with_its_letter() {
    let mut headers = required();
    headers.insert(2, "  Remarks ");
    let bytes = workbook(&headers, &[row("A-1", "1")]);
    assert_eq!(
        read_err(&bytes),
        [
            r#"Invoices!C1: unknown column "Remarks" (the template's Columns sheet lists the columns)"#
        ]
    );
}

#[test]
fn headers_match_in_any_order_and_letter_case() {
    let mut headers: Vec<String> = required()
        .iter()
        .rev()
        .map(|h| format!(" {} ", h.to_lowercase()))
        .collect();
    headers.push("VERSION".to_owned());
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    // Cells are keyed by the header as written in the sheet.
    let base = row("A-1", "1");
    let lower: HashMap<&str, C> = header_refs
        .iter()
        .filter_map(|header| {
            let canonical = required()
                .into_iter()
                .find(|r| r.eq_ignore_ascii_case(header.trim()))?;
            Some((*header, base[canonical].clone()))
        })
        .collect();
    let bytes = workbook(&header_refs, &[lower]);
    let documents = read_invoices(&bytes, &LIMITS).expect("reads");
    let invoice = parse(&documents[0].json);
    assert_eq!(invoice["Version"], "1.1");
    assert_eq!(invoice["DocDtls"]["No"], "A-1");
    assert!(documents[0].json.starts_with(
        r#"{"Version":"1.1","TranDtls":{"TaxSch":"GST","SupTyp":"B2B"},"DocDtls":{"Typ":"INV","#
    ));
}

#[test]
fn a_duplicate_column_and_a_value_without_header_are_named() {
    let mut headers = required();
    headers.push("docdtls.no");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Invoices").unwrap();
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    assert_eq!(
        read_err(&bytes),
        ["Invoices!AA1: the column DocDtls.No appears twice (also in C1)"]
    );

    let headers = required();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Invoices").unwrap();
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 30, "stray").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    assert_eq!(
        read_err(&bytes),
        [r#"Invoices!AE2: "stray" is in a column without a header"#]
    );
}

#[test]
fn a_fractional_pin_is_refused() {
    let mut headers = required();
    headers.push("BuyerDtls.Pin");
    let bytes = workbook(
        &headers,
        &[with(
            row("A-1", "1"),
            &[
                ("SellerDtls.Pin", C::N(560001.5)),
                ("BuyerDtls.Pin", C::S("562160.0")),
            ],
        )],
    );
    assert_eq!(
        read_err(&bytes),
        ["Invoices!I2 (SellerDtls.Pin): 560001.5 is not a whole number"]
    );
    let bytes = workbook(
        &headers,
        &[with(
            row("A-1", "1"),
            &[("BuyerDtls.Pin", C::S("562160.0"))],
        )],
    );
    let invoice = parse(&read_invoices(&bytes, &LIMITS).unwrap()[0].json);
    assert_eq!(invoice["BuyerDtls"]["Pin"], 562160);
}

#[test]
fn a_date_cell_becomes_dd_mm_yyyy() {
    let mut headers = required();
    headers.push("ExpDtls.ShipBDt");
    let bytes = workbook(
        &headers,
        &[with(
            row("A-1", "1"),
            &[
                ("DocDtls.Dt", C::Date(2025, 4, 1)),
                ("ExpDtls.ShipBDt", C::S("5/4/2025")),
            ],
        )],
    );
    let invoice = parse(&read_invoices(&bytes, &LIMITS).unwrap()[0].json);
    assert_eq!(invoice["DocDtls"]["Dt"], "01/04/2025");
    assert_eq!(invoice["ExpDtls"], json!({"ShipBDt": "05/04/2025"}));

    // A date cell in a text column, and a plain number in a date column, are errors.
    let bytes = workbook(
        &headers,
        &[with(
            row("A-1", "1"),
            &[
                ("DocDtls.No", C::Date(2025, 1, 2)),
                ("ExpDtls.ShipBDt", C::N(45748.0)),
            ],
        )],
    );
    assert_eq!(
        read_err(&bytes),
        [
            "Invoices!C2 (DocDtls.No): the date cell 02/01/2025 is not text (format the cells of this column as Text)",
            "Invoices!AA2 (ExpDtls.ShipBDt): 45748 is not a date dd/mm/yyyy (write it as text dd/mm/yyyy or use a date cell)",
        ]
    );
}

#[test]
fn a_document_key_coming_back_later_is_refused() {
    let bytes = workbook(
        &required(),
        &[
            row("A-1", "1"),
            row("A-1", "2"),
            row("B-1", "1"),
            row("A-1", "3"),
        ],
    );
    assert_eq!(
        read_err(&bytes),
        [
            "Invoices!5:5: the document INV A-1 of 29LARGE1000C1ZK dated 01/04/2025 was already in rows 2 to 3, with another document in between: a document's rows must be consecutive"
        ]
    );
}

#[test]
fn document_fields_must_repeat_on_every_row() {
    let bytes = workbook(
        &required(),
        &[
            row("A-1", "1"),
            with(
                row("A-1", "2"),
                &[("BuyerDtls.LglNm", C::S("Someone else"))],
            ),
        ],
    );
    assert_eq!(
        read_err(&bytes),
        [
            r#"Invoices!L3 (BuyerDtls.LglNm): "Someone else" differs from "XYZ company pvt ltd" in L2 on the document's first row: a document's fields must be the same on each of its rows"#
        ]
    );
}

#[test]
fn limits_are_checked_first() {
    let rows: Vec<_> = (0..5).map(|_| row("A-1", "1")).collect();
    let bytes = workbook(&required(), &rows);
    let tight = Limits {
        max_bytes: LIMITS.max_bytes,
        max_rows: 4,
    };
    let error = read_invoices(&bytes, &tight).unwrap_err();
    assert_eq!(
        messages(&error),
        ["Invoices!6:6: the sheet has more than 4 data rows, the limit for one upload: split it"]
    );
    let exact = Limits {
        max_bytes: LIMITS.max_bytes,
        max_rows: 5,
    };
    let documents = read_invoices(&bytes, &exact).expect("5 data rows are within a limit of 5");
    assert_eq!(documents[0].item_rows, vec![2, 3, 4, 5, 6]);

    let small = Limits {
        max_bytes: 100,
        max_rows: 1000,
    };
    let error = read_invoices(&bytes, &small).unwrap_err();
    assert_eq!(
        messages(&error),
        [format!(
            "workbook: the file is {} bytes, over the limit of 100 bytes",
            bytes.len()
        )]
    );
}

#[test]
fn a_workbook_without_the_sheet_or_rows_is_refused() {
    let mut book = Workbook::new();
    book.add_worksheet().set_name("Sheet1").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    assert_eq!(
        read_err(&bytes),
        ["workbook: there is no sheet named Invoices (the workbook's sheets: Sheet1)"]
    );

    let bytes = workbook(
        &required(),
        &[HashMap::new(), HashMap::from([("DocDtls.No", C::S("   "))])],
    );
    assert_eq!(
        read_err(&bytes),
        ["Invoices: the sheet has no data rows under the header row"]
    );

    let problems = read_err(b"not a zip file");
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("workbook: the file is not a readable .xlsx workbook"),
        "{problems:?}"
    );
}

#[test]
fn strings_are_escaped_in_the_json() {
    let mut headers = required();
    headers.push("ItemList.PrdDesc");
    let text = "Quote \" backslash \\ tab\t ünïcödé ₹".to_owned();
    let bytes = workbook(
        &headers,
        &[with(
            row("A-1", "1"),
            &[("ItemList.PrdDesc", C::Owned(text.clone()))],
        )],
    );
    let invoice = parse(&read_invoices(&bytes, &LIMITS).unwrap()[0].json);
    assert_eq!(invoice["ItemList"][0]["PrdDesc"], text.trim());
}

fn cells(bytes: Vec<u8>) -> Vec<Vec<Data>> {
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["Results"]);
    let range = book.worksheet_range("Results").unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

#[test]
fn the_results_workbooks_read_back() {
    let generate = [
        GenerateResult {
            index: 0,
            success: true,
            doc_typ: "INV".into(),
            doc_no: "DOC/001".into(),
            doc_dt: "01/04/2025".into(),
            irn: "a".repeat(64),
            ack_no: "112010000012345".into(),
            ack_dt: "2025-04-01 10:00:00".into(),
            ewb_no: "181001234567".into(),
            ewb_dt: "2025-04-01 10:00:00".into(),
            ewb_valid_till: "2025-04-02 23:59:00".into(),
            info_codes: vec!["EWBERR".into()],
            ..GenerateResult::default()
        },
        GenerateResult {
            index: 1,
            success: false,
            doc_typ: "INV".into(),
            doc_no: "DOC/002".into(),
            doc_dt: "01/04/2025".into(),
            error_codes: vec!["2150".into(), "2172".into()],
            error_messages: vec!["Duplicate IRN".into(), "Bad total".into()],
            ..GenerateResult::default()
        },
    ];
    let rows = cells(results_workbook(Results::Generate(&generate)).unwrap());
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(
        header,
        [
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
            "InfCd"
        ]
    );
    assert_eq!(rows[1][0], Data::Float(0.0));
    assert_eq!(rows[1][1], Data::Float(1.0));
    assert_eq!(rows[1][5], Data::String("a".repeat(64)));
    assert_eq!(
        rows[1][6],
        Data::String("112010000012345".into()),
        "AckNo is text"
    );
    assert_eq!(rows[1][8], Data::String("181001234567".into()));
    assert_eq!(rows[1][13], Data::String("EWBERR".into()));
    assert_eq!(rows[1][11], Data::Empty);
    assert_eq!(rows[2][1], Data::Float(0.0));
    assert_eq!(rows[2][3], Data::String("DOC/002".into()));
    assert_eq!(rows[2][11], Data::String("2150|2172".into()));
    assert_eq!(rows[2][12], Data::String("Duplicate IRN|Bad total".into()));

    let cancel = [CancelResult {
        index: 3,
        success: true,
        irn: "b".repeat(64),
        cancel_date: "2025-04-01 11:00:00".into(),
        ..CancelResult::default()
    }];
    let rows = cells(results_workbook(Results::Cancel(&cancel)).unwrap());
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(
        header,
        [
            "Index",
            "Status",
            "Irn",
            "CancelDate",
            "ErrorCodes",
            "ErrorMessages"
        ]
    );
    assert_eq!(
        rows[1][..4],
        [
            Data::Float(3.0),
            Data::Float(1.0),
            Data::String("b".repeat(64)),
            Data::String("2025-04-01 11:00:00".into())
        ]
    );
}

/// A small file that unpacks to far more than its size (a zip bomb) is refused before it is
/// expanded, naming the sizes.
#[test]
fn a_workbook_that_unpacks_too_far_is_refused() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Invoices").unwrap();
    // 600 distinct cells of 32,000 characters: about 19 MB of shared strings, a few KB packed.
    for row in 0..600_u32 {
        sheet
            .write_string(row, 0, format!("{row}{}", "a".repeat(32_000)))
            .unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let limits = Limits {
        max_bytes: 64 * 1024,
        max_rows: 1_000,
    };
    assert!(
        bytes.len() < limits.max_bytes,
        "{} bytes packed",
        bytes.len()
    );
    let error = read_invoices(&bytes, &limits).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("unpacks to"), "{message}");
    // The same workbook under a limit that allows its size is read (and refused for its layout).
    let generous = Limits {
        max_bytes: 8 * 1024 * 1024,
        max_rows: 1_000,
    };
    let error = read_invoices(&bytes, &generous).unwrap_err();
    assert!(!error.to_string().contains("unpacks to"), "{error}");
}
