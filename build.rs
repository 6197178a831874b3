//! Builds the small C++ guard around LiteRT's C API, and lets binaries, tests and the
//! cdylib find `libLiteRt.so` without `LD_LIBRARY_PATH`.
//!
//! `litert-sys` (links = "LiteRt") reports the folder it linked against as
//! `DEP_LITERT_LIB_DIR`; a dependency's `-rpath` does not reach our artefacts, so we
//! add it here, plus `$ORIGIN` so a library shipped next to the binary is found too.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(lesionscan_default_model)");
    println!("cargo:rerun-if-env-changed=DEP_LITERT_LIB_DIR");
    println!("cargo:rerun-if-changed=src/engine/litert_guard.cc");
    println!("cargo:rerun-if-changed=src/engine/guard.h");
    // Catches C++ exceptions that LiteRT lets escape from its C API (see the file).
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .flag_if_supported("-fexceptions")
        .file("src/engine/litert_guard.cc")
        .compile("lesionscan_litert_guard");
    libjpeg_guard();
    embed_default_model();
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os == "android" {
        // DT_RPATH rather than DT_RUNPATH: LiteRT dlopen()s its GPU accelerator library
        // by name, and only an RPATH of the executable reaches such nested dlopen calls.
        println!("cargo:rustc-link-arg=-Wl,--disable-new-dtags");
        println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN");
        if let Ok(dir) = std::env::var("DEP_LITERT_LIB_DIR") {
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
