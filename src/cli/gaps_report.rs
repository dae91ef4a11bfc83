//! `notes-bot gaps`: the host's report of the questions asked most that the notes did not
//! answer, and the worst-rated answers, from every place the bot was asked.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::{Environment, Error, Paths, Result, printable};
use crate::bot::i18n::Lang;
use crate::bot::shared::Shared;
use crate::bot::state::State;
use crate::bot::{App, health};
use crate::config::Config;
use crate::feedback::{self, Rated, Ratings};
use crate::gaps::{self, Counts, Gap};
use crate::search::Index;

/// A gap and its words the notes never use (None: unknown).
#[derive(serde::Serialize)]
struct GapWords<'a> {
    #[serde(flatten)]
    gap: &'a Gap,
    lacking: Option<Vec<String>>,
}

/// `gaps`: the questions asked most that the notes did not answer.
pub fn gaps(
    out: &mut impl Write,
    paths: &Paths,
    env: &Environment,
    topic: Option<&str>,
    limit: usize,
    json: bool,
) -> Result {
    let config = paths.config(env)?;
    let (counts, ratings) = recorded(&config)?;
    // The host's report: every place, each row with its own.
    let top = counts.top(None, topic, limit);
    let worst = ratings.worst(None, topic, limit);
    let index = if top.is_empty() { None } else { index_of(&config) };
    let gaps: Vec<GapWords> = (top.iter())
        .map(|gap| GapWords {
            gap,
            lacking: (index.as_ref()).and_then(|index| index.lacking(&gap.query, Some(&gap.topic))),
        })
        .collect();
    if json {
        let value = serde_json::json!({ "gaps": gaps, "worst_rated": worst });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
        return Ok(());
    }
    if counts.topics.in_place(None, topic).next().is_some() {
        print_gaps(out, &gaps)?;
    } else {
        print_none_recorded(out, &config, &counts, topic)?;
    }
    print_worst(out, &worst)?;
    Ok(())
}

/// The counts and ratings, from Redis when the state is shared there, else from the data
/// folder's files.
fn recorded(config: &Config) -> Result<(Counts, Ratings)> {
    if config.state.redis_url.is_none() {
        return Ok((
            gaps::load(&gaps::file_in(&config.data_dir))?,
            feedback::load(&feedback::file_in(&config.data_dir))?,
        ));
    }
    let shared = Shared::start(&config.state, &health::host_name())?;
    if let Some(problem) = shared.degraded() {
        return Err(Error::GapsUnreadable(problem));
    }
    let mut counts = Counts::default();
    for (field, n) in shared.gaps() {
        counts.add_field(&field, n);
    }
    Ok((counts, shared.ratings()))
}

/// The notes' index, to tell each gap's words the notes never use, as /gaps shows them;
/// None (unknown, null in JSON) when the notes cannot be loaded: the counts stand alone.
fn index_of(config: &Config) -> Option<std::sync::Arc<Index>> {
    match App::load(config.clone()) {
        Ok((app, _)) => Some(app.index()),
        Err(e) => {
            let e = printable(&e.to_string()).into_owned();
            eprintln!("warning: the words the notes lack are not shown: {e}");
            None
        }
    }
}

/// The gaps as a table, each with where it was asked and the words the notes lack.
fn print_gaps(out: &mut impl Write, gaps: &[GapWords]) -> io::Result<()> {
    writeln!(out, "{:>8} {:>6}  topic / query (where asked)", "missed", "weak")?;
    for GapWords { gap, lacking } in gaps {
        let (topic, query) = (printable(&gap.topic), printable(&gap.query));
        let lacking = match lacking {
            Some(words) if !words.is_empty() => Lang::En.gap_lacking(&printable(&words.join(", "))),
            _ => String::new(),
        };
        let place = asked_in(gap.place.as_deref());
        writeln!(
            out,
            "{:>8} {:>6}  /{topic} “{query}”{place}{lacking}",
            gap.missed, gap.weak
        )?;
    }
    Ok(())
}

/// Nothing recorded for `topic` (or at all), and where the counts were looked for.
fn print_none_recorded(
    out: &mut impl Write,
    config: &Config,
    counts: &Counts,
    topic: Option<&str>,
) -> io::Result<()> {
    let place = match &config.state.redis_url {
        Some(url) => format!("Redis at {}", url.location()),
        None => config.data_dir.display().to_string(),
    };
    let others: BTreeSet<&str> = (counts.topics.in_place(None, None))
        .map(|(topic, ..)| topic)
        .collect();
    match topic {
        // A misspelt topic is told apart from a well-answered one.
        Some(topic) if !others.is_empty() => {
            const NAMED: usize = 10;
            let mut named: Vec<String> = others
                .iter()
                .take(NAMED)
                .map(|t| format!("/{}", printable(t)))
                .collect();
            if others.len() > NAMED {
                named.push("…".to_string());
            }
            writeln!(
                out,
                "No unanswered questions recorded for /{} in {place}; they are for {}.",
                printable(topic),
                named.join(", ")
            )
        }
        _ => writeln!(out, "No unanswered questions recorded in {place}."),
    }
}

/// The answers with the most 👎, each with the queries that drew them.
fn print_worst(out: &mut impl Write, worst: &[Rated]) -> io::Result<()> {
    if worst.is_empty() {
        return writeln!(out, "No 👎 recorded.");
    }
    writeln!(out, "\nWorst-rated answers:")?;
    writeln!(
        out,
        "{:>6} {:>6}  topic / section ← queries that drew a 👎",
        "👎", "👍"
    )?;
    for rated in worst {
        let asked: Vec<String> = rated
            .queries
            .iter()
            .map(|(query, n)| format!("“{}” ×{n}", printable(query)))
            .collect();
        let (topic, title) = (printable(&rated.topic), printable(&rated.title));
        let drew = if asked.is_empty() {
            String::new()
        } else {
            format!(" ← {}", asked.join(", "))
        };
        let place = asked_in(rated.place.as_deref());
        writeln!(
            out,
            "{:>6} {:>6}  /{topic} {title}{place}{drew}",
            rated.down, rated.up
        )?;
    }
    Ok(())
}

/// Where a gap was asked or a vote given, for the host's report: ` (server 1180…)`,
/// ` (DMs)`, nothing for counts older than places.
fn asked_in(place: Option<&str>) -> String {
    match place {
        Some(crate::by_topic::DIRECT) => " (DMs)".into(),
        Some(server) => format!(" (server {})", printable(server)),
        None => String::new(),
    }
}
