//! Serving a listener with limits before work (issue #15): a cap on open connections, a timeout
//! on request heads that also closes idle connections, a cap on requests being handled, and a
//! graceful stop. The body timeout and the order of body and credentials are the pipeline's
//! (`api::pipeline`); what a TLS proxy in front adds is in `docs/DEPLOYMENT.md`.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use irp_core::codes::Code;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use crate::envelope::{ApiError, Envelope};
use crate::router::normalise_path;
use crate::settings::Server;

/// File descriptors kept for the registry, logs and key files when the connection cap is derived
/// from the open-file limit.
const RESERVED_DESCRIPTORS: u64 = 256;

/// Paths never refused for being busy: load balancers must see the node alive and ready.
const ALWAYS_ANSWERED: &[&str] = &["/healthz", "/readyz", "/eivital/v1.03/heartbeat/ping"];

/// The limits of one listener, resolved from `server.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub max_requests_in_flight: usize,
    pub header_read_timeout: Duration,
}

impl ConnectionLimits {
    pub fn from_settings(settings: &Server) -> ConnectionLimits {
        let max_connections = match settings.max_connections {
            0 => open_file_limit()
                .map(|limit| limit.saturating_sub(RESERVED_DESCRIPTORS).max(64))
                .map_or(1024, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            n => n,
        };
        ConnectionLimits {
            max_connections,
            max_requests_in_flight: settings.max_requests_in_flight.max(1),
            header_read_timeout: Duration::from_secs(settings.header_read_timeout_seconds.max(1)),
        }
    }
}

/// The soft limit of open files of this process, read from `/proc/self/limits` (Linux); `None`
/// elsewhere or when unlimited.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    soft_open_file_limit(&limits)
}

fn soft_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Serves `app` on an already bound listener until `shutdown` completes; requests in flight are
/// finished first, idle connections closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let in_flight = Arc::new(Semaphore::new(limits.max_requests_in_flight));
    let service = tower::service_fn(move |request: Request<Incoming>| -> Answer {
        let mut request = request.map(Body::new);
        *request.uri_mut() = normalise_path(request.uri());
        let permit = if ALWAYS_ANSWERED.contains(&request.uri().path()) {
            None
        } else {
            match in_flight.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => return futures_ready(busy()),
            }
        };
        let answer = app.clone().oneshot(request);
        Box::pin(async move {
            let response = answer.await;
            drop(permit);
            response
        })
    });
    let service = TowerToHyperService::new(service);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of descriptors or memory: wait rather than spin; the cap should keep
                    // this from happening.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(stream), service.clone()));
        tokio::spawn(async move {
            // A connection that ends badly (timeout, reset) concerns only its client.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

type Answer =
    std::pin::Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send + 'static>>;

fn futures_ready(response: Response<Body>) -> Answer {
    Box::pin(std::future::ready(Ok(response)))
}

/// HTTP 503 with the NIC envelope: `5002`, "please try again".
fn busy() -> Response<Body> {
    let mut response = Response::new(Body::from(busy_json()));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

fn busy_json() -> String {
    Envelope::failure(ApiError::code(Code::E5002)).to_json()
}

/// Answers a connection beyond the cap with HTTP 503 and closes it, without reading its request.
async fn refuse(mut stream: TcpStream) {
    let body = busy_json();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_follows_the_open_file_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             95000                95000                processes \n\
                      Max open files            20000                40000                files     \n";
        assert_eq!(soft_open_file_limit(limits), Some(20000));
        assert_eq!(
            soft_open_file_limit(
                "Max open files            unlimited            unlimited            files"
            ),
            None
        );
        let derived = ConnectionLimits::from_settings(&Server::default());
        match open_file_limit() {
            Some(limit) => assert_eq!(
                derived.max_connections as u64,
                limit.saturating_sub(RESERVED_DESCRIPTORS).max(64)
            ),
            None => assert_eq!(derived.max_connections, 1024),
        }
        let set = Server {
            max_connections: 7,
            ..Server::default()
        };
        assert_eq!(ConnectionLimits::from_settings(&set).max_connections, 7);
    }
}
