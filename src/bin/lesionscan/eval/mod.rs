//! `lesionscan eval`: classify labelled pictures and report accuracy, balanced accuracy,
//! per-class precision/recall/F1, melanoma sensitivity, a confusion matrix, and the ISIC
//! 2018 Task 3 metrics (per-class ROC AUC, AUC above 80 % sensitivity, average precision,
//! sensitivity and specificity, macro averages) as text, JSON and a PNG figure; and
//! optionally the predictions in the ISIC submission format.

mod isic;
mod metrics;
mod plot;
mod submission;
mod truth;

use std::path::PathBuf;

use clap::Args;
use lesionscan::{ImageOptions, DISCLAIMER};
use serde::Serialize;

use crate::common::{CmdResult, Failure, ModelArgs};
use crate::{model_source, native_stderr};
use isic::{IsicReport, Scored};
use metrics::{Outcome, Report};
use truth::Format;

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Ground truth: HAM10000 metadata (lesion_id,image_id,dx,dx_type,age,sex,localization)
    /// or ISIC 2018 Task 3 ground truth (image,MEL,NV,BCC,AKIEC,BKL,DF,VASC, one-hot).
    #[arg(long, value_name = "TRUTH.csv")]
    csv: PathBuf,
    /// Folder(s) holding <image_id>.jpg (or .jpeg/.png); give --images once per folder.
    #[arg(long, value_name = "DIR", required = true)]
    images: Vec<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Also draw the confusion matrix, per-class recall and ROC curves into this PNG.
    #[arg(long, value_name = "OUT.png")]
    plot: Option<PathBuf>,
    /// Write the probabilities in the ISIC 2018 submission format
    /// (image,MEL,NV,BCC,AKIEC,BKL,DF,VASC) for the official scorer.
    #[arg(long, value_name = "OUT.csv")]
    predictions: Option<PathBuf>,
    /// Operating point for the malignant-versus-benign numbers.
    #[arg(long, default_value_t = 0.5)]
    malignant_threshold: f64,
    /// Ignore the age/sex/site columns (classify from the picture alone).
    #[arg(long)]
    no_metadata: bool,
}

/// `<image_id>.jpg` (or .jpeg, .JPG, .png) in the first folder that has it; an id that
/// already ends in an extension is also tried as it is.
fn find_image(dirs: &[PathBuf], image_id: &str) -> Option<PathBuf> {
    dirs.iter()
        .flat_map(|dir| {
            ["jpg", "jpeg", "JPG", "png"]
                .map(|ext| dir.join(format!("{image_id}.{ext}")))
                .into_iter()
                .chain(std::iter::once(dir.join(image_id)))
        })
        .find(|p| p.is_file())
}

/// A picture the model classified.
struct Classified {
    image_id: String,
    truth: usize,
    scored: bool,
    /// One probability per class, in the card's order.
    probabilities: Vec<f64>,
    predicted: usize,
    malignant_probability: f64,
}

/// The JSON `eval --json` prints: the top-1 report, the ISIC metrics, and what was skipped.
#[derive(Serialize)]
struct EvalJson<'a> {
    model_id: &'a str,
    ground_truth: &'static str,
    #[serde(flatten)]
    report: &'a Report,
    isic: &'a IsicReport,
    /// Classified and written to --predictions but left out of the metrics (weight 0).
    not_scored: usize,
    skipped: Skipped<'a>,
    disclaimer: &'static str,
}

#[derive(Serialize)]
struct Skipped<'a> {
    missing: &'a [String],
    unreadable: &'a [String],
}

