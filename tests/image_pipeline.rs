//! Encoded pictures through `prepare_encoded`: agreement with TensorFlow's resize (reference
//! tensors written by `models/tools/make_preprocess_refs.py`), EXIF orientation in every
//! format, rotation, ROI, fit, and rejection of broken input.

use std::path::{Path, PathBuf};

use lesionscan::image::prepare_encoded;
use lesionscan::{DecodeMode, Error, Fit, ImageOptions, Resampling, Roi, Rotation, TargetSize};

mod common;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn read_f32(rel: &str) -> Vec<f32> {
    read(rel)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn size(width: u32, height: u32, fit: Fit) -> TargetSize {
    TargetSize {
        width,
        height,
        fit,
        resampling: Resampling::Bilinear,
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "tensor lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn mean_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

/// Prepares `input` and returns (max, mean) absolute difference from the TF reference.
fn against_tf(
    input: &str,
    reference: &str,
    options: ImageOptions,
    target: TargetSize,
) -> (f32, f32) {
    let got = prepare_encoded(&read(input), &options, target).unwrap();
    assert_eq!((got.width, got.height), (target.width, target.height));
    let want = read_f32(&format!("preprocess/{reference}"));
    let diff = (
        max_abs_diff(&got.rgb, &want),
        mean_abs_diff(&got.rgb, &want),
    );
    println!("{reference}: max |diff| {:.6}, mean {:.6}", diff.0, diff.1);
    diff
}

const CROP: &str = "preprocess/skin_crop_300x260.png";

/// The requirement is 1 grey level; on identical pixels the crate reproduces TensorFlow's
/// arithmetic (measured max 4.6e-5), so anything above 0.01 is a regression.
const SAME_PIXELS_TOLERANCE: f32 = 0.01;

#[test]
fn png_shrink_below_2x_matches_tf_bilinear_224x224() {
    let (max, _) = against_tf(
        CROP,
        "crop_bilinear_224x224.f32",
        ImageOptions::default(),
        size(224, 224, Fit::Stretch),
    );
    assert!(max <= SAME_PIXELS_TOLERANCE, "{max}");
}

#[test]
fn png_shrink_below_2x_matches_tf_bilinear_160x200() {
    let (max, _) = against_tf(
        CROP,
        "crop_bilinear_160x200.f32",
        ImageOptions::default(),
        size(160, 200, Fit::Stretch),
    );
    assert!(max <= SAME_PIXELS_TOLERANCE, "{max}");
}

#[test]
fn png_upscale_matches_tf_bilinear() {
    let (max, _) = against_tf(
        "preprocess/tiny_40x30.png",
        "tiny_upscale_64x48.f32",
        ImageOptions::default(),
        size(64, 48, Fit::Stretch),
    );
    assert!(max <= SAME_PIXELS_TOLERANCE, "{max}");
}

#[test]
fn png_shrink_from_2x_matches_tf_antialias_128x128() {
    let (max, _) = against_tf(
        CROP,
        "crop_antialias_128x128.f32",
        ImageOptions::default(),
        size(128, 128, Fit::Stretch),
    );
    assert!(max <= SAME_PIXELS_TOLERANCE, "{max}");
}

#[test]
fn png_mixed_scales_pick_the_method_per_axis() {
    // Width 300 -> 100 is antialiased, height 260 -> 150 plain bilinear.
    let (max, _) = against_tf(
        CROP,
        "crop_mixed_100x150.f32",
        ImageOptions::default(),
        size(100, 150, Fit::Stretch),
    );
    assert!(max <= SAME_PIXELS_TOLERANCE, "{max}");
}

#[test]
fn png_rotation_then_roi_matches_tf_on_the_rotated_crop() {
    let options = ImageOptions {
        roi: Some(Roi {
            x: 0.1,
            y: 0.2,
            width: 0.6,
            height: 0.5,
        }),
        rotation: Rotation::R90,
        ..Default::default()
    };
    let (max, _) = against_tf(
        CROP,
        "crop_rot90_roi_96x80.f32",
        options,
        size(96, 80, Fit::Stretch),
    );
    assert!(max <= SAME_PIXELS_TOLERANCE, "{max}");
}

const EXACT: ImageOptions = ImageOptions {
    roi: None,
    rotation: Rotation::R0,
    decode: DecodeMode::Exact,
};

/// With every pixel decoded, the phone photo's pixels are TensorFlow's
/// (`decode_jpeg(dct_method="INTEGER_ACCURATE")`), so only the resize's float rounding
/// is left.
#[test]
fn phone_jpeg_decoded_exactly_matches_tf_accurate_idct_decode_and_resize() {
    let (max, _) = against_tf(
        "phone_skin_moles.jpg",
        "photo_center_crop_128x128.f32",
        EXACT,
        size(128, 128, Fit::CenterCrop),
    );
    assert!(max <= SAME_PIXELS_TOLERANCE, "{max}");
}

/// `tf.io.decode_jpeg`'s default IDCT is INTEGER_FAST, which is off from the accurate one
/// (Pillow's, libjpeg-turbo's default, ours) by up to 7 grey levels per pixel with a bias
/// of about -1 on red and blue; averaging keeps the bias (measured: max 2.58, mean 0.79).
/// No mode of this crate reproduces it; this bound documents the gap.
#[test]
fn phone_jpeg_stretch_224_is_near_tf_antialias_with_tf_default_fast_idct() {
    let (max, mean) = against_tf(
        "phone_skin_moles.jpg",
        "photo_stretch_224x224.f32",
        EXACT,
        size(224, 224, Fit::Stretch),
    );
    assert!(max <= 3.0 && mean <= 1.0, "{max} {mean}");
}

/// The default (fast) decode reads the photo at 1/4 or 1/2 scale in the DCT domain; after
/// the antialiased resize it stays close to the exact decode (measured on the phone photo:
/// see the printed numbers; the bounds are about twice them).
#[test]
fn phone_jpeg_fast_decode_is_close_to_the_exact_decode_after_resizing() {
    let photo = read("phone_skin_moles.jpg");
    for (target, bound_max, bound_mean) in [
        (size(128, 128, Fit::CenterCrop), 3.0, 0.3),
        (size(224, 224, Fit::Stretch), 4.0, 0.3),
    ] {
        let fast = prepare_encoded(&photo, &ImageOptions::default(), target).unwrap();
        let exact = prepare_encoded(&photo, &EXACT, target).unwrap();
        let (max, mean) = (
            max_abs_diff(&fast.rgb, &exact.rgb),
            mean_abs_diff(&fast.rgb, &exact.rgb),
        );
        println!("{target:?}: fast vs exact max |diff| {max:.3}, mean {mean:.4}");
        assert!(max > 0.0, "the fast path must actually scale this photo");
        assert!(max <= bound_max && mean <= bound_mean, "{max} {mean}");
    }
}

/// The decoded pixels of a JPEG as 8-bit RGB, through the public pipeline: at its own
/// size every output pixel is one input pixel with weight 1.
fn decoded_rgb8(bytes: &[u8], decode: DecodeMode) -> Vec<u8> {
    let probe = prepare_encoded(bytes, &ImageOptions::default(), size(1, 1, Fit::Stretch)).unwrap();
    let (w, h) = probe.source_size;
    let options = ImageOptions {
        decode,
        ..Default::default()
    };
    let got = prepare_encoded(bytes, &options, size(w, h, Fit::Stretch)).unwrap();
    got.rgb
        .iter()
        .map(|&v| {
            assert!(v.fract() == 0.0, "identity resize changed a value: {v}");
            v as u8
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Pillow-encoded variants of the phone photo (baseline and progressive, 4:2:0, 4:2:2 with
/// restart markers, 4:4:4, grey, CMYK, an odd size) and the photo itself: our pixels hash
/// to what Pillow (libjpeg-turbo 3.2) decodes, which the generator also checked against
/// `tf.io.decode_jpeg(dct_method="INTEGER_ACCURATE")`.
#[test]
fn jpeg_pixels_are_bit_identical_to_pillow_and_tensorflow_accurate_decodes() {
    let manifest: serde_json::Value = serde_json::from_slice(&read("jpeg/manifest.json")).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert!(files.len() >= 9);
    for entry in files {
        let file = entry["file"].as_str().unwrap();
        let bytes = read(file);
        let want = entry["pillow_sha256"].as_str().unwrap();
        for mode in [DecodeMode::Exact, DecodeMode::Fast] {
            assert_eq!(
                sha256_hex(&decoded_rgb8(&bytes, mode)),
                want,
                "{file} {mode:?}"
            );
        }
        if entry["mode"] != "CMYK" {
            assert_eq!(entry["tf_integer_accurate_equals_pillow"], true, "{file}");
        }
    }
    println!("{} JPEGs bit-identical to Pillow", files.len());
}

/// Every HAM10000 picture in ../shared/data (5,984 baseline 4:2:0 JPEGs): our pixels hash
/// to Pillow's (and so to TensorFlow's accurate-IDCT decode, equal on all of them when the
/// hashes were made).
#[test]
fn ham10000_jpeg_pixels_are_bit_identical_to_pillow() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    let images = shared.join("ham10000-224/images");
    let table = String::from_utf8(read("jpeg/ham10000_pillow_sha256.tsv")).unwrap();
    let mut compared = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let (id, want) = line.split_once('\t').unwrap();
        let bytes =
            std::fs::read(images.join(format!("{id}.jpg"))).unwrap_or_else(|e| panic!("{id}: {e}"));
        let got = sha256_hex(&decoded_rgb8(&bytes, DecodeMode::Exact));
        assert_eq!(&got[..16], want, "{id}");
        compared += 1;
    }
    assert_eq!(compared, 5984);
    println!("{compared} HAM10000 JPEGs bit-identical to Pillow");
}

/// Garbage in the middle of the entropy-coded data (end marker intact) is corrupt data,
/// not a picture with a grey band; the next picture decodes normally.
#[test]
fn corrupt_jpeg_scan_data_is_an_invalid_image_and_decoding_goes_on() {
    let good = read("jpeg/crop_baseline_420.jpg");
    let target = size(32, 32, Fit::Stretch);
    let before = prepare_encoded(&good, &ImageOptions::default(), target).unwrap();
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    // A run of 0xFF 0x00 pairs is valid byte stuffing but not a valid Huffman sequence
    // for long; follow it with a marker that does not belong inside a scan.
    for (k, b) in bad[mid..mid + 400].iter_mut().enumerate() {
        *b = if k % 2 == 0 { 0xFF } else { 0x00 };
    }
    bad[mid + 400] = 0xFF;
    bad[mid + 401] = 0xC4;
    match prepare_encoded(&bad, &ImageOptions::default(), target) {
        Err(Error::InvalidImage { .. }) => {}
        other => panic!("expected InvalidImage, got {other:?}"),
    }
    let after = prepare_encoded(&good, &ImageOptions::default(), target).unwrap();
    assert_eq!(before, after);
}

#[test]
fn phone_jpeg_reports_its_upright_size() {
    let got = prepare_encoded(
        &read("phone_skin_moles.jpg"),
        &ImageOptions::default(),
        size(8, 8, Fit::Stretch),
    )
    .unwrap();
    // EXIF orientation 1: stored as shown.
    assert_eq!(got.source_size, (1528, 1360));
    assert_eq!(got.rgb.len(), 8 * 8 * 3);
}

/// Native size: one tap of weight 1 per pixel, so the output is the upright pixels.
fn upright_pixels(bytes: &[u8], options: ImageOptions) -> lesionscan::PreparedImage {
    prepare_encoded(bytes, &options, size(64, 48, Fit::Stretch)).unwrap()
}

fn check_orientations(ext: &str, tolerance: f32) {
    let upright = upright_pixels(&read("orientation/upright.png"), ImageOptions::default());
    for n in 1..=8 {
        let file = format!("orientation/o{n}.{ext}");
        let got = upright_pixels(&read(&file), ImageOptions::default());
        assert_eq!(got.source_size, (64, 48), "{file}");
        let diff = max_abs_diff(&got.rgb, &upright.rgb);
        assert!(diff <= tolerance, "{file}: max |diff| {diff}");
    }
}

#[test]
fn exif_orientation_1_to_8_in_png_exif_chunk_gives_the_upright_picture() {
    check_orientations("png", 0.0);
}

#[test]
fn exif_orientation_1_to_8_in_lossless_webp_gives_the_upright_picture() {
    check_orientations("webp", 0.0);
}

#[test]
fn exif_orientation_1_to_8_in_tiff_tag_gives_the_upright_picture() {
    check_orientations("tif", 0.0);
}

#[test]
fn exif_orientation_1_to_8_in_jpeg_gives_the_upright_picture() {
    // Quality 100, no chroma subsampling, flat 8x8 blocks: a grey level or two of loss.
    check_orientations("jpg", 3.0);
}

#[test]
fn exif_orientation_is_not_a_no_op() {
    // Guard against fixtures that would pass without any orientation handling.
    let upright = upright_pixels(&read("orientation/upright.png"), ImageOptions::default());
    for n in 2..=8 {
        let bytes = read(&format!("orientation/o{n}.png"));
        let raw = image::load_from_memory(&bytes).unwrap().to_rgb8();
        let raw: Vec<f32> = raw.as_raw().iter().map(|&b| f32::from(b)).collect();
        if raw.len() == upright.rgb.len() {
            assert!(
                max_abs_diff(&raw, &upright.rgb) > 50.0,
                "o{n}.png stored upright"
            );
        }
    }
}

#[test]
fn rotation_option_is_clockwise_after_exif() {
    // o6 (stored rotated, EXIF 6) plus a 90 degree option equals upright rotated by 90.
    let upright = image::load_from_memory(&read("orientation/upright.png")).unwrap();
    let mut rotated = Vec::new();
    upright
        .rotate90()
        .write_to(
            &mut std::io::Cursor::new(&mut rotated),
            image::ImageFormat::Png,
        )
        .unwrap();
    let opts = ImageOptions {
        rotation: Rotation::R90,
        ..Default::default()
    };
    let target = size(48, 64, Fit::Stretch);
    let want = prepare_encoded(&rotated, &ImageOptions::default(), target).unwrap();
    for n in [1, 6, 7] {
        let got = prepare_encoded(&read(&format!("orientation/o{n}.png")), &opts, target).unwrap();
        assert_eq!(got.source_size, (48, 64));
        assert_eq!(got.rgb, want.rgb, "o{n}");
    }
}

#[test]
fn roi_selects_whole_pixels_rounded_outwards() {
    // Columns 8..24 and rows 8..16 of the upright picture, at native size.
    let bytes = read("orientation/upright.png");
    let full = upright_pixels(&bytes, ImageOptions::default());
    let roi = Roi {
        x: 8.0 / 64.0,
        y: 8.0 / 48.0,
        width: 16.0 / 64.0 - 0.001,
        height: 8.0 / 48.0,
    };
    let options = ImageOptions {
        roi: Some(roi),
        ..Default::default()
    };
    let got = prepare_encoded(&bytes, &options, size(16, 8, Fit::Stretch)).unwrap();
    for y in 0..8 {
        for x in 0..16 {
            let g = &got.rgb[(y * 16 + x) * 3..][..3];
            let f = &full.rgb[((y + 8) * 64 + x + 8) * 3..][..3];
            assert_eq!(g, f, "({x}, {y})");
        }
    }
}

#[test]
fn center_crop_takes_the_centred_square_of_a_landscape_picture() {
    // 64x48 upright -> square 48x48 at x offset 8, at native size.
    let bytes = read("orientation/upright.png");
    let full = upright_pixels(&bytes, ImageOptions::default());
    let got = prepare_encoded(
        &bytes,
        &ImageOptions::default(),
        size(48, 48, Fit::CenterCrop),
    )
    .unwrap();
    for y in 0..48 {
        for x in 0..48 {
            assert_eq!(
                &got.rgb[(y * 48 + x) * 3..][..3],
                &full.rgb[(y * 64 + x + 8) * 3..][..3]
            );
        }
    }
}

#[test]
fn bad_roi_is_an_invalid_argument() {
    let bytes = read("orientation/upright.png");
    for roi in [
        Roi {
            x: f32::NAN,
            y: 0.0,
            width: 0.5,
            height: 0.5,
        },
        Roi {
            x: 0.0,
            y: 0.0,
            width: 0.0,
            height: 0.5,
        },
        Roi {
            x: 0.7,
            y: 0.0,
            width: 0.5,
            height: 0.5,
        },
        Roi {
            x: 0.0,
            y: -0.2,
            width: 0.5,
            height: 0.5,
        },
        Roi {
            x: 0.0,
            y: 0.0,
            width: 0.5,
            height: f32::INFINITY,
        },
    ] {
        let options = ImageOptions {
            roi: Some(roi),
            ..Default::default()
        };
        let err = prepare_encoded(&bytes, &options, size(8, 8, Fit::Stretch)).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{roi:?}: {err}"
        );
    }
}

#[test]
fn zero_target_is_an_invalid_argument() {
    let bytes = read("orientation/upright.png");
    let err =
        prepare_encoded(&bytes, &ImageOptions::default(), size(0, 8, Fit::Stretch)).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }));
}

fn assert_invalid_image(bytes: &[u8], what: &str) {
    match prepare_encoded(bytes, &ImageOptions::default(), size(32, 32, Fit::Stretch)) {
        Err(Error::InvalidImage { .. }) => {}
        other => panic!("{what}: expected InvalidImage, got {other:?}"),
    }
}

#[test]
fn empty_input_is_an_invalid_image() {
    assert_invalid_image(&[], "empty");
}

/// The photo's primary picture ends (EOI) at this offset; an MPF gain map follows it.
const PHOTO_PRIMARY_END: usize = 994_074;

#[test]
fn truncated_jpeg_is_an_invalid_image_at_every_cut() {
    let photo = read("phone_skin_moles.jpg");
    assert_eq!(
        &photo[PHOTO_PRIMARY_END - 2..PHOTO_PRIMARY_END],
        &[0xFF, 0xD9]
    );
    let end = PHOTO_PRIMARY_END;
    for cut in [
        1,
        2,
        3,
        100,
        1000,
        20_000,
        end / 3,
        photo.len() / 2,
        end * 9 / 10,
        end - 100,
        end - 1,
    ] {
        assert_invalid_image(&photo[..cut], &format!("JPEG cut at {cut}"));
    }
}

#[test]
fn jpeg_cut_inside_the_trailing_gain_map_still_decodes_the_whole_primary_picture() {
    let photo = read("phone_skin_moles.jpg");
    let target = size(16, 16, Fit::Stretch);
    let whole = prepare_encoded(&photo, &ImageOptions::default(), target).unwrap();
    let cut = prepare_encoded(
        &photo[..photo.len() - 100],
        &ImageOptions::default(),
        target,
    )
    .unwrap();
    assert_eq!(whole, cut);
}

#[test]
fn truncated_png_webp_tiff_are_invalid_images() {
    for file in [
        CROP,
        "orientation/o6.webp",
        "orientation/o6.tif",
        "orientation/o6.png",
    ] {
        let bytes = read(file);
        for cut in [bytes.len() / 2, bytes.len() - 10] {
            assert_invalid_image(&bytes[..cut], &format!("{file} cut at {cut}"));
        }
    }
}

#[test]
fn random_bytes_are_an_invalid_image() {
    // A small xorshift so the test needs no extra crate and is repeatable.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for len in [1, 7, 16, 100, 4096] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        assert_invalid_image(&bytes, &format!("{len} random bytes"));
    }
}

