//! What the command modules share: failures and exit codes, the model and patient
//! arguments, file reading, and the JSON shapes `classify --json`, `info --json` and
//! `serve` all print.
//!
//! This module sits at the bottom of the CLI: it imports no other module of the binary,
//! so no command reaches back into `cli.rs` or `main.rs`.

use std::path::{Path, PathBuf};

use clap::Args;
use lesionscan::{
    Accelerator, BodySite, Classification, ClassifierOptions, Error, ModelInfo, PatientInfo, Sex,
    TensorInfo, DISCLAIMER,
};
use serde::Serialize;
use serde_json::{json, Value};

/// What a failed command reports: the exit code and one line for stderr.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: i32,
    pub(crate) message: String,
}

impl Failure {
    /// Bad arguments or unreadable input (exit code 2).
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
    /// Anything else (exit code 1).
    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }
    /// Classifies a library error: bad input is 2, runtime trouble is 1.
    pub(crate) fn from_error(context: &str, err: &Error) -> Self {
        let message = format!("{context}: {err}");
        match err {
            Error::Engine { .. } | Error::Unsupported { .. } => Self::other(message),
            _ => Self::input(message),
        }
    }
}

/// What a command returns.
pub(crate) type CmdResult = Result<(), Failure>;

/// Which model to load and how.
#[derive(Args, Debug, Clone)]
pub(crate) struct ModelArgs {
    /// The .tflite model (default: the model built into this binary).
    #[arg(long, value_name = "M.tflite")]
    pub(crate) model: Option<PathBuf>,
    /// The model card (default: the .json beside --model, with the same stem).
    #[arg(long, value_name = "M.json")]
    pub(crate) card: Option<PathBuf>,
    /// Which hardware runs the model; falls back to the CPU when it is missing.
    #[arg(long, default_value = "auto", value_parser = parse_accelerator)]
    pub(crate) accelerator: Accelerator,
    /// CPU threads (0: one per core, at most 4).
    #[arg(long, default_value_t = 0)]
    pub(crate) threads: u32,
    /// Ask the CPU to compute in half precision where it can (results say what ran).
    #[arg(long)]
    pub(crate) half_precision: bool,
    /// Keep XNNPACK's packed weights in this directory, for faster later loads (nothing
    /// is written without it).
    #[arg(long, value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

impl ModelArgs {
    /// Classifier options with the accelerator, threads, precision and cache of these
    /// arguments.
    pub(crate) fn options(&self) -> ClassifierOptions {
        let options = ClassifierOptions::default()
            .with_accelerator(self.accelerator)
            .with_threads(self.threads)
            .with_half_precision(self.half_precision);
        match &self.cache_dir {
            Some(dir) => options.with_cache_dir(dir),
            None => options,
        }
    }
}

/// Patient information for models that take it.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct PatientArgs {
    /// Patient age in years.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=120))]
    pub(crate) age: Option<u8>,
    /// Patient sex.
    #[arg(long, value_parser = parse_sex)]
    pub(crate) sex: Option<Sex>,
    /// Body site, in the HAM10000 vocabulary (back, face, "lower extremity", lower_extremity, …).
    #[arg(long, value_parser = parse_site)]
    pub(crate) site: Option<BodySite>,
}

impl PatientArgs {
    /// `None` when no field was given.
    pub(crate) fn patient(&self) -> Option<PatientInfo> {
        patient_or_none(PatientInfo {
            age: self.age,
            sex: self.sex,
            site: self.site,
        })
    }
}

/// `None` for a patient with no field set, so models see "nothing known".
pub(crate) fn patient_or_none(patient: PatientInfo) -> Option<PatientInfo> {
    (patient != PatientInfo::default()).then_some(patient)
}

fn parse_accelerator(s: &str) -> Result<Accelerator, String> {
    s.parse().map_err(|e: Error| e.to_string())
}
fn parse_sex(s: &str) -> Result<Sex, String> {
    s.parse().map_err(|e: Error| e.to_string())
}
fn parse_site(s: &str) -> Result<BodySite, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

/// Reads a whole file; `what` names it in the error ("image", "model card").
pub(crate) fn read(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::input(format!("cannot read {what} {}: {e}", path.display())))
}

/// The JSON object for one classified picture: `classify --json` prints one per line and
/// `serve` answers `POST /api/classify` with it (plus a preview).
#[derive(Serialize)]
pub(crate) struct ResultJson<'a> {
    /// The picture's name: its path for `classify`, the uploaded file name for `serve`.
    pub(crate) file: &'a str,
    #[serde(flatten)]
    pub(crate) result: &'a Classification,
    pub(crate) disclaimer: &'static str,
}

impl<'a> ResultJson<'a> {
    pub(crate) fn new(file: &'a str, result: &'a Classification) -> Self {
        Self {
            file,
            result,
            disclaimer: DISCLAIMER,
        }
    }
}

fn tensor_json(t: &TensorInfo) -> Value {
    json!({
        "name": t.name,
        "shape": t.shape,
        "dtype": t.dtype.name(),
        "quantization": t.quantization.map(|q| json!({"scale": q.scale, "zero_point": q.zero_point})),
    })
}

/// The model description `info --json` prints and `serve` answers `GET /api/model` with:
/// the card, the tensors, the engine and the accelerator that runs it.
pub(crate) fn model_info_json(info: &ModelInfo) -> Result<Value, Failure> {
    let card = serde_json::to_value(&info.card).map_err(|e| Failure::other(e.to_string()))?;
    Ok(json!({
        "card": card,
        "inputs": info.inputs.iter().map(tensor_json).collect::<Vec<_>>(),
        "outputs": info.outputs.iter().map(tensor_json).collect::<Vec<_>>(),
        "engine": info.engine,
        "accelerator": info.accelerator.name(),
        "precision": info.precision.name(),
        "weight_cache": info.weight_cache.as_ref().map(|p| p.display().to_string()),
        "disclaimer": DISCLAIMER,
    }))
}
