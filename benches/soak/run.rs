//! The soak run: many threads classify through one shared `Classifier`, mixing good
//! pictures and camera frames with corrupt pictures and frames whose strides lie, while
//! the process's resident memory is sampled.
//!
//! Shared by `cargo bench --bench soak` (the full run, `benches/soak/main.rs`) and the
//! short run in `cargo test` (`tests/soak.rs`), which include this file.
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lesionscan::{
    Classification, Classifier, ClassifierOptions, Error, Frame, ImageOptions, PixelFormat, Plane,
    Rotation,
};

/// How big a soak run is and what it tolerates.
#[derive(Debug, Clone, Copy)]
pub struct SoakConfig {
    /// Threads sharing the classifier.
    pub threads: usize,
    /// Classifications per thread.
    pub per_thread: usize,
    /// The share of all classifications after which memory must stop growing.
    pub warm_up_fraction: f64,
    /// How much resident memory may still grow after the warm-up, in KiB.
    pub max_growth_kib: u64,
}

/// What a soak run saw.
#[derive(Debug)]
pub struct SoakReport {
    /// Classifications done, and how many of them were good inputs with a result.
    pub total: usize,
    pub good: usize,
    /// Bad inputs refused with the expected error.
    pub refused: usize,
    /// Problems: a good result that differs from the single-threaded one, a bad input that
    /// was accepted or refused with the wrong error.
    pub problems: Vec<String>,
    /// Resident memory (KiB) after each `total / points` classifications.
    pub rss_series: Vec<(usize, u64)>,
    /// Resident memory at the end of the warm-up and the most after it.
    pub rss_after_warm_up: u64,
    pub rss_peak_after: u64,
    pub elapsed: Duration,
}

impl SoakReport {
    /// Growth after the warm-up, in KiB.
    pub fn growth_kib(&self) -> u64 {
        self.rss_peak_after.saturating_sub(self.rss_after_warm_up)
    }

    /// The report as text: counts, time, and the memory series.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} classifications in {:.1} s: {} good results identical to the single-threaded ones, {} bad inputs refused, {} problems\n",
            self.total,
            self.elapsed.as_secs_f64(),
            self.good,
            self.refused,
            self.problems.len()
        );
        text.push_str("resident memory (classifications done: MiB):\n");
        for (done, kib) in &self.rss_series {
            text.push_str(&format!("  {done:>6}: {:7.1}\n", *kib as f64 / 1024.0));
        }
        text.push_str(&format!(
            "after warm-up {:.1} MiB, highest after {:.1} MiB: growth {} KiB\n",
            self.rss_after_warm_up as f64 / 1024.0,
            self.rss_peak_after as f64 / 1024.0,
            self.growth_kib()
        ));
        text
    }
}

/// Resident memory of this process in KiB (`VmRSS` in /proc/self/status), `None` where
/// there is no /proc.
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What an input should give.
enum Expect {
    /// A result identical to the single-threaded one (index into the baselines).
    Same(usize),
    /// A refusal of this kind.
    Refused(fn(&Error) -> bool),
}

enum Input {
    Picture(Vec<u8>),
    Frame {
        format: PixelFormat,
        width: u32,
        height: u32,
        planes: Vec<(Vec<u8>, usize, usize)>,
    },
}

struct Case {
    name: &'static str,
    input: Input,
    expect: Expect,
}

fn classify(classifier: &Classifier, input: &Input) -> lesionscan::Result<Classification> {
    match input {
        Input::Picture(bytes) => classifier.classify_image(bytes, &ImageOptions::default(), None),
        Input::Frame {
            format,
            width,
            height,
            planes,
        } => {
            let frame = Frame {
                width: *width,
                height: *height,
                format: *format,
                planes: planes
                    .iter()
                    .map(|(bytes, row_stride, pixel_stride)| Plane {
                        bytes,
                        row_stride: *row_stride,
                        pixel_stride: *pixel_stride,
                    })
                    .collect(),
                rotation: Rotation::R90,
            };
            classifier.classify_frame(&frame, &ImageOptions::default(), None)
        }
    }
}

/// A classification's fingerprint, or its error as text.
type Outcome = Result<Vec<(String, u32)>, String>;

/// A result reduced to what must be identical: codes and exact probability bits.
fn fingerprint(result: &Classification) -> Vec<(String, u32)> {
    let mut print: Vec<(String, u32)> = result
        .categories
        .iter()
        .map(|c| (c.code.clone(), c.probability.to_bits()))
        .collect();
    print.push(("malignant".into(), result.malignant_probability.to_bits()));
    print
}

