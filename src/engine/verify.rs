//! What a TFLite model's bytes must satisfy before a runtime sees them.
//!
//! LiteRT and the TFLite runtime are C++ and trust the flatbuffer they are handed: a
//! damaged model can make them read past a buffer or overflow a fixed array on the stack
//! (a shape of rank 114 does), which kills the process past any exception guard. An app
//! that downloads model updates must survive a damaged one, so every model passes two
//! checks here first, whatever the engine:
//!
//! 1. **Structure**: the flatbuffers verifier generated from TFLite's own schema
//!    (`tflite_schema/`): every offset, vtable, vector length, string and union inside the
//!    bytes, nesting depth and table count bounded.
//! 2. **Meaning**, what a structurally sound flatbuffer can still get wrong: tensor ranks,
//!    dimensions and sizes, buffer indices, out-of-flatbuffer buffer ranges, constant data
//!    against shape × type, quantisation arrays, operator and opcode indices, subgraph
//!    references, signatures and metadata.
//!
//! The semantic rules follow what TensorFlow Lite's own interpreter builder and model
//! verifier require of a model, plus LiteRT's rank limit; a model the converter wrote
//! passes them (tests/model_bytes.rs checks the fixtures, the default model and converter
//! output with QUANTIZE / DEQUANTIZE operators).

use super::policy::MAX_TENSOR_BYTES;
use super::tflite_schema::tflite as fb;
use crate::error::{Error, Result};

/// The schema version every TFLite model since 2018 carries (`Model.version`).
const SCHEMA_VERSION: u32 = 3;

/// The most dimensions a tensor may have: LiteRT's `LITERT_TENSOR_MAX_RANK`, the size of
/// the fixed array its tensor layout copies a shape into.
pub(super) const MAX_RANK: usize = 8;

/// Bounds on counts that no classification model comes near; a damaged count is refused
/// before a runtime sizes anything by it.
const MAX_SUBGRAPHS: usize = 1 << 12;
const MAX_TENSORS: usize = 1 << 20;
const MAX_OPERATORS: usize = 1 << 20;

/// All non-constant tensors together (the runtime's arena, before it reuses memory):
/// 4 GiB, where the default model needs about 0.2 GiB.
const MAX_ACTIVATION_BYTES: u64 = 4 << 30;

/// Checks `bytes` as a TFLite model, structure first, then meaning.
///
/// # Errors
/// [`Error::InvalidModel`] naming the first problem found (the flatbuffer field, or the
/// subgraph, tensor or operator and what is wrong with it); [`Error::Unsupported`] for
/// sparse tensors, which LesionScan does not run.
pub(super) fn verify_model(bytes: &[u8]) -> Result<()> {
    let options = flatbuffers::VerifierOptions {
        max_depth: 64,
        max_tables: 1_000_000,
        // The bytes themselves are bounded by the caller's memory; this bounds what the
        // verifier walks when offsets are shared.
        max_apparent_size: 1 << 31,
        ignore_missing_null_terminator: false,
    };
    let model = fb::root_as_model_with_opts(&options, bytes)
        .map_err(|e| Error::model(format!("damaged flatbuffer: {}", one_line(&e.to_string()))))?;
    Checker { bytes, model }.check()
}

/// The verifier's message on one line (it puts each step of its trace on its own line).
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Bytes per element of a tensor type with fixed-size elements (`None` for strings,
/// resources, variants and 4-bit integers, which are checked apart).
fn element_bytes(dtype: fb::TensorType) -> Option<u64> {
    Some(match dtype {
        fb::TensorType::UINT8 | fb::TensorType::INT8 | fb::TensorType::BOOL => 1,
        fb::TensorType::FLOAT16
        | fb::TensorType::BFLOAT16
        | fb::TensorType::INT16
        | fb::TensorType::UINT16 => 2,
        fb::TensorType::FLOAT32 | fb::TensorType::INT32 | fb::TensorType::UINT32 => 4,
        fb::TensorType::INT64
        | fb::TensorType::UINT64
        | fb::TensorType::FLOAT64
        | fb::TensorType::COMPLEX64 => 8,
        fb::TensorType::COMPLEX128 => 16,
        _ => return None,
    })
}

/// The zero points a quantised tensor of `dtype` can have: its integer type's range, and
/// for other types what fits the runtime's 32-bit zero point.
fn zero_point_range(dtype: fb::TensorType) -> std::ops::RangeInclusive<i64> {
    match dtype {
        fb::TensorType::UINT8 => 0..=255,
        fb::TensorType::INT8 => -128..=127,
        fb::TensorType::INT4 => -8..=7,
        fb::TensorType::INT16 => -32768..=32767,
        fb::TensorType::UINT16 => 0..=65535,
        _ => i64::from(i32::MIN)..=i64::from(i32::MAX),
    }
}

/// A part the TFLite converter always writes (an empty list where there is nothing to
/// list): runtimes read it without asking whether it is there.
fn present<T>(part: Option<T>, what: impl FnOnce() -> String) -> Result<T> {
    part.ok_or_else(|| Error::model(format!("{} is missing", what())))
}

/// Where a tensor is, for messages.
fn tensor_name(subgraph: usize, tensor: usize) -> String {
    format!("tensor {tensor} of subgraph {subgraph}")
}

/// The model after its structure checked out, and the file it came from.
///
/// (Bool fields such as `Tensor.is_variable` are never read: the verifier checks their
/// position, not their value, and a byte other than 0 or 1 is not a valid Rust `bool`.)
struct Checker<'a> {
    bytes: &'a [u8],
    model: fb::Model<'a>,
}

