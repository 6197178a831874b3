//! LesionScan: an on-device skin-lesion classifier.
//!
//! **Not a medical device.** Results support a clinician's judgement; they are not a
//! diagnosis.
#![warn(missing_docs)]
#![deny(unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod error;
pub mod image;
mod model;

pub use error::{Error, Result};
pub use image::{Fit, Frame, ImageOptions, PixelFormat, Plane, PreparedImage, Roi, Rotation, TargetSize};
pub use model::{AgeEncoding, ClassInfo, InputSpec, MetadataSpec, ModelCard, OneHot, OutputKind, OutputSpec};
