//! Criterion benchmarks of the quality gate's measures on prepared pictures: what every
//! classification and every camera frame pays on top of preparing the picture.
//!
//! `cargo bench --bench quality`; the numbers are in `benches/README.md`.

use criterion::{criterion_group, criterion_main, Criterion};
use lesionscan::image::{prepare_encoded, prepare_frame};
use lesionscan::{
    assess_quality, measure_quality, Fit, Frame, ImageOptions, PixelFormat, Plane,
    QualityThresholds, Rotation, TargetSize,
};

fn target(side: u32, fit: Fit) -> TargetSize {
    TargetSize {
        width: side,
        height: side,
        fit,
    }
}

fn measures(c: &mut Criterion) {
    let mut group = c.benchmark_group("quality");
    let photo = std::fs::read("tests/data/phone_skin_moles.jpg").expect("photo");
    let thresholds = QualityThresholds::default();

    // The default model's view of the phone photo: 254x254 stretched, detail 382x340.
    let photo_254 =
        prepare_encoded(&photo, &ImageOptions::default(), target(254, Fit::Stretch)).expect("ok");
    group.bench_function("photo_model_254_detail_382x340", |b| {
        b.iter(|| assess_quality(&photo_254, &thresholds))
    });

    // The largest detail copy (448x448, from a 1344x1344 view) with a 224x224 model view.
    let big = ::image::RgbImage::from_fn(1344, 1344, |x, y| {
        ::image::Rgb([
            (120 + (x * 7 + y * 3) % 90) as u8,
            (90 + (x * 5 + y * 11) % 70) as u8,
            (80 + (x * 13 + y) % 60) as u8,
        ])
    });
    let mut png = Vec::new();
    ::image::DynamicImage::ImageRgb8(big)
        .write_to(
            &mut std::io::Cursor::new(&mut png),
            ::image::ImageFormat::Png,
        )
        .expect("encode");
    let large =
        prepare_encoded(&png, &ImageOptions::default(), target(224, Fit::CenterCrop)).expect("ok");
    assert_eq!(large.detail.as_ref().map(|d| d.width), Some(448));
    group.bench_function("model_224_detail_448x448", |b| {
        b.iter(|| measure_quality(&large))
    });

    // A 1280x720 NV21 camera frame (portrait phone, rotated 90 degrees) at 224 centre crop:
    // detail 360x360.
    let (w, h) = (1280usize, 720usize);
    let luma: Vec<u8> = (0..w * h)
        .map(|i| (100 + (i % w * 3 + i / w * 7) % 80) as u8)
        .collect();
    let vu = vec![128u8; w * h / 2];
    let frame = Frame {
        width: w as u32,
        height: h as u32,
        format: PixelFormat::Nv21,
        planes: vec![
            Plane {
                bytes: &luma,
                row_stride: w,
                pixel_stride: 1,
            },
            Plane {
                bytes: &vu,
                row_stride: w,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R90,
    };
    let prepared = prepare_frame(
        &frame,
        &ImageOptions::default(),
        target(224, Fit::CenterCrop),
    )
    .expect("ok");
    group.bench_function("nv21_1280x720_model_224_detail_360x360", |b| {
        b.iter(|| assess_quality(&prepared, &thresholds))
    });
    group.finish();
}

criterion_group!(benches, measures);
criterion_main!(benches);
