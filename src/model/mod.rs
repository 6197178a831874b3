//! Model cards and loading a model against its card.

mod card;

pub use card::{AgeEncoding, ClassInfo, InputSpec, MetadataSpec, ModelCard, OneHot, OutputKind, OutputSpec};
