//! The raw-address frame entry (`Classifier::classify_raw_frame`), which the Android and
//! iOS zero-copy helpers call with the camera's own memory.
//!
//! Planes are placed flush against an inaccessible guard page, so that reading a single
//! byte past a plane kills the test instead of passing unnoticed. Misaligned addresses,
//! planes one byte short, strides and sizes that lie, and impossible addresses must all
//! give `InvalidFrame` (or, when the frame is valid, exactly the copied frame's result).
#![cfg(unix)]

use std::sync::Arc;

use lesionscan_ffi::{
    CameraFrame, Classification, Classifier, ClassifierOptions, FramePlane, ImageOptions,
    LesionScanError, PixelFormat, RawFrame, RawPlane, Rotation,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/");

fn classifier() -> Arc<Classifier> {
    let options = ClassifierOptions {
        accelerator: Some(lesionscan_ffi::Accelerator::Cpu),
        threads: Some(1),
        max_results: None,
        score_threshold: 0.0,
        allow: Vec::new(),
        deny: Vec::new(),
        reject_unusable: false,
        half_precision: false,
        cache_dir: None,
    };
    Classifier::from_files(
        format!("{DATA}mobilenet_tiny_int8.tflite"),
        format!("{DATA}mobilenet_tiny_int8.json"),
        options,
    )
    .expect("fixture model loads")
}

fn no_options() -> ImageOptions {
    ImageOptions {
        roi: None,
        rotation: None,
        decode: None,
    }
}

/// Probabilities and codes, without timings.
fn answer(result: &Classification) -> Vec<(String, u32)> {
    result
        .categories
        .iter()
        .map(|c| (c.code.clone(), c.probability.to_bits()))
        .collect()
}

/// Memory whose end touches a page that cannot be read or written.
struct Guarded {
    base: *mut u8,
    mapped: usize,
    guard: usize,
}

impl Guarded {
    /// `bytes` copied so that their last byte is the last readable one.
    fn flush_against_guard(bytes: &[u8]) -> Self {
        // SAFETY: plain POSIX calls; the results are checked before use.
        unsafe {
            let page = usize::try_from(libc::sysconf(libc::_SC_PAGESIZE)).expect("page size");
            let data_pages = bytes.len().div_ceil(page).max(1);
            let mapped = (data_pages + 1) * page;
            let base = libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(base, libc::MAP_FAILED, "mmap");
            let base = base.cast::<u8>();
            let guard = data_pages * page;
            assert_eq!(
                libc::mprotect(base.add(guard).cast(), page, libc::PROT_NONE),
                0,
                "mprotect"
            );
            let start = base.add(guard - bytes.len());
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), start, bytes.len());
            Self {
                base,
                mapped,
                guard,
            }
        }
    }

    /// A plane of the last `length` bytes before the guard page.
    fn plane(&self, length: usize, row_stride: u32, pixel_stride: u32) -> RawPlane {
        RawPlane {
            address: self.base as u64 + (self.guard - length) as u64,
            length: length as u64,
            row_stride,
            pixel_stride,
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `flush_against_guard`.
        unsafe {
            libc::munmap(self.base.cast(), self.mapped);
        }
    }
}

