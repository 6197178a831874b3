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
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::{Mutex, Once, OnceLock};

use litert_sys as sys;

use super::bytes::ModelBytes;
use super::policy::{
    byte_len, call_guarded, check_inputs, check_model_header, compile_with_fallback,
    effective_threads, output_from_bytes, static_dim, trial_run, weight_cache_file,
    MAX_TENSOR_BYTES,
};
use super::types::{
    Accelerator, DType, Engine, EngineOptions, Precision, Quantization, Session, TensorCheck,
    TensorData, TensorInfo,
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

// LiteRT's profiler (litert_profiler.h), exported by libLiteRt.so 2.1.4 but not bound by
// litert-sys 0.2.1. The profiler belongs to the compiled model and lives as long as it.
extern "C" {
    fn LiteRtStartProfiler(profiler: sys::LiteRtProfiler) -> sys::LiteRtStatus;
    fn LiteRtStopProfiler(profiler: sys::LiteRtProfiler) -> sys::LiteRtStatus;
    fn LiteRtResetProfiler(profiler: sys::LiteRtProfiler) -> sys::LiteRtStatus;
    fn LiteRtGetNumProfilerEvents(
        profiler: sys::LiteRtProfiler,
        count: *mut i32,
    ) -> sys::LiteRtStatus;
    fn LiteRtGetProfilerEvents(
        profiler: sys::LiteRtProfiler,
        count: i32,
        events: *mut ProfiledEventData,
    ) -> sys::LiteRtStatus;
}

/// `ProfiledEventData` of litert_profiler_event.h: C enums are `int`, the memory usage
/// fields three `size_t` each.
#[repr(C)]
#[derive(Clone, Copy)]
struct ProfiledEventData {
    tag: *const c_char,
    event_type: i32,
    start_timestamp_us: u64,
    elapsed_time_us: u64,
    begin_mem_usage: [usize; 3],
    end_mem_usage: [usize; 3],
    event_metadata1: u64,
    event_metadata2: u64,
    event_source: i32,
}

/// `OPERATOR_INVOKE_EVENT`: an operator on the runtime's own (TFLite) kernels.
const RUNTIME_OPERATOR_EVENT: i32 = 1 << 1;
/// `DELEGATE_OPERATOR_INVOKE_EVENT` and `DELEGATE_PROFILED_OPERATOR_INVOKE_EVENT`: an
/// operator inside a delegate (XNNPACK names its operators with their data types, e.g.
/// `Convolution (NHWC, F16) IGEMM`).
const DELEGATE_OPERATOR_EVENTS: i32 = (1 << 2) | (1 << 3);

/// `TFLITE_XNNPACK_DELEGATE_FLAG_QS8 | _QU8`: XNNPACK's default flags in LiteRT 2.1.4. A
/// `flags` option replaces the defaults instead of adding to them (seen: `flags = 0` sends
/// a quantised model back to the runtime's own kernels), so they are repeated here.
const XNNPACK_DEFAULT_FLAGS: u32 = 0x1 | 0x2;
/// `TFLITE_XNNPACK_DELEGATE_FLAG_FORCE_FP16`: run float operators in half precision, or
/// fail to prepare when XNNPACK cannot (no half-float support, or an operator it cannot
/// rewrite).
const XNNPACK_FORCE_FP16: u32 = 0x4;

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
/// use lesionscan::engine::{Accelerator, Engine, EngineOptions, LiteRtEngine, Precision};
///
/// let model = std::fs::read("tests/data/mobilenet_tiny_int8.tflite").unwrap();
/// let options = EngineOptions { accelerator: Accelerator::Cpu, threads: 1, ..EngineOptions::default() };
/// let session = LiteRtEngine::new().load(&model, &options).unwrap();
/// assert_eq!(session.inputs()[0].shape, vec![1, 128, 128, 3]);
/// assert_eq!(session.accelerator(), Accelerator::Cpu);
/// assert_eq!(session.precision(), Precision::Float32);
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

    /// Copies the bytes once (the session must keep them), then as
    /// [`Engine::load_shared`], trial run included.
    fn load(&self, model: &[u8], options: &EngineOptions) -> Result<Box<dyn Session>> {
        self.load_shared(&ModelBytes::from(model), options)
    }

    fn load_checked(
        &self,
        model: &ModelBytes,
        options: &EngineOptions,
        check: &TensorCheck<'_>,
    ) -> Result<Box<dyn Session>> {
        check_model_header(model)?;
        {
            // The caller's check comes before anything runs the model (LiteRT only reads
            // the bytes here; they are not copied).
            let handle = ModelHandle::new(model.clone())?;
            check(
                &handle.tensors(Direction::Input)?.0,
                &handle.tensors(Direction::Output)?.0,
            )?;
        }
        let env = shared_environment()?;
        // LiteRT registers and probes accelerators inside the shared environment while
        // compiling, and prepares the model lazily on its first run; one load at a time
        // keeps both single-threaded. Later runs are not locked.
        let _loading = LOADING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if options.half_precision {
            match self.build(env, model, options, true) {
                Ok(session) => {
                    if !session.precision.uses_half() {
                        log::warn!(
                            "half precision was requested but every operator runs in {} here",
                            session.precision
                        );
                    }
                    return Ok(Box::new(session));
                }
                // XNNPACK refuses half precision by failing to prepare (no half-float
                // support, or an operator it cannot rewrite, such as int8 ones).
                Err(err) => log::warn!(
                    "half precision is not available for this model here ({err}); loading it in float32"
                ),
            }
        }
        Ok(Box::new(self.build(env, model, options, false)?))
    }
}

