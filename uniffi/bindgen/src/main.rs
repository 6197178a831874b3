//! `uniffi-bindgen`: generates the Kotlin and Swift bindings from the built library
//! (library mode). Run through `scripts/generate-bindings`, not by hand.

fn main() {
    uniffi::uniffi_bindgen_main()
}
