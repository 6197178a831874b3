"""Layer-selective quantisation by editing converted .tflite flatbuffers.

TensorFlow 2.21's converter has no switch to leave chosen layers out of dynamic-range
(hybrid) quantisation: the op/node denylists of `tf.lite.experimental.QuantizationDebugger`
and `mlir_quantize` apply to full-integer quantisation only. So `export_default.py`
converts the model twice, float32 and dynamic-range int8, whose operators line up one
to one (same graph, same order; checked here), and then edits the dynamic-range model:

* `keep_float`: chosen CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED ops get their
  float32 weights back from the float model (plain float kernels, larger file);
* `keep_float16`: the same, with the float weights stored as float16 behind a
  DEQUANTIZE op (half the extra bytes of `keep_float`);
* `weight_only`: chosen ops keep their int8 per-channel weights in the file, but a
  DEQUANTIZE op turns them into float32 when the interpreter prepares the model, so
  the op computes in float instead of the hybrid kernel's on-the-fly int8
  activations (same file size as dynamic-range, float accuracy of activations);
* `only_quantized`: the float model with just the chosen ops made hybrid int8, used
  to measure each op's own sensitivity.

Buffers are written 16-byte aligned, as the TFLite schema asks (`force_align: 16`).
"""

from __future__ import annotations

import copy

import numpy as np
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

WEIGHTED_OPS = {
    schema.BuiltinOperator.CONV_2D: "CONV_2D",
    schema.BuiltinOperator.DEPTHWISE_CONV_2D: "DEPTHWISE_CONV_2D",
    schema.BuiltinOperator.FULLY_CONNECTED: "FULLY_CONNECTED",
}
WEIGHT_INPUT = 1  # the filter / weights input of all three ops
# tensorflow/lite/tools/versioning/op_version.cc: DEQUANTIZE of a per-channel int8
# tensor is version 5 (per-tensor int8: 2).
DEQUANTIZE_VERSION_PER_CHANNEL = 5
DEQUANTIZE_VERSION_PER_TENSOR = 2
DEQUANTIZE_VERSION_FLOAT16 = 3


def _pack_buffer_aligned(self, builder):
    data = None
    if self.data is not None:
        payload = np.asarray(self.data, dtype=np.uint8).tobytes()
        builder.StartVector(1, len(payload), 16)
        builder.head = builder.head - len(payload)
        builder.Bytes[builder.head : builder.head + len(payload)] = payload
        builder.vectorNumElems = len(payload)
        data = builder.EndVector()
    schema.BufferStart(builder)
    if data is not None:
        schema.BufferAddData(builder, data)
    schema.BufferAddOffset(builder, self.offset)
    schema.BufferAddSize(builder, self.size)
    return schema.BufferEnd(builder)


def load(model_bytes: bytes):
    """The flatbuffer as a mutable object tree (schema ModelT)."""
    return flatbuffer_utils.read_model_from_bytearray(bytearray(model_bytes))


def dump(model) -> bytes:
    """Serialise, with every buffer 16-byte aligned; checks the alignment."""
    original = schema.BufferT.Pack
    schema.BufferT.Pack = _pack_buffer_aligned
    try:
        out = flatbuffer_utils.convert_object_to_bytearray(model)
    finally:
        schema.BufferT.Pack = original
    check = schema.Model.GetRootAs(out, 0)
    for i in range(check.BuffersLength()):
        buf = check.Buffers(i)
        if buf.DataLength() > 0:
            offset = buf.DataAsNumpy().__array_interface__["data"][0] - np.frombuffer(out, np.uint8).__array_interface__["data"][0]
            if offset % 16:
                raise AssertionError(f"buffer {i} is not 16-byte aligned")
    return out


def builtin_code(model, op) -> int:
    code = model.operatorCodes[op.opcodeIndex]
    return max(code.builtinCode, code.deprecatedBuiltinCode)


def weighted_ops(model) -> list:
    """Every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED op with a constant weight.

    Returns dicts: op (index), type, tensor (weight tensor index), name, shape,
    params, dtype ("int8" or "float32").
    """
    g = model.subgraphs[0]
    out = []
    for i, op in enumerate(g.operators):
        code = builtin_code(model, op)
        if code not in WEIGHTED_OPS:
            continue
        t = g.tensors[op.inputs[WEIGHT_INPUT]]
        if not (model.buffers[t.buffer].data is not None and len(model.buffers[t.buffer].data)):
            continue
        out.append(
            {
                "op": i,
                "type": WEIGHTED_OPS[code],
                "tensor": int(op.inputs[WEIGHT_INPUT]),
                "name": g.tensors[op.outputs[0]].name.decode().split(";")[0],
                "shape": [int(s) for s in t.shape],
                "params": int(np.prod(t.shape)),
                "dtype": {schema.TensorType.INT8: "int8", schema.TensorType.FLOAT32: "float32"}.get(t.type, str(t.type)),
            }
        )
    return out


def check_aligned(f32, dr) -> None:
    """Asserts that the two conversions have the same operators in the same order."""
    ga, gb = f32.subgraphs[0], dr.subgraphs[0]
    assert len(ga.operators) == len(gb.operators)
    for oa, ob in zip(ga.operators, gb.operators):
        assert builtin_code(f32, oa) == builtin_code(dr, ob)
        assert ga.tensors[oa.outputs[0]].name == gb.tensors[ob.outputs[0]].name
        for ia, ib in zip(oa.inputs, ob.inputs):
            if ia >= 0 and ib >= 0:
                assert list(ga.tensors[ia].shape) == list(gb.tensors[ib].shape)


