//! The LiteRT engine: Google's current TFLite runtime.
//!
//! This is the one module that calls LiteRT's C API. Every call goes through [`check`],
//! which turns a status into a `Result`; every handle is owned by a small RAII wrapper
//! that destroys it exactly once.
//!
//! Why `litert-sys` and not only the safe `litert` crate: `litert` 0.2.1 keeps the
//! options and model handles private and has no thread setting, so compiling a model
//! with a CPU thread count, and reading tensor names and quantisation, needs the raw
//! API. The safe crate is still used for LiteRT's log level.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::{Mutex, Once, OnceLock};

use litert_sys as sys;

use super::policy::{
    byte_len, call_guarded, check_inputs, check_model_header, compile_with_fallback,
    effective_threads, output_from_bytes, static_dim, MAX_TENSOR_BYTES,
};
use super::types::{
    Accelerator, DType, Engine, EngineOptions, Quantization, Session, TensorData, TensorInfo,
};
use crate::error::{Error, Result};

// The guarded entry points of src/engine/litert_guard.cc: the same LiteRT calls, with
// any C++ exception caught and returned as `policy::CAUGHT_EXCEPTION` plus its message.
extern "C" {
    fn lesionscan_create_model_from_buffer(
        buffer: *const c_void,
        size: usize,
        model: *mut sys::LiteRtModel,
        message: *mut c_char,
        message_len: usize,
    ) -> i32;
    fn lesionscan_create_compiled_model(
        env: sys::LiteRtEnvironment,
        model: sys::LiteRtModel,
        options: sys::LiteRtOptions,
        compiled: *mut sys::LiteRtCompiledModel,
        message: *mut c_char,
        message_len: usize,
    ) -> i32;
    fn lesionscan_run_compiled_model(
        compiled: sys::LiteRtCompiledModel,
        signature: usize,
        num_inputs: usize,
        inputs: *mut sys::LiteRtTensorBuffer,
        num_outputs: usize,
        outputs: *mut sys::LiteRtTensorBuffer,
        message: *mut c_char,
        message_len: usize,
    ) -> i32;
}

/// Calls a guarded entry point with a message buffer and turns its result into a
/// `Result`, naming `call` on failure.
fn guarded(call: &str, f: impl FnOnce(*mut c_char, usize) -> i32) -> Result<()> {
    let status = call_guarded("LiteRT", call, |message| {
        f(message.as_mut_ptr().cast(), message.len())
    })?;
    match sys::LiteRtStatus::try_from(status) {
        Ok(status) => check(status, call),
        Err(_) => Err(Error::engine(format!("{call} failed: status {status}"))),
    }
}

/// Runs TFLite models with LiteRT: XNNPACK on the CPU, and the GPU or NPU accelerator
/// where the device has one.
///
/// # Examples
/// ```
/// use lesionscan::engine::{Accelerator, Engine, EngineOptions, LiteRtEngine};
///
/// let model = std::fs::read("tests/data/mobilenet_tiny_int8.tflite").unwrap();
/// let options = EngineOptions { accelerator: Accelerator::Cpu, threads: 1 };
/// let session = LiteRtEngine::new().load(&model, &options).unwrap();
/// assert_eq!(session.inputs()[0].shape, vec![1, 128, 128, 3]);
/// assert_eq!(session.accelerator(), Accelerator::Cpu);
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct LiteRtEngine {
    _private: (),
}

impl LiteRtEngine {
    /// A LiteRT engine. Cheap: nothing is loaded until [`Engine::load`].
    pub fn new() -> Self {
        quiet_runtime_logs();
        Self { _private: () }
    }
}

/// LiteRT logs every compilation at INFO to stderr; keep only its warnings and errors.
fn quiet_runtime_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Err(err) = litert::set_global_log_severity(litert::LogSeverity::Warning) {
            log::debug!("could not lower LiteRT's log level: {err}");
        }
    });
}

