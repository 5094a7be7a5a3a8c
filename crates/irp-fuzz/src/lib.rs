//! Coverage-guided fuzz targets of the core (`docs/TESTING.md`, "Fuzzing").
//!
//! Each target is an ordinary function of the input bytes that returns normally or panics. The
//! same functions run under AFL++ (the `irp-fuzz` binary built by `cargo afl build` with the
//! `afl` feature, driven by `scripts/fuzz.sh`) and in `cargo test`, which replays every file of
//! `corpus/<target>/` and `crashes/<target>/` through them (`tests/replay.rs`), so a saved crash
//! stays a regression test without AFL.
//!
//! Besides "no panic", each target checks what is cheap to check: the JSON reader's output
//! written back parses to the same value, a bound invoice or cancel request written back binds to
//! the same thing, encryption followed by decryption gives the input back.

use std::sync::OnceLock;

use chrono::NaiveDate;
use irp_core::bind::{InvoiceRequest, parse_cancel_request, parse_invoice};
use irp_core::canonical::invoice_json;
use irp_core::irn::Irn;
use irp_core::json::{self, ObjectWriter, Value};
use irp_core::protocol::{
    AuthPrivateKey, SEK_LEN, decode_base64, decrypt_credentials, decrypt_payload,
    encrypt_credentials, encrypt_payload, unwrap_sek,
};
use irp_core::register::{MemoryRegister, Taxpayer, TaxpayerType};
use irp_core::rules::Rules;
use irp_core::validate::{Context, authorise, check_business_rules};

/// One fuzz target: its name (the binary's argument and the corpus folder), the function, and an
/// input run once before fuzzing starts, so that what is built on first use (the masters, the
/// key, the register) is built before AFL++ measures anything.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    pub warm_up: &'static [u8],
}

/// Every target, in the order `scripts/fuzz.sh` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "json",
        run: json,
        warm_up: include_bytes!("../corpus/json/escapes.json"),
    },
    Target {
        name: "invoice",
        run: invoice,
        warm_up: include_bytes!("../corpus/invoice/intra-state.json"),
    },
    Target {
        name: "cancel",
        run: cancel,
        warm_up: include_bytes!("../corpus/cancel/with-remark.json"),
    },
    Target {
        name: "payload",
        run: payload,
        warm_up: include_bytes!("../corpus/payload/envelope-cancel.json"),
    },
    Target {
        name: "credentials",
        run: credentials,
        warm_up: include_bytes!("../corpus/credentials/login-data.txt"),
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|target| target.name == name)
}

// ---------------------------------------------------------------------------------------------
// json: the JSON reader
// ---------------------------------------------------------------------------------------------

