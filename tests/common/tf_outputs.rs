//! A classification compared with TensorFlow's `tf.lite.Interpreter` on the same pixels,
//! for the end-to-end model tests whose reference JSON lists `tflite_probabilities` per case.

use lesionscan::Classification;
use serde_json::Value;

/// The result's probabilities in the model's output order (the order TensorFlow lists
/// them in), whatever order the ranked categories come in.
pub fn in_output_order(result: &Classification) -> Vec<f64> {
    let mut got = vec![f64::NAN; result.categories.len()];
    for c in &result.categories {
        got[c.index as usize] = f64::from(c.probability);
    }
    got
}

/// A reference case's `tflite_probabilities`.
pub fn tflite_probabilities(case: &Value) -> Vec<f64> {
    case["tflite_probabilities"]
        .as_array()
        .expect("tflite_probabilities")
        .iter()
        .map(|v| v.as_f64().expect("a probability"))
        .collect()
}

/// Asserts that every probability of `result` is within `tolerance` of TensorFlow's for
/// `case` (and that there are as many), and returns the largest difference.
pub fn assert_within(id: &str, result: &Classification, case: &Value, tolerance: f64) -> f64 {
    let (got, want) = (in_output_order(result), tflite_probabilities(case));
    assert_eq!(got.len(), want.len(), "{id}: class count vs TF");
    let mut largest = 0f64;
    for (g, w) in got.iter().zip(&want) {
        let difference = (g - w).abs();
        assert!(
            difference <= tolerance,
            "{id}: {got:?} vs TF {want:?} (tolerance {tolerance})"
        );
        largest = largest.max(difference);
    }
    largest
}
