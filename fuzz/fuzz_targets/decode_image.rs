//! Arbitrary bytes as an encoded picture: an error or a picture, never a panic or a hang.
#![no_main]

use lesionscan::{image::prepare_encoded, Fit, ImageOptions, TargetSize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let target = TargetSize { width: 32, height: 32, fit: Fit::CenterCrop };
    if let Ok(picture) = prepare_encoded(data, &ImageOptions::default(), target) {
        assert_eq!(picture.rgb.len(), 32 * 32 * 3);
        assert!(picture.rgb.iter().all(|v| (0.0..=255.0).contains(v)));
    }
});
