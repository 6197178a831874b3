//! Camera frames through `prepare_frame`: every layout gives the same tensor as the
//! equivalent RGB picture through `prepare_encoded`; rotations; broken frames are errors,
//! never panics.

use lesionscan::image::{prepare_encoded, prepare_frame};
use lesionscan::{
    Error, Fit, Frame, ImageOptions, PixelFormat, Plane, PreparedImage, Resampling, Roi, Rotation,
    TargetSize,
};
use proptest::prelude::*;

const PAD: u8 = 0xA7;

/// 4:2:0 samples: `y` is w x h, `u` and `v` are ceil(w/2) x ceil(h/2).
#[derive(Clone)]
struct Yuv {
    w: usize,
    h: usize,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl Yuv {
    fn cw(&self) -> usize {
        self.w.div_ceil(2)
    }
    fn ch(&self) -> usize {
        self.h.div_ceil(2)
    }

    /// A synthetic frame: luma varies per pixel, chroma per 2x2 block, all in a range
    /// where BT.601 full range gives RGB inside 0..=255 (no clamping).
    fn synthetic(w: usize, h: usize) -> Self {
        let y = (0..w * h)
            .map(|i| (50 + (i % w * 7 + i / w * 13 + (i * i) % 17) % 150) as u8)
            .collect();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let u = (0..cw * ch).map(|i| (104 + (i * 11) % 48) as u8).collect();
        let v = (0..cw * ch)
            .map(|i| (103 + (i * 29 + i / cw * 5) % 50) as u8)
            .collect();
        Self { w, h, y, u, v }
    }

    /// BT.601 full range from an RGB picture: Y per pixel, U and V averaged over each
    /// 2x2 block (fewer pixels at odd edges), rounded.
    fn from_rgb(img: &image::RgbImage) -> Self {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let px = |x: usize, y: usize| {
            let p = img.get_pixel(x as u32, y as u32).0;
            (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]))
        };
        let y = (0..w * h)
            .map(|i| {
                let (r, g, b) = px(i % w, i / w);
                (0.299 * r + 0.587 * g + 0.114 * b).round() as u8
            })
            .collect();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let (mut u, mut v) = (vec![0u8; cw * ch], vec![0u8; cw * ch]);
        for cy in 0..ch {
            for cx in 0..cw {
                let (mut su, mut sv, mut n) = (0.0, 0.0, 0.0);
                for y in 2 * cy..(2 * cy + 2).min(h) {
                    for x in 2 * cx..(2 * cx + 2).min(w) {
                        let (r, g, b) = px(x, y);
                        su += -0.168_736 * r - 0.331_264 * g + 0.5 * b + 128.0;
                        sv += 0.5 * r - 0.418_688 * g - 0.081_312 * b + 128.0;
                        n += 1.0;
                    }
                }
                u[cy * cw + cx] = (su / n).round().clamp(0.0, 255.0) as u8;
                v[cy * cw + cx] = (sv / n).round().clamp(0.0, 255.0) as u8;
            }
        }
        Self { w, h, y, u, v }
    }

    /// The RGB picture these samples show, BT.601 full range, rounded to 8 bits.
    fn to_rgb(&self) -> image::RgbImage {
        image::RgbImage::from_fn(self.w as u32, self.h as u32, |x, y| {
            let (x, y) = (x as usize, y as usize);
            let c = (y / 2) * self.cw() + x / 2;
            let (l, u, v) = (
                f64::from(self.y[y * self.w + x]),
                f64::from(self.u[c]) - 128.0,
                f64::from(self.v[c]) - 128.0,
            );
            let q = |f: f64| f.round().clamp(0.0, 255.0) as u8;
            image::Rgb([
                q(l + 1.402 * v),
                q(l - 0.344_136 * u - 0.714_136 * v),
                q(l + 1.772 * u),
            ])
        })
    }

    /// Rows of `cols` samples taken every `pixel_stride` bytes, `row_stride` apart, with
    /// padding; the last row ends right after its last sample.
    fn strided(samples: &[u8], cols: usize, row_stride: usize, pixel_stride: usize) -> Vec<u8> {
        let rows = samples.len() / cols;
        let mut out = vec![PAD; (rows - 1) * row_stride + (cols - 1) * pixel_stride + 1];
        for (i, &s) in samples.iter().enumerate() {
            out[(i / cols) * row_stride + (i % cols) * pixel_stride] = s;
        }
        out
    }

    /// Interleaved chroma pairs (first, second) as NV12 (U, V) or NV21 (V, U).
    fn pairs(&self, nv21: bool) -> Vec<u8> {
        let (first, second) = if nv21 {
            (&self.v, &self.u)
        } else {
            (&self.u, &self.v)
        };
        first
            .iter()
            .zip(second)
            .flat_map(|(&a, &b)| [a, b])
            .collect()
    }

    fn luma(&self, row_stride: usize) -> Vec<u8> {
        Self::strided(&self.y, self.w, row_stride, 1)
    }

    /// Two-plane NV12/NV21 with padded rows.
    fn nv_two_planes(&self, nv21: bool, y_stride: usize, c_stride: usize) -> (Vec<u8>, Vec<u8>) {
        let pairs = self.pairs(nv21);
        let mut chroma = vec![PAD; (self.ch() - 1) * c_stride + 2 * self.cw()];
        for (row, chunk) in pairs.chunks(2 * self.cw()).enumerate() {
            chroma[row * c_stride..][..chunk.len()].copy_from_slice(chunk);
        }
        (self.luma(y_stride), chroma)
    }

    /// One plane: `h` Y rows then the chroma rows, all `stride` apart.
    fn nv_single_plane(&self, nv21: bool, stride: usize) -> Vec<u8> {
        let (y, c) = self.nv_two_planes(nv21, stride, stride);
        let mut out = y;
        out.resize(self.h * stride, PAD);
        out.extend_from_slice(&c);
        out
    }
}

