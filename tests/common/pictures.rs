//! Real pictures and their degraded copies, made in the tests from the committed phone
//! photo (no third-party picture is written into the repository).

use lesionscan::image::prepare_encoded;
use lesionscan::{Fit, ImageOptions, Roi, TargetSize};

/// Centre (x, y) of the clearest mole in the upright `tests/data/phone_skin_moles.jpg`
/// (1528x1360), the one in `tests/data/default_model_crops/e002.png`.
pub const MOLE: (u32, u32) = (615, 694);

/// The upright phone photo's pixels in the square of `side` pixels centred at `(cx, cy)`
/// (moved inside the photo if needed), exactly as the library decodes them.
pub fn phone_window(cx: u32, cy: u32, side: u32) -> image::RgbImage {
    let photo = std::fs::read(super::test_data("phone_skin_moles.jpg")).expect("photo");
    let (w, h) = (1528u32, 1360u32);
    let x0 = cx.saturating_sub(side / 2).min(w - side);
    let y0 = cy.saturating_sub(side / 2).min(h - side);
    let roi = Roi {
        x: x0 as f32 / w as f32,
        y: y0 as f32 / h as f32,
        width: side as f32 / w as f32,
        height: side as f32 / h as f32,
    };
    let target = TargetSize {
        width: side,
        height: side,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    let options = ImageOptions {
        roi: Some(roi),
        ..ImageOptions::default()
    };
    let prepared = prepare_encoded(&photo, &options, target).expect("window");
    assert_eq!(
        prepared.source_size,
        (w, h),
        "the photo's upright size changed"
    );
    let bytes = prepared.rgb.iter().map(|v| v.round() as u8).collect();
    image::RgbImage::from_raw(side, side, bytes).expect("size")
}

fn to_linear(v: u8) -> f32 {
    let c = f32::from(v) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn to_srgb(l: f32) -> u8 {
    let c = l.clamp(0.0, 1.0);
    let s = if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    };
    (s * 255.0).round().clamp(0.0, 255.0) as u8
}

/// Exposure changed by `stops` (light scaled by `2^stops` in linear light, then clipped),
/// as a camera's exposure setting would.
pub fn exposed(img: &image::RgbImage, stops: f32) -> image::RgbImage {
    let gain = 2f32.powf(stops);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = to_srgb(to_linear(*c) * gain);
        }
    }
    out
}

/// Gaussian blur with `sigma` given as a fraction of the shorter side.
pub fn blurred(img: &image::RgbImage, sigma_fraction: f32) -> image::RgbImage {
    let sigma = sigma_fraction * img.width().min(img.height()) as f32;
    image::imageops::blur(img, sigma)
}

/// A saturated white specular highlight: a disc covering `fraction` of the picture,
/// centred a quarter of the way in from the top-left corner.
pub fn with_highlight(img: &image::RgbImage, fraction: f32) -> image::RgbImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let radius = (fraction * w * h / std::f32::consts::PI).sqrt();
    let (cx, cy) = (0.35 * w, 0.35 * h);
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
        if d <= radius {
            p.0 = [255, 255, 255];
        }
    }
    out
}

/// PNG bytes of a picture.
pub fn png(img: &image::RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(img.clone())
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("encodes");
    bytes
}
