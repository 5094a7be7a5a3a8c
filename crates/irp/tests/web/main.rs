//! The web mode in a real browser (headless Chromium over WebDriver), driving the real
//! `irp serve` binary: what a taxpayer does, on the embedded registry, and criss-cross between
//! two portals over one PostgreSQL registry. The SQLite flow saves a screenshot of every page it
//! visits under `docs/screenshots/`.

mod browser;
#[path = "../cli/process.rs"]
#[allow(dead_code)]
mod process;

use std::path::Path;
use std::time::Duration;

use irp_core::qr::QrEcc;
use irp_testkit::fixtures::{BUYER, OTHER};

use crate::browser::{A4_CSS_PX, Browser, PRINT_DPI_SCALE};
use crate::process::{SELLER, fresh_postgres, jwks_verifier, sandbox, serve, serve_portal};

/// The sandbox user name and password of `gstin`.
fn sandbox_user(data_dir: &Path, gstin: &str) -> (String, String) {
    let sandbox = sandbox(data_dir);
    let user = sandbox["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["gstin"] == gstin)
        .unwrap();
    (
        user["username"].as_str().unwrap().to_owned(),
        user["password"].as_str().unwrap().to_owned(),
    )
}

async fn log_in(browser: &Browser, base: &str, user: &str, password: &str) {
    browser.goto(&format!("{base}/login")).await;
    browser.fill("#user_name", user).await;
    browser.fill("#password", password).await;
    browser.click("main form button[type=submit]").await;
    // The answer has loaded: the dashboard, or the login page with the refusal.
    browser.find("#today-generated, .notice.error").await;
}

/// Waits until the text of `css` is `expected` (the script updates totals as one types).
async fn wait_for_text(browser: &Browser, css: &str, expected: &str) {
    for _ in 0..50 {
        if browser.text(css).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.text(css).await, expected, "{css}");
}

/// Fills item row `index` of the generate form.
async fn fill_item(browser: &Browser, index: usize, item: [&str; 6]) {
    let [description, hsn, service, qty, price, rate] = item;
    browser
        .fill(&format!("#item_desc_{index}"), description)
        .await;
    browser.fill(&format!("#item_hsn_{index}"), hsn).await;
    browser
        .select(&format!("#item_service_{index}"), service)
        .await;
    browser.fill(&format!("#item_qty_{index}"), qty).await;
    browser.fill(&format!("#item_price_{index}"), price).await;
    browser.fill(&format!("#item_rate_{index}"), rate).await;
}

/// Starts a form for document `number` to buyer `buyer`, filled from the register.
async fn start_form(browser: &Browser, base: &str, number: &str, buyer: &str) {
    browser.goto(&format!("{base}/invoices/new")).await;
    browser.fill("#doc_no", number).await;
    browser.fill("#buyer_gstin", buyer).await;
    browser.click("button[value=lookup]").await;
    let name = browser.find("#buyer_name").await;
    assert!(
        !name
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
            .is_empty(),
        "the buyer is filled from the register"
    );
    // What was typed before the post-back is kept.
    assert_eq!(
        browser.find("#doc_no").await.prop("value").await.unwrap(),
        Some(number.to_owned())
    );
}

/// The form token of the page shown.
async fn form_token(browser: &Browser) -> String {
    let source = browser.source().await;
    let start = source.find("name=\"csrf\" value=\"").expect("a form token") + 19;
    source[start..start + 64].to_owned()
}

/// The PDF print of `irn`, downloaded as the logged-in user.
async fn pdf(base: &str, cookie: &str, irn: &str) -> Vec<u8> {
    let response = reqwest::Client::new()
        .get(format!("{base}/invoices/{irn}/print.pdf"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    response.bytes().await.unwrap().to_vec()
}

/// Renders each page of `pdf` to PNG with `pdftoppm` (poppler), as a reader would see it, and
/// returns the pages; the first page is also cropped to its top-right corner, where the QR code
/// is, at 300 dpi, which is returned first.
fn render_pages(pdf: &[u8], dir: &Path) -> (Vec<u8>, usize) {
    let file = dir.join("print.pdf");
    std::fs::write(&file, pdf).unwrap();
    let run = |args: &[&str], prefix: &str| {
        let status = std::process::Command::new("pdftoppm")
            .args(args)
            .arg(&file)
            .arg(dir.join(prefix))
            .status()
            .expect("pdftoppm runs (scripts/test.sh installs poppler-utils)");
        assert!(status.success());
    };
    // The QR code is 4.5 cm square, 36 pt below the top and 36 pt left of the right edge.
    run(
        &[
            "-png",
            "-gray",
            "-r",
            "300",
            "-f",
            "1",
            "-l",
            "1",
            "-x",
            "1650",
            "-y",
            "40",
            "-W",
            "850",
            "-H",
            "850",
            "-singlefile",
        ],
        "corner",
    );
    run(&["-png", "-r", "40"], "page");
    let pages = std::fs::read_dir(dir)
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with("page") && name.ends_with(".png")
        })
        .count();
    (std::fs::read(dir.join("corner.png")).unwrap(), pages)
}

/// Where the print view's parts are, in CSS pixels.
struct PrintLayout {
    page_width: u64,
    viewport_width: u64,
    qr_left: f64,
    qr_right: f64,
    qr_width: f64,
}

async fn print_layout(browser: &Browser) -> PrintLayout {
    let measured = browser
        .client
        .execute(
            "const qr = document.querySelector('#qr svg').getBoundingClientRect();\
             return [document.documentElement.scrollWidth, window.innerWidth, qr.left, qr.right, qr.width];",
            vec![],
        )
        .await
        .unwrap();
    let number = |index: usize| measured[index].as_f64().unwrap();
    PrintLayout {
        page_width: measured[0].as_u64().unwrap(),
        viewport_width: measured[1].as_u64().unwrap(),
        qr_left: number(2),
        qr_right: number(3),
        qr_width: number(4),
    }
}

/// The text of each page of `pdf`, as `pdftotext` (poppler) reads it.
fn pdf_text_pages(pdf: &[u8], dir: &Path) -> Vec<String> {
    let file = dir.join("browser-print.pdf");
    std::fs::write(&file, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs (scripts/test.sh installs poppler-utils)");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    // Pages end with a form feed.
    text.split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The top right of the first page of `pdf`, where the print view puts its QR code, as a
/// 300 dpi greyscale PNG: the part of the page a phone is aimed at. Drawn without
/// anti-aliasing, as a printer draws: whole dots, no grey edges.
fn render_page_one_corner(pdf: &[u8], dir: &Path) -> Vec<u8> {
    let file = dir.join("browser-first.pdf");
    std::fs::write(&file, pdf).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-gray", "-r", "300", "-f", "1", "-l", "1"])
        .args(["-aa", "no", "-aaVector", "no"])
        .args([
            "-x",
            "1480",
            "-y",
            "0",
            "-W",
            "1000",
            "-H",
            "1000",
            "-singlefile",
        ])
        .arg(&file)
        .arg(dir.join("browser-first"))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    std::fs::read(dir.join("browser-first.png")).unwrap()
}

async fn signed_json(base: &str, cookie: &str, irn: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .get(format!("{base}/invoices/{irn}/signed.json"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taxpayer_works_in_the_browser_on_sqlite() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let server = serve(temp.path(), None);
    let base = server.address.clone();
    let (user, password) = sandbox_user(temp.path(), SELLER);

    // A logged-out user is sent to the login page; a wrong password is refused.
    browser.goto(&format!("{base}/dashboard")).await;
    assert_eq!(browser.path().await, "/login");
    browser.screenshot("login").await;
    log_in(&browser, &base, &user, "not-the-password").await;
    assert!(
        browser
            .text(".notice.error")
            .await
            .starts_with("Wrong user name or password")
    );
    assert_eq!(
        browser
            .find("#user_name")
            .await
            .prop("value")
            .await
            .unwrap(),
        Some(user.clone()),
        "the user name typed is kept"
    );
    browser.screenshot("login-refused").await;

    // With the keyboard alone: type the name, Tab to the password, Enter.
    browser.goto(&format!("{base}/login")).await;
    browser.click("#user_name").await;
    browser
        .find("#user_name")
        .await
        .send_keys(&format!("{user}\u{E004}{password}\u{E007}"))
        .await
        .unwrap();
    browser.find("#today-generated").await;
    assert_eq!(browser.path().await, "/dashboard");
    assert_eq!(browser.text("#today-generated").await, "0");
    browser.screenshot("dashboard").await;
    // On a phone's width nothing runs off the side of the page.
    browser.client.set_window_size(390, 844).await.unwrap();
    for path in ["/dashboard", "/invoices/new", "/invoices", "/verify"] {
        browser.goto(&format!("{base}{path}")).await;
        let fits = browser
            .client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(fits, serde_json::json!(true), "{path} fits a phone");
        if path == "/invoices/new" {
            browser.screenshot("phone-generate").await;
        }
    }
    browser.client.set_window_size(1280, 1000).await.unwrap();

    // Generate by form: two items at different rates to a buyer of another state (IGST).
    start_form(&browser, &base, "WEB/1", OTHER).await;
    fill_item(
        &browser,
        0,
        ["Cotton shirts", "61091000", "N", "10", "100", "5"],
    )
    .await;
    browser.click("button[value=add]").await;
    fill_item(
        &browser,
        1,
        ["Consulting", "998311", "Y", "1", "1000", "18"],
    )
    .await;
    // 1,000 + 5 % and 1,000 + 18 %: the script's totals, as typed.
    wait_for_text(&browser, "#invoice-total", "2,230.00").await;
    assert_eq!(browser.text("[data-total=igst]").await, "230.00");
    browser.screenshot("generate").await;
    browser.click("#generate").await;
    browser.find("#irn, #report").await;
    let path = browser.path().await;
    assert!(path.ends_with("?new=1"), "the e-invoice's page: {path}");
    let irn = browser.text("#irn").await;
    assert_eq!(irn.len(), 64);
    assert_eq!(browser.text("#status").await, "Active");
    let source = browser.source().await;
    assert!(source.contains("Cotton shirts") && source.contains("998311"));
    browser.screenshot("e-invoice").await;

    // The signed JSON verifies against the portal's published keys.
    let cookie = browser.session_cookie().await;
    let signed = signed_json(&base, &cookie, &irn).await;
    let verifier = jwks_verifier(&base).await;
    let qr = signed["SignedQRCode"].as_str().unwrap().to_owned();
    let verified = verifier.verify(&qr).expect("the QR code verifies");
    assert!(verified.data.contains(&irn));
    verifier
        .verify(signed["SignedInvoice"].as_str().unwrap())
        .expect("the signed invoice verifies");

    // The PDF: rendered as a reader shows it, its QR code scanned from the picture verifies.
    let printed = pdf(&base, &cookie, &irn).await;
    let pages_dir = tempfile::tempdir().unwrap();
    let (corner, pages) = render_pages(&printed, pages_dir.path());
    assert_eq!(pages, 1);
    let scanned = irp_core::qr::decode_png(&corner).unwrap();
    assert_eq!(
        scanned,
        vec![qr.clone()],
        "the printed QR code is the SignedQRCode"
    );
    verifier
        .verify(&scanned[0])
        .expect("the scanned code verifies");
    // The same corner as a JPEG, as a phone would send it, for the verify page below.
    let photo = pages_dir.path().join("corner.jpg");
    let status = std::process::Command::new("pdftoppm")
        .args([
            "-jpeg", "-r", "300", "-f", "1", "-l", "1", "-x", "1650", "-y", "40",
        ])
        .args(["-W", "850", "-H", "850", "-singlefile"])
        .arg(pages_dir.path().join("print.pdf"))
        .arg(pages_dir.path().join("corner"))
        .status()
        .unwrap();
    assert!(status.success());

    // The print view (issue 21) at the width of an A4 page and a print's 300 dpi: nothing
    // overflows, the QR code is whole and at least 3.5 cm wide, and it scans from the screenshot.
    browser.emulate_viewport(A4_CSS_PX, PRINT_DPI_SCALE).await;
    browser.goto(&format!("{base}/invoices/{irn}/print")).await;
    let layout = print_layout(&browser).await;
    assert!(
        layout.page_width <= layout.viewport_width,
        "the page is {} px wide in a {} px viewport",
        layout.page_width,
        layout.viewport_width
    );
    assert!(layout.qr_left >= 0.0 && layout.qr_right <= layout.viewport_width as f64);
    assert!(
        layout.qr_width >= 3.5 / 2.54 * 96.0,
        "the QR code is {} px wide",
        layout.qr_width
    );
    let shot = browser.client.screenshot().await.unwrap();
    assert_eq!(
        irp_core::qr::decode_png(&shot).unwrap(),
        vec![qr.clone()],
        "the QR code scans from a screenshot of the print view"
    );
    // Amounts for people: two decimals, Indian grouping, the Rupee sign on the invoice value.
    assert_eq!(browser.text("#total-invoice-value").await, "₹ 2,230.00");
    let cells = browser
        .client
        .find_all(fantoccini::Locator::Css(".items td.num"))
        .await
        .unwrap();
    let mut figures = Vec::new();
    for cell in cells {
        figures.push(cell.text().await.unwrap());
    }
    assert!(figures.contains(&"1,000.00".to_owned()), "{figures:?}");
    assert!(figures.contains(&"18%".to_owned()), "{figures:?}");
    assert!(
        !figures.iter().any(|f| f == "1000" || f == "18"),
        "{figures:?}"
    );
    browser.clear_viewport().await;
    browser.screenshot("print").await;

    // An e-way bill from the e-invoice: Part B by road, the distance the portal estimates.
    browser.goto(&format!("{base}/invoices/{irn}")).await;
    browser.click("#new-ewb").await;
    let estimate = browser.text("#estimate").await;
    let estimate_km = estimate.trim_end_matches(" km").to_owned();
    assert!(
        estimate_km.parse::<u32>().unwrap() > 500,
        "Bengaluru to Mumbai: {estimate}"
    );
    browser.fill("#vehicle", "KA12AB1234").await;
    browser.screenshot("ewb-form").await;
    browser.click("#generate-ewb").await;
    let ewb_no = browser.text("#ewb-no").await;
    assert_eq!(ewb_no.len(), 12, "{ewb_no}");
    assert!(ewb_no.starts_with('1'), "generated at IRP-1");
    assert_eq!(browser.text("#distance").await, format!("{estimate_km} km"));
    assert!(!browser.text("#valid-till").await.starts_with("Part A"));
    browser.screenshot("ewb").await;
    // The e-invoice cannot be cancelled while its e-way bill is active; the page says where it is.
    browser.goto(&format!("{base}/invoices/{irn}")).await;
    assert_eq!(browser.text("#ewb-link").await, ewb_no);
    assert!(!browser.exists("#new-ewb").await);
    // Cancelling needs the confirmation box.
    browser.goto(&format!("{base}/ewb/{ewb_no}")).await;
    browser.select("#reason", "2").await;
    browser.click("#cancel-ewb").await;
    assert!(browser.text(".notice.error").await.contains("confirm"));
    browser.select("#reason", "2").await;
    browser.click("#confirm").await;
    browser.click("#cancel-ewb").await;
    browser.find("#ewb-status.status-Cancelled").await;
    assert!(!browser.exists("#cancel-ewb").await);
    browser.screenshot("ewb-cancelled").await;

    // Bulk upload: a JSON file of two invoices becomes a task, whose page shows its progress
    // until it is done, then the counts and the downloads.
    browser.goto(&format!("{base}/bulk")).await;
    assert!(browser.exists("a[href='/bulk/template.xlsx']").await);
    browser.screenshot("bulk-upload").await;
    let today = irp_testkit::fixtures::ist_today();
    let two = temp.path().join("two.json");
    let invoice =
        |number| String::from_utf8(irp_testkit::fixtures::invoice(number, today)).unwrap();
    std::fs::write(
        &two,
        format!("[{}, {}]", invoice("BULK/1"), invoice("BULK/2")),
    )
    .unwrap();
    browser
        .find("#file")
        .await
        .send_keys(two.to_str().unwrap())
        .await
        .unwrap();
    browser.click("#bulk-submit").await;
    browser.find("#task-status").await;
    let task_page = format!("{base}{}", browser.path().await);
    assert!(task_page.contains("/bulk/"), "{task_page}");
    for _ in 0..100 {
        if browser.text("#task-status").await == "DONE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        browser.goto(&task_page).await;
    }
    assert_eq!(browser.text("#task-status").await, "DONE");
    assert_eq!(browser.text("#task-total").await, "2");
    assert_eq!(browser.text("#task-succeeded").await, "2");
    assert_eq!(browser.text("#task-failed").await, "0");
    browser.screenshot("bulk").await;
    for link in ["#results-json", "#results-csv", "#results-xlsx"] {
        assert!(browser.exists(link).await, "{link}");
    }
    assert!(
        !browser.exists("#errors-csv").await,
        "no failures, no error file"
    );

    // A 50-item invoice uploaded: its PDF continues on a second page, and its QR code scans.
    browser.goto(&format!("{base}/invoices/new")).await;
    let file = temp.path().join("fifty.json");
    std::fs::write(
        &file,
        irp_testkit::fixtures::invoice_with_items("WEB/50", irp_testkit::fixtures::ist_today(), 50),
    )
    .unwrap();
    browser
        .find("#file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("form[action='/invoices/upload'] button")
        .await;
    let fifty = browser.text("#irn").await;
    let fifty_qr = signed_json(&base, &cookie, &fifty).await["SignedQRCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let fifty_dir = tempfile::tempdir().unwrap();
    let (corner, pages) = render_pages(&pdf(&base, &cookie, &fifty).await, fifty_dir.path());
    assert!(pages >= 2, "{pages} pages");
    assert_eq!(
        irp_core::qr::decode_png(&corner).unwrap(),
        vec![fifty_qr.clone()]
    );
    // The browser's own print of its print view: A4 pages at 100 %, the item table's header
    // on every page that carries items, the QR code scanned from the first page at 300 dpi.
    browser
        .goto(&format!("{base}/invoices/{fifty}/print"))
        .await;
    let printed = browser.print_a4().await;
    let pages = pdf_text_pages(&printed, fifty_dir.path());
    assert!(pages.len() >= 2, "{} printed pages", pages.len());
    for (number, page) in pages.iter().enumerate() {
        if page.contains("Cotton T-shirt") {
            assert!(
                page.contains("Description") && page.contains("Item total"),
                "page {} repeats the table header: {page}",
                number + 1
            );
        }
    }
    assert_eq!(
        pages
            .iter()
            .map(|page| page.matches("Cotton T-shirt").count())
            .sum::<usize>(),
        50,
        "every item is printed once"
    );
    let first_page = render_page_one_corner(&printed, fifty_dir.path());
    assert_eq!(
        irp_core::qr::decode_png(&first_page).unwrap(),
        vec![fifty_qr]
    );

    // Verify: the token pasted, a picture of the QR code, a tampered token.
    browser.goto(&format!("{base}/verify")).await;
    browser.fill("#token", &qr).await;
    browser.click("main form button[type=submit]").await;
    let verdict = browser.text("#verdict").await;
    assert!(
        verdict.contains("Valid") && verdict.contains("IRP-1"),
        "{verdict}"
    );
    assert!(browser.text("#facts").await.contains(&irn));
    browser.screenshot("verify").await;

    let picture = temp.path().join("qr.png");
    std::fs::write(
        &picture,
        irp_core::qr::render_png(&qr, QrEcc::M, 4).unwrap(),
    )
    .unwrap();
    browser.goto(&format!("{base}/verify")).await;
    browser
        .find("#image")
        .await
        .send_keys(picture.to_str().unwrap())
        .await
        .unwrap();
    browser.click("main form button[type=submit]").await;
    assert!(browser.text("#verdict").await.contains("Valid"));
    assert!(browser.text("#facts").await.contains("WEB/1"));
    browser.screenshot("verify-picture").await;
    browser.goto(&format!("{base}/verify")).await;
    browser
        .find("#image")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    browser.click("main form button[type=submit]").await;
    let verdict = browser.text("#verdict").await;
    assert!(
        verdict.contains("Valid"),
        "the JPEG of the printed PDF: {verdict}"
    );

    let mut tampered: Vec<char> = qr.chars().collect();
    let middle = qr.find('.').unwrap() + 20;
    tampered[middle] = if tampered[middle] == 'A' { 'B' } else { 'A' };
    browser.goto(&format!("{base}/verify")).await;
    browser
        .fill("#token", &tampered.into_iter().collect::<String>())
        .await;
    browser.click("main form button[type=submit]").await;
    assert!(browser.text("#verdict").await.starts_with("Not valid"));
    browser.screenshot("verify-tampered").await;

    // The validation report: every error, next to its field, with what was typed kept.
    start_form(&browser, &base, "WEB/2", OTHER).await;
    fill_item(&browser, 0, ["Widgets", "12", "N", "1", "100", "5"]).await;
    browser.click("#generate").await;
    browser.find("#irn, #report").await;
    let report = browser.text("#report").await;
    assert!(
        report.contains("2140") && report.contains("ItemList[0].HsnCd"),
        "{report}"
    );
    assert!(
        !browser
            .find("#item_hsn_0 ~ .field-error")
            .await
            .text()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        browser
            .find("#item_desc_0")
            .await
            .prop("value")
            .await
            .unwrap(),
        Some("Widgets".to_owned())
    );
    browser.screenshot("validation-report").await;

    // Names are shown as text, never as markup. The schema refuses `"` in names, and the
    // report of that refusal shows the value typed back as text too.
    let hostile = "<script>alert(1)</script>'><img src=x onerror=alert(2)>";
    start_form(&browser, &base, "WEB/3", BUYER).await;
    browser.fill("#buyer_name", hostile).await;
    fill_item(&browser, 0, [hostile, "61091000", "N", "2", "50", "12"]).await;
    browser.click("#generate").await;
    browser.find("#irn, #report").await;
    let escaped_irn = browser.text("#irn").await;
    let shown = browser.text("main").await;
    assert!(shown.contains(hostile), "{shown}");
    assert!(!browser.exists("img[src=x]").await);
    assert!(browser.client.get_alert_text().await.is_err(), "no alert");
    browser.screenshot("escaping").await;

    // A forged POST is refused: without the form token, and from another origin.
    let token = form_token(&browser).await;
    let cancel_url = format!("{base}/invoices/{escaped_irn}/cancel");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let forged = http
        .post(&cancel_url)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("reason=1&remark=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let cross_site = http
        .post(&cancel_url)
        .header("cookie", &cookie)
        .header("origin", "https://elsewhere.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}&reason=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    browser
        .goto(&format!("{base}/invoices/{escaped_irn}"))
        .await;
    assert_eq!(browser.text("#status").await, "Active");

    // Cancel, after the confirmation step.
    browser.click("a.danger").await;
    browser.select("#reason", "2").await;
    browser.fill("#remark", "Wrong quantity").await;
    browser.screenshot("cancel").await;
    browser.click("main form button[type=submit]").await;
    assert!(browser.text("#status").await.starts_with("Cancelled"));
    assert!(!browser.exists("a.danger").await, "no second cancel");
    browser.screenshot("cancelled").await;

    // Search and the dashboard.
    browser.goto(&format!("{base}/invoices?doc_no=WEB/1")).await;
    let rows = browser.text("table.docs tbody").await;
    assert!(rows.contains("WEB/1") && !rows.contains("WEB/3"), "{rows}");
    browser.goto(&format!("{base}/invoices?status=CNL")).await;
    assert!(browser.text("table.docs tbody").await.contains("WEB/3"));
    browser.screenshot("search").await;
    browser.goto(&format!("{base}/dashboard")).await;
    // WEB/1, WEB/50, WEB/3 and the two of the bulk upload.
    assert_eq!(browser.text("#today-generated").await, "5");
    assert_eq!(browser.text("#today-cancelled").await, "1");

    // Log out: the session ends, and its cookie no longer opens a page.
    browser.click("form.logout button").await;
    browser.find("#user_name").await;
    assert_eq!(browser.path().await, "/login?bye=1");
    browser.goto(&format!("{base}/dashboard")).await;
    assert_eq!(browser.path().await, "/login");
    let after = http
        .get(format!("{base}/invoices/{irn}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303);
    assert_eq!(after.headers()["location"], "/login?expired=1");

    // Lockout: five wrong passwords lock the user, and then the right one is refused too.
    let (other_user, other_password) = sandbox_user(temp.path(), BUYER);
    for _ in 0..5 {
        log_in(&browser, &base, &other_user, "wrong-password").await;
    }
    log_in(&browser, &base, &other_user, &other_password).await;
    assert!(browser.text(".notice.error").await.contains("locked"));
    assert_eq!(browser.path().await, "/login");
    browser.screenshot("locked").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_at_one_portal_cancelled_at_the_other_over_postgres() {
    let Some(database) = fresh_postgres().await else {
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let first = serve_portal(temp.path(), Some(database.url()), 1);
    let second = serve_portal(temp.path(), Some(database.url()), 2);
    let (user, password) = sandbox_user(temp.path(), SELLER);

    // At IRP-1: log in and upload an INV-01 file.
    log_in(&browser, &first.address, &user, &password).await;
    browser
        .goto(&format!("{}/invoices/new", first.address))
        .await;
    let file = temp.path().join("invoice.json");
    std::fs::write(&file, process::invoice("CROSS/1")).unwrap();
    browser
        .find("#file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("form[action='/invoices/upload'] button")
        .await;
    let irn = browser.text("#irn").await;
    assert_eq!(irn.len(), 64);

    // At IRP-2, the same session (the registry holds it): find, view, print, cancel.
    browser
        .goto(&format!("{}/invoices?doc_no=CROSS/1", second.address))
        .await;
    browser.click("table.docs tbody a").await;
    assert_eq!(browser.text("#irn").await, irn);
    let source = browser.source().await;
    assert!(source.contains("<td>IRP-1</td>"), "registered at IRP-1");
    assert!(
        source.contains("e-Invoice <span>IRP-2</span>"),
        "shown by IRP-2"
    );
    browser
        .goto(&format!("{}/invoices/{irn}/print", second.address))
        .await;
    assert!(browser.source().await.contains("CROSS/1"));
    browser
        .goto(&format!("{}/invoices/{irn}/cancel", second.address))
        .await;
    browser.select("#reason", "1").await;
    browser.click("main form button[type=submit]").await;
    assert!(browser.text("#status").await.starts_with("Cancelled"));

    // And IRP-1 sees the cancellation at once.
    browser
        .goto(&format!("{}/invoices/{irn}", first.address))
        .await;
    assert!(browser.text("#status").await.starts_with("Cancelled"));

    // And the reverse: registered at IRP-2, printed (PDF) and cancelled at IRP-1.
    browser
        .goto(&format!("{}/invoices/new", second.address))
        .await;
    let file = temp.path().join("invoice-2.json");
    std::fs::write(&file, process::invoice("CROSS/2")).unwrap();
    browser
        .find("#file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("form[action='/invoices/upload'] button")
        .await;
    let irn2 = browser.text("#irn").await;
    assert!(browser.source().await.contains("<td>IRP-2</td>"));
    let cookie = browser.session_cookie().await;
    let printed = reqwest::Client::new()
        .get(format!("{}/invoices/{irn2}/print.pdf", first.address))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(printed.status(), 200);
    assert!(printed.bytes().await.unwrap().starts_with(b"%PDF-"));
    browser
        .goto(&format!("{}/invoices/{irn2}/cancel", first.address))
        .await;
    browser.select("#reason", "3").await;
    browser.click("main form button[type=submit]").await;
    assert!(browser.text("#status").await.starts_with("Cancelled"));

    // Logging in at IRP-2 with the same credentials works too.
    log_in(&browser, &second.address, &user, &password).await;
    assert_eq!(browser.path().await, "/dashboard");
    browser.close().await;
}
