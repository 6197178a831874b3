//! Where the model comes from: `--model/--card`, or the default built into the binary.

use lesionscan::{Classifier, ClassifierOptions, ModelBytes};

use crate::common::{read, Failure, ModelArgs};

/// Model bytes, card text, and a label for messages.
struct ModelSource {
    /// The built-in model's static bytes or a mapped `--model` file: never copied.
    model: ModelBytes,
    card: String,
    label: String,
}

/// The default model compiled into the CLI (`models/DEFAULT_MODEL` names it).
#[cfg(lesionscan_default_model)]
fn builtin() -> Option<ModelSource> {
    static MODEL: &[u8] = include_bytes!(env!("LESIONSCAN_DEFAULT_MODEL"));
    static CARD: &str = include_str!(env!("LESIONSCAN_DEFAULT_CARD"));
    Some(ModelSource {
        model: ModelBytes::from_static(MODEL),
        card: CARD.to_string(),
        label: "(built-in default)".into(),
    })
}

/// This build has no default model (models/DEFAULT_MODEL names a missing file).
#[cfg(not(lesionscan_default_model))]
fn builtin() -> Option<ModelSource> {
    None
}

/// Loads the model `args` name (or the built-in one) with `options`.
pub(crate) fn load(args: &ModelArgs, options: ClassifierOptions) -> Result<Classifier, Failure> {
    let source = resolve(args)?;
    Classifier::from_bytes(source.model, &source.card, options)
        .map_err(|e| Failure::from_error(&format!("cannot load model {}", source.label), &e))
}

fn resolve(args: &ModelArgs) -> Result<ModelSource, Failure> {
    let Some(model_path) = &args.model else {
        if args.card.is_some() {
            return Err(Failure::input("--card needs --model"));
        }
        return builtin().ok_or_else(|| {
            Failure::input("this build has no default model: pass --model M.tflite")
        });
    };
    let card_path = match &args.card {
        Some(card) => card.clone(),
        None => model_path.with_extension("json"),
    };
    let model = ModelBytes::map_file(model_path)
        .map_err(|e| Failure::input(format!("cannot read model {}: {e}", model_path.display())))?;
    let card = read(&card_path, "model card")?;
    let card = String::from_utf8(card).map_err(|_| {
        Failure::input(format!(
            "model card {} is not UTF-8 text",
            card_path.display()
        ))
    })?;
    Ok(ModelSource {
        model,
        card,
        label: model_path.display().to_string(),
    })
}
