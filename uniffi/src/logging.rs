//! Where the library's `log` messages go.
//!
//! - Android: to logcat with the tag `LesionScan` (level Info and above), set up once on
//!   first use.
//! - Everywhere: an app may install a [`LogSink`] (Timber, `os_log`, `java.util.logging`…)
//!   with a level; while one is installed, messages go to it instead.
//! - Elsewhere with no sink: nowhere.
//!
//! Only LesionScan's own messages are passed on. They never contain pixels, file paths or
//! patient data: errors are logged by kind, without their reason.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Once, PoisonError, RwLock};

/// Importance of a log message, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// A call failed in a way the caller sees as an error, or something was degraded.
    Warn,
    /// Rare events worth keeping: a model loaded, on which accelerator, how fast.
    Info,
    /// One line per classification (stage timings).
    Debug,
    /// Everything.
    Trace,
}

impl From<LogLevel> for log::LevelFilter {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => Self::Error,
            LogLevel::Warn => Self::Warn,
            LogLevel::Info => Self::Info,
            LogLevel::Debug => Self::Debug,
            LogLevel::Trace => Self::Trace,
        }
    }
}

impl From<log::Level> for LogLevel {
    fn from(level: log::Level) -> Self {
        match level {
            log::Level::Error => Self::Error,
            log::Level::Warn => Self::Warn,
            log::Level::Info => Self::Info,
            log::Level::Debug => Self::Debug,
            log::Level::Trace => Self::Trace,
        }
    }
}

/// Receives LesionScan's log messages, installed with [`set_log_sink`].
///
/// Called on the thread that logged, possibly several at once: keep it quick and
/// thread-safe. An exception thrown from it is dropped (the message is lost, the call
/// that logged goes on).
#[uniffi::export(callback_interface)]
pub trait LogSink: Send + Sync {
    /// One message. `target` is the Rust module that logged it (`lesionscan::classify`…).
    fn log(&self, level: LogLevel, target: String, message: String) -> Result<(), LogSinkError>;
}

/// An exception thrown by a [`LogSink`]. Never seen by the app: it only lets a sink that
/// throws be ignored without unwinding through the library.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum LogSinkError {
    /// The sink threw.
    #[error("the log sink failed: {reason}")]
    Failed {
        /// What it threw.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for LogSinkError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed {
            reason: error.reason,
        }
    }
}

/// Sends LesionScan's messages of `level` and above to `sink` (replacing any sink
/// installed before, and logcat on Android) until [`remove_log_sink`].
#[uniffi::export]
pub fn set_log_sink(sink: Box<dyn LogSink>, level: LogLevel) {
    install_dispatcher();
    *SINK.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::from(sink));
    log::set_max_level(level.into());
}

/// Removes the sink installed by [`set_log_sink`]: messages go back to logcat on
/// Android, and nowhere elsewhere.
#[uniffi::export]
pub fn remove_log_sink() {
    *SINK.write().unwrap_or_else(PoisonError::into_inner) = None;
    log::set_max_level(platform_level());
}

/// Sets up the platform's own log destination (logcat on Android) once; a no-op
/// elsewhere. Called on first use of the library.
pub(crate) fn init_platform_logger() {
    #[cfg(target_os = "android")]
    {
        static PLATFORM: Once = Once::new();
        PLATFORM.call_once(|| {
            install_dispatcher();
            if SINK
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .is_none()
            {
                log::set_max_level(platform_level());
            }
        });
    }
}

static SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);

fn platform_level() -> log::LevelFilter {
    if cfg!(target_os = "android") {
        log::LevelFilter::Info
    } else {
        log::LevelFilter::Off
    }
}

fn install_dispatcher() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // This library holds its own copy of `log`, so nobody else has set a logger.
        let _ = log::set_logger(&Dispatcher);
    });
}

/// The `log` logger: passes LesionScan's messages to the sink, or to logcat.
struct Dispatcher;

impl Dispatcher {
    fn is_ours(target: &str) -> bool {
        target == "lesionscan"
            || target.starts_with("lesionscan::")
            || target.starts_with("lesionscan_ffi")
    }
}

impl log::Log for Dispatcher {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level() && Self::is_ours(metadata.target())
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Clone the sink out so that the lock is not held while foreign code runs.
        let sink = SINK.read().unwrap_or_else(PoisonError::into_inner).clone();
        match sink {
            Some(sink) => {
                let level = record.level().into();
                let target = record.target().to_string();
                let message = record.args().to_string();
                // A sink that throws must not take the classification down with it: its
                // exception arrives as an `Err`, and a panic (which uniffi's callback code
                // should never raise) is caught rather than unwound into the caller.
                let _ = catch_unwind(AssertUnwindSafe(|| sink.log(level, target, message)));
            }
            None => platform_log(record),
        }
    }

    fn flush(&self) {}
}

#[cfg(target_os = "android")]
fn platform_log(record: &log::Record<'_>) {
    use std::sync::OnceLock;
    static LOGCAT: OnceLock<android_logger::AndroidLogger> = OnceLock::new();
    let logcat = LOGCAT.get_or_init(|| {
        android_logger::AndroidLogger::new(
            android_logger::Config::default()
                .with_tag("LesionScan")
                .with_max_level(log::LevelFilter::Trace),
        )
    });
    log::Log::log(logcat, record);
}

#[cfg(not(target_os = "android"))]
fn platform_log(_record: &log::Record<'_>) {}
