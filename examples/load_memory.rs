//! Where the time and memory of loading a model go: the tool behind the "Memory and load
//! time" section of `benches/README.md`.
//!
//! ```text
//! cargo run --release --example load_memory -- [--threads N] [--read] [--half] \
//!     [--cache DIR] [--classifier] [MODEL.tflite [CARD.json]]
//! ```
//!
//! Default model: the one `models/DEFAULT_MODEL` names. Prints, for each stage, its wall
//! time, the resident set size (RSS) after it and the peak RSS reached during it. The peak
//! is reset before each stage (`5` written to `/proc/self/clear_refs`), so every stage's
//! peak is its own. Linux only.
//!
//! Stages: `open` (map the file, as `Classifier::from_files` does, or with `--read` copy it
//! into the heap, as it did before), `sha256` (the card's checksum check, touching every
//! byte), `load` (the engine parses and compiles the model and runs it once on zeros:
//! LiteRT prepares lazily, so XNNPACK packs the weights and the runtime allocates its
//! tensors in that first run), `second run`, and `drop our bytes` (our reference to the
//! bytes; the session keeps its own). `--classifier` instead times `Classifier::from_files`
//! as a whole. `--half` and `--cache DIR` set `half_precision` and the weight cache.

use std::time::Instant;

use lesionscan::engine::{default_engine, Accelerator, EngineOptions, ModelBytes, TensorData};
use lesionscan::{Classifier, ClassifierOptions};

/// `VmRSS` and `VmHWM` of this process, in MiB.
fn rss_and_peak() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets `VmHWM` to the current RSS, so that the next reading is the next stage's peak.
fn reset_peak() {
    if let Err(err) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak RSS ({err}); peaks are cumulative");
    }
}

fn stage<T>(name: &str, f: impl FnOnce() -> T) -> T {
    reset_peak();
    let start = Instant::now();
    let value = f();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let (rss, peak) = rss_and_peak();
    println!("{name:<24} {ms:>9.1} ms   RSS {rss:>7.1} MiB   peak {peak:>7.1} MiB");
    value
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut threads = 1u32;
    let mut classifier = false;
    let mut read = false;
    let mut half = false;
    let mut cache = None;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a value")?.parse()?,
            "--classifier" => classifier = true,
            "--read" => read = true,
            "--half" => half = true,
            "--cache" => {
                cache = Some(std::path::PathBuf::from(
                    args.next().ok_or("--cache needs a directory")?,
                ))
            }
            _ => paths.push(arg),
        }
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let default_name = std::fs::read_to_string(format!("{root}/models/DEFAULT_MODEL"))?
        .trim()
        .to_string();
    let model_path = paths
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{root}/models/{default_name}.tflite"));
    let card_path = paths
        .get(1)
        .cloned()
        .unwrap_or_else(|| model_path.replace(".tflite", ".json"));
    println!("model {model_path}, {threads} thread(s)");
    let (rss, peak) = rss_and_peak();
    println!(
        "{:<24} {:>12}   RSS {rss:>7.1} MiB   peak {peak:>7.1} MiB",
        "start", ""
    );

    if classifier {
        let mut options = ClassifierOptions::default()
            .with_accelerator(Accelerator::Cpu)
            .with_threads(threads)
            .with_half_precision(half);
        options.cache_dir = cache;
        let loaded = stage("Classifier::from_files", || {
            Classifier::from_files(&model_path, &card_path, options)
        })?;
        let info = loaded.model_info();
        println!(
            "precision {}, weight cache {:?}",
            info.precision, info.weight_cache
        );
        drop(loaded);
        let (rss, _) = rss_and_peak();
        println!("{:<24} {:>12}   RSS {rss:>7.1} MiB", "after drop", "");
        return Ok(());
    }

    let bytes = if read {
        stage("open (read)", || {
            std::fs::read(&model_path).map(ModelBytes::from)
        })?
    } else {
        stage("open (map)", || ModelBytes::map_file(&model_path))?
    };
    stage("sha256", || bytes.sha256());
    let engine = default_engine();
    let options = EngineOptions {
        accelerator: Accelerator::Cpu,
        threads,
        half_precision: half,
        weight_cache_dir: cache,
    };
    let mut session = stage("load (compile, run)", || {
        engine.load_shared(&bytes, &options)
    })?;
    println!(
        "precision {}, weight cache {:?}",
        session.precision(),
        session.weight_cache()
    );
    let zeros = session
        .inputs()
        .iter()
        .map(|info| TensorData::zeros(info.dtype, info.len()))
        .collect::<Result<Vec<_>, _>>()?;
    stage("second run", || session.run(&zeros))?;
    stage("drop our bytes", || drop(bytes));
    Ok(())
}