#[test]
fn random_bytes_after_a_valid_magic_number_are_an_invalid_image() {
    let mut bytes = vec![0u8; 512];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i * 37 % 251) as u8;
    }
    for magic in [
        &b"\xFF\xD8\xFF\xE0"[..],
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"BM",
        b"II*\0",
        b"MM\0*",
    ] {
        let mut input = magic.to_vec();
        input.extend_from_slice(&bytes);
        assert_invalid_image(&input, &format!("{magic:?} + junk"));
    }
}

#[test]
fn hostile_header_claiming_a_huge_png_is_rejected_without_allocating() {
    // A PNG whose IHDR claims 100000 x 100000 pixels (no image data follows).
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    assert_invalid_image(&png, "huge PNG header");

    // 16000 x 16000 is within the side limit but 768 MB of RGB: over the allocation limit.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&16_000u32.to_be_bytes());
    ihdr.extend_from_slice(&16_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    assert_invalid_image(&png, "large PNG header without data");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn grey_rgba_and_16_bit_pngs_become_8_bit_rgb() {
    let target = size(4, 2, Fit::Stretch);
    let encode = |img: image::DynamicImage| {
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let grey = image::GrayImage::from_fn(4, 2, |x, _| image::Luma([x as u8 * 60]));
    let got = prepare_encoded(&encode(grey.into()), &ImageOptions::default(), target).unwrap();
    assert_eq!(&got.rgb[3..6], &[60.0, 60.0, 60.0]);

    let rgba = image::RgbaImage::from_fn(4, 2, |_, _| image::Rgba([10, 20, 30, 0]));
    let got = prepare_encoded(&encode(rgba.into()), &ImageOptions::default(), target).unwrap();
    assert!(
        got.rgb.chunks(3).all(|p| p == [10.0, 20.0, 30.0]),
        "alpha must be dropped, not composited"
    );

    let deep = image::ImageBuffer::<image::Rgb<u16>, _>::from_fn(4, 2, |_, _| {
        image::Rgb([65535u16, 0, 257 * 100])
    });
    let got = prepare_encoded(
        &encode(image::DynamicImage::ImageRgb16(deep)),
        &ImageOptions::default(),
        target,
    )
    .unwrap();
    assert!(
        got.rgb.chunks(3).all(|p| p == [255.0, 0.0, 100.0]),
        "{:?}",
        &got.rgb[..3]
    );
}

#[test]
fn bmp_decodes() {
    let img = image::RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 50, y as u8 * 100, 7]));
    let mut bmp = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut bmp), image::ImageFormat::Bmp)
        .unwrap();
    let got = prepare_encoded(&bmp, &ImageOptions::default(), size(5, 3, Fit::Stretch)).unwrap();
    assert_eq!(&got.rgb[(2 * 5 + 4) * 3..][..3], &[200.0, 200.0, 7.0]);
}

