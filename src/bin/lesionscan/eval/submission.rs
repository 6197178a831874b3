//! `--predictions`: the ISIC 2018 Task 3 submission format, so the official scorer
//! (`isic-challenge-scoring`) can be run on LesionScan's output.
//!
//! `image,MEL,NV,BCC,AKIEC,BKL,DF,VASC`, one row per classified picture, probabilities in
//! 0..=1 written with enough digits to read back exactly the `f64` the metrics used.
//! For a model whose classes are not the seven HAM10000 ones, the columns are its own
//! codes in upper case, in the card's order.

use std::io::Write;
use std::path::Path;

/// Column order of the ISIC 2018 Task 3 submission format.
const ISIC_ORDER: [&str; 7] = ["mel", "nv", "bcc", "akiec", "bkl", "df", "vasc"];

/// Class indices in the order the columns are written.
fn column_order(labels: &[String]) -> Vec<usize> {
    let isic: Option<Vec<usize>> = ISIC_ORDER
        .iter()
        .map(|code| labels.iter().position(|l| l.eq_ignore_ascii_case(code)))
        .collect();
    match isic {
        Some(order) if labels.len() == ISIC_ORDER.len() => order,
        _ => (0..labels.len()).collect(),
    }
}

/// A probability as text that always reads back as a float (`1.0`, never `1`, which
/// pandas would take for an integer column) and as exactly this `f64`.
fn number(p: f64) -> String {
    format!("{p:?}")
}

/// Writes `rows` (image id, probability per class in card order) to `out`.
pub(crate) fn write(
    out: impl Write,
    labels: &[String],
    rows: &[(&str, &[f64])],
) -> std::io::Result<()> {
    let order = column_order(labels);
    let mut writer = csv::Writer::from_writer(out);
    let header = std::iter::once("image".to_string())
        .chain(order.iter().map(|&i| labels[i].to_ascii_uppercase()));
    writer.write_record(header)?;
    for (image, probabilities) in rows {
        let record = std::iter::once(image.to_string()).chain(
            order
                .iter()
                .map(|&i| number(probabilities.get(i).copied().unwrap_or(0.0))),
        );
        writer.write_record(record)?;
    }
    writer.flush()
}

/// Writes the submission file at `path`.
pub(crate) fn write_file(
    path: &Path,
    labels: &[String],
    rows: &[(&str, &[f64])],
) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    write(std::io::BufWriter::new(file), labels, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ham10000_classes_are_written_in_isic_order_as_round_tripping_floats() {
        let labels: Vec<String> = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
            .map(String::from)
            .to_vec();
        let p = [0.1, 0.2, 0.0, 1.0, 0.7f32 as f64, 1e-7, 0.3];
        let mut out = Vec::new();
        write(&mut out, &labels, &[("ISIC_1", &p)]).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("image,MEL,NV,BCC,AKIEC,BKL,DF,VASC"));
        let row: Vec<&str> = lines.next().expect("row").split(',').collect();
        assert_eq!(row[0], "ISIC_1");
        // MEL is class 4, NV 5, BCC 1, AKIEC 0, BKL 2, DF 3, VASC 6.
        let read: Vec<f64> = row[1..].iter().map(|v| v.parse().expect("float")).collect();
        assert_eq!(read, [p[4], p[5], p[1], p[0], p[2], p[3], p[6]]);
        assert!(
            row[1..].iter().all(|v| v.contains('.') || v.contains('e')),
            "{row:?}"
        );
    }

    #[test]
    fn other_models_keep_their_own_order() {
        let labels: Vec<String> = ["benign", "malignant"].map(String::from).to_vec();
        let mut out = Vec::new();
        write(&mut out, &labels, &[("a", &[0.25, 0.75])]).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "image,BENIGN,MALIGNANT\na,0.25,0.75\n"
        );
    }
}
