//! Model cards and checking a model against its card.

mod card;
mod layout;

pub use card::{
    AgeEncoding, ClassInfo, InputSpec, MetadataSpec, ModelCard, OneHot, OutputKind, OutputSpec,
};
pub(crate) use layout::{check_checksum, ModelLayout};
