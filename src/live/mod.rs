//! Live camera mode: a stream of frames in, a steady answer out.
//!
//! ```text
//! camera thread: push_frame ─► prepare (model size + quality) ─► inbox (one slot: latest wins)
//!                                                                   │
//! worker thread:                       model ◄── usable? ◄──────────┘
//!                                        │
//!                 Tracker (moving average, leading class, stable) ─► LiveListener
//! ```
//!
//! | file | job |
//! | --- | --- |
//! | `mod.rs` | [`LiveSession`]: the inbox, the worker thread, closing |
//! | `tracker.rs` | the timeline: moving average, leading class, stability, starting over |
//! | `types.rs` | [`LiveOptions`], [`LiveResult`], [`LiveListener`] |

mod tracker;
mod types;

pub use types::{LiveHint, LiveListener, LiveOptions, LiveResult};

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{JoinHandle, ThreadId};

use crate::classify::{Classifier, Inference, PreparedInput, Timings};
use crate::error::{Error, Result};
use crate::image::{Frame, ImageOptions};
use crate::patient::{self, PatientInfo};
use crate::quality::QualityReport;
use tracker::{Tracker, Verdict};

/// A running classification of a camera stream: frames in, a smoothed and stable answer
/// out, without ever holding up the camera.
///
/// [`push_frame`](Self::push_frame) converts the frame to the model's input size and
/// judges its quality on the caller's thread (a few milliseconds; the camera buffer can
/// be released as soon as it returns), then hands it to the session's one worker thread,
/// which runs the model and calls the [`LiveListener`]. While the worker is busy, a newer
/// frame replaces the one waiting (latest wins; at most one frame ever waits), so a slow
/// model sees fewer frames, never older ones.
///
/// Frames that fail the quality checks are not classified; results are an exponential
/// moving average of the class probabilities over the frames' own timestamps; the
/// answer is `stable` once the leading class has held long enough (see [`LiveOptions`]).
///
/// [`close`](Self::close) (or dropping the session) stops the worker and waits for it.
/// The session is `Send + Sync`: push from the camera's thread, close from another.
///
/// **Not a medical device:** results support a clinician's judgement; they are not a
/// diagnosis.
///
/// # Examples
/// ```
/// use std::sync::{mpsc, Arc};
/// use lesionscan::{Classifier, ClassifierOptions, Frame, LiveListener, LiveOptions, LiveResult,
///                  LiveSession, PixelFormat, Plane, Rotation};
///
/// struct ToChannel(mpsc::Sender<LiveResult>);
/// impl LiveListener for ToChannel {
///     fn on_result(&mut self, result: LiveResult) {
///         let _ = self.0.send(result);
///     }
/// }
///
/// let classifier = Arc::new(Classifier::from_files(
///     "tests/data/mobilenet_tiny_int8.tflite",
///     "tests/data/mobilenet_tiny_int8.json",
///     ClassifierOptions::default(),
/// )?);
/// let (sender, results) = mpsc::channel();
/// let session = LiveSession::new(classifier, LiveOptions::default(), ToChannel(sender))?;
///
/// // A frame of plain grey: nothing to judge, so it is counted and skipped.
/// let pixels = vec![128u8; 64 * 48 * 4];
/// let frame = Frame {
///     width: 64, height: 48, format: PixelFormat::Rgba8888,
///     planes: vec![Plane { bytes: &pixels, row_stride: 64 * 4, pixel_stride: 4 }],
///     rotation: Rotation::R0,
/// };
/// session.push_frame(&frame, 1_000)?;
/// let result = results.recv().expect("a result");
/// assert_eq!((result.frames_seen, result.frames_unusable), (1, 1));
/// assert!(!result.stable && result.smoothed.categories.is_empty());
/// assert_eq!(result.hint().map(|hint| hint.words()), Some("centre the mole"));
///
/// session.close();
/// assert!(matches!(session.push_frame(&frame, 1_033), Err(lesionscan::Error::Closed { .. })));
/// # Ok::<(), lesionscan::Error>(())
/// ```
pub struct LiveSession {
    classifier: Arc<Classifier>,
    image_options: ImageOptions,
    shared: Arc<Shared>,
    /// Taken (and joined) by the first `close`; held while joining, so that a second
    /// `close` returns only once the worker has ended.
    worker: Mutex<Option<JoinHandle<()>>>,
    worker_id: ThreadId,
}

