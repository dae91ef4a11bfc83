//! Counters kept per topic and per key (a query, a section): what `gaps.json` and
//! `feedback.json` hold, each file with its own value type.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// Where counts come from, in a topic's key: `topic@place`, the place a server's id, or
/// [`DIRECT`] for direct messages and group chats, so `/gaps` in one server shows what was
/// asked there only. Files older than places hold bare topics: the place is unknown.
pub fn scoped(topic: &str, place: &str) -> String {
    format!("{topic}@{place}")
}

/// The place of direct messages and group chats.
pub const DIRECT: &str = "dm";

/// The place of an interaction: its server's id, or [`DIRECT`].
pub fn place(guild: Option<u64>) -> String {
    guild.map_or_else(|| DIRECT.to_string(), |id| id.to_string())
}

/// The topic and place of a stored topic key (see [`scoped`]); a topic name holds no `@`.
pub fn scope_of(key: &str) -> (&str, Option<&str>) {
    match key.split_once('@') {
        Some((topic, place)) => (topic, Some(place)),
        None => (key, None),
    }
}

/// topic → key → value; serialised as that nested map, so the files keep their format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ByTopic<T>(BTreeMap<String, BTreeMap<String, T>>);

impl<T> Default for ByTopic<T> {
    fn default() -> Self {
        ByTopic(BTreeMap::new())
    }
}

impl<T> ByTopic<T> {
    /// Every (topic key, key, value) of one topic (in any place) or of all, in order.
    pub fn iter<'a>(
        &'a self,
        topic: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a str, &'a str, &'a T)> + 'a {
        self.0
            .iter()
            .filter(move |(t, _)| topic.is_none_or(|want| want == scope_of(t).0))
            .flat_map(|(topic, values)| {
                values
                    .iter()
                    .map(move |(key, value)| (topic.as_str(), key.as_str(), value))
            })
    }

    /// Every (topic, place, key, value) of one topic or of all, counted in one place or
    /// anywhere (see [`scoped`]), in order.
    pub fn in_place<'a>(
        &'a self,
        place: Option<&'a str>,
        topic: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a str, Option<&'a str>, &'a str, &'a T)> + 'a {
        self.iter(topic)
            .map(|(scoped_topic, key, value)| {
                let (topic, counted_in) = scope_of(scoped_topic);
                (topic, counted_in, key, value)
            })
            .filter(move |(_, counted_in, _, _)| place.is_none_or(|want| *counted_in == Some(want)))
    }

    pub fn get(&self, topic: &str, key: &str) -> Option<&T> {
        self.0.get(topic)?.get(key)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.0.values_mut().flat_map(BTreeMap::values_mut)
    }

    pub fn len(&self) -> usize {
        self.0.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the `max` entries that rank highest by `rank` (earlier ones first on a tie).
    pub fn keep_top<R: Ord>(&mut self, max: usize, rank: impl Fn(&T) -> R) {
        if self.len() <= max {
            return;
        }
        let mut all: Vec<(R, &str, &str)> = self.iter(None).map(|(t, k, v)| (rank(v), t, k)).collect();
        all.sort_by(|a, b| b.0.cmp(&a.0));
        let keep: HashSet<(String, String)> = all
            .into_iter()
            .take(max)
            .map(|(_, topic, key)| (topic.to_string(), key.to_string()))
            .collect();
        for (topic, values) in &mut self.0 {
            values.retain(|key, _| keep.contains(&(topic.clone(), key.clone())));
        }
        self.0.retain(|_, values| !values.is_empty());
    }
}

impl<T: Default> ByTopic<T> {
    /// The value of `key` under `topic`, made with `T::default()` if there is none yet.
    pub fn slot(&mut self, topic: &str, key: &str) -> &mut T {
        self.0
            .entry(topic.to_string())
            .or_default()
            .entry(key.to_string())
            .or_default()
    }

    /// Adds each of `other`'s values into this one's with `add`.
    pub fn merge(&mut self, other: &ByTopic<T>, mut add: impl FnMut(&mut T, &T)) {
        for (topic, key, value) in other.iter(None) {
            add(self.slot(topic, key), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_merge_and_filter_by_topic() {
        let mut counts: ByTopic<u64> = ByTopic::default();
        *counts.slot("a", "x") += 2;
        *counts.slot("b", "y") += 1;
        let mut more = ByTopic::default();
        *more.slot("a", "x") += 3;
        *more.slot("a", "z") += 1;
        counts.merge(&more, |mine, theirs| *mine += theirs);
        assert_eq!(counts.get("a", "x"), Some(&5));
        assert_eq!(counts.len(), 3);
        let a: Vec<_> = counts.iter(Some("a")).map(|(_, k, v)| (k, *v)).collect();
        assert_eq!(a, vec![("x", 5), ("z", 1)]);
    }

    #[test]
    fn a_topic_is_found_in_every_place() {
        let mut counts: ByTopic<u64> = ByTopic::default();
        *counts.slot(&scoped("a", "1190000000000000001"), "x") += 1;
        *counts.slot(&scoped("a", DIRECT), "y") += 1;
        *counts.slot("a", "z") += 1;
        *counts.slot(&scoped("ab", DIRECT), "w") += 1;
        let a: Vec<_> = counts.iter(Some("a")).map(|(t, k, _)| (scope_of(t), k)).collect();
        assert_eq!(
            a,
            vec![
                (("a", None), "z"),
                (("a", Some("1190000000000000001")), "x"),
                (("a", Some("dm")), "y")
            ]
        );
        assert_eq!(place(Some(7)), "7");
        assert_eq!(place(None), "dm");
    }

    #[test]
    fn keep_top_keeps_the_highest_and_drops_empty_topics() {
        let mut counts: ByTopic<u64> = ByTopic::default();
        *counts.slot("a", "x") = 1;
        *counts.slot("b", "y") = 9;
        *counts.slot("b", "z") = 5;
        counts.keep_top(2, |n| *n);
        assert_eq!(counts.len(), 2);
        assert_eq!(counts.get("a", "x"), None);
        assert_eq!(counts.get("b", "y"), Some(&9));
        // The file format is the nested map, without empty topics.
        let json = serde_json::to_string(&counts).unwrap_or_default();
        assert_eq!(json, r#"{"b":{"y":9,"z":5}}"#);
    }
}
