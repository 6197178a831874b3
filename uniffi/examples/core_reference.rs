//! Classifies a picture with the core's Rust API and prints the result exactly, for the
//! Kotlin tests (`tests/kotlin/run`), which check that the bindings give the same.
//!
//! ```text
//! cargo run -p lesionscan-ffi --example core_reference -- \
//!     [--exact] [--rotate DEGREES] [--roi X,Y,W,H] MODEL CARD PICTURE [AGE SEX SITE]
//! ```
//! `--exact` decodes every JPEG pixel (`DecodeMode::Exact`), `--rotate` adds a clockwise
//! rotation, `--roi` classifies only that region (fractions of the upright picture).
//! CPU, one thread (deterministic). Prints one line per category,
//! `category INDEX CODE PROBABILITY_BITS`, then `malignant PROBABILITY_BITS`, where the
//! bits are the `f32`'s IEEE bits in hex, so that the comparison is exact.

use std::process::ExitCode;

use lesionscan::{
    Accelerator, Classifier, ClassifierOptions, DecodeMode, ImageOptions, PatientInfo, Roi,
    Rotation,
};

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
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut image = ImageOptions::default();
    while let Some(flag) = args.first().filter(|a| a.starts_with("--")).cloned() {
        args.remove(0);
        match flag.as_str() {
            "--exact" => image.decode = DecodeMode::Exact,
            "--rotate" => image.rotation = Rotation::from_degrees(value(&mut args)?.parse()?)?,
            "--roi" => {
                let parts = value(&mut args)?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<Vec<f32>, _>>()?;
                let [x, y, width, height] = parts[..] else {
                    return Err("--roi takes X,Y,W,H".into());
                };
                image.roi = Some(Roi {
                    x,
                    y,
                    width,
                    height,
                });
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
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
        _ => {
            return Err(
                "usage: core_reference [--exact] [--rotate DEGREES] [--roi X,Y,W,H] MODEL CARD PICTURE [AGE SEX SITE]"
                    .into(),
            )
        }
    };
    let options = ClassifierOptions::default()
        .with_accelerator(Accelerator::Cpu)
        .with_threads(1);
    let classifier = Classifier::from_files(model, card, options)?;
    let result = classifier.classify_image(&std::fs::read(picture)?, &image, patient.as_ref())?;
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

/// The value after an option.
fn value(args: &mut Vec<String>) -> Result<String, Box<dyn std::error::Error>> {
    if args.is_empty() {
        return Err("an option is missing its value".into());
    }
    Ok(args.remove(0))
}
