//! cargo-fuzz target `model_bytes`: see `checks::model_bytes` (fuzz/checks.rs), which the corpus replay
//! test (tests/fuzz_corpus.rs) runs too.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::model_bytes(data));
