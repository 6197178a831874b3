//! Model bytes never crash the process. Real models pass the model verifier
//! (src/engine/verify.rs) and load; damaged ones, including every damage that killed
//! `lesionscan classify` inside LiteRT before the verifier existed, are typed errors that
//! leave the process and other classifiers working.

use std::path::{Path, PathBuf};

use lesionscan::engine::{Accelerator, Engine, EngineOptions, LiteRtEngine};
use lesionscan::{Classifier, ClassifierOptions, Error, ImageOptions, ModelCard};

#[path = "../fuzz/checks.rs"]
mod checks;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `.tflite` files in a folder of the repository.
fn models_in(folder: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(repo(folder))
        .expect("folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tflite"))
        .collect();
    found.sort();
    found
}

/// The model `models/DEFAULT_MODEL` names (whatever variant is the default today).
fn default_model() -> PathBuf {
    let name = std::fs::read_to_string(repo("models/DEFAULT_MODEL")).expect("models/DEFAULT_MODEL");
    repo(&format!("models/{}.tflite", name.trim()))
}

fn cpu() -> EngineOptions {
    EngineOptions {
        accelerator: Accelerator::Cpu,
        threads: 1,
        ..EngineOptions::default()
    }
}

#[test]
fn every_real_model_passes_the_verifier_and_loads() {
    // The fixtures, the tiny converter models (full-int8, QUANTIZE/DEQUANTIZE at the
    // ends, float16 weights behind DEQUANTIZE, dynamic range, float) and the default.
    let mut models = models_in("tests/data");
    models.extend(models_in("tests/data/tiny"));
    models.push(default_model());
    assert!(models.len() >= 9, "{models:?}");
    let engine = LiteRtEngine::new();
    for path in &models {
        if let Err(err) = engine.load(&read(path), &cpu()) {
            panic!("{} was refused: {err}", path.display());
        }
    }
}

#[test]
fn converter_models_with_quantize_and_dequantize_classify_end_to_end() {
    let picture = read(&repo("tests/data/jpeg/crop_baseline_420.jpg"));
    for (model, card) in [
        ("int8", "int8"),
        ("int8_float_io", "float"),
        ("float16", "float"),
        ("dynamic_range", "float"),
        ("float32", "float"),
    ] {
        let classifier = Classifier::from_files(
            repo(&format!("tests/data/tiny/{model}.tflite")),
            repo(&format!("tests/data/tiny/{card}.json")),
            ClassifierOptions::default().with_accelerator(Accelerator::Cpu),
        )
        .unwrap_or_else(|e| panic!("{model}: {e}"));
        let result = classifier
            .classify_image(&picture, &ImageOptions::default(), None)
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let total: f32 = result.categories.iter().map(|c| c.probability).sum();
        assert_eq!(result.categories.len(), 7, "{model}");
        assert!(
            (total - 1.0).abs() < 0.02,
            "{model}: probabilities sum to {total}"
        );
    }
}

/// A damage to a fixture model: (offset, byte before, byte after).
type Damage = &'static [(usize, u8, u8)];

