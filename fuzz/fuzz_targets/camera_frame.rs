//! Arbitrary frame geometry, strides and plane lengths over arbitrary bytes: an
//! `InvalidFrame` or a picture, never an out-of-bounds read or a panic.
#![no_main]

use lesionscan::{image::prepare_frame, Fit, Frame, ImageOptions, PixelFormat, Plane, Rotation, TargetSize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (head, bytes) = data.split_at(16);
    let format = match head[0] % 5 {
        0 => PixelFormat::Rgba8888,
        1 => PixelFormat::Bgra8888,
        2 => PixelFormat::Nv21,
        3 => PixelFormat::Nv12,
        _ => PixelFormat::I420,
    };
    let width = u32::from(head[1] % 64);
    let height = u32::from(head[2] % 64);
    let rotation = [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270][usize::from(head[3] % 4)];
    let plane_count = usize::from(head[4] % 4);
    // Split the remaining bytes into up to three planes at fuzzed points.
    let cut1 = usize::from(head[5]) * bytes.len() / 256;
    let cut2 = cut1 + usize::from(head[6]) * (bytes.len() - cut1) / 256;
    let slices = [&bytes[..cut1], &bytes[cut1..cut2], &bytes[cut2..]];
    let planes: Vec<Plane<'_>> = (0..plane_count)
        .map(|i| Plane {
            bytes: slices[i],
            row_stride: usize::from(head[7 + i]) * 2,
            pixel_stride: usize::from(head[10 + i] % 6),
        })
        .collect();
    let frame = Frame { width, height, format, planes, rotation };
    let target = TargetSize { width: u32::from(head[13] % 40) + 1, height: u32::from(head[14] % 40) + 1, fit: Fit::Stretch };
    if let Ok(picture) = prepare_frame(&frame, &ImageOptions::default(), target) {
        assert_eq!(picture.rgb.len(), (target.width * target.height * 3) as usize);
    }
});
