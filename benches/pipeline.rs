//! Criterion benchmarks of each stage: inference on 1 and 2 threads, decoding and
//! resizing a phone photo, and converting camera frames straight to the model size.
//!
//! `cargo bench --bench pipeline`; the README's table comes from this.

use criterion::{criterion_group, criterion_main, Criterion};
use lesionscan::engine::{Accelerator, Engine, EngineOptions, LiteRtEngine, TensorData};
use lesionscan::{
    image, DecodeMode, Fit, Frame, ImageOptions, PixelFormat, Plane, Rotation, TargetSize,
};

fn inference(c: &mut Criterion) {
    let mut group = c.benchmark_group("inference");
    for model in ["mobilenet_tiny_int8", "two_input_float"] {
        let bytes = std::fs::read(format!("tests/data/{model}.tflite")).expect("fixture");
        for threads in [1, 2] {
            let options = EngineOptions {
                accelerator: Accelerator::Cpu,
                threads,
                ..EngineOptions::default()
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

/// A 12-megapixel (4032x3024) JPEG like a phone camera's: the phone photo enlarged with
/// mild per-pixel noise (sensor grain, so that the entropy-coded data is as dense as a
/// real photo's, about 4 MB), quality 90. Also written to `target/bench-12mp.jpg` so that
/// other decoders can be timed on the same file.
fn twelve_megapixel_photo() -> Vec<u8> {
    let photo = ::image::load_from_memory(
        &std::fs::read("tests/data/phone_skin_moles.jpg").expect("photo"),
    )
    .expect("decodes")
    .to_rgb8();
    let mut big = ::image::imageops::resize(&photo, 4032, 3024, ::image::imageops::Triangle);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for v in big.iter_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *v = v.saturating_add((state % 9) as u8).saturating_sub(4);
    }
    let mut jpeg = Vec::new();
    ::image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&big)
        .expect("encode");
    let _ = std::fs::write("target/bench-12mp.jpg", &jpeg);
    jpeg
}

/// A `w x h` NV21 frame with a smooth picture and grain in it, rows padded to `stride`.
fn nv21_frame_planes(w: usize, h: usize, stride: usize) -> (Vec<u8>, Vec<u8>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 7) as usize
    };
    let mut y = vec![0u8; stride * h];
    for (r, row) in y.chunks_exact_mut(stride).enumerate() {
        for (c, v) in row[..w].iter_mut().enumerate() {
            *v = (40 + (c * 150 / w + r * 50 / h) + noise()) as u8;
        }
    }
    let mut vu = vec![0u8; stride * h.div_ceil(2)];
    for (r, row) in vu.chunks_exact_mut(stride).enumerate() {
        for (c, v) in row[..w.div_ceil(2) * 2].iter_mut().enumerate() {
            *v = (110 + (c * 40 / w + r * 30 / h) + noise()) as u8;
        }
    }
    (y, vu)
}

fn nv21<'a>(w: usize, h: usize, stride: usize, planes: &'a (Vec<u8>, Vec<u8>)) -> Frame<'a> {
    Frame {
        width: w as u32,
        height: h as u32,
        format: PixelFormat::Nv21,
        planes: vec![
            Plane {
                bytes: &planes.0,
                row_stride: stride,
                pixel_stride: 1,
            },
            Plane {
                bytes: &planes.1,
                row_stride: stride,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R90,
    }
}

fn preprocessing(c: &mut Criterion) {
    let mut group = c.benchmark_group("preprocess");
    group.sample_size(20);
    let exact = ImageOptions {
        decode: DecodeMode::Exact,
        ..Default::default()
    };
    let photo = std::fs::read("tests/data/phone_skin_moles.jpg").expect("photo");
    let target = TargetSize {
        width: 224,
        height: 224,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    let model = TargetSize {
        width: 254,
        height: 254,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    group.bench_function("jpeg_1528x1360_to_224", |b| {
        b.iter(|| image::prepare_encoded(&photo, &ImageOptions::default(), target).expect("ok"))
    });
    group.bench_function("jpeg_1528x1360_to_254_exact", |b| {
        b.iter(|| image::prepare_encoded(&photo, &exact, model).expect("ok"))
    });

    // The synthetic 12-megapixel JPEG of earlier measurements (smooth gradients: its
    // entropy-coded data is small, so it decodes faster than a photo).
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
        resampling: Default::default(),
    };
    group.bench_function("jpeg_4032x3024_to_224_center_crop", |b| {
        b.iter(|| image::prepare_encoded(&jpeg, &ImageOptions::default(), crop).expect("ok"))
    });

    let photo12 = twelve_megapixel_photo();
    group.bench_function("photo_4032x3024_to_254", |b| {
        b.iter(|| image::prepare_encoded(&photo12, &ImageOptions::default(), model).expect("ok"))
    });
    group.bench_function("photo_4032x3024_to_254_exact", |b| {
        b.iter(|| image::prepare_encoded(&photo12, &exact, model).expect("ok"))
    });

    // A 1920x1080 NV21 camera frame, rotated as a portrait phone delivers it.
    let planes = nv21_frame_planes(1920, 1080, 1920);
    let frame = nv21(1920, 1080, 1920, &planes);
    group.bench_function("nv21_1920x1080_rot90_to_254", |b| {
        b.iter(|| image::prepare_frame(&frame, &ImageOptions::default(), model).expect("ok"))
    });

    // A 1280x720 NV21 camera frame with padded rows, rotated as a portrait phone delivers it.
    let (w, h, stride) = (1280usize, 720usize, 1344usize);
    let planes = nv21_frame_planes(w, h, stride);
    let frame = nv21(w, h, stride, &planes);
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
