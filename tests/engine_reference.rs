//! LiteRT's output equals TensorFlow's own `tf.lite.Interpreter` on the fixture models,
//! given the same input tensors (references made by models/tools/make_fixtures.py).

#[path = "common/reference.rs"]
mod reference;

use lesionscan::engine::{Accelerator, DType, Engine, EngineOptions, LiteRtEngine, TensorData};
use reference::{case_inputs, reference, tensor_from_json};

fn load(file: &str, threads: u32) -> Box<dyn lesionscan::engine::Session> {
    let bytes = std::fs::read(format!("tests/data/{file}")).expect("model file");
    LiteRtEngine::new()
        .load(
            &bytes,
            &EngineOptions {
                accelerator: Accelerator::Cpu,
                threads,
                ..EngineOptions::default()
            },
        )
        .expect("model loads")
}

#[test]
fn tensor_names_shapes_types_and_quantisation_come_from_the_model() {
    let reference = reference();
    for (id, model) in reference["models"].as_object().expect("models") {
        let session = load(model["file"].as_str().expect("file"), 1);
        for (ours, theirs) in [
            (session.inputs(), &model["inputs"]),
            (session.outputs(), &model["outputs"]),
        ] {
            let theirs = theirs.as_array().expect("tensor list");
            assert_eq!(ours.len(), theirs.len(), "{id}: tensor count");
            for (a, b) in ours.iter().zip(theirs) {
                assert_eq!(a.name, b["name"].as_str().expect("name"), "{id}");
                let shape: Vec<usize> = b["shape"]
                    .as_array()
                    .expect("shape")
                    .iter()
                    .map(|d| d.as_u64().expect("dim") as usize)
                    .collect();
                assert_eq!(a.shape, shape, "{id} {}", a.name);
                assert_eq!(
                    a.dtype.name(),
                    b["dtype"].as_str().expect("dtype"),
                    "{id} {}",
                    a.name
                );
                let scale = b["quantization"]["scale"].as_f64().expect("scale") as f32;
                match a.quantization {
                    Some(q) => {
                        assert_eq!(q.scale, scale, "{id} {} scale", a.name);
                        assert_eq!(
                            q.zero_point,
                            b["quantization"]["zero_point"].as_i64().expect("zp")
                        );
                    }
                    None => assert_eq!(
                        scale, 0.0,
                        "{id} {}: TF reports quantisation we missed",
                        a.name
                    ),
                }
                if a.dtype != DType::F32 {
                    assert!(
                        a.quantization.is_some(),
                        "{id} {}: integer tensor without quantisation",
                        a.name
                    );
                }
            }
        }
    }
}

fn assert_outputs_match(threads: u32) {
    let reference = reference();
    let mut cases = 0;
    for (id, model) in reference["models"].as_object().expect("models") {
        let mut session = load(model["file"].as_str().expect("file"), threads);
        for case in model["cases"].as_array().expect("cases") {
            let inputs = case_inputs(case);
            let outputs = session.run(&inputs).expect("runs");
            let expected = tensor_from_json(&case["output"]);
            let name = case["name"].as_str().unwrap_or("?");
            match (&outputs[0], &expected) {
                (TensorData::F32(got), TensorData::F32(want)) => {
                    for (g, w) in got.iter().zip(want) {
                        assert!((g - w).abs() <= 1e-5, "{id}/{name}: {got:?} vs TF {want:?}");
                    }
                }
                // Integer models: bit-exact.
                (got, want) => assert_eq!(got, want, "{id}/{name}"),
            }
            cases += 1;
        }
    }
    assert!(
        cases >= 12,
        "expected the reference file to hold cases for four models, ran {cases}"
    );
}

#[test]
fn outputs_equal_tf_lite_interpreter_on_one_thread() {
    assert_outputs_match(1);
}

#[test]
fn outputs_equal_tf_lite_interpreter_on_two_threads() {
    assert_outputs_match(2);
}

#[test]
fn different_inputs_give_different_outputs() {
    // Guards the fixtures themselves: a random-weight model that answers 1/7 for
    // everything would make every other comparison meaningless.
    let reference = reference();
    for (id, model) in reference["models"].as_object().expect("models") {
        let tops: std::collections::HashSet<i64> = model["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| c["top1"].as_i64().expect("top1"))
            .collect();
        assert!(tops.len() >= 2, "{id}: every case has the same top class");
    }
}

#[test]
fn wrong_input_shape_or_type_is_an_argument_error_and_the_session_still_runs() {
    let mut session = load("mobilenet_tiny_int8.tflite", 1);
    let too_short = TensorData::I8(vec![0; 10]);
    assert!(matches!(
        session.run(&[too_short]),
        Err(lesionscan::Error::InvalidArgument { .. })
    ));
    let wrong_type = TensorData::F32(vec![0.0; 128 * 128 * 3]);
    assert!(matches!(
        session.run(&[wrong_type]),
        Err(lesionscan::Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        session.run(&[]),
        Err(lesionscan::Error::InvalidArgument { .. })
    ));
    let good = TensorData::I8(vec![0; 128 * 128 * 3]);
    assert!(session.run(&[good]).is_ok());
}
