//! State shared by replicas in Redis (`state.redis_url`): claims (cooldowns, one vote per
//! member and answer) with `SET NX PX`, counters (gaps, votes) in one hash per kind with
//! HINCRBY, a heartbeat per host.
//!
//! Redis is reached from its own thread and runtime, so a handler thread, or a shutdown
//! path inside another runtime, waits for it with a plain timeout and never stalls it.
//!
//! Redis down or slow: claims fall back to this process, counts wait here and are flushed
//! once it is back, one warning is logged per outage, and `degraded` says why. Counts go in
//! batches with an id; a script applies a batch only if its id is new, so a batch sent
//! again after a lost reply is never counted twice.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisResult, Value};
use tokio::sync::Notify;

use super::state::{Claims, Fields, State, StateError, add_to};
use crate::config::StateOptions;
use crate::feedback;
use crate::sync::lock;

/// A kind of counter: one Redis hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Counter {
    /// Questions the notes did not answer (`crate::gaps`).
    Gaps,
    /// 👍 / 👎 per section (`crate::feedback::fields`).
    Votes,
}

impl Counter {
    fn name(self) -> &'static str {
        match self {
            Counter::Gaps => "gaps",
            Counter::Votes => "votes",
        }
    }
}

/// Adds `n` to `field` of `counter` in `counts`, within [`add_to`]'s bound.
fn add_counter(counts: &mut BTreeMap<Counter, Fields>, counter: Counter, field: String, n: u64) -> bool {
    add_to(counts.entry(counter).or_default(), field, n)
}

/// How often the keeper retries a lost connection, and the flusher sends counts anyway.
const TICK: Duration = Duration::from_secs(1);
/// How often this host's heartbeat key is written, and how long it lives.
const BEAT_EVERY: Duration = Duration::from_secs(10);
const BEAT_TTL_SECONDS: u64 = 30;
/// An outage this soon after the last one is the same one (Redis flapping): no new warning.
const SETTLE: Duration = Duration::from_secs(60);
/// Claims up to this long are also held here, for when Redis is gone; longer ones (votes)
/// would only grow memory.
const HOLD_HERE: Duration = Duration::from_secs(3600);
/// How long a member's vote on an answer is remembered, so it counts once.
const VOTE_MEMORY: Duration = Duration::from_secs(90 * 86_400);
/// How long a batch id is remembered: far longer than any retry of it.
const BATCH_TTL_SECONDS: u64 = 86_400;

/// Applies one batch of counts once: `KEYS[1]` the batch id, `KEYS[2..]` the hashes; `ARGV[1]` the
/// id's lifetime, then (index into KEYS, field, amount) triples.
const APPLY_BATCH: &str = r"
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 2, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
end
return 1
";

/// Counters of one kind kept in Redis: past `MAX_FIELDS`, the rarest go until `KEEP_FIELDS`
/// are left (gaps.json keeps 5,000), so a flood of new questions cannot grow the hash, nor
/// `/gaps`' read of it, without bound.
const MAX_FIELDS: usize = 20_000;
const KEEP_FIELDS: usize = 15_000;

/// Trims hash `KEYS[1]` to `ARGV[2]` counters when it holds over `ARGV[1]`, shared among
/// places as `ByTopic::keep_top` shares the files: each place's largest first, taken in
/// turn. A field is `kind\ttopic@place\t…` (a bare topic: no place); a value that is no
/// number counts 0. Unlike the files, which rank a question's misses and weak hits as one
/// entry, each counter here takes its own turn, and equal counts go in no set order.
const TRIM: &str = r"
if redis.call('HLEN', KEYS[1]) <= tonumber(ARGV[1]) then return 0 end
local all = redis.call('HGETALL', KEYS[1])
local places = {}
for i = 1, #all, 2 do
  local place = string.match(all[i], '^[^\t]*\t[^\t]*@([^\t]*)\t') or ''
  local n = tonumber(all[i + 1])
  if not n or n ~= n then n = 0 end
  places[place] = places[place] or {}
  table.insert(places[place], {all[i], n})
