//! The classic TFLite C API engine (`TfLiteCEngine`, feature `tflite-c`) against LiteRT and
//! TensorFlow's references, on the TF 2.6.0 `libtensorflowlite_c.so` that scripts/setup puts
//! in `.tflite-c/lib` — the engine iOS builds use, with the only C library this machine has.
//!
//! Run with `cargo test --features cli,tflite-c` (the README's and CI's test command).
#![cfg(feature = "tflite-c")]

#[path = "common/reference.rs"]
mod reference;

use lesionscan::engine::{
    Accelerator, Engine, EngineOptions, LiteRtEngine, Session, TensorData, TfLiteCEngine,
};
use lesionscan::{Classifier, ClassifierOptions, Error, ImageOptions};
use reference::{case_inputs, cases, model, tensor_from_json};

const PHOTO: &str = "tests/data/phone_skin_moles.jpg";

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn options(accelerator: Accelerator, threads: u32) -> EngineOptions {
    EngineOptions {
        accelerator,
        threads,
        ..EngineOptions::default()
    }
}

fn load(engine: &dyn Engine, name: &str, threads: u32) -> Box<dyn Session> {
    engine
        .load(
            &read(&format!("tests/data/{name}.tflite")),
            &options(Accelerator::Cpu, threads),
        )
        .unwrap_or_else(|e| panic!("{} loads {name}: {e}", engine.name()))
}

fn int8(data: &TensorData) -> &[i8] {
    match data {
        TensorData::I8(v) => v,
        other => panic!("expected int8, got {:?}", other.dtype()),
    }
}

fn f32s(data: &TensorData) -> &[f32] {
    match data {
        TensorData::F32(v) => v,
        other => panic!("expected float32, got {:?}", other.dtype()),
    }
}

#[test]
fn the_linked_runtime_is_tf_2_6_0() {
    // Every expectation below about what the old runtime gets wrong is about this version.
    assert_eq!(TfLiteCEngine::runtime_version(), "2.6.0");
    assert_eq!(TfLiteCEngine::new().name(), "tflite-c");
}

#[test]
fn tensor_names_shapes_types_and_quantisation_equal_litert_and_tensorflow() {
    for name in ["two_input_float", "mobilenet_tiny_int8_dense_per_tensor"] {
        let ours = load(&TfLiteCEngine::new(), name, 1);
        let litert = load(&LiteRtEngine::new(), name, 1);
        assert_eq!(ours.inputs(), litert.inputs(), "{name} inputs");
        assert_eq!(ours.outputs(), litert.outputs(), "{name} outputs");
        let tf = model(name);
        for (info, theirs) in ours
            .inputs()
            .iter()
            .zip(tf["inputs"].as_array().expect("inputs"))
        {
            assert_eq!(info.name, theirs["name"].as_str().expect("name"), "{name}");
        }
    }
}

#[test]
fn float_model_outputs_are_within_1e_6_of_litert_and_1e_5_of_tensorflow() {
    // Both runtimes run this model's convolutions in XNNPACK, but TF 2.6's XNNPACK and
    // LiteRT 2.1.4's sum in different orders: measured here, logits (magnitude 0.3 to 5)
    // at most 3.6e-7 apart — a few float32 roundings, not bit-identical.
    let mut ours = load(&TfLiteCEngine::new(), "two_input_float", 1);
    let mut litert = load(&LiteRtEngine::new(), "two_input_float", 1);
    let tf = model("two_input_float");
    let mut worst = 0f32;
    for case in cases(&tf) {
        let inputs = case_inputs(&case);
        let got = ours.run(&inputs).expect("tflite-c runs");
        let want = litert.run(&inputs).expect("litert runs");
        for (g, w) in f32s(&got[0]).iter().zip(f32s(&want[0])) {
            worst = worst.max((g - w).abs());
        }
        let tf_out = tensor_from_json(&case["output"]);
        for (g, w) in f32s(&got[0]).iter().zip(f32s(&tf_out)) {
            assert!(
                (g - w).abs() <= 1e-5,
                "case {}: {g} vs TF {w}",
                case["name"]
            );
        }
    }
    println!("two_input_float: logits at most {worst:e} from LiteRT over 3 cases");
    assert!(worst <= 1e-6, "{worst} from LiteRT");
}

