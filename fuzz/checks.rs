//! What every fuzz target checks, in one file that both the targets
//! (`fuzz/fuzz_targets/*.rs`) and the corpus replay test (`tests/fuzz_corpus.rs`) include,
//! so that what the fuzzer explored and what CI replays cannot drift apart.
//!
//! Each check takes arbitrary bytes and panics only when the library breaks a promise:
//! bad input must give a typed error, never a panic, a hang or a crash, and good output
//! must have the promised shape. [`TARGETS`] names them; a target's corpus lives in
//! `fuzz/corpus-min/<name>/`.
#![allow(dead_code)]

use std::sync::OnceLock;

use lesionscan::{
    image::{prepare_encoded, prepare_frame},
    Accelerator, Classifier, ClassifierOptions, DecodeMode, Error, Fit, Frame, ImageOptions,
    ModelCard, PixelFormat, Plane, Rotation, TargetSize,
};

/// A check: arbitrary bytes in, a panic only when the library breaks a promise.
pub type Check = fn(&[u8]);

/// Every target, by the name cargo-fuzz and the corpus folders use.
pub const TARGETS: &[(&str, Check)] = &[
    ("decode_image", decode_image),
    ("camera_frame", camera_frame),
    ("model_card", model_card),
    ("model_bytes", model_bytes),
];

/// Arbitrary bytes as an encoded picture, decoded both ways (DCT-scaled and in full): an
/// error or a picture of the asked size with values on the 0..=255 scale.
pub fn decode_image(data: &[u8]) {
    // 32x32 makes DCT-scaled decoding kick in from 128 pixels a side.
    let target = TargetSize {
        width: 32,
        height: 32,
        fit: Fit::CenterCrop,
        resampling: Default::default(),
    };
    for decode in [DecodeMode::Fast, DecodeMode::Exact] {
        let options = ImageOptions {
            decode,
            ..ImageOptions::default()
        };
        if let Ok(picture) = prepare_encoded(data, &options, target) {
            assert_eq!((picture.width, picture.height), (32, 32));
            assert_eq!(picture.rgb.len(), 32 * 32 * 3);
            assert!(picture.rgb.iter().all(|v| (0.0..=255.0).contains(v)));
            if let Some(detail) = &picture.detail {
                assert_eq!(detail.luma.len(), (detail.width * detail.height) as usize);
            }
        }
    }
}

/// Arbitrary frame geometry, strides and plane lengths over arbitrary bytes: an
/// `InvalidFrame` or a picture, never an out-of-bounds read or a panic.
///
/// The first 16 bytes choose the format, size, rotation, plane count, where the rest is
/// cut into planes, each plane's strides and the target size.
pub fn camera_frame(data: &[u8]) {
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
    let rotation =
        [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270][usize::from(head[3] % 4)];
    let plane_count = usize::from(head[4] % 4);
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
    let frame = Frame {
        width,
        height,
        format,
        planes,
        rotation,
    };
    let target = TargetSize {
        width: u32::from(head[13] % 40) + 1,
        height: u32::from(head[14] % 40) + 1,
        fit: if head[15] % 2 == 0 {
            Fit::Stretch
        } else {
            Fit::CenterCrop
        },
        resampling: Default::default(),
    };
    if let Ok(picture) = prepare_frame(&frame, &ImageOptions::default(), target) {
        assert_eq!(
            picture.rgb.len(),
            (target.width * target.height * 3) as usize
        );
        assert!(picture.rgb.iter().all(|v| (0.0..=255.0).contains(v)));
    }
}

/// Arbitrary text as a model card: an `InvalidCard`, or a card that passes its own checks
/// and survives a round trip through JSON.
pub fn model_card(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(card) = ModelCard::from_json(text) {
            assert!(card.validate().is_ok());
            let again = ModelCard::from_json(&card.to_json()).expect("a written card reads back");
            assert_eq!(again.to_json(), card.to_json());
        }
    }
}

/// The fixture cards, without their sha256 (which would refuse every changed model before
/// the runtime sees it), tiny converter models' cards first.
fn cards() -> &'static [String] {
    static CARDS: OnceLock<Vec<String>> = OnceLock::new();
    CARDS.get_or_init(|| {
        [
            include_str!("../tests/data/tiny/int8.json"),
            include_str!("../tests/data/tiny/float.json"),
            include_str!("../tests/data/mobilenet_tiny_int8.json"),
            include_str!("../tests/data/mobilenet_tiny_uint8.json"),
            include_str!("../tests/data/two_input_float.json"),
        ]
        .iter()
        .map(|json| {
            let mut card = ModelCard::from_json(json).expect("fixture card");
            card.sha256 = None;
            card.to_json()
        })
        .collect()
    })
}

/// An 8x8 RGBA frame with a colour ramp: the picture a loaded model classifies.
fn tiny_frame(pixels: &[u8]) -> Frame<'_> {
    Frame {
        width: 8,
        height: 8,
        format: PixelFormat::Rgba8888,
        planes: vec![Plane {
            bytes: pixels,
            row_stride: 32,
            pixel_stride: 4,
        }],
        rotation: Rotation::R0,
    }
}

/// Arbitrary bytes as a model: loading gives a typed error, or a classifier that
/// classifies a small picture into probabilities (or a typed error), and never kills the
/// process. Each fixture card is tried until one fits the model's tensors.
pub fn model_bytes(data: &[u8]) {
    let options = ClassifierOptions::default()
        .with_accelerator(Accelerator::Cpu)
        .with_threads(1);
    for card in cards() {
        let classifier = match Classifier::from_bytes(data, card, options.clone()) {
            Ok(classifier) => classifier,
            // This card does not describe the model; another may.
            Err(Error::InvalidCard { .. }) => continue,
            Err(_) => return,
        };
        let pixels: Vec<u8> = (0..8 * 8 * 4).map(|i| (i * 7 % 256) as u8).collect();
        if let Ok(result) =
            classifier.classify_frame(&tiny_frame(&pixels), &ImageOptions::default(), None)
        {
            let p: Vec<f32> = result.categories.iter().map(|c| c.probability).collect();
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{p:?}");
            assert!(p.windows(2).all(|w| w[0] >= w[1]), "not descending: {p:?}");
            assert!((0.0..=1.0 + 1e-4).contains(&result.malignant_probability));
        }
        return;
    }
}
