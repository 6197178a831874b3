//! Live camera mode: a stream of frames through a `LiveSession`, driven deterministically.
//!
//! The clock is the frames' own timestamps. The model is a scripted engine: each run
//! hands the test the input tensor it got and then waits for the test to say what the
//! model answers, so the test decides what the model "sees" and when it finishes, and can
//! push frames while the model is busy. The frames are real camera-like pictures (a mole
//! from the committed phone photo), so the quality gate judges them as it would on a phone.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use common::pictures::{blurred, phone_window, MOLE};
use lesionscan::engine::{
    Accelerator, DType, Engine, EngineOptions, Session, TensorData, TensorInfo,
};
use lesionscan::{
    Classifier, ClassifierOptions, Error, Frame, ImageOptions, LiveHint, LiveListener, LiveOptions,
    LiveResult, LiveSession, PatientInfo, PixelFormat, Plane, QualityIssue, Rotation,
};
use serde_json::Value;

/// Long enough for anything that should happen; a test that waits this long has failed.
const PATIENCE: Duration = Duration::from_secs(60);

// The card's classes: akiec bcc bkl df mel nv vasc.
const BKL: usize = 2;
const MEL: usize = 4;
const NV: usize = 5;

// ---------------------------------------------------------------------------------------
// The scripted model.

enum Reply {
    Probabilities(Vec<f32>),
    Fail(Error),
}

/// The test's end of the scripted model.
struct Model {
    replies: Sender<Reply>,
    inputs: Receiver<Vec<f32>>,
    runs: Arc<AtomicUsize>,
}

impl Model {
    /// Answers the next run (now, or whenever it comes).
    fn answer(&self, probabilities: Vec<f32>) {
        self.replies
            .send(Reply::Probabilities(probabilities))
            .expect("engine alive");
    }

    fn fail(&self, error: Error) {
        self.replies.send(Reply::Fail(error)).expect("engine alive");
    }

    /// Waits until the model is running, and returns the input tensor it got.
    fn running(&self) -> Vec<f32> {
        self.inputs.recv_timeout(PATIENCE).expect("the model runs")
    }

    /// Runs after the load-time warm-up.
    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

struct ScriptedEngine {
    replies: Mutex<Option<Receiver<Reply>>>,
    inputs: Sender<Vec<f32>>,
    runs: Arc<AtomicUsize>,
}

struct ScriptedSession {
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
    replies: Receiver<Reply>,
    seen: Sender<Vec<f32>>,
    runs: Arc<AtomicUsize>,
    warmed_up: bool,
}

impl Engine for ScriptedEngine {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn load(
        &self,
        _model: &[u8],
        _options: &EngineOptions,
    ) -> lesionscan::Result<Box<dyn Session>> {
        let info = |name: &str, shape: Vec<usize>| TensorInfo {
            name: name.into(),
            shape,
            dtype: DType::F32,
            quantization: None,
        };
        let replies = self
            .replies
            .lock()
            .expect("lock")
            .take()
            .expect("loaded once");
        Ok(Box::new(ScriptedSession {
            inputs: vec![info("image", vec![1, 224, 224, 3])],
            outputs: vec![info("probabilities", vec![1, 7])],
            replies,
            seen: self.inputs.clone(),
            runs: Arc::clone(&self.runs),
            warmed_up: false,
        }))
    }
}

impl Session for ScriptedSession {
    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }
    fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }
    fn accelerator(&self) -> Accelerator {
        Accelerator::Cpu
    }
    fn run(&mut self, inputs: &[TensorData]) -> lesionscan::Result<Vec<TensorData>> {
        if !self.warmed_up {
            // The classifier's load-time trial run.
            self.warmed_up = true;
            return Ok(vec![TensorData::F32(vec![1.0 / 7.0; 7])]);
        }
        self.runs.fetch_add(1, Ordering::SeqCst);
        let TensorData::F32(input) = &inputs[0] else {
            panic!("a float32 input")
        };
        // The test may have stopped listening; the model still answers.
        let _ = self.seen.send(input.clone());
        match self.replies.recv_timeout(PATIENCE) {
            Ok(Reply::Probabilities(p)) => Ok(vec![TensorData::F32(p)]),
            Ok(Reply::Fail(error)) => Err(error),
            Err(_) => Err(Error::Engine {
                reason: "the test never answered".into(),
            }),
        }
    }
}

