//! `lesionscan classify`: a table per picture, or one JSON object per line.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use lesionscan::{Classification, ImageOptions, Roi, Rotation, DISCLAIMER};

use crate::common::{read, CmdResult, Failure, ModelArgs, PatientArgs, ResultJson};
use crate::{model_source, native_stderr};

#[derive(Args, Debug)]
pub(crate) struct ClassifyArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    patient: PatientArgs,
    /// Region of interest in fractions of the upright picture: x,y,width,height (e.g. 0.25,0.25,0.5,0.5).
    #[arg(long, value_parser = parse_roi)]
    roi: Option<Roi>,
    /// Extra clockwise rotation after EXIF orientation: 0, 90, 180 or 270.
    #[arg(long, default_value_t = 0, value_parser = parse_rotation_degrees)]
    rotation: i32,
    /// Show at most this many classes.
    #[arg(long)]
    max_results: Option<u32>,
    /// One JSON object per line, one per picture.
    #[arg(long)]
    json: bool,
    /// Pictures to classify (JPEG, PNG, WebP, BMP, TIFF).
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<PathBuf>,
}

fn parse_roi(s: &str) -> Result<Roi, String> {
    let parts: Vec<f32> = s
        .split(',')
        .map(|p| {
            p.trim()
                .parse::<f32>()
                .map_err(|_| format!("{p:?} is not a number"))
        })
        .collect::<Result<_, _>>()?;
    match parts.as_slice() {
        &[x, y, width, height] => Ok(Roi {
            x,
            y,
            width,
            height,
        }),
        _ => Err("expected four numbers: x,y,width,height".into()),
    }
}

fn parse_rotation_degrees(s: &str) -> Result<i32, String> {
    let degrees: i32 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))?;
    Rotation::from_degrees(degrees)
        .map(|_| degrees)
        .map_err(|e| e.to_string())
}

pub(crate) fn run(args: &ClassifyArgs) -> CmdResult {
    let mut options = args.model.options();
    if let Some(max) = args.max_results {
        options = options.with_max_results(max);
    }
    let classifier = model_source::load(&args.model, options)?;
    let image_options = ImageOptions {
        roi: args.roi,
        rotation: Rotation::from_degrees(args.rotation)
            .map_err(|e| Failure::input(e.to_string()))?,
        ..Default::default()
    };
    let patient = args.patient.patient();
    let stdout = std::io::stdout();
    let mut worst: Option<Failure> = None;
    for path in &args.images {
        let outcome = read(path, "image").and_then(|bytes| {
            classifier
                .classify_image(&bytes, &image_options, patient.as_ref())
                .map_err(|e| Failure::from_error(&path.display().to_string(), &e))
        });
        match outcome {
            Ok(result) => {
                let mut out = stdout.lock();
                let written = if args.json {
                    let file = path.display().to_string();
                    serde_json::to_string(&ResultJson::new(&file, &result))
                        .map_err(std::io::Error::other)
                        .and_then(|text| writeln!(out, "{text}"))
                } else {
                    write_table(&mut out, &path.display().to_string(), &result)
                };
                written.map_err(|e| Failure::other(format!("cannot write output: {e}")))?;
            }
            Err(failure) => {
                native_stderr::line(&format!(
                    "lesionscan: {}",
                    failure.message.replace('\n', " ")
                ));
                if worst.as_ref().is_none_or(|w| failure.code > w.code) {
                    worst = Some(failure);
                }
            }
        }
    }
    if !args.json {
        println!("{DISCLAIMER}");
    }
    match worst {
        // Each failed picture already has its line on stderr.
        Some(f) => Err(Failure {
            code: f.code,
            message: String::new(),
        }),
        None => Ok(()),
    }
}

fn write_table(out: &mut impl Write, file: &str, result: &Classification) -> std::io::Result<()> {
    let t = &result.timings;
    let total_ms = (t.preprocess_us + t.inference_us + t.postprocess_us) as f64 / 1000.0;
    writeln!(out, "{file}")?;
    writeln!(
        out,
        "  model {} on {} ({}, {}), {total_ms:.1} ms",
        result.model_id, result.accelerator, result.engine, result.precision
    )?;
    for c in &result.categories {
        let flag = if c.malignant { "  malignant" } else { "" };
        writeln!(
            out,
            "  {:<6} {:>6.1}%  {}{flag}",
            c.code,
            c.probability * 100.0,
            c.name
        )?;
    }
    writeln!(
        out,
        "  malignant classes together: {:.1}%",
        result.malignant_probability * 100.0
    )?;
    let q = &result.quality;
    if q.assessed {
        let measures = format!(
            "sharpness {}, exposure {}",
            q.sharpness.map_or("-".into(), |s| format!("{s:.2}")),
            q.exposure.map_or("-".into(), |e| format!("{e:.2}"))
        );
        if q.usable {
            writeln!(out, "  picture quality: usable ({measures})")?;
        } else {
            let issues: Vec<String> = q
                .issues
                .iter()
                .map(|i| format!("{i}: {}", i.advice()))
                .collect();
            writeln!(
                out,
                "  picture quality: NOT USABLE ({}; {measures})",
                issues.join("; ")
            )?;
        }
    }
    writeln!(out)
}