/// An NV21 frame (Y plane, VU plane) of a smooth colour pattern.
fn nv21(width: usize, height: usize, row_padding: usize) -> Vec<(Vec<u8>, usize, usize)> {
    let stride = width + row_padding;
    let mut y = vec![0u8; stride * height];
    for r in 0..height {
        for c in 0..width {
            y[r * stride + c] = (40 + (r * 3 + c * 2) % 180) as u8;
        }
    }
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let mut vu = vec![0u8; stride * ch];
    for r in 0..ch {
        for c in 0..cw {
            vu[r * stride + 2 * c] = (150 + (r % 40)) as u8;
            vu[r * stride + 2 * c + 1] = (110 + (c % 30)) as u8;
        }
    }
    vec![(y, stride, 1), (vu, stride, 2)]
}

fn cases(repo: &Path) -> Vec<Case> {
    let read =
        |name: &str| std::fs::read(repo.join("tests/data").join(name)).expect("test picture");
    let photo = read("jpeg/crop_baseline_420.jpg");
    let is_image = |e: &Error| matches!(e, Error::InvalidImage { .. });
    let is_frame = |e: &Error| matches!(e, Error::InvalidFrame { .. });
    let mut garbage = vec![0u8; 4096];
    for (i, b) in garbage.iter_mut().enumerate() {
        *b = (i * 131 % 251) as u8;
    }
    let mut damaged_middle = photo.clone();
    let middle = damaged_middle.len() / 2;
    damaged_middle[middle..middle + 400].fill(0xff);
    let good_frame = nv21(96, 72, 32);
    let (y, _, _) = good_frame[0].clone();
    let (vu, _, _) = good_frame[1].clone();
    vec![
        Case {
            name: "JPEG 4:2:0",
            input: Input::Picture(photo.clone()),
            expect: Expect::Same(0),
        },
        Case {
            name: "progressive JPEG",
            input: Input::Picture(read("jpeg/odd_333x251_progressive_420.jpg")),
            expect: Expect::Same(1),
        },
        Case {
            name: "NV21 frame with padded rows",
            input: Input::Frame {
                format: PixelFormat::Nv21,
                width: 96,
                height: 72,
                planes: good_frame.clone(),
            },
            expect: Expect::Same(2),
        },
        Case {
            name: "JPEG 4:4:4",
            input: Input::Picture(read("jpeg/crop_baseline_444.jpg")),
            expect: Expect::Same(3),
        },
        Case {
            name: "truncated JPEG",
            input: Input::Picture(photo[..photo.len() / 3].to_vec()),
            expect: Expect::Refused(is_image),
        },
        Case {
            name: "garbage bytes",
            input: Input::Picture(garbage),
            expect: Expect::Refused(is_image),
        },
        Case {
            name: "empty picture",
            input: Input::Picture(Vec::new()),
            expect: Expect::Refused(is_image),
        },
        Case {
            name: "JPEG header only",
            input: Input::Picture(photo[..200].to_vec()),
            expect: Expect::Refused(is_image),
        },
        // Frames whose description does not fit their bytes.
        Case {
            name: "row stride past the Y plane",
            input: Input::Frame {
                format: PixelFormat::Nv21,
                width: 96,
                height: 72,
                planes: vec![(y.clone(), 4096, 1), (vu.clone(), 128, 2)],
            },
            expect: Expect::Refused(is_frame),
        },
        Case {
            name: "chroma plane too short",
            input: Input::Frame {
                format: PixelFormat::Nv21,
                width: 96,
                height: 72,
                planes: vec![(y.clone(), 128, 1), (vu[..100].to_vec(), 128, 2)],
            },
            expect: Expect::Refused(is_frame),
        },
        Case {
            name: "I420 with two planes",
            input: Input::Frame {
                format: PixelFormat::I420,
                width: 96,
                height: 72,
                planes: vec![(y.clone(), 128, 1), (vu.clone(), 128, 2)],
            },
            expect: Expect::Refused(is_frame),
        },
        Case {
            name: "RGBA claiming 4000x4000",
            input: Input::Frame {
                format: PixelFormat::Rgba8888,
                width: 4000,
                height: 4000,
                planes: vec![(y, 16000, 4)],
            },
            expect: Expect::Refused(is_frame),
        },
        // Decodes fine but the middle is damaged: whatever it gives must be the same
        // every time, so it is a "good" input compared with its own baseline.
        Case {
            name: "JPEG with a damaged middle",
            input: Input::Picture(damaged_middle),
            expect: Expect::Same(4),
        },
    ]
}