#[test]
fn int8_model_with_one_dense_weight_scale_is_within_three_steps_of_litert() {
    let name = "mobilenet_tiny_int8_dense_per_tensor";
    let mut ours = load(&TfLiteCEngine::new(), name, 1);
    let mut litert = load(&LiteRtEngine::new(), name, 1);
    let tf = model(name);
    let mut worst = 0;
    for case in cases(&tf) {
        let inputs = case_inputs(&case);
        let got = ours.run(&inputs).expect("tflite-c runs");
        let want = litert.run(&inputs).expect("litert runs");
        let steps = int8(&got[0])
            .iter()
            .zip(int8(&want[0]))
            .map(|(g, w)| (i32::from(*g) - i32::from(*w)).abs())
            .max()
            .expect("outputs");
        worst = worst.max(steps);
        // LiteRT itself equals TensorFlow bit for bit (engine_reference.rs); the old
        // reference kernels round differently from XNNPACK, hence the tolerance, but they
        // must pick the same class.
        let top = |v: &[i8]| {
            v.iter()
                .enumerate()
                .max_by_key(|(i, q)| (**q, std::cmp::Reverse(*i)))
                .map(|(i, _)| i)
        };
        assert_eq!(
            top(int8(&got[0])),
            top(int8(&want[0])),
            "case {}",
            case["name"]
        );
        assert!(
            steps <= 3,
            "case {}: {steps} int8 steps from LiteRT",
            case["name"]
        );
    }
    println!("{name}: at most {worst} int8 step(s) from LiteRT over 3 cases");
}

#[test]
fn tf_2_6_gives_every_class_the_same_score_on_per_channel_dense_weights() {
    // A recorded limitation, not a wish: TF 2.6's int8 FULLY_CONNECTED kernel reads one
    // weight scale, and mobilenet_tiny_int8's Dense layer has seven (the converter's default
    // since TF 2.16/2.17). The runtime raises no error; it answers the same for every class.
    // That is why iOS pins TensorFlowLiteC >= 2.17 (ios/README.md) and TfLiteCEngine::new()
    // refuses older runtimes there. If this test fails, the linked runtime changed: update
    // the README's platform table and ios/README.md.
    let mut ours = load(&TfLiteCEngine::new(), "mobilenet_tiny_int8", 1);
    let tf = model("mobilenet_tiny_int8");
    for case in cases(&tf) {
        let got = ours
            .run(&case_inputs(&case))
            .expect("runs, without any error");
        let got = int8(&got[0]);
        assert!(
            got.iter().all(|q| *q == got[0]),
            "case {}: TF 2.6 now separates the classes: {got:?}",
            case["name"]
        );
        let want = tensor_from_json(&case["output"]);
        let want = int8(&want);
        assert!(
            want.iter().any(|q| *q != want[0]),
            "TensorFlow's own answer separates the classes"
        );
    }
}

