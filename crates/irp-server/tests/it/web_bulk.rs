//! The web mode's bulk upload over plain HTTP, on both backends: a JSON file and a filled Excel
//! template made into tasks, the task page until it is done, every download, and the refusals
//! (a cell that is not a number, a file over the limit, no form token, another taxpayer's task).

use std::io::Cursor;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use reqwest::StatusCode;
use reqwest::header::CONTENT_DISPOSITION;
use serde_json::Value;

use crate::helpers::*;
use crate::web::{form_token, http, location, multipart, page, web_login};

/// Posts `content` to `/bulk` for a generate task: the status, where it redirects to, and
/// the page.
async fn upload(
    app: &TestApp,
    cookie: &str,
    token: &str,
    name: &str,
    content: &[u8],
) -> (StatusCode, String, String) {
    upload_kind(app, cookie, token, "generate", name, content).await
}

async fn upload_kind(
    app: &TestApp,
    cookie: &str,
    token: &str,
    kind: &str,
    name: &str,
    content: &[u8],
) -> (StatusCode, String, String) {
    let (content_type, body) = multipart(
        &[("csrf", token), ("kind", kind)],
        name,
        "application/octet-stream",
        content,
    );
    let answer = http()
        .post(format!("{}/bulk", app.address))
        .header("cookie", cookie)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let to = location(answer.headers()).to_owned();
    (status, to, answer.text().await.unwrap())
}

/// The text of the element with `id` (up to its first tag).
fn by_id<'p>(page: &'p str, id: &str) -> &'p str {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("#{id} in {page}"));
    let start = at + page[at..].find('>').unwrap() + 1;
    let end = start + page[start..].find('<').unwrap();
    &page[start..end]
}

