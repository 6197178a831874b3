//! The Classifier end to end: results against TensorFlow, options, bad input, threads.

use lesionscan::engine::{
    Accelerator, DType, Engine, EngineOptions, Session, TensorData, TensorInfo,
};
use lesionscan::{
    BodySite, Classifier, ClassifierOptions, Error, Frame, ImageOptions, PatientInfo, PixelFormat,
    Plane, Rotation, Sex,
};
use serde_json::Value;

const PHOTO: &str = "tests/data/phone_skin_moles.jpg";

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn card_text(name: &str) -> String {
    String::from_utf8(read(&format!("tests/data/{name}.json"))).expect("utf-8 card")
}

fn classifier(name: &str, options: ClassifierOptions) -> Classifier {
    Classifier::from_files(
        format!("tests/data/{name}.tflite"),
        format!("tests/data/{name}.json"),
        options,
    )
    .expect("fixture loads")
}

fn cpu() -> ClassifierOptions {
    ClassifierOptions::default()
        .with_accelerator(Accelerator::Cpu)
        .with_threads(1)
}

fn by_index(result: &lesionscan::Classification, classes: usize) -> Vec<f32> {
    let mut p = vec![f32::NAN; classes];
    for c in &result.categories {
        p[c.index as usize] = c.probability;
    }
    p
}

fn e2e_reference() -> Value {
    serde_json::from_str(&String::from_utf8(read("tests/data/e2e_reference.json")).expect("utf-8"))
        .expect("json")
}

fn reference_probabilities(case: &Value) -> Vec<f64> {
    case["probabilities"]
        .as_array()
        .expect("p")
        .iter()
        .map(|v| v.as_f64().expect("f"))
        .collect()
}

fn patient_from(case: &Value) -> Option<PatientInfo> {
    let meta = &case["metadata"];
    let patient = PatientInfo {
        age: meta["age"].as_u64().map(|a| a as u8),
        sex: meta["sex"].as_str().map(|s| s.parse::<Sex>().expect("sex")),
        site: meta["site"]
            .as_str()
            .map(|s| s.parse::<BodySite>().expect("site")),
    };
    (patient != PatientInfo::default()).then_some(patient)
}

#[test]
fn float_two_input_model_matches_tensorflow_end_to_end() {
    // TF: PIL decode + EXIF transpose, tf.image.resize(antialias=True), normalise,
    // tf.lite.Interpreter, softmax of the logits. Decoders differ by a grey level here
    // and there, so probabilities agree closely but not bit for bit.
    let reference = e2e_reference();
    let model = &reference["models"]["two_input_float"];
    let classifier = classifier("two_input_float", cpu());
    let photo = read(PHOTO);
    let mut cases = 0;
    for case in model["cases"].as_array().expect("cases") {
        let patient = patient_from(case);
        let result = classifier
            .classify_image(&photo, &ImageOptions::default(), patient.as_ref())
            .expect("classifies");
        let got = by_index(&result, 7);
        let want = reference_probabilities(case);
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (f64::from(*g) - w).abs() < 2e-3,
                "{}: {got:?} vs TF {want:?}",
                case["name"]
            );
        }
        assert_eq!(
            result.categories[0].index as i64,
            case["top1"].as_i64().expect("top1")
        );
        cases += 1;
    }
    assert_eq!(cases, 2);
}

#[test]
fn patient_metadata_changes_the_answer_of_a_metadata_model() {
    let classifier = classifier("two_input_float", cpu());
    let photo = read(PHOTO);
    let none = classifier
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("ok");
    let patient = PatientInfo {
        age: Some(45),
        sex: Some(Sex::Female),
        site: Some(BodySite::Back),
    };
    let some = classifier
        .classify_image(&photo, &ImageOptions::default(), Some(&patient))
        .expect("ok");
    let (a, b) = (by_index(&none, 7), by_index(&some, 7));
    let diff: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum();
    assert!(diff > 0.1, "metadata made no difference: {a:?} vs {b:?}");
}

#[test]
fn int8_model_end_to_end_is_close_to_tensorflow() {
    let reference = e2e_reference();
    let model = &reference["models"]["mobilenet_tiny_int8"];
    let case = &model["cases"][0];
    let classifier = classifier("mobilenet_tiny_int8", cpu());
    let result = classifier
        .classify_image(&read(PHOTO), &ImageOptions::default(), None)
        .expect("ok");
    let got = by_index(&result, 7);
    let want = reference_probabilities(case);
    // int8 outputs move in steps of 1/256; inputs may differ by one quantisation step
    // where the two decoders disagree, so allow a few steps.
    for (g, w) in got.iter().zip(&want) {
        assert!((f64::from(*g) - w).abs() <= 0.06, "{got:?} vs TF {want:?}");
    }
}