/// A classifier on the scripted model: a 224x224 float input (mean 0, std 1, so the
/// tensor is the prepared picture itself), centre crop, 7 HAM10000 probabilities.
fn scripted(options: ClassifierOptions) -> (Arc<Classifier>, Model) {
    let text = std::fs::read_to_string("tests/data/mobilenet_tiny_int8.json").expect("card");
    let mut card: Value = serde_json::from_str(&text).expect("json");
    card["input"] = serde_json::json!({
        "width": 224, "height": 224, "dtype": "float32",
        "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0], "crop": "center"
    });
    card.as_object_mut().expect("object").remove("sha256");
    let (replies, replies_rx) = mpsc::channel();
    let (inputs_tx, inputs) = mpsc::channel();
    let runs = Arc::new(AtomicUsize::new(0));
    let engine = ScriptedEngine {
        replies: Mutex::new(Some(replies_rx)),
        inputs: inputs_tx,
        runs: Arc::clone(&runs),
    };
    let classifier = Classifier::with_engine(&engine, b"scripted", &card.to_string(), options)
        .expect("the scripted model loads");
    (
        Arc::new(classifier),
        Model {
            replies,
            inputs,
            runs,
        },
    )
}

/// Seven probabilities: `rest` spread evenly over the classes not named.
fn probs(named: &[(usize, f32)]) -> Vec<f32> {
    let mut p = vec![0.0f32; 7];
    for &(index, value) in named {
        p[index] = value;
    }
    p
}

// ---------------------------------------------------------------------------------------
// The listener.

#[derive(Debug)]
enum Event {
    Result(Box<LiveResult>),
    Error(Error, u64),
}

/// Sends what the session says to the test, and can misbehave on request.
#[derive(Default)]
struct Recorder {
    events: Option<Sender<Event>>,
    /// Timestamps whose result makes the listener panic (after it was recorded).
    panic_at: HashSet<u64>,
    /// The session to close from inside the listener, on the first result.
    close_from_inside: Option<Arc<OnceLock<Weak<LiveSession>>>>,
    /// Told, when the listener is dropped, the path of the thread that dropped it and
    /// the thread it was called on (Linux: `/proc/<pid>/task/<tid>`).
    dropped: Option<Sender<(Option<String>, Option<String>)>>,
    called_on: Option<String>,
}

fn this_thread_path() -> Option<String> {
    // A link to `<pid>/task/<tid>`, relative to /proc.
    std::fs::read_link("/proc/thread-self")
        .ok()
        .map(|p| format!("/proc/{}", p.display()))
}

impl LiveListener for Recorder {
    fn on_result(&mut self, result: LiveResult) {
        self.called_on = this_thread_path();
        let at = result.timestamp_ms;
        if let Some(events) = &self.events {
            let _ = events.send(Event::Result(Box::new(result)));
        }
        if let Some(session) = self.close_from_inside.as_ref().and_then(|s| s.get()) {
            if let Some(session) = session.upgrade() {
                session.close();
            }
        }
        if self.panic_at.contains(&at) {
            panic!("a listener that panics at {at} ms");
        }
    }

