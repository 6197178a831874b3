//! Replays the committed fuzz corpora through the checks the fuzz targets run
//! (fuzz/checks.rs), on stable Rust and in `cargo test`: every input a fuzzer kept for its
//! coverage (`fuzz/corpus-min/<target>/`, minimised with `cargo fuzz cmin`), every
//! input that once broke a promise (`fuzz/regressions/<target>/`) and the seeds the
//! fuzzer starts from (`fuzz/seeds/<target>/`).

use std::path::{Path, PathBuf};

#[path = "../fuzz/checks.rs"]
mod checks;

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every committed input of `target` through its check; returns how many ran.
fn replay(target: &str) -> usize {
    let check = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .unwrap_or_else(|| panic!("no check named {target}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = files(&root.join("corpus-min").join(target));
    assert!(!corpus.is_empty(), "fuzz/corpus-min/{target} is empty");
    let inputs: Vec<PathBuf> = corpus
        .into_iter()
        .chain(files(&root.join("regressions").join(target)))
        .chain(files(&root.join("seeds").join(target)))
        .collect();
    let mut failures = Vec::new();
    for path in &inputs {
        let data = std::fs::read(path).expect("read");
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            failures.push(path.display().to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} inputs broke a promise: {failures:#?}",
        failures.len()
    );
    inputs.len()
}

#[test]
fn decode_image_corpus_replays_clean() {
    replay("decode_image");
}

#[test]
fn camera_frame_corpus_replays_clean() {
    replay("camera_frame");
}

#[test]
fn model_card_corpus_replays_clean() {
    replay("model_card");
}

#[test]
fn model_bytes_corpus_replays_clean() {
    replay("model_bytes");
}

#[test]
fn every_check_is_a_fuzz_target_with_a_corpus_test() {
    // A check without a cargo-fuzz target, or a target without a replay test above, would
    // let the two drift apart.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    let this_file = std::fs::read_to_string(root.join("tests/fuzz_corpus.rs")).expect("this file");
    for (name, _) in checks::TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} is not in fuzz/Cargo.toml"
        );
        let target = std::fs::read_to_string(root.join(format!("fuzz/fuzz_targets/{name}.rs")))
            .unwrap_or_else(|_| panic!("fuzz/fuzz_targets/{name}.rs is missing"));
        assert!(
            target.contains(&format!("checks::{name}(data)")),
            "{name}.rs does not run its check"
        );
        assert!(
            this_file.contains(&format!("replay(\"{name}\")")),
            "no replay test for {name}"
        );
    }
}