impl Engine for LiteRtEngine {
    fn name(&self) -> &'static str {
        "litert"
    }

    fn load(&self, model: &[u8], options: &EngineOptions) -> Result<Box<dyn Session>> {
        check_model_header(model)?;
        let env = shared_environment()?;
        // LiteRT registers and probes accelerators inside the shared environment while
        // compiling; one load at a time keeps that single-threaded. Runs are not locked.
        let _loading = LOADING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let model = ModelHandle::from_bytes(model)?;
        let (inputs, input_types) = model.tensors(Direction::Input)?;
        let (outputs, output_types) = model.tensors(Direction::Output)?;
        let threads = effective_threads(options.threads);
        // The CPU is the last resort: when even it cannot compile the model, the model
        // is what is wrong (damaged, or using operators LiteRT lacks).
        let (compiled, accelerator) = compile_with_fallback(options.accelerator, |accelerator| {
            CompiledModel::new(env, &model, accelerator, threads)
        })
        .map_err(|e| Error::model(format!("LiteRT cannot compile the model for the CPU: {e}")))?;
        let input_buffers = input_types
            .iter()
            .map(|t| TensorBuffer::new_host(env, t))
            .collect::<Result<Vec<_>>>()?;
        let output_buffers = output_types
            .iter()
            .map(|t| TensorBuffer::new_host(env, t))
            .collect::<Result<Vec<_>>>()?;
        log::info!(
            "LiteRT compiled a model with {} input(s), {} output(s) on {accelerator} ({threads} CPU thread(s))",
            inputs.len(),
            outputs.len()
        );
        Ok(Box::new(LiteRtSession {
            input_buffers,
            output_buffers,
            compiled,
            _model: model,
            inputs,
            outputs,
            accelerator,
        }))
    }
}

/// Turns a LiteRT status into a `Result`, naming the call that failed.
fn check(status: sys::LiteRtStatus, call: &str) -> Result<()> {
    if status == sys::kLiteRtStatusOk {
        return Ok(());
    }
    Err(Error::engine(format!(
        "{call} failed: {}",
        status_text(status)
    )))
}

/// Words for the statuses LiteRT returns. (`LiteRtGetStatusString` is declared in the
/// 2.1.4 headers but not exported by the 2.1.4 library, so the names live here.)
fn status_text(status: sys::LiteRtStatus) -> String {
    let text = match status {
        sys::kLiteRtStatusErrorInvalidArgument => "invalid argument",
        sys::kLiteRtStatusErrorMemoryAllocationFailure => "memory allocation failure",
        sys::kLiteRtStatusErrorRuntimeFailure => "runtime failure",
        sys::kLiteRtStatusErrorMissingInputTensor => "missing input tensor",
        sys::kLiteRtStatusErrorUnsupported => "unsupported",
        sys::kLiteRtStatusErrorNotFound => "not found",
        sys::kLiteRtStatusErrorTimeoutExpired => "timeout expired",
        sys::kLiteRtStatusErrorWrongVersion => "wrong version",
        sys::kLiteRtStatusErrorFileIO => "file I/O error",
        sys::kLiteRtStatusErrorInvalidFlatbuffer => "invalid flatbuffer",
        sys::kLiteRtStatusErrorDynamicLoading => {
            "dynamic loading error (accelerator library missing?)"
        }
        sys::kLiteRtStatusErrorCompilation => "compilation error",
        sys::kLiteRtStatusErrorIndexOOB => "index out of bounds",
        sys::kLiteRtStatusErrorUnsupportedRuntimeVersion => "unsupported runtime version",
        _ => return format!("status {status}"),
    };
    text.to_string()
}

/// A `LiteRtEnvironment`: the runtime's hardware context, which LiteRT shares between all
/// compiled models. One is made per process, on first load, and lives as long as the
/// process (see [`shared_environment`]).
struct Environment(NonNull<sys::LiteRtEnvironmentT>);

// SAFETY: LiteRT documents an environment as the context every compiled model of an
// application shares. We never destroy it, and every call that mutates it (compiling a
// model, creating buffers) happens under `LOADING`, so sharing the handle between threads
// cannot race.
unsafe impl Send for Environment {}
// SAFETY: as above.
unsafe impl Sync for Environment {}

