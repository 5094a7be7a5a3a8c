//! Stages 1 and 2 of validation (`04` §1): parse the request and bind it to [`Invoice`],
//! collecting every schema violation with its canonical JSON path.
//!
//! Binding follows NIC's .NET binder (`03` §1): keys match case-insensitively with the last
//! duplicate winning, unknown keys are ignored, `null` and empty strings mean "absent", numbers
//! may arrive as strings and strings as numbers. Fields are visited in canonical order, so the
//! errors come out in canonical document order without sorting.

mod cancel;
mod fields;
pub mod patterns;
mod sections;

use std::borrow::Cow;

use crate::codes::Code;
use crate::error::ErrorDetail;
use crate::invoice::Invoice;
use crate::json::{self, Value};
use crate::register::TaxpayerRegister;
use crate::rules::Rules;

pub use cancel::{CancelRequest, parse_cancel_request};
pub use fields::parse_date;
pub use sections::normalise_vehicle_number;

/// Parses and binds one generate request. On success the invoice satisfies every schema rule of
/// `03` and `04` §2; otherwise all schema errors are returned (at most `rules.max_errors`).
///
/// The register is consulted only for the per-GSTIN item limit (V-15) and, when
/// `validation.strict_gstin_checksum` is on, to exempt registered ship-to GSTINs.
pub fn parse_invoice(
    input: &[u8],
    rules: &Rules,
    register: &dyn TaxpayerRegister,
) -> Result<Invoice, Vec<ErrorDetail>> {
    InvoiceRequest::parse(input).bind(rules, register)
}

/// A generate request read as JSON once: a caller with an asynchronous register fetches the
/// [`referenced_gstins`](InvoiceRequest::referenced_gstins) and then [`binds`](InvoiceRequest::bind)
/// the same tree, rather than parsing the body twice.
pub struct InvoiceRequest<'a> {
    input: &'a [u8],
    document: Result<Value<'a>, json::ParseError>,
}