    fn on_error(&mut self, error: Error, timestamp_ms: u64) {
        if let Some(events) = &self.events {
            let _ = events.send(Event::Error(error, timestamp_ms));
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(dropped) = &self.dropped {
            let _ = dropped.send((this_thread_path(), self.called_on.clone()));
        }
    }
}

fn recorder() -> (Recorder, Receiver<Event>) {
    let (events, received) = mpsc::channel();
    let mut recorder = Recorder::default();
    recorder.events = Some(events);
    (recorder, received)
}

fn next_result(events: &Receiver<Event>) -> LiveResult {
    match events.recv_timeout(PATIENCE).expect("the session answers") {
        Event::Result(result) => *result,
        Event::Error(error, at) => panic!("expected a result, got {error:?} at {at} ms"),
    }
}

fn nothing_more(events: &Receiver<Event>) {
    match events.recv_timeout(Duration::from_millis(200)) {
        Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
        Ok(event) => panic!("unexpected {event:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Frames.

/// A clean close-up of a mole, 240 pixels a side, moved `dx` pixels to the right (as a
/// hand-held camera drifts): usable.
fn mole(dx: u32) -> &'static image::RgbImage {
    static MOLES: OnceLock<Mutex<Vec<(u32, &'static image::RgbImage)>>> = OnceLock::new();
    let cache = MOLES.get_or_init(|| Mutex::new(Vec::new()));
    let mut cache = cache.lock().expect("lock");
    if let Some((_, img)) = cache.iter().find(|(d, _)| *d == dx) {
        return img;
    }
    let img: &'static image::RgbImage = Box::leak(Box::new(phone_window(MOLE.0 + dx, MOLE.1, 240)));
    cache.push((dx, img));
    img
}

/// The same mole out of focus: unusable (blurry).
fn blurry() -> &'static image::RgbImage {
    static BLURRY: OnceLock<image::RgbImage> = OnceLock::new();
    BLURRY.get_or_init(|| blurred(mole(0), 0.008))
}

fn rgba(img: &image::RgbImage) -> Vec<u8> {
    img.pixels()
        .flat_map(|p| [p.0[0], p.0[1], p.0[2], 255])
        .collect()
}

fn frame_of(bytes: &[u8], width: u32, height: u32) -> Frame<'_> {
    Frame {
        width,
        height,
        format: PixelFormat::Rgba8888,
        planes: vec![Plane {
            bytes,
            row_stride: width as usize * 4,
            pixel_stride: 4,
        }],
        rotation: Rotation::R0,
    }
}

fn push(session: &LiveSession, img: &image::RgbImage, at: u64) -> lesionscan::Result<()> {
    let bytes = rgba(img);
    session.push_frame(&frame_of(&bytes, img.width(), img.height()), at)
}

fn options(half_life_ms: u32, stable_after_ms: u32, grace_ms: u32, margin: f32) -> LiveOptions {
    LiveOptions {
        half_life_ms,
        stable_after_ms,
        quality_grace_ms: grace_ms,
        switch_margin: margin,
        ..LiveOptions::default()
    }
}

/// Pushes a usable frame whose model answer is `p` and waits for its result.
fn classified(
    session: &LiveSession,
    model: &Model,
    events: &Receiver<Event>,
    p: &[f32],
    at: u64,
) -> LiveResult {
    model.answer(p.to_vec());
    push(session, mole(0), at).expect("pushed");
    let result = next_result(events);
    assert_eq!(result.timestamp_ms, at);
    result
}

/// The smoothed probability of each class (NaN for classes not in the result).
fn smoothed(result: &LiveResult) -> Vec<f32> {
    let mut p = vec![f32::NAN; 7];
    for c in &result.smoothed.categories {
        p[c.index as usize] = c.probability;
    }
    p
}

fn assert_close(actual: f32, expected: f64, what: &str) {
    assert!(
        (f64::from(actual) - expected).abs() < 1e-5,
        "{what}: {actual} != {expected}"
    );
}

fn assert_counts_add_up(r: &LiveResult) {
    assert_eq!(
        r.frames_seen,
        r.frames_classified + r.frames_unusable + r.frames_failed + r.frames_dropped,
        "{r:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The tests.

#[test]
fn pictures_used_here_are_judged_as_intended() {
    let (classifier, _model) = scripted(ClassifierOptions::default());
    let judge = |img: &image::RgbImage| {
        let bytes = rgba(img);
        let frame = frame_of(&bytes, img.width(), img.height());
        classifier
            .prepare_frame(&frame, &ImageOptions::default())
            .expect("prepares")
            .quality()
            .clone()
    };
    for dx in 0..=10 {
        assert!(judge(mole(dx)).usable, "mole moved {dx} px");
    }
    assert_eq!(judge(blurry()).issues, [QualityIssue::Blurry]);
}

#[test]
fn an_unchanging_scene_gives_the_models_own_answer_through_the_real_model() {
    let classifier = Arc::new(
        Classifier::from_files(
            "tests/data/mobilenet_tiny_int8.tflite",
            "tests/data/mobilenet_tiny_int8.json",
            ClassifierOptions::default()
                .with_accelerator(Accelerator::Cpu)
                .with_threads(1)
                .with_max_results(3),
        )
        .expect("fixture loads"),
    );
    // The mole as an NV21 camera frame.
    let img = mole(0);
    let (luma, vu) = common::nv21_from_rgb(img);
    let frame = Frame {
        width: img.width(),
        height: img.height(),
        format: PixelFormat::Nv21,
        planes: vec![
            Plane {
                bytes: &luma,
                row_stride: img.width() as usize,
                pixel_stride: 1,
            },
            Plane {
                bytes: &vu,
                row_stride: img.width() as usize,
                pixel_stride: 2,
            },
        ],
        rotation: Rotation::R0,
    };
    let expected = classifier
        .classify_frame(&frame, &ImageOptions::default(), None)
        .expect("classifies");
    assert!(expected.quality.usable, "{:?}", expected.quality);

    let (listener, events) = recorder();
    let session = LiveSession::new(
        Arc::clone(&classifier),
        options(300, 100, 500, 0.05),
        listener,
    )
    .expect("starts");
    for (n, at) in [1_000u64, 1_050, 1_100, 1_150].into_iter().enumerate() {
        session.push_frame(&frame, at).expect("pushed");
        let result = next_result(&events);
        // The average of identical answers is that answer, bit for bit.
        assert_eq!(result.smoothed.categories, expected.categories, "frame {n}");
        assert_eq!(
            result.smoothed.malignant_probability,
            expected.malignant_probability
        );
        assert_eq!(result.quality, expected.quality);
        assert_eq!(result.smoothed.quality, expected.quality);
        assert_eq!(result.smoothed.model_id, "mobilenet_tiny_int8");
        assert_eq!(result.smoothed.accelerator, Accelerator::Cpu);
        assert!(result.smoothed.timings.inference_us > 0);
        assert_eq!(result.held_ms, at - 1_000);
        assert_eq!(result.stable, at - 1_000 >= 100, "frame {n}");
        assert_eq!(
            result.hint(),
            if result.stable {
                None
            } else {
                Some(LiveHint::HoldSteady)
            }
        );
        assert_eq!(
            (result.frames_seen, result.frames_classified),
            (n as u64 + 1, n as u64 + 1)
        );
    }
    session.close();
}

#[test]
fn the_average_is_weighted_by_time_not_by_frame_count() {
    let first = probs(&[(NV, 1.0)]);
    let second = probs(&[(MEL, 1.0)]);
    // (timestamps of the frames answering `second`, expected weight left on `first`)
    let cases: [(&[u64], f64); 4] = [
        // One half-life later: half way.
        (&[100], 0.5),
        // The same span in two frames gives the same average: time, not count.
        (&[50, 100], 0.5),
        // Ten frames within 10 ms barely move it: 0.5^(10/100).
        (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.933_032_991_5),
        // Three half-lives: an eighth is left.
        (&[300], 0.125),
    ];
    for (times, left) in cases {
        let (classifier, model) = scripted(ClassifierOptions::default());
        let (listener, events) = recorder();
        let session =
            LiveSession::new(classifier, options(100, 0, 10_000, 0.0), listener).expect("starts");
        classified(&session, &model, &events, &first, 0);
        let mut last = None;
        for &at in times {
            last = Some(classified(&session, &model, &events, &second, at));
        }
        let p = smoothed(&last.expect("a result"));
        assert_close(p[NV], left, &format!("nv after {times:?}"));
        assert_close(p[MEL], 1.0 - left, &format!("mel after {times:?}"));
    }
}

#[test]
fn smoothing_off_reports_each_frame_as_it_is() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (listener, events) = recorder();
    let session =
        LiveSession::new(classifier, options(0, 0, 10_000, 0.0), listener).expect("starts");
    classified(&session, &model, &events, &probs(&[(NV, 1.0)]), 0);
    let r = classified(
        &session,
        &model,
        &events,
        &probs(&[(MEL, 0.75), (BKL, 0.25)]),
        1,
    );
    assert_eq!(smoothed(&r)[MEL], 0.75);
    assert_eq!(smoothed(&r)[NV], 0.0);
}

#[test]
fn a_lesion_that_changes_halfway_resets_stable_until_the_new_class_has_held() {
    // Frames every 80 ms; half-life 200 ms; stable after 400 ms; margin 0.1.
    let (classifier, model) = scripted(ClassifierOptions::default().with_max_results(3));
    let (listener, events) = recorder();
    let session =
        LiveSession::new(classifier, options(200, 400, 1_000, 0.1), listener).expect("starts");
    let before = probs(&[(NV, 0.8), (MEL, 0.1), (BKL, 0.1)]);
    let after = probs(&[(MEL, 0.8), (NV, 0.1), (BKL, 0.1)]);
    let results: Vec<LiveResult> = (0..20u64)
        .map(|n| {
            let p = if n < 10 { &before } else { &after };
            classified(&session, &model, &events, p, n * 80)
        })
        .collect();

    // Worked by hand: k frames into the new lesion, the weight left on the old answer is
    // r = 0.5^(80 k / 200), so mel = 0.1 + 0.7 (1 - r) and nv = 0.8 - 0.7 (1 - r);
    // mel - nv = 0.7 - 1.4 r is -0.36, -0.10, +0.091, +0.238 for k = 1..4. Mel leads
    // by more than 0.1 from k = 4 (frame 13, 1040 ms), and has held 400 ms at frame 18.
    let stable: Vec<bool> = results.iter().map(|r| r.stable).collect();
    let expected: Vec<bool> = (0..20).map(|n| (5..=12).contains(&n) || n >= 18).collect();
    assert_eq!(stable, expected);
    let held: Vec<u64> = results.iter().map(|r| r.held_ms).collect();
    let expected_held: Vec<u64> = (0..20u64)
        .map(|n| if n < 13 { n * 80 } else { (n - 13) * 80 })
        .collect();
    assert_eq!(held, expected_held);

    for (n, r) in results.iter().enumerate() {
        let k = n as f64 - 9.0;
        let left = if n < 10 {
            1.0
        } else {
            0.5f64.powf(80.0 * k / 200.0)
        };
        let p = smoothed(r);
        assert_close(
            p[MEL],
            0.1 + 0.7 * (1.0 - left),
            &format!("mel at frame {n}"),
        );
        assert_close(p[NV], 0.8 - 0.7 * (1.0 - left), &format!("nv at frame {n}"));
        assert_close(p[BKL], 0.1, &format!("bkl at frame {n}"));
        assert_eq!(r.smoothed.categories.len(), 3);
        assert_counts_add_up(r);
    }
    // Frame 12: mel is on top by 0.09, within the margin, so nv still leads and the
    // answer stays stable; the categories show the true order.
    assert_eq!(results[12].smoothed.categories[0].code, "mel");
    assert!(results[12].stable);
    assert_eq!(results[19].smoothed.categories[0].code, "mel");
    assert_eq!(results[19].frames_classified, 20);
    assert_eq!(model.runs(), 20);
}

#[test]
fn a_burst_of_blurred_frames_is_skipped_and_forgiven_within_the_grace_period() {
    // Frames every 50 ms; stable after 200 ms; 300 ms without a usable frame is forgiven.
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (listener, events) = recorder();
    let session =
        LiveSession::new(classifier, options(100, 200, 300, 0.05), listener).expect("starts");
    let nv = probs(&[(NV, 0.9), (BKL, 0.1)]);
    for at in (0..=250).step_by(50) {
        classified(&session, &model, &events, &nv, at);
    }
    let blur = |at: u64| {
        push(&session, blurry(), at).expect("pushed");
        next_result(&events)
    };

    // A short burst (300..500 ms): skipped, counted, the answer kept.
    for (n, at) in (300..=500).step_by(50).enumerate() {
        let r = blur(at);
        assert!(r.stable, "at {at} ms");
        assert_eq!(r.held_ms, 250, "held time does not grow on unusable frames");
        assert_eq!(smoothed(&r)[NV], 0.9);
        assert_eq!(r.quality.issues, [QualityIssue::Blurry]);
        assert_eq!(r.smoothed.quality, r.quality);
        assert_eq!(r.hint(), Some(LiveHint::HoldSteady));
        assert_eq!(r.frames_unusable, n as u64 + 1);
        assert_counts_add_up(&r);
    }
    assert_eq!(model.runs(), 6, "the model never ran on a blurred frame");
    // Back in focus 300 ms after the last usable frame: nothing was lost.
    let r = classified(&session, &model, &events, &nv, 550);
    assert!(r.stable && r.held_ms == 550, "{r:?}");
    assert_eq!(r.hint(), None);

    // A long burst: at 900 ms, 350 ms have passed without a usable frame.
    for at in (600..=850).step_by(50) {
        assert!(blur(at).stable, "at {at} ms");
    }
    let r = blur(900);
    assert!(!r.stable && r.held_ms == 0);
    assert!(
        r.smoothed.categories.is_empty(),
        "the old answer is forgotten"
    );
    assert_eq!(r.smoothed.malignant_probability, 0.0);
    assert_eq!(r.frames_unusable, 5 + 7);

    // Another lesion: its answer starts afresh, not blended with the old one.
    let bkl = probs(&[(BKL, 0.7), (NV, 0.3)]);
    let r = classified(&session, &model, &events, &bkl, 950);
    assert_eq!(smoothed(&r)[BKL], 0.7);
    assert!(!r.stable);
    assert_eq!(r.hint(), Some(LiveHint::HoldSteady));
    let r = classified(&session, &model, &events, &bkl, 1_150);
    assert!(r.stable);
    assert_eq!(
        (r.frames_seen, r.frames_classified, r.frames_unusable),
        (21, 9, 12)
    );
}

#[test]
fn frames_ten_times_faster_than_the_model_are_dropped_and_the_newest_wins() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (listener, events) = recorder();
    let session = LiveSession::new(
        Arc::clone(&classifier),
        options(100, 0, 10_000, 0.05),
        listener,
    )
    .expect("starts");
    // What the model should see for frame `n`: the mole moved `n % 11` pixels.
    let expected_input = |n: u64| {
        let img = mole((n % 11) as u32);
        let bytes = rgba(img);
        classifier
            .prepare_frame(&frame_of(&bytes, 240, 240), &ImageOptions::default())
            .expect("prepares")
            .image()
            .rgb
            .clone()
    };
    let mut n = 0u64;
    let mut push_next = || {
        let img = mole((n % 11) as u32);
        push(&session, img, 1_000 + 10 * n).expect("push returns at once");
        n += 1;
        n - 1
    };

    // Frame 0 goes straight to the model, which holds on to it.
    let first = push_next();
    assert_eq!(model.running(), expected_input(first));
    for cycle in 0..3u64 {
        // Ten frames while the model is busy: each replaces the one waiting.
        let mut newest = 0;
        for _ in 0..10 {
            newest = push_next();
        }
        model.answer(probs(&[(NV, 1.0)]));
        let r = next_result(&events);
        assert_eq!(
            r.frames_seen,
            1 + 10 * cycle,
            "the result of the frame the model had"
        );
        assert_eq!(r.frames_dropped, 9 * cycle);
        assert_eq!(r.frames_classified, 1 + cycle);
        assert_counts_add_up(&r);
        // The model's next frame is exactly the newest one.
        assert_eq!(model.running(), expected_input(newest), "cycle {cycle}");
    }
    model.answer(probs(&[(NV, 1.0)]));
    let r = next_result(&events);
    assert_eq!(
        (r.frames_seen, r.frames_dropped, r.frames_classified),
        (31, 27, 4)
    );
    assert_eq!(r.timestamp_ms, 1_000 + 10 * 30);
    assert_counts_add_up(&r);
    nothing_more(&events);
    assert_eq!(model.runs(), 4);
}

#[test]
fn closing_while_the_model_runs_waits_for_it_and_calls_no_listener_after() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (listener, events) = recorder();
    let session = Arc::new(
        LiveSession::new(classifier, options(100, 0, 10_000, 0.05), listener).expect("starts"),
    );
    push(&session, mole(0), 0).expect("pushed");
    model.running();
    push(&session, mole(1), 10).expect("a frame waits");

    let (closed_tx, closed) = mpsc::channel();
    let closer = {
        let session = Arc::clone(&session);
        std::thread::spawn(move || {
            session.close();
            closed_tx.send(()).expect("test alive");
        })
    };
    // close() has begun (frames are refused) but waits for the model.
    while !session.is_closed() {
        std::thread::yield_now();
    }
    assert!(matches!(
        push(&session, mole(2), 20),
        Err(Error::Closed { .. })
    ));
    assert_eq!(
        closed.recv_timeout(Duration::from_millis(300)),
        Err(RecvTimeoutError::Timeout),
        "close returned while the model was still running"
    );
    model.answer(probs(&[(NV, 1.0)]));
    closed
        .recv_timeout(PATIENCE)
        .expect("close returns once the model is done");
    closer.join().expect("closer");
    // Neither the frame in the model nor the one waiting reached the listener.
    nothing_more(&events);
    assert_eq!(model.runs(), 1);
}

#[test]
fn after_close_frames_are_refused_with_closed_and_closing_again_is_harmless() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (listener, events) = recorder();
    let session = LiveSession::new(classifier, LiveOptions::default(), listener).expect("starts");
    classified(&session, &model, &events, &probs(&[(NV, 1.0)]), 0);
    session.close();
    assert!(session.is_closed());
    let error = push(&session, mole(0), 100).expect_err("refused");
    assert!(
        matches!(&error, Error::Closed { reason } if reason.contains("closed")),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "closed: the live session is closed");
    session.close();
    drop(session);
    nothing_more(&events);
}