impl Environment {
    fn new() -> Result<Self> {
        let mut raw: sys::LiteRtEnvironment = ptr::null_mut();
        // SAFETY: no options are passed (count 0, null array); `raw` is a valid out-pointer.
        check(
            unsafe { sys::LiteRtCreateEnvironment(0, ptr::null(), &mut raw) },
            "LiteRtCreateEnvironment",
        )?;
        NonNull::new(raw)
            .map(Self)
            .ok_or_else(|| Error::engine("LiteRtCreateEnvironment returned null"))
    }
}

/// The process's LiteRT environment. Making one per model would register (and probe) every
/// accelerator again on each load, and LiteRT 2.1.4 leaks a little memory each time an
/// environment is made (seen with valgrind).
fn shared_environment() -> Result<&'static Environment> {
    static SHARED: OnceLock<Result<Environment>> = OnceLock::new();
    SHARED
        .get_or_init(Environment::new)
        .as_ref()
        .map_err(Clone::clone)
}

/// Held while a model loads (see [`LiteRtEngine::load`]).
static LOADING: Mutex<()> = Mutex::new(());

/// Owns a `LiteRtModel` and the bytes it points into.
struct ModelHandle {
    ptr: NonNull<sys::LiteRtModelT>,
    // LiteRtCreateModelFromBuffer does not copy: the bytes live as long as the model.
    _bytes: Box<[u8]>,
}

#[derive(Clone, Copy)]
enum Direction {
    Input,
    Output,
}

impl ModelHandle {
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: Box<[u8]> = bytes.into();
        let mut raw: sys::LiteRtModel = ptr::null_mut();
        // SAFETY: `bytes` is a valid buffer of `bytes.len()` bytes that outlives the model
        // (it is stored beside the handle and dropped after it).
        guarded("LiteRtCreateModelFromBuffer", |message, len| unsafe {
            lesionscan_create_model_from_buffer(
                bytes.as_ptr().cast(),
                bytes.len(),
                &mut raw,
                message,
                len,
            )
        })
        .map_err(|e| Error::model(format!("LiteRT cannot read the model: {e}")))?;
        let ptr = NonNull::new(raw).ok_or_else(|| Error::model("LiteRT returned no model"))?;
        Ok(Self { ptr, _bytes: bytes })
    }

    /// The default signature's inputs or outputs: public descriptions and the raw types
    /// needed to allocate their buffers.
    fn tensors(
        &self,
        direction: Direction,
    ) -> Result<(Vec<TensorInfo>, Vec<sys::LiteRtRankedTensorType>)> {
        let mut signature: sys::LiteRtSignature = ptr::null_mut();
        // SAFETY: valid model handle; index 0 is the default signature every model has.
        check(
            unsafe { sys::LiteRtGetModelSignature(self.ptr.as_ptr(), 0, &mut signature) },
            "LiteRtGetModelSignature",
        )
        .map_err(|e| Error::model(e.to_string()))?;
        if signature.is_null() {
            return Err(Error::model("the model has no signature"));
        }
        let mut count: sys::LiteRtParamIndex = 0;
        // SAFETY: `signature` is non-null and owned by the model, which outlives this call.
        let status = unsafe {
            match direction {
                Direction::Input => sys::LiteRtGetNumSignatureInputs(signature, &mut count),
                Direction::Output => sys::LiteRtGetNumSignatureOutputs(signature, &mut count),
            }
        };
        check(status, "LiteRtGetNumSignatureInputs/Outputs")
            .map_err(|e| Error::model(e.to_string()))?;
        let mut infos = Vec::with_capacity(count);
        let mut types = Vec::with_capacity(count);
        for index in 0..count {
            let mut tensor: sys::LiteRtTensor = ptr::null_mut();
            // SAFETY: index < count; `signature` is valid (see above).
            let status = unsafe {
                match direction {
                    Direction::Input => {
                        sys::LiteRtGetSignatureInputTensorByIndex(signature, index, &mut tensor)
                    }
                    Direction::Output => {
                        sys::LiteRtGetSignatureOutputTensorByIndex(signature, index, &mut tensor)
                    }
                }
            };
            check(status, "LiteRtGetSignatureTensorByIndex")
                .map_err(|e| Error::model(e.to_string()))?;
            if tensor.is_null() {
                return Err(Error::model("the model's signature names a missing tensor"));
            }
            let (info, ranked) = describe_tensor(tensor)?;
            infos.push(info);
            types.push(ranked);
        }
        Ok((infos, types))
    }
}

