//! What `LiveSession::push_frame` costs the camera's thread: the frame converted to the
//! model's input size and judged for quality, then handed over. Measured with the default
//! model busy on the worker thread (most frames are then replaced while waiting), beside
//! `Classifier::prepare_frame` alone, so the difference is the hand-over.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use lesionscan::{
    Accelerator, Classifier, ClassifierOptions, Frame, ImageOptions, LiveListener, LiveOptions,
    LiveResult, LiveSession, PixelFormat, Plane, Rotation,
};

struct Ignore;
impl LiveListener for Ignore {
    fn on_result(&mut self, _result: LiveResult) {}
}

fn push_frame(c: &mut Criterion) {
    let stem = std::fs::read_to_string("models/DEFAULT_MODEL").expect("models/DEFAULT_MODEL");
    let stem = stem.trim();
    let classifier = Arc::new(
        Classifier::from_files(
            format!("models/{stem}.tflite"),
            format!("models/{stem}.json"),
            ClassifierOptions::default().with_accelerator(Accelerator::Cpu),
        )
        .expect("the default model loads"),
    );

    // A 1280x720 NV21 frame with padded rows, turned as a portrait phone delivers it, with
    // some texture (a ramp and a dark disc) so that every quality check has work to do.
    let (w, h, stride) = (1280usize, 720usize, 1344usize);
    let mut y = vec![0u8; stride * h];
    for row in 0..h {
        for col in 0..w {
            let (dx, dy) = (col as f32 - 640.0, row as f32 - 360.0);
            let disc = if dx * dx + dy * dy < 90.0 * 90.0 {
                90
            } else {
                0
            };
            y[row * stride + col] = (150 + (col + row) % 40 - disc) as u8;
        }
    }
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

    let mut group = c.benchmark_group("live");
    group.sample_size(30);
    group.bench_function("prepare_frame_nv21_1280x720_default_model", |b| {
        b.iter(|| {
            classifier
                .prepare_frame(&frame, &ImageOptions::default())
                .expect("prepares")
        })
    });
    let session =
        LiveSession::new(Arc::clone(&classifier), LiveOptions::default(), Ignore).expect("starts");
    let mut timestamp = 0u64;
    group.bench_function("push_frame_nv21_1280x720_default_model_busy", |b| {
        b.iter(|| {
            timestamp += 33;
            session.push_frame(&frame, timestamp).expect("pushed")
        })
    });
    group.finish();
    session.close();
}

criterion_group!(benches, push_frame);
criterion_main!(benches);
