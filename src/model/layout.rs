//! Checking a loaded model against its card, once, at load time.

use super::{InputDType, ModelCard};
use crate::engine::{DType, ModelBytes, TensorInfo};
use crate::error::{Error, Result};
use crate::image::TargetSize;

/// Where each tensor the classifier uses sits in the model, and the picture size it wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModelLayout {
    /// Index of the NHWC image input.
    pub(crate) image_input: usize,
    /// Index of the rank-2 patient metadata input, when the model has one.
    pub(crate) metadata_input: Option<usize>,
    /// Index of the class-score output.
    pub(crate) output: usize,
    /// Size and fit of the image input.
    pub(crate) target: TargetSize,
}

/// Checks the model's bytes against the card's checksum.
pub(crate) fn check_checksum(card: &ModelCard, model: &ModelBytes) -> Result<()> {
    if let Some(expected) = &card.sha256 {
        let actual = model.sha256_hex();
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(Error::model(format!(
                "sha256 of the model bytes is {actual}, the card expects {expected}"
            )));
        }
    }
    Ok(())
}

/// The engine's element type for the card's `input.dtype`.
fn dtype_of(dtype: InputDType) -> DType {
    match dtype {
        InputDType::Float32 => DType::F32,
        InputDType::Uint8 => DType::U8,
        InputDType::Int8 => DType::I8,
    }
}

impl ModelLayout {
    /// Matches the card to the tensors the model declares.
    pub(crate) fn new(
        card: &ModelCard,
        inputs: &[TensorInfo],
        outputs: &[TensorInfo],
    ) -> Result<Self> {
        let images: Vec<usize> = (0..inputs.len())
            .filter(|&i| inputs[i].shape.len() == 4)
            .collect();
        let image_input = match images.as_slice() {
            [one] => *one,
            [] => return Err(Error::model("the model has no 4-D (NHWC image) input")),
            _ => return Err(Error::unsupported("models with more than one image input")),
        };
        let image = &inputs[image_input];
        let (w, h) = (card.input.width as usize, card.input.height as usize);
        if image.shape != [1, h, w, 3] {
            return Err(Error::card(format!(
                "input is {w}x{h} RGB in the card but the model's image input has shape {:?}",
                image.shape
            )));
        }
        if !matches!(image.dtype, DType::F32 | DType::U8 | DType::I8) {
            return Err(Error::unsupported(format!(
                "image inputs of type {}",
                image.dtype
            )));
        }
        if let Some(dtype) = card.input.dtype {
            if dtype_of(dtype) != image.dtype {
                return Err(Error::card(format!(
                    "input.dtype is {dtype} in the card but {} in the model",
                    image.dtype
                )));
            }
        }
        if image.dtype != DType::F32
            && image
                .quantization
                .is_none_or(|q| q.scale.is_nan() || q.scale <= 0.0)
        {
            return Err(Error::model(
                "the integer image input has no quantisation parameters",
            ));
        }

        let others: Vec<usize> = (0..inputs.len()).filter(|&i| i != image_input).collect();
        let metadata_input =
            match (others.as_slice(), &card.metadata_input) {
                ([], None) => None,
                ([], Some(_)) => {
                    return Err(Error::card(
                        "the card describes metadata_input but the model takes only an image",
                    ))
                }
                ([one], Some(spec)) => {
                    let info = &inputs[*one];
                    if info.shape.len() != 2 || info.shape[0] != 1 || info.shape[1] != spec.length {
                        return Err(Error::card(format!(
                        "metadata_input.length is {} but the model's second input has shape {:?}",
                        spec.length, info.shape
                    )));
                    }
                    if !matches!(info.dtype, DType::F32 | DType::U8 | DType::I8) {
                        return Err(Error::unsupported(format!(
                            "metadata inputs of type {}",
                            info.dtype
                        )));
                    }
                    Some(*one)
                }
                ([_], None) => return Err(Error::card(
                    "the model takes a second (metadata) input but the card has no metadata_input",
                )),
                _ => {
                    return Err(Error::unsupported(format!(
                        "models with {} inputs",
                        inputs.len()
                    )))
                }
            };

        let output = match outputs.len() {
            1 => 0,
            0 => return Err(Error::model("the model has no output")),
            n => return Err(Error::unsupported(format!("models with {n} outputs"))),
        };
        let scores = &outputs[output];
        if scores.len() != card.classes.len() {
            return Err(Error::card(format!(
                "the card lists {} classes but the model outputs {} scores",
                card.classes.len(),
                scores.len()
            )));
        }
        if !matches!(scores.dtype, DType::F32 | DType::U8 | DType::I8) {
            return Err(Error::unsupported(format!(
                "outputs of type {}",
                scores.dtype
            )));
        }
        if scores.dtype != DType::F32 && scores.quantization.is_none() {
            return Err(Error::model(
                "the integer output has no quantisation parameters",
            ));
        }
        let target = TargetSize {
            width: card.input.width,
            height: card.input.height,
            fit: card.input.fit(),
            resampling: card.input.resize.resampling(),
        };
        Ok(Self {
            image_input,
            metadata_input,
            output,
            target,
        })
    }
}