fn frame<'a>(
    w: usize,
    h: usize,
    format: PixelFormat,
    planes: Vec<Plane<'a>>,
    rotation: Rotation,
) -> Frame<'a> {
    Frame {
        width: w as u32,
        height: h as u32,
        format,
        planes,
        rotation,
    }
}

fn plane(bytes: &[u8], row_stride: usize, pixel_stride: usize) -> Plane<'_> {
    Plane {
        bytes,
        row_stride,
        pixel_stride,
    }
}

fn png(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn max_abs_diff(a: &PreparedImage, b: &PreparedImage) -> f32 {
    assert_eq!(
        (a.width, a.height, a.source_size),
        (b.width, b.height, b.source_size)
    );
    a.rgb
        .iter()
        .zip(&b.rgb)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

const ROTATIONS: [Rotation; 4] = [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270];

/// Targets covering identity (native size), the bilinear and the antialiased paths (also
/// antialiased below 2x), and centre cropping, for an upright picture of `w x h`.
fn targets(w: usize, h: usize) -> Vec<TargetSize> {
    let (w, h) = (w as u32, h as u32);
    vec![
        TargetSize {
            width: w,
            height: h,
            fit: Fit::Stretch,
            resampling: Default::default(),
        },
        TargetSize {
            width: (w * 2 / 3).max(1),
            height: (h * 3 / 4).max(1),
            fit: Fit::Stretch,
            resampling: Default::default(),
        },
        // The same reduction below 2x, filtered as a "bilinear-antialias" card asks.
        TargetSize {
            width: (w * 2 / 3).max(1),
            height: (h * 3 / 4).max(1),
            fit: Fit::Stretch,
            resampling: Resampling::Antialiased,
        },
        TargetSize {
            width: (w / 3).max(1),
            height: (h / 3).max(1),
            fit: Fit::Stretch,
            resampling: Default::default(),
        },
        TargetSize {
            width: 16,
            height: 16,
            fit: Fit::CenterCrop,
            resampling: Default::default(),
        },
        TargetSize {
            width: w + 5,
            height: h + 3,
            fit: Fit::Stretch,
            resampling: Default::default(),
        },
    ]
}

/// Frame path versus the equivalent RGB picture through the encoded path, for every
/// rotation (frame's own and extra), target and an ROI; returns the largest difference.
fn check_against_rgb(yuv_rgb: &image::RgbImage, make: &dyn Fn(Rotation) -> PreparedImageFn) -> f32 {
    let bytes = png(yuv_rgb);
    let (w, h) = (yuv_rgb.width() as usize, yuv_rgb.height() as usize);
    let mut worst = 0.0f32;
    for (i, &frame_rotation) in ROTATIONS.iter().enumerate() {
        let extra = ROTATIONS[(i * 3) % 4];
        let total = frame_rotation.then(extra);
        let (uw, uh) = if total.degrees() % 180 == 0 {
            (w, h)
        } else {
            (h, w)
        };
        for roi in [
            None,
            Some(Roi {
                x: 0.2,
                y: 0.1,
                width: 0.5,
                height: 0.7,
            }),
        ] {
            for target in targets(uw, uh) {
                let options = ImageOptions {
                    roi,
                    rotation: extra,
                    ..Default::default()
                };
                let from_frame = make(frame_rotation)(&options, target);
                let image_options = ImageOptions {
                    roi,
                    rotation: total,
                    ..Default::default()
                };
                let from_image = prepare_encoded(&bytes, &image_options, target).unwrap();
                let d = max_abs_diff(&from_frame, &from_image);
                assert!(
                    d <= 2.0,
                    "rotation {frame_rotation:?}+{extra:?} roi {roi:?} {target:?}: {d}"
                );
                worst = worst.max(d);
            }
        }
    }
    worst
}

type PreparedImageFn = Box<dyn Fn(&ImageOptions, TargetSize) -> PreparedImage>;

fn yuv_sizes() -> [(usize, usize); 4] {
    [(64, 48), (33, 21), (7, 5), (2, 3)]
}

#[test]
fn nv21_and_nv12_two_planes_with_padded_rows_match_the_rgb_picture() {
    for (w, h) in yuv_sizes() {
        let yuv = Yuv::synthetic(w, h);
        for nv21 in [true, false] {
            let (y, c) = yuv.nv_two_planes(nv21, w + 9, 2 * yuv.cw() + 6);
            let format = if nv21 {
                PixelFormat::Nv21
            } else {
                PixelFormat::Nv12
            };
            let worst = check_against_rgb(&yuv.to_rgb(), &|rotation| {
                let (y, c) = (y.clone(), c.clone());
                Box::new(move |o, t| {
                    let f = frame(
                        w,
                        h,
                        format,
                        vec![plane(&y, w + 9, 1), plane(&c, 2 * yuv_cw(w) + 6, 2)],
                        rotation,
                    );
                    prepare_frame(&f, o, t).unwrap()
                })
            });
            println!("{format:?} two planes {w}x{h}: max |diff| {worst}");
        }
    }
}

fn yuv_cw(w: usize) -> usize {
    w.div_ceil(2)
}

#[test]
fn nv21_and_nv12_single_plane_match_the_rgb_picture() {
    for (w, h) in yuv_sizes() {
        let yuv = Yuv::synthetic(w, h);
        // Odd widths need a stride of at least w + 1 for the chroma row.
        for stride in [2 * yuv.cw(), 2 * yuv.cw() + 16] {
            for nv21 in [true, false] {
                let bytes = yuv.nv_single_plane(nv21, stride);
                let format = if nv21 {
                    PixelFormat::Nv21
                } else {
                    PixelFormat::Nv12
                };
                let worst = check_against_rgb(&yuv.to_rgb(), &|rotation| {
                    let bytes = bytes.clone();
                    Box::new(move |o, t| {
                        let f = frame(w, h, format, vec![plane(&bytes, stride, 1)], rotation);
                        prepare_frame(&f, o, t).unwrap()
                    })
                });
                println!("{format:?} one plane {w}x{h} stride {stride}: max |diff| {worst}");
            }
        }
    }
}

#[test]
fn i420_three_planes_with_padded_rows_match_the_rgb_picture() {
    for (w, h) in yuv_sizes() {
        let yuv = Yuv::synthetic(w, h);
        let cw = yuv.cw();
        let y = yuv.luma(w + 3);
        let u = Yuv::strided(&yuv.u, cw, cw + 5, 1);
        let v = Yuv::strided(&yuv.v, cw, cw + 1, 1);
        let worst = check_against_rgb(&yuv.to_rgb(), &|rotation| {
            let (y, u, v) = (y.clone(), u.clone(), v.clone());
            Box::new(move |o, t| {
                let planes = vec![
                    plane(&y, w + 3, 1),
                    plane(&u, cw + 5, 1),
                    plane(&v, cw + 1, 1),
                ];
                prepare_frame(&frame(w, h, PixelFormat::I420, planes, rotation), o, t).unwrap()
            })
        });
        println!("I420 {w}x{h}: max |diff| {worst}");
    }
}

#[test]
fn yuv_420_888_with_pixel_stride_2_over_one_interleaved_buffer_matches_the_rgb_picture() {
    // Android's YUV_420_888 on most phones: U and V are views, one byte apart, into one
    // VU buffer, pixel stride 2; each view ends at its own last sample.
    for (w, h) in yuv_sizes() {
        let yuv = Yuv::synthetic(w, h);
        let c_stride = 2 * yuv.cw() + 4;
        let (y, vu) = yuv.nv_two_planes(true, w + 7, c_stride);
        let worst = check_against_rgb(&yuv.to_rgb(), &|rotation| {
            let (y, vu) = (y.clone(), vu.clone());
            Box::new(move |o, t| {
                let v_view = &vu[..vu.len() - 1];
                let u_view = &vu[1..];
                let planes = vec![
                    plane(&y, w + 7, 1),
                    plane(u_view, c_stride, 2),
                    plane(v_view, c_stride, 2),
                ];
                prepare_frame(&frame(w, h, PixelFormat::I420, planes, rotation), o, t).unwrap()
            })
        });
        println!("YUV_420_888 pixel stride 2 {w}x{h}: max |diff| {worst}");
    }
}

fn rgba_bytes(
    img: &image::RgbImage,
    bgra: bool,
    row_stride: usize,
    pixel_stride: usize,
) -> Vec<u8> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut out = vec![PAD; (h - 1) * row_stride + (w - 1) * pixel_stride + 4];
    for (x, y, p) in img.enumerate_pixels() {
        let at = y as usize * row_stride + x as usize * pixel_stride;
        let [r, g, b] = p.0;
        let quad = if bgra {
            [b, g, r, 0x33]
        } else {
            [r, g, b, 0x33]
        };
        out[at..at + 4].copy_from_slice(&quad);
    }
    out
}

#[test]
fn rgba_and_bgra_with_padded_rows_match_the_rgb_picture_within_fixed_point_rounding() {
    for (w, h) in [(64, 48), (33, 21), (1, 1), (5, 2)] {
        let img = Yuv::synthetic(w, h).to_rgb();
        for bgra in [false, true] {
            for pixel_stride in [4, 6] {
                let row_stride = w * pixel_stride + 12;
                let bytes = rgba_bytes(&img, bgra, row_stride, pixel_stride);
                let format = if bgra {
                    PixelFormat::Bgra8888
                } else {
                    PixelFormat::Rgba8888
                };
                let worst = check_against_rgb(&img, &|rotation| {
                    let bytes = bytes.clone();
                    Box::new(move |o, t| {
                        let f = frame(
                            w,
                            h,
                            format,
                            vec![plane(&bytes, row_stride, pixel_stride)],
                            rotation,
                        );
                        prepare_frame(&f, o, t).unwrap()
                    })
                });
                // Same pixels; frames weigh rows with weights rounded to 2^-14 (the encoded
                // path keeps them in f32), which moves an output by hundredths of a level.
                assert!(worst < 0.05, "{format:?} {w}x{h}: {worst}");
            }
        }
    }
}

#[test]
fn nv21_of_a_natural_picture_stays_close_to_the_picture() {
    // Real 4:2:0 averaging loses chroma detail; after a 2.5x shrink the frame path stays
    // within 2 grey levels of the RGB picture.
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/preprocess/skin_crop_300x260.png"
    ))
    .unwrap();
    let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let yuv = Yuv::from_rgb(&img);
    let (w, h) = (yuv.w, yuv.h);
    let (y, c) = yuv.nv_two_planes(true, w, w);
    let target = TargetSize {
        width: 120,
        height: 104,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    for rotation in ROTATIONS {
        let f = frame(
            w,
            h,
            PixelFormat::Nv21,
            vec![plane(&y, w, 1), plane(&c, w, 2)],
            rotation,
        );
        let got = prepare_frame(&f, &ImageOptions::default(), target).unwrap();
        let want = prepare_encoded(
            &bytes,
            &ImageOptions {
                rotation,
                ..Default::default()
            },
            target,
        )
        .unwrap();
        let d = max_abs_diff(&got, &want);
        println!("NV21 of the skin crop, {rotation:?}: max |diff| {d}");
        assert!(d <= 2.0, "{d}");
    }
}

