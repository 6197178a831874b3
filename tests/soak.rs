//! A short soak in the test suite (`cargo bench --bench soak` is the full one, see
//! benches/README.md): 4 threads x 150 classifications on one `Classifier`, good and bad
//! pictures and frames mixed. Every good result equals the single-threaded one and every
//! bad input gets its typed error. (Memory is judged by the full run only: 600
//! classifications are too few to tell a small leak from the allocator settling.)

#[path = "../benches/soak/run.rs"]
mod run;

use std::path::Path;

#[test]
fn shared_classifier_gives_single_threaded_results_under_mixed_load() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let classifier = run::fixture_classifier(repo);
    let config = run::SoakConfig {
        threads: 4,
        per_thread: 150,
        warm_up_fraction: 0.1,
        max_growth_kib: u64::MAX,
    };
    let report = run::run(&classifier, repo, config);
    println!("{}", report.describe());
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(report.good + report.refused, 600);
    // Both kinds were exercised.
    assert!(report.good > 150 && report.refused > 150, "{report:?}");
}