impl Drop for ModelHandle {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateModelFromBuffer and destroyed once, after the
        // compiled model that references it.
        unsafe { sys::LiteRtDestroyModel(self.ptr.as_ptr()) }
    }
}

/// Reads name, shape, element type and per-tensor quantisation of a model tensor.
fn describe_tensor(tensor: sys::LiteRtTensor) -> Result<(TensorInfo, sys::LiteRtRankedTensorType)> {
    let mut name_ptr: *const c_char = ptr::null();
    // SAFETY: `tensor` is a valid, non-null tensor of a live model.
    check(
        unsafe { sys::LiteRtGetTensorName(tensor, &mut name_ptr) },
        "LiteRtGetTensorName",
    )?;
    let name = if name_ptr.is_null() {
        String::new()
    } else {
        // SAFETY: LiteRT returns a NUL-terminated string owned by the model, alive here.
        unsafe { CStr::from_ptr(name_ptr) }
            .to_string_lossy()
            .into_owned()
    };
    let mut ranked = sys::LiteRtRankedTensorType::default();
    // SAFETY: valid tensor; `ranked` is a valid out-pointer.
    check(
        unsafe { sys::LiteRtGetRankedTensorType(tensor, &mut ranked) },
        "LiteRtGetRankedTensorType",
    )
    .map_err(|_| Error::model(format!("tensor {name:?} has no fixed rank")))?;
    let rank = (ranked.layout.rank() as usize).min(ranked.layout.dimensions.len());
    let mut shape = Vec::with_capacity(rank);
    for &dim in &ranked.layout.dimensions[..rank] {
        shape.push(static_dim(dim.into()));
    }
    let dtype = match ranked.element_type {
        sys::kLiteRtElementTypeFloat32 => DType::F32,
        sys::kLiteRtElementTypeUInt8 => DType::U8,
        sys::kLiteRtElementTypeInt8 => DType::I8,
        sys::kLiteRtElementTypeInt32 => DType::I32,
        sys::kLiteRtElementTypeFloat16 => DType::F16,
        sys::kLiteRtElementTypeInt64 => DType::Other("int64"),
        sys::kLiteRtElementTypeInt16 => DType::Other("int16"),
        sys::kLiteRtElementTypeBool => DType::Other("bool"),
        _ => DType::Other("unknown"),
    };
    let mut quant_type: sys::LiteRtQuantizationTypeId = sys::kLiteRtQuantizationNone;
    // SAFETY: valid tensor and out-pointer.
    check(
        unsafe { sys::LiteRtGetQuantizationTypeId(tensor, &mut quant_type) },
        "LiteRtGetQuantizationTypeId",
    )?;
    let quantization = if quant_type == sys::kLiteRtQuantizationPerTensor {
        let mut q = sys::LiteRtQuantizationPerTensor {
            scale: 0.0,
            zero_point: 0,
        };
        // SAFETY: the tensor is per-tensor quantised (checked above); valid out-pointer.
        check(
            unsafe { sys::LiteRtGetPerTensorQuantization(tensor, &mut q) },
            "LiteRtGetPerTensorQuantization",
        )?;
        Some(Quantization {
            scale: q.scale,
            zero_point: q.zero_point,
        })
    } else {
        None
    };
    // Buffers need a static shape: run a dynamic batch dimension as 1.
    for dim in &mut ranked.layout.dimensions[..rank] {
        if *dim < 1 {
            *dim = 1;
        }
    }
    Ok((
        TensorInfo {
            name,
            shape,
            dtype,
            quantization,
        },
        ranked,
    ))
}

