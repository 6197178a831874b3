//! Runs one preprocessing case many times, for profilers that count instructions
//! (`valgrind --tool=callgrind`, `perf stat`) where timings on a busy machine are too
//! noisy:
//!
//! `cargo build --release --example prep_profile`, then
//! `valgrind --tool=callgrind target/release/examples/prep_profile CASE N`.
//!
//! Cases: `nv21` (the benchmark's synthetic 1920x1080 frame, whose bright, saturated
//! right half clamps), `nv21_photo` (the phone photo as a 1920x1080 NV21 frame),
//! `yuv420_888` (the same frame as Android's YUV_420_888 with padded rows and chroma
//! pixel stride 2), `i420` (three planes, pixel stride 1), `rgba` (the same picture as
//! RGBA 1920x1080), `photo12` / `photo12_exact` (`target/bench-12mp.jpg`, written by
//! the `pipeline` bench) and `phone` (tests/data/phone_skin_moles.jpg). Every case is
//! prepared for a 254x254 input, frames rotated by 90 degrees as a portrait phone
//! delivers them.

use lesionscan::{
    image, DecodeMode, Fit, Frame, ImageOptions, PixelFormat, Plane, Resampling, Rotation,
    TargetSize,
};

const MODEL: TargetSize = TargetSize {
    width: 254,
    height: 254,
    fit: Fit::Stretch,
    resampling: Resampling::Bilinear,
};

/// The benchmark's synthetic frame: a gradient with grain (see benches/pipeline.rs).
fn synthetic(w: usize, h: usize) -> (Vec<u8>, Vec<u8>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 7) as usize
    };
    let mut y = vec![0u8; w * h];
    for (r, row) in y.chunks_exact_mut(w).enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = (40 + (c * 150 / w + r * 50 / h) + noise()) as u8;
        }
    }
    let mut vu = vec![0u8; w * h / 2];
    for (r, row) in vu.chunks_exact_mut(w).enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = (110 + (c * 40 / w + r * 30 / h) + noise()) as u8;
        }
    }
    (y, vu)
}

