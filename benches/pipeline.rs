//! Criterion benchmarks of each stage: inference on 1 and 2 threads, decoding and
//! resizing a phone photo, and converting camera frames straight to the model size.
//!
//! `cargo bench --bench pipeline`; the README's table comes from this.

use criterion::{criterion_group, criterion_main, Criterion};
use lesionscan::engine::{Accelerator, Engine, EngineOptions, LiteRtEngine, TensorData};
use lesionscan::{image, Fit, Frame, ImageOptions, PixelFormat, Plane, Rotation, TargetSize};

fn inference(c: &mut Criterion) {
    let mut group = c.benchmark_group("inference");
    for model in ["mobilenet_tiny_int8", "two_input_float"] {
        let bytes = std::fs::read(format!("tests/data/{model}.tflite")).expect("fixture");
        for threads in [1, 2] {
            let options = EngineOptions {
                accelerator: Accelerator::Cpu,
                threads,
            };
            let mut session = LiteRtEngine::new().load(&bytes, &options).expect("loads");
            let inputs: Vec<TensorData> = session
                .inputs()
                .iter()
                .map(|i| TensorData::zeros(i.dtype, i.len()).expect("zeros"))
                .collect();
            group.bench_function(format!("{model}/{threads}_threads"), |b| {
                b.iter(|| session.run(&inputs).expect("runs"))
            });
        }
    }
    group.finish();
}

fn preprocessing(c: &mut Criterion) {
    let mut group = c.benchmark_group("preprocess");
    group.sample_size(20);
    let photo = std::fs::read("tests/data/phone_skin_moles.jpg").expect("photo");
    let target = TargetSize {
        width: 224,
        height: 224,
        fit: Fit::Stretch,
    };
    group.bench_function("jpeg_1528x1360_to_224", |b| {
        b.iter(|| image::prepare_encoded(&photo, &ImageOptions::default(), target).expect("ok"))
    });

    // A 12-megapixel (4032x3024) JPEG, the size a phone camera saves.
    let big = ::image::RgbImage::from_fn(4032, 3024, |x, y| {
        ::image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 256) as u8])
    });
    let mut jpeg = Vec::new();
    ::image::DynamicImage::ImageRgb8(big)
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            ::image::ImageFormat::Jpeg,
        )
        .expect("encode");
    let crop = TargetSize {
        width: 224,
        height: 224,
        fit: Fit::CenterCrop,
    };
    group.bench_function("jpeg_4032x3024_to_224_center_crop", |b| {
        b.iter(|| image::prepare_encoded(&jpeg, &ImageOptions::default(), crop).expect("ok"))
    });

    // A 1280x720 NV21 camera frame with padded rows, rotated as a portrait phone delivers it.
    let (w, h, stride) = (1280usize, 720usize, 1344usize);
    let y = vec![120u8; stride * h];
    let vu = vec![128u8; stride * h / 2];
    let frame = Frame {
        width: w as u32,
        height: h as u32,
        format: PixelFormat::Nv21,
        planes: vec![
            Plane {
                bytes: &y,
                row_stride: stride,
                pixel_stride: 1,
            },
            Plane {
                bytes: &vu,
                row_stride: stride,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R90,
    };
    group.bench_function("nv21_1280x720_rot90_to_224", |b| {
        b.iter(|| image::prepare_frame(&frame, &ImageOptions::default(), target).expect("ok"))
    });
    let rgba = vec![90u8; w * h * 4];
    let frame = Frame {
        format: PixelFormat::Rgba8888,
        planes: vec![Plane {
            bytes: &rgba,
            row_stride: w * 4,
            pixel_stride: 4,
        }],
        rotation: Rotation::R0,
        ..frame.clone()
    };
    group.bench_function("rgba_1280x720_to_224", |b| {
        b.iter(|| image::prepare_frame(&frame, &ImageOptions::default(), target).expect("ok"))
    });
    group.finish();
}

criterion_group!(benches, inference, preprocessing);
criterion_main!(benches);