end
local fields = {}
for _, list in pairs(places) do
  table.sort(list, function(a, b) return a[2] > b[2] end)
  for turn, field in ipairs(list) do table.insert(fields, {field[1], field[2], turn}) end
end
table.sort(fields, function(a, b)
  if a[3] ~= b[3] then return a[3] < b[3] end
  return a[2] > b[2]
end)
local gone = 0
for i = tonumber(ARGV[2]) + 1, #fields do
  redis.call('HDEL', KEYS[1], fields[i][1])
  gone = gone + 1
end
return gone
";

pub struct Shared {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    /// `host:port`: what logs and /healthz name (the URL may hold a password).
    location: String,
    prefix: String,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
    connection: Mutex<Option<MultiplexedConnection>>,
    healthy: AtomicBool,
    /// Why Redis is not in use, from the first failure of an outage until it is back.
    outage: Mutex<Option<String>>,
    /// When Redis was last back after an outage.
    recovered: Mutex<Option<Instant>>,
    /// Claims decided here or by Redis, for when Redis is gone.
    claims: Claims,
    pending: Mutex<Pending>,
    wake: Notify,
    /// Unique to this process: batch ids start with it.
    instance: String,
    host: String,
    /// What the heartbeat key holds (what this replica is); set by the adapter.
    beat: Mutex<String>,
    /// `APPLY_BATCH` and `TRIM`, sent by their hash (the body only when Redis lacks it).
    apply_batch: redis::Script,
    trim: redis::Script,
}

#[derive(Default)]
struct Pending {
    /// Counted since the last batch was made.
    next: BTreeMap<Counter, Fields>,
    /// Sent, or to send again, until Redis confirms it.
    batch: Option<Batch>,
    sequence: u64,
}

#[derive(Clone)]
struct Batch {
    id: String,
    counts: BTreeMap<Counter, Fields>,
}

/// Why Redis could not be set up, or did not answer.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    #[error("state.redis_url is not set")]
    NoUrl,
    #[error(
        "state.redis_url ({location}): not a Redis URL ({kind:?}); write it like redis://:password@host:6379/0"
    )]
    BadUrl {
        location: String,
        kind: redis::ErrorKind,
    },
    #[error("cannot start the Redis runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot start the Redis thread: {0}")]
    Thread(std::io::Error),
    #[error("the Redis thread ended at start")]
    ThreadEnded,
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error("no answer within {} ms", .0.as_millis())]
    NoAnswer(Duration),
    /// Not in use since an outage; the reason is what `/healthz` shows.
    #[error("{0}")]
    Down(String),
}

impl Shared {
    /// Starts the Redis thread and tries to connect for a moment; Redis being down is not
    /// an error (the bot serves from local state until it is up). `host` names this
    /// replica's heartbeat.
    pub fn start(options: &StateOptions, host: &str) -> Result<Shared, SharedError> {
        let Some(url) = &options.redis_url else {
            return Err(SharedError::NoUrl);
        };
        let location = url.location();
        let client = redis::Client::open(url.secret()).map_err(|error| SharedError::BadUrl {
            location: location.clone(),
            kind: error.kind(),
        })?;
        let runtime = redis_runtime()?;
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let inner = Arc::new(Inner {
            client,
            location,
            prefix: options.key_prefix.clone(),
            timeout: Duration::from_millis(options.timeout_ms),
            runtime,
            connection: Mutex::new(None),
            healthy: AtomicBool::new(false),
            outage: Mutex::new(None),
            recovered: Mutex::new(None),
            claims: Claims::default(),
            pending: Mutex::new(Pending::default()),
            wake: Notify::new(),
            instance: format!("{host}:{}:{started:x}", std::process::id()),
            host: host.to_string(),
            beat: Mutex::new("starting".into()),
            apply_batch: redis::Script::new(APPLY_BATCH),
            trim: redis::Script::new(TRIM),
        });
        let first = inner.clone();
        match inner.wait(Duration::from_secs(3), async move {
            Ok::<_, redis::RedisError>(first.connect().await)
        }) {
            Ok(Ok(())) => tracing::info!(redis = %inner.location, "cooldowns and counts are shared in Redis"),
            Ok(Err(reason)) | Err(reason) => inner.down(&reason),
        }
        inner.runtime.spawn(keep(inner.clone()));
        inner.runtime.spawn(flush_when_woken(inner.clone()));
        Ok(Shared { inner })
    }
}

