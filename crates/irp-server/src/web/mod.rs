//! The web mode (issue 16, `docs/WEB.md`): server-rendered pages for taxpayers at `/`, beside
//! the API paths. Pages call the operations the API calls (`register_invoice`,
//! `cancel_invoice`, the registry's sessions and searches): one set of rules, codes, IRNs and
//! signatures. Pages work without JavaScript; `assets/app.js` only adds live totals and the
//! buyer look-up as one types.

mod assets;
mod bulk;
mod bulk_files;
mod documents;
mod ewb;
mod form;
mod input;
mod login;
mod session;
mod verify;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub use session::{WEB_CLIENT, WebUser};

use crate::state::AppState;

/// The pages. Paths are lower case: the portal lower-cases every path before routing.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route(
            "/password",
            get(login::password_page).post(login::change_password),
        )
        .route("/dashboard", get(documents::dashboard))
        .route("/invoices", get(documents::list))
        .route("/invoices/new", get(form::blank).post(form::submit))
        .route("/invoices/upload", post(documents::upload))
        .route("/invoices/lookup/{gstin}", get(form::lookup))
        .route("/invoices/{irn}", get(documents::view))
        .route("/invoices/{irn}/print", get(documents::print))
        .route("/invoices/{irn}/print.pdf", get(documents::print_pdf))
        .route("/invoices/{irn}/signed.json", get(documents::signed_json))
        .route(
            "/invoices/{irn}/cancel",
            get(documents::cancel_page).post(documents::cancel),
        )
        .route("/invoices/{irn}/ewb", get(ewb::form).post(ewb::generate))
        .route("/ewb/{number}", get(ewb::view))
        .route("/ewb/{number}/cancel", post(ewb::cancel))
        .route("/bulk", get(bulk::page).post(bulk::submit))
        .route("/bulk/template.xlsx", get(bulk_files::template))
        .route("/bulk/{task_id}", get(bulk::task))
        .route(
            "/bulk/{task_id}/results.json",
            get(bulk_files::results_json),
        )
        .route(
            "/bulk/{task_id}/results.csv",
            get(bulk_files::results_csv_file),
        )
        .route(
            "/bulk/{task_id}/results.xlsx",
            get(bulk_files::results_xlsx),
        )
        .route("/bulk/{task_id}/errors.csv", get(bulk_files::errors_file))
        .route("/verify", get(verify::page).post(verify::submit))
        .route("/assets/{name}", get(assets::serve))
}

/// What every page shows around its content: the portal, and who is logged in.
pub struct Chrome {
    pub portal: &'static str,
    pub user: Option<SignedIn>,
}

pub struct SignedIn {
    pub user_name: String,
    pub gstin: String,
    /// This session's form token (`session.rs`), put into every form that changes something.
    pub csrf: String,
}

impl Chrome {
    pub fn anonymous(state: &AppState) -> Chrome {
        Chrome {
            portal: portal_name(state.settings.portal.id),
            user: None,
        }
    }
}

pub fn portal_name(portal: u8) -> &'static str {
    if portal == 2 { "IRP-2" } else { "IRP-1" }
}

/// Why a page cannot be shown. The portal's own failures are logged where they happen
/// (`OrPage`), and a page never shows more than the message here.
#[derive(Debug)]
pub enum WebError {
    /// No session: to the login page.
    LoggedOut,
    /// The session ended (idle, logged out elsewhere, password changed): to the login page,
    /// which says so.
    Expired,
    /// A form that changes something, without this session's token or from another site.
    Forbidden,
    NotFound,
    /// The request cannot be served as sent; the message says why.
    BadRequest(String),
    /// Too large, as the API's limits say.
    TooLarge(String),
    /// Too many such requests at once: come back in a few seconds.
    Busy(String),
    /// The portal's own failure.
    Internal,
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            WebError::LoggedOut => return Redirect::to("/login").into_response(),
            WebError::Expired => return Redirect::to("/login?expired=1").into_response(),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form was not sent from this portal's own page, or the page is older than \
                 your session. Go back, reload the page and try again."
                    .to_owned(),
            ),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such page, or no document of yours by that IRN.".to_owned(),
            ),
            WebError::BadRequest(message) => (StatusCode::BAD_REQUEST, "Cannot do that", message),
            WebError::TooLarge(message) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large", message),
            WebError::Busy(message) => {
                let page = ErrorPage {
                    chrome: Chrome {
                        portal: "IRP",
                        user: None,
                    },
                    title: "Busy",
                    message,
                };
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, html(&page)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                return response;
            }
            WebError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The portal could not complete this request. Nothing was lost: try again in a \
                 moment."
                    .to_owned(),
            ),
        };
        let page = ErrorPage {
            chrome: Chrome {
                portal: "IRP",
                user: None,
            },
            title,
            message,
        };
        (status, html(&page)).into_response()
    }
}

/// Turns the portal's own failure into [`WebError::Internal`], logging it once, here.
pub trait OrPage<T> {
    fn or_page(self) -> Result<T, WebError>;
}

impl<T, E: std::fmt::Display> OrPage<T> for Result<T, E> {
    #[track_caller]
    fn or_page(self) -> Result<T, WebError> {
        self.map_err(|error| {
            let at = std::panic::Location::caller();
            tracing::error!(%error, at = %at, "web page failed");
            WebError::Internal
        })
    }
}

/// A rendered page, `no-store` so that a shared computer's back button shows nothing after
/// logout.
pub fn html(page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = body.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            secure_headers(headers);
            response
        }
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template failed").into_response()
        }
    }
}

/// Headers every page carries: no framing (clickjacking), no sniffing, scripts and styles from
/// this portal only, no referrer leaking an IRN to another site.
fn secure_headers(headers: &mut axum::http::HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// The 404 page for every path no route serves.
pub async fn not_found() -> WebError {
    WebError::NotFound
}
