//! An index of stored events by user and by kind, written by analysis.
//!
//! The event store reads a tenant's events in time order only. Pages that show one user's activity or the
//! newest messages would otherwise read every event of the tenant. Analysis visits every event anyway, so it
//! notes each event's store sequence number under the keys a reader looks up, and saves them with the
//! engine state. Events stored after the last analysis are not in the index yet: readers take those from the
//! store with [`harrier_store::Store::for_each_event_stored_after`], after [`IndexedEvents::through`].

use harrier_model::{Activity, Event, TenantId};

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
    /// Returns the key as stored: a 64-bit hash of the tenant and the key's text (`user:` and the lower-cased
    /// user, `messages` or `link_clicks`). Readers check the tenant, user and kind of each event they read,
    /// so a collision of two keys costs a wasted read, never a wrong result.
    pub(crate) fn hash(&self, tenant: &TenantId) -> i64 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(tenant.as_str().as_bytes());
        hasher.update(&[0]);
        match self {
            IndexKey::User(user) => {
                hasher.update(b"user:");
                hasher.update(user.to_ascii_lowercase().as_bytes());
            }
            IndexKey::Messages => hasher.update(b"messages"),
            IndexKey::LinkClicks => hasher.update(b"link_clicks"),
        }
        hasher.digest() as i64
    }
}

/// The index entries of one analysis run of one tenant, before they are saved.
#[derive(Debug, Default)]
pub struct IndexBatch {
    /// The key hash, time and store sequence number of each entry.
    entries: Vec<(i64, i64, i64)>,
}

impl IndexBatch {
    /// Notes `event`, stored with sequence number `seq`, under each key it is found by.
    pub fn add(&mut self, event: &Event, seq: i64) {
        let time_ms = event.time.as_millisecond();
        if let Some(user) = event.actor.user.as_deref() {
            self.entries.push((IndexKey::User(user).hash(&event.tenant), time_ms, seq));
        }
        let kind = match event.activity {
            Activity::Email(_) => IndexKey::Messages,
            Activity::LinkClick(_) => IndexKey::LinkClicks,
            _ => return,
        };
        self.entries.push((kind.hash(&event.tenant), time_ms, seq));
    }

    /// Returns the entries sorted by key, so that inserting them in turn touches each page of the index once.
    pub(crate) fn sorted(&mut self) -> &[(i64, i64, i64)] {
        self.entries.sort_unstable();
        &self.entries
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