/// Reloads the task page until it says `DONE`, and returns it.
async fn wait_done(app: &TestApp, cookie: &str, path: &str) -> String {
    for _ in 0..300 {
        let (status, _, text) = page(app, cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        if by_id(&text, "task-status") == "DONE" {
            assert!(
                !text.contains("http-equiv=\"refresh\""),
                "no reload once done"
            );
            return text;
        }
        assert!(text.contains("<meta http-equiv=\"refresh\" content=\"2\">"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the task at {path} did not finish");
}

/// GET a download: its bytes, after checking its type and file name.
async fn download(app: &TestApp, cookie: &str, path: &str, mime: &str, name: &str) -> Vec<u8> {
    let answer = http()
        .get(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "{path}");
    let headers = answer.headers();
    assert!(headers["content-type"].to_str().unwrap().starts_with(mime));
    let disposition = headers[CONTENT_DISPOSITION].to_str().unwrap();
    assert_eq!(disposition, format!("attachment; filename=\"{name}\""));
    answer.bytes().await.unwrap().to_vec()
}

/// The rows of the `Results` sheet of a workbook, as text.
fn results_sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range("Results").unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// A filled bulk-upload template of one two-item invoice of `SELLER`, dated `date`, every
/// cell as text; `qty` is the first item's quantity.
fn workbook(number: &str, date: &str, qty: &str) -> Vec<u8> {
    let document: &[(&str, &str)] = &[
        ("Version", "1.1"),
        ("TranDtls.TaxSch", "GST"),
        ("TranDtls.SupTyp", "B2B"),
        ("TranDtls.RegRev", "N"),
        ("DocDtls.Typ", "INV"),
        ("DocDtls.No", number),
        ("DocDtls.Dt", date),
        ("SellerDtls.Gstin", SELLER),
        ("SellerDtls.LglNm", "Sandbox Large 29"),
        ("SellerDtls.Addr1", "1 MG Road"),
        ("SellerDtls.Loc", "Bengaluru"),
        ("SellerDtls.Pin", "560001"),
        ("SellerDtls.Stcd", "29"),
        ("BuyerDtls.Gstin", BUYER),
        ("BuyerDtls.LglNm", "XYZ company pvt ltd"),
        ("BuyerDtls.Pos", "29"),
        ("BuyerDtls.Addr1", "7th block, Kuvempu Layout"),
        ("BuyerDtls.Loc", "Bengaluru"),
        ("BuyerDtls.Pin", "562160"),
        ("BuyerDtls.Stcd", "29"),
        ("ValDtls.AssVal", "1500"),
        ("ValDtls.CgstVal", "70"),
        ("ValDtls.SgstVal", "70"),
        ("ValDtls.TotInvVal", "1640"),
    ];
    let items: [&[(&str, &str)]; 2] = [
        &[
            ("ItemList.SlNo", "1"),
            ("ItemList.IsServc", "N"),
            ("ItemList.PrdDesc", "Cotton T-shirt"),
            ("ItemList.HsnCd", "61091000"),
            ("ItemList.Qty", qty),
            ("ItemList.Unit", "NOS"),
            ("ItemList.UnitPrice", "100.5"),
            ("ItemList.TotAmt", "1005"),
            ("ItemList.Discount", "5"),
            ("ItemList.AssAmt", "1000"),
            ("ItemList.GstRt", "5"),
            ("ItemList.CgstAmt", "25"),
            ("ItemList.SgstAmt", "25"),
            ("ItemList.TotItemVal", "1050"),
        ],
        &[
            ("ItemList.SlNo", "2"),
            ("ItemList.IsServc", "Y"),
            ("ItemList.PrdDesc", "IT consulting"),
            ("ItemList.HsnCd", "998313"),
            ("ItemList.UnitPrice", "500"),
            ("ItemList.TotAmt", "500"),
            ("ItemList.AssAmt", "500"),
            ("ItemList.GstRt", "18"),
            ("ItemList.CgstAmt", "45"),
            ("ItemList.SgstAmt", "45"),
            ("ItemList.TotItemVal", "590"),
        ],
    ];
    let mut headers: Vec<&str> = document.iter().map(|(h, _)| *h).collect();
    headers.extend(items[0].iter().map(|(h, _)| *h));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Invoices").unwrap();
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (n, item) in items.iter().enumerate() {
        for (header, value) in document.iter().chain(item.iter()) {
            let col = headers.iter().position(|h| h == header).unwrap();
            sheet
                .write_string(1 + n as u32, col as u16, *value)
                .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// Whether an unfinished task waits in the registry (none should after a refused file: the
/// earlier tasks are all done).
async fn a_task_waits(app: &TestApp) -> bool {
    let later = app.clock.now() + chrono::Duration::days(1);
    app.state
        .store
        .claim_bulk_task("web-bulk-test-probe", later, later)
        .await
        .unwrap()
        .is_some()
}

async fn bulk_upload_in_the_web_mode(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "[bulk]\nmax_body_bytes = 65536").await else {
        return;
    };
    let cookie = web_login(&app, SELLER, None).await.unwrap();
    let (status, _, form) = page(&app, &cookie, "/bulk").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("<a href=\"/bulk\">Bulk upload</a>"),
        "in the navigation"
    );
    assert!(form.contains("up to 64 KiB"), "{form}");
    let token = form_token(&form);

    // The blank template downloads.
    let template = download(
        &app,
        &cookie,
        "/bulk/template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "bulk-upload-template.xlsx",
    )
    .await;
    let today = app.clock.now().date().format("%d/%m/%Y").to_string();
    // The same workbook as the crate writes (read back: a workbook records when it was written).
    let limits = irp_sheet::Limits {
        max_bytes: 1 << 20,
        max_rows: 100,
    };
    let read = |bytes: &[u8]| -> Vec<String> {
        irp_sheet::read_invoices(bytes, &limits)
            .unwrap()
            .into_iter()
            .map(|document| document.json)
            .collect()
    };
    assert_eq!(read(&template), read(&irp_sheet::template_dated(&today)));
    assert!(read(&template)[0].contains(&today));
    // Its example, dated today, registers as it is.
    let (status, to, text) = upload(&app, &cookie, &token, "template.xlsx", &template).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let done = wait_done(&app, &cookie, &to).await;
    assert_eq!(by_id(&done, "task-succeeded"), "1", "{done}");

    // Three invoices, the second with a buyer GSTIN whose check digit is wrong.
    let mut bad: Value = serde_json::from_slice(&invoice(&app, "WB/BAD")).unwrap();
    bad["BuyerDtls"]["Gstin"] = Value::from("29AWGPV7107B1Z2");
    let body = format!(
        "[{}, {bad}, {}]",
        String::from_utf8(invoice(&app, "WB/1")).unwrap(),
        String::from_utf8(invoice(&app, "WB/2")).unwrap(),
    );
    let (status, to, text) = upload(&app, &cookie, &token, "three.json", body.as_bytes()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let id = to.strip_prefix("/bulk/").unwrap().to_owned();
    assert_eq!(id.len(), 26);
    let done = wait_done(&app, &cookie, &to).await;
    assert_eq!(by_id(&done, "task-total"), "3");
    assert_eq!(by_id(&done, "task-processed"), "3");
    assert_eq!(by_id(&done, "task-succeeded"), "2");
    assert_eq!(by_id(&done, "task-failed"), "1");
    assert!(done.contains("<progress id=\"task-progress\" value=\"3\" max=\"3\">"));
    for link in ["results.json", "results.csv", "results.xlsx", "errors.csv"] {
        assert!(
            done.contains(&format!("href=\"/bulk/{id}/{link}\"")),
            "{link}"
        );
    }
    // The failures table names the document and its errors.
    let failures = &done[done.find("id=\"failures\"").unwrap()..];
    assert!(failures.contains("INV WB/BAD"), "{failures}");
    assert!(!failures.contains("WB/1") && !failures.contains("WB/2"));

    let json: Value = serde_json::from_slice(
        &download(
            &app,
            &cookie,
            &format!("/bulk/{id}/results.json"),
            "application/json",
            &format!("bulk-{id}-results.json"),
        )
        .await,
    )
    .unwrap();
    let entries = json.as_array().unwrap();
    let statuses: Vec<i64> = entries
        .iter()
        .map(|e| e["Status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [1, 0, 1]);
    assert_eq!(entries[1]["DocNo"], "WB/BAD");
    let codes: Vec<&str> = entries[1]["ErrorDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ErrorCode"].as_str().unwrap())
        .collect();
    assert!(!codes.is_empty());
    for code in &codes {
        assert!(
            failures.contains(&format!("<code>{code}</code>")),
            "{failures}"
        );
    }
    let irn = entries[0]["Result"]["Irn"].as_str().unwrap();
    let ack_no = entries[0]["Result"]["AckNo"].as_u64().unwrap().to_string();

    let csv = String::from_utf8(
        download(
            &app,
            &cookie,
            &format!("/bulk/{id}/results.csv"),
            "text/csv",
            &format!("bulk-{id}-results.csv"),
        )
        .await,
    )
    .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("Index,Status,DocTyp,DocNo,DocDt,Irn"));
    assert!(lines[1].starts_with("0,1,INV,WB/1,") && lines[1].contains(irn));
    assert!(lines[2].starts_with("1,0,INV,WB/BAD,"));

    let sheet = results_sheet(
        &download(
            &app,
            &cookie,
            &format!("/bulk/{id}/results.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("bulk-{id}-results.xlsx"),
        )
        .await,
    );
    assert_eq!(sheet.len(), 4);
    assert_eq!(
        sheet[0][..6],
        ["Index", "Status", "DocTyp", "DocNo", "DocDt", "Irn"]
    );
    assert_eq!(sheet[1][..4], ["0", "1", "INV", "WB/1"]);
    assert_eq!(sheet[1][5], irn);
    assert_eq!(sheet[1][6], ack_no, "AckNo whole, as text");
    assert_eq!(sheet[2][..4], ["1", "0", "INV", "WB/BAD"]);
    assert_eq!(sheet[2][11], codes.join("|"));

    let errors = String::from_utf8(
        download(
            &app,
            &cookie,
            &format!("/bulk/{id}/errors.csv"),
            "text/csv",
            &format!("bulk-{id}-errors.csv"),
        )
        .await,
    )
    .unwrap();
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines[0], "Index,DocTyp,DocNo,DocDt,ErrorCode,ErrorMessage");
    assert_eq!(lines.len(), 1 + codes.len(), "one line per error: {errors}");
    for (line, code) in lines[1..].iter().zip(&codes) {
        assert!(line.starts_with("1,INV,WB/BAD,"), "{line}");
        assert!(line.contains(&format!(",{code},")), "{line}");
    }

    // Another taxpayer: the task and its downloads are not found.
    let other = web_login(&app, OTHER, None).await.unwrap();
    for path in [
        format!("/bulk/{id}"),
        format!("/bulk/{id}/results.json"),
        format!("/bulk/{id}/results.csv"),
        format!("/bulk/{id}/results.xlsx"),
        format!("/bulk/{id}/errors.csv"),
    ] {
        let (status, _, text) = page(&app, &other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(text.contains("<h1>Not found</h1>") && !text.contains("WB/BAD"));
    }
    let (status, _, _) = page(&app, &cookie, "/bulk/NOT-A-TASK").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A cancel task: WB/2's IRN, and an IRN that is nobody's.
    let wb2 = entries[2]["Result"]["Irn"].as_str().unwrap();
    let nobody = "0".repeat(64);
    let body = format!(
        "[{{\"Irn\":\"{wb2}\",\"CnlRsn\":\"1\",\"CnlRem\":\"Duplicate\"}},\
         {{\"Irn\":\"{nobody}\",\"CnlRsn\":\"1\",\"CnlRem\":\"Duplicate\"}}]"
    );
    let (status, to, text) = upload_kind(
        &app,
        &cookie,
        &token,
        "cancel",
        "cancel.json",
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let cancel_id = to.strip_prefix("/bulk/").unwrap().to_owned();
    let done = wait_done(&app, &cookie, &to).await;
    assert!(done.contains("Bulk cancellation task"));
    assert_eq!(by_id(&done, "task-succeeded"), "1", "{done}");
    assert_eq!(by_id(&done, "task-failed"), "1");
    assert!(done[done.find("id=\"failures\"").unwrap()..].contains(&nobody));
    let errors = String::from_utf8(
        download(
            &app,
            &cookie,
            &format!("/bulk/{cancel_id}/errors.csv"),
            "text/csv",
            &format!("bulk-{cancel_id}-errors.csv"),
        )
        .await,
    )
    .unwrap();
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines[0], "Index,Irn,ErrorCode,ErrorMessage");
    assert!(lines[1].starts_with(&format!("1,{nobody},")), "{errors}");
    let sheet = results_sheet(
        &download(
            &app,
            &cookie,
            &format!("/bulk/{cancel_id}/results.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("bulk-{cancel_id}-results.xlsx"),
        )
        .await,
    );
    assert_eq!(
        sheet[0],
        [
            "Index",
            "Status",
            "Irn",
            "CancelDate",
            "ErrorCodes",
            "ErrorMessages"
        ]
    );
    assert_eq!(sheet[1][..3], ["0", "1", wb2]);
    assert!(!sheet[1][3].is_empty(), "the cancellation date");
    assert_eq!(sheet[2][..3], ["1", "0", nobody.as_str()]);
    // A workbook is for generation only.
    let (status, _, text) = upload_kind(
        &app,
        &cookie,
        &token,
        "cancel",
        "x.xlsx",
        &workbook("WB/X9", "01/01/2026", "1"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("a cancellation task is"), "{text}");

    // The Excel template, filled with one invoice of today's date.
    let sheet = workbook("WB/X1", &today, "10");
    let (status, to, text) = upload(&app, &cookie, &token, "invoices.xlsx", &sheet).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let done = wait_done(&app, &cookie, &to).await;
    assert_eq!(by_id(&done, "task-total"), "1");
    assert_eq!(by_id(&done, "task-succeeded"), "1", "{done}");
    assert!(
        !done.contains("id=\"errors-csv\""),
        "no error file without failures"
    );
    // Detected by its content, whatever its name.
    let (status, to, _) = upload(&app, &cookie, &token, "export.bin", &sheet).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let done = wait_done(&app, &cookie, &to).await;
    assert_eq!(by_id(&done, "task-failed"), "1", "the same document again");
    assert!(done.contains("2150"), "{done}");

    // A text in a number column: the place is named, and no task is created.
    let (status, to, text) = upload(
        &app,
        &cookie,
        &token,
        "bad.xlsx",
        &workbook("WB/X2", &today, "ten"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(to.is_empty());
    assert!(text.contains("nothing was submitted"), "{text}");
    // Qty is the 29th column of this workbook.
    assert!(text.contains("Invoices!AC2 (ItemList.Qty)"), "{text}");
    assert!(text.contains("ten&#34; is not a number"), "{text}");
    assert!(!a_task_waits(&app).await);

    // Not a JSON array: the spec's code, and no task.
    let (status, _, text) = upload(&app, &cookie, &token, "one.json", b"{\"A\": 1}").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("<code>2140</code>"), "{text}");
    let (status, _, text) = upload(&app, &cookie, &token, "none.json", b"[]").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("<code>2255</code>"), "{text}");

    // Over the limit: just over it, and far over it.
    let (status, _, text) = upload(&app, &cookie, &token, "big.json", &vec![b' '; 70_000]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("at most 64 KiB"), "{text}");
    let (status, _, text) = upload(&app, &cookie, &token, "huge.json", &vec![b' '; 300_000]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("larger than the portal accepts"), "{text}");
    assert!(!a_task_waits(&app).await);

    // Without the form token, or with another one: refused.
    let (status, _, _) = upload(&app, &cookie, "", "three.json", body.as_bytes()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = upload(
        &app,
        &cookie,
        &"0".repeat(64),
        "three.json",
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!a_task_waits(&app).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_bulk_upload_on_sqlite() {
    bulk_upload_in_the_web_mode(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_bulk_upload_on_postgres() {
    bulk_upload_in_the_web_mode(Backend::Postgres).await;
}
