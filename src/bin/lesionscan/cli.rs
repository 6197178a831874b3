//! Arguments, dispatch and exit codes.
//!
//! Exit codes: 0 success, 2 bad arguments or unreadable input, 1 anything else. Each
//! error is one line on stderr.

use clap::{Parser, Subcommand};

use crate::{bench, classify, eval, info, native_stderr, serve};

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
    /// Evaluate on labelled pictures (HAM10000 metadata or ISIC 2018 ground truth + image folders).
    Eval(eval::EvalArgs),
    /// Serve a private upload-and-classify web page on this machine (loopback only).
    Serve(serve::ServeArgs),
}

fn init_logging() {
    // LESIONSCAN_LOG=info (or debug) shows the library's diagnostics; warnings by default.
    let env = env_logger::Env::new().filter_or("LESIONSCAN_LOG", "warn");
    let _ = env_logger::Builder::from_env(env)
        .format_timestamp(None)
        .target(env_logger::Target::Pipe(Box::new(native_stderr::OwnStderr)))
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
    native_stderr::init();
    init_logging();
    let result = match &cli.command {
        Command::Classify(args) => classify::run(args),
        Command::Info(args) => info::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(()) => 0,
        Err(failure) => {
            if !failure.message.is_empty() {
                native_stderr::line(&format!(
                    "lesionscan: {}",
                    failure.message.replace('\n', " ")
                ));
            }
            failure.code
        }
    }
}
