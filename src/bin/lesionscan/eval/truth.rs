//! Ground truth: a HAM10000 metadata CSV or an ISIC 2018 Task 3 ground-truth CSV.
//!
//! - HAM10000: `lesion_id,image_id,dx,dx_type,age,sex,localization`; `dx` is a class code
//!   and age, sex and site become the patient information.
//! - ISIC 2018: `image,MEL,NV,BCC,AKIEC,BKL,DF,VASC` with one-hot `0.0`/`1.0` values
//!   (column names are matched to the card's codes ignoring case; every class of the
//!   model needs a column), optionally `score_weight` (0 or 1) and `validation_weight`.
//!   No patient information. As the official scorer does, a row weighing 0 and the image
//!   `ISIC_0035068` (excluded from the 2018 test set after release) are classified and
//!   written to `--predictions`, but left out of every metric.

use std::collections::HashSet;
use std::path::Path;

use lesionscan::{BodySite, PatientInfo, Sex};

use crate::common::Failure;

/// The image the official scorer weighs 0 whatever the ground-truth file says.
const ISIC_EXCLUDED: &str = "ISIC_0035068";

/// One labelled picture.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Truth {
    pub(crate) image_id: String,
    /// Index of the true class in the card's class list.
    pub(crate) class: usize,
    pub(crate) patient: Option<PatientInfo>,
    /// Whether the row counts in the metrics (weight 1) or only gets a prediction (0).
    pub(crate) scored: bool,
}

/// Which file format the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Ham10000,
    Isic2018,
}

/// Turns one CSV record into a row, or says what is wrong with it.
type RowParser = Box<dyn Fn(&csv::StringRecord) -> Result<Truth, String>>;

/// Reads the ground truth for a model whose class codes are `labels`.
/// `use_metadata` keeps the HAM10000 age/sex/site columns.
pub(crate) fn read(
    path: &Path,
    labels: &[String],
    use_metadata: bool,
) -> Result<(Format, Vec<Truth>), Failure> {
    let file_error = |e: &dyn std::fmt::Display| Failure::input(format!("{}: {e}", path.display()));
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let headers = reader.headers().map_err(|e| file_error(&e))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let format = if column("image_id").is_some() && column("dx").is_some() {
        Format::Ham10000
    } else if column("image").is_some() {
        Format::Isic2018
    } else {
        return Err(Failure::input(format!(
            "{} is neither HAM10000 metadata (image_id and dx columns) nor ISIC 2018 ground \
             truth (image and one column per class)",
            path.display()
        )));
    };
    let parse_row: RowParser = match format {
        Format::Ham10000 => Box::new(ham_row(&headers, labels, use_metadata)),
        Format::Isic2018 => Box::new(isic_row(&headers, labels)?),
    };
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (line, record) in reader.records().enumerate() {
        let at = |message: String| {
            Failure::input(format!("{} line {}: {message}", path.display(), line + 2))
        };
        let record = record.map_err(|e| at(e.to_string()))?;
        let row = parse_row(&record).map_err(at)?;
        if !seen.insert(row.image_id.clone()) {
            return Err(at(format!("image {} appears twice", row.image_id)));
        }
        rows.push(row);
    }
    Ok((format, rows))
}

fn field(record: &csv::StringRecord, column: Option<usize>) -> &str {
    column.and_then(|c| record.get(c)).unwrap_or("")
}

fn ham_row(
    headers: &csv::StringRecord,
    labels: &[String],
    use_metadata: bool,
) -> impl Fn(&csv::StringRecord) -> Result<Truth, String> {
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (image_col, dx_col) = (column("image_id"), column("dx"));
    let (age_col, sex_col, site_col) = (column("age"), column("sex"), column("localization"));
    let labels = labels.to_vec();
    move |record| {
        let image_id = field(record, image_col).to_string();
        if image_id.is_empty() {
            return Err("empty image_id".into());
        }
        let dx = field(record, dx_col).to_ascii_lowercase();
        let class = labels.iter().position(|l| *l == dx).ok_or_else(|| {
            format!("image {image_id} has dx {dx:?}, which is not a class of the model")
        })?;
        let patient = use_metadata.then(|| PatientInfo {
            // HAM10000 writes ages as "45.0" and leaves unknown ones empty.
            age: field(record, age_col)
                .parse::<f64>()
                .ok()
                .filter(|a| (0.0..=120.0).contains(a))
                .map(|a| a.round() as u8),
            sex: field(record, sex_col).parse::<Sex>().ok(),
            site: field(record, site_col).parse::<BodySite>().ok(),
        });
        Ok(Truth {
            image_id,
            class,
            patient,
            scored: true,
        })
    }
}

