//! The types the live folder shares: what a session is asked to do ([`LiveOptions`]),
//! what it reports ([`LiveResult`]) and to whom ([`LiveListener`]).

use crate::classify::Classification;
use crate::error::{Error, Result};
use crate::image::ImageOptions;
use crate::patient::PatientInfo;
use crate::quality::{QualityIssue, QualityReport};

/// What a live camera screen tells the person holding the phone, in a few words they can
/// read at a glance: what to change about the frame, or to hold steady while the answer
/// settles.
///
/// [`QualityIssue::advice`] says the same at more length, for a single photo.
///
/// # Examples
/// ```
/// use lesionscan::{LiveHint, QualityIssue};
///
/// assert_eq!(LiveHint::from(QualityIssue::TooDark).words(), "more light");
/// assert_eq!(LiveHint::from(QualityIssue::OffCentre), LiveHint::CentreTheMole);
/// assert_eq!(LiveHint::HoldSteady.to_string(), "hold steady");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiveHint {
    /// The frame is blurred, or the answer has not yet held for
    /// [`LiveOptions::stable_after_ms`]: "hold steady".
    HoldSteady,
    /// Underexposed: "more light".
    MoreLight,
    /// Overexposed (a flash, direct sun): "less light".
    LessLight,
    /// Reflections on the skin: "tilt to avoid glare".
    AvoidGlare,
    /// The lesion is too small in the frame: "move closer".
    MoveCloser,
    /// No lesion near the centre of the frame, or one off to the side: "centre the mole".
    CentreTheMole,
}

impl LiveHint {
    /// The words to show.
    pub fn words(self) -> &'static str {
        match self {
            LiveHint::HoldSteady => "hold steady",
            LiveHint::MoreLight => "more light",
            LiveHint::LessLight => "less light",
            LiveHint::AvoidGlare => "tilt to avoid glare",
            LiveHint::MoveCloser => "move closer",
            LiveHint::CentreTheMole => "centre the mole",
        }
    }
}

impl From<QualityIssue> for LiveHint {
    fn from(issue: QualityIssue) -> Self {
        match issue {
            QualityIssue::Blurry => LiveHint::HoldSteady,
            QualityIssue::TooDark => LiveHint::MoreLight,
            QualityIssue::TooBright => LiveHint::LessLight,
            QualityIssue::Glare => LiveHint::AvoidGlare,
            QualityIssue::TooSmall => LiveHint::MoveCloser,
            QualityIssue::NoLesion | QualityIssue::OffCentre => LiveHint::CentreTheMole,
        }
    }
}

impl std::fmt::Display for LiveHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.words())
    }
}

/// How a [`LiveSession`](crate::LiveSession) smooths and judges a stream of frames.
///
/// The defaults suit a person holding a phone over a mole: results averaged with a
/// half-life of half a second, declared stable after the leading class has held for
/// 1.5 seconds, a glitch of bad frames forgiven for half a second.
///
/// # Examples
/// ```
/// use lesionscan::{LiveOptions, PatientInfo, Sex};
///
/// let options = LiveOptions {
///     stable_after_ms: 2_000,
///     patient: Some(PatientInfo { age: Some(45), sex: Some(Sex::Female), site: None }),
///     ..LiveOptions::default()
/// };
/// assert_eq!(options.half_life_ms, 500);
/// assert!(options.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LiveOptions {
    /// Half-life of the exponential moving average of the class probabilities, in
    /// milliseconds of the frames' timestamps: a frame classified `dt` ms after the
    /// previous one moves the average `1 - 0.5^(dt / half_life_ms)` of the way to its own
    /// probabilities. `0` turns smoothing off (each result is the latest frame's).
    pub half_life_ms: u32,
    /// How long, in milliseconds of the frames' timestamps, the leading class must hold
    /// on usable frames before [`LiveResult::stable`] becomes true. `0`: at once.
    pub stable_after_ms: u32,
    /// How long, in milliseconds, the session may go without a usable frame (frames
    /// that fail the quality checks, or no frames at all) before it starts over: the
    /// average is forgotten and `stable` becomes false. Shorter gaps (a blink of glare,
    /// a moment of shake) change nothing.
    pub quality_grace_ms: u32,
    /// Hysteresis of the leading class, 0..=1: another class takes the lead only when
    /// its smoothed probability exceeds the leader's by more than this. It keeps a near
    /// tie from resetting `stable` on every frame. `0`: the most probable class leads.
    pub switch_margin: f32,
    /// Region of interest and extra rotation, applied to every frame (a centring guide
    /// on screen can pass its square here).
    pub image: ImageOptions,
    /// The patient, for models that take age, sex and body site beside the picture.
    pub patient: Option<PatientInfo>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            half_life_ms: 500,
            stable_after_ms: 1_500,
            quality_grace_ms: 500,
            switch_margin: 0.05,
            image: ImageOptions::default(),
            patient: None,
        }
    }
}

