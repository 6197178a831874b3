//! cargo-fuzz target `decode_image`: see `checks::decode_image` (fuzz/checks.rs), which the corpus replay
//! test (tests/fuzz_corpus.rs) runs too.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::decode_image(data));
