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
        OutputKind::Probabilities => dequantised,
        OutputKind::Logits => softmax(&dequantised),
    })
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
            &TensorData::I8(vec![-128, 0, 127]),
            &info(q),
            OutputKind::Probabilities,
        )
        .expect("ok");
        assert_eq!(p, vec![0.0, 0.5, 255.0 / 256.0]);
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
    fn softmax_survives_huge_logits() {
        let p = softmax(&[1000.0, 1000.0]);
        assert_eq!(p, vec![0.5, 0.5]);
    }
}
