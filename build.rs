//! Picks the inference engines for the target, builds their small C++ exception guards,
//! links the TFLite C library when that engine is on, and lets binaries, tests and the
//! cdylib find the runtime libraries without `LD_LIBRARY_PATH`.
//!
//! Engines (the rule lives here and in Cargo.toml's target-specific dependency table):
//! * `lesionscan_litert`: LiteRT, on every target but iOS (litert-sys has no iOS target).
//! * `lesionscan_tflite_c`: the classic TFLite C API, with feature `tflite-c`, and always on
//!   iOS. On iOS nothing is linked here: the app (or the Swift package) links
//!   TensorFlowLiteC.xcframework and TensorFlowLiteCMetal.xcframework, see ios/README.md;
//!   `TFLITE_C_FRAMEWORK_DIR` links them from a folder instead (for `cargo test` on a Mac).
//!   Elsewhere `libtensorflowlite_c` is linked from `TFLITE_C_LIB_DIR`.
//!
//! `litert-sys` (links = "LiteRt") reports the folder it linked against as
//! `DEP_LITERT_LIB_DIR`; a dependency's `-rpath` does not reach our artefacts, so we
//! add it here, plus `$ORIGIN` so a library shipped next to the binary is found too.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(lesionscan_default_model)");
    println!("cargo::rustc-check-cfg=cfg(lesionscan_litert)");
    println!("cargo::rustc-check-cfg=cfg(lesionscan_tflite_c)");
    println!("cargo:rerun-if-changed=src/engine/guard.h");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let litert = target_os != "ios";
    let tflite_c = target_os == "ios" || std::env::var_os("CARGO_FEATURE_TFLITE_C").is_some();
    let mut rpaths = Vec::new();
    if litert {
        println!("cargo:rustc-cfg=lesionscan_litert");
        // Catches C++ exceptions that LiteRT lets escape from its C API (see the file).
        compile_guard("src/engine/litert_guard.cc", "lesionscan_litert_guard");
        println!("cargo:rerun-if-env-changed=DEP_LITERT_LIB_DIR");
        if let Ok(dir) = std::env::var("DEP_LITERT_LIB_DIR") {
            rpaths.push(dir);
        }
    }
    if tflite_c {
        println!("cargo:rustc-cfg=lesionscan_tflite_c");
        compile_guard("src/engine/tflite_c/guard.cc", "lesionscan_tflite_c_guard");
        rpaths.extend(link_tflite_c(&target_os));
    }
    libjpeg_guard();
    embed_default_model();
    if target_os == "linux" || target_os == "android" {
        // DT_RPATH rather than DT_RUNPATH: LiteRT dlopen()s its GPU accelerator library
        // by name, and only an RPATH of the executable reaches such nested dlopen calls.
        println!("cargo:rustc-link-arg=-Wl,--disable-new-dtags");
        println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN");
        for dir in rpaths {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        }
    }
}

/// Builds the C function that calls libjpeg-turbo with its own error handling (see the
/// file), against the headers and configuration `mozjpeg-sys` (links = "jpeg") built
/// its library with, reported as `DEP_JPEG_INCLUDE`.
fn libjpeg_guard() {
    println!("cargo:rerun-if-changed=src/image/libjpeg_guard.c");
    println!("cargo:rerun-if-env-changed=DEP_JPEG_INCLUDE");
    let mut build = cc::Build::new();
    if let Some(dirs) = std::env::var_os("DEP_JPEG_INCLUDE") {
        for dir in std::env::split_paths(&dirs) {
            build.include(dir);
        }
    }
    build
        .file("src/image/libjpeg_guard.c")
        .compile("lesionscan_libjpeg_guard");
}

/// Compiles one engine's C++ exception guard (it includes src/engine/guard.h).
fn compile_guard(file: &str, name: &str) {
    println!("cargo:rerun-if-changed={file}");
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .flag_if_supported("-fexceptions")
        .file(file)
        .compile(name);
}

/// Links the TFLite C library for the tflite-c engine; returns the folder to put in the
/// rpath, if any.
fn link_tflite_c(target_os: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed=TFLITE_C_LIB_DIR");
    println!("cargo:rerun-if-env-changed=TFLITE_C_FRAMEWORK_DIR");
    if target_os == "ios" {
        // Normally Xcode links the frameworks into the app; a staticlib needs nothing here.
        if let Ok(dir) = std::env::var("TFLITE_C_FRAMEWORK_DIR") {
            println!("cargo:rustc-link-search=framework={dir}");
            println!("cargo:rustc-link-lib=framework=TensorFlowLiteC");
            println!("cargo:rustc-link-lib=framework=TensorFlowLiteCMetal");
        }
        return None;
    }
    let file = if target_os == "macos" {
        "libtensorflowlite_c.dylib"
    } else {
        "libtensorflowlite_c.so"
    };
    let dir = std::env::var("TFLITE_C_LIB_DIR").unwrap_or_default();
    let found = !dir.is_empty() && std::path::Path::new(&dir).join(file).is_file();
    if !found {
        // A build script's way to stop with a message the user can act on.
        eprintln!(
            "error: feature `tflite-c` links {file}, which is not in TFLITE_C_LIB_DIR ({dir:?}). \
             On Linux x86-64, `scripts/setup` puts TF 2.6.0's library in .tflite-c/lib, which \
             .cargo/config.toml names; elsewhere set TFLITE_C_LIB_DIR to a folder holding {file}."
        );
        std::process::exit(1);
    }
    println!("cargo:rerun-if-changed={dir}/{file}");
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-lib=dylib=tensorflowlite_c");
    Some(dir)
}

/// The CLI (feature `cli`) embeds the default model named by `models/DEFAULT_MODEL`; the
/// mobile library never does. Tells the compiler where the `.tflite` and card are.
fn embed_default_model() {
    println!("cargo:rerun-if-changed=models/DEFAULT_MODEL");
    // LESIONSCAN_EMBED_DEFAULT_MODEL=0 builds a smaller CLI that needs --model.
    println!("cargo:rerun-if-env-changed=LESIONSCAN_EMBED_DEFAULT_MODEL");
    let opted_out = std::env::var("LESIONSCAN_EMBED_DEFAULT_MODEL").is_ok_and(|v| v == "0");
    if std::env::var_os("CARGO_FEATURE_CLI").is_none() || opted_out {
        return;
    }
    let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let Ok(stem) = std::fs::read_to_string(root.join("models/DEFAULT_MODEL")) else {
        return;
    };
    let stem = stem.trim();
    let model = root.join("models").join(format!("{stem}.tflite"));
    let card = root.join("models").join(format!("{stem}.json"));
    if model.is_file() && card.is_file() {
        println!("cargo:rerun-if-changed={}", model.display());
        println!("cargo:rerun-if-changed={}", card.display());
        println!(
            "cargo:rustc-env=LESIONSCAN_DEFAULT_MODEL={}",
            model.display()
        );
        println!("cargo:rustc-env=LESIONSCAN_DEFAULT_CARD={}", card.display());
        println!("cargo:rustc-cfg=lesionscan_default_model");
    }
}