def _weight_tensor(model, op_index):
    g = model.subgraphs[0]
    ti = g.operators[op_index].inputs[WEIGHT_INPUT]
    users = sum(ti in op.inputs for op in g.operators)
    assert users == 1, f"weight tensor {ti} is shared by {users} ops"
    return g.tensors[ti]


def keep_float(dr_bytes: bytes, f32_bytes: bytes, op_indices) -> bytes:
    """The dynamic-range model with the given ops' weights restored to float32."""
    dr, f32 = load(dr_bytes), load(f32_bytes)
    check_aligned(f32, dr)
    for k in op_indices:
        t, tf_ = _weight_tensor(dr, k), _weight_tensor(f32, k)
        assert t.type == schema.TensorType.INT8 and tf_.type == schema.TensorType.FLOAT32
        dr.buffers[t.buffer].data = np.array(f32.buffers[tf_.buffer].data, dtype=np.uint8, copy=True)
        t.type = schema.TensorType.FLOAT32
        t.quantization = None
    return dump(dr)


def only_quantized(f32_bytes: bytes, dr_bytes: bytes, op_indices) -> bytes:
    """The float32 model with only the given ops made hybrid (int8 weights)."""
    dr, f32 = load(dr_bytes), load(f32_bytes)
    check_aligned(f32, dr)
    for k in op_indices:
        t, tq = _weight_tensor(f32, k), _weight_tensor(dr, k)
        assert tq.type == schema.TensorType.INT8
        f32.buffers[t.buffer].data = np.array(dr.buffers[tq.buffer].data, dtype=np.uint8, copy=True)
        t.type = schema.TensorType.INT8
        t.quantization = copy.deepcopy(tq.quantization)
    # Hybrid kernels need the operator versions the converter gave the dr model.
    dr_versions = {}
    for code in dr.operatorCodes:
        key = max(code.builtinCode, code.deprecatedBuiltinCode)
        dr_versions[key] = max(dr_versions.get(key, 1), code.version)
    for code in f32.operatorCodes:
        key = max(code.builtinCode, code.deprecatedBuiltinCode)
        code.version = max(code.version, dr_versions.get(key, 1))
    return dump(f32)


def _opcode_index(model, builtin: int, version: int) -> int:
    for i, code in enumerate(model.operatorCodes):
        if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
            code.version = max(code.version, version)
            return i
    code = schema.OperatorCodeT()
    code.builtinCode = builtin
    code.deprecatedBuiltinCode = min(builtin, schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES)
    code.version = version
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def keep_float16(dr_bytes: bytes, f32_bytes: bytes, op_indices) -> bytes:
    """The dynamic-range model with the given ops fed by DEQUANTIZE(float16 weights).

    The float16 weights are the float32 ones rounded to nearest (as TF's float16
    post-training quantisation does); the op itself computes in float32.
    """
    dr, f32 = load(dr_bytes), load(f32_bytes)
    check_aligned(f32, dr)
    for k in op_indices:
        t, tf_ = _weight_tensor(dr, k), _weight_tensor(f32, k)
        assert t.type == schema.TensorType.INT8 and tf_.type == schema.TensorType.FLOAT32
        w = np.frombuffer(np.asarray(f32.buffers[tf_.buffer].data, dtype=np.uint8).tobytes(), dtype="<f4")
        dr.buffers[t.buffer].data = np.frombuffer(w.astype("<f2").tobytes(), dtype=np.uint8).copy()
        t.type = schema.TensorType.FLOAT16
        t.quantization = None
    return _insert_dequantize(dr, op_indices, DEQUANTIZE_VERSION_FLOAT16)


def weight_only(dr_bytes: bytes, op_indices) -> bytes:
    """The dynamic-range model with the given ops fed by DEQUANTIZE(int8 weights)."""
    dr = load(dr_bytes)
    for k in op_indices:
        assert _weight_tensor(dr, k).type == schema.TensorType.INT8
    return _insert_dequantize(dr, op_indices, None)


def _insert_dequantize(dr, op_indices, version) -> bytes:
    """Feeds each given op's weight input through a new DEQUANTIZE op to float32."""
    g = dr.subgraphs[0]
    inserts = {}
    for k in sorted(set(op_indices)):
        op = g.operators[k]
        t = _weight_tensor(dr, k)
        v = version
        if v is None:
            per_channel = t.quantization is not None and len(t.quantization.scale) > 1
            v = DEQUANTIZE_VERSION_PER_CHANNEL if per_channel else DEQUANTIZE_VERSION_PER_TENSOR
        opcode = _opcode_index(dr, schema.BuiltinOperator.DEQUANTIZE, v)
        out = schema.TensorT()
        out.shape = np.array(t.shape, dtype=np.int32)
        out.type = schema.TensorType.FLOAT32
        out.buffer = 0  # buffer 0 is the empty sentinel: a computed tensor
        out.name = t.name + b"/dequantized"
        g.tensors.append(out)
        deq = schema.OperatorT()
        deq.opcodeIndex = opcode
        deq.inputs = np.array([op.inputs[WEIGHT_INPUT]], dtype=np.int32)
        deq.outputs = np.array([len(g.tensors) - 1], dtype=np.int32)
        op.inputs[WEIGHT_INPUT] = len(g.tensors) - 1
        inserts[k] = deq
    ops = []
    for i, op in enumerate(g.operators):
        if i in inserts:
            ops.append(inserts[i])
        ops.append(op)
    g.operators = ops
    assert len(dr.buffers[0].data if dr.buffers[0].data is not None else []) == 0
    return dump(dr)
