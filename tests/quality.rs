//! The quality gate: the luma detail copy the checks read, the measures, and the verdicts
//! on degraded copies of real pictures.

mod common;

use common::pictures::{blurred, exposed, phone_window, png, with_highlight, MOLE};
use common::{nv21_from_rgb, test_data};
use lesionscan::image::{prepare_encoded, prepare_frame};
use lesionscan::{
    assess_quality, measure_quality, Classifier, ClassifierOptions, DecodeMode, Error, Fit, Frame,
    ImageOptions, ModelCard, PixelFormat, Plane, PreparedImage, QualityIssue, QualityMeasures,
    QualityReport, QualityThresholds, Resampling, Roi, Rotation, TargetSize, DETAIL_SIDE,
};

fn square(side: u32) -> TargetSize {
    TargetSize {
        width: side,
        height: side,
        fit: Fit::CenterCrop,
        resampling: Resampling::Bilinear,
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

#[test]
fn detail_copy_is_the_luma_of_the_model_view_when_both_have_the_same_size() {
    let photo = std::fs::read(test_data("phone_skin_moles.jpg")).expect("photo");
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
        // Decoded in full, the detail copy's size depends only on the view; prepare the
        // model's picture at that same size and the two must agree.
        let options = ImageOptions {
            decode: DecodeMode::Exact,
            ..options
        };
        let first = prepare_encoded(&photo, &options, square(224)).expect("prepares");
        let side = first.detail.as_ref().expect("detail").width;
        let prepared = prepare_encoded(&photo, &options, square(side)).expect("prepares");
        let worst = max_luma_difference(&prepared);
        assert!(worst < 0.01, "{options:?}: luma differs by {worst}");
    }
}

#[test]
fn detail_copy_of_a_large_view_is_shrunk_by_a_whole_factor_keeping_its_aspect() {
    let photo = std::fs::read(test_data("phone_skin_moles.jpg")).expect("photo");
    // The photo is 1528x1360: k = ceil(1528 / 448) = 4, so 382x340 whatever the model's
    // size or fit (stretched here).
    let stretch = TargetSize {
        width: 224,
        height: 224,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    let prepared = prepare_encoded(&photo, &ImageOptions::default(), stretch).expect("ok");
    let detail = prepared.detail.expect("detail");
    assert_eq!((detail.width, detail.height), (382, 340));
    assert!(detail.width <= DETAIL_SIDE);
    // Centre-cropped, the view is 1360x1360: k = 4, 340x340.
    let prepared = prepare_encoded(&photo, &ImageOptions::default(), square(299)).expect("ok");
    let detail = prepared.detail.expect("detail");
    assert_eq!((detail.width, detail.height), (340, 340));
    assert_eq!(detail.luma.len(), 340 * 340);
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

// ---------------------------------------------------------------- measures and verdicts

/// The view every test judges: a 224x224 centre crop, whatever the default model is.
const VIEW: TargetSize = TargetSize {
    width: 224,
    height: 224,
    fit: Fit::CenterCrop,
    resampling: Resampling::Bilinear,
};

fn measures_of(img: &image::RgbImage) -> QualityMeasures {
    let prepared = prepare_encoded(&png(img), &ImageOptions::default(), VIEW).expect("prepares");
    measure_quality(&prepared)
}

fn report_of(img: &image::RgbImage) -> QualityReport {
    measures_of(img).judge(&QualityThresholds::default())
}

/// A clean close-up of a mole from the phone photo, 240 pixels a side.
fn mole() -> image::RgbImage {
    phone_window(MOLE.0, MOLE.1, 240)
}

#[test]
fn a_clean_close_up_of_a_mole_is_usable() {
    for side in [160, 240, 320] {
        let report = report_of(&phone_window(MOLE.0, MOLE.1, side));
        assert!(report.assessed);
        assert!(report.usable, "{side}: {report:?}");
        let coverage = report.lesion_coverage.expect("a lesion");
        assert!(coverage > 0.005 && coverage < 0.2, "{coverage}");
        assert!(report.lesion_offset.expect("a lesion") < 0.2);
    }
}

#[test]
fn more_blur_gives_lower_sharpness() {
    let clean = mole();
    let mut previous = measures_of(&clean).sharpness.expect("measured");
    let mut seen = vec![previous];
    for sigma in [0.002, 0.003, 0.004, 0.006, 0.008, 0.016] {
        let s = measures_of(&blurred(&clean, sigma))
            .sharpness
            .expect("measured");
        seen.push(s);
        // Strictly lower until nothing fine is left, then it stays at 0.
        if previous > 0.0 {
            assert!(s < previous, "sigma {sigma}: {seen:?}");
        } else {
            assert_eq!(s, 0.0, "sigma {sigma}: {seen:?}");
        }
        previous = s;
    }
    assert_eq!(previous, 0.0, "{seen:?}");
}

#[test]
fn darker_gives_lower_exposure_and_brighter_higher() {
    let clean = mole();
    let exposures: Vec<f32> = [-3.0, -2.0, -1.0, 0.0, 0.5, 1.0, 2.0]
        .iter()
        .map(|&stops| measures_of(&exposed(&clean, stops)).exposure)
        .collect();
    for pair in exposures.windows(2) {
        assert!(pair[0] < pair[1], "{exposures:?}");
    }
    let clipped: Vec<f32> = [0.0, 1.0, 2.0]
        .iter()
        .map(|&stops| measures_of(&exposed(&clean, stops)).clipped)
        .collect();
    assert!(
        clipped[0] < clipped[1] && clipped[1] < clipped[2],
        "{clipped:?}"
    );
}

#[test]
fn each_degradation_is_flagged_with_its_own_issue() {
    let clean = mole();
    let cases: Vec<(&str, image::RgbImage, QualityIssue)> = vec![
        (
            "gaussian blur",
            blurred(&clean, 0.008),
            QualityIssue::Blurry,
        ),
        (
            "two stops darker",
            exposed(&clean, -2.0),
            QualityIssue::TooDark,
        ),
        (
            "two stops brighter",
            exposed(&clean, 2.0),
            QualityIssue::TooBright,
        ),
        (
            "highlight",
            with_highlight(&clean, 0.08),
            QualityIssue::Glare,
        ),
        // Hairy skin well away from every mole.
        (
            "plain skin",
            phone_window(1150, 1100, 240),
            QualityIssue::NoLesion,
        ),
        // The mole 30 pixels from the left edge of the view.
        (
            "mole at the edge",
            phone_window(MOLE.0 + 90, MOLE.1, 240),
            QualityIssue::OffCentre,
        ),
        // The same mole seen from further away.
        (
            "zoomed out",
            phone_window(MOLE.0, MOLE.1, 1000),
            QualityIssue::TooSmall,
        ),
    ];
    for (name, img, issue) in cases {
        let report = report_of(&img);
        assert!(!report.usable, "{name}: {report:?}");
        assert!(report.issues.contains(&issue), "{name}: {report:?}");
    }
}

#[test]
fn uniform_pictures_give_no_lesion_and_no_nan() {
    for grey in [0u8, 1, 128, 254, 255] {
        let img = image::RgbImage::from_pixel(300, 200, image::Rgb([grey, grey, grey]));
        let measures = measures_of(&img);
        let report = measures.judge(&QualityThresholds::default());
        assert!(
            report.issues.contains(&QualityIssue::NoLesion),
            "{grey}: {report:?}"
        );
        assert!(!report.usable);
        assert_eq!(measures.sharpness, None, "{grey}");
        assert_eq!(measures.lesion_contrast, 0.0);
        for v in [measures.exposure, measures.clipped, measures.glare] {
            assert!(
                v.is_finite() && (0.0..=1.0).contains(&v),
                "{grey}: {measures:?}"
            );
        }
        // Serialised, nothing is NaN (serde_json would write null for it).
        let json = serde_json::to_value(&report).expect("serialises");
        assert!(json["exposure"].is_number());
    }
    // The same through the frame path, a black NV21 frame.
    let (w, h) = (64usize, 48usize);
    let (luma, chroma) = (vec![0u8; w * h], vec![128u8; w * h / 2]);
    let frame = nv21_frame(&luma, &chroma, w as u32, h as u32);
    let prepared = prepare_frame(&frame, &ImageOptions::default(), VIEW).expect("ok");
    let report = assess_quality(&prepared, &QualityThresholds::default());
    assert!(report.issues.contains(&QualityIssue::NoLesion));
}

fn nv21_frame<'a>(luma: &'a [u8], vu: &'a [u8], w: u32, h: u32) -> Frame<'a> {
    Frame {
        width: w,
        height: h,
        format: PixelFormat::Nv21,
        planes: vec![
            Plane {
                bytes: luma,
                row_stride: w as usize,
                pixel_stride: 1,
            },
            Plane {
                bytes: vu,
                row_stride: w.div_ceil(2) as usize * 2,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R0,
    }
}

#[test]
fn frame_path_and_photo_path_give_the_same_report() {
    let clean = mole();
    let pictures = [
        ("clean", clean.clone()),
        ("blurred", blurred(&clean, 0.008)),
        ("dark", exposed(&clean, -2.0)),
        ("bright", exposed(&clean, 1.0)),
        ("plain skin", phone_window(1150, 1100, 240)),
    ];
    for (name, img) in pictures {
        // The frame carries what an NV21 camera would: the picture's BT.601 luma and
        // 2x2-averaged chroma. Compare against the photo of exactly those pixels.
        let (luma, vu) = nv21_from_rgb(&img);
        let frame = nv21_frame(&luma, &vu, img.width(), img.height());
        let from_frame = prepare_frame(&frame, &ImageOptions::default(), VIEW).expect("frame");
        let from_photo =
            prepare_encoded(&png(&img), &ImageOptions::default(), VIEW).expect("photo");
        let (f, p) = (measure_quality(&from_frame), measure_quality(&from_photo));
        let t = QualityThresholds::default();
        assert_eq!(
            f.judge(&t).issues,
            p.judge(&t).issues,
            "{name}: {f:?} vs {p:?}"
        );
        let close = |a: Option<f32>, b: Option<f32>, tol: f32| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= tol,
            (None, None) => true,
            _ => false,
        };
        assert!(
            close(f.sharpness, p.sharpness, 0.03),
            "{name}: {f:?} vs {p:?}"
        );
        assert!(
            (f.exposure - p.exposure).abs() < 0.01,
            "{name}: {f:?} vs {p:?}"
        );
        assert!(
            (f.lesion_contrast - p.lesion_contrast).abs() < 0.03,
            "{name}"
        );
        assert!(
            close(f.lesion_coverage, p.lesion_coverage, 0.02),
            "{name}: {f:?} vs {p:?}"
        );
        assert!(
            close(f.lesion_offset, p.lesion_offset, 0.05),
            "{name}: {f:?} vs {p:?}"
        );
    }
}

#[test]
fn rotating_the_picture_moves_the_lesion_centre_with_it() {
    let photo = std::fs::read(test_data("phone_skin_moles.jpg")).expect("photo");
    let roi = Roi {
        x: 0.3,
        y: 0.4,
        width: 0.2,
        height: 0.2,
    };
    let upright = ImageOptions {
        roi: Some(roi),
        rotation: Rotation::R0,
        ..ImageOptions::default()
    };
    let a = measure_quality(&prepare_encoded(&photo, &upright, VIEW).expect("ok"));
    // The same region of the photo seen upside down: the ROI is given in the turned
    // picture's coordinates.
    let turned_roi = ImageOptions {
        roi: Some(Roi {
            x: 1.0 - roi.x - roi.width,
            y: 1.0 - roi.y - roi.height,
            ..roi
        }),
        rotation: Rotation::R180,
        ..ImageOptions::default()
    };
    let c = measure_quality(&prepare_encoded(&photo, &turned_roi, VIEW).expect("ok"));
    let (pa, pc) = (
        a.lesion_centre.expect("lesion"),
        c.lesion_centre.expect("lesion"),
    );
    assert!((pa[0] - (1.0 - pc[0])).abs() < 0.03, "{pa:?} vs {pc:?}");
    assert!((pa[1] - (1.0 - pc[1])).abs() < 0.03, "{pa:?} vs {pc:?}");
    assert!((a.exposure - c.exposure).abs() < 1e-3);
    assert_eq!(a.lesion_coverage.is_some(), c.lesion_coverage.is_some());
}

// ---------------------------------------------------------------- the classifier's policy

const TINY_MODEL: &str = "tests/data/mobilenet_tiny_int8.tflite";
const TINY_CARD: &str = "tests/data/mobilenet_tiny_int8.json";

fn tiny(options: ClassifierOptions) -> Classifier {
    Classifier::from_files(TINY_MODEL, TINY_CARD, options).expect("loads")
}

#[test]
fn every_classification_carries_its_quality_report() {
    let classifier = tiny(ClassifierOptions::default());
    let clean = classifier
        .classify_image(&png(&mole()), &ImageOptions::default(), None)
        .expect("classifies");
    assert!(
        clean.quality.assessed && clean.quality.usable,
        "{:?}",
        clean.quality
    );
    let dark = classifier
        .classify_image(
            &png(&exposed(&mole(), -3.0)),
            &ImageOptions::default(),
            None,
        )
        .expect("classifies");
    // Without reject_unusable an unusable picture is still classified, and says why.
    assert_eq!(dark.categories.len(), 7);
    assert!(!dark.quality.usable);
    assert!(dark.quality.issues.contains(&QualityIssue::TooDark));
}

#[test]
fn reject_unusable_gives_no_categories_and_the_reasons_without_running_the_model() {
    let classifier = tiny(ClassifierOptions::default().with_reject_unusable(true));
    let result = classifier
        .classify_image(
            &png(&blurred(&mole(), 0.01)),
            &ImageOptions::default(),
            None,
        )
        .expect("not an error");
    assert!(result.categories.is_empty());
    assert_eq!(result.malignant_probability, 0.0);
    assert!(!result.quality.usable);
    assert_eq!(result.quality.issues.first(), Some(&QualityIssue::Blurry));
    assert_eq!(result.timings.inference_us, 0);
    // A good picture through the same classifier is classified as usual.
    let good = classifier
        .classify_image(&png(&mole()), &ImageOptions::default(), None)
        .expect("classifies");
    assert_eq!(good.categories.len(), 7);
    assert!(good.quality.usable);
    // And so is a frame.
    let (luma, vu) = nv21_from_rgb(&exposed(&mole(), -3.0));
    let frame = nv21_frame(&luma, &vu, 240, 240);
    let dark = classifier
        .classify_frame(&frame, &ImageOptions::default(), None)
        .expect("not an error");
    assert!(dark.categories.is_empty());
    assert!(dark.quality.issues.contains(&QualityIssue::TooDark));
}

#[test]
fn a_card_can_override_quality_thresholds_and_bad_ones_are_refused() {
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(TINY_CARD).expect("card")).expect("json");
    let model = std::fs::read(TINY_MODEL).expect("model");
    let with = |quality: serde_json::Value| {
        let mut card = card.clone();
        card["quality"] = quality;
        card.to_string()
    };
    // Demanding perfect focus makes the clean mole blurry; other thresholds keep defaults.
    let strict = with(serde_json::json!({ "min_sharpness": 0.99 }));
    let parsed = ModelCard::from_json(&strict).expect("valid");
    assert_eq!(parsed.quality.min_sharpness, 0.99);
    assert_eq!(
        parsed.quality.max_glare,
        QualityThresholds::default().max_glare
    );
    let classifier =
        Classifier::from_bytes(&model, &strict, ClassifierOptions::default()).expect("loads");
    let result = classifier
        .classify_image(&png(&mole()), &ImageOptions::default(), None)
        .expect("classifies");
    assert_eq!(result.quality.issues, [QualityIssue::Blurry]);
    // Out-of-range, inverted or unknown thresholds are card errors.
    for bad in [
        serde_json::json!({ "min_sharpness": 1.5 }),
        serde_json::json!({ "min_exposure": 0.9, "max_exposure": 0.8 }),
        serde_json::json!({ "max_glare": -0.1 }),
        serde_json::json!({ "min_sharpnes": 0.3 }),
    ] {
        let err = Classifier::from_bytes(&model, &with(bad.clone()), ClassifierOptions::default())
            .expect_err("refused");
        assert!(matches!(err, Error::InvalidCard { .. }), "{bad}: {err}");
    }
}

#[test]
fn fast_dct_scaled_decoding_and_exact_decoding_judge_focus_alike() {
    // The whole phone photo (a real JPEG) and a blurred copy of it: decoded at half scale
    // in the DCT domain or in full, the detail copy shows the same focus.
    let photo = std::fs::read(test_data("phone_skin_moles.jpg")).expect("photo");
    let upright = phone_window(764, 680, 1360);
    let mut blurred_jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut blurred_jpeg, 92)
        .encode_image(&blurred(&upright, 0.004))
        .expect("encodes");
    for (name, bytes) in [("photo", photo), ("blurred", blurred_jpeg)] {
        let judge = |decode| {
            let options = ImageOptions {
                decode,
                ..ImageOptions::default()
            };
            let prepared = prepare_encoded(&bytes, &options, VIEW).expect("prepares");
            measure_quality(&prepared)
        };
        let (fast, exact) = (judge(DecodeMode::Fast), judge(DecodeMode::Exact));
        let (f, e) = (fast.sharpness.expect("f"), exact.sharpness.expect("e"));
        assert!((f - e).abs() < 0.06, "{name}: fast {f} vs exact {e}");
        let t = QualityThresholds::default();
        assert_eq!(
            fast.judge(&t).issues.contains(&QualityIssue::Blurry),
            exact.judge(&t).issues.contains(&QualityIssue::Blurry),
            "{name}: {fast:?} vs {exact:?}"
        );
    }
}
