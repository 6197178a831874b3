//! cargo-fuzz target `camera_frame`: see `checks::camera_frame` (fuzz/checks.rs), which the corpus replay
//! test (tests/fuzz_corpus.rs) runs too.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::camera_frame(data));
