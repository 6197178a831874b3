//! The addresses the server answers and their handlers.
//!
//! | address | answer |
//! | --- | --- |
//! | `GET /` | the page (`web/index.html`), `GET /app.js`, `GET /app.css` its script and style |
//! | `GET /api/model` | the model: card, tensors, engine, accelerator (as `info --json`), plus the upload limit |
//! | `POST /api/classify` | the classification (as `classify --json`) plus `preview` |
//!
//! Every answer carries a strict content security policy (nothing from elsewhere),
//! `no-store` caching (results are about patients) and `nosniff`. When the server listens
//! on loopback, requests whose `Host` names another machine are refused (403), so a page
//! elsewhere cannot reach the server by rebinding its own name to 127.0.0.1.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use lesionscan::ImageOptions;
use serde::Serialize;

use super::preview::{preview, Preview};
use super::types::{json_response, ApiError, AppState};
use super::upload;
use crate::common::ResultJson;

const SCRIPT: &str = include_str!("web/app.js");
const STYLE: &str = include_str!("web/app.css");

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The router; `loopback_only` turns on the `Host` check.
pub(crate) fn router(state: Arc<AppState>, loopback_only: bool) -> Router {
    let router = Router::new()
        .route("/", get(page))
        .route("/app.js", get(script))
        .route("/app.css", get(style))
        .route("/api/model", get(model))
        .route("/api/classify", post(classify))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        // The upload module reads the body itself, with the server's own limit.
        .layer(DefaultBodyLimit::disable());
    let router = if loopback_only {
        router.layer(middleware::from_fn(loopback_host_only))
    } else {
        router
    };
    router
        .layer(middleware::map_response(common_headers))
        .with_state(state)
}

async fn page(State(state): State<Arc<AppState>>) -> Response {
    with_type(state.page.clone(), "text/html; charset=utf-8")
}

async fn script() -> Response {
    with_type(SCRIPT, "text/javascript; charset=utf-8")
}

async fn style() -> Response {
    with_type(STYLE, "text/css; charset=utf-8")
}

fn with_type(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn model(State(state): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, &state.model_json)
}

/// `classify --json`'s object plus the preview.
#[derive(Serialize)]
struct ClassifyJson<'a> {
    #[serde(flatten)]
    result: ResultJson<'a>,
    preview: Preview,
}

async fn classify(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match classify_upload(&state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn classify_upload(state: &Arc<AppState>, request: Request) -> Result<Response, ApiError> {
    let upload = upload::read(request, state.max_upload).await?;
    // Decoding, resizing and inference take milliseconds to a second: they run on the
    // blocking pool, the preview beside the classification, so the async workers keep
    // answering other requests.
    let classifying = {
        let state = Arc::clone(state);
        let picture = upload.picture.clone();
        let patient = upload.patient;
        tokio::task::spawn_blocking(move || {
            state
                .classifier
                .classify_image(&picture, &ImageOptions::default(), patient.as_ref())
        })
    };
    let previewing = {
        let target = state.target;
        let picture = upload.picture;
        tokio::task::spawn_blocking(move || preview(&picture, target))
    };
    let task_failed = |_| ApiError::internal("the classification task stopped unexpectedly");
    let classification = classifying.await.map_err(task_failed)??;
    let preview = previewing.await.map_err(task_failed)??;
    let body = ClassifyJson {
        result: ResultJson::new(&upload.file_name, &classification),
        preview,
    };
    Ok(json_response(StatusCode::OK, &body))
}

async fn common_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Whether `Host` names this machine's loopback interface (any port: the browser sends
/// the one it connected to).
fn is_loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        // HTTP/1.0 clients may omit it; they are not browsers rebinding names.
        return true;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            name
        }
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

async fn loopback_host_only(request: Request, next: Next) -> Response {
    if is_loopback_host(request.headers()) {
        next.run(request).await
    } else {
        ApiError::wrong_host().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn only_loopback_names_pass_the_host_check() {
        for good in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "localhost:9",
            "LOCALHOST",
            "[::1]:8080",
            "[::1]",
            "127.0.0.2:1",
        ] {
            assert!(is_loopback_host(&host(good)), "{good}");
        }
        for bad in [
            "evil.example:8080",
            "evil.example",
            "192.168.1.4:8080",
            "localhost.evil.example",
            "[::2]:80",
        ] {
            assert!(!is_loopback_host(&host(bad)), "{bad}");
        }
        assert!(is_loopback_host(&HeaderMap::new()));
    }
}