/// `irp_core::json::parse`: any input gives a value or an error with a position inside the
/// input; a value written back (`Display`) parses to the same value, and writing is a fixed point.
pub fn json(data: &[u8]) {
    match json::parse(data) {
        Ok(value) => {
            let written = value.to_string();
            let again = json::parse(written.as_bytes())
                .unwrap_or_else(|error| panic!("the writer's output does not parse: {error}"));
            assert_eq!(again, value, "parse → write → parse changed the value");
            assert_eq!(again.to_string(), written, "writing is not a fixed point");
            // The look-ups the binder and the envelope use.
            let _ = value.get_ignore_case("data");
            let _ = value.get("Irn");
        }
        Err(error) => {
            let lines = data.iter().filter(|&&byte| byte == b'\n').count() + 1;
            assert!(
                (1..=lines).contains(&error.line),
                "line {} outside the input",
                error.line
            );
            assert!(error.column >= 1 && error.column <= data.len() + 1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// invoice: the generate endpoint's binder, then the rest of the core's pipeline
// ---------------------------------------------------------------------------------------------

/// The sandbox seller of the corpus invoices.
const SELLER: &str = "29LARGE1000C1ZK";

/// The taxpayers the corpus invoices name (the core tests' fixtures and NIC's sample).
pub fn register() -> &'static MemoryRegister {
    static REGISTER: OnceLock<MemoryRegister> = OnceLock::new();
    REGISTER.get_or_init(|| {
        let mut sez = Taxpayer::active_regular("27AAACA7205Q1ZK", Some(1));
        sez.taxpayer_type = TaxpayerType::Sez;
        let mut operator = Taxpayer::active_regular("29AAGCB7383J1Z4", None);
        operator.taxpayer_type = TaxpayerType::Tcs;
        MemoryRegister::new()
            .with(Taxpayer::active_regular(SELLER, Some(1_500_000_000)))
            .with(Taxpayer::active_regular(
                "29AWGPV7107B1Z1",
                Some(40_000_000),
            ))
            .with(Taxpayer::active_regular("27AAPFU0939F1ZV", None))
            .with(Taxpayer::active_regular(
                "37ARZPT4384Q1MT",
                Some(40_000_000),
            ))
            .with(sez)
            .with(operator)
    })
}

/// The rules the generate binder is fuzzed with: the defaults, and every binding setting turned
/// the other way (`validation.strict_decimals`, `empty_string_as_absent`,
/// `strict_gstin_checksum`, `irn.uppercase_docno`, few items and errors).
fn rule_sets() -> &'static [Rules; 2] {
    static RULES: OnceLock<[Rules; 2]> = OnceLock::new();
    RULES.get_or_init(|| {
        let strict = Rules {
            strict_decimals: true,
            empty_string_as_absent: false,
            strict_gstin_checksum: true,
            uppercase_docno: false,
            max_items: 3,
            max_errors: 5,
            ..Rules::default()
        };
        [Rules::default(), strict]
    })
}

/// What `api::invoice::register_invoice` does with a decrypted body, minus I/O: read it once
/// (`InvoiceRequest::parse`), list the GSTINs to fetch, bind (with each of the two rule sets); then
/// authorise, the IRN, the business rules and the canonical (signed) form. A bound invoice
/// written in its canonical form binds again to the same canonical form; a refused one has 1 to
/// `max_errors` errors.
pub fn invoice(data: &[u8]) {
    let register = register();
    let request = InvoiceRequest::parse(data);
    for gstin in request.referenced_gstins() {
        assert_eq!(gstin.len(), 15, "referenced GSTIN {gstin:?}");
        assert_eq!(gstin, gstin.to_ascii_uppercase());
    }
    for rules in rule_sets() {
        let invoice = match request.bind(rules, register) {
            Ok(invoice) => invoice,
            Err(errors) => {
                assert!(!errors.is_empty() && errors.len() <= rules.max_errors);
                continue;
            }
        };
        let _ = authorise(&invoice, SELLER, None);
        let _ = Irn::of(&invoice);
        let _ = invoice_json(&invoice, true);
        let canonical = invoice_json(&invoice, false);
        let again = parse_invoice(canonical.as_bytes(), rules, register).unwrap_or_else(|errors| {
            panic!("the canonical form of a bound invoice does not bind: {errors:?}\n{canonical}")
        });
        assert_eq!(
            invoice_json(&again, false),
            canonical,
            "the canonical form does not bind to itself"
        );
        let context = Context {
            rules,
            register,
            today: NaiveDate::from_ymd_opt(2025, 7, 10).expect("a valid date"),
        };
        if let Err(errors) = check_business_rules(&invoice, &context) {
            assert!(!errors.is_empty() && errors.len() <= rules.max_errors);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// cancel: the Cancel IRN binder
// ---------------------------------------------------------------------------------------------

/// `irp_core::bind::parse_cancel_request`: a bound request has a reason of 1 to 4 and a trimmed,
/// non-empty remark of at most 100 characters, and written back it binds to itself.
pub fn cancel(data: &[u8]) {
    let request = match parse_cancel_request(data) {
        Ok(request) => request,
        Err(errors) => {
            assert!(!errors.is_empty());
            return;
        }
    };
    assert!((1..=4).contains(&request.reason));
    if let Some(remark) = &request.remark {
        assert!(!remark.is_empty() && remark.trim() == remark);
        assert!(remark.chars().count() <= 100);
    }
    let mut written = String::new();
    let mut object = ObjectWriter::open(&mut written);
    object.str("Irn", request.irn.as_str());
    object.str("CnlRsn", &request.reason.to_string());
    object.opt_str("CnlRem", request.remark.as_deref());
    object.close();
    assert_eq!(
        parse_cancel_request(written.as_bytes()).as_ref(),
        Ok(&request),
        "a bound cancel request written back binds differently: {written}"
    );
}

// ---------------------------------------------------------------------------------------------
// payload: the envelope and the SEK decryption
// ---------------------------------------------------------------------------------------------

/// The session key of the fuzz targets and of the payload corpus (`corpus/payload/` holds data
/// encrypted with it).
pub const SEK: [u8; SEK_LEN] = *b"irp-fuzz fixed session key 32 B!";

/// The envelope's `Data`, as `api::pipeline::envelope_data` in `irp-server` takes it from a
/// request body (a UTF-8 BOM skipped, the member matched ignoring case, blank refused). A copy,
/// so that the fuzz build does not carry the portal; the replay test checks it against the
/// portal's own on every corpus file.
pub fn envelope_data(body: &[u8]) -> Option<String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let document = json::parse(body).ok()?;
    match document.get_ignore_case("data") {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.to_string()),
        _ => None,
    }
}

/// `irp_core::protocol::decrypt_payload` with [`SEK`], the input taken three ways: as a request
/// body (its `Data` decrypted, then read as JSON, as the portal does), as a `Data` text, and as
/// a plaintext, which encrypted and decrypted again must come back unchanged, or as the JSON it
/// carries in base64 (the fallback for clients that encrypt `base64(JSON)`). Also
/// `unwrap_sek` of the input as a wrapped SEK.
pub fn payload(data: &[u8]) {
    if let Some(text) = envelope_data(data)
        && let Ok(plaintext) = decrypt_payload(&SEK, &text)
    {
        let _ = json::parse(&plaintext);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = decrypt_payload(&SEK, text);
        let _ = unwrap_sek(&SEK, text);
    }
    let encrypted = encrypt_payload(&SEK, data);
    let decrypted = decrypt_payload(&SEK, &encrypted)
        .unwrap_or_else(|error| panic!("a payload the portal encrypted does not decrypt: {error}"));
    if decrypted != data {
        let trimmed = trim_json_start(data);
        assert!(
            !trimmed.is_empty() && !matches!(trimmed[0], b'{' | b'['),
            "a JSON plaintext came back changed"
        );
        assert_eq!(
            decode_base64(trimmed).as_deref(),
            Ok(&decrypted[..]),
            "a changed plaintext is not the base64 decoding of the input"
        );
        let inner = trim_json_start(&decrypted);
        assert!(matches!(inner.first(), Some(b'{' | b'[')) && json::parse(inner).is_ok());
    }
}

/// ASCII whitespace and a UTF-8 BOM trimmed, as `decrypt_payload` trims before looking for JSON.
fn trim_json_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.trim_ascii();
    bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .map_or(bytes, <[u8]>::trim_ascii)
}

// ---------------------------------------------------------------------------------------------
// credentials: the login decryption
// ---------------------------------------------------------------------------------------------

/// The auth key of the fuzz targets, a fixed RSA-2048 test key made for this crate only (the
/// core accepts nothing smaller); `corpus/credentials/` holds login data encrypted with it.
pub const TEST_AUTH_KEY_PEM: &str = include_str!("../test-auth-key.pem");

/// [`TEST_AUTH_KEY_PEM`], loaded once.
pub fn auth_key() -> &'static AuthPrivateKey {
    static KEY: OnceLock<AuthPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| AuthPrivateKey::from_pem(TEST_AUTH_KEY_PEM).expect("the test auth key"))
}

/// `irp_core::protocol::decrypt_credentials` with the test key, the input taken two ways: as the
/// login `Data` (what decrypts must be a JSON object), and as the login JSON, which encrypted as
/// a client does must decrypt to itself exactly when it is a JSON object.
pub fn credentials(data: &[u8]) {
    let key = auth_key();
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(json) = decrypt_credentials(key, text)
    {
        assert!(matches!(json::parse(&json), Ok(Value::Object(_))));
    }
    if let Ok(encrypted) = encrypt_credentials(key.public_key(), data) {
        let decrypted = decrypt_credentials(key, &encrypted).ok();
        let is_object = matches!(json::parse(data), Ok(Value::Object(_)));
        assert_eq!(
            decrypted.as_deref(),
            is_object.then_some(data),
            "encrypted credentials did not decrypt to themselves (JSON object: {is_object})"
        );
    }
}
