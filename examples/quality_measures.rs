//! Prints the quality measures and report of pictures, without running a model: the
//! tool behind `models/tools/quality_calibration.py`, so that thresholds are chosen on the
//! measures the library itself computes.
//!
//! ```text
//! cargo run --release --example quality_measures -- [--card MODEL.json] [--model-size-sharpness] [PICTURE…]
//! ```
//!
//! `--model-size-sharpness` judges focus on the model-sized picture instead of the
//! detail copy (only to show, in the calibration, why the detail copy exists).
//!
//! With no pictures on the command line it reads one path per line from standard input.
//! The picture is prepared as the card's model would see it (input size and crop; default:
//! the default model's card) and judged with the card's thresholds. Prints one JSON
//! object per picture: `file`, `measures` (every raw measure) and `quality` (the report),
//! or `file` and `error`.

use std::io::{BufRead, Write};

use lesionscan::image::prepare_encoded;
use lesionscan::{measure_quality, ImageOptions, ModelCard, TargetSize};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    let mut card_path = format!(
        "{}/models/{}.json",
        env!("CARGO_MANIFEST_DIR"),
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/DEFAULT_MODEL"))?
            .trim()
    );
    let mut files = Vec::new();
    let mut model_size_sharpness = false;
    while let Some(arg) = args.next() {
        if arg == "--model-size-sharpness" {
            model_size_sharpness = true;
        } else if arg == "--card" {
            card_path = args.next().ok_or("--card needs a path")?;
        } else {
            files.push(arg);
        }
    }
    let card = ModelCard::from_json(&std::fs::read_to_string(&card_path)?)?;
    let target = TargetSize {
        width: card.input.width,
        height: card.input.height,
        fit: card.input.fit(),
        resampling: Default::default(),
    };
    if files.is_empty() {
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            if !line.trim().is_empty() {
                files.push(line.trim().to_string());
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for file in files {
        let line = match std::fs::read(&file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                prepare_encoded(&bytes, &ImageOptions::default(), target).map_err(|e| e.to_string())
            }) {
            Ok(mut prepared) => {
                if model_size_sharpness {
                    prepared.detail = None;
                }
                let measures = measure_quality(&prepared);
                serde_json::json!({
                    "file": file,
                    "measures": measures,
                    "quality": measures.judge(&card.quality),
                })
            }
            Err(error) => serde_json::json!({ "file": file, "error": error }),
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}