#[test]
fn categories_are_ranked_and_malignant_probability_sums_the_malignant_classes() {
    let classifier = classifier("two_input_float", cpu());
    let result = classifier
        .classify_image(&read(PHOTO), &ImageOptions::default(), None)
        .expect("ok");
    assert_eq!(result.categories.len(), 7);
    for pair in result.categories.windows(2) {
        assert!(pair[0].probability >= pair[1].probability);
    }
    let total: f32 = result.categories.iter().map(|c| c.probability).sum();
    assert!((total - 1.0).abs() < 1e-4);
    let card = classifier.card();
    let malignant: f32 = result
        .categories
        .iter()
        .filter(|c| ["akiec", "bcc", "mel"].contains(&c.code.as_str()))
        .map(|c| c.probability)
        .sum();
    assert!((result.malignant_probability - malignant).abs() < 1e-6);
    for c in &result.categories {
        let class = &card.classes[c.index as usize];
        assert_eq!(
            (&c.code, &c.name, c.malignant),
            (&class.code, &class.name, class.malignant)
        );
    }
    assert_eq!(result.model_id, "two_input_float");
    assert_eq!(result.engine, "litert");
    assert_eq!(result.accelerator, Accelerator::Cpu);
}

#[test]
fn max_results_threshold_allow_and_deny_shape_the_categories() {
    let photo = read(PHOTO);
    let full = classifier("two_input_float", cpu())
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("ok");

    let top2 = classifier("two_input_float", cpu().with_max_results(2))
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("ok");
    assert_eq!(top2.categories, full.categories[..2].to_vec());
    assert_eq!(
        top2.malignant_probability, full.malignant_probability,
        "filters never change the malignant sum"
    );

    let threshold = full.categories[2].probability;
    let kept = classifier("two_input_float", cpu().with_score_threshold(threshold))
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("ok");
    assert_eq!(kept.categories, full.categories[..3].to_vec());

    let allowed = classifier("two_input_float", cpu().with_allow(["mel", "nv"]))
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("ok");
    let codes: Vec<&str> = allowed.categories.iter().map(|c| c.code.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec!["mel", "nv"]);

    let denied = classifier("two_input_float", cpu().with_deny(["vasc"]))
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("ok");
    assert_eq!(denied.categories.len(), 6);
    assert!(denied.categories.iter().all(|c| c.code != "vasc"));
}

