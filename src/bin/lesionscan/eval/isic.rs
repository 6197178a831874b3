//! The ISIC 2018 Task 3 metrics, computed the way the official scorer computes them.
//!
//! The reference is `isic-challenge-scoring` 5.6.0 (PyPI), which calls scikit-learn 1.9.
//! For each class, one against the rest:
//! - **sensitivity** and **specificity** call a picture positive when that class's
//!   probability is *strictly greater* than 0.5 (not the top-1 class);
//! - **auc** is `sklearn.metrics.roc_auc_score`: the trapezoidal area under the ROC curve,
//!   with tied scores forming one threshold (a diagonal step);
//! - **auc_sens_80** is the raw (not McClish-corrected) area under the ROC curve, measured
//!   down to zero, over the false positive rates where the true positive rate is at least
//!   0.8 (1 for a perfect model): the curve from the first point whose rate reaches 0.8
//!   onwards, plus a point at exactly 0.8 whose false positive rate is linearly
//!   interpolated between that point and the one before it;
//! - **ap** is `sklearn.metrics.average_precision_score`: the sum over thresholds of
//!   (recall step) x precision, with no interpolation.
//!
//! `balanced_accuracy` is the mean recall over the classes that have examples, where the
//! predicted class is the highest probability and a tie for the highest counts as wrong
//! ("undecided"). Macro averages are plain means over classes.
//!
//! Where the official scorer cannot score (a class with no examples, or only examples of
//! one class: it crashes or returns NaN), the value is `None` ("n/a") and the macro
//! averages are over the classes that have a value. When every class has examples and
//! non-examples, every number equals the scorer's (a test checks this within 1e-6 on
//! fixtures the scorer itself produced; see `models/tools/make_isic_fixture.py`).
//! Rows the ground truth weighs 0 are left out before any of this, as the scorer does.

use serde::Serialize;

/// One picture: its true class and its probability for every class.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scored {
    pub(crate) truth: usize,
    pub(crate) probabilities: Vec<f64>,
}

/// An ROC curve: false and true positive rates from (0, 0) to (1, 1).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Roc {
    pub(crate) fpr: Vec<f64>,
    pub(crate) tpr: Vec<f64>,
}

/// One class against the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ClassScore {
    pub(crate) code: String,
    pub(crate) sensitivity: Option<f64>,
    pub(crate) specificity: Option<f64>,
    pub(crate) auc: Option<f64>,
    pub(crate) auc_sens_80: Option<f64>,
    pub(crate) ap: Option<f64>,
    /// The curve the figure draws (the scorer's `rocs`, before its simplification).
    #[serde(skip)]
    pub(crate) roc: Option<Roc>,
}

/// Means over the classes that have a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct MacroAverage {
    pub(crate) sensitivity: Option<f64>,
    pub(crate) specificity: Option<f64>,
    pub(crate) auc: Option<f64>,
    pub(crate) auc_sens_80: Option<f64>,
    pub(crate) ap: Option<f64>,
}

/// Everything the ISIC 2018 Task 3 scorer reports that LesionScan reports too.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct IsicReport {
    pub(crate) scored: usize,
    /// Whether every class has both examples and non-examples, which the official scorer
    /// needs; when false, some values are `None` and the averages skip them.
    pub(crate) complete: bool,
    pub(crate) balanced_accuracy: Option<f64>,
    pub(crate) classes: Vec<ClassScore>,
    pub(crate) macro_average: MacroAverage,
}