#[test]
fn frame_rotation_then_option_rotation_turn_clockwise() {
    // A 2x1 RGBA frame: red then green. Rotated 90 clockwise, red is on top.
    let bytes = [255, 0, 0, 255, 0, 255, 0, 255];
    let target = TargetSize {
        width: 1,
        height: 2,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    let f = frame(
        2,
        1,
        PixelFormat::Rgba8888,
        vec![plane(&bytes, 8, 4)],
        Rotation::R90,
    );
    let got = prepare_frame(&f, &ImageOptions::default(), target).unwrap();
    assert_eq!(got.rgb, [255.0, 0.0, 0.0, 0.0, 255.0, 0.0]);
    assert_eq!(got.source_size, (1, 2));
    // 90 from the frame plus 180 from the options = 270: green on top.
    let options = ImageOptions {
        rotation: Rotation::R180,
        ..Default::default()
    };
    let got = prepare_frame(&f, &options, target).unwrap();
    assert_eq!(got.rgb, [0.0, 255.0, 0.0, 255.0, 0.0, 0.0]);
}

/// Converts one I420 pixel through the frame path.
fn one_yuv_pixel(y: u8, u: u8, v: u8) -> Vec<f32> {
    let (y, u, v) = ([y], [u], [v]);
    let planes = vec![plane(&y, 1, 1), plane(&u, 1, 1), plane(&v, 1, 1)];
    let f = frame(1, 1, PixelFormat::I420, planes, Rotation::R0);
    let target = TargetSize {
        width: 1,
        height: 1,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    prepare_frame(&f, &ImageOptions::default(), target)
        .unwrap()
        .rgb
}

#[test]
fn yuv_conversion_is_bt601_full_range() {
    // One pixel Y=120, U=160, V=90, no clamping: R = 120 + 1.402 * (-38),
    // G = 120 - 0.344136 * 32 - 0.714136 * (-38), B = 120 + 1.772 * 32.
    let got = one_yuv_pixel(120, 160, 90);
    let want = [
        120.0 - 1.402 * 38.0,
        120.0 - 0.344_136 * 32.0 + 0.714_136 * 38.0,
        120.0 + 1.772 * 32.0,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w as f32).abs() < 1e-3, "{got:?} vs {want:?}");
    }
    // Clamped at the ends of the range.
    let got = one_yuv_pixel(250, 255, 255);
    assert_eq!((got[0], got[2]), (255.0, 255.0));
    // And at zero.
    let got = one_yuv_pixel(5, 0, 0);
    assert_eq!((got[0], got[2]), (0.0, 0.0));
}

