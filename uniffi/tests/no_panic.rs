//! No panic crosses the FFI.
//!
//! The library's own code has no panic path that input can reach (errors are typed). Two
//! places could still unwind into a caller, and are forced here:
//! - foreign code called from inside a call: a log sink that panics while the library
//!   logs from `from_bytes` and `classify_image`;
//! - an argument the library cannot read, sent through the exported C function exactly
//!   as the generated Kotlin and Swift would send it: an error status comes back, which
//!   the bindings raise as `InternalException` (Kotlin) / their internal
//!   `UniffiInternalError.rustPanic` (Swift).
//!
//! This file is its own test binary, so its global log sink touches no other test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lesionscan_ffi::{
    remove_log_sink, set_log_sink, Classifier, ClassifierOptions, ImageOptions, LesionScanError,
    LogLevel, LogSink, LogSinkError,
};
use uniffi::{Lift, RustBuffer, RustCallStatus, RustCallStatusCode};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/");

fn cpu() -> ClassifierOptions {
    ClassifierOptions {
        accelerator: Some(lesionscan_ffi::Accelerator::Cpu),
        threads: Some(1),
        max_results: None,
        score_threshold: 0.0,
        allow: Vec::new(),
        deny: Vec::new(),
        reject_unusable: false,
        half_precision: false,
        cache_dir: None,
    }
}

const SINK_PANIC: &str = "a log sink that panics";

/// A sink that counts the messages it gets, then panics.
struct PanickingSink(Arc<AtomicUsize>);

impl LogSink for PanickingSink {
    fn log(&self, _level: LogLevel, _target: String, _message: String) -> Result<(), LogSinkError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::panic::panic_any(SINK_PANIC);
    }
}

#[test]
fn a_log_sink_that_panics_does_not_unwind_through_the_call_that_logged() {
    // The panics below are expected: keep them off the test output, and report any other.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&SINK_PANIC) {
            report(info);
        }
    }));
    let heard = Arc::new(AtomicUsize::new(0));
    set_log_sink(Box::new(PanickingSink(Arc::clone(&heard))), LogLevel::Trace);

    let model = std::fs::read(format!("{DATA}mobilenet_tiny_int8.tflite")).expect("fixture");
    let card = std::fs::read_to_string(format!("{DATA}mobilenet_tiny_int8.json")).expect("card");
    let photo = std::fs::read(format!("{DATA}phone_skin_moles.jpg")).expect("photo");
    let image = || ImageOptions {
        roi: None,
        rotation: None,
        decode: None,
    };

    // Each of these logs at least once (a load, a failure, a classification).
    let classifier = Classifier::from_bytes(model.clone(), card.clone(), cpu()).expect("loads");
    let failed = Classifier::from_bytes(model[..model.len() / 2].to_vec(), card, cpu());
    assert!(
        matches!(failed, Err(LesionScanError::InvalidModel { .. })),
        "{failed:?}"
    );
    let result = classifier
        .classify_image(photo.clone(), image(), None)
        .expect("classifies");
    let garbage = classifier.classify_image(vec![0xff, 0xd8, 0xff], image(), None);
    assert!(
        matches!(garbage, Err(LesionScanError::InvalidImage { .. })),
        "{garbage:?}"
    );

    remove_log_sink();
    let after = classifier
        .classify_image(photo, image(), None)
        .expect("classifies");
    assert!(
        heard.load(Ordering::SeqCst) >= 4,
        "the sink was called (and panicked) {} times",
        heard.load(Ordering::SeqCst)
    );
    let probabilities = |c: &lesionscan_ffi::Classification| {
        c.categories
            .iter()
            .map(|c| c.probability.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(probabilities(&result), probabilities(&after), "same answer");
}

// The exported C function behind Kotlin's `qualityIssueCode` / Swift's `qualityIssueCode(issue:)`
// (see ios/Headers/LesionScanFFI.h).
extern "C" {
    fn uniffi_lesionscan_ffi_fn_func_quality_issue_code(
        issue: RustBuffer,
        out_status: &mut RustCallStatus,
    ) -> RustBuffer;
}

#[test]
fn an_argument_the_library_cannot_read_comes_back_as_an_error_status() {
    // Enums travel as a big-endian i32 index from 1; QualityIssue has nothing near 9999.
    let call = |index: i32| {
        let mut status = RustCallStatus::default();
        let issue = RustBuffer::from_vec(index.to_be_bytes().to_vec());
        // SAFETY: a buffer made by this library's allocator, handed over as the bindings
        // hand it (the callee frees it), and a status initialised as they initialise it.
        let returned =
            unsafe { uniffi_lesionscan_ffi_fn_func_quality_issue_code(issue, &mut status) };
        let error = std::mem::ManuallyDrop::into_inner(status.error_buf);
        (status.code, returned, error)
    };

    let (code, returned, error) = call(9999);
    assert_eq!(code, RustCallStatusCode::UnexpectedError);
    returned.destroy();
    let message = <String as Lift<lesionscan_ffi::UniFfiTag>>::try_lift(error).expect("a message");
    assert!(message.contains("QualityIssue"), "{message}");

    // The library carries on: the same entry with a real value.
    let (code, returned, error) = call(1);
    assert_eq!(code, RustCallStatusCode::Success);
    error.destroy();
    let text = <String as Lift<lesionscan_ffi::UniFfiTag>>::try_lift(returned).expect("a code");
    assert!(!text.is_empty() && text.is_ascii(), "{text}");
}
