//! Helpers shared by the integration tests. Each test file that needs them declares
//! `mod common;`; not every file uses every helper.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod pictures;
pub mod tf_outputs;

/// Asserts that a card lists the seven HAM10000 classes in LesionScan's order, with akiec,
/// bcc and mel (and only those) marked malignant.
pub fn assert_ham10000_classes(card: &lesionscan::ModelCard) {
    let codes: Vec<&str> = card.classes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]);
    let malignant: Vec<&str> = card
        .classes
        .iter()
        .filter(|c| c.malignant)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(malignant, ["akiec", "bcc", "mel"]);
}

/// `../shared/data` beside the repository (the HAM10000 copies and the original phone
/// photo), when this machine has it.
///
/// Returns `None` and prints `SKIPPED: ../shared/data not found` when it is absent, so the
/// caller can return; panics instead when `LESIONSCAN_REQUIRE_SHARED_DATA=1` is set, so
/// that a machine that should have the data cannot skip silently.
pub fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("LESIONSCAN_REQUIRE_SHARED_DATA").as_deref() == Ok("1") {
        panic!("../shared/data not found and LESIONSCAN_REQUIRE_SHARED_DATA=1");
    }
    println!("SKIPPED: ../shared/data not found");
    None
}

/// A file under `tests/data/`.
pub fn test_data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The Y plane and interleaved V/U plane of an NV21 frame made from an RGB picture with
/// BT.601 full range: Y per pixel, V and U averaged over each 2x2 block (fewer pixels at
/// odd edges), all rounded to 8 bits.
pub fn nv21_from_rgb(img: &image::RgbImage) -> (Vec<u8>, Vec<u8>) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let px = |x: usize, y: usize| {
        let p = img.get_pixel(x as u32, y as u32).0;
        (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]))
    };
    let mut luma = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = px(x, y);
            luma.push(
                (0.299 * r + 0.587 * g + 0.114 * b)
                    .round()
                    .clamp(0.0, 255.0) as u8,
            );
        }
    }
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut vu = vec![0u8; cw * ch * 2];
    for cy in 0..ch {
        for cx in 0..cw {
            let (mut su, mut sv, mut n) = (0.0, 0.0, 0.0);
            for y in 2 * cy..(2 * cy + 2).min(h) {
                for x in 2 * cx..(2 * cx + 2).min(w) {
                    let (r, g, b) = px(x, y);
                    su += -0.168_736 * r - 0.331_264 * g + 0.5 * b + 128.0;
                    sv += 0.5 * r - 0.418_688 * g - 0.081_312 * b + 128.0;
                    n += 1.0;
                }
            }
            let at = (cy * cw + cx) * 2;
            vu[at] = (sv / n).round().clamp(0.0, 255.0) as u8;
            vu[at + 1] = (su / n).round().clamp(0.0, 255.0) as u8;
        }
    }
    (luma, vu)
}
