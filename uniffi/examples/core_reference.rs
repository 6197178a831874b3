//! Classifies a picture with the core's Rust API and prints the result exactly, for the
//! Kotlin tests (`tests/kotlin/run`), which check that the bindings give the same.
//!
//! ```text
//! cargo run -p lesionscan-ffi --example core_reference -- MODEL CARD PICTURE [AGE SEX SITE]
//! ```
//! CPU, one thread (deterministic). Prints one line per category,
//! `category INDEX CODE PROBABILITY_BITS`, then `malignant PROBABILITY_BITS`, where the
//! bits are the `f32`'s IEEE bits in hex, so that the comparison is exact.

use std::process::ExitCode;

use lesionscan::{Accelerator, Classifier, ClassifierOptions, ImageOptions, PatientInfo};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("core_reference: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, card, picture, patient) = match args.as_slice() {
        [model, card, picture] => (model, card, picture, None),
        [model, card, picture, age, sex, site] => {
            let patient = PatientInfo {
                age: Some(age.parse()?),
                sex: Some(sex.parse()?),
                site: Some(site.parse()?),
            };
            (model, card, picture, Some(patient))
        }
        _ => return Err("usage: core_reference MODEL CARD PICTURE [AGE SEX SITE]".into()),
    };
    let options = ClassifierOptions::default()
        .with_accelerator(Accelerator::Cpu)
        .with_threads(1);
    let classifier = Classifier::from_files(model, card, options)?;
    let result = classifier.classify_image(
        &std::fs::read(picture)?,
        &ImageOptions::default(),
        patient.as_ref(),
    )?;
    for category in &result.categories {
        println!(
            "category {} {} {:08x}",
            category.index,
            category.code,
            category.probability.to_bits()
        );
    }
    println!("malignant {:08x}", result.malignant_probability.to_bits());
    Ok(())
}
