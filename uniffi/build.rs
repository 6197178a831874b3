//! Lets the `cdylib` find `libLiteRt.so` wherever it is loaded from.
//!
//! On Linux (the JVM tests) the library (and this crate's examples and tests) get a DT_RPATH to `$ORIGIN` and to the folder
//! it was linked against (`LITERT_LIB_DIR`, set by `.cargo/config.toml` to
//! `.litert/lib`), so JNA's `dlopen` finds the runtime without `LD_LIBRARY_PATH`. On
//! Android both libraries sit in the APK's native library folder, which the loader
//! searches anyway; on iOS the library is static.
fn main() {
    println!("cargo:rerun-if-env-changed=LITERT_LIB_DIR");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        // DT_RPATH rather than DT_RUNPATH: LiteRT dlopen()s its accelerator libraries by
        // name, and only an RPATH reaches such nested dlopen calls.
        println!("cargo:rustc-link-arg=-Wl,--disable-new-dtags");
        println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN");
        if let Ok(dir) = std::env::var("LITERT_LIB_DIR") {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        }
    }
}