/// Scores `rows`; `labels[i]` is the code of class `i`, and every row has one
/// probability per label.
pub(crate) fn score(labels: &[String], rows: &[Scored]) -> IsicReport {
    let classes: Vec<ClassScore> = labels
        .iter()
        .enumerate()
        .map(|(class, code)| {
            let truth: Vec<bool> = rows.iter().map(|r| r.truth == class).collect();
            let scores: Vec<f64> = rows
                .iter()
                .map(|r| r.probabilities.get(class).copied().unwrap_or(0.0))
                .collect();
            class_score(code, &truth, &scores)
        })
        .collect();
    let mean = |field: fn(&ClassScore) -> Option<f64>| {
        let values: Vec<f64> = classes.iter().filter_map(field).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let macro_average = MacroAverage {
        sensitivity: mean(|c| c.sensitivity),
        specificity: mean(|c| c.specificity),
        auc: mean(|c| c.auc),
        auc_sens_80: mean(|c| c.auc_sens_80),
        ap: mean(|c| c.ap),
    };
    let complete = !rows.is_empty()
        && classes
            .iter()
            .all(|c| c.sensitivity.is_some() && c.specificity.is_some());
    IsicReport {
        scored: rows.len(),
        complete,
        balanced_accuracy: balanced_accuracy(labels.len(), rows),
        classes,
        macro_average,
    }
}

fn class_score(code: &str, truth: &[bool], scores: &[f64]) -> ClassScore {
    let (mut tp, mut fn_, mut tn, mut fp) = (0usize, 0usize, 0usize, 0usize);
    for (&positive, &score) in truth.iter().zip(scores) {
        match (positive, score > 0.5) {
            (true, true) => tp += 1,
            (true, false) => fn_ += 1,
            (false, false) => tn += 1,
            (false, true) => fp += 1,
        }
    }
    let ratio = |a: usize, b: usize| (a + b > 0).then(|| a as f64 / (a + b) as f64);
    ClassScore {
        code: code.to_string(),
        sensitivity: ratio(tp, fn_),
        specificity: ratio(tn, fp),
        auc: roc_auc(truth, scores),
        auc_sens_80: auc_above_sensitivity(truth, scores, 0.8),
        ap: average_precision(truth, scores),
        roc: roc_curve(truth, scores, true),
    }
}

/// Counts at each distinct score, highest first (scikit-learn's
/// `confusion_matrix_at_thresholds`): false positives and true positives among the
/// pictures scoring at least that much.
fn counts_at_thresholds(truth: &[bool], scores: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // Stable, descending; ties are merged below so their order does not matter.
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut fps, mut tps) = (Vec::new(), Vec::new());
    let mut true_so_far = 0.0;
    for (position, &i) in order.iter().enumerate() {
        if truth[i] {
            true_so_far += 1.0;
        }
        let last_of_its_score = order
            .get(position + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if last_of_its_score {
            tps.push(true_so_far);
            fps.push(1.0 + position as f64 - true_so_far);
        }
    }
    (fps, tps)
}

/// `sklearn.metrics.roc_curve`: `None` unless there are both positives and negatives.
pub(crate) fn roc_curve(truth: &[bool], scores: &[f64], drop_intermediate: bool) -> Option<Roc> {
    let (mut fps, mut tps) = counts_at_thresholds(truth, scores);
    if drop_intermediate && fps.len() > 2 {
        // Keep the ends and every corner (a non-zero second difference in either count).
        let keep: Vec<usize> = (0..fps.len())
            .filter(|&i| {
                i == 0
                    || i == fps.len() - 1
                    || (fps[i + 1] - fps[i]) - (fps[i] - fps[i - 1]) != 0.0
                    || (tps[i + 1] - tps[i]) - (tps[i] - tps[i - 1]) != 0.0
            })
            .collect();
        fps = keep.iter().map(|&i| fps[i]).collect();
        tps = keep.iter().map(|&i| tps[i]).collect();
    }
    let (negatives, positives) = (*fps.last()?, *tps.last()?);
    if negatives <= 0.0 || positives <= 0.0 {
        return None;
    }
    let fpr = std::iter::once(0.0)
        .chain(fps.iter().map(|f| f / negatives))
        .collect();
    let tpr = std::iter::once(0.0)
        .chain(tps.iter().map(|t| t / positives))
        .collect();
    Some(Roc { fpr, tpr })
}

/// numpy's `trapezoid(y, x)`, as `sklearn.metrics.auc` uses it on a non-decreasing `x`.
fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2)
        .zip(y.windows(2))
        .map(|(x, y)| (x[1] - x[0]) * (y[1] + y[0]) / 2.0)
        .sum()
}

/// `sklearn.metrics.roc_auc_score` for one class against the rest.
pub(crate) fn roc_auc(truth: &[bool], scores: &[f64]) -> Option<f64> {
    let roc = roc_curve(truth, scores, true)?;
    Some(trapezoid(&roc.fpr, &roc.tpr))
}

