//! Arguments, dispatch and exit codes.
//!
//! Exit codes: 0 success, 2 bad arguments or unreadable input, 1 anything else. Each
//! error is one line on stderr.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use lesionscan::{Accelerator, BodySite, Classifier, ClassifierOptions, Error, PatientInfo, Sex};

use crate::{bench, classify, eval, info, model_source};

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

pub(crate) type CmdResult = Result<(), Failure>;

#[derive(Parser, Debug)]
#[command(
    name = "lesionscan",
    version,
    about = "Classify skin-lesion pictures into the 7 HAM10000 classes, on this machine.",
    long_about = "Classify skin-lesion pictures into the 7 HAM10000 classes (akiec, bcc, bkl, df, mel, nv, vasc), \
                  on this machine, with no network.\n\n\
                  NOT A MEDICAL DEVICE: results support a clinician's judgement; they are not a diagnosis."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Classify one or more pictures.
    Classify(classify::ClassifyArgs),
    /// Show the model card, the model's tensors and the accelerator that would run it.
    Info(info::InfoArgs),
    /// Measure load time and per-stage latency.
    Bench(bench::BenchArgs),
    /// Evaluate on labelled pictures in the HAM10000 layout (metadata CSV + image folders).
    Eval(eval::EvalArgs),
}

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
}

impl ModelArgs {
    pub(crate) fn options(&self) -> ClassifierOptions {
        ClassifierOptions::default()
            .with_accelerator(self.accelerator)
            .with_threads(self.threads)
    }

    pub(crate) fn load(&self, options: ClassifierOptions) -> Result<Classifier, Failure> {
        let source = model_source::resolve(self)?;
        Classifier::from_bytes(&source.model, &source.card, options)
            .map_err(|e| Failure::from_error(&format!("cannot load model {}", source.label), &e))
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
    pub(crate) fn patient(&self) -> Option<PatientInfo> {
        if self.age.is_none() && self.sex.is_none() && self.site.is_none() {
            return None;
        }
        Some(PatientInfo {
            age: self.age,
            sex: self.sex,
            site: self.site,
        })
    }
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

fn init_logging() {
    // LESIONSCAN_LOG=info (or debug) shows the library's diagnostics; warnings by default.
    let env = env_logger::Env::new().filter_or("LESIONSCAN_LOG", "warn");
    let _ = env_logger::Builder::from_env(env)
        .format_timestamp(None)
        .target(env_logger::Target::Pipe(Box::new(
            crate::native_stderr::OwnStderr,
        )))
        .try_init();
}

/// Parses the arguments, runs the command and returns the exit code.
pub(crate) fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return code;
        }
    };
    crate::native_stderr::init();
    init_logging();
    let result = match &cli.command {
        Command::Classify(args) => classify::run(args),
        Command::Info(args) => info::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Eval(args) => eval::run(args),
    };
    match result {
        Ok(()) => 0,
        Err(failure) => {
            if !failure.message.is_empty() {
                crate::native_stderr::line(&format!(
                    "lesionscan: {}",
                    failure.message.replace('\n', " ")
                ));
            }
            failure.code
        }
    }
}