impl<'a> InvoiceRequest<'a> {
    pub fn parse(input: &'a [u8]) -> InvoiceRequest<'a> {
        InvoiceRequest {
            input,
            document: json::parse(input),
        }
    }

    /// The GSTINs the request names (seller, buyer, e-commerce operator, ship-to), upper-cased
    /// and without duplicates. Malformed input yields whatever could be found.
    pub fn referenced_gstins(&self) -> Vec<String> {
        let Ok(Value::Object(members)) = &self.document else {
            return Vec::new();
        };
        let root = Object(members);
        let mut found: Vec<String> = Vec::new();
        for (section, field) in [
            ("SellerDtls", "Gstin"),
            ("BuyerDtls", "Gstin"),
            ("TranDtls", "EcmGstin"),
            ("ShipDtls", "Gstin"),
        ] {
            let value = match root.get(section) {
                Some(Value::Object(inner)) => Object(inner).get(field),
                _ => None,
            };
            let text = match value {
                Some(Value::String(text)) => text.trim().to_ascii_uppercase(),
                _ => continue,
            };
            if text.len() == 15 && !found.contains(&text) {
                found.push(text);
            }
        }
        found
    }

    /// Binds the request: see [`parse_invoice`].
    pub fn bind(
        &self,
        rules: &Rules,
        register: &dyn TaxpayerRegister,
    ) -> Result<Invoice, Vec<ErrorDetail>> {
        let document = match &self.document {
            Ok(document) => document,
            Err(error) => {
                if self.input.iter().all(u8::is_ascii_whitespace) {
                    return Err(vec![ErrorDetail::coded(Code::E2255, "", &[])]);
                }
                return Err(vec![invalid_json(error)]);
            }
        };
        let members = match document {
            Value::Object(members) if !members.is_empty() => members,
            Value::Null => return Err(vec![ErrorDetail::coded(Code::E2255, "", &[])]),
            Value::Object(_) => return Err(vec![ErrorDetail::coded(Code::E2255, "", &[])]),
            _ => {
                // The whole request is a JSON value of the wrong type; `$` names the root.
                return Err(vec![ErrorDetail::with_message(
                    Code::E2140,
                    "$",
                    "The field $ has an invalid value.".to_owned(),
                )]);
            }
        };
        let mut binder = Binder {
            rules,
            register,
            errors: Vec::new(),
            path: Vec::new(),
        };
        let invoice = sections::invoice(&mut binder, Object(members));
        binder.finish(invoice)
    }
}

/// The request of Generate EWB by IRN (`02` §2.8), bound.
#[derive(Debug, Clone, PartialEq)]
pub struct EwbRequest {
    /// As sent; the caller checks it (E-01: malformed → `4003`).
    pub irn: String,
    pub transport: crate::invoice::EwbDtls,
    pub dispatch: Option<crate::invoice::DispDtls>,
    /// `(Pin, Stcd)` of `ExpShipDtls`.
    pub export_ship: Option<(crate::invoice::Number, crate::invoice::StateCode)>,
}

/// Binds a Generate EWB by IRN request with the same field rules and codes as `EwbDtls`
/// (`06` §5.2: schema errors come back as `Status` 0 with those codes).
pub fn parse_ewb_request(input: &[u8], rules: &Rules) -> Result<EwbRequest, Vec<ErrorDetail>> {
    let document = json::parse(input).map_err(|error| vec![invalid_json(&error)])?;
    let Value::Object(members) = &document else {
        return Err(vec![ErrorDetail::coded(Code::E4003, "Irn", &[])]);
    };
    let register = crate::register::MemoryRegister::new();
    let mut binder = Binder {
        rules,
        register: &register,
        errors: Vec::new(),
        path: Vec::new(),
    };
    let root = Object(members);
    let irn = match root.get("Irn") {
        Some(Value::String(text)) => text.trim().to_owned(),
        _ => String::new(),
    };
    let transport = sections::ewb_dtls(&mut binder, root);
    let dispatch = binder.object(root, "DispDtls", sections::disp_dtls).ok();
    let export_ship = binder
        .object(root, "ExpShipDtls", sections::exp_ship_dtls)
        .ok();
    let request = EwbRequest {
        irn,
        transport,
        dispatch,
        export_ship,
    };
    if binder.errors.is_empty() {
        Ok(request)
    } else {
        Err(binder.errors)
    }
}

/// The `2140` of a request that is not JSON, with where the reader stopped.
fn invalid_json(error: &json::ParseError) -> ErrorDetail {
    let message = format!(
        "Invalid JSON: {} at line {}, column {}.",
        error.message, error.line, error.column
    );
    ErrorDetail::with_message(Code::E2140, "", message)
}

/// A JSON object seen through the binding rules.
#[derive(Clone, Copy)]
pub(crate) struct Object<'v, 'a>(&'v [(Cow<'a, str>, Value<'a>)]);

impl<'v, 'a> Object<'v, 'a> {
    /// The member whose name equals `name` ignoring ASCII case; the last one wins (`03` §1).
    fn get(self, name: &str) -> Option<&'v Value<'a>> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }
}

#[derive(Clone, Copy)]
enum Segment {
    Key(&'static str),
    Index(usize),
}

/// The outcome of binding one field.
pub(crate) enum Field<T> {
    /// Not sent, `null`, or an empty string.
    Absent,
    /// Sent but wrong; the error is already recorded.
    Invalid,
    Valid(T),
}

impl<T> Field<T> {
    pub(crate) fn ok(self) -> Option<T> {
        match self {
            Field::Valid(value) => Some(value),
            Field::Absent | Field::Invalid => None,
        }
    }

    fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Valid(value) => Field::Valid(f(value)),
            Field::Absent => Field::Absent,
            Field::Invalid => Field::Invalid,
        }
    }
}

/// Collects errors while walking the request in canonical order.
pub(crate) struct Binder<'r> {
    rules: &'r Rules,
    register: &'r dyn TaxpayerRegister,
    errors: Vec<ErrorDetail>,
    path: Vec<Segment>,
}