fn assert_invalid_frame(f: &Frame<'_>, what: &str) {
    let target = TargetSize {
        width: 8,
        height: 8,
        fit: Fit::Stretch,
        resampling: Default::default(),
    };
    match prepare_frame(f, &ImageOptions::default(), target) {
        Err(Error::InvalidFrame { .. }) => {}
        other => panic!("{what}: expected InvalidFrame, got {other:?}"),
    }
}

#[test]
fn short_planes_are_invalid_frames() {
    let (w, h) = (16usize, 8usize);
    let big = vec![0u8; 4096];
    let y = &big[..w * h];
    let short = &big[..w * h - 1];
    let c = &big[..w * h / 2];
    let c_short = &big[..w * h / 2 - 1];
    let q = &big[..w * h / 4];
    let q_short = &big[..w * h / 4 - 1];
    let r0 = Rotation::R0;
    let cases = [
        (
            "Y one byte short",
            frame(
                w,
                h,
                PixelFormat::Nv21,
                vec![plane(short, w, 1), plane(c, w, 2)],
                r0,
            ),
        ),
        (
            "VU one byte short",
            frame(
                w,
                h,
                PixelFormat::Nv21,
                vec![plane(y, w, 1), plane(c_short, w, 2)],
                r0,
            ),
        ),
        (
            "single plane missing the last VU byte",
            frame(
                w,
                h,
                PixelFormat::Nv12,
                vec![plane(&big[..w * h * 3 / 2 - 1], w, 1)],
                r0,
            ),
        ),
        (
            "U one byte short",
            frame(
                w,
                h,
                PixelFormat::I420,
                vec![plane(y, w, 1), plane(q_short, w / 2, 1), plane(q, w / 2, 1)],
                r0,
            ),
        ),
        (
            "V one byte short",
            frame(
                w,
                h,
                PixelFormat::I420,
                vec![plane(y, w, 1), plane(q, w / 2, 1), plane(q_short, w / 2, 1)],
                r0,
            ),
        ),
        (
            "RGBA one byte short",
            frame(
                w,
                h,
                PixelFormat::Rgba8888,
                vec![plane(&big[..w * h * 4 - 1], w * 4, 4)],
                r0,
            ),
        ),
        (
            "empty plane",
            frame(w, h, PixelFormat::Bgra8888, vec![plane(&[], w * 4, 4)], r0),
        ),
    ];
    for (what, f) in &cases {
        assert_invalid_frame(f, what);
    }
    // The same frames with exactly enough bytes are fine (the tests above are tight).
    let ok = frame(
        w,
        h,
        PixelFormat::Nv12,
        vec![plane(&big[..w * h * 3 / 2], w, 1)],
        r0,
    );
    assert!(prepare_frame(
        &ok,
        &ImageOptions::default(),
        TargetSize {
            width: 4,
            height: 4,
            fit: Fit::Stretch,
            resampling: Default::default(),
        }
    )
    .is_ok());
}

