//! Every endpoint of the portal on one screen (`02` §1), and the path normalisation that lets
//! NIC clients reach them however they spell the path (`01` §1, D-36).

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::api::{auth, ewb, ewb_cancel, invoice, master, print, public};
use crate::bulk;
use crate::connections::ConnectionLimits;
use crate::state::AppState;

/// The routes, in their normalised form: lower case, version `v1.03`, no trailing `/`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/eivital/v1.03/auth", post(auth::authenticate))
        .route("/eicore/v1.03/invoice", post(invoice::generate))
        .route("/eicore/v1.03/invoice/cancel", post(invoice::cancel))
        .route("/eicore/v1.03/invoice/irn/{irn}", get(invoice::get_by_irn))
        .route(
            "/eicore/v1.03/invoice/irnbydocdetails",
            get(invoice::get_by_document),
        )
        .route(
            "/eicore/v1.03/invoice/rejectedirns",
            get(master::rejected_irns),
        )
        .route("/api/invoice/rejectedirns", get(master::rejected_irns))
        .route("/eiewb/v1.03/ewaybill", post(ewb::generate_by_irn))
        .route("/eiewb/v1.03/ewaybill/irn/{irn}", get(ewb::get_by_irn))
        .route("/ewaybillapi/v1.03/ewayapi", post(ewb_cancel::cancel))
        .route("/ewayapi", post(ewb_cancel::cancel))
        .route(
            "/eivital/v1.03/master/gstin/{gstin}",
            get(master::gstin_details),
        )
        .route(
            "/eivital/v1.03/master/syncgstin/{gstin}",
            get(master::sync_gstin),
        )
        .route("/eivital/v1.03/heartbeat/ping", get(public::heartbeat))
        .route("/eiext/v1.00/print/{irn}", get(print::print))
        .route("/eiext/v1.00/bulk/generate", post(bulk::api::generate))
        .route("/eiext/v1.00/bulk/cancel", post(bulk::api::cancel))
        .route("/eiext/v1.00/bulk/{task}", get(bulk::api::status))
        .route("/eiext/v1.00/bulk/{task}/results", get(bulk::api::results))
        .route("/eiext/v1.00/certs", get(public::certificates))
        .route("/eiext/v1.00/keys/auth", get(public::auth_public_key))
        .route("/eiext/v1.00/verify", post(public::verify))
        .route("/.well-known/jwks.json", get(public::jwks))
        .route("/healthz", get(public::healthz))
        .route("/readyz", get(public::readyz))
        .merge(crate::web::routes())
        .fallback(crate::web::not_found)
        // Handlers read bodies themselves, so that an oversized body gets the NIC envelope.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// Lower-cases the path, maps the version segment `v1.04` to `v1.03` and drops one trailing
/// `/`. The query string is left alone: document numbers in it keep their case.
pub fn normalise_path(uri: &Uri) -> Uri {
    let path = uri
        .path()
        .to_ascii_lowercase()
        .replace("/v1.04/", "/v1.03/");
    let path = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        _ => path,
    };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    path_and_query.parse().unwrap_or_else(|_| uri.clone())
}

/// Serves the portal on an already bound listener until `shutdown` completes, with the limits of
/// `server.*` (`crate::connections`); in-flight requests are finished first.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = ConnectionLimits::from_settings(&state.settings.server);
    crate::connections::serve(listener, router(state), limits, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_but_queries_are_not() {
        let uri: Uri = "/eiCore/V1.04/Invoice/IrnByDocDetails/?docnum=abc%2F1&DocType=INV"
            .parse()
            .unwrap();
        assert_eq!(
            normalise_path(&uri).to_string(),
            "/eicore/v1.03/invoice/irnbydocdetails?docnum=abc%2F1&DocType=INV"
        );
        let uri: Uri = "/eivital/v1.04/auth".parse().unwrap();
        assert_eq!(normalise_path(&uri).to_string(), "/eivital/v1.03/auth");
    }
}
