//! The default HAM10000 model through the whole library against TensorFlow's
//! `tf.lite.Interpreter` on the same crops (references from models/tools/export_default.py).

use lesionscan::{
    Accelerator, BodySite, Classifier, ClassifierOptions, ImageOptions, PatientInfo, Roi, Sex,
};
use serde_json::Value;

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn default_model() -> Classifier {
    let stem = String::from_utf8(read("models/DEFAULT_MODEL")).expect("utf-8");
    let stem = stem.trim();
    Classifier::from_files(
        format!("models/{stem}.tflite"),
        format!("models/{stem}.json"),
        ClassifierOptions::default().with_accelerator(Accelerator::Cpu),
    )
    .expect("the default model loads against its card")
}

#[test]
fn default_model_card_names_the_ham10000_classes_and_malignancy() {
    let classifier = default_model();
    let card = classifier.card();
    let codes: Vec<&str> = card.classes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]);
    let malignant: Vec<&str> = card
        .classes
        .iter()
        .filter(|c| c.malignant)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(malignant, ["akiec", "bcc", "mel"]);
    assert!(
        card.metadata_input.is_some(),
        "the default model takes patient metadata"
    );
    assert!(
        card.sha256.is_some(),
        "the default card pins the model's checksum"
    );
}

fn patient(case: &Value) -> PatientInfo {
    let p = &case["patient"];
    PatientInfo {
        age: p["age"].as_f64().map(|a| a as u8),
        sex: p["sex"].as_str().map(|s| s.parse::<Sex>().expect("sex")),
        site: p["site"]
            .as_str()
            .map(|s| s.parse::<BodySite>().expect("site")),
    }
}

fn probabilities(result: &lesionscan::Classification) -> [f32; 7] {
    let mut got = [0f32; 7];
    for c in &result.categories {
        got[c.index as usize] = c.probability;
    }
    got
}

fn reference_probabilities(case: &Value) -> Vec<f64> {
    case["tflite_probabilities"]
        .as_array()
        .expect("p")
        .iter()
        .map(|v| v.as_f64().expect("f"))
        .collect()
}

#[test]
fn default_model_matches_tensorflow_on_the_reference_pixels() {
    // The PNGs hold exactly the pixels PIL decoded for the reference (see
    // models/tools/make_default_crops.py); 160 -> 254 is an upscale, where the resampler
    // equals tf.image.resize. What is left is the two runtimes' kernels: measured up to
    // 0.004 between tf.lite.Interpreter and LiteRT on this model's dynamic-range layers.
    let reference: Value =
        serde_json::from_slice(&read("tests/data/default_model_reference.json")).expect("json");
    let classifier = default_model();
    let cases = reference["cases"].as_array().expect("cases");
    assert!(cases.len() >= 3);
    for case in cases {
        let id = case["id"].as_str().expect("id");
        let png = read(&format!("tests/data/default_model_crops/{id}.png"));
        let result = classifier
            .classify_image(&png, &ImageOptions::default(), Some(&patient(case)))
            .expect("classifies");
        let (got, want) = (probabilities(&result), reference_probabilities(case));
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (f64::from(*g) - w).abs() < 6e-3,
                "{id}: {got:?} vs TF {want:?}"
            );
        }
        assert_eq!(
            result.categories[0].code,
            case["tflite_top1"].as_str().expect("top1"),
            "{id}"
        );
    }
}

#[test]
fn default_model_on_the_jpeg_with_a_region_of_interest_agrees_with_tensorflow() {
    // The same crops taken by ROI from the JPEG: libjpeg-turbo decodes the pixels PIL
    // decoded for the reference, bit for bit (a 160-pixel region for a 254-pixel input is
    // decoded in full), so the tolerance is the PNG test's.
    let reference: Value =
        serde_json::from_slice(&read("tests/data/default_model_reference.json")).expect("json");
    let classifier = default_model();
    let photo = read(reference["image"].as_str().expect("image path"));
    let (w, h) = (1528.0f32, 1360.0f32); // the upright photo (EXIF orientation 1)
    for case in reference["cases"].as_array().expect("cases") {
        let b: Vec<f32> = case["crop_box_ltrb"]
            .as_array()
            .expect("box")
            .iter()
            .map(|v| v.as_f64().expect("n") as f32)
            .collect();
        let roi = Roi {
            x: b[0] / w,
            y: b[1] / h,
            width: (b[2] - b[0]) / w,
            height: (b[3] - b[1]) / h,
        };
        let options = ImageOptions {
            roi: Some(roi),
            ..Default::default()
        };
        let result = classifier
            .classify_image(&photo, &options, Some(&patient(case)))
            .expect("classifies");
        let (got, want) = (probabilities(&result), reference_probabilities(case));
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (f64::from(*g) - w).abs() < 6e-3,
                "{}: {got:?} vs TF {want:?}",
                case["id"]
            );
        }
        assert_eq!(
            result.categories[0].code,
            case["tflite_top1"].as_str().expect("top1"),
            "{}",
            case["id"]
        );
    }
}
