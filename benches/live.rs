//! What `LiveSession::push_frame` costs the camera's thread: the frame converted to the
//! model's input size and judged for quality, then handed over. Measured with the default
//! model busy on the worker thread (most frames are then replaced while waiting), beside
//! `Classifier::prepare_frame` alone, so the difference is the hand-over.
//!
//! `cargo bench --bench live`; the numbers are in `benches/README.md`. Each case is timed
//! twice: `live/…` in wall-clock time (criterion's default) and `live_cpu/…` in the time
//! the benchmarking thread itself ran on a CPU (Linux's `/proc/thread-self/schedstat`),
//! which stays meaningful on a shared machine where other processes, and the session's
//! own worker, take turns on the same cores. Without that file the second group falls
//! back to wall-clock time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Bencher, Criterion};
use lesionscan::{
    Accelerator, Classifier, ClassifierOptions, Frame, ImageOptions, LiveListener, LiveOptions,
    LiveResult, LiveSession, PixelFormat, Plane, Rotation,
};

struct Ignore;
impl LiveListener for Ignore {
    fn on_result(&mut self, _result: LiveResult) {}
}

/// Nanoseconds the calling thread has spent on a CPU: the first number of Linux's
/// `/proc/thread-self/schedstat`; `None` where there is no such file.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Times `iters` runs of `routine` by this thread's time on a CPU (wall clock when that is
/// not available).
fn on_cpu<O>(b: &mut Bencher<'_>, mut routine: impl FnMut() -> O) {
    b.iter_custom(|iters| {
        let started = (thread_cpu_ns(), Instant::now());
        for _ in 0..iters {
            std::hint::black_box(routine());
        }
        match (started.0, thread_cpu_ns()) {
            (Some(before), Some(after)) => Duration::from_nanos(after.saturating_sub(before)),
            _ => started.1.elapsed(),
        }
    })
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

    let mut group = c.benchmark_group("live_cpu");
    group.sample_size(30);
    group.bench_function("prepare_frame_nv21_1280x720_default_model", |b| {
        on_cpu(b, || {
            classifier
                .prepare_frame(&frame, &ImageOptions::default())
                .expect("prepares")
        })
    });
    group.bench_function("push_frame_nv21_1280x720_default_model_busy", |b| {
        on_cpu(b, || {
            timestamp += 33;
            session.push_frame(&frame, timestamp).expect("pushed")
        })
    });
    group.finish();
    session.close();
}

criterion_group!(benches, push_frame);
criterion_main!(benches);
