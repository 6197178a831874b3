//! `cargo bench --bench soak`: 8 threads x 2,000 classifications on one `Classifier`
//! (the small int8 fixture model), mixing good pictures and NV21 frames with corrupt
//! pictures and frames whose strides lie. Every good result must be identical to the
//! single-threaded one, every bad input refused with its typed error, and resident memory
//! must stay flat: after the first 10 % of classifications it may grow by at most
//! `MAX_GROWTH_KIB`. Prints the memory series; exits non-zero on any failure.
//!
//! Options (after `--`): `--threads N`, `--per-thread N`.

#[path = "run.rs"]
mod run;

use std::path::Path;

/// 4 MiB. A leak of even a few hundred bytes per classification would pass this bound
/// after 16,000 classifications (that is also why the series is printed: a slope shows).
const MAX_GROWTH_KIB: u64 = 4096;

fn main() {
    let mut config = run::SoakConfig {
        threads: 8,
        per_thread: 2000,
        warm_up_fraction: 0.1,
        max_growth_kib: MAX_GROWTH_KIB,
    };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "--threads" => config.threads = pair[1].parse().expect("--threads N"),
            "--per-thread" => config.per_thread = pair[1].parse().expect("--per-thread N"),
            _ => {}
        }
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let classifier = run::fixture_classifier(repo);
    println!(
        "soak: {} threads x {} classifications on one Classifier (mobilenet_tiny_int8, {})",
        config.threads,
        config.per_thread,
        classifier.model_info().accelerator
    );
    let report = run::run(&classifier, repo, config);
    print!("{}", report.describe());
    let mut failed = false;
    for problem in report.problems.iter().take(10) {
        println!("PROBLEM {problem}");
        failed = true;
    }
    if report.growth_kib() > config.max_growth_kib {
        println!(
            "FAIL resident memory grew {} KiB after the warm-up (bound {} KiB)",
            report.growth_kib(),
            config.max_growth_kib
        );
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
    println!(
        "ok: growth {} KiB <= {} KiB",
        report.growth_kib(),
        config.max_growth_kib
    );
}