#[test]
fn the_default_model_on_tf_2_6_is_refused_or_gives_tensorflows_probabilities() {
    // An old runtime must never load the default model and answer wrongly. Either TF 2.6
    // refuses it with a typed error naming the operator version it lacks (the earlier mixed
    // int8/float16 default: FULLY_CONNECTED v12, see ios/README.md), or it runs it and gives
    // TensorFlow 2.21's probabilities on the reference crops (tests/data/
    // default_model_reference.json, from models/tools/export_default.py).
    let stem = std::fs::read_to_string("models/DEFAULT_MODEL").expect("models/DEFAULT_MODEL");
    let stem = stem.trim();
    let bytes = read(&format!("models/{stem}.tflite"));
    match TfLiteCEngine::new().load(&bytes, &options(Accelerator::Cpu, 1)) {
        Err(Error::Unsupported { reason }) => {
            assert!(reason.contains("2.6.0"), "{reason}");
            assert!(reason.contains("version"), "{reason}");
            println!("default model on TF 2.6: {reason}");
        }
        Err(other) => panic!("expected Unsupported naming the missing operator, got {other:?}"),
        Ok(_) => {
            let card = String::from_utf8(read(&format!("models/{stem}.json"))).expect("utf-8");
            let cpu = ClassifierOptions::default()
                .with_accelerator(Accelerator::Cpu)
                .with_threads(1);
            let classifier = Classifier::with_engine(&TfLiteCEngine::new(), &bytes, &card, cpu)
                .expect("the engine loaded the model, so the classifier does");
            let reference: serde_json::Value =
                serde_json::from_slice(&read("tests/data/default_model_reference.json"))
                    .expect("json");
            assert_eq!(
                reference["model"],
                format!("{stem}.tflite"),
                "reference is current"
            );
            let cases = reference["cases"].as_array().expect("cases");
            assert!(cases.len() >= 3);
            for case in cases {
                let id = case["id"].as_str().expect("id");
                let png = read(&format!("tests/data/default_model_crops/{id}.png"));
                let m = &case["patient"];
                let patient = lesionscan::PatientInfo {
                    age: m["age"].as_f64().map(|a| a as u8),
                    sex: m["sex"].as_str().map(|s| s.parse().expect("sex")),
                    site: m["site"].as_str().map(|s| s.parse().expect("site")),
                };
                let result = classifier
                    .classify_image(&png, &ImageOptions::default(), Some(&patient))
                    .expect("classifies");
                let want: Vec<f64> = case["tflite_probabilities"]
                    .as_array()
                    .expect("probabilities")
                    .iter()
                    .map(|v| v.as_f64().expect("number"))
                    .collect();
                for c in &result.categories {
                    let w = want[c.index as usize];
                    // The tolerance of tests/default_model.rs (its TOLERANCE says why).
                    assert!(
                        (f64::from(c.probability) - w).abs() < 0.025,
                        "{id} {}: TF 2.6 {} vs TF 2.21 {w}",
                        c.code,
                        c.probability
                    );
                }
                assert_eq!(
                    result.categories[0].code,
                    case["tflite_top1"].as_str().expect("top1"),
                    "{id}"
                );
            }
            println!("default model on TF 2.6: runs, {} crops agree", cases.len());
        }
    }
}

#[test]
fn an_engine_that_requires_2_17_refuses_the_old_runtime() {
    // What iOS builds do by default (TfLiteCEngine::new() there requires 2.17).
    let engine = TfLiteCEngine::new().with_minimum_runtime(2, 17);
    let err = engine
        .load(
            &read("tests/data/two_input_float.tflite"),
            &options(Accelerator::Cpu, 1),
        )
        .err()
        .expect("refused");
    assert!(
        matches!(&err, Error::Unsupported { reason } if reason.contains("2.6.0") && reason.contains("2.17")),
        "{err:?}"
    );
    assert!(TfLiteCEngine::new()
        .with_minimum_runtime(2, 6)
        .load(
            &read("tests/data/two_input_float.tflite"),
            &options(Accelerator::Cpu, 1)
        )
        .is_ok());
}

#[test]
fn gpu_and_npu_requests_fall_back_to_the_cpu_and_say_so() {
    // This engine's GPU path is the Metal delegate, on iOS only; elsewhere GPU, NPU and
    // Auto all end on the CPU, and the session reports the CPU.
    let bytes = read("tests/data/two_input_float.tflite");
    for accelerator in [Accelerator::Gpu, Accelerator::Npu, Accelerator::Auto] {
        let session = TfLiteCEngine::new()
            .load(&bytes, &options(accelerator, 1))
            .expect("falls back");
        assert_eq!(session.accelerator(), Accelerator::Cpu, "{accelerator}");
    }
}

#[test]
fn two_threads_give_the_same_outputs_as_one() {
    for name in ["two_input_float", "mobilenet_tiny_int8_dense_per_tensor"] {
        let mut one = load(&TfLiteCEngine::new(), name, 1);
        let mut two = load(&TfLiteCEngine::new(), name, 2);
        for case in cases(&model(name)) {
            let inputs = case_inputs(&case);
            assert_eq!(
                one.run(&inputs),
                two.run(&inputs),
                "{name} case {}",
                case["name"]
            );
        }
    }
}