impl LiveOptions {
    /// Checks the options that have a range.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `switch_margin` is not a number within 0..=1.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.switch_margin) {
            return Err(Error::argument(format!(
                "switch_margin must be within 0..=1, not {}",
                self.switch_margin
            )));
        }
        Ok(())
    }
}

/// What a live session says after each frame it took from the camera. **Not a
/// diagnosis.**
///
/// The frame counters count the frames up to and including this result's frame: every
/// such frame was classified, found unusable, failed, or dropped because a newer one
/// arrived while the model was busy, so
/// `frames_seen == frames_classified + frames_unusable + frames_failed + frames_dropped`.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveResult {
    /// The smoothed result: every class's probability averaged over time (see
    /// [`LiveOptions::half_life_ms`]), ranked and filtered as the classifier's options
    /// say. Empty `categories` before the first usable frame, and after the session
    /// starts over (see [`LiveOptions::quality_grace_ms`]). Its `quality` is this
    /// frame's, and its `timings` are those of the latest classified frame.
    pub smoothed: Classification,
    /// This frame's quality report. An unusable frame is not classified: it changes
    /// neither `smoothed` nor `stable`, until the grace period runs out.
    pub quality: QualityReport,
    /// Whether the leading class has held on usable frames for
    /// [`LiveOptions::stable_after_ms`]. It becomes false when another class takes the
    /// lead (by more than [`LiveOptions::switch_margin`]: the lesion under the camera
    /// has changed) and when the session starts over.
    pub stable: bool,
    /// How long the leading class has held, in milliseconds of the frames' timestamps;
    /// 0 when no class leads yet. An app can show it as progress towards `stable`.
    pub held_ms: u64,
    /// The timestamp the frame was pushed with.
    pub timestamp_ms: u64,
    /// Frames pushed so far (this one included).
    pub frames_seen: u64,
    /// Frames the model ran on.
    pub frames_classified: u64,
    /// Frames replaced by a newer one before the model could take them.
    pub frames_dropped: u64,
    /// Frames skipped because they failed the quality checks.
    pub frames_unusable: u64,
    /// Frames whose classification failed (each reported to [`LiveListener::on_error`]).
    pub frames_failed: u64,
}

impl LiveResult {
    /// What to tell the person holding the phone: the hint for this frame's first quality
    /// issue (such as [`LiveHint::MoreLight`]) when the frame is unusable;
    /// [`LiveHint::HoldSteady`] while the answer is not yet stable; `None` once it is.
    pub fn hint(&self) -> Option<LiveHint> {
        if let Some(&issue) = self.quality.issues.first() {
            Some(LiveHint::from(issue))
        } else if self.stable {
            None
        } else {
            Some(LiveHint::HoldSteady)
        }
    }
}

/// Receives what a [`LiveSession`](crate::LiveSession) says, on its worker thread, one
/// call at a time and in the order of the frames.
///
/// Calls must return quickly (hand the result to the UI thread and return): while one
/// runs, the model waits. They must not wait for the thread that closes the session,
/// since closing waits for the call in progress. A panic in a call is caught and logged;
/// the session goes on and calls the listener again for the next frame.
pub trait LiveListener: Send {
    /// A frame was taken: classified, or skipped for its quality.
    fn on_result(&mut self, result: LiveResult);

    /// Classifying the frame pushed at `timestamp_ms` failed (the runtime failed, for
    /// example). The session goes on with the next frame. The default logs the error's
    /// kind.
    fn on_error(&mut self, error: Error, timestamp_ms: u64) {
        log::warn!(
            "live session: the frame at {timestamp_ms} ms failed: {}",
            error_kind(&error)
        );
    }
}

/// The error's variant, for logs (a reason may quote an argument).
fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::InvalidModel { .. } => "invalid model",
        Error::InvalidCard { .. } => "invalid card",
        Error::InvalidImage { .. } => "invalid image",
        Error::InvalidFrame { .. } => "invalid frame",
        Error::InvalidArgument { .. } => "invalid argument",
        Error::Unsupported { .. } => "unsupported",
        Error::Engine { .. } => "engine",
        Error::Io { .. } => "i/o",
        Error::Closed { .. } => "closed",
    }
}
