//! Arbitrary text as a model card: an `InvalidCard` or a card that passes its own checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(card) = lesionscan::ModelCard::from_json(text) {
            assert!(card.validate().is_ok());
            let again = lesionscan::ModelCard::from_json(&card.to_json());
            assert!(again.is_ok());
        }
    }
});
