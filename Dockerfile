# syntax=docker/dockerfile:1
#
# notes-bot image: a release build in a Rust builder, run as a non-root user on Debian slim.
#
#   docker build -t notes-bot .
#   docker run -d --name notes-bot -e DISCORD_TOKEN=... notes-bot              # gateway bot
#   docker run -d -e DISCORD_PUBLIC_KEY=... -p 8080:8080 notes-bot serve      # HTTP endpoint
#   docker run --rm -v "$PWD/notes:/app/notes:ro" notes-bot check             # your own notes
#
# Overridable: /app/notes (markdown notes), /app/config/notes-bot.yaml (config),
# /app/data (state: heartbeat, gap counts). The token: DISCORD_TOKEN, or DISCORD_TOKEN_FILE
# naming a file such as a Docker secret (/run/secrets/discord_token).

# ---------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build
# No debug symbols in the shipped binary. Set before the first build so that the
# dependency layer and the real build use the same profile (same fingerprints).
ENV CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_TERM_COLOR=never

# TLS is the system's OpenSSL (native-tls): its headers and pkg-config, named here though
# the rust image has them. cargo-about writes the third-party licence notices (step 2).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/* \
 && cargo install --locked --features cli cargo-about@0.9.3

# 1. Dependencies, in their own layer: only the manifest and the lock file, with stub
#    sources, so this layer is rebuilt only when Cargo.toml or Cargo.lock change.
#
#    Cargo refuses a manifest whose declared targets have no file ("can't find `search`
#    bench at benches/search.rs"), and Cargo.toml declares [[bench]] targets (it may
#    gain [[example]], [[test]] or more [[bin]] ones). Rather than copy benches/ and
#    friends (any edit there would then rebuild serenity) or rewrite the manifest (the
#    real build must use the real one), every [lib]/[[bin]]/[[bench]]/[[example]]/[[test]]
#    table is read from Cargo.toml and a stub is made at its `path`, or at Cargo's default
#    path for its `name`. `cargo build --release` builds only the lib and the bins, so the
#    other stubs are never compiled; they only let the manifest load, here and below.
#    Auto-discovered targets (benches/*.rs without a table, tests/*.rs) need nothing.
#    A future build.rs would have to be copied next to Cargo.toml.
#    After the build, the stub build of this crate itself is forgotten (dependencies
#    stay): COPY may keep source mtimes older than the stub artefacts, and cargo would
#    then think the real sources up to date and ship the stub.
COPY Cargo.toml Cargo.lock ./
RUN awk ' \
      function flush() { \
        if (kind == "") return; \
        p = path; \
        if (p == "" && kind == "lib") p = "src/lib.rs"; \
        if (p == "") p = dir[kind] "/" name ".rs"; \
        print kind, p; kind = ""; name = ""; path = "" } \
      BEGIN { dir["bin"] = "src/bin"; dir["bench"] = "benches"; \
              dir["example"] = "examples"; dir["test"] = "tests" } \
      /^\[lib\]/ { flush(); kind = "lib"; next } \
      /^\[\[(bin|bench|example|test)\]\]/ { flush(); kind = $0; gsub(/[][ \t]/, "", kind); next } \
      /^\[/ { flush(); next } \
      kind != "" && /^[ \t]*name[ \t]*=/ { split($0, q, "\""); name = q[2] } \
      kind != "" && /^[ \t]*path[ \t]*=/ { split($0, q, "\""); path = q[2] } \
      END { flush() }' Cargo.toml > /tmp/targets \
 && while read -r kind file; do \
      mkdir -p "$(dirname "$file")"; \
      if [ "$kind" = lib ]; then : > "$file"; else echo 'fn main() {}' > "$file"; fi; \
    done < /tmp/targets \
 && mkdir -p src && { [ -f src/main.rs ] || echo 'fn main() {}' > src/main.rs; } \
 && cargo build --release --locked \
 && rm -rf target/release/.fingerprint/notes-bot-* \
           target/release/deps/notes_bot-* target/release/deps/libnotes_bot-* \
           target/release/notes-bot target/release/libnotes_bot.*

