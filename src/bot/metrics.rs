//! Prometheus metrics for the HTTP endpoint, in the OpenMetrics text format
//! (prometheus-client: Prometheus's own Rust client).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// What `/metrics` answers with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InteractionLabels {
    r#type: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: u16,
}

/// The loaded notes as a scrape sees them; read from the app at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct LibraryState {
    pub notes: u64,
    pub sections: u64,
    /// Unix seconds of the last index build.
    pub loaded_at: u64,
    /// Indexes swapped in by reloads since start-up.
    pub reloads: u64,
    pub skipped: u64,
}

pub struct Metrics {
    registry: Registry,
    interactions: Family<InteractionLabels, Counter>,
    rejected: Family<StatusLabels, Counter>,
    handler_seconds: Histogram,
    notes: Gauge,
    sections: Gauge,
    loaded_at: Gauge,
    skipped: Gauge,
    reloads: Counter<u64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Metrics {
            registry: Registry::default(),
            interactions: Family::default(),
            rejected: Family::default(),
            handler_seconds: Histogram::new(BUCKETS),
            notes: Gauge::default(),
            sections: Gauge::default(),
            loaded_at: Gauge::default(),
            skipped: Gauge::default(),
            reloads: Counter::default(),
        };
        let mut registry = Registry::default();
        // Counters are registered without `_total`: the encoder adds it.
        registry.register(
            "notes_bot_interactions",
            "Interactions answered, by type and outcome",
            metrics.interactions.clone(),
        );
        registry.register(
            "notes_bot_rejected_requests",
            "Requests refused before the handler, by status",
            metrics.rejected.clone(),
        );
        registry.register(
            "notes_bot_handler_seconds",
            "Time to answer an interaction after its signature check: waiting for a worker, parsing, the handler, encoding",
            metrics.handler_seconds.clone(),
        );
        let gauges = [
            ("notes_bot_notes_loaded", "Notes in the index", &metrics.notes),
            (
                "notes_bot_sections_loaded",
                "Answerable sections in the index",
                &metrics.sections,
            ),
            (
                "notes_bot_last_reload_timestamp_seconds",
                "When the index was last built",
                &metrics.loaded_at,
            ),
            (
                "notes_bot_notes_skipped",
                "Note files and folders skipped or held back at the last load (see the log)",
                &metrics.skipped,
            ),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
        registry.register(
            "notes_bot_reloads",
            "Indexes swapped in by reloads since start-up",
            metrics.reloads.clone(),
        );
        Metrics { registry, ..metrics }
    }
}

fn clamp(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Metrics {
    pub fn interaction(&self, kind: &'static str, outcome: &'static str, took: Duration) {
        self.interactions
            .get_or_create(&InteractionLabels {
                r#type: kind,
                outcome,
            })
            .inc();
        self.handler_seconds.observe(took.as_secs_f64());
    }

    pub fn rejected(&self, status: u16) {
        self.rejected.get_or_create(&StatusLabels { status }).inc();
    }

    /// The exposition, with the library's figures as of now.
    pub fn render(&self, library: LibraryState) -> String {
        self.notes.set(clamp(library.notes));
        self.sections.set(clamp(library.sections));
        self.loaded_at.set(clamp(library.loaded_at));
        self.skipped.set(clamp(library.skipped));
        // The app counts reloads; the counter follows it (both only grow).
        let seen = self.reloads.get();
        if library.reloads > seen {
            self.reloads.inc_by(library.reloads - seen);
        }
        let mut out = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            // Writing to a String cannot fail; say so if it ever does.
            tracing::error!(%error, "cannot encode the metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_library_state() {
        let metrics = Metrics::default();
        metrics.interaction("command", "hit", Duration::from_micros(80));
        metrics.interaction("command", "hit", Duration::from_millis(3));
        metrics.rejected(401);
        let state = LibraryState {
            notes: 3,
            sections: 40,
            loaded_at: 1_700_000_000,
            reloads: 2,
            skipped: 1,
        };
        let text = metrics.render(state);
        for expected in [
            "notes_bot_interactions_total{type=\"command\",outcome=\"hit\"} 2",
            "notes_bot_rejected_requests_total{status=\"401\"} 1",
            "notes_bot_handler_seconds_bucket{le=\"0.0001\"} 1",
            "notes_bot_handler_seconds_bucket{le=\"+Inf\"} 2",
            "notes_bot_handler_seconds_count 2",
            "notes_bot_notes_loaded 3",
            "notes_bot_sections_loaded 40",
            "notes_bot_last_reload_timestamp_seconds 1700000000",
            "notes_bot_notes_skipped 1",
            "notes_bot_reloads_total 2",
            "# EOF",
        ] {
            assert!(text.contains(expected), "no {expected:?} in\n{text}");
        }
        // A later scrape follows the app's count without counting twice.
        let text = metrics.render(LibraryState { reloads: 5, ..state });
        assert!(text.contains("notes_bot_reloads_total 5"), "{text}");
        let text = metrics.render(LibraryState { reloads: 5, ..state });
        assert!(text.contains("notes_bot_reloads_total 5"), "{text}");
    }
}
