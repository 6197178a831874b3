//! The types every engine shares: accelerators, options, tensor descriptions and data, and
//! the [`Engine`] and [`Session`] traits themselves.

use std::path::{Path, PathBuf};

use super::bytes::ModelBytes;
use crate::error::{Error, Result};

/// Which hardware runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Accelerator {
    /// The best the device has, falling back to the CPU.
    #[default]
    Auto,
    /// CPU (XNNPACK where the runtime has it).
    Cpu,
    /// GPU (OpenCL/OpenGL on Android, WebGPU on desktop, Metal on iOS); falls back to the
    /// CPU when absent.
    Gpu,
    /// NPU (LiteRT's vendor dispatch on Android); falls back to the CPU when absent.
    Npu,
}

impl Accelerator {
    /// Lower-case name: `auto`, `cpu`, `gpu`, `npu`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
            Self::Npu => "npu",
        }
    }
}

impl std::fmt::Display for Accelerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Accelerator {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            "npu" => Ok(Self::Npu),
            _ => Err(Error::argument(format!(
                "accelerator must be auto, cpu, gpu or npu, got {s:?}"
            ))),
        }
    }
}

/// How an engine should compile a model. Every engine setting travels through this one
/// struct; [`ClassifierOptions`](crate::ClassifierOptions) fills it.
///
/// # Examples
/// ```
/// use lesionscan::engine::{Accelerator, EngineOptions};
///
/// let options = EngineOptions { accelerator: Accelerator::Cpu, threads: 2, ..EngineOptions::default() };
/// assert!(!options.half_precision);
/// assert_eq!(options.weight_cache_dir, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// Requested accelerator.
    pub accelerator: Accelerator,
    /// CPU threads; `0` lets the engine choose (the number of cores, at most 4).
    pub threads: u32,
    /// Ask the CPU path (XNNPACK) to compute floating-point operators in half precision.
    /// A request, not a promise: the session's [`Session::precision`] says what ran.
    pub half_precision: bool,
    /// A directory where the CPU path may keep XNNPACK's packed weights between loads
    /// (one file per model content and precision). `None`: no file is written.
    pub weight_cache_dir: Option<PathBuf>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            accelerator: Accelerator::Auto,
            threads: 0,
            half_precision: false,
            weight_cache_dir: None,
        }
    }
}

/// The arithmetic a session's floating-point operators run in, as observed when the model
/// was loaded (not as requested).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Every floating-point operator computes in 32-bit floats: results equal TensorFlow
    /// Lite's reference up to the usual float rounding.
    #[default]
    Float32,
    /// Every floating-point operator the engine could observe computes in 16-bit floats
    /// (activations and weights stored as half floats; on CPUs without native half-float
    /// arithmetic XNNPACK converts to 32 bits for each multiply-add and rounds back).
    Float16,
    /// Some floating-point operators compute in 16-bit floats, the others in 32-bit
    /// (for example those the runtime keeps on its own kernels rather than XNNPACK's).
    Mixed,
    /// The accelerator (GPU, NPU) chooses its own arithmetic and does not report it;
    /// LiteRT's GPU path computes in half precision by default.
    AcceleratorDefined,
}