/// Owns a `LiteRtOptions`.
struct Options(NonNull<sys::LiteRtOptionsT>);

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateOptions, destroyed once.
        unsafe { sys::LiteRtDestroyOptions(self.0.as_ptr()) }
    }
}

/// Frees the TOML payload handed to LiteRT as an opaque option.
unsafe extern "C" fn free_toml_payload(payload: *mut c_void) {
    if !payload.is_null() {
        // SAFETY: the payload was made by `CString::into_raw` in `cpu_options` and LiteRT
        // calls this destructor once.
        drop(unsafe { CString::from_raw(payload.cast()) });
    }
}

impl Options {
    fn new(accelerator: Accelerator, threads: u32) -> Result<Self> {
        let mut raw: sys::LiteRtOptions = ptr::null_mut();
        // SAFETY: valid out-pointer.
        check(
            unsafe { sys::LiteRtCreateOptions(&mut raw) },
            "LiteRtCreateOptions",
        )?;
        let options = NonNull::new(raw)
            .map(Self)
            .ok_or_else(|| Error::engine("LiteRtCreateOptions returned null"))?;
        let bits = match accelerator {
            Accelerator::Cpu | Accelerator::Auto => sys::kLiteRtHwAcceleratorCpu,
            Accelerator::Gpu => sys::kLiteRtHwAcceleratorGpu,
            Accelerator::Npu => sys::kLiteRtHwAcceleratorNpu,
        };
        // SAFETY: valid options handle.
        check(
            unsafe {
                sys::LiteRtSetOptionsHardwareAccelerators(
                    options.0.as_ptr(),
                    bits as sys::LiteRtHwAcceleratorSet,
                )
            },
            "LiteRtSetOptionsHardwareAccelerators",
        )?;
        options.add_cpu_threads(threads)?;
        Ok(options)
    }

    /// LiteRT reads CPU (XNNPACK) settings from an opaque option identified as
    /// `xnnpack` whose payload is a TOML string.
    fn add_cpu_threads(&self, threads: u32) -> Result<()> {
        let payload = CString::new(format!("num_threads = {threads}"))
            .map_err(|_| Error::engine("thread option is not a C string"))?
            .into_raw();
        let mut opaque: sys::LiteRtOpaqueOptions = ptr::null_mut();
        // SAFETY: the identifier is a static C string; on success LiteRT owns `payload`
        // and frees it with `free_toml_payload`.
        let status = unsafe {
            sys::LiteRtCreateOpaqueOptions(
                c"xnnpack".as_ptr(),
                payload.cast(),
                Some(free_toml_payload),
                &mut opaque,
            )
        };
        if status != sys::kLiteRtStatusOk || opaque.is_null() {
            // SAFETY: LiteRT did not take the payload; reclaim it exactly once.
            unsafe { free_toml_payload(payload.cast()) };
            return Err(Error::engine(format!(
                "LiteRtCreateOpaqueOptions failed: {}",
                status_text(status)
            )));
        }
        // SAFETY: both handles are valid; on success `options` takes ownership of `opaque`.
        let status = unsafe { sys::LiteRtAddOpaqueOptions(self.0.as_ptr(), opaque) };
        if status != sys::kLiteRtStatusOk {
            // SAFETY: ownership was not transferred; destroy it (this frees the payload).
            unsafe { sys::LiteRtDestroyOpaqueOptions(opaque) };
            return Err(Error::engine(format!(
                "LiteRtAddOpaqueOptions failed: {}",
                status_text(status)
            )));
        }
        Ok(())
    }
}

/// Owns a `LiteRtCompiledModel`.
struct CompiledModel(NonNull<sys::LiteRtCompiledModelT>);