#[test]
fn lying_strides_are_invalid_frames() {
    let big = vec![0u8; 1 << 16];
    let r0 = Rotation::R0;
    let (w, h) = (16usize, 8usize);
    let y = &big[..w * h];
    let cases = [
        (
            "row stride shorter than a row",
            frame(
                w,
                h,
                PixelFormat::Rgba8888,
                vec![plane(&big, w * 4 - 1, 4)],
                r0,
            ),
        ),
        (
            "RGBA pixel stride 3",
            frame(w, h, PixelFormat::Rgba8888, vec![plane(&big, w * 4, 3)], r0),
        ),
        (
            "zero row stride",
            frame(w, h, PixelFormat::Rgba8888, vec![plane(&big, 0, 4)], r0),
        ),
        (
            "zero pixel stride",
            frame(
                w,
                h,
                PixelFormat::I420,
                vec![plane(y, w, 0), plane(&big, w, 1), plane(&big, w, 1)],
                r0,
            ),
        ),
        (
            "chroma pixel stride 1",
            frame(
                w,
                h,
                PixelFormat::Nv21,
                vec![plane(y, w, 1), plane(&big, w, 1)],
                r0,
            ),
        ),
        (
            "Y row stride below width",
            frame(
                w,
                h,
                PixelFormat::Nv21,
                vec![plane(&big, w - 1, 1), plane(&big, w, 2)],
                r0,
            ),
        ),
        (
            "U row stride below its row",
            frame(
                w,
                h,
                PixelFormat::I420,
                vec![plane(y, w, 1), plane(&big, w / 2 - 1, 1), plane(&big, w, 1)],
                r0,
            ),
        ),
        (
            "overflowing row stride",
            frame(
                w,
                h,
                PixelFormat::Rgba8888,
                vec![plane(&big, usize::MAX, 4)],
                r0,
            ),
        ),
        (
            "overflowing pixel stride",
            frame(
                w,
                h,
                PixelFormat::I420,
                vec![
                    plane(y, w, 1),
                    plane(&big, usize::MAX, usize::MAX / 2),
                    plane(&big, w, 1),
                ],
                r0,
            ),
        ),
        (
            "single plane overflowing",
            frame(
                w,
                h,
                PixelFormat::Nv21,
                vec![plane(&big, usize::MAX / 4, 1)],
                r0,
            ),
        ),
    ];
    for (what, f) in &cases {
        assert_invalid_frame(f, what);
    }
}