/// Every damage to `tests/data/mobilenet_tiny_int8.tflite` that `scripts/model-mutation-check`
/// found killing `lesionscan classify` (signal in brackets), and what the verifier now says
/// about it. The first four killed the process before the verifier existed (seed 1, 4,000
/// tries); the other five got past its first version, which did not yet insist on
/// operators' input and output lists (seed 2, 20,000 tries).
const CRASHERS: &[(&str, Damage, &str)] = &[
    // [SIGABRT, stack smashing in LiteRT] rank 234 > 8 in a shape signature.
    (
        "seed 1 try 2125",
        &[(175412, 83, 121), (227980, 4, 234)],
        "shape signature of rank 234",
    ),
    // [SIGABRT] a shape vector's length 1 became 130: LiteRT copies it into 8 slots.
    (
        "seed 1 try 3733",
        &[(274504, 1, 130), (195105, 180, 16), (1556, 112, 40)],
        "rank 130",
    ),
    // [SIGABRT] likewise, 4 became 114.
    ("seed 1 try 3840", &[(241184, 4, 114)], "rank 114"),
    // [SIGSEGV in LiteRtCreateModelFromBuffer] an operator's opcode index far past the
    // table ("uses operator code"); the same damage also gave tensor 43 an impossible zero
    // point, which the verifier checks first.
    (
        "seed 1 try 749",
        &[(254763, 58, 201), (240847, 0, 23), (223971, 0, 129)],
        "tensor 43 of subgraph 0 has zero point",
    ),
    // [SIGSEGV in LiteRtCreateModelFromBuffer] an operator's vtable offset moved onto an
    // empty vtable: the operator has no input or output list at all.
    (
        "seed 2 try 7447",
        &[(222892, 126, 98)],
        "the input list of operator 17 of subgraph 0 is missing",
    ),
    (
        "seed 2 try 1673",
        &[
            (289461, 0, 22),
            (186083, 129, 81),
            (222165, 249, 78),
            (240875, 0, 177),
        ],
        // The missing input list of operator 29 crashed LiteRT; the same damage gave tensor
        // 11 an impossible zero point, which the verifier checks first.
        "tensor 11 of subgraph 0 has zero point",
    ),
    (
        "seed 2 try 17739",
        &[(222832, 78, 18), (143171, 41, 183)],
        "the input list of operator 18",
    ),
    (
        "seed 2 try 3006",
        &[(139946, 201, 169), (223217, 252, 30), (2152, 100, 43)],
        "the input list of operator 12",
    ),
    (
        "seed 2 try 3138",
        &[(131785, 85, 19), (223277, 253, 26), (9940, 170, 2)],
        "the input list of operator 11",
    ),
];

fn card_without_checksum(path: &str) -> String {
    let mut card =
        ModelCard::from_json(&String::from_utf8(read(&repo(path))).expect("utf-8")).expect("card");
    card.sha256 = None;
    card.to_json()
}

#[test]
fn damages_that_killed_the_process_are_invalid_models_and_the_process_lives_on() {
    let original = read(&repo("tests/data/mobilenet_tiny_int8.tflite"));
    let card = card_without_checksum("tests/data/mobilenet_tiny_int8.json");
    let options = ClassifierOptions::default().with_accelerator(Accelerator::Cpu);
    // A classifier loaded before the damaged models, and its answer then.
    let picture = read(&repo("tests/data/jpeg/crop_baseline_444.jpg"));
    let before_classifier =
        Classifier::from_bytes(&original, &card, options.clone()).expect("loads");
    let answer = |classifier: &Classifier| -> Vec<u32> {
        let result = classifier
            .classify_image(&picture, &ImageOptions::default(), None)
            .expect("classifies");
        result
            .categories
            .iter()
            .map(|c| c.probability.to_bits())
            .collect()
    };
    let before = answer(&before_classifier);
    for (name, damage, reason) in CRASHERS {
        let mut bytes = original.clone();
        for &(offset, before, after) in *damage {
            assert_eq!(
                bytes[offset], before,
                "{name}: the fixture changed; find the damage again"
            );
            bytes[offset] = after;
        }
        match Classifier::from_bytes(&bytes, &card, options.clone()) {
            Err(err @ Error::InvalidModel { .. }) => {
                assert!(err.to_string().contains(reason), "{name}: {err}");
            }
            other => panic!("{name}: expected an invalid model, got {other:?}"),
        }
    }
    // Found by the model_bytes fuzz target in two_input_float.tflite [SIGSEGV in
    // LiteRtCreateModelFromBuffer]: a metadata entry's vtable offset moved, hiding its name.
    let mut bytes = read(&repo("tests/data/two_input_float.tflite"));
    let damage: Damage = &[
        (268, 8, 248),
        (269, 0, 255),
        (270, 0, 255),
        (271, 0, 255),
        (272, 22, 234),
        (2515, 187, 98),
        (2516, 213, 0),
        (5933, 81, 252),
        (16265, 252, 96),
    ];
    for &(offset, before, after) in damage {
        assert_eq!(
            bytes[offset], before,
            "the fixture changed; find the damage again"
        );
        bytes[offset] = after;
    }
    let two_input_card = card_without_checksum("tests/data/two_input_float.json");
    match Classifier::from_bytes(&bytes, &two_input_card, options.clone()) {
        Err(err @ Error::InvalidModel { .. }) => {
            assert!(
                err.to_string()
                    .contains("the name of metadata entry 0 is missing"),
                "{err}"
            );
        }
        other => panic!("expected an invalid model, got {other:?}"),
    }
    // The classifier loaded before gives the same answer bit for bit, and the process
    // (LiteRT inside it) still loads and runs the undamaged model.
    assert_eq!(answer(&before_classifier), before);
    let classifier = Classifier::from_bytes(&original, &card, options).expect("loads");
    assert_eq!(answer(&classifier), before);
}