impl std::fmt::Debug for LiveSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSession")
            .field("classifier", &self.classifier)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl LiveSession {
    /// Starts a session, and its worker thread, on a shared classifier.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for options out of range or a patient the model cannot
    /// take (an age over 120); [`Error::Io`] when the system refuses a thread.
    pub fn new(
        classifier: Arc<Classifier>,
        options: LiveOptions,
        listener: impl LiveListener + 'static,
    ) -> Result<Self> {
        options.validate()?;
        if let (Some(patient), Some(spec)) = (&options.patient, &classifier.card().metadata_input) {
            patient::encode(Some(patient), spec)?;
        }
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            shared: Arc::clone(&shared),
            classifier: Arc::clone(&classifier),
            patient: options.patient,
            tracker: Tracker::new(&options),
            listener: Box::new(listener),
            counts: Counts::default(),
            timings: Timings::default(),
        };
        let handle = std::thread::Builder::new()
            .name("lesionscan-live".into())
            .spawn(move || worker.run())?;
        Ok(Self {
            classifier,
            image_options: options.image,
            shared,
            worker_id: handle.thread().id(),
            worker: Mutex::new(Some(handle)),
        })
    }

    /// Hands a camera frame to the session and returns at once.
    ///
    /// The frame is converted to the model's input size and judged for quality here, on
    /// the caller's thread; its planes are not read after this returns. The model runs
    /// later on the worker thread, unless a newer frame arrives first.
    ///
    /// `timestamp_ms` is the frame's capture time in milliseconds on any monotonic clock
    /// (CameraX: `imageInfo.timestamp / 1_000_000`; AVFoundation: the sample buffer's
    /// presentation time); smoothing and stability are measured in it. Each frame's must
    /// be greater than the previous one's.
    ///
    /// # Errors
    /// [`Error::Closed`] after [`close`](Self::close); [`Error::InvalidArgument`] for a
    /// timestamp not after the previous frame's, or a bad region of interest;
    /// [`Error::InvalidFrame`] when the frame's planes, strides or sizes do not add up.
    /// A refused frame is not counted and leaves the session as it was.
    pub fn push_frame(&self, frame: &Frame<'_>, timestamp_ms: u64) -> Result<()> {
        // Fail fast, before the conversion, when the frame will be refused anyway.
        self.shared.inbox().check(timestamp_ms)?;
        let prepared = self.classifier.prepare_frame(frame, &self.image_options)?;
        self.shared.put(prepared, timestamp_ms)
    }

    /// Stops the session: no frame is accepted ([`Error::Closed`]) and no listener call
    /// starts after this; the frame waiting, if any, is discarded; then it waits for the
    /// worker thread to end (for at most the model run in progress and the listener call
    /// in progress). Closing again does nothing.
    ///
    /// Called from the listener itself (on the worker thread), it does not wait: the
    /// worker ends when that call returns.
    pub fn close(&self) {
        self.shared.close();
        if std::thread::current().id() == self.worker_id {
            return;
        }
        let mut worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(handle) = worker.take() {
            // The worker catches every panic, so joining cannot fail; if it ever did,
            // there would be nothing left to clean up.
            let _ = handle.join();
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.inbox().closed
    }
}

impl Drop for LiveSession {
    /// Closes the session: the worker thread never outlives it.
    fn drop(&mut self) {
        self.close();
    }
}

/// What the caller's side and the worker share: the one-frame inbox and its bell.
#[derive(Default)]
struct Shared {
    inbox: Mutex<Inbox>,
    bell: Condvar,
}

#[derive(Default)]
struct Inbox {
    waiting: Option<Job>,
    closed: bool,
    last_timestamp_ms: Option<u64>,
    last_usable_ms: Option<u64>,
    seen: u64,
    dropped: u64,
}

/// A frame waiting for the model, with what the worker needs to know about the frames
/// before it.
struct Job {
    prepared: PreparedInput,
    timestamp_ms: u64,
    /// Frames pushed so far, this one included.
    seen: u64,
    /// Frames dropped so far (all of them before this one).
    dropped: u64,
    /// The latest usable frame pushed before this one.
    last_usable_ms: Option<u64>,
}

impl Inbox {
    fn check(&self, timestamp_ms: u64) -> Result<()> {
        if self.closed {
            return Err(Error::closed("the live session is closed"));
        }
        match self.last_timestamp_ms {
            Some(last) if timestamp_ms <= last => Err(Error::argument(format!(
                "frame timestamps must increase: {timestamp_ms} ms is not after the previous frame's {last} ms"
            ))),
            _ => Ok(()),
        }
    }
}