/// A one-thread runtime on a thread of its own, alive as long as the process.
fn redis_runtime() -> Result<tokio::runtime::Handle, SharedError> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("redis".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Ok(runtime) => {
                    let _ = send.send(Ok(runtime.handle().clone()));
                    runtime.block_on(std::future::pending::<()>());
                }
                Err(error) => {
                    let _ = send.send(Err(SharedError::Runtime(error)));
                }
            }
        })
        .map_err(SharedError::Thread)?;
    receive.recv().map_err(|_| SharedError::ThreadEnded)?
}

impl Shared {
    /// Adds `n` to a counter; sent to Redis by the flusher.
    fn add(&self, counter: Counter, field: String, n: u64) {
        // A long outage and a flood of new questions: memory stays bounded.
        if !add_counter(&mut lock(&self.inner.pending).next, counter, field, n) {
            tracing::debug!(
                counter = counter.name(),
                "too many counts waiting for Redis; one dropped"
            );
            return;
        }
        self.inner.wake.notify_one();
    }

    /// Every counter of a kind: in Redis, and not yet confirmed there.
    fn counts(&self, counter: Counter) -> Fields {
        let inner = &self.inner;
        let mut fields = Fields::new();
        if let Some(mut connection) = inner.usable() {
            let hash = inner.hash(counter);
            let read = inner.wait(inner.timeout, async move {
                redis::cmd("HGETALL")
                    .arg(hash)
                    .query_async::<HashMap<String, u64>>(&mut connection)
                    .await
            });
            match read {
                Ok(read) => fields.extend(read),
                Err(reason) => inner.down(&reason),
            }
        }
        // Not yet in Redis: counted here since the last confirmed batch.
        let pending = lock(&inner.pending);
        let batch = pending.batch.as_ref().and_then(|b| b.counts.get(&counter));
        for (field, n) in batch.into_iter().chain(pending.next.get(&counter)).flatten() {
            let count = fields.entry(field.clone()).or_default();
            *count = count.saturating_add(*n);
        }
        fields
    }
}

impl State for Shared {
    fn claim(&self, key: &str, period: Duration, now: Instant) -> Option<Duration> {
        let inner = &self.inner;
        if let Some(mut connection) = inner.usable() {
            let redis_key = format!("{}:claim:{key}", inner.prefix);
            let millis = period.as_millis().clamp(1, u64::MAX as u128) as u64;
            let asked = inner.wait(inner.timeout, async move {
                redis::pipe()
                    .cmd("SET")
                    .arg(&redis_key)
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis)
                    .cmd("PTTL")
                    .arg(&redis_key)
                    .query_async::<(Value, i64)>(&mut connection)
                    .await
            });
            match asked {
                Ok((Value::Nil, left)) if left > 0 => {
                    let left = Duration::from_millis(left as u64);
                    if period <= HOLD_HERE {
                        inner.claims.hold(key, now + left);
                    }
                    return Some(left);
                }
                // Claimed now, or freed between the two commands.
                Ok(_) => {
                    if period <= HOLD_HERE {
                        inner.claims.hold(key, now + period);
                    }
                    return None;
                }
                Err(reason) => inner.down(&reason),
            }
        }
        inner.claims.claim(key, period, now)
    }

    fn add_gap(&self, field: String) {
        self.add(Counter::Gaps, field, 1);
    }

    fn gaps(&self) -> Fields {
        self.counts(Counter::Gaps)
    }

    fn vote(&self, vote: feedback::Vote, now: Instant) -> feedback::Recorded {
        let key = format!("vote:{:x}", vote.key);
        if self.claim(&key, VOTE_MEMORY, now).is_some() {
            return feedback::Recorded::Already;
        }
        for field in feedback::fields(&vote) {
            self.add(Counter::Votes, field, 1);
        }
        feedback::Recorded::Counted
    }

    fn ratings(&self) -> feedback::Ratings {
        let mut ratings = feedback::Ratings::default();
        for (field, n) in self.counts(Counter::Votes) {
            ratings.add_field(&field, n);
        }
        ratings
    }

    /// Sends the counts now (at shutdown); those Redis does not take stay here.
    fn save(&self) -> Result<(), StateError> {
        let inner = self.inner.clone();
        let nothing = {
            let pending = lock(&inner.pending);
            pending.batch.is_none() && pending.next.values().all(BTreeMap::is_empty)
        };
        if nothing {
            return Ok(());
        }
        if inner.usable().is_none() {
            let kept = lock(&inner.pending)
                .next
                .values()
                .map(BTreeMap::len)
                .sum::<usize>();
            return Err(StateError::Lost {
                reason: inner.degraded_reason(),
                kept,
            });
        }
        let sending = inner.clone();
        let sent = inner.wait(4 * inner.timeout, async move {
            Ok::<_, redis::RedisError>(sending.flush().await)
        });
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) | Err(reason) => {
                inner.down(&reason);
                Err(StateError::Unreachable(inner.degraded_reason()))
            }
        }
    }

    fn degraded(&self) -> Option<String> {
        lock(&self.inner.outage).clone()
    }

    fn beat(&self, what: String) {
        *lock(&self.inner.beat) = what;
    }
}