fn isic_row(
    headers: &csv::StringRecord,
    labels: &[String],
) -> Result<impl Fn(&csv::StringRecord) -> Result<Truth, String>, Failure> {
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let image_col = column("image");
    let weight_col = column("score_weight");
    let mut class_cols = Vec::with_capacity(labels.len());
    for label in labels {
        class_cols.push(column(label).ok_or_else(|| {
            Failure::input(format!(
                "the ground truth has no {} column (the model's classes are {})",
                label.to_ascii_uppercase(),
                labels.join(", ")
            ))
        })?);
    }
    for header in headers {
        let known = ["image", "score_weight", "validation_weight"]
            .iter()
            .any(|k| header.eq_ignore_ascii_case(k))
            || labels.iter().any(|l| header.eq_ignore_ascii_case(l));
        if !known {
            return Err(Failure::input(format!(
                "the ground truth has a column {header:?}, which is not a class of the model ({})",
                labels.join(", ")
            )));
        }
    }
    Ok(move |record: &csv::StringRecord| {
        let image_id = field(record, image_col).to_string();
        if image_id.is_empty() {
            return Err("empty image".into());
        }
        let mut class = None;
        for (index, &col) in class_cols.iter().enumerate() {
            let value: f64 = field(record, Some(col))
                .parse()
                .map_err(|_| format!("image {image_id}: class values must be 0 or 1"))?;
            if value == 1.0 {
                if class.replace(index).is_some() {
                    return Err(format!("image {image_id} has more than one class"));
                }
            } else if value != 0.0 {
                return Err(format!("image {image_id}: class values must be 0 or 1"));
            }
        }
        let class = class.ok_or_else(|| format!("image {image_id} has no class"))?;
        let weight = match field(record, weight_col) {
            "" => 1.0,
            text => text
                .parse::<f64>()
                .map_err(|_| format!("image {image_id}: score_weight must be 0 or 1"))?,
        };
        if weight != 0.0 && weight != 1.0 {
            return Err(format!(
                "image {image_id}: score_weight {weight} is not supported (only 0 or 1)"
            ));
        }
        Ok(Truth {
            scored: weight == 1.0 && image_id != ISIC_EXCLUDED,
            image_id,
            class,
            patient: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
            .map(String::from)
            .to_vec()
    }

    fn read_text(text: &str) -> Result<(Format, Vec<Truth>), Failure> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("truth.csv");
        std::fs::write(&path, text).expect("write");
        read(&path, &labels(), true)
    }

    #[test]
    fn isic_ground_truth_maps_columns_by_name_and_keeps_weights() {
        let (format, rows) = read_text(
            "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC,score_weight,validation_weight\n\
             ISIC_1,0.0,1.0,0.0,0.0,0.0,0.0,0.0,1.0,1.0\n\
             ISIC_2,0.0,0.0,0.0,1.0,0.0,0.0,0.0,0.0,1.0\n\
             ISIC_0035068,1.0,0.0,0.0,0.0,0.0,0.0,0.0,1.0,1.0\n",
        )
        .expect("reads");
        assert_eq!(format, Format::Isic2018);
        let got: Vec<(&str, usize, bool)> = rows
            .iter()
            .map(|r| (r.image_id.as_str(), r.class, r.scored))
            .collect();
        // Card order: akiec 0, mel 4, nv 5.
        assert_eq!(
            got,
            [
                ("ISIC_1", 5, true),
                ("ISIC_2", 0, false),
                ("ISIC_0035068", 4, false)
            ]
        );
        assert!(rows.iter().all(|r| r.patient.is_none()));
    }

    #[test]
    fn isic_ground_truth_must_be_one_hot_over_the_models_classes() {
        let header = "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\n";
        for bad in [
            "ISIC_1,1.0,1.0,0,0,0,0,0\n",
            "ISIC_1,0,0,0,0,0,0,0\n",
            "ISIC_1,0.5,0.5,0,0,0,0,0\n",
            "ISIC_1,yes,0,0,0,0,0,0\n",
        ] {
            assert!(read_text(&format!("{header}{bad}")).is_err(), "{bad}");
        }
        assert!(
            read_text("image,MEL,NV\nISIC_1,1,0\n").is_err(),
            "missing classes"
        );
        assert!(
            read_text("image,MEL,NV,BCC,AKIEC,BKL,DF,VASC,SCC\nISIC_1,1,0,0,0,0,0,0,0\n").is_err(),
            "a class the model lacks"
        );
        assert!(
            read_text(&format!(
                "{header}ISIC_1,1,0,0,0,0,0,0\nISIC_1,1,0,0,0,0,0,0\n"
            ))
            .is_err(),
            "duplicate image"
        );
    }

    #[test]
    fn ham10000_metadata_gives_class_and_patient() {
        let (format, rows) = read_text(
            "lesion_id,image_id,dx,dx_type,age,sex,localization\n\
             HAM_1,ISIC_1,mel,histo,45.0,female,lower extremity\n\
             HAM_2,ISIC_2,NV,follow_up,,unknown,unknown\n",
        )
        .expect("reads");
        assert_eq!(format, Format::Ham10000);
        assert_eq!(rows[0].class, 4);
        assert_eq!(
            rows[0].patient,
            Some(PatientInfo {
                age: Some(45),
                sex: Some(Sex::Female),
                site: Some(BodySite::LowerExtremity)
            })
        );
        assert_eq!(rows[1].class, 5);
        assert_eq!(rows[1].patient.and_then(|p| p.sex), None);
        assert!(rows.iter().all(|r| r.scored));
        assert!(read_text("lesion_id,image_id,dx\nHAM_1,ISIC_1,scc\n").is_err());
    }

    #[test]
    fn unknown_layout_is_refused() {
        assert!(read_text("name,label\na,mel\n").is_err());
    }
}
