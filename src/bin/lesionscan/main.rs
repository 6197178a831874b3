//! `lesionscan`: classify skin-lesion pictures from the command line.
//!
//! Not a medical device: results support a clinician's judgement, they are not a diagnosis.

mod bench;
mod classify;
mod cli;
mod common;
mod eval;
mod info;
mod model_source;
mod native_stderr;
mod serve;

fn main() {
    std::process::exit(cli::run());
}