#[test]
fn a_damaged_output_zero_point_is_an_invalid_model() {
    // Found by the model_bytes fuzz target in the uint8 fixture's output tensor (the only
    // change among its 25 that matters): zero point 0 became 0x1cff_ffff_ffff_ffff, and
    // LiteRT died compiling the model [SIGSEGV in LiteRtCreateCompiledModel]. A smaller
    // damage there (byte 224701: 37 << 40) loaded and gave a malignant probability over
    // 100 %. Both are refused at load now.
    let original = read(&repo("tests/data/mobilenet_tiny_uint8.tflite"));
    let card = card_without_checksum("tests/data/mobilenet_tiny_uint8.json");
    for damage in [
        &[
            (224696, 0xff),
            (224697, 0xff),
            (224698, 0xff),
            (224699, 0xff),
            (224700, 0xff),
            (224701, 0xff),
            (224702, 0xff),
            (224703, 0x1c),
        ][..],
        &[(224701, 37)][..],
    ] {
        let mut bytes = original.clone();
        for &(offset, after) in damage {
            assert_eq!(
                bytes[offset], 0,
                "the fixture changed; find the damage again"
            );
            bytes[offset] = after;
        }
        match Classifier::from_bytes(&bytes, &card, ClassifierOptions::default()) {
            Err(err @ Error::InvalidModel { .. }) => assert!(
                err.to_string()
                    .contains("outside 0..=255 for its element type UINT8"),
                "{err}"
            ),
            other => panic!("expected an invalid model, got {other:?}"),
        }
    }
}

#[test]
fn a_damaged_output_scale_is_an_error_not_a_probability_over_one() {
    // The output's zero point 0 (bytes 224696..224704, i64) made 200: in range for uint8,
    // so a valid model by every rule of the format, but its "probabilities" would show a
    // malignant probability far over 100 %. The scores are checked as a distribution and
    // the classification is refused.
    let mut bytes = read(&repo("tests/data/mobilenet_tiny_uint8.tflite"));
    assert_eq!(
        bytes[224696..224704],
        0i64.to_le_bytes(),
        "the fixture changed; find the zero point again"
    );
    bytes[224696] = 200;
    let card = card_without_checksum("tests/data/mobilenet_tiny_uint8.json");
    let classifier = Classifier::from_bytes(&bytes, &card, ClassifierOptions::default())
        .expect("the damage leaves a loadable model");
    let picture = read(&repo("tests/data/jpeg/crop_baseline_420.jpg"));
    let err = classifier
        .classify_image(&picture, &ImageOptions::default(), None)
        .expect_err("refused");
    assert!(
        matches!(err, Error::InvalidModel { .. })
            && err.to_string().contains("are not probabilities"),
        "{err}"
    );
    // The classifier is not poisoned by the error: asked again, it answers the same way,
    // and a bad picture still gets its own error.
    let again = classifier
        .classify_image(&picture, &ImageOptions::default(), None)
        .expect_err("refused again");
    assert_eq!(again.to_string(), err.to_string());
    assert!(matches!(
        classifier.classify_image(b"not a picture", &ImageOptions::default(), None),
        Err(Error::InvalidImage { .. })
    ));
}