impl Precision {
    /// Lower-case name: `float32`, `float16`, `mixed`, `accelerator-defined`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Float32 => "float32",
            Self::Float16 => "float16",
            Self::Mixed => "mixed",
            Self::AcceleratorDefined => "accelerator-defined",
        }
    }

    /// Whether any operator computed in half precision (`Float16` or `Mixed`).
    pub fn uses_half(self) -> bool {
        matches!(self, Self::Float16 | Self::Mixed)
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// 32-bit float.
    F32,
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// 32-bit signed integer.
    I32,
    /// 16-bit float.
    F16,
    /// Any other type, by its runtime name.
    Other(&'static str),
}

impl DType {
    /// Name as used in model cards: `float32`, `uint8`, `int8`, …
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "float32",
            Self::U8 => "uint8",
            Self::I8 => "int8",
            Self::I32 => "int32",
            Self::F16 => "float16",
            Self::Other(name) => name,
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Affine quantisation of a tensor: `real = scale * (q - zero_point)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantization {
    /// Scale.
    pub scale: f32,
    /// Zero point.
    pub zero_point: i64,
}

/// Name, shape, type and quantisation of one model input or output, read from the model.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Tensor name in the model.
    pub name: String,
    /// Dimensions (`[1, height, width, 3]` for an NHWC image).
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Per-tensor quantisation, when the tensor is quantised.
    pub quantization: Option<Quantization>,
}

impl TensorInfo {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The data of one tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// Unsigned bytes.
    U8(Vec<u8>),
    /// Signed bytes.
    I8(Vec<i8>),
}

impl TensorData {
    /// Element type.
    pub fn dtype(&self) -> DType {
        match self {
            Self::F32(_) => DType::F32,
            Self::U8(_) => DType::U8,
            Self::I8(_) => DType::I8,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Self::F32(v) => v.len(),
            Self::U8(v) => v.len(),
            Self::I8(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A zero-filled tensor of `dtype` with `len` elements.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for element types other than float32, uint8 and int8.
    pub fn zeros(dtype: DType, len: usize) -> Result<Self> {
        match dtype {
            DType::F32 => Ok(Self::F32(vec![0.0; len])),
            DType::U8 => Ok(Self::U8(vec![0; len])),
            DType::I8 => Ok(Self::I8(vec![0; len])),
            other => Err(Error::unsupported(format!("tensors of type {other}"))),
        }
    }
}

/// Loads models.
pub trait Engine: Send + Sync {
    /// Short name of the runtime, reported in results (`"litert"`, `"tflite-c"`).
    fn name(&self) -> &'static str;

    /// Compiles a model for the requested accelerator, falling back to the CPU when
    /// that accelerator is missing. An engine that must keep the bytes copies them; the
    /// engines of this crate also run the model once on zeros, as
    /// [`Engine::load_shared`] does.
    ///
    /// # Errors
    /// [`Error::InvalidModel`] when the bytes are not a model the runtime accepts;
    /// [`Error::Engine`] when compilation fails on every accelerator;
    /// [`Error::InvalidArgument`] for a weight cache directory that is not usable.
    fn load(&self, model: &[u8], options: &EngineOptions) -> Result<Box<dyn Session>>;

    /// Compiles a model as [`Engine::load`] does and runs it once on zeros: a damaged
    /// model can pass the runtime's checks and still fail on its first run, and that run
    /// also settles what [`Session::precision`] reports. The engines of this crate keep a
    /// reference to `model` (no copy) for as long as the session lives.
    ///
    /// # Errors
    /// As [`Engine::load`], and [`Error::InvalidModel`] when the model does not run.
    fn load_shared(&self, model: &ModelBytes, options: &EngineOptions) -> Result<Box<dyn Session>> {
        self.load_checked(model, options, &|_, _| Ok(()))
    }

    /// [`Engine::load_shared`], with `check` called on the model's inputs and outputs
    /// before the model ever runs: a model that does not fit what the caller expects (its
    /// card) is refused without being run, so damaged bytes that the runtime would only
    /// trip over when running never reach that run. This is what
    /// [`Classifier`](crate::Classifier) calls. The default implementation calls
    /// [`Engine::load`], `check`, then runs the session once.
    ///
    /// # Errors
    /// As [`Engine::load_shared`], and whatever `check` returns.
    fn load_checked(
        &self,
        model: &ModelBytes,
        options: &EngineOptions,
        check: &TensorCheck<'_>,
    ) -> Result<Box<dyn Session>> {
        let mut session = self.load(model, options)?;
        check(session.inputs(), session.outputs())?;
        super::policy::trial_run(session.as_mut())?;
        Ok(session)
    }
}

/// A check of a model's inputs and outputs, called by [`Engine::load_checked`] before the
/// model runs.
pub type TensorCheck<'a> = dyn Fn(&[TensorInfo], &[TensorInfo]) -> Result<()> + 'a;

/// A compiled model. Not shared between threads while it runs (`run` takes `&mut self`).
pub trait Session: Send {
    /// The model's inputs, in order.
    fn inputs(&self) -> &[TensorInfo];
    /// The model's outputs, in order.
    fn outputs(&self) -> &[TensorInfo];
    /// The accelerator that actually runs the model.
    fn accelerator(&self) -> Accelerator;
    /// The arithmetic the model's floating-point operators run in, as observed at load.
    /// The default, for engines that only compute in 32-bit floats, is
    /// [`Precision::Float32`].
    fn precision(&self) -> Precision {
        Precision::Float32
    }
    /// The XNNPACK weight cache file this session reads its packed weights from, when a
    /// cache directory was given and the file could be used. The default: none.
    fn weight_cache(&self) -> Option<&Path> {
        None
    }
    /// Runs the model. `inputs` must match [`Session::inputs`] in count, type and length.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for inputs that do not match; [`Error::Engine`] when the
    /// runtime fails.
    fn run(&mut self, inputs: &[TensorData]) -> Result<Vec<TensorData>>;
}
