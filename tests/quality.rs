//! The quality gate: the luma detail copy the checks read, the measures, and the verdicts
//! on degraded copies of real pictures.

mod common;

use common::{nv21_from_rgb, test_data};
use lesionscan::image::{prepare_encoded, prepare_frame};
use lesionscan::{
    Fit, Frame, ImageOptions, PixelFormat, Plane, PreparedImage, Roi, Rotation, TargetSize,
    DETAIL_SIDE,
};

fn square(side: u32) -> TargetSize {
    TargetSize {
        width: side,
        height: side,
        fit: Fit::CenterCrop,
    }
}

fn bt601(rgb: &[f32]) -> f32 {
    0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
}

fn max_luma_difference(prepared: &PreparedImage) -> f32 {
    let detail = prepared.detail.as_ref().expect("a detail copy");
    assert_eq!(
        (detail.width, detail.height),
        (prepared.width, prepared.height)
    );
    prepared
        .rgb
        .chunks_exact(3)
        .zip(&detail.luma)
        .map(|(px, &y)| (bt601(px) - y).abs())
        .fold(0.0, f32::max)
}

fn png(img: &image::RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(img.clone())
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("encodes");
    bytes
}

#[test]
fn detail_copy_is_the_luma_of_the_model_view_when_both_have_the_same_size() {
    let photo = std::fs::read(test_data("phone_skin_moles.jpg")).expect("photo");
    let side = DETAIL_SIDE;
    for options in [
        ImageOptions::default(),
        ImageOptions {
            roi: Some(Roi {
                x: 0.1,
                y: 0.2,
                width: 0.7,
                height: 0.6,
            }),
            rotation: Rotation::R90,
            ..Default::default()
        },
        ImageOptions {
            roi: None,
            rotation: Rotation::R270,
            ..Default::default()
        },
    ] {
        let prepared = prepare_encoded(&photo, &options, square(side)).expect("prepares");
        let worst = max_luma_difference(&prepared);
        assert!(worst < 0.01, "{options:?}: luma differs by {worst}");
    }
}

#[test]
fn detail_copy_of_a_large_view_is_scaled_to_the_detail_side_keeping_its_aspect() {
    let photo = std::fs::read(test_data("phone_skin_moles.jpg")).expect("photo");
    // The photo is 1528x1360: stretched to a model's 224x224, the detail copy keeps the
    // view's own aspect ratio with its longer side at DETAIL_SIDE.
    let stretch = TargetSize {
        width: 224,
        height: 224,
        fit: Fit::Stretch,
    };
    let prepared = prepare_encoded(&photo, &ImageOptions::default(), stretch).expect("ok");
    let detail = prepared.detail.expect("detail");
    let expected_h = (1360.0f64 * f64::from(DETAIL_SIDE) / 1528.0).round() as u32;
    assert_eq!((detail.width, detail.height), (DETAIL_SIDE, expected_h));
    // Centre-cropped, the view is square.
    let prepared = prepare_encoded(&photo, &ImageOptions::default(), square(224)).expect("ok");
    let detail = prepared.detail.expect("detail");
    assert_eq!((detail.width, detail.height), (DETAIL_SIDE, DETAIL_SIDE));
    assert_eq!(detail.luma.len(), (DETAIL_SIDE * DETAIL_SIDE) as usize);
}

#[test]
fn detail_copy_of_a_small_picture_is_its_own_pixels_never_enlarged() {
    let crop = image::open(test_data("default_model_crops/e002.png"))
        .expect("crop")
        .to_rgb8();
    let prepared = prepare_encoded(&png(&crop), &ImageOptions::default(), square(299)).expect("ok");
    let detail = prepared.detail.expect("detail");
    assert_eq!((detail.width, detail.height), crop.dimensions());
    for (p, &y) in crop.pixels().zip(&detail.luma) {
        let expect = bt601(&p.0.map(f32::from));
        assert!((expect - y).abs() < 1e-3, "{expect} vs {y}");
    }
}

#[test]
fn detail_copy_of_an_nv21_frame_is_its_y_plane() {
    let crop = image::open(test_data("default_model_crops/e000.png"))
        .expect("crop")
        .to_rgb8();
    let (w, h) = crop.dimensions();
    let (luma, vu) = nv21_from_rgb(&crop);
    let frame = Frame {
        width: w,
        height: h,
        format: PixelFormat::Nv21,
        planes: vec![
            Plane {
                bytes: &luma,
                row_stride: w as usize,
                pixel_stride: 1,
            },
            Plane {
                bytes: &vu,
                row_stride: w.div_ceil(2) as usize * 2,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R0,
    };
    let prepared = prepare_frame(&frame, &ImageOptions::default(), square(224)).expect("ok");
    let detail = prepared.detail.expect("detail");
    assert_eq!((detail.width, detail.height), (w, h));
    // Y + chroma terms, clamped to RGB, then back to luma: equal to Y wherever no channel
    // clamped, which on skin tones is everywhere.
    let worst = luma
        .iter()
        .zip(&detail.luma)
        .map(|(&y, &d)| (f32::from(y) - d).abs())
        .fold(0.0, f32::max);
    assert!(worst < 0.01, "detail differs from Y by {worst}");
}
