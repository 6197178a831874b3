//! The real `lesionscan` binary: exit codes, one-line errors, and the `--json` shapes
//! scripts rely on.
#![cfg(feature = "cli")]

use std::process::{Command, Output};

use serde_json::Value;

const MODEL: &str = "tests/data/two_input_float.tflite";
const PHOTO: &str = "tests/data/phone_skin_moles.jpg";

fn lesionscan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lesionscan"))
        .args(args)
        .env_remove("LESIONSCAN_LOG")
        .output()
        .expect("runs")
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn classify_json_prints_one_object_per_picture_with_the_contract_fields() {
    let out = lesionscan(&[
        "classify",
        "--json",
        "--accelerator",
        "cpu",
        "--model",
        MODEL,
        PHOTO,
        PHOTO,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for line in lines {
        let v: Value = serde_json::from_str(line).expect("each line is JSON");
        assert_eq!(v["file"], PHOTO);
        assert_eq!(v["model_id"], "two_input_float");
        assert_eq!(v["accelerator"], "cpu");
        let categories = v["categories"].as_array().expect("categories");
        assert_eq!(categories.len(), 7);
        let probabilities: Vec<f64> = categories
            .iter()
            .map(|c| c["probability"].as_f64().expect("p"))
            .collect();
        assert!(
            probabilities.windows(2).all(|w| w[0] >= w[1]),
            "descending: {probabilities:?}"
        );
        for c in categories {
            assert!(c["code"].is_string() && c["name"].is_string());
        }
        let malignant: f64 = categories
            .iter()
            .filter(|c| c["malignant"] == true)
            .map(|c| c["probability"].as_f64().expect("p"))
            .sum();
        assert!((v["malignant_probability"].as_f64().expect("m") - malignant).abs() < 1e-5);
        assert!(v["quality"].is_object());
        for stage in ["preprocess_us", "inference_us", "postprocess_us"] {
            assert!(v["timings"][stage].is_u64(), "{stage}");
        }
    }
    assert!(
        out.stderr.is_empty(),
        "native logs leaked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn patient_flags_reach_the_model() {
    let plain = lesionscan(&["classify", "--json", "--model", MODEL, PHOTO]);
    let with = lesionscan(&[
        "classify", "--json", "--model", MODEL, "--age", "70", "--sex", "male", "--site", "face",
        PHOTO,
    ]);
    assert_eq!(
        (plain.status.code(), with.status.code()),
        (Some(0), Some(0))
    );
    let top = |o: &Output| {
        let v: Value = serde_json::from_slice(&o.stdout).expect("json");
        v["categories"][0]["probability"].as_f64().expect("p")
    };
    assert!((top(&plain) - top(&with)).abs() > 1e-3);
    let bad_site = lesionscan(&["classify", "--model", MODEL, "--site", "elbow", PHOTO]);
    assert_eq!(bad_site.status.code(), Some(2));
}

#[test]
fn human_output_names_the_classes_and_says_it_is_not_a_diagnosis() {
    let out = lesionscan(&["classify", "--model", MODEL, PHOTO]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("Melanoma") && text.contains("malignant classes together"),
        "{text}"
    );
    assert!(text.contains("not a medical device"), "{text}");
}

#[test]
fn unreadable_input_exits_2_with_one_line() {
    let missing = lesionscan(&["classify", "--model", MODEL, "no/such/picture.jpg"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        stderr_lines(&missing).len(),
        1,
        "{:?}",
        stderr_lines(&missing)
    );

    let not_a_picture = lesionscan(&["classify", "--model", MODEL, "Cargo.toml"]);
    assert_eq!(not_a_picture.status.code(), Some(2));
    assert_eq!(stderr_lines(&not_a_picture).len(), 1);
    assert!(stderr_lines(&not_a_picture)[0].contains("invalid image"));

    // One good and one bad picture: the good one is still printed.
    let mixed = lesionscan(&["classify", "--json", "--model", MODEL, PHOTO, "Cargo.toml"]);
    assert_eq!(mixed.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&mixed.stdout).lines().count(), 1);

    let text_model = lesionscan(&[
        "classify",
        "--model",
        "Cargo.toml",
        "--card",
        "tests/data/two_input_float.json",
        PHOTO,
    ]);
    assert_eq!(text_model.status.code(), Some(2));
    assert_eq!(stderr_lines(&text_model).len(), 1);
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(lesionscan(&["classify"]).status.code(), Some(2));
    assert_eq!(lesionscan(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        lesionscan(&["classify", "--accelerator", "tpu", "--model", MODEL, PHOTO])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        lesionscan(&["classify", "--rotation", "45", "--model", MODEL, PHOTO])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        lesionscan(&[
            "classify",
            "--roi",
            "0.5,0.5,0.9,0.9",
            "--model",
            MODEL,
            PHOTO
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn info_json_shows_card_tensors_and_accelerator() {
    let out = lesionscan(&["info", "--json", "--accelerator", "cpu", "--model", MODEL]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["card"]["id"], "two_input_float");
    assert_eq!(v["accelerator"], "cpu");
    let inputs = v["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0]["shape"], serde_json::json!([1, 64, 64, 3]));
    assert_eq!(inputs[0]["dtype"], "float32");
    assert_eq!(v["outputs"][0]["shape"], serde_json::json!([1, 7]));

    let int8 = lesionscan(&[
        "info",
        "--json",
        "--model",
        "tests/data/mobilenet_tiny_int8.tflite",
    ]);
    let v: Value = serde_json::from_slice(&int8.stdout).expect("json");
    assert_eq!(v["inputs"][0]["dtype"], "int8");
    assert!(
        v["inputs"][0]["quantization"]["scale"]
            .as_f64()
            .expect("scale")
            > 0.0
    );
}

#[test]
fn bench_json_reports_load_time_and_stage_percentiles() {
    let out = lesionscan(&[
        "bench",
        "--json",
        "--runs",
        "3",
        "--warmup",
        "1",
        "--threads",
        "1",
        "--model",
        MODEL,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["load_ms"].as_f64().expect("load") > 0.0);
    for stage in ["preprocess", "inference", "postprocess", "total"] {
        let median = v["stages"][stage]["median_ms"].as_f64().expect("median");
        let p90 = v["stages"][stage]["p90_ms"].as_f64().expect("p90");
        assert!(p90 >= median, "{stage}");
    }
    assert_eq!(v["runs"], 3);
}