/// The phone photo stretched to `w x h` and turned into BT.601 full-range Y, U and V
/// planes (chroma averaged over 2x2 pixels).
fn photo_yuv(w: usize, h: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let bytes = std::fs::read("tests/data/phone_skin_moles.jpg").expect("the phone photo");
    let exact = ImageOptions {
        decode: DecodeMode::Exact,
        ..Default::default()
    };
    let size = TargetSize {
        width: w as u32,
        height: h as u32,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    let rgb = image::prepare_encoded(&bytes, &exact, size)
        .expect("decodes")
        .rgb;
    let px = |x: usize, y: usize| {
        let at = (y * w + x) * 3;
        (rgb[at], rgb[at + 1], rgb[at + 2])
    };
    let mut luma = vec![0u8; w * h];
    for (i, l) in luma.iter_mut().enumerate() {
        let (r, g, b) = px(i % w, i / w);
        *l = (0.299 * r + 0.587 * g + 0.114 * b).round() as u8;
    }
    let (cw, ch) = (w / 2, h / 2);
    let (mut u, mut v) = (vec![0u8; cw * ch], vec![0u8; cw * ch]);
    for cy in 0..ch {
        for cx in 0..cw {
            let (mut su, mut sv) = (0.0, 0.0);
            for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let (r, g, b) = px(2 * cx + dx, 2 * cy + dy);
                su += -0.168_736 * r - 0.331_264 * g + 0.5 * b + 128.0;
                sv += 0.5 * r - 0.418_688 * g - 0.081_312 * b + 128.0;
            }
            u[cy * cw + cx] = (su / 4.0).round().clamp(0.0, 255.0) as u8;
            v[cy * cw + cx] = (sv / 4.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    (luma, u, v)
}

fn plane(bytes: &[u8], row_stride: usize, pixel_stride: usize) -> Plane<'_> {
    Plane {
        bytes,
        row_stride,
        pixel_stride,
    }
}

fn run(frame: &Frame<'_>, n: usize) {
    for _ in 0..n {
        std::hint::black_box(
            image::prepare_frame(frame, &ImageOptions::default(), MODEL).expect("prepares"),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(case), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: prep_profile CASE N");
        std::process::exit(2);
    };
    let (w, h) = (1920usize, 1080usize);
    let frame = |format, planes| Frame {
        width: w as u32,
        height: h as u32,
        format,
        planes,
        rotation: Rotation::R90,
    };
    match case.as_str() {
        "nv21" => {
            let (y, vu) = synthetic(w, h);
            run(
                &frame(PixelFormat::Nv21, vec![plane(&y, w, 1), plane(&vu, w, 2)]),
                n,
            );
        }
        "nv21_photo" | "yuv420_888" | "i420" | "rgba" => {
            let (y, u, v) = photo_yuv(w, h);
            let vu: Vec<u8> = v.iter().zip(&u).flat_map(|(&v, &u)| [v, u]).collect();
            match case.as_str() {
                "nv21_photo" => run(
                    &frame(PixelFormat::Nv21, vec![plane(&y, w, 1), plane(&vu, w, 2)]),
                    n,
                ),
                "yuv420_888" => {
                    // Rows padded to 2048 bytes; U and V views one byte apart into one
                    // interleaved buffer.
                    let stride = 2048;
                    let mut luma = vec![0u8; stride * h];
                    for (dst, src) in luma.chunks_exact_mut(stride).zip(y.chunks_exact(w)) {
                        dst[..w].copy_from_slice(src);
                    }
                    let mut pairs = vec![0u8; stride * (h / 2)];
                    for (dst, src) in pairs.chunks_exact_mut(stride).zip(vu.chunks_exact(w)) {
                        dst[..w].copy_from_slice(src);
                    }
                    let planes = vec![
                        plane(&luma, stride, 1),
                        plane(&pairs[1..], stride, 2),
                        plane(&pairs[..pairs.len() - 1], stride, 2),
                    ];
                    run(&frame(PixelFormat::I420, planes), n);
                }
                "i420" => {
                    let planes = vec![plane(&y, w, 1), plane(&u, w / 2, 1), plane(&v, w / 2, 1)];
                    run(&frame(PixelFormat::I420, planes), n);
                }
                _ => {
                    let bytes = std::fs::read("tests/data/phone_skin_moles.jpg").expect("photo");
                    let size = TargetSize {
                        width: w as u32,
                        height: h as u32,
                        fit: Fit::Stretch,
                        resampling: Default::default(),
                    };
                    let rgb = image::prepare_encoded(&bytes, &ImageOptions::default(), size)
                        .expect("decodes")
                        .rgb;
                    let rgba: Vec<u8> = rgb
                        .chunks_exact(3)
                        .flat_map(|p| [p[0] as u8, p[1] as u8, p[2] as u8, 255])
                        .collect();
                    run(
                        &frame(PixelFormat::Rgba8888, vec![plane(&rgba, 4 * w, 4)]),
                        n,
                    );
                }
            }
        }
        "photo12" | "photo12_exact" | "phone" => {
            let path = if case == "phone" {
                "tests/data/phone_skin_moles.jpg"
            } else {
                "target/bench-12mp.jpg"
            };
            let bytes = std::fs::read(path).expect("run the pipeline bench first");
            let options = if case == "photo12_exact" {
                ImageOptions {
                    decode: DecodeMode::Exact,
                    ..Default::default()
                }
            } else {
                ImageOptions::default()
            };
            for _ in 0..n {
                std::hint::black_box(
                    image::prepare_encoded(&bytes, &options, MODEL).expect("prepares"),
                );
            }
        }
        other => {
            eprintln!("unknown case {other}");
            std::process::exit(2);
        }
    }
}
