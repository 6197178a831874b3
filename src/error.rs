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
    /// The object was closed: a [`LiveSession`](crate::LiveSession) after `close()`.
    #[error("closed: {reason}")]
    Closed {
        /// What was closed.
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
    pub(crate) fn closed(reason: impl Into<String>) -> Self {
        Self::Closed {
            reason: reason.into(),
        }
    }
}

impl Error {
    /// One error of every variant, in declaration order, each with the reason `"example"`.
    ///
    /// For crates that map this enum to their own (the Kotlin/Swift bindings): their tests
    /// walk this list, so a variant added here cannot be forgotten there.
    #[doc(hidden)]
    pub fn one_of_each() -> Vec<Error> {
        // Each arm names the variant declared after it. A new variant does not compile
        // until it has an arm, which gives it its place in the chain.
        fn after(error: &Error) -> Option<Error> {
            let example = "example";
            match error {
                Error::InvalidModel { .. } => Some(Error::card(example)),
                Error::InvalidCard { .. } => Some(Error::image(example)),
                Error::InvalidImage { .. } => Some(Error::frame(example)),
                Error::InvalidFrame { .. } => Some(Error::argument(example)),
                Error::InvalidArgument { .. } => Some(Error::unsupported(example)),
                Error::Unsupported { .. } => Some(Error::engine(example)),
                Error::Engine { .. } => Some(Error::Io {
                    reason: example.into(),
                }),
                Error::Io { .. } => Some(Error::closed(example)),
                Error::Closed { .. } => None,
            }
        }
        std::iter::successors(Some(Error::model("example")), after).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_of_each_holds_every_variant_once() {
        let all = Error::one_of_each();
        let kinds: std::collections::HashSet<_> = all.iter().map(std::mem::discriminant).collect();
        assert_eq!(kinds.len(), all.len(), "a variant appears twice");
    }
}
