//! Writing a prepared picture (and patient metadata) into the model's input tensors.

use crate::engine::{DType, TensorData, TensorInfo};
use crate::error::{Error, Result};
use crate::image::PreparedImage;
use crate::model::InputSpec;

/// Normalises each value as the card says — `(pixel - mean[c]) / std[c]` — and stores
/// it in the tensor's element type, quantising with the model's own scale and zero point
/// for integer tensors.
pub(crate) fn image_tensor(
    image: &PreparedImage,
    spec: &InputSpec,
    info: &TensorInfo,
) -> Result<TensorData> {
    if image.rgb.len() != info.len() {
        return Err(Error::argument(format!(
            "prepared image has {} values, the model input takes {}",
            image.rgb.len(),
            info.len()
        )));
    }
    let normalised = image
        .rgb
        .chunks_exact(3)
        .flat_map(|px| [0, 1, 2].map(|c| (px[c] - spec.mean[c]) / spec.std[c]));
    write_values(normalised, info)
}

/// Stores plain values (already normalised) in the tensor's element type.
pub(crate) fn values_tensor(values: &[f32], info: &TensorInfo) -> Result<TensorData> {
    if values.len() != info.len() {
        return Err(Error::argument(format!(
            "{} values for a tensor of {}",
            values.len(),
            info.len()
        )));
    }
    write_values(values.iter().copied(), info)
}

fn write_values(values: impl Iterator<Item = f32>, info: &TensorInfo) -> Result<TensorData> {
    match info.dtype {
        DType::F32 => Ok(TensorData::F32(values.collect())),
        DType::U8 => {
            let q = quantizer(info, 0.0, 255.0)?;
            Ok(TensorData::U8(values.map(|v| q(v) as u8).collect()))
        }
        DType::I8 => {
            let q = quantizer(info, -128.0, 127.0)?;
            Ok(TensorData::I8(values.map(|v| q(v) as i8).collect()))
        }
        other => Err(Error::unsupported(format!("input tensors of type {other}"))),
    }
}

/// `q = round(v / scale) + zero_point`, clamped to the type's range (TFLite rounds half
/// away from zero).
fn quantizer(info: &TensorInfo, lo: f32, hi: f32) -> Result<impl Fn(f32) -> f32> {
    let quant = info
        .quantization
        .filter(|q| q.scale > 0.0 && q.scale.is_finite())
        .ok_or_else(|| {
            Error::model(format!(
                "integer input tensor {:?} has no quantisation parameters",
                info.name
            ))
        })?;
    let scale = quant.scale;
    let zero_point = quant.zero_point as f32;
    Ok(move |v: f32| ((v / scale).round() + zero_point).clamp(lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Quantization;

    fn spec(mean: f32, std: f32) -> InputSpec {
        serde_json::from_value(serde_json::json!({
            "width": 1, "height": 1, "mean": [mean, mean, mean], "std": [std, std, std]
        }))
        .expect("valid spec")
    }

    fn info(dtype: DType, quantization: Option<Quantization>) -> TensorInfo {
        TensorInfo {
            name: "in".into(),
            shape: vec![1, 1, 1, 3],
            dtype,
            quantization,
        }
    }

    fn pixel(r: f32, g: f32, b: f32) -> PreparedImage {
        PreparedImage {
            width: 1,
            height: 1,
            rgb: vec![r, g, b],
            source_size: (1, 1),
            detail: None,
        }
    }

    #[test]
    fn float_input_is_normalised_with_mean_and_std() {
        let t = image_tensor(
            &pixel(0.0, 127.5, 255.0),
            &spec(127.5, 127.5),
            &info(DType::F32, None),
        )
        .expect("ok");
        assert_eq!(t, TensorData::F32(vec![-1.0, 0.0, 1.0]));
    }

    #[test]
    fn int8_input_uses_the_model_quantisation() {
        // 0..1 input (std 255) quantised with scale 1/255, zero point -128, as TFLite's
        // converter does for a rescale=1/255 model: q = round(p / 255 * 255) - 128.
        let q = Quantization {
            scale: 1.0 / 255.0,
            zero_point: -128,
        };
        let t = image_tensor(
            &pixel(0.0, 100.4, 255.0),
            &spec(0.0, 255.0),
            &info(DType::I8, Some(q)),
        )
        .expect("ok");
        assert_eq!(t, TensorData::I8(vec![-128, -28, 127]));
    }

    #[test]
    fn uint8_input_clamps_to_its_range() {
        let q = Quantization {
            scale: 0.5,
            zero_point: 10,
        };
        // 200 / 0.5 + 10 = 410 -> 255; -100 / 0.5 + 10 = -190 -> 0; 3.3/0.5 = 6.6 -> 7 + 10 = 17
        let t = image_tensor(
            &pixel(200.0, -100.0, 3.3),
            &spec(0.0, 1.0),
            &info(DType::U8, Some(q)),
        )
        .expect("ok");
        assert_eq!(t, TensorData::U8(vec![255, 0, 17]));
    }

    #[test]
    fn integer_input_without_quantisation_is_a_model_error() {
        let err = image_tensor(
            &pixel(1.0, 2.0, 3.0),
            &spec(0.0, 1.0),
            &info(DType::I8, None),
        )
        .expect_err("rejected");
        assert!(matches!(err, Error::InvalidModel { .. }));
    }
}
