//! `notes-bot serve` as a child process on a loopback port, and one-shot HTTP/1.1
//! requests to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::{Answer, public_hex, signed_request};

/// A running `notes-bot serve`, killed when dropped.
pub struct Serve {
    pub child: Child,
    pub address: SocketAddr,
    /// Every line it logs, read on a thread so that its stderr pipe never fills, and the
    /// lines taken off so far.
    log: Mutex<(Receiver<String>, Vec<String>)>,
}

impl Serve {
    /// `notes-bot serve --config <config>` on 127.0.0.1:0 with the test public key and
    /// `env`, and none of the caller's token, config, notes folder or Redis; waits until it
    /// listens. With no `config`, the repository's own (`config/notes-bot.yaml`).
    pub fn start(config: Option<&Path>, env: &[(&str, &str)]) -> Serve {
        let mut command = Command::new(env!("CARGO_BIN_EXE_notes-bot"));
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["serve", "--listen", "127.0.0.1:0"]);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let mut child = command
            .env("DISCORD_PUBLIC_KEY", public_hex())
            .env_remove("NOTES_BOT_CONFIG")
            .env_remove("DISCORD_TOKEN")
            .env_remove("DISCORD_TOKEN_FILE")
            .env_remove("NOTES_BOT_NOTES")
            .env_remove("NOTES_BOT_REDIS_URL")
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run notes-bot: {e}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        let mut address = None;
        while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if line.contains("serving interactions") {
                address = line
                    .split_whitespace()
                    .find_map(|word| word.strip_prefix("address="))
                    .and_then(|a| a.parse().ok());
            }
            seen.push(line);
            if address.is_some() {
                break;
            }
        }
        let Some(address) = address else {
            let _ = child.kill();
            panic!("notes-bot serve did not start:\n{}", seen.join("\n"));
        };
        Serve {
            child,
            address,
            log: Mutex::new((lines, seen)),
        }
    }

    /// Sends it signal `name` (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{name}");
    }

    /// The exit code once it exits, and how long that took; `None` if still running after
    /// `limit`.
    pub fn exit_within(&mut self, limit: Duration) -> Option<(Option<i32>, Duration)> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some((status.code(), started.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Everything it has logged so far.
    pub fn logged(&self) -> String {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let (lines, seen) = &mut *log;
        seen.extend(lines.try_iter());
        seen.join("\n")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on its own connection; status 0 when no response came.
pub fn exchange(address: SocketAddr, request: &[u8]) -> Answer {
    let mut response = Vec::new();
    if let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(5)) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        if stream.write_all(request).is_ok() {
            let _ = stream.read_to_end(&mut response);
        }
    }
    Answer::parse(&response)
}

pub fn get(address: SocketAddr, path: &str) -> Answer {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    exchange(address, request.as_bytes())
}

/// An interaction, signed now with the test key.
pub fn post(address: SocketAddr, body: &[u8]) -> Answer {
    exchange(address, &signed_request(body))
}
