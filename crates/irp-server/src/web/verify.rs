//! The public verify page (no login): a SignedQRCode or SignedInvoice token pasted, or a picture
//! of the printed QR code uploaded, checked against every certificate either portal has
//! published, and the signed facts shown, or a plain reason why the token is not valid.

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Response;
use irp_core::json::{self, Value};

use crate::state::AppState;
use crate::web::{Chrome, WebError, html, input, portal_name};

#[derive(Template)]
#[template(path = "web/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    token: String,
    outcome: Option<Outcome>,
    max_upload_kib: usize,
}

enum Outcome {
    Valid(Verified),
    Invalid(String),
}

/// What a valid token says, and who signed it.
struct Verified {
    portal: &'static str,
    kid: String,
    facts: Vec<(&'static str, String)>,
}

/// The facts shown, as (label, member of the QR payload, member path in a signed invoice).
const FACTS: [(&str, &str, &[&str]); 10] = [
    ("Supplier GSTIN", "SellerGstin", &["SellerDtls", "Gstin"]),
    ("Buyer GSTIN", "BuyerGstin", &["BuyerDtls", "Gstin"]),
    ("Document number", "DocNo", &["DocDtls", "No"]),
    ("Document type", "DocTyp", &["DocDtls", "Typ"]),
    ("Document date", "DocDt", &["DocDtls", "Dt"]),
    ("Invoice value", "TotInvVal", &["ValDtls", "TotInvVal"]),
    ("Number of items", "ItemCnt", &[]),
    ("Main HSN code", "MainHsnCode", &[]),
    ("IRN", "Irn", &["Irn"]),
    ("IRN date", "IrnDt", &["AckDt"]),
];

/// `GET /verify`.
pub async fn page(State(state): State<AppState>) -> Response {
    html(&VerifyPage {
        chrome: Chrome::anonymous(&state),
        token: String::new(),
        outcome: None,
        max_upload_kib: state.settings.limits.max_body_bytes / 1024,
    })
}

/// `POST /verify`: the token field, or the uploaded picture when one is chosen.
pub async fn submit(State(state): State<AppState>, request: Request) -> Result<Response, WebError> {
    // Anyone may post here: a few bodies are read at once, as for the verify API.
    let Ok(_reading) = state.public_reads.try_acquire() else {
        return Err(WebError::Busy(
            "The portal is verifying many codes at the moment; try again in a few seconds."
                .to_owned(),
        ));
    };
    let limit = state.settings.limits.max_body_bytes;
    let parts = input::multipart(&state, request, limit).await?;
    let mut token = input::text(&parts, "token").unwrap_or_default().to_owned();
    let outcome = match input::file(&parts, "image") {
        Some(image) => match read_picture(image.bytes.to_vec()).await {
            Ok(text) => {
                token = text;
                check(&state, &token).await
            }
            Err(reason) => Outcome::Invalid(reason),
        },
        None if token.is_empty() => {
            Outcome::Invalid("Paste a signed QR code or invoice, or choose a picture.".to_owned())
        }
        None => check(&state, &token).await,
    };
    Ok(html(&VerifyPage {
        chrome: Chrome::anonymous(&state),
        token,
        outcome: Some(outcome),
        max_upload_kib: limit / 1024,
    }))
}

/// The text of the QR code in a PNG or JPEG picture, decoded off the request threads.
async fn read_picture(bytes: Vec<u8>) -> Result<String, String> {
    let decoded = tokio::task::spawn_blocking(move || irp_core::qr::decode_image(&bytes))
        .await
        .map_err(|_| "The picture could not be read.".to_owned())?;
    match decoded {
        Ok(texts) => texts
            .into_iter()
            .next()
            .ok_or_else(|| "No QR code was found in the picture.".to_owned()),
        Err(_) => Err(
            "The picture could not be read: upload a PNG or JPEG picture of the QR code, in \
             focus, with the whole code and some white around it."
                .to_owned(),
        ),
    }
}

async fn check(state: &AppState, token: &str) -> Outcome {
    let (portal, verified) = match state.verify_token(token).await {
        Some(found) => found,
        None => {
            return Outcome::Invalid(
                "Not valid: this is not a code signed by either portal, or it has been altered."
                    .to_owned(),
            );
        }
    };
    let facts = match json::parse(verified.data.as_bytes()) {
        Ok(data) => facts(&data),
        Err(_) => Vec::new(),
    };
    Outcome::Valid(Verified {
        portal: portal_name(portal),
        kid: verified.kid,
        facts,
    })
}

fn facts(data: &Value<'_>) -> Vec<(&'static str, String)> {
    FACTS
        .iter()
        .filter_map(|(label, member, path)| {
            let value = data.get_ignore_case(member).or_else(|| {
                if path.is_empty() {
                    return None;
                }
                path.iter()
                    .try_fold(data, |node, name| node.get_ignore_case(name))
            })?;
            let text = match value {
                Value::String(text) => text.to_string(),
                other => other.to_string(),
            };
            Some((*label, text))
        })
        .collect()
}
