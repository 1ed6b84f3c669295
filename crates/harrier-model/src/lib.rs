//! The normalised event model.
//!
//! Every reader turns its source format into [`Event`]s, and every later stage (enrichment, learning,
//! detection, response, export) consumes events without knowing where they came from. An event carries the
//! fields the detection models need in typed form, and a [`Record`] keeps the source record beside it, so
//! nothing the source said is lost.

pub mod activity;
pub mod event;
pub mod ip;
pub mod mail;

pub use activity::*;
pub use event::{Actor, ActorKind, Client, Event, Outcome, Record, SourceFormat, TenantId};
pub use ip::{IpClass, IpInfo};
pub use mail::{EmailMessage, MailDirection, MailFactor, MailRelay, MailSource, MailVerdict};
