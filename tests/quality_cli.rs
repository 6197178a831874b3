//! The quality gate end to end through the real binary and the built-in default model:
//! a blurred, a dark, an overexposed and a clean copy of the same lesion photo.
#![cfg(feature = "cli")]

mod common;

use std::process::Command;

use common::pictures::{blurred, exposed, phone_window, MOLE};
use serde_json::Value;

fn jpeg(img: &image::RgbImage, path: &std::path::Path) {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 92)
        .encode_image(img)
        .expect("encodes");
    std::fs::write(path, bytes).expect("writes");
}

#[test]
fn classify_json_says_which_copies_of_a_lesion_photo_are_unusable_and_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clean = phone_window(MOLE.0, MOLE.1, 240);
    let copies = [
        ("clean.jpg", clean.clone(), None),
        ("blurred.jpg", blurred(&clean, 0.008), Some("blurry")),
        ("dark.jpg", exposed(&clean, -2.0), Some("too_dark")),
        ("overexposed.jpg", exposed(&clean, 2.0), Some("too_bright")),
    ];
    let mut args = vec![
        "classify".to_string(),
        "--json".into(),
        "--accelerator".into(),
        "cpu".into(),
    ];
    for (name, img, _) in &copies {
        let path = dir.path().join(name);
        jpeg(img, &path);
        args.push(path.display().to_string());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_lesionscan"))
        .args(&args)
        .env_remove("LESIONSCAN_LOG")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), copies.len());
    for ((name, _, issue), line) in copies.iter().zip(&lines) {
        assert!(line["file"].as_str().expect("file").ends_with(name));
        let quality = &line["quality"];
        assert_eq!(quality["assessed"], true, "{name}: {quality}");
        let issues: Vec<&str> = quality["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .map(|i| i.as_str().expect("a code"))
            .collect();
        match issue {
            None => {
                assert_eq!(quality["usable"], true, "{name}: {quality}");
                assert!(issues.is_empty(), "{name}: {quality}");
            }
            Some(issue) => {
                assert_eq!(quality["usable"], false, "{name}: {quality}");
                assert_eq!(issues.first(), Some(issue), "{name}: {quality}");
            }
        }
        for measure in ["sharpness", "exposure", "glare"] {
            assert!(quality[measure].is_number(), "{name}: {quality}");
        }
        // The CLI does not refuse: every picture is still classified.
        assert_eq!(
            line["categories"].as_array().map(Vec::len),
            Some(7),
            "{name}"
        );
    }

    // The table says the same in words.
    let table = Command::new(env!("CARGO_BIN_EXE_lesionscan"))
        .args(["classify", "--accelerator", "cpu"])
        .args(&args[4..])
        .env_remove("LESIONSCAN_LOG")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert_eq!(text.matches("picture quality: usable").count(), 1, "{text}");
    assert!(
        text.contains("picture quality: NOT USABLE (blurry"),
        "{text}"
    );
    assert!(
        text.contains("picture quality: NOT USABLE (too_dark"),
        "{text}"
    );
    assert!(
        text.contains("picture quality: NOT USABLE (too_bright"),
        "{text}"
    );
}