/// The scorer's `auc_above_sensitivity`: the raw area under the ROC curve where the true
/// positive rate is at least `sensitivity` (0 < sensitivity <= 1).
pub(crate) fn auc_above_sensitivity(
    truth: &[bool],
    scores: &[f64],
    sensitivity: f64,
) -> Option<f64> {
    let Roc { fpr, tpr } = roc_curve(truth, scores, false)?;
    // The first point whose rate reaches the threshold; tpr[0] is 0, so it has a predecessor.
    let at = tpr.partition_point(|&t| t < sensitivity);
    if at == 0 || at >= tpr.len() {
        return None;
    }
    // numpy's interp between the two points that straddle the threshold.
    let (x0, x1, y0, y1) = (tpr[at - 1], tpr[at], fpr[at - 1], fpr[at]);
    let fpr_at_threshold = if sensitivity == x1 {
        y1
    } else {
        (y1 - y0) / (x1 - x0) * (sensitivity - x0) + y0
    };
    let x: Vec<f64> = std::iter::once(fpr_at_threshold)
        .chain(fpr[at..].iter().copied())
        .collect();
    let y: Vec<f64> = std::iter::once(sensitivity)
        .chain(tpr[at..].iter().copied())
        .collect();
    Some(trapezoid(&x, &y))
}

/// `sklearn.metrics.average_precision_score` for one class against the rest: `None`
/// when the class has no examples (scikit-learn returns 0 there, the scorer crashes).
pub(crate) fn average_precision(truth: &[bool], scores: &[f64]) -> Option<f64> {
    let (fps, tps) = counts_at_thresholds(truth, scores);
    let positives = *tps.last()?;
    if positives <= 0.0 {
        return None;
    }
    // Highest threshold first: recall rises from 0; the step to each recall is weighed by
    // the precision there.
    let mut previous_recall = 0.0;
    let mut sum = 0.0;
    for (&fp, &tp) in fps.iter().zip(&tps) {
        let recall = tp / positives;
        let precision = tp / (tp + fp);
        sum += (recall - previous_recall) * precision;
        previous_recall = recall;
    }
    Some(sum.max(0.0))
}

