//! Model cards and checking a model against its card.

mod card;
mod layout;

pub use card::{
    AgeEncoding, ClassInfo, ColorOrder, CropPolicy, InputDType, InputSpec, MetadataSpec, ModelCard,
    OneHot, OutputKind, OutputSpec, ResizeMethod, TensorLayout,
};
pub(crate) use layout::{check_checksum, ModelLayout};