impl Shared {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        // Nothing panics while holding the lock, and every field is valid on its own.
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn put(&self, prepared: PreparedInput, timestamp_ms: u64) -> Result<()> {
        let mut inbox = self.inbox();
        inbox.check(timestamp_ms)?;
        let last_usable_ms = inbox.last_usable_ms;
        if prepared.quality().usable {
            inbox.last_usable_ms = Some(timestamp_ms);
        }
        inbox.last_timestamp_ms = Some(timestamp_ms);
        inbox.seen += 1;
        if inbox.waiting.take().is_some() {
            inbox.dropped += 1;
        }
        inbox.waiting = Some(Job {
            prepared,
            timestamp_ms,
            seen: inbox.seen,
            dropped: inbox.dropped,
            last_usable_ms,
        });
        drop(inbox);
        self.bell.notify_one();
        Ok(())
    }

    /// The next frame, waiting for one; `None` once the session is closed.
    fn take(&self) -> Option<Job> {
        let mut inbox = self.inbox();
        loop {
            if inbox.closed {
                return None;
            }
            if let Some(job) = inbox.waiting.take() {
                return Some(job);
            }
            inbox = self
                .bell
                .wait(inbox)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn close(&self) {
        let mut inbox = self.inbox();
        inbox.closed = true;
        inbox.waiting = None;
        drop(inbox);
        self.bell.notify_all();
    }
}

/// How the frames the worker took have ended so far.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    classified: u64,
    unusable: u64,
    failed: u64,
}

/// What the worker tells the listener about one frame.
enum Message {
    Result(Box<LiveResult>),
    Error(Error, u64),
}

/// The worker thread's state: everything it touches, owned or shared.
struct Worker {
    shared: Arc<Shared>,
    classifier: Arc<Classifier>,
    patient: Option<PatientInfo>,
    tracker: Tracker,
    listener: Box<dyn LiveListener>,
    counts: Counts,
    /// The timings of the latest classified frame, reported with the average.
    timings: Timings,
}

impl Worker {
    fn run(mut self) {
        while let Some(job) = self.shared.take() {
            let timestamp_ms = job.timestamp_ms;
            let message = match catch_unwind(AssertUnwindSafe(|| self.step(&job))) {
                Ok(message) => message,
                Err(_) => {
                    self.counts.failed += 1;
                    Message::Error(
                        Error::engine("classifying the frame panicked"),
                        timestamp_ms,
                    )
                }
            };
            // No listener call starts once the session is closed.
            if self.shared.inbox().closed {
                return;
            }
            let listener = &mut self.listener;
            let called = catch_unwind(AssertUnwindSafe(|| match message {
                Message::Result(result) => listener.on_result(*result),
                Message::Error(error, at) => listener.on_error(error, at),
            }));
            if called.is_err() {
                log::error!("live session: the listener panicked; the session goes on");
            }
        }
    }

    /// Classifies one frame (unless it is unusable) and moves the timeline on.
    fn step(&mut self, job: &Job) -> Message {
        let quality = job.prepared.quality().clone();
        let verdict = if !quality.usable {
            self.counts.unusable += 1;
            self.tracker.unusable(job.timestamp_ms, job.last_usable_ms)
        } else {
            match self.classifier.infer(&job.prepared, self.patient.as_ref()) {
                Ok(inference) => {
                    let classifier = &self.classifier;
                    let verdict = self.tracker.classified(
                        job.timestamp_ms,
                        job.last_usable_ms,
                        &inference.probabilities,
                        |index| classifier.shows_class(index),
                    );
                    self.counts.classified += 1;
                    self.timings = inference.timings;
                    verdict
                }
                Err(error) => {
                    self.counts.failed += 1;
                    return Message::Error(error, job.timestamp_ms);
                }
            }
        };
        Message::Result(Box::new(self.result(job, verdict, quality)))
    }

    fn result(&self, job: &Job, verdict: Verdict, quality: QualityReport) -> LiveResult {
        let timings = self.timings;
        let smoothed = match verdict.average {
            Some(probabilities) => self.classifier.classification(
                &Inference {
                    probabilities,
                    timings,
                },
                quality.clone(),
            ),
            None => self.classifier.unclassified(quality.clone(), timings),
        };
        LiveResult {
            smoothed,
            quality,
            stable: verdict.stable,
            held_ms: verdict.held_ms,
            timestamp_ms: job.timestamp_ms,
            frames_seen: job.seen,
            frames_classified: self.counts.classified,
            frames_dropped: job.dropped,
            frames_unusable: self.counts.unusable,
            frames_failed: self.counts.failed,
        }
    }
}
