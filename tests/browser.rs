//! The `lesionscan serve` page end to end in headless Chromium: a photo is dropped on the
//! page, sent with the keyboard, and the page shows the class `classify --json` ranks
//! first, with its bar, the preview, quality, malignancy and the disclaimer. Screenshots
//! go to `target/tmp/browser/`.
//!
//! Needs Debian's `chromium`, Node.js and `playwright-core` in `.tools/browser/` (all
//! installed by `scripts/setup`). Without them the test prints `SKIPPED: …` and passes,
//! unless `LESIONSCAN_REQUIRE_BROWSER=1` or `CI` is set (as `.ci/run` does): then it fails.
#![cfg(feature = "cli")]

#[path = "common/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use server::Server;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const PHOTO: &str = "tests/data/phone_skin_moles.jpg";

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LESIONSCAN_CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| on_path("chromium"))
}

fn node_modules() -> PathBuf {
    Path::new(ROOT).join(".tools/browser/node_modules")
}

fn required() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("LESIONSCAN_REQUIRE_BROWSER") || set("CI")
}

/// The built-in default model's files (models/DEFAULT_MODEL names them).
fn default_model() -> PathBuf {
    let name = std::fs::read_to_string(Path::new(ROOT).join("models/DEFAULT_MODEL"))
        .expect("models/DEFAULT_MODEL");
    Path::new(ROOT).join(format!("models/{}.tflite", name.trim()))
}

#[test]
fn the_page_classifies_a_dropped_photo_in_headless_chromium() {
    let chromium = chromium();
    let node = on_path("node");
    let driver = node_modules().join("playwright-core/package.json");
    let mut missing = Vec::new();
    if chromium.is_none() {
        missing.push("Chromium (/usr/bin/chromium)");
    }
    if node.is_none() {
        missing.push("Node.js (node)");
    }
    if !driver.is_file() {
        missing.push("playwright-core in .tools/browser");
    }
    if !missing.is_empty() {
        let message = format!(
            "the browser test needs {}; run scripts/setup",
            missing.join(", ")
        );
        assert!(
            !required(),
            "{message} (it may not skip: LESIONSCAN_REQUIRE_BROWSER or CI is set)"
        );
        eprintln!("SKIPPED: {message}");
        return;
    }
    let (Some(chromium), Some(node)) = (chromium, node) else {
        unreachable!("checked above");
    };

    let model = default_model();
    let model = model.to_str().expect("utf-8 path");
    let fields = ["--age", "45", "--sex", "female", "--site", "back"];
    let out = Command::new(env!("CARGO_BIN_EXE_lesionscan"))
        .args([
            "classify",
            "--json",
            "--accelerator",
            "cpu",
            "--model",
            model,
        ])
        .args(fields)
        .arg(PHOTO)
        .output()
        .expect("classify runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Value = serde_json::from_slice(&out.stdout).expect("json");
    let top = expected["categories"][0]["code"]
        .as_str()
        .expect("top code");
    let probability = expected["categories"][0]["probability"]
        .as_f64()
        .expect("p");
    let quality = &expected["quality"];
    let unusable = quality["assessed"] == true && quality["usable"] == false;

    let server = Server::start(&["--model", model, "--accelerator", "cpu"]);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let _ = std::fs::remove_dir_all(&shots);
    let mut child = Command::new(node)
        .arg(Path::new(ROOT).join("tests/browser/page.cjs"))
        .env("NODE_PATH", node_modules())
        .env(
            "LESIONSCAN_URL",
            format!("http://127.0.0.1:{}/", server.port),
        )
        .env("LESIONSCAN_PICTURE", Path::new(ROOT).join(PHOTO))
        .env("LESIONSCAN_SCREENSHOTS", &shots)
        .env("LESIONSCAN_CHROMIUM", &chromium)
        .env("EXPECTED_TOP", top)
        .env("EXPECTED_PROBABILITY", probability.to_string())
        .env("EXPECTED_UNUSABLE", if unusable { "1" } else { "0" })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(240) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("node output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser check failed ({:?}):\n{stderr}\n{stdout}",
        out.status
    );
    let report: Value = serde_json::from_str(stdout.trim()).expect("the script's JSON line");
    assert_eq!(report["top"], top);
    for name in ["serve-phone.png", "serve-desktop.png"] {
        let shot = image::open(shots.join(name)).expect("a PNG screenshot");
        assert!(shot.width() >= 390 && shot.height() > 400, "{name}");
    }
    eprintln!("browser check passed; screenshots in {}", shots.display());
}