/// Runs the soak: single-threaded baselines first, then `config.threads` threads over one
/// classifier, then checks memory growth after the warm-up.
pub fn run(classifier: &Classifier, repo: &Path, config: SoakConfig) -> SoakReport {
    let cases = cases(repo);
    // Baselines: each good input classified once, alone. (The damaged JPEG may also be
    // refused; then it must be refused every time.)
    let mut baselines: Vec<Option<Outcome>> = vec![None; 5];
    for case in &cases {
        if let Expect::Same(index) = case.expect {
            baselines[index] = Some(
                classify(classifier, &case.input)
                    .map(|r| fingerprint(&r))
                    .map_err(|e| e.to_string()),
            );
        }
    }
    let total = config.threads * config.per_thread;
    let done = AtomicUsize::new(0);
    let finished = AtomicBool::new(false);
    let samples = Mutex::new(Vec::<(usize, u64)>::new());
    let problems = Mutex::new(Vec::<String>::new());
    let good = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !finished.load(Ordering::Acquire) {
                if let Some(kib) = resident_kib() {
                    samples
                        .lock()
                        .expect("samples")
                        .push((done.load(Ordering::Acquire), kib));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let workers: Vec<_> = (0..config.threads)
            .map(|t| {
                let (cases, baselines) = (&cases, &baselines);
                let (done, good, refused, problems) = (&done, &good, &refused, &problems);
                scope.spawn(move || {
                    for i in 0..config.per_thread {
                        let case = &cases[(t * 5 + i) % cases.len()];
                        let outcome = classify(classifier, &case.input);
                        let problem = match (&case.expect, outcome) {
                            (Expect::Same(index), outcome) => {
                                let got =
                                    outcome.map(|r| fingerprint(&r)).map_err(|e| e.to_string());
                                if baselines[*index].as_ref() == Some(&got) {
                                    good.fetch_add(usize::from(got.is_ok()), Ordering::Relaxed);
                                    refused.fetch_add(usize::from(got.is_err()), Ordering::Relaxed);
                                    None
                                } else {
                                    Some(format!(
                                        "{}: differs from the single-threaded result",
                                        case.name
                                    ))
                                }
                            }
                            (Expect::Refused(kind), Err(err)) if kind(&err) => {
                                refused.fetch_add(1, Ordering::Relaxed);
                                None
                            }
                            (Expect::Refused(_), other) => {
                                Some(format!("{}: expected a refusal, got {other:?}", case.name))
                            }
                        };
                        if let Some(problem) = problem {
                            problems.lock().expect("problems").push(problem);
                        }
                        done.fetch_add(1, Ordering::AcqRel);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a worker panicked");
        }
        finished.store(true, Ordering::Release);
    });
    let elapsed = start.elapsed();
    let mut samples = samples.into_inner().expect("samples");
    if let Some(kib) = resident_kib() {
        samples.push((total, kib));
    }
    let warm_up = (total as f64 * config.warm_up_fraction) as usize;
    let rss_after_warm_up = samples
        .iter()
        .find(|(d, _)| *d >= warm_up)
        .map_or(0, |&(_, kib)| kib);
    let rss_peak_after = samples
        .iter()
        .filter(|(d, _)| *d >= warm_up)
        .map(|&(_, kib)| kib)
        .max()
        .unwrap_or(0);
    // About twenty points, evenly spread over the run.
    let points = 20;
    let mut rss_series = Vec::new();
    for k in 0..=points {
        let at = total * k / points;
        if let Some(&(d, kib)) = samples.iter().find(|(d, _)| *d >= at) {
            if rss_series.last().map(|&(last, _)| last) != Some(d) {
                rss_series.push((d, kib));
            }
        }
    }
    SoakReport {
        total,
        good: good.into_inner(),
        refused: refused.into_inner(),
        problems: problems.into_inner().expect("problems"),
        rss_series,
        rss_after_warm_up,
        rss_peak_after,
        elapsed,
    }
}

/// The classifier every soak uses: a small fixture model, so a run takes a minute or two.
pub fn fixture_classifier(repo: &Path) -> Classifier {
    Classifier::from_files(
        repo.join("tests/data/mobilenet_tiny_int8.tflite"),
        repo.join("tests/data/mobilenet_tiny_int8.json"),
        ClassifierOptions::default(),
    )
    .expect("fixture model")
}
