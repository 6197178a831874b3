//! The one error type of the bindings, and its one mapping from the core's error.
//!
//! Kotlin sees `LesionScanException.InvalidImage(reason)` and its siblings, Swift
//! `LesionScanError.InvalidImage(reason:)`. Reasons come from the core, which never puts
//! pixels, file paths or patient data in them.

/// Everything that can go wrong in a call, one variant per variant of the core's
/// `lesionscan::Error`, each with the core's reason.
///
/// A failed call leaves the classifier usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum LesionScanError {
    /// The model bytes are not a model the runtime can load, or do not fit the card.
    #[error("invalid model: {reason}")]
    InvalidModel {
        /// What was wrong.
        reason: String,
    },
    /// The model card is not valid JSON, or its content is inconsistent.
    #[error("invalid model card: {reason}")]
    InvalidCard {
        /// What was wrong.
        reason: String,
    },
    /// The encoded picture cannot be decoded (empty, truncated, unknown format, too large).
    #[error("invalid image: {reason}")]
    InvalidImage {
        /// What was wrong.
        reason: String,
    },
    /// A camera frame whose size, planes, strides or buffers do not add up.
    #[error("invalid frame: {reason}")]
    InvalidFrame {
        /// What was wrong.
        reason: String,
    },
    /// An option or argument out of its range.
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was wrong.
        reason: String,
    },
    /// Something valid that this build or this model cannot do.
    #[error("unsupported: {reason}")]
    Unsupported {
        /// What is not supported.
        reason: String,
    },
    /// The inference runtime failed while compiling or running the model.
    #[error("engine error: {reason}")]
    Engine {
        /// What the runtime reported.
        reason: String,
    },
    /// Reading a file failed.
    #[error("i/o error: {reason}")]
    Io {
        /// What the operating system reported (without the path).
        reason: String,
    },
    /// The object was closed: a `LiveSession` after `close()` (Kotlin: `stop()`).
    #[error("closed: {reason}")]
    Closed {
        /// What was closed.
        reason: String,
    },
}

impl LesionScanError {
    /// The variant's name, for logs (which never carry the reason: an argument error
    /// may quote a patient's age).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::InvalidModel { .. } => "InvalidModel",
            Self::InvalidCard { .. } => "InvalidCard",
            Self::InvalidImage { .. } => "InvalidImage",
            Self::InvalidFrame { .. } => "InvalidFrame",
            Self::InvalidArgument { .. } => "InvalidArgument",
            Self::Unsupported { .. } => "Unsupported",
            Self::Engine { .. } => "Engine",
            Self::Io { .. } => "Io",
            Self::Closed { .. } => "Closed",
        }
    }

    pub(crate) fn frame(reason: impl Into<String>) -> Self {
        Self::InvalidFrame {
            reason: reason.into(),
        }
    }

    pub(crate) fn argument(reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            reason: reason.into(),
        }
    }
}

impl From<lesionscan::Error> for LesionScanError {
    fn from(error: lesionscan::Error) -> Self {
        use lesionscan::Error as Core;
        match error {
            Core::InvalidModel { reason } => Self::InvalidModel { reason },
            Core::InvalidCard { reason } => Self::InvalidCard { reason },
            Core::InvalidImage { reason } => Self::InvalidImage { reason },
            Core::InvalidFrame { reason } => Self::InvalidFrame { reason },
            Core::InvalidArgument { reason } => Self::InvalidArgument { reason },
            Core::Unsupported { reason } => Self::Unsupported { reason },
            Core::Engine { reason } => Self::Engine { reason },
            Core::Io { reason } => Self::Io { reason },
            Core::Closed { reason } => Self::Closed { reason },
            // The core's enum is `#[non_exhaustive]`, so this arm must exist; the test
            // below fails as soon as a core variant reaches it.
            other => Self::Unsupported {
                reason: other.to_string(),
            },
        }
    }
}

/// `Result` with [`LesionScanError`].
pub type Result<T, E = LesionScanError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The variant name in a `Debug` rendering such as `InvalidCard { reason: "x" }`.
    fn variant_name(debug: &str) -> &str {
        debug.split([' ', '{', '(']).next().unwrap_or_default()
    }

    #[test]
    fn every_core_error_maps_to_its_namesake_with_its_reason() {
        // Every core variant, in the core's order. `Error::one_of_each` cannot compile
        // without a new variant, so a variant added to the core fails this test until
        // it has its own variant and arm here.
        let expected = [
            "InvalidModel",
            "InvalidCard",
            "InvalidImage",
            "InvalidFrame",
            "InvalidArgument",
            "Unsupported",
            "Engine",
            "Io",
            "Closed",
        ];
        let core_errors = lesionscan::Error::one_of_each();
        let core_names: Vec<String> = core_errors
            .iter()
            .map(|e| variant_name(&format!("{e:?}")).to_string())
            .collect();
        assert_eq!(core_names, expected, "the core's error variants changed");
        for core in core_errors {
            let name = variant_name(&format!("{core:?}")).to_string();
            let mapped = LesionScanError::from(core.clone());
            assert_eq!(variant_name(&format!("{mapped:?}")), name);
            assert_eq!(mapped.kind(), name);
            // Same reason, same message.
            assert_eq!(mapped.to_string(), core.to_string());
        }
    }
}
