//! The options that tune the runtime rather than the result: half precision (the result
//! says what ran, and stays close to float32) and XNNPACK's weight cache (same results,
//! one file in the chosen directory, nothing written without it).

use std::path::{Path, PathBuf};

use lesionscan::{
    Accelerator, Classification, Classifier, ClassifierOptions, Error, ImageOptions, Precision,
};

/// Pictures of different content for each comparison.
const PICTURES: [&str; 5] = [
    "tests/data/phone_skin_moles.jpg",
    "tests/data/jpeg/crop_baseline_420.jpg",
    "tests/data/jpeg/crop_progressive_444.jpg",
    "tests/data/jpeg/odd_333x251_progressive_420.jpg",
    "tests/data/jpeg/crop_grey.jpg",
];

/// The largest probability change half precision may cause on the float fixture. Measured
/// on this suite's pictures (x86-64 with F16C, XNNPACK emulating half-float arithmetic):
/// at most 0.00026; a half-precision run that drifted eight times further would be a defect.
const HALF_PRECISION_BOUND: f32 = 0.002;

fn cpu() -> ClassifierOptions {
    ClassifierOptions::default()
        .with_accelerator(Accelerator::Cpu)
        .with_threads(1)
}

fn load(name: &str, options: ClassifierOptions) -> Classifier {
    Classifier::from_files(
        format!("tests/data/{name}.tflite"),
        format!("tests/data/{name}.json"),
        options,
    )
    .unwrap_or_else(|e| panic!("{name} loads: {e}"))
}

fn probabilities(result: &Classification) -> Vec<f32> {
    let mut p = vec![f32::NAN; result.categories.len()];
    for c in &result.categories {
        p[c.index as usize] = c.probability;
    }
    p
}

/// Probabilities of every picture, in order.
fn classify_all(classifier: &Classifier) -> Vec<Vec<f32>> {
    PICTURES
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).expect("picture");
            let result = classifier
                .classify_image(&bytes, &ImageOptions::default(), None)
                .expect("classifies");
            assert_eq!(result.precision, classifier.model_info().precision);
            probabilities(&result)
        })
        .collect()
}

fn largest_change(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn without_the_option_every_operator_runs_in_float32() {
    for name in ["two_input_float", "mobilenet_tiny_int8"] {
        let classifier = load(name, cpu());
        assert_eq!(
            classifier.model_info().precision,
            Precision::Float32,
            "{name}"
        );
    }
}

#[test]
fn half_precision_on_a_float_model_says_what_ran_and_stays_close_to_float32() {
    let full = classify_all(&load("two_input_float", cpu()));
    let half_classifier = load("two_input_float", cpu().with_half_precision(true));
    let half = classify_all(&half_classifier);
    let change = largest_change(&full, &half);
    match half_classifier.model_info().precision {
        // Every operator of this small model is one XNNPACK runs.
        Precision::Float16 => {
            println!("half precision ran; largest probability change {change:.5}");
            assert!(change > 0.0, "half precision changed nothing at all");
            assert!(change <= HALF_PRECISION_BOUND, "largest change {change}");
        }
        // A CPU XNNPACK cannot run half floats on: the request is refused, truthfully.
        Precision::Float32 => assert_eq!(change, 0.0),
        other => panic!("unexpected precision {other}"),
    }
}

#[test]
fn half_precision_on_an_int8_model_falls_back_to_float32_with_identical_results() {
    // XNNPACK cannot rewrite int8 operators to half floats and refuses to prepare; the
    // engine reloads in float32 and says so.
    let full = classify_all(&load("mobilenet_tiny_int8", cpu()));
    let asked = load("mobilenet_tiny_int8", cpu().with_half_precision(true));
    assert_eq!(asked.model_info().precision, Precision::Float32);
    assert_eq!(classify_all(&asked), full);
}

#[test]
fn the_weight_cache_is_one_file_in_the_chosen_directory_and_a_second_load_reuses_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["mobilenet_tiny_int8", "two_input_float"] {
        let plain = classify_all(&load(name, cpu()));

        let first = load(name, cpu().with_cache_dir(dir.path()));
        let cache = first.model_info().weight_cache.expect("cache written");
        assert_eq!(cache.parent(), Some(dir.path()));
        let name_of_file = cache.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            name_of_file.starts_with("lesionscan-litert-")
                && name_of_file.ends_with("-f32.xnnpack-cache"),
            "{name_of_file}"
        );
        assert_eq!(classify_all(&first), plain, "{name}: first load");
        let written = std::fs::read(&cache).expect("cache readable");
        assert!(!written.is_empty());
        drop(first);

        let second = load(name, cpu().with_cache_dir(dir.path()));
        assert_eq!(second.model_info().weight_cache.as_ref(), Some(&cache));
        assert_eq!(classify_all(&second), plain, "{name}: second load");
        assert_eq!(
            std::fs::read(&cache).expect("cache readable"),
            written,
            "{name}: the second load rewrote the cache instead of reading it"
        );
    }
    // One file per model, nothing else.
    assert_eq!(files_in(dir.path()).len(), 2, "{:?}", files_in(dir.path()));
}

