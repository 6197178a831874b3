//! Keeps stderr to one line per error.
//!
//! LiteRT (and the GPU accelerator it probes) write INFO lines straight to file
//! descriptor 2 whenever a model compiles or is destroyed, and the 2.1.4 library exports
//! no way to lower that level. So at start-up the CLI keeps a private copy of stderr for
//! its own messages and parks descriptor 2 on /dev/null, unless `LESIONSCAN_LOG` asks
//! for debug output. Native errors still reach the user: they come back as `Result`s.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::{Mutex, OnceLock};

static OWN_STDERR: OnceLock<Mutex<File>> = OnceLock::new();

/// Redirects descriptor 2 to /dev/null and keeps the real stderr for [`line`].
/// Also restores the default SIGPIPE action, so `lesionscan … | head` ends quietly.
pub(crate) fn init() {
    // SAFETY: setting a signal disposition to its default is always sound.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let verbose =
        std::env::var("LESIONSCAN_LOG").is_ok_and(|v| v.contains("debug") || v.contains("trace"));
    if verbose {
        return;
    }
    let Ok(null) = OpenOptions::new().write(true).open("/dev/null") else {
        return;
    };
    // SAFETY: dup of descriptor 2, which stays open for the life of the process.
    let saved = unsafe { libc::dup(2) };
    if saved < 0 {
        return;
    }
    // SAFETY: `saved` is a fresh descriptor we own from here on.
    let own = unsafe { File::from_raw_fd(saved) };
    // SAFETY: replaces descriptor 2 with /dev/null; no Rust object owns descriptor 2.
    if unsafe { libc::dup2(null.as_raw_fd(), 2) } < 0 {
        return;
    }
    let _ = OWN_STDERR.set(Mutex::new(own));
}

/// Ignores SIGPIPE again, for the server: a client that disconnects while its answer is
/// being written then costs an error on that socket instead of ending the process.
pub(crate) fn ignore_sigpipe() {
    // SAFETY: setting a signal disposition to "ignore" is always sound.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Writes one line to the real stderr.
pub(crate) fn line(message: &str) {
    match OWN_STDERR.get() {
        Some(file) => {
            let mut file = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = writeln!(file, "{message}");
        }
        None => eprintln!("{message}"),
    }
}

/// A writer to the real stderr, for the logger.
pub(crate) struct OwnStderr;

impl Write for OwnStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match OWN_STDERR.get() {
            Some(file) => file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .write(buf),
            None => std::io::stderr().write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether the real stderr is a terminal (progress bars are drawn only there).
pub(crate) fn is_terminal() -> bool {
    match OWN_STDERR.get() {
        Some(file) => {
            let file = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // SAFETY: isatty only inspects a descriptor we own.
            unsafe { libc::isatty(file.as_raw_fd()) == 1 }
        }
        None => std::io::IsTerminal::is_terminal(&std::io::stderr()),
    }
}

/// A progress bar on the real stderr: hidden unless it is a terminal.
pub(crate) fn progress_bar(len: u64) -> indicatif::ProgressBar {
    if !is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let target = indicatif::ProgressDrawTarget::term_like(Box::new(AnsiStderr));
    let bar = indicatif::ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} pictures, {eta} left")
    {
        bar.set_style(style);
    }
    bar
}

/// Minimal ANSI terminal on the real stderr, for indicatif.
#[derive(Debug)]
struct AnsiStderr;

impl AnsiStderr {
    fn put(&self, s: &str) -> std::io::Result<()> {
        OwnStderr.write_all(s.as_bytes())
    }
}

impl indicatif::TermLike for AnsiStderr {
    fn width(&self) -> u16 {
        80
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            self.put(&format!("\x1b[{n}A"))
        }
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            self.put(&format!("\x1b[{n}B"))
        }
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            self.put(&format!("\x1b[{n}C"))
        }
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            self.put(&format!("\x1b[{n}D"))
        }
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.put(&format!("{s}\n"))
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.put(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.put("\r\x1b[2K")
    }
    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}