#[test]
fn allow_and_deny_together_or_unknown_codes_are_rejected() {
    let load = |options| {
        Classifier::from_bytes(
            read("tests/data/two_input_float.tflite"),
            &card_text("two_input_float"),
            options,
        )
    };
    assert!(matches!(
        load(cpu().with_allow(["mel"]).with_deny(["nv"])),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        load(cpu().with_allow(["melanoma"])),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        load(cpu().with_max_results(0)),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        load(cpu().with_score_threshold(1.5)),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn bad_pictures_give_invalid_image_and_the_classifier_keeps_working() {
    let classifier = classifier("mobilenet_tiny_int8", cpu());
    let photo = read(PHOTO);
    let good = classifier
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("ok");
    let mut random = vec![0u8; 4096];
    let mut state = 0x2545_f491_u32;
    for b in &mut random {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *b = state as u8;
    }
    for bad in [
        &b""[..],
        &photo[..photo.len() / 2],
        &photo[..200],
        &random[..],
        b"GIF89a not really",
    ] {
        let err = classifier
            .classify_image(bad, &ImageOptions::default(), None)
            .expect_err("bad input fails");
        assert!(matches!(err, Error::InvalidImage { .. }), "{err:?}");
    }
    let again = classifier
        .classify_image(&photo, &ImageOptions::default(), None)
        .expect("still works");
    assert_eq!(again.categories, good.categories);
}

#[test]
fn a_text_file_is_not_a_model() {
    let err = Classifier::from_bytes(
        b"model = mobilenet\nthis is text\n",
        &card_text("mobilenet_tiny_int8"),
        cpu(),
    )
    .expect_err("rejected");
    // The card carries a sha256, so the text is caught there; without it, the engine
    // rejects it.
    assert!(matches!(err, Error::InvalidModel { .. }), "{err:?}");
    let mut card: Value = serde_json::from_str(&card_text("mobilenet_tiny_int8")).expect("json");
    card.as_object_mut().expect("object").remove("sha256");
    let err = Classifier::from_bytes(
        b"model = mobilenet\nthis is text\n",
        &card.to_string(),
        cpu(),
    )
    .expect_err("rejected");
    assert!(matches!(err, Error::InvalidModel { .. }), "{err:?}");
}

#[test]
fn cards_that_do_not_fit_the_model_are_invalid_cards() {
    let model = read("tests/data/mobilenet_tiny_int8.tflite");
    let base: Value = serde_json::from_str(&card_text("mobilenet_tiny_int8")).expect("json");
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut card = base.clone();
        f(&mut card);
        Classifier::from_bytes(&model, &card.to_string(), cpu()).expect_err("rejected")
    };
    let six_classes = edit(&|c| {
        c["classes"].as_array_mut().expect("classes").pop();
    });
    assert!(
        matches!(six_classes, Error::InvalidCard { .. }),
        "{six_classes:?}"
    );
    let wrong_size = edit(&|c| c["input"]["width"] = 224.into());
    assert!(
        matches!(wrong_size, Error::InvalidCard { .. }),
        "{wrong_size:?}"
    );
    let wrong_dtype = edit(&|c| c["input"]["dtype"] = "float32".into());
    assert!(
        matches!(wrong_dtype, Error::InvalidCard { .. }),
        "{wrong_dtype:?}"
    );
    let metadata_without_input = edit(&|c| {
        c["metadata_input"] = serde_json::json!({"length": 10});
    });
    assert!(
        matches!(metadata_without_input, Error::InvalidCard { .. }),
        "{metadata_without_input:?}"
    );
    let other_checksum = edit(&|c| c["sha256"] = "00".repeat(32).into());
    assert!(
        matches!(other_checksum, Error::InvalidModel { .. }),
        "{other_checksum:?}"
    );
    let not_json = Classifier::from_bytes(&model, "{ not json", cpu()).expect_err("rejected");
    assert!(matches!(not_json, Error::InvalidCard { .. }));

    let two_inputs = read("tests/data/two_input_float.tflite");
    let mut card: Value = serde_json::from_str(&card_text("two_input_float")).expect("json");
    card.as_object_mut()
        .expect("object")
        .remove("metadata_input");
    let no_metadata =
        Classifier::from_bytes(&two_inputs, &card.to_string(), cpu()).expect_err("rejected");
    assert!(
        matches!(no_metadata, Error::InvalidCard { .. }),
        "{no_metadata:?}"
    );
}

#[test]
fn a_frame_with_short_planes_is_invalid_and_the_classifier_keeps_working() {
    let classifier = classifier("mobilenet_tiny_int8", cpu());
    let y = vec![128u8; 64 * 48];
    let vu = vec![128u8; 10];
    let frame = Frame {
        width: 64,
        height: 48,
        format: PixelFormat::Nv21,
        planes: vec![
            Plane {
                bytes: &y,
                row_stride: 64,
                pixel_stride: 1,
            },
            Plane {
                bytes: &vu,
                row_stride: 64,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R0,
    };
    let err = classifier
        .classify_frame(&frame, &ImageOptions::default(), None)
        .expect_err("short plane");
    assert!(matches!(err, Error::InvalidFrame { .. }), "{err:?}");
    let vu = vec![128u8; 64 * 24];
    let frame = Frame {
        planes: vec![
            frame.planes[0],
            Plane {
                bytes: &vu,
                row_stride: 64,
                pixel_stride: 2,
            },
        ],
        ..frame
    };
    let result = classifier
        .classify_frame(&frame, &ImageOptions::default(), None)
        .expect("good frame");
    assert_eq!(result.categories.len(), 7);
    assert!(classifier
        .classify_image(&read(PHOTO), &ImageOptions::default(), None)
        .is_ok());
}

#[test]
fn classifier_is_send_and_sync_and_four_threads_agree_with_one() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Classifier>();

    let classifier = classifier(
        "two_input_float",
        ClassifierOptions::default().with_accelerator(Accelerator::Cpu),
    );
    let photo = read(PHOTO);
    let patients = [
        None,
        Some(PatientInfo {
            age: Some(70),
            sex: Some(Sex::Male),
            site: Some(BodySite::Face),
        }),
        Some(PatientInfo {
            age: Some(30),
            sex: Some(Sex::Female),
            site: Some(BodySite::LowerExtremity),
        }),
        Some(PatientInfo {
            age: None,
            sex: Some(Sex::Female),
            site: None,
        }),
    ];
    let expected: Vec<_> = patients
        .iter()
        .map(|p| {
            classifier
                .classify_image(&photo, &ImageOptions::default(), p.as_ref())
                .expect("ok")
                .categories
        })
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (classifier, photo, patients) = (&classifier, &photo, &patients);
                scope.spawn(move || {
                    (0..3)
                        .map(|round| {
                            let i = (t + round) % patients.len();
                            let r = classifier
                                .classify_image(
                                    photo,
                                    &ImageOptions::default(),
                                    patients[i].as_ref(),
                                )
                                .expect("ok");
                            (i, r.categories)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            for (i, categories) in handle.join().expect("thread") {
                assert_eq!(categories, expected[i], "patient {i}");
            }
        }
    });
}

/// An engine that returns fixed logits: exercises ranking without LiteRT.
struct FixedLogits(Vec<f32>);

struct FixedSession {
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
    logits: Vec<f32>,
}

impl Engine for FixedLogits {
    fn name(&self) -> &'static str {
        "fixed"
    }
    fn load(
        &self,
        _model: &[u8],
        _options: &EngineOptions,
    ) -> lesionscan::Result<Box<dyn Session>> {
        let info = |name: &str, shape: Vec<usize>| TensorInfo {
            name: name.into(),
            shape,
            dtype: DType::F32,
            quantization: None,
        };
        Ok(Box::new(FixedSession {
            inputs: vec![info("image", vec![1, 8, 8, 3])],
            outputs: vec![info("logits", vec![1, self.0.len()])],
            logits: self.0.clone(),
        }))
    }
}

impl Session for FixedSession {
    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }
    fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }
    fn accelerator(&self) -> Accelerator {
        Accelerator::Cpu
    }
    fn run(&mut self, inputs: &[TensorData]) -> lesionscan::Result<Vec<TensorData>> {
        assert_eq!(inputs[0].len(), 8 * 8 * 3);
        Ok(vec![TensorData::F32(self.logits.clone())])
    }
}

#[test]
fn logits_get_a_softmax_and_ties_keep_card_order() {
    let mut card: Value = serde_json::from_str(&card_text("two_input_float")).expect("json");
    card["input"] = serde_json::json!({"width": 8, "height": 8, "dtype": "float32"});
    card.as_object_mut()
        .expect("object")
        .remove("metadata_input");
    card.as_object_mut().expect("object").remove("sha256");
    card["output"]["kind"] = "logits".into();
    // ln 2 for mel, 0 elsewhere: mel = 2/8, every other class 1/8.
    let mut logits = vec![0.0f32; 7];
    logits[4] = 2f32.ln();
    let classifier = Classifier::with_engine(
        &FixedLogits(logits),
        b"unused",
        &card.to_string(),
        ClassifierOptions::default(),
    )
    .expect("loads");
    let result = classifier
        .classify_image(&read(PHOTO), &ImageOptions::default(), None)
        .expect("ok");
    assert_eq!(result.engine, "fixed");
    assert_eq!(result.categories[0].code, "mel");
    assert!((result.categories[0].probability - 0.25).abs() < 1e-6);
    let rest: Vec<u32> = result.categories[1..].iter().map(|c| c.index).collect();
    assert_eq!(rest, vec![0, 1, 2, 3, 5, 6]);
    // akiec + bcc + mel = 1/8 + 1/8 + 2/8
    assert!((result.malignant_probability - 0.5).abs() < 1e-6);
}

#[test]
fn damaged_models_fail_at_load_with_invalid_model_never_later() {
    // Without a sha256 in the card, damage must still be caught: either LiteRT's
    // flatbuffer checks or the load-time trial run reject it, or the model runs.
    let original = read("tests/data/mobilenet_tiny_int8.tflite");
    let mut card: Value = serde_json::from_str(&card_text("mobilenet_tiny_int8")).expect("json");
    card.as_object_mut().expect("object").remove("sha256");
    let card = card.to_string();
    let photo = read(PHOTO);
    let mut state = 0x9e37_79b9_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut rejected, mut ran) = (0, 0);
    for round in 0..60 {
        let mut damaged = original.clone();
        if round % 3 == 2 {
            damaged.truncate(16 + (next() as usize % (original.len() - 16)));
        } else {
            for _ in 0..20 {
                let at = 8 + next() as usize % (damaged.len() - 8);
                damaged[at] = next() as u8;
            }
        }
        match Classifier::from_bytes(&damaged, &card, cpu()) {
            Ok(classifier) => {
                classifier
                    .classify_image(&photo, &ImageOptions::default(), None)
                    .expect("a model that loads runs");
                ran += 1;
            }
            Err(Error::InvalidModel { .. }) => rejected += 1,
            Err(other) => panic!("round {round}: expected InvalidModel, got {other:?}"),
        }
    }
    assert!(rejected > 0, "no damaged model was rejected ({ran} ran)");
}
