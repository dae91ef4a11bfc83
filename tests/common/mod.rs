//! Helpers shared by the integration tests: a repeatable pseudo-random sequence, the test
//! signing key and signed request headers, raw HTTP/1.1 responses, and (`serve`) the
//! real `notes-bot serve` to send them to.
// Each test binary uses its own part of this.
#![allow(dead_code)]

pub mod serve;
mod signing;
#[allow(unused_imports)] // as dead_code above
pub use signing::{hex, public_hex, signature, signing_key};

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A new, empty folder under the system's temporary folder, removed when dropped (so that
/// test runs leave nothing behind).
pub struct TempDir(PathBuf);

impl TempDir {
    /// `notes-bot-{name}-{pid}`.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("notes-bot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        TempDir(dir)
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A pseudo-random sequence (xorshift) for generated text, repeatable without a crate.
pub struct Random(pub u64);

impl Random {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A word of 3 to 10 letters from the first `letters` of `a`..`z`.
    pub fn word(&mut self, letters: u64) -> String {
        let len = 3 + self.below(8);
        (0..len)
            .map(|_| char::from(b'a' + self.below(letters) as u8))
            .collect()
    }

    /// Chinese characters drawn at random: nearly every bigram is new, the worst case for
    /// the index's vocabulary.
    pub fn cjk(&mut self, len: usize) -> String {
        (0..len)
            .filter_map(|_| char::from_u32(0x4e00 + self.below(0x51a5) as u32))
            .collect()
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The head of a POST on its own connection, `extra` being more header lines.
pub fn post_head(path: &str, length: usize, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {length}\r\n{extra}\r\n"
    )
}

/// Header lines that sign `body` at `timestamp` as Discord does.
pub fn signed_headers(timestamp: &str, body: &[u8], content_type: &str) -> String {
    format!(
        "Content-Type: {content_type}\r\nX-Signature-Ed25519: {}\r\nX-Signature-Timestamp: {timestamp}\r\n",
        signature(timestamp, body)
    )
}

/// A whole signed interaction request, signed now.
pub fn signed_request(body: &[u8]) -> Vec<u8> {
    let headers = signed_headers(&unix_now().to_string(), body, "application/json");
    [post_head("/interactions", body.len(), &headers).as_bytes(), body].concat()
}

/// A response as read off the socket; status 0 when none came.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn parse(response: &[u8]) -> Answer {
        let text = String::from_utf8_lossy(response);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Answer { status, body }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// CPU time process `pid` has used, user and system (zero when it cannot be read).
pub fn cpu_time(pid: u32) -> std::time::Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which ends with the last ')': utime is the 12th.
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
        .unwrap_or_default();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    std::time::Duration::from_millis(ticks * 1000 / clock_ticks())
}

fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}