impl CompiledModel {
    fn new(
        env: &Environment,
        model: &ModelHandle,
        accelerator: Accelerator,
        threads: u32,
    ) -> Result<Self> {
        let options = Options::new(accelerator, threads)?;
        let mut raw: sys::LiteRtCompiledModel = ptr::null_mut();
        // SAFETY: all three handles are valid; the options are only read during the call.
        guarded("LiteRtCreateCompiledModel", |message, len| unsafe {
            lesionscan_create_compiled_model(
                env.0.as_ptr(),
                model.ptr.as_ptr(),
                options.0.as_ptr(),
                &mut raw,
                message,
                len,
            )
        })?;
        NonNull::new(raw)
            .map(Self)
            .ok_or_else(|| Error::engine("LiteRtCreateCompiledModel returned null"))
    }
}

impl Drop for CompiledModel {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateCompiledModel, destroyed once, before the model
        // and environment it uses.
        unsafe { sys::LiteRtDestroyCompiledModel(self.0.as_ptr()) }
    }
}

/// Owns a host-memory `LiteRtTensorBuffer`.
struct TensorBuffer {
    ptr: NonNull<sys::LiteRtTensorBufferT>,
    size: usize,
}

impl TensorBuffer {
    fn new_host(env: &Environment, tensor_type: &sys::LiteRtRankedTensorType) -> Result<Self> {
        let size = byte_size(tensor_type)?;
        let mut raw: sys::LiteRtTensorBuffer = ptr::null_mut();
        // SAFETY: valid environment and tensor type; LiteRT allocates and owns the memory.
        check(
            unsafe {
                sys::LiteRtCreateManagedTensorBuffer(
                    env.0.as_ptr(),
                    sys::kLiteRtTensorBufferTypeHostMemory,
                    tensor_type,
                    size,
                    &mut raw,
                )
            },
            "LiteRtCreateManagedTensorBuffer",
        )?;
        let ptr = NonNull::new(raw)
            .ok_or_else(|| Error::engine("LiteRtCreateManagedTensorBuffer returned null"))?;
        let mut actual = 0usize;
        // SAFETY: valid buffer handle.
        check(
            unsafe { sys::LiteRtGetTensorBufferSize(ptr.as_ptr(), &mut actual) },
            "LiteRtGetTensorBufferSize",
        )?;
        let buffer = Self { ptr, size: actual };
        if actual < size {
            return Err(Error::engine(format!(
                "tensor buffer holds {actual} bytes, {size} needed"
            )));
        }
        Ok(buffer)
    }

    /// Locks the buffer and hands its first `len` bytes to `f`.
    fn with_bytes<R>(
        &self,
        mode: sys::LiteRtTensorBufferLockMode,
        len: usize,
        f: impl FnOnce(*mut u8) -> R,
    ) -> Result<R> {
        if len > self.size {
            return Err(Error::engine(format!(
                "{len} bytes do not fit a {}-byte tensor buffer",
                self.size
            )));
        }
        let mut host: *mut c_void = ptr::null_mut();
        // SAFETY: valid buffer handle and out-pointer.
        check(
            unsafe { sys::LiteRtLockTensorBuffer(self.ptr.as_ptr(), &mut host, mode) },
            "LiteRtLockTensorBuffer",
        )?;
        let result = if host.is_null() {
            None
        } else {
            Some(f(host.cast()))
        };
        // SAFETY: the buffer was locked just above.
        let status = unsafe { sys::LiteRtUnlockTensorBuffer(self.ptr.as_ptr()) };
        let result =
            result.ok_or_else(|| Error::engine("LiteRtLockTensorBuffer returned null memory"))?;
        check(status, "LiteRtUnlockTensorBuffer")?;
        Ok(result)
    }

    fn write(&mut self, data: &TensorData) -> Result<()> {
        let bytes: &[u8] = match data {
            TensorData::F32(v) => as_bytes(v),
            TensorData::U8(v) => v,
            TensorData::I8(v) => as_bytes(v),
        };
        self.with_bytes(sys::kLiteRtTensorBufferLockModeWrite, bytes.len(), |dst| {
            // SAFETY: `dst` points to at least `self.size >= bytes.len()` writable bytes
            // (checked in with_bytes) and does not overlap `bytes`.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) }
        })
    }

