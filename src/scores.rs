//! From the model's raw output to one probability per class.

use crate::engine::{TensorData, TensorInfo};
use crate::error::{Error, Result};
use crate::model::OutputKind;

/// Dequantises `output` (`real = scale * (q - zero_point)`) and, when the card says the
/// model outputs logits, applies a softmax.
pub(crate) fn probabilities(
    output: &TensorData,
    info: &TensorInfo,
    kind: OutputKind,
) -> Result<Vec<f32>> {
    let dequantised: Vec<f32> = match output {
        TensorData::F32(v) => v.clone(),
        TensorData::U8(v) => dequantise(v.iter().map(|&q| f32::from(q)), info)?,
        TensorData::I8(v) => dequantise(v.iter().map(|&q| f32::from(q)), info)?,
    };
    if dequantised.iter().any(|v| !v.is_finite()) {
        return Err(Error::engine("the model produced a non-finite score"));
    }
    Ok(match kind {
        OutputKind::Probabilities => checked_distribution(dequantised)?,
        OutputKind::Logits => softmax(&dequantised),
    })
}

/// Scores the card calls probabilities must be a probability distribution: each in
/// `[0, 1]` and together 1, within what an 8-bit softmax loses to rounding (half a step of
/// 1/256 per class) plus 1 %. Anything else (a damaged model, or a card that says
/// `probabilities` for a model that outputs logits) would be shown as nonsense
/// percentages, so it is an error. Values within the tolerance are clamped to `[0, 1]`.
fn checked_distribution(mut scores: Vec<f32>) -> Result<Vec<f32>> {
    let tolerance = 0.01 + scores.len() as f32 / 512.0;
    let sum: f32 = scores.iter().sum();
    let in_range = scores
        .iter()
        .all(|v| (-tolerance..=1.0 + tolerance).contains(v));
    if !in_range || (sum - 1.0).abs() > tolerance {
        return Err(Error::model(format!(
            "the model's scores (from {:.3} to {:.3}, sum {sum:.3}) are not probabilities, \
             as its card's output.kind says they are",
            scores.iter().copied().fold(f32::INFINITY, f32::min),
            scores.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        )));
    }
    for v in &mut scores {
        *v = v.clamp(0.0, 1.0);
    }
    Ok(scores)
}

fn dequantise(values: impl Iterator<Item = f32>, info: &TensorInfo) -> Result<Vec<f32>> {
    let quant = info.quantization.ok_or_else(|| {
        Error::model(format!(
            "integer output tensor {:?} has no quantisation parameters",
            info.name
        ))
    })?;
    let zero_point = quant.zero_point as f32;
    Ok(values.map(|q| quant.scale * (q - zero_point)).collect())
}

/// Numerically stable softmax.
pub(crate) fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&l| (l - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{DType, Quantization};

    fn info(quantization: Option<Quantization>) -> TensorInfo {
        TensorInfo {
            name: "out".into(),
            shape: vec![1, 3],
            dtype: DType::I8,
            quantization,
        }
    }

    #[test]
    fn int8_probabilities_are_dequantised() {
        // TFLite's int8 softmax output: scale 1/256, zero point -128.
        let q = Some(Quantization {
            scale: 1.0 / 256.0,
            zero_point: -128,
        });
        let p = probabilities(
            &TensorData::I8(vec![-128, 0, -1]),
            &info(q),
            OutputKind::Probabilities,
        )
        .expect("ok");
        assert_eq!(p, vec![0.0, 0.5, 127.0 / 256.0]);
    }

    #[test]
    fn logits_get_a_softmax_probabilities_do_not() {
        let logits = TensorData::F32(vec![0.0, 2f32.ln(), 0.0]);
        let p = probabilities(&logits, &info(None), OutputKind::Logits).expect("ok");
        let expected = [0.25, 0.5, 0.25];
        for (a, b) in p.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{p:?}");
        }
        let same = probabilities(
            &TensorData::F32(vec![0.1, 0.2, 0.7]),
            &info(None),
            OutputKind::Probabilities,
        )
        .expect("ok");
        assert_eq!(same, vec![0.1, 0.2, 0.7]);
    }

    #[test]
    fn scores_that_are_not_a_distribution_are_refused() {
        // Seen with a damaged model (fuzzing): "probabilities" summing to far more than 1.
        for scores in [
            vec![0.9, 0.8, 0.3],
            vec![2.5, -1.0, 0.5],
            vec![0.1, 0.1, 0.1],
        ] {
            let err = probabilities(
                &TensorData::F32(scores.clone()),
                &info(None),
                OutputKind::Probabilities,
            )
            .expect_err("not probabilities");
            assert!(
                matches!(err, Error::InvalidModel { .. }),
                "{scores:?}: {err:?}"
            );
        }
        // An 8-bit softmax's rounding passes, clamped into [0, 1].
        let q = Some(Quantization {
            scale: 1.0 / 256.0,
            zero_point: -128,
        });
        let p = probabilities(
            &TensorData::I8(vec![127, -126, -126]),
            &info(q),
            OutputKind::Probabilities,
        )
        .expect("rounding is tolerated");
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{p:?}");
    }

    #[test]
    fn softmax_survives_huge_logits() {
        let p = softmax(&[1000.0, 1000.0]);
        assert_eq!(p, vec![0.5, 0.5]);
    }
}