pub(crate) fn run(args: &EvalArgs) -> CmdResult {
    let classifier = model_source::load(&args.model, args.model.options())?;
    let card = classifier.card();
    let labels: Vec<String> = card.classes.iter().map(|c| c.code.clone()).collect();
    let malignant: Vec<bool> = card.classes.iter().map(|c| c.malignant).collect();
    let (format, rows) = truth::read(&args.csv, &labels, !args.no_metadata)?;
    if rows.is_empty() {
        return Err(Failure::input(format!(
            "{} has no rows",
            args.csv.display()
        )));
    }

    let bar = native_stderr::progress_bar(rows.len() as u64);
    let mut classified = Vec::with_capacity(rows.len());
    let (mut missing, mut failed) = (Vec::new(), Vec::new());
    for row in &rows {
        bar.inc(1);
        let Some(path) = find_image(&args.images, &row.image_id) else {
            missing.push(row.image_id.clone());
            continue;
        };
        let Ok(bytes) = std::fs::read(&path) else {
            failed.push(row.image_id.clone());
            continue;
        };
        let result =
            match classifier.classify_image(&bytes, &ImageOptions::default(), row.patient.as_ref())
            {
                Ok(result) => result,
                Err(e) => {
                    log::warn!("{}: {e}", path.display());
                    failed.push(row.image_id.clone());
                    continue;
                }
            };
        let mut probabilities = vec![0.0f64; labels.len()];
        for category in &result.categories {
            if let Some(p) = probabilities.get_mut(category.index as usize) {
                // Clamped so that the submission file stays within the scorer's 0..=1.
                *p = f64::from(category.probability).clamp(0.0, 1.0);
            }
        }
        let (Some(top), true) = (result.top(), probabilities.iter().all(|p| p.is_finite())) else {
            failed.push(row.image_id.clone());
            continue;
        };
        classified.push(Classified {
            image_id: row.image_id.clone(),
            truth: row.class,
            scored: row.scored,
            probabilities,
            predicted: top.index as usize,
            malignant_probability: f64::from(result.malignant_probability),
        });
    }
    bar.finish_and_clear();
    if !missing.is_empty() || !failed.is_empty() {
        native_stderr::line(&format!(
            "lesionscan: skipped {} picture(s): {} not found, {} unreadable (first: {})",
            missing.len() + failed.len(),
            missing.len(),
            failed.len(),
            missing
                .first()
                .or(failed.first())
                .map_or("", String::as_str)
        ));
    }
    if let Some(out) = &args.predictions {
        let rows: Vec<(&str, &[f64])> = classified
            .iter()
            .map(|c| (c.image_id.as_str(), c.probabilities.as_slice()))
            .collect();
        submission::write_file(out, &labels, &rows)
            .map_err(|e| Failure::other(format!("cannot write {}: {e}", out.display())))?;
    }
    let scored: Vec<&Classified> = classified.iter().filter(|c| c.scored).collect();
    if scored.is_empty() {
        return Err(Failure::input("no picture could be evaluated"));
    }
    let outcomes: Vec<Outcome> = scored
        .iter()
        .map(|c| Outcome {
            truth: c.truth,
            predicted: c.predicted,
            malignant_probability: c.malignant_probability,
        })
        .collect();
    let report = metrics::report(&labels, &malignant, &outcomes, args.malignant_threshold);
    let isic_rows: Vec<Scored> = scored
        .iter()
        .map(|c| Scored {
            truth: c.truth,
            probabilities: c.probabilities.clone(),
        })
        .collect();
    let isic = isic::score(&labels, &isic_rows);
    if let Some(png) = &args.plot {
        plot::draw(png, &report, &isic, &card.id)
            .map_err(|e| Failure::other(format!("cannot draw {}: {e}", png.display())))?;
    }
    let not_scored = classified.len() - scored.len();
    if args.json {
        let json = EvalJson {
            model_id: &card.id,
            ground_truth: match format {
                Format::Ham10000 => "ham10000_metadata",
                Format::Isic2018 => "isic2018_ground_truth",
            },
            report: &report,
            isic: &isic,
            not_scored,
            skipped: Skipped {
                missing: &missing,
                unreadable: &failed,
            },
            disclaimer: DISCLAIMER,
        };
        let text = serde_json::to_string(&json).map_err(|e| Failure::other(e.to_string()))?;
        println!("{text}");
    } else {
        print_text(
            &report,
            &isic,
            &card.id,
            missing.len() + failed.len(),
            not_scored,
        );
    }
    Ok(())
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "   n/a".to_string(), |v| format!("{:>5.1}%", v * 100.0))
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "   n/a".to_string(), |v| format!("{v:>6.4}"))
}

fn print_text(
    report: &Report,
    isic: &IsicReport,
    model_id: &str,
    skipped: usize,
    not_scored: usize,
) {
    let unscored = if not_scored > 0 {
        format!(", {not_scored} classified but weighted 0 by the ground truth")
    } else {
        String::new()
    };
    println!(
        "model {model_id}: {} pictures evaluated, {skipped} skipped{unscored}",
        report.evaluated
    );
    println!("accuracy                {}", pct(report.accuracy));
    println!(
        "balanced accuracy       {}  (mean recall over classes present)",
        pct(report.balanced_accuracy)
    );
    println!(
        "melanoma sensitivity    {}  (recall of mel at top-1)",
        pct(report.melanoma_sensitivity)
    );
    println!(
        "malignant vs benign     sensitivity {} specificity {} at malignant probability >= {}",
        pct(report.malignant.sensitivity),
        pct(report.malignant.specificity),
        report.malignant.threshold
    );
    println!();
    println!(
        "{:<6} {:>8} {:>10} {:>8} {:>8}",
        "class", "support", "precision", "recall", "f1"
    );
    for c in &report.classes {
        println!(
            "{:<6} {:>8} {:>10} {:>8} {:>8}",
            c.code,
            c.support,
            pct(c.precision),
            pct(c.recall),
            pct(c.f1)
        );
    }
    println!();
    println!("confusion matrix (rows: true class, columns: predicted)");
    print!("{:<6}", "");
    for label in &report.labels {
        print!(" {label:>6}");
    }
    println!();
    for (label, row) in report.labels.iter().zip(&report.confusion) {
        print!("{label:<6}");
        for count in row {
            print!(" {count:>6}");
        }
        println!();
    }
    println!();
    print_isic(isic);
    println!();
    println!("{DISCLAIMER}");
}

fn print_isic(isic: &IsicReport) {
    println!("ISIC 2018 Task 3 metrics, as isic-challenge-scoring computes them");
    println!("(one class against the rest; sensitivity and specificity at probability > 0.5)");
    println!(
        "{:<6} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "class", "AUC", "AUC80", "AP", "sens", "spec"
    );
    let line = |name: &str, auc, auc80, ap, sens, spec| {
        println!(
            "{name:<6} {} {} {} {} {}",
            number(auc),
            number(auc80),
            number(ap),
            pct(sens),
            pct(spec)
        );
    };
    for c in &isic.classes {
        line(
            &c.code,
            c.auc,
            c.auc_sens_80,
            c.ap,
            c.sensitivity,
            c.specificity,
        );
    }
    let m = &isic.macro_average;
    line(
        "macro",
        m.auc,
        m.auc_sens_80,
        m.ap,
        m.sensitivity,
        m.specificity,
    );
    println!(
        "balanced accuracy       {}  (ISIC: a tie for the top probability counts as wrong)",
        pct(isic.balanced_accuracy)
    );
    if !isic.complete {
        println!(
            "n/a: a class without examples (or without non-examples) has no such number; \
             the official scorer refuses such a set, and the macro averages skip it"
        );
    }
}
