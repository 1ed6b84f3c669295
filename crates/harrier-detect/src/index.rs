//! An index of stored events by user and by kind, written by analysis.
//!
//! The event store reads a tenant's events in time order only. Pages that show one user's activity or the
//! newest messages would otherwise read every event of the tenant. Analysis visits every event anyway, so it
//! notes each event's store sequence number under the keys a reader looks up, and saves them with the
//! engine state. Events stored after the last analysis are not in the index yet: readers take those from the
//! store with [`harrier_store::Store::for_each_event_stored_after`], after [`IndexedEvents::through`].

use std::collections::HashMap;

use harrier_model::{Activity, Event};

/// The key an indexed event is looked up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKey<'a> {
    /// Events whose actor is this user, compared without case as user principal names are.
    User(&'a str),
    /// Analysed email messages.
    Messages,
    /// Clicks on locked links.
    LinkClicks,
}

impl IndexKey<'_> {
    /// Returns the key as stored: `user:` and the lower-cased user, `messages` or `link_clicks`.
    pub(crate) fn text(&self) -> String {
        match self {
            IndexKey::User(user) => format!("user:{}", user.to_ascii_lowercase()),
            IndexKey::Messages => "messages".to_owned(),
            IndexKey::LinkClicks => "link_clicks".to_owned(),
        }
    }
}

/// The index entries of one analysis run of one tenant, before they are saved.
#[derive(Debug, Default)]
pub struct IndexBatch {
    keys: HashMap<String, u32>,
    names: Vec<String>,
    /// The key number, time and store sequence number of each entry.
    entries: Vec<(u32, i64, i64)>,
}

impl IndexBatch {
    /// Notes `event`, stored with sequence number `seq`, under each key it is found by.
    pub fn add(&mut self, event: &Event, seq: i64) {
        let time_ms = event.time.as_millisecond();
        if let Some(user) = event.actor.user.as_deref() {
            self.push(IndexKey::User(user), time_ms, seq);
        }
        match event.activity {
            Activity::Email(_) => self.push(IndexKey::Messages, time_ms, seq),
            Activity::LinkClick(_) => self.push(IndexKey::LinkClicks, time_ms, seq),
            _ => {}
        }
    }

    fn push(&mut self, key: IndexKey<'_>, time_ms: i64, seq: i64) {
        let text = key.text();
        let number = match self.keys.get(&text) {
            Some(&number) => number,
            None => {
                let number = self.names.len() as u32;
                self.names.push(text.clone());
                self.keys.insert(text, number);
                number
            }
        };
        self.entries.push((number, time_ms, seq));
    }

    /// Returns each entry's key, time and sequence number.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, i64, i64)> {
        self.entries.iter().map(|&(number, time_ms, seq)| (self.names[number as usize].as_str(), time_ms, seq))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The store sequence numbers of a tenant's events under one key, in time order, and how far the index
/// reaches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexedEvents {
    pub seqs: Vec<i64>,
    /// The largest store sequence number analysis had seen when it last saved: events stored after it are
    /// not indexed yet. 0 when the tenant was never analysed.
    pub through: i64,
}
