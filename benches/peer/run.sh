#!/bin/sh
# Both engines in one run, one after the other, on the same generated corpora
# ($TMPDIR/notes-bot-bench-N, written once by whichever runs first): notes-bot's own
# index (benches/search.rs), then tantivy + jieba (this crate). Separate processes, so
# each one's resident-memory growth is its own.
#
#     benches/peer/run.sh              # 1000, 10000 and 100000 sections
#     benches/peer/run.sh 100000       # sizes whose label contains this
set -eu
filter="${1:-generated}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$root" && cargo bench --bench search -- "$filter")
echo "load between: $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$root/benches/peer" && cargo run --release --locked --quiet -- "$filter")
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
