//! Live camera mode for Kotlin and Swift: the exported `LiveSession`, its `LiveListener`
//! (a callback interface the app implements) and their records, each made from the
//! core's type in one conversion.
//!
//! Kotlin: uniffi gives every object `close()` (AutoCloseable), which frees the session,
//! and so stops it and waits for its worker. The session's own `close` (stop without
//! freeing) would clash with it, so Kotlin calls that one `stop()` (`uniffi.toml`).
//! Swift has no such clash and calls it `close()`.

use std::sync::Arc;

use crate::classifier::Classifier;
use crate::error::{LesionScanError, Result};
use crate::frames::CameraFrame;
use crate::options::{ImageOptions, PatientInfo};
use crate::raw_frame::RawFrame;
use crate::results::{Classification, QualityReport};

/// How a live session smooths and judges a stream of frames. Every field has a default
/// that suits a person holding a phone over a mole.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LiveOptions {
    /// Half-life of the moving average of the class probabilities, in milliseconds of the
    /// frames' timestamps: a frame classified `dt` ms after the previous one moves the
    /// average `1 - 0.5^(dt / halfLifeMs)` of the way to its own answer. `0`: no
    /// smoothing.
    #[uniffi(default = 500)]
    pub half_life_ms: u32,
    /// How long the leading class must hold on usable frames before `stable` becomes
    /// true, in milliseconds.
    #[uniffi(default = 1500)]
    pub stable_after_ms: u32,
    /// How long the session may go without a usable frame before it starts over
    /// (forgets its average, `stable` false), in milliseconds.
    #[uniffi(default = 500)]
    pub quality_grace_ms: u32,
    /// Another class takes the lead only when its smoothed probability exceeds the
    /// leader's by more than this (0..=1), so that a near tie does not reset `stable`.
    #[uniffi(default = 0.05)]
    pub switch_margin: f32,
    /// Region of interest and extra rotation for every frame.
    #[uniffi(default)]
    pub image: ImageOptions,
    /// The patient, for models that take age, sex and body site; `null`: unknown.
    #[uniffi(default)]
    pub patient: Option<PatientInfo>,
}

impl TryFrom<LiveOptions> for lesionscan::LiveOptions {
    type Error = LesionScanError;
    fn try_from(value: LiveOptions) -> Result<Self> {
        let LiveOptions {
            half_life_ms,
            stable_after_ms,
            quality_grace_ms,
            switch_margin,
            image,
            patient,
        } = value;
        Ok(Self {
            half_life_ms,
            stable_after_ms,
            quality_grace_ms,
            switch_margin,
            image: image.into(),
            patient: patient.map(TryInto::try_into).transpose()?,
        })
    }
}

/// What a live session says after each frame it took. **Not a diagnosis.**
///
/// The counters count the frames up to and including this one:
/// `framesSeen = framesClassified + framesUnusable + framesFailed + framesDropped`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LiveResult {
    /// Every class's probability averaged over time, ranked and filtered as the
    /// classifier's options say. No categories before the first usable frame and after
    /// the session starts over. Its `quality` is this frame's.
    pub smoothed: Classification,
    /// This frame's quality report. An unusable frame is not classified.
    pub quality: QualityReport,
    /// Whether the leading class has held on usable frames for `stableAfterMs`. Show
    /// the answer once this is true.
    pub stable: bool,
    /// How long the leading class has held, in milliseconds (progress towards `stable`).
    pub held_ms: u64,
    /// What to tell the person holding the phone, in a few words: for this frame's first
    /// quality issue "hold steady" (blurred), "more light", "less light", "tilt to avoid
    /// glare", "move closer" or "centre the mole"; "hold steady" while the answer is not
    /// yet stable; `null` once it is.
    pub hint: Option<String>,
    /// The same hint as a value, for apps that show it in their own words or language
    /// (`liveHintWords` gives the English); `null` when `hint` is.
    pub hint_kind: Option<LiveHint>,
    /// The timestamp the frame was pushed with.
    pub timestamp_ms: u64,
    /// Frames pushed so far.
    pub frames_seen: u64,
    /// Frames the model ran on.
    pub frames_classified: u64,
    /// Frames replaced by a newer one while the model was busy.
    pub frames_dropped: u64,
    /// Frames skipped for their quality.
    pub frames_unusable: u64,
    /// Frames whose classification failed (each reported to `onError`).
    pub frames_failed: u64,
}

impl From<lesionscan::LiveResult> for LiveResult {
    fn from(value: lesionscan::LiveResult) -> Self {
        let hint_kind = value.hint();
        let hint = hint_kind.map(|hint| hint.words().to_string());
        let lesionscan::LiveResult {
            smoothed,
            quality,
            stable,
            held_ms,
            timestamp_ms,
            frames_seen,
            frames_classified,
            frames_dropped,
            frames_unusable,
            frames_failed,
        } = value;
        Self {
            smoothed: smoothed.into(),
            quality: quality.into(),
            stable,
            held_ms,
            hint,
            hint_kind: hint_kind.map(LiveHint::from),
            timestamp_ms,
            frames_seen,
            frames_classified,
            frames_dropped,
            frames_unusable,
            frames_failed,
        }
    }
}