impl Inner {
    fn hash(&self, counter: Counter) -> String {
        format!("{}:count:{}", self.prefix, counter.name())
    }

    /// The connection, while Redis answers.
    fn usable(&self) -> Option<MultiplexedConnection> {
        if !self.healthy.load(Ordering::Acquire) {
            return None;
        }
        lock(&self.connection).clone()
    }

    fn degraded_reason(&self) -> String {
        lock(&self.outage)
            .clone()
            .unwrap_or_else(|| format!("Redis at {} is not connected", self.location))
    }

    /// Runs `work` on the Redis runtime and waits at most `limit` for it, from any thread.
    fn wait<T: Send + 'static>(
        &self,
        limit: Duration,
        work: impl Future<Output = RedisResult<T>> + Send + 'static,
    ) -> Result<T, SharedError> {
        let (send, receive) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = send.send(tokio::time::timeout(limit, work).await);
        });
        match receive.recv_timeout(limit + Duration::from_millis(50)) {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(error))) => Err(error.into()),
            Ok(Err(_)) | Err(_) => Err(SharedError::NoAnswer(limit)),
        }
    }

    /// Stops using Redis until the keeper reaches it again; warns once per outage (an
    /// outage within `SETTLE` of the last one is the same one).
    fn down(&self, reason: &SharedError) {
        self.healthy.store(false, Ordering::Release);
        let mut outage = lock(&self.outage);
        if outage.is_some() {
            return;
        }
        *outage = Some(format!("Redis at {}: {reason}", self.location));
        let flapping = lock(&self.recovered).is_some_and(|at| at.elapsed() < SETTLE);
        if flapping {
            tracing::debug!(redis = %self.location, %reason, "Redis unreachable or slow again");
        } else {
            tracing::warn!(
                redis = %self.location,
                %reason,
                "Redis is unreachable or slow: cooldowns are per replica and counts wait here until it is back"
            );
        }
    }

    fn up(&self, connection: MultiplexedConnection) {
        *lock(&self.connection) = Some(connection);
        self.healthy.store(true, Ordering::Release);
        if lock(&self.outage).take().is_some() {
            let mut recovered = lock(&self.recovered);
            if recovered.is_none_or(|at| at.elapsed() >= SETTLE) {
                tracing::info!(redis = %self.location, "Redis is reachable again; sending the counts kept meanwhile");
            }
            *recovered = Some(Instant::now());
        }
        self.wake.notify_one();
    }

    /// A new connection, checked with PING.
    async fn connect(&self) -> Result<(), SharedError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout.max(Duration::from_secs(1))))
            .set_response_timeout(Some(self.timeout));
        let mut connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        redis::cmd("PING").query_async::<String>(&mut connection).await?;
        self.up(connection);
        Ok(())
    }

    /// The batch to send: the unconfirmed one again, else a new one from what was counted.
    fn batch(&self) -> Option<Batch> {
        let mut pending = lock(&self.pending);
        if pending.batch.is_none() {
            let counts = std::mem::take(&mut pending.next);
            if counts.values().all(BTreeMap::is_empty) {
                return None;
            }
            pending.sequence += 1;
            let id = format!("{}:{}", self.instance, pending.sequence);
            pending.batch = Some(Batch { id, counts });
        }
        pending.batch.clone()
    }

    /// Sends counts until none are left.
    async fn flush(&self) -> Result<(), SharedError> {
        while let Some(batch) = self.batch() {
            let mut connection = self
                .usable()
                .ok_or_else(|| SharedError::Down(self.degraded_reason()))?;
            let counters: Vec<&Counter> = batch.counts.keys().collect();
            let mut script = self.apply_batch.prepare_invoke();
            script.key(format!("{}:batch:{}", self.prefix, batch.id));
            for counter in &counters {
                script.key(self.hash(**counter));
            }
            script.arg(BATCH_TTL_SECONDS);
            for (index, fields) in batch.counts.values().enumerate() {
                for (field, n) in fields {
                    script.arg(index + 2).arg(field).arg(n);
                }
            }
            script.invoke_async::<i64>(&mut connection).await?;
            {
                let mut pending = lock(&self.pending);
                if pending.batch.as_ref().is_some_and(|b| b.id == batch.id) {
                    pending.batch = None;
                }
            }
            for counter in counters {
                let trimmed = (self.trim.key(self.hash(*counter)))
                    .arg(MAX_FIELDS)
                    .arg(KEEP_FIELDS)
                    .invoke_async::<i64>(&mut connection)
                    .await;
                // The counts are in: a trim that fails is no outage, it is tried again
                // after the next batch.
                match trimmed {
                    Ok(0) => {}
                    Ok(gone) => {
                        tracing::info!(counter = counter.name(), gone, "the rarest counters left Redis")
                    }
                    Err(error) => {
                        tracing::warn!(counter = counter.name(), %error, "cannot trim the counters in Redis")
                    }
                }
            }
        }
        Ok(())
    }

    async fn heartbeat(&self, beat: &str) -> Result<(), SharedError> {
        let mut connection = self
            .usable()
            .ok_or_else(|| SharedError::Down(self.degraded_reason()))?;
        let beat = format!("{beat} {}", super::clock::unix_now());
        redis::cmd("SET")
            .arg(format!("{}:heartbeat:{}", self.prefix, self.host))
            .arg(beat)
            .arg("EX")
            .arg(BEAT_TTL_SECONDS)
            .query_async::<()>(&mut connection)
            .await?;
        Ok(())
    }
}

/// Reconnects after an outage and writes the heartbeat (at once when what it says changed).
async fn keep(inner: Arc<Inner>) {
    let mut last_beat: Option<(Instant, String)> = None;
    loop {
        if !inner.healthy.load(Ordering::Acquire)
            && let Err(reason) = inner.connect().await
        {
            inner.down(&reason);
        }
        let beat = lock(&inner.beat).clone();
        let due = last_beat
            .as_ref()
            .is_none_or(|(at, said)| at.elapsed() >= BEAT_EVERY || *said != beat);
        if inner.healthy.load(Ordering::Acquire) && due {
            match inner.heartbeat(&beat).await {
                Ok(()) => last_beat = Some((Instant::now(), beat)),
                Err(reason) => inner.down(&reason),
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Sends counts soon after they are counted, and retries every tick.
async fn flush_when_woken(inner: Arc<Inner>) {
    loop {
        tokio::select! {
            () = inner.wake.notified() => {}
            () = tokio::time::sleep(TICK) => {}
        }
        if inner.healthy.load(Ordering::Acquire)
            && let Err(reason) = inner.flush().await
        {
            inner.down(&reason);
        }
    }
}
