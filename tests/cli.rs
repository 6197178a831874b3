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

#[test]
fn eval_reports_numbers_computable_by_hand() {
    let dir = tempfile::tempdir().expect("temp dir");
    let photo = image::open(PHOTO).expect("photo").to_rgb8();
    // Four pictures cut from the photo; what the model calls each is read back first.
    let corners = [(0, 0), (700, 500), (1100, 900), (300, 900)];
    let mut predicted = Vec::new();
    for (i, (x, y)) in corners.iter().enumerate() {
        let crop = image::imageops::crop_imm(&photo, *x, *y, 400, 400).to_image();
        let path = dir.path().join(format!("ISIC_{i}.png"));
        crop.save(&path).expect("save");
        // The same patient the metadata file gives below: the model takes it into account.
        let age = (40 + i).to_string();
        let args = [
            "classify", "--json", "--model", MODEL, "--age", &age, "--sex", "female", "--site",
            "back",
        ];
        let out = lesionscan(&[&args[..], &[path.to_str().expect("utf-8")]].concat());
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        predicted.push(
            v["categories"][0]["code"]
                .as_str()
                .expect("code")
                .to_string(),
        );
    }
    // Labels: pictures 0 and 1 labelled as predicted (right), 2 and 3 with a class the
    // model did not pick (wrong); plus one row whose picture does not exist.
    let other = |code: &str| {
        if code == "mel" {
            "nv".to_string()
        } else {
            "mel".to_string()
        }
    };
    let truth = [
        predicted[0].clone(),
        predicted[1].clone(),
        other(&predicted[2]),
        other(&predicted[3]),
    ];
    let mut csv = String::from("lesion_id,image_id,dx,dx_type,age,sex,localization\n");
    for (i, dx) in truth.iter().enumerate() {
        csv.push_str(&format!(
            "HAM_{i},ISIC_{i},{dx},histo,{}.0,female,back\n",
            40 + i
        ));
    }
    csv.push_str("HAM_9,ISIC_9,nv,histo,,unknown,unknown\n");
    let csv_path = dir.path().join("meta.csv");
    std::fs::write(&csv_path, csv).expect("csv");
    let png = dir.path().join("eval.png");
    let out = lesionscan(&[
        "eval",
        "--json",
        "--model",
        MODEL,
        "--csv",
        csv_path.to_str().expect("utf-8"),
        "--images",
        dir.path().to_str().expect("utf-8"),
        "--plot",
        png.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stderr_lines(&out).len(),
        1,
        "one line about the skipped picture"
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["evaluated"], 4);
    assert_eq!(v["skipped"]["missing"], serde_json::json!(["ISIC_9"]));
    assert_eq!(v["accuracy"].as_f64(), Some(0.5));

    // Recall per class with at least one true example, by hand.
    let labels: Vec<String> = v["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_str().expect("s").to_string())
        .collect();
    let mut recalls = Vec::new();
    for label in &labels {
        let support = truth.iter().filter(|t| *t == label).count();
        if support == 0 {
            continue;
        }
        let hits = (0..4)
            .filter(|&i| &truth[i] == label && predicted[i] == truth[i])
            .count();
        recalls.push(hits as f64 / support as f64);
        let reported = v["classes"]
            .as_array()
            .expect("classes")
            .iter()
            .find(|c| c["code"] == label.as_str())
            .expect("class");
        assert_eq!(
            reported["support"].as_u64(),
            Some(support as u64),
            "{label}"
        );
        assert_eq!(
            reported["recall"].as_f64(),
            Some(hits as f64 / support as f64),
            "{label}"
        );
    }
    let balanced = recalls.iter().sum::<f64>() / recalls.len() as f64;
    assert!((v["balanced_accuracy"].as_f64().expect("balanced") - balanced).abs() < 1e-12);
    let mel_support = truth.iter().filter(|t| *t == "mel").count();
    let mel_hits = (0..4)
        .filter(|&i| truth[i] == "mel" && predicted[i] == "mel")
        .count();
    assert_eq!(
        v["melanoma_sensitivity"].as_f64(),
        (mel_support > 0).then(|| mel_hits as f64 / mel_support as f64)
    );
    let total: u64 = v["confusion"]
        .as_array()
        .expect("m")
        .iter()
        .flat_map(|r| r.as_array().expect("row"))
        .map(|c| c.as_u64().expect("n"))
        .sum();
    assert_eq!(total, 4);

    let figure = image::open(&png).expect("the plot is a PNG");
    assert_eq!((figure.width(), figure.height()), (1200, 1100));
}

/// The AUC as the share of (positive, negative) pairs the positive wins, ties half.
fn pairwise_auc(positives: &[f64], negatives: &[f64]) -> f64 {
    let mut wins = 0.0;
    for p in positives {
        for n in negatives {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (positives.len() * negatives.len()) as f64
}

#[test]
fn eval_reads_isic_ground_truth_and_writes_the_submission_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let photo = image::open(PHOTO).expect("photo").to_rgb8();
    let corners = [
        (0, 0),
        (700, 500),
        (1100, 900),
        (300, 900),
        (900, 100),
        (500, 300),
    ];
    let ids = [
        "ISIC_0000001",
        "ISIC_0000002",
        "ISIC_0000003",
        "ISIC_0000004",
        "ISIC_0000005",
        "ISIC_0035068",
    ];
    for ((x, y), id) in corners.iter().zip(ids) {
        let crop = image::imageops::crop_imm(&photo, *x, *y, 400, 400).to_image();
        crop.save(dir.path().join(format!("{id}.png")))
            .expect("save");
    }
    // Two mel, two nv, one bcc (weighted 0), and ISIC_0035068, which the official scorer
    // always leaves out.
    let truth = [
        ("ISIC_0000001", "MEL", 1.0),
        ("ISIC_0000002", "NV", 1.0),
        ("ISIC_0000003", "MEL", 1.0),
        ("ISIC_0000004", "NV", 1.0),
        ("ISIC_0000005", "BCC", 0.0),
        ("ISIC_0035068", "MEL", 1.0),
    ];
    let columns = ["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"];
    let mut csv = String::from("image,MEL,NV,BCC,AKIEC,BKL,DF,VASC,score_weight\n");
    for (id, class, weight) in truth {
        let onehot: Vec<&str> = columns
            .iter()
            .map(|c| if *c == class { "1.0" } else { "0.0" })
            .collect();
        csv.push_str(&format!("{id},{},{weight:.1}\n", onehot.join(",")));
    }
    let truth_path = dir.path().join("truth.csv");
    std::fs::write(&truth_path, csv).expect("csv");
    let submission = dir.path().join("submission.csv");
    let png = dir.path().join("eval.png");
    let out = lesionscan(&[
        "eval",
        "--json",
        "--model",
        MODEL,
        "--csv",
        truth_path.to_str().expect("utf-8"),
        "--images",
        dir.path().to_str().expect("utf-8"),
        "--predictions",
        submission.to_str().expect("utf-8"),
        "--plot",
        png.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ground_truth"], "isic2018_ground_truth");
    assert_eq!(v["evaluated"], 4);
    assert_eq!(v["not_scored"], 2);

    // The submission: the ISIC header, every classified picture (weighted or not).
    let text = std::fs::read_to_string(&submission).expect("submission");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("image,MEL,NV,BCC,AKIEC,BKL,DF,VASC"));
    let rows: Vec<(String, Vec<f64>)> = lines
        .map(|line| {
            let mut fields = line.split(',');
            let id = fields.next().expect("image").to_string();
            (id, fields.map(|f| f.parse().expect("a number")).collect())
        })
        .collect();
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ids);
    for (id, p) in &rows {
        assert_eq!(p.len(), 7);
        assert!(p.iter().all(|x| (0.0..=1.0).contains(x)), "{id}: {p:?}");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{id}: {p:?}");
    }
    // The same probabilities `classify --json` gives (no patient data in ISIC truth).
    let first = lesionscan(&[
        "classify",
        "--json",
        "--model",
        MODEL,
        dir.path().join("ISIC_0000001.png").to_str().expect("utf-8"),
    ]);
    let c: Value = serde_json::from_slice(&first.stdout).expect("json");
    for category in c["categories"].as_array().expect("categories") {
        let code = category["code"]
            .as_str()
            .expect("code")
            .to_ascii_uppercase();
        let column = columns.iter().position(|c| *c == code).expect("column");
        // classify --json prints the f32; the submission its exact f64 value.
        let printed = category["probability"].as_f64().expect("p") as f32;
        assert_eq!(rows[0].1[column] as f32, printed, "{code}");
    }

    // AUC of mel and nv by hand over the four scored pictures.
    let scored = &rows[..4];
    let classes = ["MEL", "NV", "MEL", "NV"];
    let isic = &v["isic"];
    for (code, column) in [("mel", 0), ("nv", 1)] {
        let (pos, neg): (Vec<_>, Vec<_>) = scored
            .iter()
            .zip(classes)
            .partition(|(_, class)| class.eq_ignore_ascii_case(code));
        let p: Vec<f64> = pos.iter().map(|(r, _)| r.1[column]).collect();
        let n: Vec<f64> = neg.iter().map(|(r, _)| r.1[column]).collect();
        let reported = isic["classes"]
            .as_array()
            .expect("classes")
            .iter()
            .find(|c| c["code"] == code)
            .expect("class");
        let auc = reported["auc"].as_f64().expect("auc");
        assert!((auc - pairwise_auc(&p, &n)).abs() < 1e-12, "{code}: {auc}");
        // Sensitivity at probability > 0.5, by hand.
        let sensitivity = p.iter().filter(|x| **x > 0.5).count() as f64 / p.len() as f64;
        assert_eq!(
            reported["sensitivity"].as_f64(),
            Some(sensitivity),
            "{code}"
        );
    }
    // Classes without examples have no AUC, and the set is flagged incomplete.
    let bcc = &isic["classes"][1];
    assert_eq!(bcc["code"], "bcc");
    assert!(bcc["auc"].is_null() && bcc["sensitivity"].is_null());
    assert_eq!(isic["complete"], false);
    let figure = image::open(&png).expect("the plot is a PNG");
    assert_eq!((figure.width(), figure.height()), (1200, 1100));
}

#[test]
fn eval_rejects_a_label_the_model_does_not_know() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv_path = dir.path().join("meta.csv");
    std::fs::write(&csv_path, "lesion_id,image_id,dx\nHAM_1,ISIC_1,scc\n").expect("csv");
    let out = lesionscan(&[
        "eval",
        "--model",
        MODEL,
        "--csv",
        csv_path.to_str().expect("utf-8"),
        "--images",
        ".",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr_lines(&out).len(), 1);
}
