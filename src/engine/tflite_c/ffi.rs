//! Hand-written declarations of exactly the classic TFLite C API functions the engine
//! calls (`tensorflow/lite/c/c_api.h`, unchanged from TF 2.6, the library tested here, to
//! TF 2.17, the iOS framework), the guarded wrappers of `guard.cc`, and on iOS the Metal
//! delegate (`TensorFlowLiteCMetal`'s `metal_delegate.h`).
//!
//! No binding generator: the handful of signatures is easier to check against the headers
//! by eye than a generated file, and they are all that the engine may call.

use std::ffi::{c_char, c_int, c_void};

/// `TfLiteModel`: an immutable parsed model (opaque).
#[repr(C)]
pub(super) struct TfLiteModel {
    _opaque: [u8; 0],
}

/// `TfLiteInterpreterOptions` (opaque).
#[repr(C)]
pub(super) struct TfLiteInterpreterOptions {
    _opaque: [u8; 0],
}

/// `TfLiteInterpreter` (opaque).
#[repr(C)]
pub(super) struct TfLiteInterpreter {
    _opaque: [u8; 0],
}

/// `TfLiteTensor`: only ever handled by pointer through the accessor functions.
#[repr(C)]
pub(super) struct TfLiteTensor {
    _opaque: [u8; 0],
}

/// `TfLiteDelegate`: only ever handled by pointer.
#[repr(C)]
pub(super) struct TfLiteDelegate {
    _opaque: [u8; 0],
}

/// `TfLiteQuantizationParams` (`common.h`): per-tensor scale and zero point; both 0 for a
/// tensor that is not quantised.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) struct TfLiteQuantizationParams {
    pub(super) scale: f32,
    pub(super) zero_point: i32,
}

/// `TfLiteStatus` is a C enum; `kTfLiteOk` is 0, every other value is a failure.
pub(super) type TfLiteStatus = c_int;
pub(super) const TFLITE_OK: TfLiteStatus = 0;

/// `TfLiteType` (a C enum, `common.h`): the values the engine maps.
pub(super) type TfLiteType = c_int;
pub(super) const TFLITE_FLOAT32: TfLiteType = 1;
pub(super) const TFLITE_INT32: TfLiteType = 2;
pub(super) const TFLITE_UINT8: TfLiteType = 3;
pub(super) const TFLITE_INT64: TfLiteType = 4;
pub(super) const TFLITE_BOOL: TfLiteType = 6;
pub(super) const TFLITE_INT16: TfLiteType = 7;
pub(super) const TFLITE_INT8: TfLiteType = 9;
pub(super) const TFLITE_FLOAT16: TfLiteType = 10;

/// `ErrorLogData` in mod.rs is shared with `LesionScanErrorLog` in guard.cc.
#[repr(C)]
pub(super) struct ErrorLogData {
    pub(super) text: [u8; 1024],
    pub(super) len: usize,
}

extern "C" {
    pub(super) fn TfLiteVersion() -> *const c_char;
    pub(super) fn TfLiteModelDelete(model: *mut TfLiteModel);

    pub(super) fn TfLiteInterpreterOptionsCreate() -> *mut TfLiteInterpreterOptions;
    pub(super) fn TfLiteInterpreterOptionsDelete(options: *mut TfLiteInterpreterOptions);
    pub(super) fn TfLiteInterpreterOptionsSetNumThreads(
        options: *mut TfLiteInterpreterOptions,
        num_threads: i32,
    );
    pub(super) fn TfLiteInterpreterOptionsAddDelegate(
        options: *mut TfLiteInterpreterOptions,
        delegate: *mut TfLiteDelegate,
    );

    pub(super) fn TfLiteInterpreterDelete(interpreter: *mut TfLiteInterpreter);
    pub(super) fn TfLiteInterpreterGetInputTensorCount(
        interpreter: *const TfLiteInterpreter,
    ) -> i32;
    pub(super) fn TfLiteInterpreterGetInputTensor(
        interpreter: *const TfLiteInterpreter,
        input_index: i32,
    ) -> *mut TfLiteTensor;
    pub(super) fn TfLiteInterpreterGetOutputTensorCount(
        interpreter: *const TfLiteInterpreter,
    ) -> i32;
    pub(super) fn TfLiteInterpreterGetOutputTensor(
        interpreter: *const TfLiteInterpreter,
        output_index: i32,
    ) -> *const TfLiteTensor;

    pub(super) fn TfLiteTensorType(tensor: *const TfLiteTensor) -> TfLiteType;
    pub(super) fn TfLiteTensorNumDims(tensor: *const TfLiteTensor) -> i32;
    pub(super) fn TfLiteTensorDim(tensor: *const TfLiteTensor, dim_index: i32) -> i32;
    pub(super) fn TfLiteTensorByteSize(tensor: *const TfLiteTensor) -> usize;
    pub(super) fn TfLiteTensorName(tensor: *const TfLiteTensor) -> *const c_char;
    pub(super) fn TfLiteTensorQuantizationParams(
        tensor: *const TfLiteTensor,
    ) -> TfLiteQuantizationParams;
    pub(super) fn TfLiteTensorCopyFromBuffer(
        tensor: *mut TfLiteTensor,
        input_data: *const c_void,
        input_data_size: usize,
    ) -> TfLiteStatus;
    pub(super) fn TfLiteTensorCopyToBuffer(
        output_tensor: *const TfLiteTensor,
        output_data: *mut c_void,
        output_data_size: usize,
    ) -> TfLiteStatus;
}

