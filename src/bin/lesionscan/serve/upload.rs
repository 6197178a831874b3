//! From a `POST /api/classify` request to a picture and the patient's fields, in memory.
//!
//! Two shapes are accepted:
//! - `multipart/form-data` with the picture in field `image` and optional text fields
//!   `age`, `sex` and `site` (what the page and `curl -F image=@photo.jpg` send);
//! - the raw picture with an `image/*` content type, the fields in the query string
//!   (`?age=45&sex=female&site=back`).
//!
//! The body is read into memory up to the limit and never touches the disk or the log.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Query, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use lesionscan::{BodySite, PatientInfo, Sex};

use super::types::ApiError;
use crate::common::patient_or_none;

/// Room for the multipart envelope (boundaries, part headers, text fields) beyond the
/// picture itself.
const FORM_OVERHEAD: usize = 64 * 1024;

/// A picture and what came with it.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) picture: Bytes,
    /// The name the browser gave the file (`"upload"` for a raw body). Only echoed back.
    pub(crate) file_name: String,
    pub(crate) patient: Option<PatientInfo>,
}

/// Reads the request; pictures over `max_picture` bytes are refused with 413.
pub(crate) async fn read(request: Request, max_picture: usize) -> Result<Upload, ApiError> {
    let media_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let multipart = media_type == "multipart/form-data";
    if !multipart && !media_type.starts_with("image/") {
        if media_type.is_empty() {
            // An empty request is "no picture" rather than "the wrong kind of content".
            let body = read_body(request.into_body(), max_picture, max_picture).await?;
            if body.is_empty() {
                return Err(ApiError::missing_image(
                    "the request has no picture (empty body)",
                ));
            }
        }
        let sent = if media_type.is_empty() {
            "no content type".to_string()
        } else {
            media_type
        };
        return Err(ApiError::not_an_image(format!(
            "expected a picture: multipart/form-data with the picture in field \"image\", or \
             the raw picture with an image/* content type (got {sent})"
        )));
    }
    let max_body = if multipart {
        max_picture + FORM_OVERHEAD
    } else {
        max_picture
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body as u64) {
        return Err(ApiError::too_large(max_picture));
    }
    let (parts, body) = request.into_parts();
    let body = read_body(body, max_body, max_picture).await?;
    if multipart {
        if parts.uri.query().is_some_and(|q| !q.is_empty()) {
            return Err(ApiError::field(
                "with a form, send age, sex and site as form fields, not in the address",
            ));
        }
        read_form(Request::from_parts(parts, Body::from(body)), max_picture).await
    } else {
        let mut patient = PatientInfo::default();
        let pairs: Query<Vec<(String, String)>> = Query::try_from_uri(&parts.uri)
            .map_err(|_| ApiError::field("the query string is malformed"))?;
        for (name, value) in &pairs.0 {
            set_field(&mut patient, name, value)?;
        }
        if body.is_empty() {
            return Err(ApiError::missing_image(
                "the request has no picture (empty body)",
            ));
        }
        Ok(Upload {
            picture: body,
            file_name: "upload".into(),
            patient: patient_or_none(patient),
        })
    }
}

async fn read_body(body: Body, max_body: usize, max_picture: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, max_body).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::too_large(max_picture))
        }
        Err(_) => Err(ApiError::field("the upload was cut off before its end")),
    }
}

async fn read_form(request: Request, max_picture: usize) -> Result<Upload, ApiError> {
    let malformed = |_| ApiError::field("the multipart/form-data body is malformed");
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|_| ApiError::field("the multipart/form-data content type has no boundary"))?;
    let mut patient = PatientInfo::default();
    let mut picture: Option<(Bytes, String)> = None;
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "image" {
            if !["age", "sex", "site"].contains(&name.as_str()) {
                return Err(unknown_field(&name));
            }
            let value = field.text().await.map_err(malformed)?;
            set_field(&mut patient, &name, &value)?;
            continue;
        }
        if picture.is_some() {
            return Err(ApiError::field(
                "send one picture per request (field \"image\" came twice)",
            ));
        }
        let declared = field.content_type().map(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
        if let Some(declared) = declared.filter(|t| {
            !t.is_empty() && !t.starts_with("image/") && t != "application/octet-stream"
        }) {
            return Err(ApiError::not_an_image(format!(
                "the file sent as \"image\" is {declared}, not a picture"
            )));
        }
        let file_name = field.file_name().unwrap_or("upload").to_string();
        let bytes = field.bytes().await.map_err(malformed)?;
        if bytes.len() > max_picture {
            return Err(ApiError::too_large(max_picture));
        }
        picture = Some((bytes, file_name));
    }
    let Some((picture, file_name)) = picture else {
        return Err(ApiError::missing_image(
            "the form has no field \"image\" holding the picture",
        ));
    };
    if picture.is_empty() {
        return Err(ApiError::missing_image("the field \"image\" is empty"));
    }
    Ok(Upload {
        picture,
        file_name,
        patient: patient_or_none(patient),
    })
}

/// Sets one of the patient's fields from its text; an empty value means "not given"
/// (what a browser sends for a blank input).
fn set_field(patient: &mut PatientInfo, name: &str, value: &str) -> Result<(), ApiError> {
    let value = value.trim();
    match name {
        "age" => {
            patient.age = if value.is_empty() {
                None
            } else {
                let age = value
                    .parse::<u8>()
                    .ok()
                    .filter(|a| *a <= 120)
                    .ok_or_else(|| {
                        ApiError::field("age must be a whole number of years from 0 to 120")
                    })?;
                Some(age)
            };
        }
        "sex" => {
            patient.sex = if value.is_empty() {
                None
            } else {
                Some(
                    value
                        .parse::<Sex>()
                        .map_err(|e| ApiError::field(e.to_string()))?,
                )
            };
        }
        "site" => {
            patient.site = if value.is_empty() {
                None
            } else {
                Some(
                    value
                        .parse::<BodySite>()
                        .map_err(|e| ApiError::field(e.to_string()))?,
                )
            };
        }
        other => return Err(unknown_field(other)),
    }
    Ok(())
}

fn unknown_field(name: &str) -> ApiError {
    ApiError::field(format!(
        "unknown field {name:?}: the picture goes in \"image\"; \"age\", \"sex\" and \"site\" \
         are optional"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_fields_mean_not_given_and_bad_ones_are_field_errors() {
        let mut p = PatientInfo::default();
        set_field(&mut p, "age", " 45 ").expect("age");
        set_field(&mut p, "sex", "female").expect("sex");
        set_field(&mut p, "site", "lower extremity").expect("site");
        assert_eq!(
            p,
            PatientInfo {
                age: Some(45),
                sex: Some(Sex::Female),
                site: Some(BodySite::LowerExtremity)
            }
        );
        set_field(&mut p, "age", "").expect("blank");
        assert_eq!(p.age, None);
        for (name, value) in [
            ("age", "121"),
            ("age", "-1"),
            ("age", "forty"),
            ("sex", "x"),
            ("site", "elbow"),
            ("file", "x"),
        ] {
            let err = set_field(&mut p, name, value).expect_err(value);
            assert_eq!((err.status.as_u16(), err.kind), (400, "invalid_field"));
        }
    }
}