impl<'a> Checker<'a> {
    fn check(&self) -> Result<()> {
        let version = self.model.version();
        if version != SCHEMA_VERSION {
            return Err(Error::model(format!(
                "schema version {version}; TFLite models are version {SCHEMA_VERSION}"
            )));
        }
        let buffers = self.check_buffers()?;
        let opcodes = self.check_operator_codes()?;
        let subgraphs = self
            .model
            .subgraphs()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::model("the model has no subgraph"))?;
        if subgraphs.len() > MAX_SUBGRAPHS {
            return Err(Error::model(format!(
                "{} subgraphs (at most {MAX_SUBGRAPHS})",
                subgraphs.len()
            )));
        }
        let mut tensor_counts = Vec::with_capacity(subgraphs.len());
        for (s, subgraph) in subgraphs.iter().enumerate() {
            let count = self.check_tensors(s, &subgraph, buffers)?;
            tensor_counts.push(count);
        }
        for (s, subgraph) in subgraphs.iter().enumerate() {
            self.check_subgraph_io(s, &subgraph, tensor_counts[s])?;
            self.check_operators(s, &subgraph, tensor_counts[s], &opcodes, subgraphs.len())?;
        }
        self.check_signatures(&tensor_counts)?;
        self.check_metadata(buffers)?;
        Ok(())
    }

    /// The buffers table: out-of-flatbuffer data (`offset` > 1, used by models over
    /// 2 GB) must lie inside the file. Returns the number of buffers.
    fn check_buffers(&self) -> Result<usize> {
        let buffers = present(self.model.buffers(), || "the buffers table".into())?;
        for (b, buffer) in buffers.iter().enumerate() {
            if buffer.offset() > 1 {
                self.external_range(buffer.offset(), buffer.size())
                    .ok_or_else(|| {
                        Error::model(format!(
                            "buffer {b} claims {} bytes at offset {}, past the end of the {}-byte file",
                            buffer.size(),
                            buffer.offset(),
                            self.bytes.len()
                        ))
                    })?;
            }
        }
        Ok(buffers.len())
    }

    /// `offset..offset + size` when it lies inside the file.
    fn external_range(&self, offset: u64, size: u64) -> Option<std::ops::Range<usize>> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        (end <= self.bytes.len()).then_some(start..end)
    }

    /// How many bytes of constant data a buffer holds (0 for none).
    fn buffer_bytes(&self, buffer: &fb::Buffer<'_>) -> u64 {
        if buffer.offset() > 1 {
            buffer.size()
        } else {
            buffer.data().map_or(0, |d| d.len() as u64)
        }
    }

    /// The data of a buffer inside the flatbuffer or after it (ranges already checked).
    fn buffer_data(&self, buffer: &fb::Buffer<'a>) -> &'a [u8] {
        if buffer.offset() > 1 {
            self.external_range(buffer.offset(), buffer.size())
                .and_then(|range| self.bytes.get(range))
                .unwrap_or_default()
        } else {
            buffer.data().map_or(&[][..], |d| d.bytes())
        }
    }

    /// Operator codes: a known builtin operator (the larger of the old byte field and the
    /// new int field, as TFLite reads them), and a name for custom operators. Returns each
    /// code's builtin operator.
    fn check_operator_codes(&self) -> Result<Vec<i32>> {
        let codes = present(self.model.operator_codes(), || {
            "the operator codes table".into()
        })?;
        let mut builtins = Vec::with_capacity(codes.len());
        for (c, code) in codes.iter().enumerate() {
            let builtin = i32::from(code.deprecated_builtin_code()).max(code.builtin_code().0);
            if !(0..=fb::BuiltinOperator::ENUM_MAX).contains(&builtin) {
                return Err(Error::model(format!(
                    "operator code {c} names builtin operator {builtin}, which does not exist"
                )));
            }
            if builtin == fb::BuiltinOperator::CUSTOM.0 && code.custom_code().is_none() {
                return Err(Error::model(format!(
                    "operator code {c} is a custom operator without a name"
                )));
            }
            builtins.push(builtin);
        }
        Ok(builtins)
    }

    /// Every tensor of a subgraph: type, rank, dimensions, size, buffer index, constant
    /// data against shape × type, quantisation. Returns the number of tensors.
    fn check_tensors(
        &self,
        s: usize,
        subgraph: &fb::SubGraph<'_>,
        buffer_count: usize,
    ) -> Result<usize> {
        let tensors = present(subgraph.tensors(), || {
            format!("the tensors of subgraph {s}")
        })?;
        if tensors.len() > MAX_TENSORS {
            return Err(Error::model(format!(
                "subgraph {s} has {} tensors (at most {MAX_TENSORS})",
                tensors.len()
            )));
        }
        let buffers = self.model.buffers();
        let mut activation_bytes: u64 = 0;
        for (t, tensor) in tensors.iter().enumerate() {
            let name = || tensor_name(s, t);
            let dtype = tensor.type_();
            if !(fb::TensorType::ENUM_MIN..=fb::TensorType::ENUM_MAX).contains(&dtype.0) {
                return Err(Error::model(format!(
                    "{} has element type {}, which does not exist",
                    name(),
                    dtype.0
                )));
            }
            present(tensor.name(), || format!("the name of {}", name()))?;
            let dims = self.check_shape(&tensor, &name)?;
            if tensor.sparsity().is_some() {
                return Err(Error::unsupported(format!(
                    "{} is sparse; LesionScan runs dense models only",
                    name()
                )));
            }
            let elements = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
            let bytes = match (elements, element_bytes(dtype)) {
                (Some(n), Some(size)) => n.checked_mul(size),
                (Some(n), None) if dtype == fb::TensorType::INT4 => Some(n.div_ceil(2)),
                (Some(_), None) => Some(0),
                (None, _) => None,
            }
            .filter(|&b| b <= MAX_TENSOR_BYTES as u64)
            .ok_or_else(|| {
                Error::model(format!(
                    "{} with shape {dims:?} is larger than 1 GiB",
                    name()
                ))
            })?;
            // Buffer 0 is the empty sentinel every tensor without data points at.
            let b = tensor.buffer() as usize;
            if b >= buffer_count {
                return Err(Error::model(format!(
                    "{} uses buffer {b}; the model has {buffer_count}",
                    name()
                )));
            }
            let buffer = buffers.map(|list| list.get(b));
            let data_len = buffer.as_ref().map_or(0, |buf| self.buffer_bytes(buf));
            if data_len == 0 {
                activation_bytes = activation_bytes.saturating_add(bytes);
            } else if let Some(buffer) = &buffer {
                self.check_constant_data(
                    dtype,
                    elements.unwrap_or(0),
                    data_len,
                    buffer,
                    &name,
                    &dims,
                )?;
            }
            self.check_quantization(&tensor, &dims, &name)?;
        }
        if activation_bytes > MAX_ACTIVATION_BYTES {
            return Err(Error::model(format!(
                "subgraph {s} needs {activation_bytes} bytes of tensors (at most {MAX_ACTIVATION_BYTES})"
            )));
        }
        Ok(tensors.len())
    }

    /// Rank at most [`MAX_RANK`], no negative dimension (dynamic ones are -1 in
    /// `shape_signature` only, and it must have the same rank). Returns the dimensions.
    fn check_shape(&self, tensor: &fb::Tensor<'_>, name: &dyn Fn() -> String) -> Result<Vec<u64>> {
        let shape = Some(present(tensor.shape(), || {
            format!("the shape of {}", name())
        })?);
        let rank = shape.map_or(0, |v| v.len());
        if rank > MAX_RANK {
            return Err(Error::model(format!(
                "{} has rank {rank}; at most {MAX_RANK} dimensions are supported",
                name()
            )));
        }
        let dims: Vec<i32> = shape.map(|v| v.iter().collect()).unwrap_or_default();
        if let Some(&d) = dims.iter().find(|&&d| d < 0) {
            return Err(Error::model(format!(
                "{} has a negative dimension {d} in {dims:?}",
                name()
            )));
        }
        if let Some(signature) = tensor.shape_signature().filter(|v| !v.is_empty()) {
            if signature.len() != rank {
                return Err(Error::model(format!(
                    "{} has shape {dims:?} but a shape signature of rank {}",
                    name(),
                    signature.len()
                )));
            }
            if let Some(d) = signature.iter().find(|&d| d < -1) {
                return Err(Error::model(format!(
                    "{} has dimension {d} in its shape signature",
                    name()
                )));
            }
        }
        Ok(dims.iter().map(|&d| d as u64).collect())
    }

    /// Constant data must be exactly what the shape and type need (as TFLite's
    /// interpreter requires), so that no kernel reads past it. Strings carry their own
    /// offset table, which must stay inside the data.
    fn check_constant_data(
        &self,
        dtype: fb::TensorType,
        elements: u64,
        data_len: u64,
        buffer: &fb::Buffer<'_>,
        name: &dyn Fn() -> String,
        dims: &[u64],
    ) -> Result<()> {
        let expected: &[u64] = match dtype {
            fb::TensorType::STRING => {
                return self.check_string_data(self.buffer_data(buffer), elements, name)
            }
            fb::TensorType::RESOURCE | fb::TensorType::VARIANT => {
                return Err(Error::model(format!(
                    "{} is a resource or variant tensor with constant data",
                    name()
                )))
            }
            // Packed two to a byte, or one per byte.
            fb::TensorType::INT4 => &[elements.div_ceil(2), elements],
            other => &[elements.saturating_mul(element_bytes(other).unwrap_or(1))],
        };
        if !expected.contains(&data_len) {
            return Err(Error::model(format!(
                "{} has {data_len} bytes of data; shape {dims:?} of type {} needs {}",
                name(),
                dtype.variant_name().unwrap_or("?"),
                expected[0]
            )));
        }
        Ok(())
    }

    /// A constant string tensor: `count: i32`, then `count + 1` offsets (little-endian
    /// i32), rising, from the end of the table to the end of the data.
    fn check_string_data(
        &self,
        data: &[u8],
        elements: u64,
        name: &dyn Fn() -> String,
    ) -> Result<()> {
        let bad = |why: &str| Error::model(format!("{}: string data {why}", name()));
        let word = |i: usize| -> Option<i64> {
            let at = i.checked_mul(4)?;
            let chunk = data.get(at..at.checked_add(4)?)?;
            Some(i64::from(i32::from_le_bytes([
                chunk[0], chunk[1], chunk[2], chunk[3],
            ])))
        };
        let count = word(0).ok_or_else(|| bad("is shorter than its header"))?;
        if count < 0 || count as u64 != elements {
            return Err(bad("holds a different number of strings than the shape"));
        }
        let count = count as usize;
        let table_end = count
            .checked_add(2)
            .and_then(|n| n.checked_mul(4))
            .filter(|&end| end <= data.len())
            .ok_or_else(|| bad("is shorter than its offset table"))?;
        let mut previous = table_end as i64;
        for i in 0..=count {
            let offset = word(i + 1).ok_or_else(|| bad("is shorter than its offset table"))?;
            let first_ok = i > 0 || offset == table_end as i64;
            if !first_ok || offset < previous || offset > data.len() as i64 {
                return Err(bad("has offsets outside the data"));
            }
            previous = offset;
        }
        if previous != data.len() as i64 {
            return Err(bad("does not end where its last offset says"));
        }
        Ok(())
    }

    /// Quantisation arrays: as many zero points as scales, and per-channel scales along
    /// an existing dimension of the same size.
    fn check_quantization(
        &self,
        tensor: &fb::Tensor<'_>,
        dims: &[u64],
        name: &dyn Fn() -> String,
    ) -> Result<()> {
        let Some(q) = tensor.quantization() else {
            return Ok(());
        };
        let scales = q.scale().map_or(0, |v| v.len());
        let zero_points = q.zero_point().map_or(0, |v| v.len());
        if scales == 0 && zero_points == 0 {
            return Ok(());
        }
        if scales != zero_points {
            return Err(Error::model(format!(
                "{} has {scales} quantisation scales but {zero_points} zero points",
                name()
            )));
        }
        let dtype = tensor.type_();
        let range = zero_point_range(dtype);
        if let Some(zp) = q
            .zero_point()
            .and_then(|v| v.iter().find(|zp| !range.contains(zp)))
        {
            // Seen with LiteRT: a uint8 output's zero point of 0x1cff_ffff_ffff_ffff killed
            // the process while compiling the model (SIGSEGV).
            return Err(Error::model(format!(
                "{} has zero point {zp}, outside {range:?} for its element type {}",
                name(),
                dtype.variant_name().unwrap_or("?")
            )));
        }
        if let Some(scale) = q.scale().and_then(|v| v.iter().find(|s| !s.is_finite())) {
            return Err(Error::model(format!(
                "{} has quantisation scale {scale}",
                name()
            )));
        }
        if scales > 1 {
            let axis = q.quantized_dimension();
            let size = usize::try_from(axis).ok().and_then(|a| dims.get(a));
            if size != Some(&(scales as u64)) {
                return Err(Error::model(format!(
                    "{} has {scales} per-channel scales along dimension {axis} of shape {dims:?}",
                    name()
                )));
            }
        }
        Ok(())
    }

    /// A subgraph's inputs and outputs are tensors of it; inputs carry no constant data.
    fn check_subgraph_io(
        &self,
        s: usize,
        subgraph: &fb::SubGraph<'_>,
        tensors: usize,
    ) -> Result<()> {
        for (what, list) in [("input", subgraph.inputs()), ("output", subgraph.outputs())] {
            let list = present(list, || format!("the {what} list of subgraph {s}"))?;
            for index in list.iter() {
                if !(0..tensors as i64).contains(&i64::from(index)) {
                    return Err(Error::model(format!(
                        "subgraph {s} has {what} tensor {index}; it has {tensors} tensors"
                    )));
                }
            }
        }
        for index in subgraph.inputs().iter().flat_map(|v| v.iter()) {
            if self.is_constant(subgraph, index as usize) {
                return Err(Error::model(format!(
                    "input {} is a constant",
                    tensor_name(s, index as usize)
                )));
            }
        }
        Ok(())
    }

    /// Whether tensor `t` (in range) of `subgraph` has constant data.
    fn is_constant(&self, subgraph: &fb::SubGraph<'_>, t: usize) -> bool {
        let (Some(tensors), Some(buffers)) = (subgraph.tensors(), self.model.buffers()) else {
            return false;
        };
        let b = tensors.get(t).buffer() as usize;
        b < buffers.len() && self.buffer_bytes(&buffers.get(b)) > 0
    }

    /// Operators: a valid opcode index, tensor indices in range (-1 marks an optional
    /// input or output), outputs that are not constants, subgraph references in range, and
    /// out-of-flatbuffer custom options inside the file.
    fn check_operators(
        &self,
        s: usize,
        subgraph: &fb::SubGraph<'_>,
        tensors: usize,
        opcodes: &[i32],
        subgraphs: usize,
    ) -> Result<()> {
        let operators = present(subgraph.operators(), || {
            format!("the operators of subgraph {s}")
        })?;
        if operators.len() > MAX_OPERATORS {
            return Err(Error::model(format!(
                "subgraph {s} has {} operators (at most {MAX_OPERATORS})",
                operators.len()
            )));
        }
        for (o, op) in operators.iter().enumerate() {
            let here = || format!("operator {o} of subgraph {s}");
            let Some(&builtin) = opcodes.get(op.opcode_index() as usize) else {
                return Err(Error::model(format!(
                    "{} uses operator code {}; the model has {}",
                    here(),
                    op.opcode_index(),
                    opcodes.len()
                )));
            };
            present(op.inputs(), || format!("the input list of {}", here()))?;
            present(op.outputs(), || format!("the output list of {}", here()))?;
            let lists = [
                ("input", op.inputs(), true),
                ("output", op.outputs(), true),
                ("intermediate", op.intermediates(), false),
            ];
            for (what, list, optional) in lists {
                for index in list.iter().flat_map(|v| v.iter()) {
                    let in_range = (0..tensors as i64).contains(&i64::from(index));
                    if !(in_range || optional && index == -1) {
                        return Err(Error::model(format!(
                            "{} has {what} tensor {index}; the subgraph has {tensors}",
                            here()
                        )));
                    }
                }
            }
            for index in op.outputs().iter().flat_map(|v| v.iter()) {
                if index >= 0 && self.is_constant(subgraph, index as usize) {
                    return Err(Error::model(format!(
                        "{} writes to {}, a constant",
                        here(),
                        tensor_name(s, index as usize)
                    )));
                }
            }
            check_options(&op, builtin)
                .and_then(|()| check_arity(&op, builtin))
                .map_err(|why| Error::model(format!("{}: {why}", here())))?;
            let inputs = op.inputs().map_or(0, |v| v.len());
            let mutating = op.mutating_variable_inputs().map_or(0, |v| v.len());
            if mutating != 0 && mutating != inputs {
                return Err(Error::model(format!(
                    "{} marks {mutating} mutated inputs but has {inputs} inputs",
                    here()
                )));
            }
            if op.large_custom_options_offset() > 1
                && self
                    .external_range(
                        op.large_custom_options_offset(),
                        op.large_custom_options_size(),
                    )
                    .is_none()
            {
                return Err(Error::model(format!(
                    "{} has custom options past the end of the file",
                    here()
                )));
            }
            for index in called_subgraphs(&op) {
                if !(0..subgraphs as i64).contains(&index) {
                    return Err(Error::model(format!(
                        "{} calls subgraph {index}; the model has {subgraphs}",
                        here()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Signatures name a subgraph, and tensors of it by name.
    fn check_signatures(&self, tensor_counts: &[usize]) -> Result<()> {
        let Some(signatures) = self.model.signature_defs() else {
            return Ok(());
        };
        for (g, signature) in signatures.iter().enumerate() {
            if signature.signature_key().is_none() {
                return Err(Error::model(format!("signature {g} has no key")));
            }
            let s = signature.subgraph_index() as usize;
            let Some(&tensors) = tensor_counts.get(s) else {
                return Err(Error::model(format!(
                    "signature {g} names subgraph {s}; the model has {}",
                    tensor_counts.len()
                )));
            };
            let maps = [
                ("input", signature.inputs()),
                ("output", signature.outputs()),
            ];
            for (what, list) in maps {
                let list = present(list, || format!("the {what} list of signature {g}"))?;
                for (i, map) in list.iter().enumerate() {
                    if map.name().is_none() {
                        return Err(Error::model(format!(
                            "{what} {i} of signature {g} has no name"
                        )));
                    }
                    if map.tensor_index() as usize >= tensors {
                        return Err(Error::model(format!(
                            "{what} {i} of signature {g} is tensor {}; subgraph {s} has {tensors}",
                            map.tensor_index()
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Metadata entries point at buffers that exist.
    fn check_metadata(&self, buffers: usize) -> Result<()> {
        for (i, entry) in self
            .model
            .metadata()
            .iter()
            .flat_map(|v| v.iter())
            .enumerate()
        {
            // Seen in fuzzing: LiteRT 2.1.4 reads every metadata name, and a missing one
            // killed the process (SIGSEGV).
            present(entry.name(), || format!("the name of metadata entry {i}"))?;
        }
        let named = self
            .model
            .metadata()
            .into_iter()
            .flat_map(|v| v.iter())
            .map(|m| i64::from(m.buffer()));
        let listed = self
            .model
            .metadata_buffer()
            .into_iter()
            .flat_map(|v| v.iter())
            .map(i64::from);
        for b in named.chain(listed) {
            if !(0..buffers as i64).contains(&b) {
                return Err(Error::model(format!(
                    "metadata points at buffer {b}; the model has {buffers}"
                )));
            }
        }
        Ok(())
    }
}

/// An operator's options: of a kind the schema knows (the verifier does not look inside
/// unknown kinds), and for the operators whose kernels divide by a stride, dilation,
/// filter or block size or a split count, present, of that operator's kind and at least
/// 1 (runtimes read missing options as zeros: TFLite 2.6 then divides by zero, SIGFPE).
fn check_options(op: &fb::Operator<'_>, builtin: i32) -> std::result::Result<(), String> {
    let kind = op.builtin_options_type();
    if kind.0 > fb::BuiltinOptions::ENUM_MAX {
        return Err(format!("options of unknown kind {}", kind.0));
    }
    let kind_2 = op.builtin_options_2_type();
    if kind_2.0 > fb::BuiltinOptions2::ENUM_MAX {
        return Err(format!("options of unknown kind {}", kind_2.0));
    }
    let positive = |what: &str, values: &[i32]| {
        if values.iter().all(|&v| v >= 1) {
            Ok(())
        } else {
            Err(format!("{what} {values:?} must be at least 1"))
        }
    };
    let missing = |expected: &str| Err(format!("{} needs {expected}", operator_name(builtin)));
    match fb::BuiltinOperator(builtin) {
        fb::BuiltinOperator::CONV_2D => match op.builtin_options_as_conv_2_doptions() {
            Some(o) => positive(
                "strides and dilations",
                &[
                    o.stride_w(),
                    o.stride_h(),
                    o.dilation_w_factor(),
                    o.dilation_h_factor(),
                ],
            ),
            None => missing("Conv2DOptions"),
        },
        fb::BuiltinOperator::DEPTHWISE_CONV_2D => {
            match op.builtin_options_as_depthwise_conv_2_doptions() {
                Some(o) => positive(
                    "strides and dilations",
                    &[
                        o.stride_w(),
                        o.stride_h(),
                        o.dilation_w_factor(),
                        o.dilation_h_factor(),
                    ],
                ),
                None => missing("DepthwiseConv2DOptions"),
            }
        }
        fb::BuiltinOperator::AVERAGE_POOL_2D
        | fb::BuiltinOperator::MAX_POOL_2D
        | fb::BuiltinOperator::L2_POOL_2D => match op.builtin_options_as_pool_2_doptions() {
            Some(o) => positive(
                "strides and filter sizes",
                &[
                    o.stride_w(),
                    o.stride_h(),
                    o.filter_width(),
                    o.filter_height(),
                ],
            ),
            None => missing("Pool2DOptions"),
        },
        fb::BuiltinOperator::TRANSPOSE_CONV => match op.builtin_options_as_transpose_conv_options()
        {
            Some(o) => positive("strides", &[o.stride_w(), o.stride_h()]),
            None => missing("TransposeConvOptions"),
        },
        fb::BuiltinOperator::CONV_3D | fb::BuiltinOperator::CONV_3D_TRANSPOSE => {
            match op.builtin_options_as_conv_3_doptions() {
                Some(o) => positive(
                    "strides and dilations",
                    &[
                        o.stride_d(),
                        o.stride_w(),
                        o.stride_h(),
                        o.dilation_d_factor(),
                        o.dilation_w_factor(),
                        o.dilation_h_factor(),
                    ],
                ),
                None => missing("Conv3DOptions"),
            }
        }
        fb::BuiltinOperator::SPACE_TO_DEPTH => match op.builtin_options_as_space_to_depth_options()
        {
            Some(o) => positive("block size", &[o.block_size()]),
            None => missing("SpaceToDepthOptions"),
        },
        fb::BuiltinOperator::DEPTH_TO_SPACE => match op.builtin_options_as_depth_to_space_options()
        {
            Some(o) => positive("block size", &[o.block_size()]),
            None => missing("DepthToSpaceOptions"),
        },
        fb::BuiltinOperator::SPLIT => match op.builtin_options_as_split_options() {
            Some(o) => positive("split count", &[o.num_splits()]),
            None => missing("SplitOptions"),
        },
        fb::BuiltinOperator::SPLIT_V => match op.builtin_options_as_split_voptions() {
            Some(o) => positive("split count", &[o.num_splits()]),
            None => missing("SplitVOptions"),
        },
        fb::BuiltinOperator::SVDF => match op.builtin_options_as_svdfoptions() {
            Some(o) => positive("rank", &[o.rank()]),
            None => missing("SVDFOptions"),
        },
        _ => Ok(()),
    }
}

/// How many inputs and outputs an operator takes, for the operators classification models
/// are made of, and which inputs may be absent (-1): as TFLite's kernels and converter
/// define them. The converter always writes a convolution's or fully connected layer's
/// bias slot, as -1 when there is none. Operators not listed are not checked here.
fn arity(
    builtin: i32,
) -> Option<(
    std::ops::RangeInclusive<usize>,
    std::ops::RangeInclusive<usize>,
    &'static [usize],
)> {
    use fb::BuiltinOperator as Op;
    Some(match Op(builtin) {
        Op::CONV_2D | Op::DEPTHWISE_CONV_2D => (3..=3, 1..=1, &[2]),
        Op::FULLY_CONNECTED => (3..=3, 1..=2, &[2]),
        Op::TRANSPOSE_CONV => (3..=4, 1..=1, &[3]),
        Op::ADD
        | Op::SUB
        | Op::MUL
        | Op::DIV
        | Op::MAXIMUM
        | Op::MINIMUM
        | Op::SQUARED_DIFFERENCE
        | Op::PRELU
        | Op::PAD
        | Op::MEAN
        | Op::SUM
        | Op::REDUCE_MAX
        | Op::REDUCE_MIN
        | Op::REDUCE_PROD
        | Op::RESIZE_BILINEAR
        | Op::RESIZE_NEAREST_NEIGHBOR
        | Op::EXPAND_DIMS => (2..=2, 1..=1, &[]),
        Op::RELU
        | Op::RELU6
        | Op::RELU_N1_TO_1
        | Op::LOGISTIC
        | Op::TANH
        | Op::SOFTMAX
        | Op::LOG_SOFTMAX
        | Op::DEQUANTIZE
        | Op::QUANTIZE
        | Op::HARD_SWISH
        | Op::LEAKY_RELU
        | Op::ELU
        | Op::GELU
        | Op::EXP
        | Op::LOG
        | Op::SQRT
        | Op::RSQRT
        | Op::ABS
        | Op::NEG
        | Op::FLOOR
        | Op::CEIL
        | Op::ROUND
        | Op::SQUARE
        | Op::AVERAGE_POOL_2D
        | Op::MAX_POOL_2D
        | Op::L2_POOL_2D
        | Op::L2_NORMALIZATION
        | Op::SQUEEZE => (1..=1, 1..=1, &[]),
        Op::RESHAPE => (1..=2, 1..=1, &[]),
        Op::PADV2 => (3..=3, 1..=1, &[]),
        Op::CONCATENATION => (1..=usize::MAX, 1..=1, &[]),
        _ => return None,
    })
}

/// An operator's input and output counts against [`arity`], and no absent input where
/// the operator needs one. (Seen with the TFLite 2.6 runtime: a depthwise convolution
/// whose input list lost its bias slot crashed the process in `Invoke`, SIGSEGV.)
fn check_arity(op: &fb::Operator<'_>, builtin: i32) -> std::result::Result<(), String> {
    let Some((inputs, outputs, optional)) = arity(builtin) else {
        return Ok(());
    };
    let ins: Vec<i32> = op.inputs().map(|v| v.iter().collect()).unwrap_or_default();
    let outs = op.outputs().map_or(0, |v| v.len());
    if !inputs.contains(&ins.len()) || !outputs.contains(&outs) {
        return Err(format!(
            "{} with {} inputs and {outs} outputs",
            operator_name(builtin),
            ins.len()
        ));
    }
    if let Some(i) = ins
        .iter()
        .enumerate()
        .position(|(i, &t)| t < 0 && !optional.contains(&i))
    {
        return Err(format!("{} without its input {i}", operator_name(builtin)));
    }
    if op.outputs().is_some_and(|v| v.iter().any(|t| t < 0)) {
        return Err(format!("{} with an absent output", operator_name(builtin)));
    }
    Ok(())
}

/// A builtin operator's schema name, for messages.
fn operator_name(builtin: i32) -> String {
    fb::BuiltinOperator(builtin)
        .variant_name()
        .map_or_else(|| format!("builtin operator {builtin}"), str::to_string)
}

/// The subgraphs an operator's options refer to (control flow, calls, StableHLO bodies).
fn called_subgraphs(op: &fb::Operator<'_>) -> Vec<i64> {
    let mut called = Vec::new();
    if let Some(o) = op.builtin_options_as_call_options() {
        called.push(i64::from(o.subgraph()));
    }
    if let Some(o) = op.builtin_options_as_if_options() {
        called.extend([o.then_subgraph_index(), o.else_subgraph_index()].map(i64::from));
    }
    if let Some(o) = op.builtin_options_as_while_options() {
        called.extend([o.cond_subgraph_index(), o.body_subgraph_index()].map(i64::from));
    }
    if let Some(o) = op.builtin_options_as_call_once_options() {
        called.push(i64::from(o.init_subgraph_index()));
    }
    if let Some(o) = op.builtin_options_2_as_stablehlo_reduce_options() {
        called.push(i64::from(o.body_subgraph_index()));
    }
    if let Some(o) = op.builtin_options_2_as_stablehlo_reduce_window_options() {
        called.push(i64::from(o.body_subgraph_index()));
    }
    if let Some(o) = op.builtin_options_2_as_stablehlo_sort_options() {
        called.push(i64::from(o.comparator_subgraph_index()));
    }
    if let Some(o) = op.builtin_options_2_as_stablehlo_while_options() {
        called.extend([o.cond_subgraph_index(), o.body_subgraph_index()].map(i64::from));
    }
    if let Some(o) = op.builtin_options_2_as_stablehlo_scatter_options() {
        called.push(i64::from(o.update_computation_subgraph_index()));
    }
    if let Some(o) = op.builtin_options_2_as_stablehlo_custom_call_options() {
        called.extend(
            o.called_computations()
                .iter()
                .flat_map(|v| v.iter())
                .map(i64::from),
        );
    }
    if let Some(o) = op.builtin_options_2_as_stable_hlocomposite_options() {
        called.push(i64::from(o.decomposition_subgraph_index()));
    }
    called
}

#[cfg(test)]
mod tests {
    //! Each rule is checked on a small model built with the generated builders: the plain
    //! model passes, and one change at a time makes it fail with the rule's reason.

    use super::*;
    use flatbuffers::FlatBufferBuilder;

    struct TensorSpec {
        shape: Vec<i32>,
        dtype: fb::TensorType,
        buffer: u32,
        signature: Option<Vec<i32>>,
        quantization: Option<(Vec<f32>, Vec<i64>, i32)>,
        sparse: bool,
    }

    fn tensor(shape: &[i32], buffer: u32) -> TensorSpec {
        TensorSpec {
            shape: shape.to_vec(),
            dtype: fb::TensorType::FLOAT32,
            buffer,
            signature: None,
            quantization: None,
            sparse: false,
        }
    }

    enum BufferSpec {
        Data(Vec<u8>),
        External { offset: u64, size: u64 },
    }

    struct OpSpec {
        opcode: u32,
        inputs: Vec<i32>,
        outputs: Vec<i32>,
        calls: Option<u32>,
        /// Conv2DOptions with this stride and dilation on both axes.
        conv: Option<(i32, i32)>,
        /// Written as the options' kind instead of the real one.
        kind: Option<u8>,
    }

    /// An ADD of an input and a constant: the smallest model every rule can be tried on.
    struct Spec {
        version: u32,
        builtin_codes: Vec<(i32, Option<&'static str>)>,
        buffers: Vec<BufferSpec>,
        tensors: Vec<TensorSpec>,
        ops: Vec<OpSpec>,
        inputs: Vec<i32>,
        outputs: Vec<i32>,
        subgraphs: usize,
        signature: Option<(Option<&'static str>, u32, Vec<u32>)>,
        metadata_buffer: Option<u32>,
        metadata: Vec<(Option<&'static str>, u32)>,
    }

    fn spec() -> Spec {
        let two_floats: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        Spec {
            version: 3,
            builtin_codes: vec![(fb::BuiltinOperator::ADD.0, None)],
            buffers: vec![BufferSpec::Data(vec![]), BufferSpec::Data(two_floats)],
            tensors: vec![tensor(&[1, 2], 0), tensor(&[1, 2], 1), tensor(&[1, 2], 0)],
            ops: vec![OpSpec {
                opcode: 0,
                inputs: vec![0, 1],
                outputs: vec![2],
                calls: None,
                conv: None,
                kind: None,
            }],
            inputs: vec![0],
            outputs: vec![2],
            subgraphs: 1,
            signature: Some((Some("serving_default"), 0, vec![0, 2])),
            metadata_buffer: None,
            metadata: vec![(Some("min_runtime_version"), 0)],
        }
    }

    fn build(spec: &Spec) -> Vec<u8> {
        let mut fbb = FlatBufferBuilder::new();
        let codes: Vec<_> = spec
            .builtin_codes
            .iter()
            .map(|&(code, custom)| {
                let custom_code = custom.map(|name| fbb.create_string(name));
                fb::OperatorCode::create(
                    &mut fbb,
                    &fb::OperatorCodeArgs {
                        // As the converter writes them: the old byte field holds codes
                        // below 127, and 127 ("look at the new field") above.
                        deprecated_builtin_code: code.clamp(-128, 127) as i8,
                        custom_code,
                        version: 1,
                        builtin_code: fb::BuiltinOperator(code),
                    },
                )
            })
            .collect();
        let codes = fbb.create_vector(&codes);
        let buffers: Vec<_> = spec
            .buffers
            .iter()
            .map(|b| match b {
                BufferSpec::Data(bytes) => {
                    let data = (!bytes.is_empty()).then(|| fbb.create_vector(bytes));
                    fb::Buffer::create(
                        &mut fbb,
                        &fb::BufferArgs {
                            data,
                            offset: 0,
                            size: 0,
                        },
                    )
                }
                BufferSpec::External { offset, size } => fb::Buffer::create(
                    &mut fbb,
                    &fb::BufferArgs {
                        data: None,
                        offset: *offset,
                        size: *size,
                    },
                ),
            })
            .collect();
        let buffers = fbb.create_vector(&buffers);
        let mut subgraphs = Vec::new();
        for _ in 0..spec.subgraphs {
            let tensors: Vec<_> = spec
                .tensors
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let shape = Some(fbb.create_vector(&t.shape));
                    let shape_signature = t.signature.as_ref().map(|s| fbb.create_vector(s));
                    let name = Some(fbb.create_string(&format!("t{i}")));
                    let quantization = t.quantization.as_ref().map(|(scale, zero, axis)| {
                        let scale = Some(fbb.create_vector(scale));
                        let zero_point = Some(fbb.create_vector(zero));
                        fb::QuantizationParameters::create(
                            &mut fbb,
                            &fb::QuantizationParametersArgs {
                                scale,
                                zero_point,
                                quantized_dimension: *axis,
                                ..Default::default()
                            },
                        )
                    });
                    let sparsity = t
                        .sparse
                        .then(|| fb::SparsityParameters::create(&mut fbb, &Default::default()));
                    fb::Tensor::create(
                        &mut fbb,
                        &fb::TensorArgs {
                            shape,
                            type_: t.dtype,
                            buffer: t.buffer,
                            name,
                            quantization,
                            sparsity,
                            shape_signature,
                            ..Default::default()
                        },
                    )
                })
                .collect();
            let tensors = fbb.create_vector(&tensors);
            let ops: Vec<_> = spec
                .ops
                .iter()
                .map(|op| {
                    let inputs = Some(fbb.create_vector(&op.inputs));
                    let outputs = Some(fbb.create_vector(&op.outputs));
                    let call = op.calls.map(|subgraph| {
                        let o =
                            fb::CallOptions::create(&mut fbb, &fb::CallOptionsArgs { subgraph });
                        (fb::BuiltinOptions::CallOptions, o.as_union_value())
                    });
                    let conv = op.conv.map(|(stride, dilation)| {
                        let args = fb::Conv2DOptionsArgs {
                            stride_w: stride,
                            stride_h: stride,
                            dilation_w_factor: dilation,
                            dilation_h_factor: dilation,
                            ..Default::default()
                        };
                        let o = fb::Conv2DOptions::create(&mut fbb, &args);
                        (fb::BuiltinOptions::Conv2DOptions, o.as_union_value())
                    });
                    let (kind, options) = match call.or(conv) {
                        Some((kind, table)) => (kind, Some(table)),
                        None => (fb::BuiltinOptions::NONE, None),
                    };
                    let kind = op.kind.map_or(kind, fb::BuiltinOptions);
                    fb::Operator::create(
                        &mut fbb,
                        &fb::OperatorArgs {
                            opcode_index: op.opcode,
                            inputs,
                            outputs,
                            builtin_options_type: kind,
                            builtin_options: options,
                            ..Default::default()
                        },
                    )
                })
                .collect();
            let operators = Some(fbb.create_vector(&ops));
            let inputs = Some(fbb.create_vector(&spec.inputs));
            let outputs = Some(fbb.create_vector(&spec.outputs));
            subgraphs.push(fb::SubGraph::create(
                &mut fbb,
                &fb::SubGraphArgs {
                    tensors: Some(tensors),
                    inputs,
                    outputs,
                    operators,
                    name: None,
                },
            ));
        }
        let subgraphs = fbb.create_vector(&subgraphs);
        let signature_defs = spec.signature.as_ref().map(|(key, subgraph, tensors)| {
            let maps: Vec<_> = tensors
                .iter()
                .enumerate()
                .map(|(i, &tensor_index)| {
                    let name = Some(fbb.create_string(&format!("io{i}")));
                    fb::TensorMap::create(&mut fbb, &fb::TensorMapArgs { name, tensor_index })
                })
                .collect();
            let (ins, outs) = maps.split_at(1);
            let inputs = Some(fbb.create_vector(ins));
            let outputs = Some(fbb.create_vector(outs));
            let signature_key = key.map(|k| fbb.create_string(k));
            let def = fb::SignatureDef::create(
                &mut fbb,
                &fb::SignatureDefArgs {
                    inputs,
                    outputs,
                    signature_key,
                    subgraph_index: *subgraph,
                },
            );
            fbb.create_vector(&[def])
        });
        let metadata_buffer = spec.metadata_buffer.map(|b| fbb.create_vector(&[b as i32]));
        let entries: Vec<_> = spec
            .metadata
            .iter()
            .map(|&(name, buffer)| {
                let name = name.map(|n| fbb.create_string(n));
                fb::Metadata::create(&mut fbb, &fb::MetadataArgs { name, buffer })
            })
            .collect();
        let metadata = Some(fbb.create_vector(&entries));
        let model = fb::Model::create(
            &mut fbb,
            &fb::ModelArgs {
                version: spec.version,
                operator_codes: Some(codes),
                subgraphs: Some(subgraphs),
                buffers: Some(buffers),
                signature_defs,
                metadata_buffer,
                metadata,
                ..Default::default()
            },
        );
        fb::finish_model_buffer(&mut fbb, model);
        fbb.finished_data().to_vec()
    }

    /// Builds the model `change` makes of the plain one and returns the verifier's error.
    fn refused(change: impl FnOnce(&mut Spec)) -> Error {
        let mut s = spec();
        change(&mut s);
        verify_model(&build(&s)).expect_err("the change must be refused")
    }

    fn says(err: &Error, words: &str) {
        assert!(matches!(err, Error::InvalidModel { .. }), "{err:?}");
        assert!(
            err.to_string().contains(words),
            "{err} does not say {words:?}"
        );
    }

    #[test]
    fn the_plain_model_passes() {
        assert_eq!(verify_model(&build(&spec())), Ok(()));
    }

    #[test]
    fn a_rank_above_eight_is_refused_and_eight_is_not() {
        says(
            &refused(|s| s.tensors[0].shape = vec![1; 9]),
            "rank 9; at most 8",
        );
        let mut s = spec();
        s.tensors[0].shape = vec![1; 8];
        assert_eq!(verify_model(&build(&s)), Ok(()));
    }

    #[test]
    fn negative_dimensions_are_refused_but_dynamic_signatures_are_not() {
        says(
            &refused(|s| s.tensors[2].shape = vec![1, -2]),
            "negative dimension -2",
        );
        let mut s = spec();
        s.tensors[0].signature = Some(vec![-1, 2]);
        assert_eq!(verify_model(&build(&s)), Ok(()));
        says(
            &refused(|s| s.tensors[0].signature = Some(vec![-1, 2, 3])),
            "shape signature of rank 3",
        );
        says(
            &refused(|s| s.tensors[0].signature = Some(vec![-5, 2])),
            "dimension -5",
        );
    }

    #[test]
    fn unknown_element_types_are_refused() {
        says(
            &refused(|s| s.tensors[0].dtype = fb::TensorType(42)),
            "element type 42",
        );
    }

    #[test]
    fn tensors_over_a_gibibyte_are_refused() {
        says(
            &refused(|s| s.tensors[2].shape = vec![1 << 15, 1 << 15]),
            "larger than 1 GiB",
        );
        says(
            &refused(|s| s.tensors[2].shape = vec![i32::MAX; 8]),
            "larger than 1 GiB",
        );
    }

    #[test]
    fn buffer_indices_must_exist() {
        says(
            &refused(|s| s.tensors[1].buffer = 2),
            "uses buffer 2; the model has 2",
        );
    }

    #[test]
    fn constant_data_must_fill_the_shape_exactly() {
        says(
            &refused(|s| s.tensors[1].shape = vec![1, 3]),
            "has 8 bytes of data; shape [1, 3] of type FLOAT32 needs 12",
        );
        says(
            &refused(|s| s.buffers[1] = BufferSpec::Data(vec![0; 9])),
            "has 9 bytes of data",
        );
        says(
            &refused(|s| s.tensors[1].dtype = fb::TensorType::INT64),
            "needs 16",
        );
    }

    #[test]
    fn four_bit_data_may_be_packed_or_not() {
        for len in [1, 2] {
            let mut s = spec();
            s.tensors[1].dtype = fb::TensorType::INT4;
            s.buffers[1] = BufferSpec::Data(vec![0x21; len]);
            assert_eq!(verify_model(&build(&s)), Ok(()), "{len} bytes");
        }
    }

    #[test]
    fn out_of_flatbuffer_buffers_must_lie_inside_the_file() {
        // Offset 8, size 8: inside the file (whatever those bytes are).
        let mut s = spec();
        s.buffers[1] = BufferSpec::External { offset: 8, size: 8 };
        assert_eq!(verify_model(&build(&s)), Ok(()));
        says(
            &refused(|s| {
                s.buffers[1] = BufferSpec::External {
                    offset: 1 << 20,
                    size: 8,
                }
            }),
            "past the end of the",
        );
        says(
            &refused(|s| {
                s.buffers[1] = BufferSpec::External {
                    offset: 8,
                    size: u64::MAX,
                }
            }),
            "past the end of the",
        );
        // A size that does not fit the shape is caught like inline data.
        says(
            &refused(|s| s.buffers[1] = BufferSpec::External { offset: 8, size: 4 }),
            "has 4 bytes of data",
        );
    }

    #[test]
    fn string_constants_need_a_consistent_offset_table() {
        // One string "ab": count 1, offsets 12 and 14, then the two bytes.
        let good: Vec<u8> = [1i32, 12, 14]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .chain(*b"ab")
            .collect();
        let mut s = spec();
        s.tensors[1].dtype = fb::TensorType::STRING;
        s.tensors[1].shape = vec![1];
        s.buffers[1] = BufferSpec::Data(good.clone());
        assert_eq!(verify_model(&build(&s)), Ok(()));
        let mut past_end = good.clone();
        past_end[8] = 99;
        let mut two_strings = good;
        two_strings[0] = 2;
        for (data, words) in [
            (past_end, "offsets outside"),
            (two_strings, "different number of strings"),
            (vec![1, 0], "shorter than its header"),
        ] {
            let err = refused(|s| {
                s.tensors[1].dtype = fb::TensorType::STRING;
                s.tensors[1].shape = vec![1];
                s.buffers[1] = BufferSpec::Data(data);
            });
            says(&err, words);
        }
    }

    #[test]
    fn quantisation_arrays_must_agree() {
        let mut s = spec();
        s.tensors[2].quantization = Some((vec![0.5, 0.25], vec![0, 0], 1));
        assert_eq!(verify_model(&build(&s)), Ok(()));
        says(
            &refused(|s| s.tensors[2].quantization = Some((vec![0.5], vec![0, 1], 0))),
            "1 quantisation scales but 2 zero points",
        );
        says(
            &refused(|s| s.tensors[2].quantization = Some((vec![0.5; 3], vec![0; 3], 1))),
            "3 per-channel scales along dimension 1",
        );
        says(
            &refused(|s| s.tensors[2].quantization = Some((vec![0.5; 2], vec![0; 2], 7))),
            "along dimension 7",
        );
    }

    #[test]
    fn zero_points_fit_the_element_type_and_scales_are_finite() {
        let quantised = |s: &mut Spec, dtype: fb::TensorType, zero: i64| {
            s.tensors[2].dtype = dtype;
            s.tensors[2].quantization = Some((vec![0.5], vec![zero], 0));
        };
        for (dtype, ok, bad) in [
            (fb::TensorType::UINT8, 255, 256),
            (fb::TensorType::UINT8, 0, -1),
            (fb::TensorType::INT8, -128, -129),
            (fb::TensorType::INT8, 127, 128),
            (fb::TensorType::INT16, 0, 40_000),
            (fb::TensorType::FLOAT32, 0, 1 << 40),
        ] {
            let mut s = spec();
            quantised(&mut s, dtype, ok);
            assert_eq!(verify_model(&build(&s)), Ok(()), "{dtype:?} {ok}");
            says(
                &refused(|s| quantised(s, dtype, bad)),
                &format!("tensor 2 of subgraph 0 has zero point {bad}, outside"),
            );
        }
        // Found by the model_bytes fuzz target: this zero point on a uint8 output killed
        // LiteRT while it compiled the model.
        says(
            &refused(|s| quantised(s, fb::TensorType::UINT8, 0x1cff_ffff_ffff_ffff)),
            "outside 0..=255 for its element type UINT8",
        );
        for scale in [f32::NAN, f32::INFINITY] {
            says(
                &refused(|s| s.tensors[2].quantization = Some((vec![scale], vec![0], 0))),
                "has quantisation scale",
            );
        }
    }

    #[test]
    fn sparse_tensors_are_unsupported() {
        let err = refused(|s| s.tensors[1].sparse = true);
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    }

    #[test]
    fn operator_indices_must_exist() {
        says(
            &refused(|s| s.ops[0].opcode = 1),
            "uses operator code 1; the model has 1",
        );
        says(
            &refused(|s| s.ops[0].inputs = vec![0, 3]),
            "input tensor 3; the subgraph has 3",
        );
        says(
            &refused(|s| s.ops[0].outputs = vec![-7]),
            "output tensor -7",
        );
        // -1 marks an optional input (of an operator without a known arity here).
        let mut s = spec();
        s.builtin_codes[0].0 = fb::BuiltinOperator::SELECT_V2.0;
        s.ops[0].inputs = vec![0, -1];
        assert_eq!(verify_model(&build(&s)), Ok(()));
    }

    #[test]
    fn operators_may_not_write_constants() {
        says(
            &refused(|s| s.ops[0].outputs = vec![1]),
            "writes to tensor 1 of subgraph 0, a constant",
        );
    }

    #[test]
    fn operator_codes_must_name_a_known_operator() {
        says(
            &refused(|s| s.builtin_codes[0].0 = 5000),
            "builtin operator 5000",
        );
        says(
            &refused(|s| s.builtin_codes[0].0 = -3),
            "builtin operator -3",
        );
        says(
            &refused(|s| s.builtin_codes[0] = (fb::BuiltinOperator::CUSTOM.0, None)),
            "custom operator without a name",
        );
        let mut s = spec();
        s.builtin_codes[0] = (fb::BuiltinOperator::CUSTOM.0, Some("MyOp"));
        assert_eq!(verify_model(&build(&s)), Ok(()));
    }

    #[test]
    fn subgraph_inputs_and_outputs_must_exist_and_inputs_are_not_constants() {
        says(
            &refused(|s| s.outputs = vec![9]),
            "output tensor 9; it has 3 tensors",
        );
        says(&refused(|s| s.inputs = vec![-1]), "input tensor -1");
        says(
            &refused(|s| s.inputs = vec![1]),
            "input tensor 1 of subgraph 0 is a constant",
        );
    }

    #[test]
    fn convolutions_need_their_options_with_strides_of_at_least_one() {
        let conv = |s: &mut Spec| {
            s.builtin_codes[0].0 = fb::BuiltinOperator::CONV_2D.0;
            s.ops[0].inputs = vec![0, 1, -1];
        };
        let mut s = spec();
        conv(&mut s);
        s.ops[0].conv = Some((2, 1));
        assert_eq!(verify_model(&build(&s)), Ok(()));
        // Seen with the TFLite 2.6 runtime: a damaged options kind left a depthwise
        // convolution without options, read as stride 0, and the kernel divided by it
        // (SIGFPE).
        says(
            &refused(conv),
            "operator 0 of subgraph 0: CONV_2D needs Conv2DOptions",
        );
        says(
            &refused(|s| {
                conv(s);
                s.ops[0].conv = Some((0, 1));
            }),
            "strides and dilations [0, 0, 1, 1] must be at least 1",
        );
        says(
            &refused(|s| {
                conv(s);
                s.ops[0].conv = Some((1, 1));
                s.ops[0].kind = Some(fb::BuiltinOptions::Pool2DOptions.0);
            }),
            "CONV_2D needs Conv2DOptions",
        );
        says(
            &refused(|s| {
                s.ops[0].conv = Some((1, 1));
                s.ops[0].kind = Some(200);
            }),
            "options of unknown kind 200",
        );
    }

    #[test]
    fn operators_take_their_number_of_inputs_and_outputs() {
        says(
            &refused(|s| s.ops[0].inputs = vec![0]),
            "ADD with 1 inputs and 1 outputs",
        );
        says(
            &refused(|s| s.ops[0].outputs = vec![2, 2]),
            "ADD with 2 inputs and 2 outputs",
        );
        says(
            &refused(|s| s.ops[0].inputs = vec![-1, 1]),
            "ADD without its input 0",
        );
        // A convolution keeps its bias slot, empty (-1) or not.
        let conv = |s: &mut Spec| {
            s.builtin_codes[0].0 = fb::BuiltinOperator::CONV_2D.0;
            s.ops[0].conv = Some((1, 1));
        };
        let mut s = spec();
        conv(&mut s);
        s.ops[0].inputs = vec![0, 1, -1];
        assert_eq!(verify_model(&build(&s)), Ok(()));
        says(&refused(conv), "CONV_2D with 2 inputs and 1 outputs");
        says(
            &refused(|s| {
                conv(s);
                s.ops[0].inputs = vec![0, -1, -1];
            }),
            "CONV_2D without its input 1",
        );
    }

    #[test]
    fn called_subgraphs_must_exist() {
        says(
            &refused(|s| s.ops[0].calls = Some(4)),
            "calls subgraph 4; the model has 1",
        );
        let mut s = spec();
        s.ops[0].calls = Some(1);
        s.subgraphs = 2;
        assert_eq!(verify_model(&build(&s)), Ok(()));
    }

    #[test]
    fn signatures_must_name_existing_tensors_and_subgraphs() {
        says(
            &refused(|s| s.signature = Some((Some("k"), 0, vec![0, 3]))),
            "output 0 of signature 0 is tensor 3",
        );
        says(
            &refused(|s| s.signature = Some((Some("k"), 1, vec![0, 2]))),
            "names subgraph 1",
        );
        says(
            &refused(|s| s.signature = Some((None, 0, vec![0, 2]))),
            "signature 0 has no key",
        );
    }

    /// `bytes` with the table at `table` pointed at a new, empty vtable appended at the end
    /// (4 bytes: vtable size 4, table size 4, no fields), as a damaged offset would.
    fn with_empty_vtable(bytes: &[u8], table: usize) -> Vec<u8> {
        let mut damaged = bytes.to_vec();
        let empty_vtable = damaged.len() as i64;
        damaged.extend_from_slice(&[4, 0, 4, 0]);
        let soffset = i32::try_from(table as i64 - empty_vtable).expect("small");
        damaged[table..table + 4].copy_from_slice(&soffset.to_le_bytes());
        damaged
    }

    #[test]
    fn lists_the_converter_always_writes_must_be_there() {
        // Seen in the mutation check: a changed vtable offset hid an operator's inputs and
        // outputs, and LiteRT 2.1.4 dereferenced the missing list (SIGSEGV).
        let bytes = build(&spec());
        let model = fb::root_as_model(&bytes).expect("valid");
        let op = model
            .subgraphs()
            .expect("subgraphs")
            .get(0)
            .operators()
            .expect("ops")
            .get(0);
        // Point the operator at an empty vtable: a table with no fields at all.
        let damaged = with_empty_vtable(&bytes, op._tab.loc());
        says(
            &verify_model(&damaged).expect_err("refused"),
            "the input list of operator 0 of subgraph 0 is missing",
        );
    }

    #[test]
    fn metadata_and_tensors_need_names() {
        let bytes = build(&spec());
        let model = fb::root_as_model(&bytes).expect("valid");
        let tensor = model
            .subgraphs()
            .expect("subgraphs")
            .get(0)
            .tensors()
            .expect("tensors")
            .get(1);
        // Give tensor 1 an empty vtable: no shape, no name, no buffer.
        let damaged = with_empty_vtable(&bytes, tensor._tab.loc());
        says(
            &verify_model(&damaged).expect_err("refused"),
            "the name of tensor 1 of subgraph 0 is missing",
        );
    }

    #[test]
    fn metadata_must_point_at_a_buffer() {
        says(
            &refused(|s| s.metadata = vec![(Some("m"), 7)]),
            "metadata points at buffer 7",
        );
        // Seen in fuzzing: a metadata entry without its name killed LiteRT (SIGSEGV).
        says(
            &refused(|s| s.metadata = vec![(None, 0)]),
            "the name of metadata entry 0 is missing",
        );
        says(
            &refused(|s| s.metadata_buffer = Some(5)),
            "metadata points at buffer 5",
        );
    }

    #[test]
    fn whole_model_rules() {
        says(&refused(|s| s.version = 2), "schema version 2");
        says(&refused(|s| s.subgraphs = 0), "no subgraph");
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = build(&spec());
        for len in 0..bytes.len() {
            assert!(
                verify_model(&bytes[..len]).is_err(),
                "{len} of {} bytes passed",
                bytes.len()
            );
        }
    }

    #[test]
    fn every_single_byte_change_is_verified_without_panicking() {
        // Whatever a byte becomes, the verifier answers (most changes are refused; some,
        // in names or constant data, leave a valid model).
        let bytes = build(&spec());
        let mut refused = 0;
        for at in 0..bytes.len() {
            for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] = value;
                refused += usize::from(verify_model(&damaged).is_err());
            }
        }
        assert!(refused > bytes.len(), "only {refused} changes refused");
    }

    #[test]
    fn structural_damage_names_the_field() {
        let mut bytes = build(&spec());
        // The root offset now points past the end.
        bytes[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = verify_model(&bytes).expect_err("damaged");
        says(&err, "damaged flatbuffer");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
}