// guard.cc: the calls that can throw, each returning `policy::CAUGHT_EXCEPTION` with the
// exception's text in `message` when it did, else 0 or the runtime's status.
extern "C" {
    pub(super) fn lesionscan_tflite_set_error_reporter(
        options: *mut TfLiteInterpreterOptions,
        log: *mut ErrorLogData,
    );
    pub(super) fn lesionscan_tflite_model_create(
        model_data: *const c_void,
        model_size: usize,
        model: *mut *mut TfLiteModel,
        message: *mut c_char,
        message_len: usize,
    ) -> c_int;
    pub(super) fn lesionscan_tflite_interpreter_create(
        model: *const TfLiteModel,
        options: *const TfLiteInterpreterOptions,
        interpreter: *mut *mut TfLiteInterpreter,
        message: *mut c_char,
        message_len: usize,
    ) -> c_int;
    pub(super) fn lesionscan_tflite_allocate_tensors(
        interpreter: *mut TfLiteInterpreter,
        message: *mut c_char,
        message_len: usize,
    ) -> c_int;
    pub(super) fn lesionscan_tflite_invoke(
        interpreter: *mut TfLiteInterpreter,
        message: *mut c_char,
        message_len: usize,
    ) -> c_int;
}

// xnnpack_delegate.h. Its options struct grew between releases: TF 2.6 has
// `{ int32_t num_threads; uint32_t flags; }`, 2.17 to 2.19 add a weights cache, a flag for
// variable operators and a cache file path after those two, and later LiteRT releases insert
// `uint32_t runtime_flags` before `flags`. So `num_threads` is at offset 0 in all of them and
// `flags` at offset 4 from 2.6 to 2.19 (`HALF_PRECISION_RUNTIMES` in mod.rs). The engine
// passes a zeroed buffer larger than any release's struct with only those set: the delegate
// copies its own struct's size from it, and zero means "off" or "none" for every other field.
// On iOS the framework applies XNNPACK itself; the engine makes its own delegate there only
// for half precision (see mod.rs). TensorFlowLiteC.framework exports both functions.
extern "C" {
    pub(super) fn TfLiteXNNPackDelegateCreate(options: *const c_void) -> *mut TfLiteDelegate;
    pub(super) fn TfLiteXNNPackDelegateDelete(delegate: *mut TfLiteDelegate);
}

/// A zeroed stand-in for `TfLiteXNNPackDelegateOptions` of the releases above.
#[repr(C, align(8))]
pub(super) struct XnnpackOptionsBuffer {
    pub(super) num_threads: i32,
    pub(super) flags: u32,
    pub(super) rest: [u8; 248],
}

/// `TFLITE_XNNPACK_DELEGATE_FLAG_QS8 | _QU8`: int8 and uint8 operators on XNNPACK, the
/// defaults of the iOS runtime's own XNNPACK delegate.
#[cfg(target_os = "ios")]
pub(super) const XNNPACK_QUANTIZED_FLAGS: u32 = 0x1 | 0x2;
/// `TFLITE_XNNPACK_DELEGATE_FLAG_FORCE_FP16` (known from TF 2.9 on; older releases ignore
/// the bit, which `TfLiteCEngine` detects).
pub(super) const XNNPACK_FORCE_FP16: u32 = 0x4;

// metal_delegate.h (TensorFlowLiteCMetal.framework). `options` may be null: the header
// documents that null means its defaults (no precision loss, passive wait), and the 2.17
// implementation then uses `TFLGpuDelegateOptionsDefault()`, which also allows quantised
// models. Passing null keeps the struct's layout out of this file.
#[cfg(target_os = "ios")]
extern "C" {
    pub(super) fn TFLGpuDelegateCreate(options: *const c_void) -> *mut TfLiteDelegate;
    pub(super) fn TFLGpuDelegateDelete(delegate: *mut TfLiteDelegate);
}
