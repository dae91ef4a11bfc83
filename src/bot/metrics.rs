//! Prometheus text metrics for the HTTP endpoint: a few atomics, no registry crate needed.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25,
];

#[derive(Default)]
pub struct Metrics {
    /// (interaction type, outcome) → count.
    interactions: Mutex<Vec<((&'static str, &'static str), u64)>>,
    /// Requests refused before the handler, by HTTP status.
    rejected: Mutex<Vec<(u16, u64)>>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_nanos: AtomicU64,
    pub notes_loaded: AtomicU64,
    pub sections_loaded: AtomicU64,
    pub last_reload_unix: AtomicU64,
    /// Indexes swapped in by reloads since start-up.
    pub reloads: AtomicU64,
    pub notes_skipped: AtomicU64,
}

fn bump<K: PartialEq>(list: &Mutex<Vec<(K, u64)>>, key: K) {
    let mut list = list.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, count)) => *count += 1,
        None => list.push((key, 1)),
    }
}

impl Metrics {
    pub fn interaction(&self, kind: &'static str, outcome: &'static str, took: Duration) {
        bump(&self.interactions, (kind, outcome));
        let seconds = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_nanos.fetch_add(
            took.as_nanos().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
    }

    pub fn rejected(&self, status: u16) {
        bump(&self.rejected, status);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP notes_bot_interactions_total Interactions answered, by type and outcome.\n");
        out.push_str("# TYPE notes_bot_interactions_total counter\n");
        for ((kind, outcome), count) in self.interactions.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "notes_bot_interactions_total{{type=\"{kind}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        out.push_str(
            "# HELP notes_bot_rejected_requests_total Requests refused before the handler, by status.\n",
        );
        out.push_str("# TYPE notes_bot_rejected_requests_total counter\n");
        for (status, count) in self.rejected.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "notes_bot_rejected_requests_total{{status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP notes_bot_handler_seconds Time the interaction handler took.\n");
        out.push_str("# TYPE notes_bot_handler_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "notes_bot_handler_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "notes_bot_handler_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "notes_bot_handler_seconds_sum {sum}");
        let _ = writeln!(out, "notes_bot_handler_seconds_count {count}");
        let gauges = [
            (
                "notes_bot_notes_loaded",
                "Notes in the index.",
                &self.notes_loaded,
            ),
            (
                "notes_bot_sections_loaded",
                "Answerable sections in the index.",
                &self.sections_loaded,
            ),
            (
                "notes_bot_last_reload_timestamp_seconds",
                "When the index was last built.",
                &self.last_reload_unix,
            ),
            (
                "notes_bot_notes_skipped",
                "Note files and folders skipped or held back at the last load (see the log).",
                &self.notes_skipped,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP notes_bot_reloads_total Indexes swapped in by reloads since start-up.\n# TYPE notes_bot_reloads_total counter\nnotes_bot_reloads_total {}",
            self.reloads.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let metrics = Metrics::default();
        metrics.interaction("command", "hit", Duration::from_micros(80));
        metrics.interaction("command", "hit", Duration::from_millis(3));
        metrics.rejected(401);
        let text = metrics.render();
        assert!(
            text.contains("notes_bot_interactions_total{type=\"command\",outcome=\"hit\"} 2"),
            "{text}"
        );
        assert!(text.contains("notes_bot_rejected_requests_total{status=\"401\"} 1"));
        assert!(text.contains("notes_bot_handler_seconds_bucket{le=\"0.0001\"} 1"));
        assert!(text.contains("notes_bot_handler_seconds_bucket{le=\"+Inf\"} 2"));
    }
}
