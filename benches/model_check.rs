//! What checking a model's bytes costs at load (`engine::check_model`: TFLite's flatbuffer
//! verifier and LesionScan's semantic checks, which every engine runs before its runtime
//! sees the bytes), next to the whole load it is part of.
//!
//! `cargo bench --bench model_check`; benches/README.md records the numbers.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use lesionscan::engine::{check_model, Accelerator, Engine, EngineOptions, LiteRtEngine};

/// The default model (`models/DEFAULT_MODEL` names it) and the small int8 fixture.
fn models() -> Vec<(String, Vec<u8>)> {
    let default = std::fs::read_to_string("models/DEFAULT_MODEL").expect("models/DEFAULT_MODEL");
    let default = default.trim().to_string();
    [
        (default.clone(), format!("models/{default}.tflite")),
        (
            "mobilenet_tiny_int8".to_string(),
            "tests/data/mobilenet_tiny_int8.tflite".to_string(),
        ),
    ]
    .into_iter()
    .map(|(name, path)| (name, std::fs::read(&path).expect("model file")))
    .collect()
}

fn model_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("model_check");
    // A load of the default model takes a few hundred ms: one iteration per sample.
    group.sample_size(20).sampling_mode(SamplingMode::Flat);
    let options = EngineOptions {
        accelerator: Accelerator::Cpu,
        threads: 1,
        ..EngineOptions::default()
    };
    for (name, bytes) in models() {
        group.bench_function(format!("check/{name}"), |b| {
            b.iter(|| check_model(&bytes).expect("a real model passes"))
        });
        // The whole engine load, which includes the check.
        group.bench_function(format!("load/{name}"), |b| {
            b.iter(|| LiteRtEngine::new().load(&bytes, &options).expect("loads"))
        });
    }
    group.finish();
}

criterion_group!(benches, model_check);
criterion_main!(benches);
