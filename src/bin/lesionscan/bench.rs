//! `lesionscan bench`: load time and per-stage latency (median and p90).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use lesionscan::{Frame, ImageOptions, PixelFormat, Plane, Rotation, Timings};
use serde_json::json;

use crate::common::{read, CmdResult, Failure, ModelArgs, PatientArgs};
use crate::model_source;

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    patient: PatientArgs,
    /// Timed runs.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    runs: u32,
    /// Untimed runs first.
    #[arg(long, default_value_t = 3)]
    warmup: u32,
    /// Picture to classify (default: a synthetic 1280x960 JPEG).
    #[arg(long)]
    image: Option<PathBuf>,
    /// Read `--image` as one raw NV21 camera frame of this size (`WIDTHxHEIGHT`: the Y
    /// plane, then interleaved V/U at half size, rows unpadded) and time the frame path.
    #[arg(long, value_name = "WIDTHxHEIGHT", value_parser = parse_size, requires = "image")]
    nv21: Option<(u32, u32)>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// A synthetic camera-sized JPEG: smooth gradients with a dark blob, so decoding and
/// resizing do real work.
fn synthetic_jpeg() -> Result<Vec<u8>, Failure> {
    let (w, h) = (1280u32, 960u32);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let dx = x as f32 - w as f32 / 2.0;
        let dy = y as f32 - h as f32 / 2.0;
        let blob = if dx * dx + dy * dy < 150.0 * 150.0 {
            0.4
        } else {
            1.0
        };
        let r = (200.0 * blob) as u8;
        let g = ((140 + (x * 60 / w)) as f32 * blob) as u8;
        let b = ((110 + (y * 60 / h)) as f32 * blob) as u8;
        image::Rgb([r, g, b])
    });
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Jpeg,
    )
    .map_err(|e| Failure::other(format!("cannot encode the synthetic picture: {e}")))?;
    Ok(bytes)
}

/// `WIDTHxHEIGHT`, both even and non-zero (NV21 is 4:2:0).
fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT"))?;
    let parse = |v: &str| v.trim().parse::<u32>().map_err(|e| format!("{v:?}: {e}"));
    let (w, h) = (parse(w)?, parse(h)?);
    if w == 0 || h == 0 || w % 2 == 1 || h % 2 == 1 || w > 16_384 || h > 16_384 {
        return Err(format!(
            "{w}x{h}: an NV21 frame needs an even width and height, at most 16384"
        ));
    }
    Ok((w, h))
}

/// The planes of an unpadded NV21 frame of `width x height` held in `bytes`.
fn nv21_frame(bytes: &[u8], (width, height): (u32, u32)) -> Result<Frame<'_>, Failure> {
    let luma = width as usize * height as usize;
    let expected = luma + luma / 2;
    if bytes.len() != expected {
        return Err(Failure::input(format!(
            "an NV21 frame of {width}x{height} holds {expected} bytes, the file has {}",
            bytes.len()
        )));
    }
    let (y, vu) = bytes.split_at(luma);
    Ok(Frame {
        width,
        height,
        format: PixelFormat::Nv21,
        planes: vec![
            Plane {
                bytes: y,
                row_stride: width as usize,
                pixel_stride: 1,
            },
            Plane {
                bytes: vu,
                row_stride: width as usize,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R0,
    })
}

/// The value at quantile `q` (0..=1) of sorted `values`, nearest rank.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Stage {
    name: &'static str,
    ms: Vec<f64>,
}

impl Stage {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            ms: Vec::new(),
        }
    }
    fn summary(&mut self) -> (f64, f64) {
        self.ms.sort_by(f64::total_cmp);
        (quantile(&self.ms, 0.5), quantile(&self.ms, 0.9))
    }
}

pub(crate) fn run(args: &BenchArgs) -> CmdResult {
    let picture = match &args.image {
        Some(path) => read(path, "image")?,
        None => synthetic_jpeg()?,
    };
    let load_start = Instant::now();
    let classifier = model_source::load(&args.model, args.model.options())?;
    let load_ms = load_start.elapsed().as_secs_f64() * 1000.0;
    let frame = args
        .nv21
        .map(|size| nv21_frame(&picture, size))
        .transpose()?;
    let options = ImageOptions::default();
    let patient = args.patient.patient();
    let classify = || {
        match &frame {
            Some(frame) => classifier.classify_frame(frame, &options, patient.as_ref()),
            None => classifier.classify_image(&picture, &options, patient.as_ref()),
        }
        .map_err(|e| Failure::from_error("benchmark picture", &e))
    };
    for _ in 0..args.warmup {
        classify()?;
    }
    let mut stages = [
        Stage::new("preprocess"),
        Stage::new("inference"),
        Stage::new("postprocess"),
        Stage::new("total"),
    ];
    let mut accelerator = String::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        let result = classify()?;
        let total = started.elapsed().as_secs_f64() * 1000.0;
        let Timings {
            preprocess_us,
            inference_us,
            postprocess_us,
        } = result.timings;
        for (stage, value) in stages.iter_mut().zip([
            preprocess_us as f64 / 1000.0,
            inference_us as f64 / 1000.0,
            postprocess_us as f64 / 1000.0,
            total,
        ]) {
            stage.ms.push(value);
        }
        accelerator = result.accelerator.name().to_string();
    }
    let card = classifier.card();
    let threads = classifier.options().threads;
    if args.json {
        let mut per_stage = serde_json::Map::new();
        for stage in &mut stages {
            let (median, p90) = stage.summary();
            per_stage.insert(
                stage.name.to_string(),
                json!({"median_ms": median, "p90_ms": p90}),
            );
        }
        let value = json!({
            "model_id": card.id,
            "accelerator": accelerator,
            "precision": classifier.model_info().precision.name(),
            "threads": threads,
            "runs": args.runs,
            "load_ms": load_ms,
            "stages": per_stage,
        });
        println!("{value}");
    } else {
        println!(
            "model {} on {accelerator} ({}), threads {threads} (0 = auto), {} runs",
            card.id,
            classifier.model_info().precision,
            args.runs
        );
        println!("load          {load_ms:>9.2} ms");
        println!("{:<13} {:>9} {:>9}", "stage", "median", "p90");
        for stage in &mut stages {
            let (median, p90) = stage.summary();
            println!("{:<13} {:>6.2} ms {:>6.2} ms", stage.name, median, p90);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{nv21_frame, parse_size, quantile};

    #[test]
    fn nv21_sizes_must_be_even_and_the_file_must_fit_them() {
        assert_eq!(parse_size("1920x1080"), Ok((1920, 1080)));
        for bad in ["1921x1080", "0x2", "1920", "ax2", "32768x2"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        let bytes = vec![0u8; 4 * 2 * 3 / 2];
        let frame = nv21_frame(&bytes, (4, 2)).expect("fits");
        assert_eq!(frame.planes[0].bytes.len(), 8);
        assert_eq!(frame.planes[1].bytes.len(), 4);
        assert!(nv21_frame(&bytes[1..], (4, 2)).is_err());
    }

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&[3.0], 0.9), 3.0);
    }
}
