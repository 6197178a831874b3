//! Classification metrics from (true class, predicted class) pairs.

use serde::Serialize;

/// Per-class numbers. `None` where the denominator is zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ClassMetrics {
    pub(crate) code: String,
    pub(crate) support: usize,
    pub(crate) predicted: usize,
    pub(crate) precision: Option<f64>,
    pub(crate) recall: Option<f64>,
    pub(crate) f1: Option<f64>,
}

/// Malignant-versus-benign decision at a threshold on `malignant_probability`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct BinaryMetrics {
    pub(crate) threshold: f64,
    pub(crate) sensitivity: Option<f64>,
    pub(crate) specificity: Option<f64>,
}

/// Everything `lesionscan eval` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Report {
    pub(crate) evaluated: usize,
    pub(crate) accuracy: Option<f64>,
    /// Mean recall over the classes with at least one true example (ISIC 2018's ranking metric).
    pub(crate) balanced_accuracy: Option<f64>,
    /// Recall of `mel` when the top-1 class is the decision.
    pub(crate) melanoma_sensitivity: Option<f64>,
    pub(crate) malignant: BinaryMetrics,
    pub(crate) classes: Vec<ClassMetrics>,
    /// Class codes, the order of the confusion matrix's rows and columns.
    pub(crate) labels: Vec<String>,
    /// `confusion[true][predicted]`.
    pub(crate) confusion: Vec<Vec<usize>>,
}

/// One classified example.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) truth: usize,
    pub(crate) predicted: usize,
    pub(crate) malignant_probability: f64,
}

fn ratio(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Computes the report. `labels[i]` is the code of class `i`; `malignant[i]` whether the
/// card marks it malignant; `threshold` is the malignant-probability operating point.
pub(crate) fn report(
    labels: &[String],
    malignant: &[bool],
    outcomes: &[Outcome],
    threshold: f64,
) -> Report {
    let n = labels.len();
    let mut confusion = vec![vec![0usize; n]; n];
    for o in outcomes {
        if o.truth < n && o.predicted < n {
            confusion[o.truth][o.predicted] += 1;
        }
    }
    let correct: usize = (0..n).map(|i| confusion[i][i]).sum();
    let classes: Vec<ClassMetrics> = (0..n)
        .map(|i| {
            let support: usize = confusion[i].iter().sum();
            let predicted: usize = confusion.iter().map(|row| row[i]).sum();
            let precision = ratio(confusion[i][i], predicted);
            let recall = ratio(confusion[i][i], support);
            let f1 = match (precision, recall) {
                (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
                (Some(_), Some(_)) => Some(0.0),
                _ => None,
            };
            ClassMetrics {
                code: labels[i].clone(),
                support,
                predicted,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let recalls: Vec<f64> = classes.iter().filter_map(|c| c.recall).collect();
    let balanced_accuracy =
        (!recalls.is_empty()).then(|| recalls.iter().sum::<f64>() / recalls.len() as f64);
    let melanoma_sensitivity = classes
        .iter()
        .find(|c| c.code == "mel")
        .and_then(|c| c.recall);

    let (mut tp, mut positives, mut tn, mut negatives) = (0, 0, 0, 0);
    for o in outcomes {
        let called = o.malignant_probability >= threshold;
        if malignant.get(o.truth).copied().unwrap_or(false) {
            positives += 1;
            tp += usize::from(called);
        } else {
            negatives += 1;
            tn += usize::from(!called);
        }
    }
    Report {
        evaluated: outcomes.len(),
        accuracy: ratio(correct, outcomes.len()),
        balanced_accuracy,
        melanoma_sensitivity,
        malignant: BinaryMetrics {
            threshold,
            sensitivity: ratio(tp, positives),
            specificity: ratio(tn, negatives),
        },
        classes,
        labels: labels.to_vec(),
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }
    const MALIGNANT: [bool; 7] = [true, true, false, false, true, false, false];

    fn o(truth: usize, predicted: usize, m: f64) -> Outcome {
        Outcome {
            truth,
            predicted,
            malignant_probability: m,
        }
    }

    #[test]
    fn hand_computed_example() {
        // mel (4): 3 examples, 2 called mel, 1 called nv.
        // nv (5): 4 examples, 3 called nv, 1 called mel.
        // bcc (1): 1 example, called bcc.
        let outcomes = [
            o(4, 4, 0.9),
            o(4, 4, 0.7),
            o(4, 5, 0.3),
            o(5, 5, 0.1),
            o(5, 5, 0.2),
            o(5, 5, 0.6),
            o(5, 4, 0.8),
            o(1, 1, 0.95),
        ];
        let r = report(&labels(), &MALIGNANT, &outcomes, 0.5);
        assert_eq!(r.evaluated, 8);
        assert_eq!(r.accuracy, Some(6.0 / 8.0));
        // recalls: bcc 1/1, mel 2/3, nv 3/4 -> mean (1 + 2/3 + 3/4) / 3
        let balanced = (1.0 + 2.0 / 3.0 + 0.75) / 3.0;
        assert!((r.balanced_accuracy.expect("some") - balanced).abs() < 1e-12);
        assert_eq!(r.melanoma_sensitivity, Some(2.0 / 3.0));
        let mel = &r.classes[4];
        assert_eq!((mel.support, mel.predicted), (3, 3));
        assert_eq!(mel.precision, Some(2.0 / 3.0));
        assert!((mel.f1.expect("f1") - 2.0 / 3.0).abs() < 1e-12);
        let nv = &r.classes[5];
        assert_eq!(nv.precision, Some(0.75));
        assert_eq!(nv.recall, Some(0.75));
        assert_eq!(
            r.classes[0].recall, None,
            "no akiec examples: recall undefined"
        );
        assert_eq!(r.classes[0].precision, None);
        assert_eq!(r.confusion[4], vec![0, 0, 0, 0, 2, 1, 0]);
        assert_eq!(r.confusion[5], vec![0, 0, 0, 0, 1, 3, 0]);
        // malignant truths: mel x3 + bcc = 4; called at >= 0.5: 0.9, 0.7, 0.95 -> 3/4.
        assert_eq!(r.malignant.sensitivity, Some(0.75));
        // benign truths: nv x4; not called: 0.1, 0.2 -> 2/4.
        assert_eq!(r.malignant.specificity, Some(0.5));
    }

    #[test]
    fn no_outcomes_gives_no_numbers() {
        let r = report(&labels(), &MALIGNANT, &[], 0.5);
        assert_eq!(
            (r.accuracy, r.balanced_accuracy, r.melanoma_sensitivity),
            (None, None, None)
        );
    }
}
