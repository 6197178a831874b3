//! Builds the small C++ guard around LiteRT's C API, and lets binaries, tests and the
//! cdylib find `libLiteRt.so` without `LD_LIBRARY_PATH`.
//!
//! `litert-sys` (links = "LiteRt") reports the folder it linked against as
//! `DEP_LITERT_LIB_DIR`; a dependency's `-rpath` does not reach our artefacts, so we
//! add it here, plus `$ORIGIN` so a library shipped next to the binary is found too.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LITERT_LIB_DIR");
    println!("cargo:rerun-if-changed=src/engine/litert_guard.cc");
    // Catches C++ exceptions that LiteRT lets escape from its C API (see the file).
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .flag_if_supported("-fexceptions")
        .file("src/engine/litert_guard.cc")
        .compile("lesionscan_litert_guard");
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