#[test]
fn wrong_plane_counts_are_invalid_frames() {
    let big = vec![0u8; 4096];
    let p = plane(&big, 64, 4);
    let r0 = Rotation::R0;
    for (format, count) in [
        (PixelFormat::Rgba8888, 0),
        (PixelFormat::Rgba8888, 2),
        (PixelFormat::Bgra8888, 3),
        (PixelFormat::Nv21, 0),
        (PixelFormat::Nv21, 3),
        (PixelFormat::Nv12, 3),
        (PixelFormat::I420, 1),
        (PixelFormat::I420, 2),
        (PixelFormat::I420, 4),
    ] {
        assert_invalid_frame(
            &frame(8, 8, format, vec![p; count], r0),
            &format!("{format:?} with {count} planes"),
        );
    }
}

#[test]
fn zero_and_huge_sizes_are_invalid_frames() {
    let tiny = [0u8; 16];
    let r0 = Rotation::R0;
    let p = plane(&tiny, 16, 4);
    for (w, h) in [
        (0, 1),
        (1, 0),
        (0, 0),
        (16_385, 1),
        (1, 16_385),
        (u32::MAX as usize, u32::MAX as usize),
    ] {
        assert_invalid_frame(
            &frame(w, h, PixelFormat::Rgba8888, vec![p], r0),
            &format!("{w}x{h}"),
        );
    }
    // Within the side limit but far more than the buffers hold.
    for format in [
        PixelFormat::Rgba8888,
        PixelFormat::Nv21,
        PixelFormat::Nv12,
        PixelFormat::I420,
    ] {
        let planes = match format {
            PixelFormat::I420 => vec![plane(&tiny, 16_384, 1); 3],
            PixelFormat::Nv21 | PixelFormat::Nv12 => {
                vec![plane(&tiny, 16_384, 1), plane(&tiny, 16_384, 2)]
            }
            _ => vec![plane(&tiny, 65_536, 4)],
        };
        assert_invalid_frame(
            &frame(16_384, 16_384, format, planes, r0),
            &format!("{format:?} 16384x16384"),
        );
    }
}

