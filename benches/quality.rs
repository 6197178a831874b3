//! Criterion benchmarks of the quality gate's measures on prepared pictures: what every
//! classification and every camera frame pays on top of preparing the picture.
//!
//! `cargo bench --bench quality`; the numbers are in `benches/README.md`.
//!
//! Each case is timed twice: `quality/…` in wall-clock time (criterion's default) and
//! `quality_cpu/…` in the time the benchmark thread spent on a CPU (`clock_gettime` with
//! `CLOCK_THREAD_CPUTIME_ID` on 64-bit Linux), which stays meaningful on a shared machine
//! where other processes take turns on the same cores. Elsewhere the second group falls
//! back to wall-clock time.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Bencher, Criterion};
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
        resampling: Default::default(),
    }
}

/// Nanoseconds this thread has spent running on a CPU.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_ns() -> Option<u64> {
    /// `struct timespec` on 64-bit Linux.
    #[repr(C)]
    struct Timespec {
        seconds: i64,
        nanoseconds: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut time = Timespec {
        seconds: 0,
        nanoseconds: 0,
    };
    // SAFETY: clock_gettime (libc, always linked on Linux) writes one `struct timespec`,
    // whose 64-bit layout `Timespec` matches, into `time`, a valid exclusive borrow, and
    // touches nothing else.
    let status = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut time) };
    let seconds = u64::try_from(time.seconds).ok()?;
    let nanoseconds = u64::try_from(time.nanoseconds).ok()?;
    (status == 0).then(|| seconds * 1_000_000_000 + nanoseconds)
}

/// Elsewhere there is no per-thread clock here: wall-clock time is used.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

/// Runs `routine` as criterion asks, timed by on-CPU time where available.
fn on_cpu<O>(b: &mut Bencher<'_>, mut routine: impl FnMut() -> O) {
    b.iter_custom(|iters| {
        let (cpu, wall) = (thread_cpu_ns(), Instant::now());
        for _ in 0..iters {
            std::hint::black_box(routine());
        }
        match (cpu, thread_cpu_ns()) {
            (Some(start), Some(end)) => Duration::from_nanos(end.saturating_sub(start)),
            _ => wall.elapsed(),
        }
    })
}

fn measures(c: &mut Criterion) {
    let photo = std::fs::read("tests/data/phone_skin_moles.jpg").expect("photo");
    let thresholds = QualityThresholds::default();

    // The default model's view of the phone photo: 254x254 stretched, detail 382x340.
    let photo_254 =
        prepare_encoded(&photo, &ImageOptions::default(), target(254, Fit::Stretch)).expect("ok");

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

    for (name, on_cpu_time) in [("quality", false), ("quality_cpu", true)] {
        let mut group = c.benchmark_group(name);
        let time = |b: &mut Bencher<'_>, f: &dyn Fn()| {
            if on_cpu_time {
                on_cpu(b, f)
            } else {
                b.iter(f)
            }
        };
        group.bench_function("photo_model_254_detail_382x340", |b| {
            time(b, &|| {
                std::hint::black_box(assess_quality(&photo_254, &thresholds));
            })
        });
        group.bench_function("model_224_detail_448x448", |b| {
            time(b, &|| {
                std::hint::black_box(measure_quality(&large));
            })
        });
        group.bench_function("nv21_1280x720_model_224_detail_360x360", |b| {
            time(b, &|| {
                std::hint::black_box(assess_quality(&prepared, &thresholds));
            })
        });
        group.finish();
    }
}

criterion_group!(benches, measures);
criterion_main!(benches);