impl<'r> Binder<'r> {
    fn finish(self, invoice: Invoice) -> Result<Invoice, Vec<ErrorDetail>> {
        if self.errors.is_empty() {
            Ok(invoice)
        } else {
            Err(self.errors)
        }
    }

    pub(crate) fn rules(&self) -> &'r Rules {
        self.rules
    }

    pub(crate) fn register(&self) -> &'r dyn TaxpayerRegister {
        self.register
    }

    /// The canonical path of the current position, with `leaf` appended when given.
    fn path_with(&self, leaf: Option<&str>) -> String {
        let mut path = String::new();
        for segment in &self.path {
            match segment {
                Segment::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Segment::Index(index) => {
                    path.push('[');
                    path.push_str(&index.to_string());
                    path.push(']');
                }
            }
        }
        if let Some(leaf) = leaf {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(leaf);
        }
        path
    }

    pub(crate) fn push_error(&mut self, error: ErrorDetail) {
        if self.errors.len() < self.rules.max_errors {
            self.errors.push(error);
        }
    }

    /// Records a template error (`04` §2.1) for field `name`; the template's `{path}` is filled.
    fn template_error(&mut self, name: Option<&str>, template: &str) {
        let path = self.path_with(name);
        let message = template.replace("{path}", &path);
        self.push_error(ErrorDetail::with_message(Code::E2140, path, message));
    }

    /// Records a specific-code error for field `name`.
    pub(crate) fn coded_error(&mut self, name: Option<&str>, code: Code, args: &[&str]) {
        let path = self.path_with(name);
        self.push_error(ErrorDetail::coded(code, path, args));
    }

    fn invalid_value(&mut self, name: Option<&str>) {
        self.template_error(name, "The field {path} has an invalid value.");
    }

    /// Records that a required field is missing, with `code` or the template.
    pub(crate) fn missing(&mut self, name: &'static str, code: Option<Code>) {
        match code {
            Some(code) => self.coded_error(Some(name), code, &[]),
            None => self.template_error(Some(name), "The {path} field is required."),
        }
    }

    /// The raw value of `name`, or `None` when it is absent (`03` §1 rules 4–5).
    fn raw<'v, 'a>(&self, object: Object<'v, 'a>, name: &str) -> Option<&'v Value<'a>> {
        match object.get(name)? {
            Value::Null => None,
            Value::String(text) if self.rules.empty_string_as_absent && text.trim().is_empty() => {
                None
            }
            value => Some(value),
        }
    }

    /// Binds a nested object.
    pub(crate) fn object<T>(
        &mut self,
        parent: Object<'_, '_>,
        name: &'static str,
        bind: impl FnOnce(&mut Binder<'r>, Object<'_, '_>) -> T,
    ) -> Field<T> {
        match self.raw(parent, name) {
            None => Field::Absent,
            Some(Value::Object(members)) => {
                self.path.push(Segment::Key(name));
                let bound = bind(self, Object(members));
                self.path.pop();
                Field::Valid(bound)
            }
            Some(_) => {
                self.invalid_value(Some(name));
                Field::Invalid
            }
        }
    }

    /// Binds an array of objects. `max_len` bounds the work done on hostile input: longer arrays
    /// are reported by the caller and their elements are not bound.
    pub(crate) fn array<T>(
        &mut self,
        parent: Object<'_, '_>,
        name: &'static str,
        max_len: usize,
        mut bind: impl FnMut(&mut Binder<'r>, Object<'_, '_>) -> T,
    ) -> Field<Result<Vec<T>, usize>> {
        let items = match self.raw(parent, name) {
            None => return Field::Absent,
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.invalid_value(Some(name));
                return Field::Invalid;
            }
        };
        if items.len() > max_len {
            return Field::Valid(Err(items.len()));
        }
        self.path.push(Segment::Key(name));
        let mut bound = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            self.path.push(Segment::Index(index));
            match item {
                Value::Object(members) => bound.push(bind(self, Object(members))),
                _ => self.invalid_value(None),
            }
            self.path.pop();
        }
        self.path.pop();
        Field::Valid(Ok(bound))
    }
}
