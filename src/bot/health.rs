//! `notes-bot health`: reads the heartbeat file the running bot keeps in its data folder.
//!
//! The gateway writes `gateway <unix time>` while a shard is connected; the HTTP endpoint
//! writes `serve <address>` and is asked `GET /healthz` directly. The file is named after
//! the host (`heartbeat.<host>`), so replicas may share one data volume: the health check
//! runs in the replica's own container, under the same host name.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::clock::unix_now;

/// A gateway heartbeat older than this means the bot is not connected.
const MAX_AGE: Duration = Duration::from_secs(60);

pub fn heartbeat_path(data_dir: &Path) -> PathBuf {
    data_dir.join(format!("heartbeat.{}", host_name()))
}

/// This host's name, as a file-name-safe word: `HOSTNAME` (Docker and Kubernetes set it to
/// the container's or pod's name), else the kernel's, else `localhost`.
pub fn host_name() -> String {
    let kernel = || {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .ok()
    };
    let name = std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.trim().is_empty())
        .or_else(kernel)
        .unwrap_or_default();
    let safe: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if safe.is_empty() || safe.starts_with('.') {
        "localhost".into()
    } else {
        safe
    }
}

/// Writes the heartbeat file, telling a failure once (with its fix) and when it is written
/// again: the data folder may be deleted, or become writable, while the bot runs.
pub struct Heartbeat {
    path: PathBuf,
    failing: bool,
}

impl Heartbeat {
    pub fn new(path: PathBuf) -> Heartbeat {
        Heartbeat { path, failing: false }
    }

    /// Writes `beat` (making the folder again if it went), on a blocking thread: a stalled
    /// data volume must not hold an async worker.
    pub async fn write(&mut self, beat: &str) {
        let path = &self.path;
        let written = async {
            if let Some(folder) = path.parent() {
                tokio::fs::create_dir_all(folder).await?;
            }
            // Renamed into place: `notes-bot health` never reads a file half written
            // (empty: "unreadable heartbeat", exit 1).
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
            let written = tokio::fs::write(&temporary, beat).await;
            let renamed = match written {
                Ok(()) => tokio::fs::rename(&temporary, path).await,
                Err(error) => Err(error),
            };
            if renamed.is_err() {
                let _ = tokio::fs::remove_file(&temporary).await;
            }
            renamed
        };
        match written.await {
            Err(error) if !self.failing => {
                let fix = match path.parent() {
                    Some(folder) if folder.is_file() => {
                        "; the data folder is a file: set data_dir to a folder".to_string()
                    }
                    _ => crate::error::permission_fix(&error, "write to"),
                };
                tracing::warn!(path = %path.display(), "cannot write the heartbeat file ({error}{fix}); `notes-bot health` fails until it can");
                self.failing = true;
            }
            Ok(()) if self.failing => {
                tracing::info!(path = %path.display(), "the heartbeat file is written again");
                self.failing = false;
            }
            _ => {}
        }
    }

    /// Whether the file holds `beat` now.
    pub async fn holds(&self, beat: &str) -> bool {
        (tokio::fs::read_to_string(&self.path).await).is_ok_and(|held| held == beat)
    }
}

pub fn gateway_beat() -> String {
    format!("gateway {}", unix_now())
}

pub fn serve_beat(address: SocketAddr) -> String {
    format!("serve {address}")
}

/// Why the bot is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum Unhealthy {
    #[error(
        "no heartbeat at {} ({source}): the bot is not running, not connected to Discord yet, or cannot write its data folder (its log says which)",
        .path.display()
    )]
    NoHeartbeat { path: PathBuf, source: std::io::Error },
    #[error("{}: unreadable heartbeat", .0.display())]
    Unreadable(PathBuf),
    #[error("no gateway connection for {0} s")]
    Disconnected(u64),
    #[error("cannot reach {address}: {source}")]
    Unreachable {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("{address}/healthz answered {status:?}")]
    Answered { address: SocketAddr, status: String },
}

/// `Ok` with a short status line, or what is wrong.
pub fn check(path: &Path) -> Result<String, Unhealthy> {
    let text = std::fs::read_to_string(path).map_err(|source| Unhealthy::NoHeartbeat {
        path: path.to_path_buf(),
        source,
    })?;
    let unreadable = || Unhealthy::Unreadable(path.to_path_buf());
    match text.trim().split_once(' ') {
        Some(("gateway", time)) => {
            let time: u64 = time.parse().map_err(|_| unreadable())?;
            let age = unix_now().saturating_sub(time);
            if age <= MAX_AGE.as_secs() {
                Ok(format!("gateway connected ({age} s ago)"))
            } else {
                Err(Unhealthy::Disconnected(age))
            }
        }
        Some(("serve", address)) => healthz(address.parse().map_err(|_| unreadable())?),
        _ => Err(unreadable()),
    }
}

/// `GET /healthz` with a plain socket: the image has no curl.
fn healthz(mut address: SocketAddr) -> Result<String, Unhealthy> {
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let timeout = Duration::from_secs(3);
    let unreachable = |source| Unhealthy::Unreachable { address, source };
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(unreachable)?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .map_err(unreachable)?;
    let mut response = String::new();
    let _ = stream.take(4096).read_to_string(&mut response);
    let status = response.lines().next().unwrap_or_default().to_string();
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body.trim());
    if status.split_whitespace().nth(1) == Some("200") {
        // Still answering, but worth a look: e.g. Redis is gone and state is per replica.
        match body.strip_prefix("degraded") {
            Some(why) => Ok(format!("serving on {address}, degraded{why}")),
            None => Ok(format!("serving on {address}")),
        }
    } else {
        Err(Unhealthy::Answered { address, status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A beat is renamed into place, so a reader finds the old beat or the new one, whole;
    /// no temporary file is left beside it.
    #[tokio::test]
    async fn a_beat_is_written_whole_and_leaves_nothing_beside_it() {
        let dir = std::env::temp_dir().join(format!("notes-bot-beat-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = heartbeat_path(&dir);
        let mut heartbeat = Heartbeat::new(path.clone());
        let reader = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut read = 0;
                for _ in 0..20_000 {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        assert!(text.starts_with("gateway "), "read {text:?}");
                        read += 1;
                    }
                }
                read
            })
        };
        for n in 0..300 {
            heartbeat.write(&format!("gateway {n} {}", "x".repeat(n))).await;
        }
        let read = reader
            .join()
            .unwrap_or_else(|_| panic!("a beat was read half written"));
        assert!(read > 0);
        let files: Vec<_> = (std::fs::read_dir(&dir).into_iter().flatten().flatten())
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(files, [path.file_name().unwrap_or_default()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn fresh_gateway_beat_is_healthy_and_missing_is_not() {
        let dir = std::env::temp_dir().join(format!("notes-bot-health-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = heartbeat_path(&dir);
        let _ = std::fs::remove_file(&path);
        assert!(check(&path).is_err());
        let _ = std::fs::write(&path, gateway_beat());
        assert!(check(&path).is_ok());
        let _ = std::fs::write(&path, "gateway 1000");
        assert!(check(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