/// Mean recall over classes with examples; the predicted class is the unique highest
/// probability, and a tie for the highest is never right.
fn balanced_accuracy(classes: usize, rows: &[Scored]) -> Option<f64> {
    let mut hits = vec![0usize; classes];
    let mut support = vec![0usize; classes];
    for row in rows {
        let Some(s) = support.get_mut(row.truth) else {
            continue;
        };
        *s += 1;
        let max = row
            .probabilities
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let winners: Vec<usize> = (0..row.probabilities.len())
            .filter(|&i| row.probabilities[i] == max)
            .collect();
        if winners == [row.truth] {
            hits[row.truth] += 1;
        }
    }
    let recalls: Vec<f64> = hits
        .iter()
        .zip(&support)
        .filter(|(_, &s)| s > 0)
        .map(|(&h, &s)| h as f64 / s as f64)
        .collect();
    (!recalls.is_empty()).then(|| recalls.iter().sum::<f64>() / recalls.len() as f64)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use serde_json::Value;

    use super::*;
    use crate::eval::truth;

    fn labels() -> Vec<String> {
        ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
            .map(String::from)
            .to_vec()
    }

    /// The AUC as the probability that a random positive outscores a random negative,
    /// ties counting half: an independent definition of the trapezoidal ROC area.
    fn mann_whitney(truth: &[bool], scores: &[f64]) -> f64 {
        let (mut wins, mut pairs) = (0.0, 0.0);
        for (i, &p) in truth.iter().enumerate() {
            for (j, &n) in truth.iter().enumerate() {
                if p && !n {
                    pairs += 1.0;
                    wins += match scores[i].total_cmp(&scores[j]) {
                        std::cmp::Ordering::Greater => 1.0,
                        std::cmp::Ordering::Equal => 0.5,
                        std::cmp::Ordering::Less => 0.0,
                    };
                }
            }
        }
        wins / pairs
    }

    #[test]
    fn auc_equals_the_pairwise_win_rate_with_ties_as_halves() {
        let truth = [
            true, false, true, false, true, false, false, true, false, false,
        ];
        let scores = [0.9, 0.8, 0.8, 0.3, 0.5, 0.5, 0.1, 0.2, 0.2, 0.7];
        let auc = roc_auc(&truth, &scores).expect("both classes present");
        assert!((auc - mann_whitney(&truth, &scores)).abs() < 1e-12, "{auc}");
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None, "no negatives");
        assert_eq!(roc_auc(&[false, false], &[0.1, 0.2]), None, "no positives");
    }

    #[test]
    fn auc_above_80_percent_sensitivity_by_hand() {
        // 5 positives, 5 negatives, no ties. Sorted by score: P N P P N P N P N N.
        let truth = [
            true, false, true, true, false, true, false, true, false, false,
        ];
        let scores = [0.95, 0.9, 0.85, 0.8, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3];
        // ROC (fpr, tpr) steps: (0,0) (0,.2) (.2,.2) (.2,.4) (.2,.6) (.4,.6) (.4,.8) (.6,.8)
        // (.6,1) (.8,1) (1,1). From tpr 0.8 on: the point (.4,.8), then (.6,.8), (.6,1),
        // (.8,1), (1,1): area 0.2 * 0 (at .8 from .4 to .6) ... the region above 0.8:
        // x from .4 to .6 at height .8 (area above .8: 0), vertical to 1 at .6, then 1 to
        // x = 1: the raw area under the curve from (.4,.8) = .2*.8 + .4*1 = 0.56.
        let auc80 = auc_above_sensitivity(&truth, &scores, 0.8).expect("defined");
        assert!((auc80 - 0.56).abs() < 1e-12, "{auc80}");
        // Where 0.8 falls between two points, the threshold point is interpolated:
        // 4 positives, tpr steps of 0.25: 0.8 lies between 0.75 and 1.0.
        let truth = [true, true, true, false, true, false];
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
        // Points: (0,0) (0,.25) (0,.5) (0,.75) (.5,.75) (.5,1) (1,1). Between (.5,.75) and
        // (.5,1) the fpr at tpr .8 is .5; area from (.5,.8): .5 * .8 ... trapezoids
        // (.5,.8)->(.5,1): 0; (.5,1)->(1,1): .5. Total 0.5.
        let auc80 = auc_above_sensitivity(&truth, &scores, 0.8).expect("defined");
        assert!((auc80 - 0.5).abs() < 1e-12, "{auc80}");
    }

    #[test]
    fn average_precision_by_hand() {
        // Sorted: P(.9) N(.8) P(.7) N(.6) P(.5). Precision at each positive: 1, 2/3, 3/5;
        // recall steps of 1/3.
        let truth = [true, false, true, false, true];
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5];
        let ap = average_precision(&truth, &scores).expect("defined");
        assert!(
            (ap - (1.0 + 2.0 / 3.0 + 3.0 / 5.0) / 3.0).abs() < 1e-12,
            "{ap}"
        );
        // A tie between a positive and a negative is one threshold: precision 1/2 there.
        let ap = average_precision(&[true, false], &[0.5, 0.5]).expect("defined");
        assert!((ap - 0.5).abs() < 1e-12, "{ap}");
        assert_eq!(average_precision(&[false, false], &[0.2, 0.1]), None);
    }

    #[test]
    fn sensitivity_counts_only_probabilities_above_one_half_and_ties_are_undecided() {
        let rows = vec![
            Scored {
                truth: 0,
                probabilities: vec![0.5, 0.5],
            }, // tie: undecided; not > 0.5
            Scored {
                truth: 0,
                probabilities: vec![0.51, 0.49],
            }, // right
            Scored {
                truth: 1,
                probabilities: vec![0.2, 0.8],
            }, // right
            Scored {
                truth: 1,
                probabilities: vec![0.6, 0.4],
            }, // wrong
        ];
        let labels = vec!["a".to_string(), "b".to_string()];
        let report = score(&labels, &rows);
        assert_eq!(report.classes[0].sensitivity, Some(0.5));
        assert_eq!(report.classes[0].specificity, Some(0.5));
        assert_eq!(report.balanced_accuracy, Some((0.5 + 0.5) / 2.0));
        assert!(report.complete);
        let one_class = score(&labels, &rows[..2]);
        assert!(!one_class.complete);
        assert_eq!(one_class.classes[1].auc, None);
        assert_eq!(one_class.classes[1].sensitivity, None);
        assert_eq!(one_class.macro_average.auc, None, "no class has both kinds");
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/isic")
            .join(name)
    }
    use std::path::PathBuf;

    /// Reads a submission CSV (image, one column per class code in any order).
    fn predictions(path: &Path, labels: &[String]) -> HashMap<String, Vec<f64>> {
        let mut reader = csv::Reader::from_path(path).expect("predictions");
        let headers = reader.headers().expect("header").clone();
        let columns: Vec<usize> = labels
            .iter()
            .map(|l| {
                headers
                    .iter()
                    .position(|h| h.eq_ignore_ascii_case(l))
                    .expect("a column per class")
            })
            .collect();
        reader
            .records()
            .map(|r| {
                let r = r.expect("row");
                let p = columns
                    .iter()
                    .map(|&c| r[c].parse::<f64>().expect("number"))
                    .collect();
                (r[0].to_string(), p)
            })
            .collect()
    }

    /// Our numbers on the fixture's files against the official scorer's output on the same
    /// files (models/tools/make_isic_fixture.py).
    fn agrees_with_the_official_scorer(set: &str) {
        let labels = labels();
        let (_, truths) = truth::read(&fixture(&format!("{set}_truth.csv")), &labels, false)
            .expect("ground truth");
        let predicted = predictions(&fixture(&format!("{set}_predictions.csv")), &labels);
        let rows: Vec<Scored> = truths
            .iter()
            .filter(|t| t.scored)
            .map(|t| Scored {
                truth: t.class,
                probabilities: predicted[&t.image_id].clone(),
            })
            .collect();
        assert!(
            rows.len() < truths.len() || set != "synthetic",
            "weights 0 dropped"
        );
        let ours = score(&labels, &rows);
        assert!(ours.complete);
        let official: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture(&format!("{set}_scorer.json"))).expect("fixture"),
        )
        .expect("json");
        let close = |ours: Option<f64>, theirs: &Value, what: &str| {
            let theirs = theirs
                .as_f64()
                .unwrap_or_else(|| panic!("{what} in fixture"));
            let ours = ours.unwrap_or_else(|| panic!("{what}: ours is n/a"));
            assert!(
                (ours - theirs).abs() <= 1e-6,
                "{set} {what}: ours {ours}, scorer {theirs}"
            );
        };
        for class in &ours.classes {
            let theirs = &official["per_category"][class.code.to_ascii_uppercase()];
            close(
                class.sensitivity,
                &theirs["sensitivity"],
                &format!("{} sensitivity", class.code),
            );
            close(
                class.specificity,
                &theirs["specificity"],
                &format!("{} specificity", class.code),
            );
            close(class.auc, &theirs["auc"], &format!("{} auc", class.code));
            close(
                class.auc_sens_80,
                &theirs["auc_sens_80"],
                &format!("{} auc_sens_80", class.code),
            );
            close(class.ap, &theirs["ap"], &format!("{} ap", class.code));
            if let Some(curve) = official["rocs"].get(class.code.to_ascii_uppercase()) {
                let roc = class.roc.as_ref().expect("a curve");
                for (axis, ours) in [("fpr", &roc.fpr), ("tpr", &roc.tpr)] {
                    let theirs: Vec<f64> = curve[axis]
                        .as_array()
                        .expect("points")
                        .iter()
                        .map(|v| v.as_f64().expect("number"))
                        .collect();
                    assert_eq!(
                        ours.len(),
                        theirs.len(),
                        "{set} {} {axis} points",
                        class.code
                    );
                    for (a, b) in ours.iter().zip(&theirs) {
                        assert!((a - b).abs() <= 1e-12, "{set} {} {axis}", class.code);
                    }
                }
            }
        }
        let m = &ours.macro_average;
        let theirs = &official["macro_average"];
        close(m.sensitivity, &theirs["sensitivity"], "macro sensitivity");
        close(m.specificity, &theirs["specificity"], "macro specificity");
        close(m.auc, &theirs["auc"], "macro auc");
        close(m.auc_sens_80, &theirs["auc_sens_80"], "macro auc_sens_80");
        close(m.ap, &theirs["ap"], "macro ap");
        close(
            ours.balanced_accuracy,
            &official["balanced_accuracy"],
            "balanced accuracy",
        );
    }

    #[test]
    fn equals_the_official_scorer_on_synthetic_ties_thresholds_and_weights() {
        agrees_with_the_official_scorer("synthetic");
    }

    #[test]
    fn equals_the_official_scorer_on_the_default_models_ham10000_predictions() {
        agrees_with_the_official_scorer("ham");
    }
}