/// LiteRT 2.1.4's XNNPACK aborts the process when it packs half-precision weights into a
/// cache file ("Unknown constant buffer passed to BuildPackIdentifier", seen with the float
/// fixture), so a half-precision load keeps no cache; its float32 fallback does.
#[test]
fn half_precision_loads_keep_no_weight_cache() {
    let dir = tempfile::tempdir().expect("temp dir");
    let half = load(
        "two_input_float",
        cpu().with_cache_dir(dir.path()).with_half_precision(true),
    );
    match half.model_info().precision {
        Precision::Float32 => assert!(half.model_info().weight_cache.is_some()),
        _ => {
            assert_eq!(half.model_info().weight_cache, None);
            assert!(files_in(dir.path()).is_empty());
        }
    }
    let fallback = load(
        "mobilenet_tiny_int8",
        cpu().with_cache_dir(dir.path()).with_half_precision(true),
    );
    assert_eq!(fallback.model_info().precision, Precision::Float32);
    let cache = fallback
        .model_info()
        .weight_cache
        .expect("the float32 fallback keeps one");
    assert!(cache.to_string_lossy().ends_with("-f32.xnnpack-cache"));
}

#[test]
fn a_cache_dir_that_is_not_a_usable_directory_is_an_invalid_argument() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a file");
    std::fs::write(&file, b"not a directory").expect("writes");
    let quoted = dir.path().join("say \"cheese\"");
    std::fs::create_dir(&quoted).expect("creates");
    for bad in [dir.path().join("missing"), file, quoted] {
        let err = Classifier::from_files(
            "tests/data/mobilenet_tiny_int8.tflite",
            "tests/data/mobilenet_tiny_int8.json",
            cpu().with_cache_dir(&bad),
        )
        .expect_err("refused");
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{bad:?}: {err}"
        );
    }
    // Nothing was written beside them.
    assert_eq!(files_in(dir.path()).len(), 2);
}

#[test]
fn a_directory_with_spaces_and_other_characters_works() {
    let dir = tempfile::tempdir().expect("temp dir");
    let odd = dir.path().join("cache dir #1 = é");
    std::fs::create_dir(&odd).expect("creates");
    let classifier = load("mobilenet_tiny_int8", cpu().with_cache_dir(&odd));
    let cache = classifier.model_info().weight_cache.expect("written");
    assert_eq!(cache.parent(), Some(odd.as_path()));
    assert!(cache.is_file());
}

/// A directory that exists but cannot be written: XNNPACK logs that it cannot keep the
/// cache and the model loads without it, and the classifier says so.
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_cache_dir_loads_without_the_cache() {
    // /proc/self is a directory nobody, root included, can create files in.
    let classifier = load("mobilenet_tiny_int8", cpu().with_cache_dir("/proc/self"));
    assert_eq!(classifier.model_info().weight_cache, None);
    let plain = classify_all(&load("mobilenet_tiny_int8", cpu()));
    assert_eq!(classify_all(&classifier), plain);
}