    fn read(&self, info: &TensorInfo) -> Result<TensorData> {
        let len = byte_len(info)?;
        let bytes = self.with_bytes(sys::kLiteRtTensorBufferLockModeRead, len, |src| {
            // SAFETY: `src` points to at least `len` readable bytes (checked in
            // with_bytes), locked for reading while this closure copies them out.
            unsafe { std::slice::from_raw_parts(src.cast_const(), len) }.to_vec()
        })?;
        output_from_bytes(info, &bytes)
    }
}

impl Drop for TensorBuffer {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateManagedTensorBuffer, destroyed once.
        unsafe { sys::LiteRtDestroyTensorBuffer(self.ptr.as_ptr()) }
    }
}

fn as_bytes<T: Copy>(values: &[T]) -> &[u8] {
    // SAFETY: f32 and i8 have no padding and every byte of them is initialised; the
    // slice covers exactly the memory of `values`.
    unsafe {
        std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
    }
}

fn byte_size(tensor_type: &sys::LiteRtRankedTensorType) -> Result<usize> {
    let element = match tensor_type.element_type {
        sys::kLiteRtElementTypeFloat32 | sys::kLiteRtElementTypeInt32 => 4,
        sys::kLiteRtElementTypeUInt8
        | sys::kLiteRtElementTypeInt8
        | sys::kLiteRtElementTypeBool => 1,
        sys::kLiteRtElementTypeFloat16 | sys::kLiteRtElementTypeInt16 => 2,
        sys::kLiteRtElementTypeInt64 => 8,
        _ => {
            return Err(Error::unsupported(
                "a model tensor of an unusual element type",
            ))
        }
    };
    let rank = (tensor_type.layout.rank() as usize).min(tensor_type.layout.dimensions.len());
    tensor_type.layout.dimensions[..rank]
        .iter()
        .try_fold(element, |acc: usize, &d| {
            acc.checked_mul(static_dim(d.into()))
        })
        .filter(|&n| n <= MAX_TENSOR_BYTES)
        .ok_or_else(|| Error::model("a tensor is larger than 1 GiB"))
}

/// A compiled model with its input and output buffers.
///
/// Fields drop in declaration order: buffers, then the compiled model, then the model,
/// which is the order LiteRT needs; the environment outlives them all.
struct LiteRtSession {
    input_buffers: Vec<TensorBuffer>,
    output_buffers: Vec<TensorBuffer>,
    compiled: CompiledModel,
    _model: ModelHandle,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
    accelerator: Accelerator,
}

// SAFETY: every handle in the session is owned by it alone and used only through
// `&mut self` (run) or read-only metadata, so moving the session to another thread
// cannot race; LiteRT's handles carry no thread affinity on the CPU path. It is not
// Sync: one session never runs on two threads at once.
unsafe impl Send for LiteRtSession {}

impl Session for LiteRtSession {
    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    fn accelerator(&self) -> Accelerator {
        self.accelerator
    }

    fn run(&mut self, inputs: &[TensorData]) -> Result<Vec<TensorData>> {
        check_inputs(&self.inputs, inputs)?;
        for (buffer, data) in self.input_buffers.iter_mut().zip(inputs) {
            buffer.write(data)?;
        }
        let mut input_ptrs: Vec<sys::LiteRtTensorBuffer> =
            self.input_buffers.iter().map(|b| b.ptr.as_ptr()).collect();
        let mut output_ptrs: Vec<sys::LiteRtTensorBuffer> =
            self.output_buffers.iter().map(|b| b.ptr.as_ptr()).collect();
        // SAFETY: the compiled model and every buffer are valid and sized for the
        // model's signature 0; the pointer arrays live across the call.
        guarded("LiteRtRunCompiledModel", |message, len| unsafe {
            lesionscan_run_compiled_model(
                self.compiled.0.as_ptr(),
                0,
                input_ptrs.len(),
                input_ptrs.as_mut_ptr(),
                output_ptrs.len(),
                output_ptrs.as_mut_ptr(),
                message,
                len,
            )
        })?;
        self.output_buffers
            .iter()
            .zip(&self.outputs)
            .map(|(buffer, info)| buffer.read(info))
            .collect()
    }
}