#[test]
fn corrupted_bytes_in_every_format_give_ok_or_invalid_image_never_a_panic() {
    let bmp = {
        let img =
            image::RgbImage::from_fn(9, 7, |x, y| image::Rgb([x as u8 * 20, y as u8 * 30, 90]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Bmp)
            .unwrap();
        out
    };
    let inputs = [
        read("orientation/o6.jpg"),
        read("orientation/o6.png"),
        read("orientation/o6.webp"),
        read("orientation/o6.tif"),
        bmp,
    ];
    let target = size(8, 8, Fit::Stretch);
    for original in &inputs {
        for pos in (0..original.len()).step_by(original.len() / 97 + 1) {
            for value in [0x00, 0xFF, 0x7F] {
                let mut bytes = original.clone();
                bytes[pos] = value;
                match prepare_encoded(&bytes, &ImageOptions::default(), target) {
                    Ok(p) => assert_eq!(p.rgb.len(), 8 * 8 * 3),
                    Err(Error::InvalidImage { .. }) => {}
                    Err(other) => panic!("byte {pos} = {value}: unexpected {other}"),
                }
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Any ROI, rotation and target on a real picture is either a correctly sized result
    /// or an InvalidArgument.
    #[test]
    fn arbitrary_roi_rotation_and_target_never_panic(
        file in 1usize..=8,
        rotation in 0i32..4,
        roi in proptest::option::of((-0.3f32..1.3, -0.3f32..1.3, -0.3f32..1.3, -0.3f32..1.3)),
        tw in 1u32..100,
        th in 1u32..100,
        crop in proptest::bool::ANY,
    ) {
        let bytes = read(&format!("orientation/o{file}.png"));
        let options = ImageOptions {
            roi: roi.map(|(x, y, width, height)| Roi { x, y, width, height }),
            rotation: Rotation::from_degrees(rotation * 90).unwrap(),
            ..Default::default()
        };
        let target = size(tw, th, if crop { Fit::CenterCrop } else { Fit::Stretch });
        match prepare_encoded(&bytes, &options, target) {
            Ok(p) => {
                proptest::prop_assert_eq!(p.rgb.len(), (tw * th * 3) as usize);
                proptest::prop_assert!(p.rgb.iter().all(|v| (0.0..=255.0).contains(v)));
            }
            Err(Error::InvalidArgument { .. }) => proptest::prop_assert!(options.roi.is_some()),
            Err(other) => proptest::prop_assert!(false, "unexpected {}", other),
        }
    }
}