/// Everything under `root`, as paths relative to it.
#[cfg(feature = "cli")]
fn tree(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for path in files_in(&dir) {
            if path.is_dir() {
                pending.push(path.clone());
            }
            found.push(path.strip_prefix(root).expect("inside").to_path_buf());
        }
    }
    found.sort();
    found
}

/// The real binary in an empty working directory, with its home and temporary directories
/// pointed into that tree: without `--cache-dir` nothing appears anywhere in it; with it,
/// exactly the cache file appears, in the chosen directory.
#[cfg(feature = "cli")]
#[test]
fn the_library_writes_no_file_unless_a_cache_dir_is_given() {
    let root = tempfile::tempdir().expect("temp dir");
    let skeleton: Vec<PathBuf> = ["cache", "home", "tmp", "work"]
        .iter()
        .map(PathBuf::from)
        .collect();
    for dir in &skeleton {
        std::fs::create_dir(root.path().join(dir)).expect("creates");
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |extra: &[&str]| {
        for model in ["two_input_float", "mobilenet_tiny_int8"] {
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_lesionscan"))
                .current_dir(root.path().join("work"))
                .env("HOME", root.path().join("home"))
                .env("TMPDIR", root.path().join("tmp"))
                .env("XDG_CACHE_HOME", root.path().join("home"))
                .arg("classify")
                .args(["--accelerator", "cpu", "--half-precision"])
                .arg("--model")
                .arg(repo.join(format!("tests/data/{model}.tflite")))
                .args(extra)
                .arg(repo.join(PICTURES[0]))
                .output()
                .expect("runs");
            assert!(status.status.success(), "{status:?}");
        }
    };
    run(&[]);
    assert_eq!(
        tree(root.path()),
        skeleton,
        "files appeared without --cache-dir"
    );

    let cache = root.path().join("cache");
    run(&["--cache-dir", cache.to_str().expect("utf-8")]);
    let after = tree(root.path());
    let new: Vec<&PathBuf> = after.iter().filter(|p| !skeleton.contains(p)).collect();
    // The int8 model's cache (half precision falls back to float32, which uses the cache),
    // in the cache directory; the float model runs in half precision where this CPU can,
    // which keeps no cache (see `half_precision_loads_keep_no_weight_cache`).
    assert!(matches!(new.len(), 1 | 2), "{new:?}");
    for path in new {
        assert_eq!(path.parent(), Some(Path::new("cache")), "{path:?}");
    }
}

/// The TFLite C engine (iOS) asks XNNPACK for half precision too and cannot read back what
/// ran, so it compares outputs with a float32 run: TF 2.6, which these tests link, ignores
/// the flag, so the engine must report float32 and give float32's results exactly.
#[cfg(feature = "tflite-c")]
#[test]
fn the_tflite_c_engine_reports_float32_when_its_runtime_ignores_half_precision() {
    use lesionscan::engine::TfLiteCEngine;
    let model = std::fs::read("tests/data/two_input_float.tflite").expect("model");
    let card = std::fs::read_to_string("tests/data/two_input_float.json").expect("card");
    let engine = TfLiteCEngine::new();
    let full = Classifier::with_engine(&engine, &model, &card, cpu()).expect("loads");
    let asked = Classifier::with_engine(&engine, &model, &card, cpu().with_half_precision(true))
        .expect("loads");
    let expected = if TfLiteCEngine::runtime_version().starts_with("2.6.") {
        Precision::Float32
    } else {
        asked.model_info().precision
    };
    assert_eq!(asked.model_info().precision, expected);
    if expected == Precision::Float32 {
        assert_eq!(classify_all(&asked), classify_all(&full));
    } else {
        assert!(
            largest_change(&classify_all(&asked), &classify_all(&full)) <= HALF_PRECISION_BOUND
        );
    }
}