/// What a live camera screen tells the person holding the phone: what to change about the
/// frame, or to hold steady while the answer settles. `liveHintWords` gives the English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum LiveHint {
    /// The frame is blurred, or the answer has not yet held for `stableAfterMs`.
    HoldSteady,
    /// Underexposed.
    MoreLight,
    /// Overexposed (a flash, direct sun).
    LessLight,
    /// Reflections on the skin.
    AvoidGlare,
    /// The lesion is too small in the frame.
    MoveCloser,
    /// No lesion near the centre of the frame, or one off to the side.
    CentreTheMole,
}

impl From<lesionscan::LiveHint> for LiveHint {
    fn from(value: lesionscan::LiveHint) -> Self {
        use lesionscan::LiveHint as Core;
        match value {
            Core::HoldSteady => Self::HoldSteady,
            Core::MoreLight => Self::MoreLight,
            Core::LessLight => Self::LessLight,
            Core::AvoidGlare => Self::AvoidGlare,
            Core::MoveCloser => Self::MoveCloser,
            Core::CentreTheMole => Self::CentreTheMole,
        }
    }
}

impl From<LiveHint> for lesionscan::LiveHint {
    fn from(value: LiveHint) -> Self {
        match value {
            LiveHint::HoldSteady => Self::HoldSteady,
            LiveHint::MoreLight => Self::MoreLight,
            LiveHint::LessLight => Self::LessLight,
            LiveHint::AvoidGlare => Self::AvoidGlare,
            LiveHint::MoveCloser => Self::MoveCloser,
            LiveHint::CentreTheMole => Self::CentreTheMole,
        }
    }
}

/// The English words for a live hint ("hold steady", "more light", "less light", "tilt to
/// avoid glare", "move closer", "centre the mole"), as `LiveResult.hint` carries them.
#[uniffi::export]
pub fn live_hint_words(hint: LiveHint) -> String {
    lesionscan::LiveHint::from(hint).words().to_string()
}

/// Receives what a live session says, on the session's worker thread, one call at a
/// time, in the order of the frames.
///
/// Return quickly (post the result to the UI thread): the model waits while a call
/// runs. Never wait for the thread that closes the session. An exception thrown here
/// (any exception) is logged and the session goes on with the next frame.
#[uniffi::export(callback_interface)]
pub trait LiveListener: Send + Sync {
    /// A frame was taken: classified, or skipped for its quality.
    ///
    /// # Errors
    /// Whatever the app throws; the session logs it and goes on.
    fn on_result(&self, result: LiveResult) -> Result<(), LiveListenerError>;
    /// Classifying the frame pushed at `timestamp_ms` failed; the session goes on.
    ///
    /// # Errors
    /// Whatever the app throws; the session logs it and goes on.
    fn on_error(&self, error: LesionScanError, timestamp_ms: u64) -> Result<(), LiveListenerError>;
}

/// An exception thrown by a [`LiveListener`] call.
///
/// The listener's methods are declared as throwing so that an exception in app code
/// arrives in Rust as a value (logged, and the session goes on), never as a panic. Apps
/// need not throw it themselves: any exception becomes `Failed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum LiveListenerError {
    /// The listener threw.
    #[error("the listener failed: {reason}")]
    Failed {
        /// The exception, as the foreign language describes it.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for LiveListenerError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed {
            reason: error.reason,
        }
    }
}

/// The app's listener, called by the core's worker.
struct Forward(Box<dyn LiveListener>);

impl lesionscan::LiveListener for Forward {
    fn on_result(&mut self, result: lesionscan::LiveResult) {
        if self.0.on_result(result.into()).is_err() {
            threw("onResult");
        }
    }

    fn on_error(&mut self, error: lesionscan::Error, timestamp_ms: u64) {
        let error = LesionScanError::from(error);
        log::warn!("live session: a frame failed: {}", error.kind());
        if self.0.on_error(error, timestamp_ms).is_err() {
            threw("onError");
        }
    }
}

fn threw(method: &str) {
    // Not the exception's text: it is the app's, and may carry anything.
    log::warn!("live session: the listener's {method} threw; the session goes on");
}

/// A running classification of a camera stream: push every camera frame, get a steady
/// answer through the listener. Pushing returns at once: the frame is converted to the
/// model's size on the caller's thread, then classified on the session's one worker
/// thread; while the model is busy a newer frame replaces the one waiting.
///
/// Close it when the camera stops (Kotlin: `close()` or `use {}`; Swift: `close()`):
/// no frame is accepted and no listener call starts after that, and the worker thread
/// ends (closing waits for the model run in progress).
///
/// **Not a medical device:** results support a clinician's judgement; they are not a
/// diagnosis (see `disclaimer()`).
#[derive(Debug, uniffi::Object)]
pub struct LiveSession {
    inner: lesionscan::LiveSession,
}

