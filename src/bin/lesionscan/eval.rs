//! `lesionscan eval`: classify a labelled folder in the HAM10000 layout and report
//! accuracy, balanced accuracy, per-class precision/recall/F1, melanoma sensitivity and a
//! confusion matrix, as text, JSON and a PNG figure.

use std::path::{Path, PathBuf};

use clap::Args;
use lesionscan::{BodySite, ImageOptions, PatientInfo, Sex, DISCLAIMER};

use crate::cli::{CmdResult, Failure, ModelArgs};
use crate::metrics::{self, Outcome, Report};
use crate::{native_stderr, plot};

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Metadata in the HAM10000 format: lesion_id,image_id,dx,dx_type,age,sex,localization.
    #[arg(long, value_name = "METADATA.csv")]
    csv: PathBuf,
    /// Folder(s) holding <image_id>.jpg (or .jpeg/.png); give --images once per folder.
    #[arg(long, value_name = "DIR", required = true)]
    images: Vec<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Also draw the confusion matrix and per-class recall into this PNG.
    #[arg(long, value_name = "OUT.png")]
    plot: Option<PathBuf>,
    /// Operating point for the malignant-versus-benign numbers.
    #[arg(long, default_value_t = 0.5)]
    malignant_threshold: f64,
    /// Ignore the age/sex/site columns (classify from the picture alone).
    #[arg(long)]
    no_metadata: bool,
}

/// One row of the metadata file.
struct Row {
    image_id: String,
    dx: String,
    patient: Option<PatientInfo>,
}

fn read_rows(path: &Path, use_metadata: bool) -> Result<Vec<Row>, Failure> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let headers = reader
        .headers()
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(image_col), Some(dx_col)) = (column("image_id"), column("dx")) else {
        return Err(Failure::input(format!(
            "{} needs image_id and dx columns",
            path.display()
        )));
    };
    let (age_col, sex_col, site_col) = (column("age"), column("sex"), column("localization"));
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record
            .map_err(|e| Failure::input(format!("{} line {}: {e}", path.display(), line + 2)))?;
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("").to_string();
        let image_id = field(Some(image_col));
        if image_id.is_empty() {
            return Err(Failure::input(format!(
                "{} line {}: empty image_id",
                path.display(),
                line + 2
            )));
        }
        let patient = use_metadata.then(|| PatientInfo {
            // HAM10000 writes ages as "45.0" and leaves unknown ones empty.
            age: field(age_col)
                .parse::<f64>()
                .ok()
                .filter(|a| (0.0..=120.0).contains(a))
                .map(|a| a.round() as u8),
            sex: field(sex_col).parse::<Sex>().ok(),
            site: field(site_col).parse::<BodySite>().ok(),
        });
        rows.push(Row {
            image_id,
            dx: field(Some(dx_col)).to_ascii_lowercase(),
            patient,
        });
    }
    Ok(rows)
}

fn find_image(dirs: &[PathBuf], image_id: &str) -> Option<PathBuf> {
    dirs.iter()
        .flat_map(|dir| {
            ["jpg", "jpeg", "JPG", "png"].map(|ext| dir.join(format!("{image_id}.{ext}")))
        })
        .find(|p| p.is_file())
}

pub(crate) fn run(args: &EvalArgs) -> CmdResult {
    let classifier = args.model.load(args.model.options())?;
    let rows = read_rows(&args.csv, !args.no_metadata)?;
    if rows.is_empty() {
        return Err(Failure::input(format!(
            "{} has no rows",
            args.csv.display()
        )));
    }
    let card = classifier.card();
    let labels: Vec<String> = card.classes.iter().map(|c| c.code.clone()).collect();
    let malignant: Vec<bool> = card.classes.iter().map(|c| c.malignant).collect();
    for row in &rows {
        if !labels.contains(&row.dx) {
            return Err(Failure::input(format!(
                "image {} has dx {:?}, which is not a class of model {}",
                row.image_id, row.dx, card.id
            )));
        }
    }

    let bar = native_stderr::progress_bar(rows.len() as u64);
    let mut outcomes = Vec::with_capacity(rows.len());
    let (mut missing, mut failed) = (Vec::new(), Vec::new());
    for row in &rows {
        bar.inc(1);
        let Some(path) = find_image(&args.images, &row.image_id) else {
            missing.push(row.image_id.clone());
            continue;
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(_) => {
                failed.push(row.image_id.clone());
                continue;
            }
        };
        match classifier.classify_image(&bytes, &ImageOptions::default(), row.patient.as_ref()) {
            Ok(result) => {
                let Some(top) = result.top() else { continue };
                outcomes.push(Outcome {
                    truth: labels
                        .iter()
                        .position(|l| *l == row.dx)
                        .unwrap_or(usize::MAX),
                    predicted: top.index as usize,
                    malignant_probability: f64::from(result.malignant_probability),
                });
            }
            Err(e) => {
                log::warn!("{}: {e}", path.display());
                failed.push(row.image_id.clone());
            }
        }
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
    if outcomes.is_empty() {
        return Err(Failure::input("no picture could be evaluated"));
    }
    let report = metrics::report(&labels, &malignant, &outcomes, args.malignant_threshold);
    if let Some(png) = &args.plot {
        plot::draw(png, &report, &card.id)
            .map_err(|e| Failure::other(format!("cannot draw {}: {e}", png.display())))?;
    }
    if args.json {
        let mut value = serde_json::to_value(&report).map_err(|e| Failure::other(e.to_string()))?;
        value["model_id"] = card.id.clone().into();
        value["skipped"] = serde_json::json!({"missing": missing, "unreadable": failed});
        println!("{value}");
    } else {
        print_text(&report, &card.id, missing.len() + failed.len());
    }
    Ok(())
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "   n/a".to_string(), |v| format!("{:>5.1}%", v * 100.0))
}

fn print_text(report: &Report, model_id: &str, skipped: usize) {
    println!(
        "model {model_id}: {} pictures evaluated, {skipped} skipped",
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
    println!("{DISCLAIMER}");
}