/// A 4:2:0 frame with padded rows: Y, then U and V at half resolution, each as a
/// separate plane of its own (pixel stride 1), with the last row not padded (as cameras
/// deliver it).
struct Planar {
    width: u32,
    height: u32,
    stride: u32,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl Planar {
    fn new(width: u32, height: u32, stride: u32) -> Self {
        let (w, h, s) = (width as usize, height as usize, stride as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let pattern =
            |x: usize, y: usize, k: usize| ((x * 7 + y * 13 + (x * y) / 9 + k * 50) % 256) as u8;
        let mut y_plane = vec![0u8; s * (h - 1) + w];
        for row in 0..h {
            for col in 0..w {
                y_plane[row * s + col] = pattern(col, row, 0);
            }
        }
        let chroma = |k| {
            let mut plane = vec![0u8; s * (ch - 1) + cw];
            for row in 0..ch {
                for col in 0..cw {
                    plane[row * s + col] = pattern(col * 3, row * 5, k);
                }
            }
            plane
        };
        Self {
            width,
            height,
            stride,
            y: y_plane,
            u: chroma(1),
            v: chroma(2),
        }
    }

    fn copied(&self) -> CameraFrame {
        let plane = |bytes: &Vec<u8>| FramePlane {
            bytes: bytes.clone(),
            row_stride: self.stride,
            pixel_stride: 1,
        };
        CameraFrame {
            width: self.width,
            height: self.height,
            format: PixelFormat::I420,
            planes: vec![plane(&self.y), plane(&self.u), plane(&self.v)],
            rotation: Rotation::R90,
        }
    }

    fn raw(&self, planes: Vec<RawPlane>) -> RawFrame {
        RawFrame {
            width: self.width,
            height: self.height,
            format: PixelFormat::I420,
            planes,
            rotation: Rotation::R90,
        }
    }

    fn guarded(&self) -> [Guarded; 3] {
        [&self.y, &self.u, &self.v].map(|bytes| Guarded::flush_against_guard(bytes))
    }
}

fn invalid_frame(result: lesionscan_ffi::Result<Classification>, what: &str) -> String {
    match result {
        Err(LesionScanError::InvalidFrame { reason }) => reason,
        other => panic!("{what}: expected InvalidFrame, got {other:?}"),
    }
}

#[test]
fn planes_flush_against_a_guard_page_give_the_copied_frames_result() {
    let classifier = classifier();
    let frame = Planar::new(161, 97, 176);
    let expected = answer(
        &classifier
            .classify_frame(frame.copied(), no_options(), None)
            .expect("copied frame"),
    );
    let guarded = frame.guarded();
    let planes = vec![
        guarded[0].plane(frame.y.len(), frame.stride, 1),
        guarded[1].plane(frame.u.len(), frame.stride, 1),
        guarded[2].plane(frame.v.len(), frame.stride, 1),
    ];
    let got = classifier
        .classify_raw_frame(frame.raw(planes), no_options(), None)
        .expect("raw frame");
    assert_eq!(answer(&got), expected);
}

#[test]
fn misaligned_planes_are_read_correctly() {
    let classifier = classifier();
    let frame = Planar::new(64, 48, 64);
    let expected = answer(
        &classifier
            .classify_frame(frame.copied(), no_options(), None)
            .expect("copied frame"),
    );
    for offset in [1usize, 3, 7] {
        let mut storage: Vec<Vec<u8>> = Vec::new();
        let mut planes = Vec::new();
        for bytes in [&frame.y, &frame.u, &frame.v] {
            let mut shifted = vec![0u8; bytes.len() + offset];
            shifted[offset..].copy_from_slice(bytes);
            storage.push(shifted);
        }
        for shifted in &storage {
            let address = shifted[offset..].as_ptr() as u64;
            assert_ne!(address % 2, 0, "odd address");
            planes.push(RawPlane {
                address,
                length: (shifted.len() - offset) as u64,
                row_stride: 64,
                pixel_stride: 1,
            });
        }
        let got = classifier
            .classify_raw_frame(frame.raw(planes), no_options(), None)
            .expect("misaligned frame");
        assert_eq!(answer(&got), expected, "offset {offset}");
    }
}

#[test]
fn a_plane_one_byte_short_is_refused_without_reading_past_it() {
    let classifier = classifier();
    let frame = Planar::new(161, 97, 176);
    for short in 0..3 {
        let mut bytes = [frame.y.clone(), frame.u.clone(), frame.v.clone()];
        bytes[short].pop();
        let guarded = bytes.each_ref().map(|b| Guarded::flush_against_guard(b));
        let planes = (0..3)
            .map(|i| guarded[i].plane(bytes[i].len(), frame.stride, 1))
            .collect();
        let reason = invalid_frame(
            classifier.classify_raw_frame(frame.raw(planes), no_options(), None),
            "short plane",
        );
        assert!(reason.contains("bytes"), "plane {short}: {reason}");
    }
}

#[test]
fn strides_and_sizes_that_lie_are_refused_without_reading_past_the_planes() {
    let classifier = classifier();
    let frame = Planar::new(161, 97, 176);
    let guarded = frame.guarded();
    let honest = |i: usize| {
        let len = [frame.y.len(), frame.u.len(), frame.v.len()][i];
        guarded[i].plane(len, frame.stride, 1)
    };
    let lies: Vec<(&str, RawFrame)> = vec![
        ("Y row stride one too long", {
            let mut y = honest(0);
            y.row_stride += 1;
            frame.raw(vec![y, honest(1), honest(2)])
        }),
        ("U row stride doubled", {
            let mut u = honest(1);
            u.row_stride *= 2;
            frame.raw(vec![honest(0), u, honest(2)])
        }),
        ("V pixel stride 2 on a planar plane", {
            let mut v = honest(2);
            v.pixel_stride = 2;
            frame.raw(vec![honest(0), honest(1), v])
        }),
        ("height one row more", {
            let mut raw = frame.raw(vec![honest(0), honest(1), honest(2)]);
            raw.height += 2;
            raw
        }),
        ("width wider than the stride", {
            let mut raw = frame.raw(vec![honest(0), honest(1), honest(2)]);
            raw.width = frame.stride + 1;
            raw
        }),
        ("row stride near u32::MAX", {
            let mut y = honest(0);
            y.row_stride = u32::MAX;
            frame.raw(vec![y, honest(1), honest(2)])
        }),
        ("NV12 claimed for three planar planes", {
            let mut raw = frame.raw(vec![honest(0), honest(1), honest(2)]);
            raw.format = PixelFormat::Nv12;
            raw
        }),
        ("a plane missing", frame.raw(vec![honest(0), honest(1)])),
        ("BGRA claimed for a luma plane", {
            let mut raw = frame.raw(vec![honest(0)]);
            raw.format = PixelFormat::Bgra8888;
            raw
        }),
    ];
    for (what, raw) in lies {
        invalid_frame(classifier.classify_raw_frame(raw, no_options(), None), what);
    }
    // Still usable.
    let planes = vec![honest(0), honest(1), honest(2)];
    classifier
        .classify_raw_frame(frame.raw(planes), no_options(), None)
        .expect("honest frame after the lies");
}

#[test]
fn null_wrapping_and_oversized_addresses_are_refused_before_any_read() {
    let classifier = classifier();
    let frame = Planar::new(16, 16, 16);
    let guarded = frame.guarded();
    let good = |i: usize| guarded[i].plane([frame.y.len(), frame.u.len(), frame.v.len()][i], 16, 1);
    let cases = [
        (
            "null address",
            RawPlane {
                address: 0,
                ..good(0)
            },
        ),
        (
            "range wrapping past the end of memory",
            RawPlane {
                address: u64::MAX - 100,
                ..good(0)
            },
        ),
        (
            "length beyond isize::MAX",
            RawPlane {
                length: u64::MAX / 2 + 1,
                ..good(0)
            },
        ),
    ];
    for (what, plane) in cases {
        let reason = invalid_frame(
            classifier.classify_raw_frame(
                frame.raw(vec![plane, good(1), good(2)]),
                no_options(),
                None,
            ),
            what,
        );
        assert!(reason.starts_with("plane 0"), "{what}: {reason}");
    }
}

#[test]
fn bi_planar_video_range_frames_as_ios_locks_them() {
    // A CVPixelBuffer in '420v': a Y plane and an interleaved CbCr plane, each padded to
    // 64-byte rows and `bytesPerRow * height` long, as PixelBuffer.swift passes them.
    let classifier = classifier();
    let (width, height, stride) = (120usize, 90usize, 128usize);
    let mut y = vec![0u8; stride * height];
    let mut cbcr = vec![0u8; stride * height / 2];
    for row in 0..height {
        for col in 0..width {
            y[row * stride + col] = 16 + ((col * 3 + row * 2) % 220) as u8;
        }
    }
    for row in 0..height / 2 {
        for col in 0..width / 2 {
            cbcr[row * stride + 2 * col] = 16 + ((col * 5) % 225) as u8;
            cbcr[row * stride + 2 * col + 1] = 240 - ((row * 7) % 225) as u8;
        }
    }
    let copied = |format| CameraFrame {
        width: width as u32,
        height: height as u32,
        format,
        planes: vec![
            FramePlane {
                bytes: y.clone(),
                row_stride: stride as u32,
                pixel_stride: 1,
            },
            FramePlane {
                bytes: cbcr.clone(),
                row_stride: stride as u32,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R90,
    };
    let expected = answer(
        &classifier
            .classify_frame(copied(PixelFormat::Nv12VideoRange), no_options(), None)
            .expect("copied frame"),
    );
    let full_range = answer(
        &classifier
            .classify_frame(copied(PixelFormat::Nv12), no_options(), None)
            .expect("copied frame"),
    );
    assert_ne!(
        expected, full_range,
        "video range is read differently from full range"
    );
    let guarded = [
        Guarded::flush_against_guard(&y),
        Guarded::flush_against_guard(&cbcr),
    ];
    let raw = RawFrame {
        width: width as u32,
        height: height as u32,
        format: PixelFormat::Nv12VideoRange,
        planes: vec![
            guarded[0].plane(y.len(), stride as u32, 1),
            guarded[1].plane(cbcr.len(), stride as u32, 2),
        ],
        rotation: Rotation::R90,
    };
    let got = classifier
        .classify_raw_frame(raw, no_options(), None)
        .expect("raw video-range frame");
    assert_eq!(answer(&got), expected);
}