#[test]
fn dropping_a_session_without_close_ends_its_worker_thread() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (mut listener, events) = recorder();
    let (dropped_tx, dropped) = mpsc::channel();
    listener.dropped = Some(dropped_tx);
    let session = LiveSession::new(classifier, LiveOptions::default(), listener).expect("starts");
    classified(&session, &model, &events, &probs(&[(NV, 1.0)]), 0);
    drop(session);
    // The listener went down with the worker, before drop returned.
    let (dropped_on, called_on) = dropped.try_recv().expect("the listener was dropped");
    assert_eq!(dropped_on, called_on, "dropped by the worker thread itself");
    if let Some(worker) = called_on {
        // Linux: the worker thread leaves the process. (The kernel may take a moment to
        // remove a thread that has been joined; one that still ran never would.)
        let gone = (0..500).any(|_| {
            let gone = !std::path::Path::new(&worker).exists();
            if !gone {
                std::thread::sleep(Duration::from_millis(10));
            }
            gone
        });
        assert!(gone, "{worker} still exists");
    }
}

#[test]
fn a_panicking_listener_does_not_stop_the_session() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (mut listener, events) = recorder();
    listener.panic_at = [0u64, 100].into_iter().collect();
    let session =
        LiveSession::new(classifier, options(100, 0, 10_000, 0.05), listener).expect("starts");
    for at in [0, 100, 200] {
        let r = classified(&session, &model, &events, &probs(&[(NV, 1.0)]), at);
        assert_eq!(r.frames_classified, at / 100 + 1);
    }
    session.close();
}

