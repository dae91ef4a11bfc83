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

    /// Keeps at most `max` entries, shared among places (see [`scoped`]): each place's
    /// highest by `rank` first, taken in turn (every place's k-th before any place's
    /// k+1-th), so one busy server cannot push another's counts out. Earlier entries
    /// first on a tie.
    pub fn keep_top<R: Ord>(&mut self, max: usize, rank: impl Fn(&T) -> R) {
        if self.len() <= max {
            return;
        }
        let mut by_place: BTreeMap<Option<&str>, Vec<(R, &str, &str)>> = BTreeMap::new();
        for (topic, key, value) in self.iter(None) {
            let place = scope_of(topic).1;
            by_place.entry(place).or_default().push((rank(value), topic, key));
        }
        let mut turns: Vec<(usize, R, &str, &str)> = Vec::with_capacity(self.len());
        for mut entries in by_place.into_values() {
            entries.sort_by(|a, b| b.0.cmp(&a.0));
            turns.extend((entries.into_iter().enumerate()).map(|(turn, (r, t, k))| (turn, r, t, k)));
        }
        turns.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let keep: HashSet<(String, String)> = turns
            .into_iter()
            .take(max)
            .map(|(_, _, topic, key)| (topic.to_string(), key.to_string()))
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

    /// A server that asks a lot cannot push out what a quiet one asked: each place's best
    /// are kept in turn.
    #[test]
    fn keep_top_shares_among_places() {
        let mut counts: ByTopic<u64> = ByTopic::default();
        let busy = scoped("a", "1");
        for n in 0..10 {
            *counts.slot(&busy, &format!("q{n}")) = 100 + n;
        }
        *counts.slot(&scoped("a", "2"), "quiet") = 1;
        *counts.slot(&scoped("b", "2"), "quieter") = 1;
        *counts.slot(&scoped("a", DIRECT), "dm") = 2;
        counts.keep_top(6, |n| *n);
        assert_eq!(counts.len(), 6);
        // Place 2's best (`quiet`, a tie broken by order) and the direct messages' one stay.
        assert_eq!(counts.get(&scoped("a", "2"), "quiet"), Some(&1));
        assert_eq!(counts.get(&scoped("a", DIRECT), "dm"), Some(&2));
        // Then turns: place 1's second and place 2's second (`quieter`) before its third.
        assert_eq!(counts.get(&scoped("b", "2"), "quieter"), Some(&1));
        let busy_kept: Vec<u64> = counts
            .iter(Some("a"))
            .filter(|(t, _, _)| *t == busy)
            .map(|(_, _, n)| *n)
            .collect();
        assert_eq!(busy_kept, vec![107, 108, 109]);
    }
}