#[uniffi::export]
impl LiveSession {
    /// Starts a session, and its worker thread, on `classifier` (which stays usable for
    /// other calls).
    ///
    /// # Errors
    /// `InvalidArgument` for options out of range or a patient the model cannot take.
    #[uniffi::constructor]
    pub fn new(
        classifier: Arc<Classifier>,
        options: LiveOptions,
        listener: Box<dyn LiveListener>,
    ) -> Result<Arc<Self>> {
        let inner = lesionscan::LiveSession::new(
            Arc::clone(classifier.core()),
            options.try_into()?,
            Forward(listener),
        )?;
        Ok(Arc::new(Self { inner }))
    }

    /// Hands a frame whose planes were copied in to the session. Camera streams should
    /// use the zero-copy helpers instead (Android `pushFrame(imageProxy)`, iOS
    /// `pushFrame(sampleBuffer:)`).
    ///
    /// # Errors
    /// `Closed` after `close()`/`stop()`; `InvalidArgument` for a timestamp not after
    /// the previous frame's; `InvalidFrame` when planes, strides or sizes do not add up.
    pub fn push_frame(&self, frame: CameraFrame, timestamp_ms: u64) -> Result<()> {
        pushed(self.inner.push_frame(&frame.borrow(), timestamp_ms))
    }

    /// Hands a frame read in place from the addresses in `frame` to the session; the
    /// planes are not read after this returns.
    ///
    /// Low level, for the platform helpers only (Android's `pushFrame(imageProxy)` and
    /// `pushFrame(…, planes: List<DirectPlane>, …)`, iOS's `pushFrame(pixelBuffer:)`),
    /// which take each address and length from the platform's own buffer and keep it
    /// alive and unchanged for the call. Given addresses that do not hold `length`
    /// readable bytes, this reads memory it must not.
    ///
    /// # Errors
    /// As [`LiveSession::push_frame`], and `InvalidFrame` for a null address or a length
    /// the platform cannot hold.
    pub fn push_raw_frame(&self, frame: RawFrame, timestamp_ms: u64) -> Result<()> {
        // SAFETY: the platform helpers that call this take every address and length from
        // the platform buffer and keep it readable and unchanged until we return (see
        // `raw_frame`); the core reads the planes only inside `push_frame`, and the
        // borrowed frame does not outlive this call.
        let borrowed = unsafe { frame.borrow()? };
        pushed(self.inner.push_frame(&borrowed, timestamp_ms))
    }

    /// Stops the session: frames are refused with `Closed` from now on, no listener call
    /// starts, and the worker thread ends (this waits for the model run in progress).
    /// Closing again does nothing. Kotlin calls this `stop()`; its `close()` also frees
    /// the session.
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether the session was closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

fn pushed(result: lesionscan::Result<()>) -> Result<()> {
    result.map_err(|error| {
        let error = LesionScanError::from(error);
        // Debug only: a camera pushes 30 frames a second. The kind only, never the reason.
        log::debug!("push_frame failed: {}", error.kind());
        error
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_option_defaults_are_the_cores_defaults() {
        // The values the `#[uniffi(default = …)]` attributes above give Kotlin and Swift.
        let exported = LiveOptions {
            half_life_ms: 500,
            stable_after_ms: 1500,
            quality_grace_ms: 500,
            switch_margin: 0.05,
            image: ImageOptions {
                roi: None,
                rotation: None,
                decode: None,
            },
            patient: None,
        };
        let core = lesionscan::LiveOptions::try_from(exported).expect("valid");
        assert_eq!(core, lesionscan::LiveOptions::default());
    }

    #[test]
    fn an_impossible_age_in_live_options_is_an_argument_error() {
        let options = LiveOptions {
            half_life_ms: 500,
            stable_after_ms: 1500,
            quality_grace_ms: 500,
            switch_margin: 0.05,
            image: ImageOptions {
                roi: None,
                rotation: None,
                decode: None,
            },
            patient: Some(PatientInfo {
                age: Some(300),
                sex: None,
                site: None,
            }),
        };
        assert!(matches!(
            lesionscan::LiveOptions::try_from(options),
            Err(LesionScanError::InvalidArgument { .. })
        ));
    }

    #[test]
    fn every_live_hint_crosses_the_boundary_and_back_with_its_words() {
        use lesionscan::LiveHint as Core;
        let all = [
            Core::HoldSteady,
            Core::MoreLight,
            Core::LessLight,
            Core::AvoidGlare,
            Core::MoveCloser,
            Core::CentreTheMole,
        ];
        let mut words = std::collections::HashSet::new();
        for core in all {
            let exported = LiveHint::from(core);
            assert_eq!(lesionscan::LiveHint::from(exported), core);
            assert_eq!(live_hint_words(exported), core.words());
            words.insert(live_hint_words(exported));
        }
        assert_eq!(words.len(), all.len(), "each hint has its own words");
    }

    #[test]
    fn an_exception_in_the_listener_becomes_a_value_not_a_panic() {
        let unexpected = uniffi::UnexpectedUniFFICallbackError::new("java.lang.RuntimeException");
        assert_eq!(
            LiveListenerError::from(unexpected),
            LiveListenerError::Failed {
                reason: "java.lang.RuntimeException".into()
            }
        );
    }
}