#[test]
fn a_failed_classification_goes_to_on_error_and_the_session_goes_on() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (listener, events) = recorder();
    let session =
        LiveSession::new(classifier, options(100, 0, 10_000, 0.05), listener).expect("starts");
    classified(&session, &model, &events, &probs(&[(NV, 1.0)]), 0);
    model.fail(Error::Engine {
        reason: "the GPU went away".into(),
    });
    push(&session, mole(0), 50).expect("pushed");
    match events.recv_timeout(PATIENCE).expect("an event") {
        Event::Error(Error::Engine { reason }, 50) => assert_eq!(reason, "the GPU went away"),
        other => panic!("expected the engine error at 50 ms, got {other:?}"),
    }
    // A model that answers something other than 7 probabilities is an error too.
    model.answer(vec![0.5; 3]);
    push(&session, mole(0), 75).expect("pushed");
    match events.recv_timeout(PATIENCE).expect("an event") {
        Event::Error(Error::Engine { reason }, 75) => {
            assert_eq!(
                reason,
                "the model returned 3 scores; its card names 7 classes"
            )
        }
        other => panic!("expected an engine error at 75 ms, got {other:?}"),
    }
    let r = classified(&session, &model, &events, &probs(&[(MEL, 1.0)]), 100);
    assert_eq!((r.frames_classified, r.frames_failed), (2, 2));
    assert_counts_add_up(&r);
    assert_close(
        smoothed(&r)[MEL],
        0.5,
        "the failed frames did not move the average",
    );
}