/// A small deterministic generator (xorshift64*), so the sweep below is the same on
/// every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Damaged copies of the tiny converter models, 1 to 4 random bytes each, the same on
/// every run: 400, or `LESIONSCAN_MUTANTS` for a longer sweep by hand.
fn damaged_copies() -> Vec<Vec<u8>> {
    let count = std::env::var("LESIONSCAN_MUTANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    let seeds: Vec<Vec<u8>> = models_in("tests/data/tiny")
        .iter()
        .map(|p| read(p))
        .collect();
    let mut rng = Rng(0x5eed_1e51_0fca_d0e5);
    (0..count)
        .map(|i| {
            let mut bytes = seeds[i % seeds.len()].clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            bytes
        })
        .collect()
}

/// With `LESIONSCAN_MUTANT_LOG=path`, writes each damaged model there before it is loaded,
/// so that one that kills the process is left behind.
fn keep_for_post_mortem(bytes: &[u8]) {
    if let Ok(path) = std::env::var("LESIONSCAN_MUTANT_LOG") {
        std::fs::write(path, bytes).expect("write the mutant log");
    }
}

#[test]
fn random_damage_to_converter_models_never_kills_the_process() {
    // The fuzz target's own check on each damaged copy. A crash would end this test
    // binary; a broken promise panics.
    let card = card_without_checksum("tests/data/tiny/float.json");
    let options = ClassifierOptions::default()
        .with_accelerator(Accelerator::Cpu)
        .with_threads(1);
    let (mut refused, mut loaded) = (0, 0);
    for bytes in damaged_copies() {
        keep_for_post_mortem(&bytes);
        checks::model_bytes(&bytes);
        match Classifier::from_bytes(&bytes, &card, options.clone()) {
            Ok(_) => loaded += 1,
            Err(Error::InvalidModel { .. }) => refused += 1,
            Err(_) => {}
        }
    }
    // Both outcomes occur, so the sweep reaches past the verifier into LiteRT.
    assert!(
        refused > 20 && loaded > 20,
        "refused {refused}, loaded {loaded}"
    );
}

/// The same for the iOS engine (the classic TFLite C API; TF 2.6.0's library here): the
/// verifier stands in front of it too.
#[cfg(feature = "tflite-c")]
mod tflite_c {
    use super::*;
    use lesionscan::engine::TfLiteCEngine;

    #[test]
    fn damages_that_killed_litert_are_refused_before_the_tflite_c_runtime_too() {
        let original = read(&repo("tests/data/mobilenet_tiny_int8.tflite"));
        for (name, damage, reason) in CRASHERS {
            let mut bytes = original.clone();
            for &(offset, _, after) in *damage {
                bytes[offset] = after;
            }
            match TfLiteCEngine::new().load(&bytes, &cpu()) {
                Err(err @ Error::InvalidModel { .. }) => {
                    assert!(err.to_string().contains(reason), "{name}: {err}")
                }
                Err(other) => panic!("{name}: {other}"),
                Ok(_) => panic!("{name}: loaded"),
            }
        }
    }

    #[test]
    fn random_damage_never_kills_the_tflite_c_runtime() {
        let card = card_without_checksum("tests/data/tiny/float.json");
        let options = ClassifierOptions::default()
            .with_accelerator(Accelerator::Cpu)
            .with_threads(1);
        let picture = read(&repo("tests/data/jpeg/crop_baseline_420.jpg"));
        let engine = TfLiteCEngine::new();
        let (mut refused, mut classified) = (0, 0);
        for bytes in damaged_copies() {
            keep_for_post_mortem(&bytes);
            match Classifier::with_engine(&engine, &bytes, &card, options.clone()) {
                Ok(classifier) => {
                    if let Ok(result) =
                        classifier.classify_image(&picture, &ImageOptions::default(), None)
                    {
                        assert!(result
                            .categories
                            .iter()
                            .all(|c| (0.0..=1.0).contains(&c.probability)));
                        classified += 1;
                    }
                }
                Err(Error::InvalidModel { .. }) => refused += 1,
                Err(_) => {}
            }
        }
        assert!(
            refused > 20 && classified > 20,
            "refused {refused}, classified {classified}"
        );
    }
}
