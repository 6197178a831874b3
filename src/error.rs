//! The one error type of the library.
//!
//! Each variant is a category a caller can act on; the `reason` says what was wrong in
//! words a developer can read in a log. Messages never carry pixels, file paths or
//! patient data.

/// Everything that can go wrong while loading a model or classifying a picture.
///
/// A failed call leaves the [`Classifier`](crate::Classifier) usable: the next call with
/// good input succeeds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model bytes are not a model LiteRT can load, or do not fit the card.
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
    /// A camera frame whose size, planes or strides do not add up.
    #[error("invalid frame: {reason}")]
    InvalidFrame {
        /// What was wrong.
        reason: String,
    },
    /// An option or argument out of its range (for example both allow and deny lists).
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
}

impl Error {
    pub(crate) fn model(reason: impl Into<String>) -> Self {
        Self::InvalidModel {
            reason: reason.into(),
        }
    }
    pub(crate) fn card(reason: impl Into<String>) -> Self {
        Self::InvalidCard {
            reason: reason.into(),
        }
    }
    pub(crate) fn image(reason: impl Into<String>) -> Self {
        Self::InvalidImage {
            reason: reason.into(),
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
    pub(crate) fn unsupported(reason: impl Into<String>) -> Self {
        Self::Unsupported {
            reason: reason.into(),
        }
    }
    pub(crate) fn engine(reason: impl Into<String>) -> Self {
        Self::Engine {
            reason: reason.into(),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::Io {
            reason: err.kind().to_string(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