#[test]
fn timestamps_that_do_not_increase_are_refused_and_change_nothing() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (listener, events) = recorder();
    let session = LiveSession::new(classifier, LiveOptions::default(), listener).expect("starts");
    classified(&session, &model, &events, &probs(&[(NV, 1.0)]), 100);
    for at in [100, 99, 0] {
        let error = push(&session, mole(0), at).expect_err("refused");
        assert!(
            matches!(&error, Error::InvalidArgument { reason } if reason.contains("must increase")),
            "{at}: {error:?}"
        );
    }
    let r = classified(&session, &model, &events, &probs(&[(NV, 1.0)]), 101);
    assert_eq!(r.frames_seen, 2, "refused frames are not counted");
    nothing_more(&events);
}

#[test]
fn bad_frames_and_bad_options_are_typed_errors() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    for margin in [f32::NAN, -0.01, 1.5] {
        let error = LiveSession::new(
            Arc::clone(&classifier),
            options(100, 0, 100, margin),
            Recorder::default(),
        )
        .expect_err("refused");
        assert!(matches!(error, Error::InvalidArgument { .. }), "{margin}");
    }
    let (listener, events) = recorder();
    let session = LiveSession::new(classifier, LiveOptions::default(), listener).expect("starts");
    let bytes = rgba(mole(0));
    let short = frame_of(&bytes[..bytes.len() - 1], 240, 240);
    assert!(matches!(
        session.push_frame(&short, 0),
        Err(Error::InvalidFrame { .. })
    ));
    let r = classified(&session, &model, &events, &probs(&[(NV, 1.0)]), 0);
    assert_eq!(
        r.frames_seen, 1,
        "a refused frame is not counted, nor its timestamp"
    );

    // A patient the model cannot take is refused when the session starts.
    let two_input = Arc::new(
        Classifier::from_files(
            "tests/data/two_input_float.tflite",
            "tests/data/two_input_float.json",
            ClassifierOptions::default(),
        )
        .expect("fixture loads"),
    );
    let too_old = LiveOptions {
        patient: Some(PatientInfo {
            age: Some(121),
            ..PatientInfo::default()
        }),
        ..LiveOptions::default()
    };
    assert!(matches!(
        LiveSession::new(two_input, too_old, Recorder::default()),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn closing_from_inside_the_listener_does_not_deadlock() {
    let (classifier, model) = scripted(ClassifierOptions::default());
    let (mut listener, events) = recorder();
    let cell = Arc::new(OnceLock::new());
    listener.close_from_inside = Some(Arc::clone(&cell));
    let session =
        Arc::new(LiveSession::new(classifier, LiveOptions::default(), listener).expect("starts"));
    cell.set(Arc::downgrade(&session)).expect("set once");
    classified(&session, &model, &events, &probs(&[(NV, 1.0)]), 0);
    while !session.is_closed() {
        std::thread::yield_now();
    }
    assert!(matches!(
        push(&session, mole(0), 10),
        Err(Error::Closed { .. })
    ));
    session.close(); // joins the worker, which has ended or is ending
    drop(session);
}

#[test]
fn a_class_the_options_hide_never_leads() {
    let (classifier, model) = scripted(ClassifierOptions::default().with_deny(["nv"]));
    let (listener, events) = recorder();
    let session =
        LiveSession::new(classifier, options(100, 0, 1_000, 0.05), listener).expect("starts");
    let r = classified(
        &session,
        &model,
        &events,
        &probs(&[(NV, 0.8), (MEL, 0.2)]),
        0,
    );
    assert_eq!(r.smoothed.categories[0].code, "mel");
    assert!(r.smoothed.categories.iter().all(|c| c.code != "nv"));
    // Malignancy is over every class, shown or not.
    assert_close(r.smoothed.malignant_probability, 0.2, "malignant");
    assert!(r.stable);
}

#[test]
fn live_hints_are_the_few_words_a_person_holding_a_phone_can_read() {
    let words = |issue: QualityIssue| LiveHint::from(issue).words();
    assert_eq!(words(QualityIssue::Blurry), "hold steady");
    assert_eq!(words(QualityIssue::TooDark), "more light");
    assert_eq!(words(QualityIssue::TooBright), "less light");
    assert_eq!(words(QualityIssue::Glare), "tilt to avoid glare");
    assert_eq!(words(QualityIssue::TooSmall), "move closer");
    assert_eq!(words(QualityIssue::NoLesion), "centre the mole");
    assert_eq!(words(QualityIssue::OffCentre), "centre the mole");
    assert_eq!(LiveHint::HoldSteady.words(), "hold steady");
}
