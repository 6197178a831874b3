//! `lesionscan serve`: a private upload-and-classify page on this machine.
//!
//! The page and its API are served by axum on a small tokio runtime. It listens on
//! 127.0.0.1 unless `--allow-remote` says otherwise: the pictures are patients' skin, and
//! a loopback address keeps them on this machine. Uploads are held in memory only, never
//! written to disk and never logged. One `Classifier` serves every request; decoding and
//! inference run on tokio's blocking pool.

mod preview;
mod routes;
mod types;
mod upload;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use clap::Args;
use lesionscan::{BodySite, TargetSize};

use crate::common::{model_info_json, CmdResult, Failure, ModelArgs};
use crate::{model_source, native_stderr};
use types::{human_bytes, AppState};

const PAGE: &str = include_str!("web/index.html");

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Port to listen on (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on. Anything but a loopback address needs --allow-remote.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// Allow --bind to a non-loopback address, so other machines can send pictures.
    #[arg(long)]
    allow_remote: bool,
    /// Largest picture accepted, in MiB.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_upload_mb: u32,
}

pub(crate) fn run(args: &ServeArgs) -> CmdResult {
    let loopback = args.bind.is_loopback();
    if !loopback && !args.allow_remote {
        return Err(Failure::input(format!(
            "refusing to listen on {}: pictures of patients' skin should not leave this machine; \
             use a loopback address (127.0.0.1, ::1) or pass --allow-remote",
            args.bind
        )));
    }
    // Bind before loading the model, so a busy port fails at once.
    let listener = TcpListener::bind(SocketAddr::new(args.bind, args.port)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            Failure::input(format!(
                "port {} on {} is already in use; choose another with --port",
                args.port, args.bind
            ))
        } else {
            Failure::input(format!("cannot listen on {}:{}: {e}", args.bind, args.port))
        }
    })?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::other(format!("cannot read the listening address: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Failure::other(format!("cannot set up the socket: {e}")))?;

    let classifier = model_source::load(&args.model, args.model.options())?;
    let input = &classifier.card().input;
    let target = TargetSize {
        width: input.width,
        height: input.height,
        fit: input.fit(),
        resampling: Default::default(),
    };
    let model_id = classifier.card().id.clone();
    let max_upload = args.max_upload_mb as usize * 1024 * 1024;
    let mut model_json = model_info_json(&classifier.model_info())?;
    model_json["max_upload_bytes"] = max_upload.into();
    let state = Arc::new(AppState {
        classifier,
        target,
        model_json,
        page: page(),
        max_upload,
    });

    // A client that goes away mid-answer must cost an error on that socket, not the process.
    native_stderr::ignore_sigpipe();
    if !loopback {
        native_stderr::line(&format!(
            "lesionscan: WARNING: listening on {address}: any machine that can reach it can send \
             pictures, and they travel unencrypted (plain HTTP)"
        ));
    }
    println!(
        "lesionscan serve: http://{address}/ (model {model_id}, pictures up to {}; Ctrl-C stops)",
        human_bytes(max_upload)
    );
    let _ = std::io::stdout().flush();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Each request uses two blocking tasks (classification and preview); a few at a
        // time bound the memory that decoding large photos takes.
        .max_blocking_threads(4)
        .thread_name("lesionscan-serve")
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the server: {e}")))?;
    runtime
        .block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, routes::router(state, loopback)).await
        })
        .map_err(|e| Failure::other(format!("the server stopped: {e}")))
}

/// The page with the body-site choices filled in.
fn page() -> String {
    let options: String = BodySite::ALL
        .iter()
        // The blank choice already means "not known".
        .filter(|site| **site != BodySite::Unknown)
        .map(|site| {
            let name = site.as_str();
            format!("<option value=\"{name}\">{name}</option>")
        })
        .collect();
    PAGE.replace("<!--SITE_OPTIONS-->", &options)
}