#[test]
fn wrong_inputs_are_argument_errors_and_the_session_still_runs() {
    let mut session = load(
        &TfLiteCEngine::new(),
        "mobilenet_tiny_int8_dense_per_tensor",
        1,
    );
    for bad in [
        vec![TensorData::I8(vec![0; 10])],
        vec![TensorData::F32(vec![0.0; 128 * 128 * 3])],
        vec![],
        vec![
            TensorData::I8(vec![0; 128 * 128 * 3]),
            TensorData::I8(vec![0; 3]),
        ],
    ] {
        assert!(
            matches!(session.run(&bad), Err(Error::InvalidArgument { .. })),
            "{} input(s)",
            bad.len()
        );
    }
    assert!(session
        .run(&[TensorData::I8(vec![0; 128 * 128 * 3])])
        .is_ok());
}

#[test]
fn text_truncated_and_damaged_models_are_invalid_models_never_crashes() {
    let engine = TfLiteCEngine::new();
    let cpu = options(Accelerator::Cpu, 1);
    for bytes in [
        b"this is a text file, not a model".to_vec(),
        read(PHOTO),
        Vec::new(),
    ] {
        assert!(matches!(
            engine.load(&bytes, &cpu),
            Err(Error::InvalidModel { .. })
        ));
    }
    let original = read("tests/data/two_input_float.tflite");
    // Truncations: the runtime's flatbuffer verifier must reject every one.
    for cut in [16, 100, 1000, original.len() / 2, original.len() - 1] {
        let err = engine.load(&original[..cut], &cpu).err();
        assert!(
            matches!(err, Some(Error::InvalidModel { .. })),
            "cut at {cut}: {err:?}"
        );
    }
    // The damaged file keeps the engine usable.
    assert!(engine.load(&original, &cpu).is_ok());
}

#[test]
fn classifier_with_tflite_c_equals_litert_end_to_end_and_names_its_engine() {
    let photo = read(PHOTO);
    let cpu = ClassifierOptions::default()
        .with_accelerator(Accelerator::Cpu)
        .with_threads(1);
    let name = "two_input_float";
    let model = read(&format!("tests/data/{name}.tflite"));
    let card = String::from_utf8(read(&format!("tests/data/{name}.json"))).expect("utf-8");
    let ours = Classifier::with_engine(&TfLiteCEngine::new(), &model, &card, cpu.clone())
        .expect("loads with tflite-c");
    let litert = Classifier::with_engine(&LiteRtEngine::new(), &model, &card, cpu)
        .expect("loads with litert");
    let a = ours
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("classifies");
    let b = litert
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("classifies");
    assert_eq!(a.engine, "tflite-c");
    assert_eq!(b.engine, "litert");
    assert_eq!(ours.model_info().engine, "tflite-c");
    // Same ranking, probabilities within float rounding (see the float model test above).
    let codes = |r: &lesionscan::Classification| -> Vec<String> {
        r.categories.iter().map(|c| c.code.clone()).collect()
    };
    assert_eq!(codes(&a), codes(&b));
    for (x, y) in a.categories.iter().zip(&b.categories) {
        assert!(
            (x.probability - y.probability).abs() <= 1e-6,
            "{x:?} vs {y:?}"
        );
    }
    assert!((a.malignant_probability - b.malignant_probability).abs() <= 1e-6);
    // A bad picture leaves it usable.
    assert!(matches!(
        ours.classify_image(b"not a picture", &ImageOptions::default(), None),
        Err(Error::InvalidImage { .. })
    ));
    assert!(ours
        .classify_image(&photo, &ImageOptions::default(), None)
        .is_ok());
}

#[test]
fn a_tflite_c_classifier_is_shared_by_four_threads() {
    let name = "mobilenet_tiny_int8_dense_per_tensor";
    let model = read(&format!("tests/data/{name}.tflite"));
    let card = String::from_utf8(read(&format!("tests/data/{name}.json"))).expect("utf-8");
    let classifier = std::sync::Arc::new(
        Classifier::with_engine(
            &TfLiteCEngine::new(),
            &model,
            &card,
            ClassifierOptions::default().with_threads(1),
        )
        .expect("loads"),
    );
    let photo = std::sync::Arc::new(read(PHOTO));
    let alone = classifier
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("classifies");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (classifier, photo) = (classifier.clone(), photo.clone());
            std::thread::spawn(move || {
                (0..5)
                    .map(|_| {
                        classifier
                            .classify_image(&photo, &ImageOptions::default(), None)
                            .expect("classifies")
                            .categories
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for handle in handles {
        for categories in handle.join().expect("thread") {
            assert_eq!(categories, alone.categories);
        }
    }
}
