//! Reading what a browser sends: URL-encoded forms and multipart uploads, each within a limit
//! and the node's body timeout, before any of it is parsed.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};

use crate::api::pipeline::read_body;
use crate::state::AppState;
use crate::web::WebError;

/// A form without files is small: a generate form of 1,000 items stays well under this.
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The fields of a URL-encoded form, in the order sent (repeated names are items' columns).
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The first value of `name` exactly as sent (passwords keep their spaces); `""` when absent.
    pub fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order, trimmed.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .collect()
    }
}

/// Reads a URL-encoded form body.
pub async fn form(state: &AppState, body: Body) -> Result<Fields, WebError> {
    form_within(state, body, MAX_FORM_BYTES).await
}

/// Reads a URL-encoded form body of at most `limit` bytes.
pub async fn form_within(state: &AppState, body: Body, limit: usize) -> Result<Fields, WebError> {
    let bytes = read_body(state, body, limit).await.map_err(|_| unread())?;
    Ok(Fields::parse(&bytes))
}

/// A body larger than its limit, or one that did not arrive within the body timeout: both
/// are answered so (`read_body` does not tell them apart, and neither is the user's to retry
/// as sent).
fn unread() -> WebError {
    WebError::TooLarge(
        "The form was larger than the portal accepts, or did not arrive in time.".to_owned(),
    )
}

/// One part of a multipart upload.
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub bytes: Bytes,
}

/// Reads a whole multipart body of at most `limit` bytes, then its parts.
pub async fn multipart(
    state: &AppState,
    request: Request,
    limit: usize,
) -> Result<Vec<Part>, WebError> {
    let (parts, body) = request.into_parts();
    let bytes = read_body(state, body, limit).await.map_err(|_| {
        WebError::TooLarge(format!(
            "The upload was larger than the portal accepts ({} KiB at most), or did not arrive \
             in time.",
            limit / 1024
        ))
    })?;
    let request = Request::from_parts(parts, Body::from(bytes));
    let bad = |_| WebError::BadRequest("The upload could not be read; send the form again.".into());
    let mut multipart = Multipart::from_request(request, state).await.map_err(|_| {
        WebError::BadRequest("The upload could not be read; send the form again.".into())
    })?;
    let mut out = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(bad)?;
        out.push(Part {
            name,
            file_name,
            bytes,
        });
    }
    Ok(out)
}

/// The text of part `name`, trimmed; `None` when absent, blank or not UTF-8.
pub fn text<'p>(parts: &'p [Part], name: &str) -> Option<&'p str> {
    parts
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| std::str::from_utf8(&p.bytes).ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The uploaded file of part `name`, when one was chosen.
pub fn file<'p>(parts: &'p [Part], name: &str) -> Option<&'p Part> {
    parts
        .iter()
        .find(|p| p.name == name && p.file_name.as_deref().is_some_and(|f| !f.is_empty()))
        .filter(|p| !p.bytes.is_empty())
}
