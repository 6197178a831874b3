//! Reading `tests/data/reference_outputs.json` (made by models/tools/make_fixtures.py with
//! TensorFlow's own `tf.lite.Interpreter`): the fixture models' tensors and, per case, the
//! exact input tensors and TensorFlow's output. Include with
//! `#[path = "common/reference.rs"] mod reference;`.
#![allow(dead_code)]

use lesionscan::engine::TensorData;
use serde_json::Value;

/// The whole reference file.
pub fn reference() -> Value {
    let text =
        std::fs::read_to_string("tests/data/reference_outputs.json").expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

/// One model's entry (`file`, `inputs`, `outputs`, `cases`).
pub fn model(id: &str) -> Value {
    reference()["models"][id].clone()
}

/// A tensor record (`dtype`, `data`) as a [`TensorData`].
pub fn tensor_from_json(t: &Value) -> TensorData {
    let data = t["data"].as_array().expect("data");
    match t["dtype"].as_str().expect("dtype") {
        "int8" => TensorData::I8(
            data.iter()
                .map(|v| v.as_i64().expect("int") as i8)
                .collect(),
        ),
        "uint8" => TensorData::U8(
            data.iter()
                .map(|v| v.as_i64().expect("int") as u8)
                .collect(),
        ),
        "float32" => TensorData::F32(
            data.iter()
                .map(|v| v.as_f64().expect("float") as f32)
                .collect(),
        ),
        other => panic!("unexpected dtype {other}"),
    }
}

/// A case's input tensors in the model's input order.
pub fn case_inputs(case: &Value) -> Vec<TensorData> {
    let mut inputs: Vec<(u64, TensorData)> = case["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|t| {
            (
                t["position"].as_u64().expect("position"),
                tensor_from_json(t),
            )
        })
        .collect();
    inputs.sort_by_key(|(position, _)| *position);
    inputs.into_iter().map(|(_, t)| t).collect()
}

/// A model's cases.
pub fn cases(model: &Value) -> Vec<Value> {
    model["cases"].as_array().expect("cases").clone()
}
