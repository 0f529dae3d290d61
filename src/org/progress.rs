//! A one-line progress display on stderr while an org is read: API calls so far and tokens
//! read of those counted. Shown only when asked (a terminal, no `--quiet`), redrawn at most
//! five times a second, and cleared at the end so nothing of it stays in the output.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Progress {
    enabled: bool,
    tokens_read: AtomicU64,
    tokens_total: AtomicU64,
    last_draw: Mutex<Option<Instant>>,
    drawn: AtomicBool,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            tokens_read: AtomicU64::new(0),
            tokens_total: AtomicU64::new(0),
            last_draw: Mutex::new(None),
            drawn: AtomicBool::new(false),
        }
    }

    pub fn set_tokens_total(&self, n: u64) {
        self.tokens_total.store(n, Ordering::Relaxed);
    }

    pub fn add_tokens(&self, n: u64) {
        self.tokens_read.fetch_add(n, Ordering::Relaxed);
    }

    /// Redraws the line (throttled) with `calls` API calls made so far.
    pub fn tick(&self, calls: u64) {
        if !self.enabled {
            return;
        }
        {
            let mut last = match self.last_draw.lock() {
                Ok(l) => l,
                Err(p) => p.into_inner(),
            };
            if last.is_some_and(|t| t.elapsed() < Duration::from_millis(200)) {
                return;
            }
            *last = Some(Instant::now());
        }
        let read = self.tokens_read.load(Ordering::Relaxed);
        let total = self.tokens_total.load(Ordering::Relaxed);
        let tokens = match (read.min(total) * 100).checked_div(total) {
            Some(percent) => format!(", OAuth tokens {read}/{total} ({percent}%)"),
            None => String::new(),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2Kreading the org: {calls} API calls{tokens}");
        let _ = err.flush();
        self.drawn.store(true, Ordering::Relaxed);
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.enabled && self.drawn.load(Ordering::Relaxed) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}