impl LiteRtEngine {
    /// Compiles `model` (with the accelerator fallback), runs it once, and reads what the
    /// first run shows: the precision its operators used and whether the weight cache file
    /// exists.
    fn build(
        &self,
        env: &Environment,
        bytes: &ModelBytes,
        options: &EngineOptions,
        half_precision: bool,
    ) -> Result<LiteRtSession> {
        let model = ModelHandle::new(bytes.clone())?;
        let (inputs, input_types) = model.tensors(Direction::Input)?;
        let (outputs, output_types) = model.tensors(Direction::Output)?;
        // LiteRT 2.1.4's XNNPACK aborts the process when it writes half-precision weights
        // to a cache file ("Unknown constant buffer passed to BuildPackIdentifier"), so
        // only float32 loads use the cache. The directory is still checked.
        let cache = match &options.weight_cache_dir {
            Some(dir) => Some(weight_cache_file(dir, bytes, self.name(), half_precision)?)
                .filter(|_| !half_precision),
            None => None,
        };
        let cache_existed = cache.as_deref().is_some_and(Path::is_file);
        let threads = effective_threads(options.threads);
        // The CPU is the last resort: when even it cannot compile the model, the model
        // is what is wrong (damaged, or using operators LiteRT lacks).
        let (compiled, accelerator) = compile_with_fallback(options.accelerator, |accelerator| {
            let cpu = CpuSettings {
                threads,
                // Half precision and the weight cache are XNNPACK's, i.e. the CPU's; the
                // profile that tells the precision is only read on the CPU.
                half_precision: half_precision && accelerator == Accelerator::Cpu,
                weight_cache: cache.as_deref().filter(|_| accelerator == Accelerator::Cpu),
                profile: accelerator == Accelerator::Cpu,
            };
            CompiledModel::new(env, &model, accelerator, &cpu)
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
        let mut session = LiteRtSession {
            input_buffers,
            output_buffers,
            compiled,
            _model: model,
            inputs,
            outputs,
            accelerator,
            precision: Precision::AcceleratorDefined,
            weight_cache: None,
        };
        if accelerator == Accelerator::Cpu {
            session.compiled.start_profiling()?;
        }
        trial_run(&mut session)?;
        if accelerator == Accelerator::Cpu {
            session.precision = session.compiled.observed_precision()?;
            session.weight_cache = cache.filter(|path| path.is_file());
            match (&session.weight_cache, cache_existed) {
                (Some(path), true) => log::info!("XNNPACK weight cache reused: {}", path.display()),
                (Some(path), false) => log::info!("XNNPACK weight cache written: {}", path.display()),
                (None, _) if options.weight_cache_dir.is_some() && half_precision => log::info!(
                    "half-precision loads keep no XNNPACK weight cache (LiteRT 2.1.4 cannot write one)"
                ),
                (None, _) if options.weight_cache_dir.is_some() => log::warn!(
                    "the XNNPACK weight cache could not be written in the cache directory; loading without it"
                ),
                (None, _) => {}
            }
        }
        log::info!(
            "LiteRT compiled a model with {} input(s), {} output(s) on {accelerator} ({threads} CPU thread(s), {})",
            session.inputs.len(),
            session.outputs.len(),
            session.precision
        );
        Ok(session)
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

/// Owns a `LiteRtModel` and a reference to the bytes it points into.
struct ModelHandle {
    ptr: NonNull<sys::LiteRtModelT>,
    // LiteRtCreateModelFromBuffer does not copy ("the caller must ensure that the buffer
    // remains valid for the lifetime of the model"): the bytes live as long as the model.
    _bytes: ModelBytes,
}

#[derive(Clone, Copy)]
enum Direction {
    Input,
    Output,
}

impl ModelHandle {
    fn new(bytes: ModelBytes) -> Result<Self> {
        let mut raw: sys::LiteRtModel = ptr::null_mut();
        // SAFETY: `bytes` is a valid buffer of `bytes.len()` bytes that outlives the model
        // (a reference to it is stored beside the handle and dropped after it; the bytes
        // never move, whichever storage holds them).
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
        // SAFETY: the payload was made by `CString::into_raw` in `Options::add_toml` and
        // LiteRT calls this destructor once.
        drop(unsafe { CString::from_raw(payload.cast()) });
    }
}

/// What the CPU path (XNNPACK) is asked for.
struct CpuSettings<'a> {
    threads: u32,
    half_precision: bool,
    weight_cache: Option<&'a Path>,
    /// Record the operators of each run (read once after the trial run, then stopped).
    profile: bool,
}

impl CpuSettings<'_> {
    /// The payload of LiteRT's `xnnpack` opaque option: TOML read by its CPU accelerator
    /// (keys `num_threads`, `flags`, `weight_cache_file_path`). A path reaches it only as
    /// a quoted string without escapes; `policy::weight_cache_file` refuses the paths
    /// that would not survive that.
    fn toml(&self) -> String {
        let mut text = format!("num_threads = {}\n", self.threads);
        if self.half_precision {
            text.push_str(&format!(
                "flags = {}\n",
                XNNPACK_DEFAULT_FLAGS | XNNPACK_FORCE_FP16
            ));
        }
        if let Some(path) = self.weight_cache.and_then(Path::to_str) {
            text.push_str(&format!("weight_cache_file_path = \"{path}\"\n"));
        }
        text
    }
}

impl Options {
    fn new(accelerator: Accelerator, cpu: &CpuSettings<'_>) -> Result<Self> {
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
        options.add_toml(c"xnnpack", &cpu.toml())?;
        if cpu.profile {
            // LiteRT 2.1.4's runtime options (LrtGetRuntimeOptionsIdentifier).
            options.add_toml(c"runtime_options_string", "enable_profiling = true\n")?;
        }
        Ok(options)
    }

    /// Adds an opaque option whose payload is TOML text, as LiteRT's option parsers read.
    fn add_toml(&self, identifier: &CStr, toml: &str) -> Result<()> {
        let payload = CString::new(toml)
            .map_err(|_| Error::engine("an option is not a C string"))?
            .into_raw();
        let mut opaque: sys::LiteRtOpaqueOptions = ptr::null_mut();
        // SAFETY: the identifier is a static C string; on success LiteRT owns `payload`
        // and frees it with `free_toml_payload`.
        let status = unsafe {
            sys::LiteRtCreateOpaqueOptions(
                identifier.as_ptr(),
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
        cpu: &CpuSettings<'_>,
    ) -> Result<Self> {
        let options = Options::new(accelerator, cpu)?;
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

impl CompiledModel {
    /// The profiler LiteRT made for this model (the options asked for one on the CPU).
    fn profiler(&self) -> Result<sys::LiteRtProfiler> {
        let mut profiler: sys::LiteRtProfiler = ptr::null_mut();
        // SAFETY: valid compiled model and out-pointer; the profiler is owned by the model.
        check(
            unsafe { sys::LiteRtCompiledModelGetProfiler(self.0.as_ptr(), &mut profiler) },
            "LiteRtCompiledModelGetProfiler",
        )?;
        if profiler.is_null() {
            return Err(Error::engine(
                "LiteRT made no profiler, so the precision of the model's operators is unknown",
            ));
        }
        Ok(profiler)
    }

    /// Starts recording the operators of the next runs (the trial run).
    fn start_profiling(&self) -> Result<()> {
        let profiler = self.profiler()?;
        // SAFETY: valid profiler, owned by the compiled model.
        check(
            unsafe { LiteRtStartProfiler(profiler) },
            "LiteRtStartProfiler",
        )
    }

    /// The precision XNNPACK's operators ran in during the runs recorded since
    /// [`CompiledModel::start_profiling`] (the trial run). The profiler is then stopped and
    /// emptied, so that later runs record nothing.
    fn observed_precision(&self) -> Result<Precision> {
        let profiler = self.profiler()?;
        let mut count = 0i32;
        // SAFETY: valid profiler and out-pointer.
        check(
            unsafe { LiteRtGetNumProfilerEvents(profiler, &mut count) },
            "LiteRtGetNumProfilerEvents",
        )?;
        let empty = ProfiledEventData {
            tag: ptr::null(),
            event_type: 0,
            start_timestamp_us: 0,
            elapsed_time_us: 0,
            begin_mem_usage: [0; 3],
            end_mem_usage: [0; 3],
            event_metadata1: 0,
            event_metadata2: 0,
            event_source: 0,
        };
        let mut events = vec![empty; usize::try_from(count).unwrap_or(0)];
        if !events.is_empty() {
            // SAFETY: `events` has room for `count` entries; the tags stay owned by the
            // profiler, which is alive until the names are copied below.
            check(
                unsafe { LiteRtGetProfilerEvents(profiler, count, events.as_mut_ptr()) },
                "LiteRtGetProfilerEvents",
            )?;
        }
        let operators: Vec<(i32, String)> = events
            .iter()
            .filter(|e| !e.tag.is_null())
            // SAFETY: a non-null tag is a NUL-terminated string owned by the profiler.
            .map(|e| {
                (
                    e.event_type,
                    unsafe { CStr::from_ptr(e.tag) }
                        .to_string_lossy()
                        .into_owned(),
                )
            })
            .collect();
        // SAFETY: valid profiler. Stopping keeps later runs from filling it.
        unsafe {
            LiteRtStopProfiler(profiler);
            LiteRtResetProfiler(profiler);
        }
        Ok(precision_of(
            operators.iter().map(|(kind, name)| (*kind, name.as_str())),
        ))
    }
}

/// The precision a run's floating-point operators used, from its profile: XNNPACK names
/// its operators with their data types (`F16`, `F32`), and an operator on the runtime's own
/// kernels computes in 32-bit floats (conversions and reshapes aside).
fn precision_of<'a>(events: impl IntoIterator<Item = (i32, &'a str)>) -> Precision {
    let (mut half, mut full) = (0usize, 0usize);
    for (kind, name) in events {
        if kind & DELEGATE_OPERATOR_EVENTS != 0 {
            let types = name
                .split_once('(')
                .and_then(|(_, rest)| rest.split_once(')'))
                .map_or("", |(types, _)| types);
            let mut types = types.split(',').map(str::trim);
            if types.clone().any(|t| t == "F16") {
                half += 1;
            } else if types.any(|t| t == "F32") {
                full += 1;
            }
        } else if kind & RUNTIME_OPERATOR_EVENT != 0
            && !matches!(name, "DEQUANTIZE" | "QUANTIZE" | "RESHAPE")
        {
            full += 1;
        }
    }
    match (half, full) {
        (0, _) => Precision::Float32,
        (_, 0) => Precision::Float16,
        _ => Precision::Mixed,
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
    precision: Precision,
    weight_cache: Option<PathBuf>,
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

    fn precision(&self) -> Precision {
        self.precision
    }

    fn weight_cache(&self) -> Option<&Path> {
        self.weight_cache.as_deref()
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

#[cfg(test)]
mod tests {
    use super::*;

    const XNN: i32 = 1 << 3;
    const TFLITE: i32 = 1 << 1;

    #[test]
    fn precision_follows_the_data_types_xnnpack_names() {
        let float32 = [
            (XNN, "Convolution (NHWC, F32) IGEMM"),
            (XNN, "Fully Connected (NC, QDU8, F32, QC8W) GEMM"),
            (XNN, "Add (ND)"),
            (1, "LiteRT::Run[buffer registration]"),
        ];
        assert_eq!(precision_of(float32), Precision::Float32);
        let float16 = [
            (XNN, "Convert (NC)"),
            (XNN, "Convolution (NHWC, F16) IGEMM"),
            (XNN, "Fully Connected (NC, QDU8, F16, QC8W) GEMM"),
            (XNN, "Copy (NC, X16)"),
            (TFLITE, "DEQUANTIZE"),
        ];
        assert_eq!(precision_of(float16), Precision::Float16);
        let mixed = [(XNN, "Max Pooling (NHWC, F16)"), (TFLITE, "CONV_2D")];
        assert_eq!(precision_of(mixed), Precision::Mixed);
        assert_eq!(precision_of([(TFLITE, "CONV_2D")]), Precision::Float32);
        assert_eq!(precision_of([]), Precision::Float32);
    }

    #[test]
    fn the_cpu_option_text_carries_threads_flags_and_cache() {
        let plain = CpuSettings {
            threads: 2,
            half_precision: false,
            weight_cache: None,
            profile: true,
        };
        assert_eq!(plain.toml(), "num_threads = 2\n");
        let path = Path::new("/data/cache dir/x.xnnpack-cache");
        let all = CpuSettings {
            threads: 1,
            half_precision: true,
            weight_cache: Some(path),
            profile: false,
        };
        assert_eq!(
            all.toml(),
            "num_threads = 1\nflags = 7\nweight_cache_file_path = \"/data/cache dir/x.xnnpack-cache\"\n"
        );
    }
}