# 2. Licence notices of every crate in the binary, from Cargo.lock and the crates' own
#    licence files (MIT, BSD, Apache, ISC, Unicode... require them on redistribution).
#    Before src/, so that a source change does not redo them.
COPY about.toml about.hbs LICENSE ./
RUN mkdir -p /out/doc \
 && cargo fetch --locked \
 && cargo about generate --offline --locked --fail about.hbs -o /out/doc/THIRD-PARTY-LICENSES.txt \
 && install -m 0644 LICENSE /out/doc/LICENSE

# 3. The crate itself: a change under src/ rebuilds from here on only. The word tables
#    built into the binary keep their sources' notices in their headers: WordNet 3.0,
#    jieba's dictionary (MIT), CC-CEDICT (CC BY-SA 4.0, as are the two tables made from it)
#    and OpenCC's traditional → simplified characters (Apache-2.0, its text beside the table).
COPY src ./src
RUN cargo build --release --locked \
 && install -D -m 0755 target/release/notes-bot /out/notes-bot \
 && grep '^#' src/search/related/en.txt > /out/doc/WORDNET-LICENSE.txt \
 && grep '^#' src/search/lexicon/zh.txt > /out/doc/JIEBA-LICENSE.txt \
 && grep '^#' src/search/related/en-zh.txt > /out/doc/CC-CEDICT-LICENSE.txt \
 && { grep '^#' src/search/lexicon/t2s.txt; cat src/search/lexicon/APACHE-2.0.txt; } > /out/doc/OPENCC-LICENSE.txt

# ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim

ARG VERSION=0.1.0
ARG SOURCE_URL=https://github.com/OWNER/notes-bot
LABEL org.opencontainers.image.title="notes-bot" \
      org.opencontainers.image.description="A self-hosted Discord bot that answers slash commands with summaries from markdown notes" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT AND CC-BY-SA-4.0" \
      org.opencontainers.image.version="${VERSION}"

# libssl3 (TLS to Discord) and ca-certificates only (no curl: the health check is
# `notes-bot health`). Versions are left to the bookworm suite, which takes security
# updates only.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 10001 notes-bot \
 && useradd --system --no-log-init --uid 10001 --gid notes-bot --home-dir /app \
            --no-create-home --shell /usr/sbin/nologin notes-bot

WORKDIR /app
COPY --from=builder /out/notes-bot /usr/local/bin/notes-bot
COPY --from=builder /out/doc/ /usr/share/doc/notes-bot/
# Defaults, owned by root and read-only to the bot; mount your own over them.
COPY notes/ /app/notes/
COPY config/ /app/config/
# The only folder the bot writes (config's data_dir `data`, relative to /app).
RUN mkdir -p /app/data && chown notes-bot:notes-bot /app/data
VOLUME ["/app/data"]

# NO_COLOR: plain log lines in `docker logs` (no ANSI colour codes).
ENV NOTES_BOT_NOTES=/app/notes \
    NOTES_BOT_CONFIG=/app/config/notes-bot.yaml \
    RUST_LOG=info,serenity=warn,notify=warn \
    NO_COLOR=1

USER 10001:10001
# The `serve` profile listens here (NOTES_BOT_LISTEN, default 0.0.0.0:8080).
EXPOSE 8080
STOPSIGNAL SIGTERM
# Gateway mode: this container's heartbeat file in /app/data (heartbeat.$HOSTNAME) is fresh
# (< 60 s); serve mode: GET /healthz (200 "degraded: …" still passes: Redis is away).
# (podman/buildah keep HEALTHCHECK only with `--format docker`; OCI images have none.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["notes-bot", "health"]
ENTRYPOINT ["notes-bot"]
CMD ["run"]
