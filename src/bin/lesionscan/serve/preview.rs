//! The picture as the model sees it (upright, cropped and resized to its input), as a
//! PNG data URL the page can show.

use base64::Engine as _;
use image::ImageEncoder as _;
use lesionscan::image::prepare_encoded;
use lesionscan::{ImageOptions, TargetSize};
use serde::Serialize;

use super::types::ApiError;

/// What `POST /api/classify` adds to the classification.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Preview {
    /// The model's input size.
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// The upright picture before the crop and resize.
    pub(crate) source_width: u32,
    pub(crate) source_height: u32,
    /// `data:image/png;base64,…`
    pub(crate) data_url: String,
}

/// Prepares `picture` exactly as the classifier does and encodes the result as PNG
/// (values rounded to whole grey levels).
pub(crate) fn preview(picture: &[u8], target: TargetSize) -> Result<Preview, ApiError> {
    let prepared = prepare_encoded(picture, &ImageOptions::default(), target)?;
    let pixels: Vec<u8> = prepared
        .rgb
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            &pixels,
            prepared.width,
            prepared.height,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| ApiError::internal(format!("cannot encode the preview: {e}")))?;
    Ok(Preview {
        width: prepared.width,
        height: prepared.height,
        source_width: prepared.source_size.0,
        source_height: prepared.source_size.1,
        data_url: format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&png)
        ),
    })
}
