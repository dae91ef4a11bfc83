//! Help forums: a new post in a configured forum channel arrives as a thread create and its
//! starter message (the message's id is the thread's), in either order since serenity runs
//! events concurrently. This pairs the two halves and remembers the threads already
//! handled, so each post is considered once. Bounded: a restart forgets, and only a thread
//! Discord sends again could then be answered twice.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use serenity::all::{GuildChannel, Message};

/// Threads remembered in each list; far more than posts in flight at once.
const REMEMBERED: usize = 1024;

/// A new forum post, both halves seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub thread: u64,
    pub author: u64,
    /// Title, then the starter message's content.
    pub text: String,
}

pub struct Forums {
    channels: HashSet<u64>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Titles of threads created in a configured forum whose starter has not come yet.
    titles: Recent<String>,
    /// Starter messages (author, content) whose thread has not come yet.
    starters: Recent<(u64, String)>,
    /// Threads already paired (answered or judged too uncertain).
    handled: Recent<()>,
}

/// The last `REMEMBERED` entries by thread id.
struct Recent<T>(VecDeque<(u64, T)>);

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Recent(VecDeque::new())
    }
}

impl<T> Recent<T> {
    fn insert(&mut self, id: u64, value: T) {
        if self.0.len() >= REMEMBERED {
            self.0.pop_front();
        }
        self.0.push_back((id, value));
    }

    fn take(&mut self, id: u64) -> Option<T> {
        let at = self.0.iter().position(|(i, _)| *i == id)?;
        self.0.remove(at).map(|(_, value)| value)
    }

    fn contains(&self, id: u64) -> bool {
        self.0.iter().any(|(i, _)| *i == id)
    }
}

impl Forums {
    pub fn new(channels: &[u64]) -> Forums {
        Forums {
            channels: channels.iter().copied().collect(),
            state: Mutex::new(State::default()),
        }
    }

    /// A thread was created: a post when it is in a configured forum and its starter
    /// message came first.
    pub fn thread_created(&self, thread: &GuildChannel) -> Option<Post> {
        let parent = thread.parent_id?.get();
        if !self.channels.contains(&parent) {
            return None;
        }
        let id = thread.id.get();
        let mut state = self.lock();
        if state.handled.contains(id) || state.titles.contains(id) {
            return None;
        }
        match state.starters.take(id) {
            Some((author, content)) => {
                state.handled.insert(id, ());
                Some(post(id, author, &thread.name, &content))
            }
            None => {
                state.titles.insert(id, thread.name.clone());
                None
            }
        }
    }

    /// A message was created: a post when it starts a thread whose create came first. Bots
    /// (this one included) and webhooks are never answered.
    pub fn message_created(&self, message: &Message) -> Option<Post> {
        if self.channels.is_empty() || !may_start_post(message) {
            return None;
        }
        let id = message.id.get();
        let author = message.author.id.get();
        let mut state = self.lock();
        if state.handled.contains(id) || state.starters.contains(id) {
            return None;
        }
        match state.titles.take(id) {
            Some(title) => {
                state.handled.insert(id, ());
                Some(post(id, author, &title, &message.content))
            }
            None => {
                state.starters.insert(id, (author, message.content.clone()));
                None
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }
}

/// Whether a message may start a forum post: a member's (not a bot's or a webhook's) that
/// starts its thread (a thread's starter has the thread's id). Asked before the message
/// waits for a handler thread: with forums set every message of every server comes.
pub fn may_start_post(message: &Message) -> bool {
    !message.author.bot && message.webhook_id.is_none() && message.id.get() == message.channel_id.get()
}

fn post(thread: u64, author: u64, title: &str, content: &str) -> Post {
    Post {
        thread,
        author,
        text: format!("{title}\n{content}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_forgets_the_oldest_beyond_its_bound() {
        let mut recent = Recent::default();
        for id in 0..(REMEMBERED as u64 + 1) {
            recent.insert(id, ());
        }
        assert!(!recent.contains(0));
        assert!(recent.contains(1));
        assert!(recent.contains(REMEMBERED as u64));
        assert_eq!(recent.take(1), Some(()));
        assert!(!recent.contains(1));
    }
}