#[test]
fn bad_roi_on_a_frame_is_an_invalid_argument() {
    let bytes = [0u8; 16];
    let f = frame(
        2,
        2,
        PixelFormat::Rgba8888,
        vec![plane(&bytes, 8, 4)],
        Rotation::R0,
    );
    let options = ImageOptions {
        roi: Some(Roi {
            x: 0.5,
            y: 0.0,
            width: 0.6,
            height: 1.0,
        }),
        ..Default::default()
    };
    let err = prepare_frame(
        &f,
        &options,
        TargetSize {
            width: 1,
            height: 1,
            fit: Fit::Stretch,
            resampling: Default::default(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
}

fn format_strategy() -> impl Strategy<Value = PixelFormat> {
    prop_oneof![
        Just(PixelFormat::Rgba8888),
        Just(PixelFormat::Bgra8888),
        Just(PixelFormat::Nv21),
        Just(PixelFormat::Nv12),
        Just(PixelFormat::I420),
    ]
}

fn rotation_strategy() -> impl Strategy<Value = Rotation> {
    prop_oneof![
        Just(Rotation::R0),
        Just(Rotation::R90),
        Just(Rotation::R180),
        Just(Rotation::R270)
    ]
}

fn roi_strategy() -> impl Strategy<Value = Option<Roi>> {
    prop_oneof![
        Just(None),
        (-0.2f32..1.2, -0.2f32..1.2, -0.1f32..1.2, -0.1f32..1.2).prop_map(
            |(x, y, width, height)| Some(Roi {
                x,
                y,
                width,
                height
            })
        ),
        (0.0f32..0.5, 0.0f32..0.5, 0.01f32..0.5, 0.01f32..0.5).prop_map(|(x, y, width, height)| {
            Some(Roi {
                x,
                y,
                width,
                height,
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any frame description either works and gives width x height x 3 values, or is an
    /// error; it never panics or reads out of bounds.
    #[test]
    fn arbitrary_frames_never_panic(
        w in 1usize..64,
        h in 1usize..64,
        format in format_strategy(),
        plane_count in 0usize..4,
        row_strides in proptest::collection::vec(0usize..300, 3),
        pixel_strides in proptest::collection::vec(0usize..6, 3),
        lens in proptest::collection::vec(0usize..20_000, 3),
        rotation in rotation_strategy(),
        extra in rotation_strategy(),
        roi in roi_strategy(),
        tw in 1u32..80,
        th in 1u32..80,
        crop in any::<bool>(),
        fill in any::<u8>(),
    ) {
        let buffers: Vec<Vec<u8>> = lens.iter().map(|&n| vec![fill; n]).collect();
        let planes = (0..plane_count)
            .map(|i| plane(&buffers[i], row_strides[i], pixel_strides[i]))
            .collect();
        let f = frame(w, h, format, planes, rotation);
        let target = TargetSize { width: tw, height: th, fit: if crop { Fit::CenterCrop } else { Fit::Stretch }, resampling: Default::default() };
        match prepare_frame(&f, &ImageOptions { roi, rotation: extra, ..Default::default() }, target) {
            Ok(p) => {
                prop_assert_eq!(p.rgb.len(), (tw * th * 3) as usize);
                prop_assert!(p.rgb.iter().all(|v| (0.0..=255.0).contains(v)));
            }
            Err(Error::InvalidFrame { .. } | Error::InvalidArgument { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error kind: {}", other),
        }
    }

    /// Well-formed frames of any size always succeed, whatever the rotation and target.
    #[test]
    fn valid_frames_of_any_size_succeed(
        w in 1usize..64,
        h in 1usize..64,
        format in format_strategy(),
        pad in 0usize..9,
        rotation in rotation_strategy(),
        tw in 1u32..80,
        th in 1u32..80,
    ) {
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let y = vec![90u8; (h - 1) * (w + pad) + w];
        let c2 = vec![128u8; (ch - 1) * (2 * cw + pad) + 2 * cw];
        let c1 = vec![128u8; (ch - 1) * (cw + pad) + cw];
        let single = vec![128u8; (h + ch) * (2 * cw + pad)];
        let rgba = vec![200u8; (h - 1) * (4 * w + pad) + 4 * w];
        let planes = match format {
            PixelFormat::Rgba8888 | PixelFormat::Bgra8888 => vec![plane(&rgba, 4 * w + pad, 4)],
            PixelFormat::I420 => vec![plane(&y, w + pad, 1), plane(&c1, cw + pad, 1), plane(&c1, cw + pad, 1)],
            _ if pad % 2 == 0 => vec![plane(&y, w + pad, 1), plane(&c2, 2 * cw + pad, 2)],
            _ => vec![plane(&single, 2 * cw + pad, 1)],
        };
        let f = frame(w, h, format, planes, rotation);
        let p = prepare_frame(&f, &ImageOptions::default(), TargetSize { width: tw, height: th, fit: Fit::Stretch, resampling: Default::default() });
        prop_assert!(p.is_ok(), "{:?}", p.err());
    }
}
