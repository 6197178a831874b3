//! What the server's modules share: the state every request sees, and the JSON error.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lesionscan::{Classifier, Error, TargetSize};
use serde::Serialize;
use serde_json::{json, Value};

/// Shared by every request: one classifier (it is `Send + Sync`; its session is used by
/// one request at a time, decoding and resizing run in parallel).
pub(crate) struct AppState {
    pub(crate) classifier: Classifier,
    /// The model's input size and fit, for the preview.
    pub(crate) target: TargetSize,
    /// The answer to `GET /api/model`, made once.
    pub(crate) model_json: Value,
    /// The page, with the body-site list filled in.
    pub(crate) page: String,
    /// The largest picture accepted, in bytes.
    pub(crate) max_upload: usize,
}

/// An error answer: `{"error": {"kind": …, "message": …}}` with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
        }
    }
    /// 400: a form field or query parameter that is wrong or unknown, or a malformed form.
    pub(crate) fn field(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_field", message)
    }
    /// 400: no picture in the request.
    pub(crate) fn missing_image(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "missing_image", message)
    }
    /// 413: more bytes than `limit`.
    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the picture is larger than this server's limit of {} (lesionscan serve --max-upload-mb)",
                human_bytes(limit)
            ),
        )
    }
    /// 415: the request does not carry a picture.
    pub(crate) fn not_an_image(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image", message)
    }
    /// 404.
    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such page")
    }
    /// 405.
    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this address does not take that method (POST /api/classify, GET /api/model)",
        )
    }
    /// 403: a Host header naming another machine (a DNS-rebinding page, for example).
    pub(crate) fn wrong_host() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "wrong_host",
            "this server answers only requests addressed to this machine's loopback name",
        )
    }
    /// 500: the server's own fault, never bad input.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::InvalidImage { .. } => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_image", message)
            }
            Error::InvalidArgument { .. } | Error::InvalidFrame { .. } => Self::field(message),
            _ => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "engine", message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"kind": self.kind, "message": self.message}});
        json_response(self.status, &body)
    }
}

/// `value` as a JSON answer with `status`.
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = (status, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `33554432` as `32 MiB`.
pub(crate) fn human_bytes(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}
