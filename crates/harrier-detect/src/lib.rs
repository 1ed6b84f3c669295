//! Detection: named models that read each event against the learned baselines, model breaches that carry
//! their evidence and the baseline they departed from, and incidents that chain a user's breaches into one
//! story.
//!
//! The [`Engine`] processes a tenant's events in time order. For each event it scores the event against
//! the baselines learned so far, runs every enabled [`Model`], remembers what later events need (recent
//! failures, the last sign-in, earlier breaches), and only then learns from the event. Breaches chain into
//! [`Incident`]s per user. [`analyse`] runs the engine over the event store and saves the results.

mod analyse;
mod breach;
mod db;
mod engine;
mod incident;
mod index;
mod model;
pub mod models;
mod recent;
pub mod report;
mod settings;

pub use analyse::{AnalyseError, AnalysisSummary, analyse};
pub use breach::{Breach, Deviation, Evidence, ModelInfo, Severity, Stage, Technique};
pub use db::{AnalysisDb, Change, DATABASE_FILE, DbError, Finding, FindingKind, ModelUpdate};
pub use engine::{Cursor, Engine, TenantState};
pub use incident::{Incident, IncidentBuilder};
pub use index::{IndexBatch, IndexKey, IndexedEvents};
pub use model::{Context, Model, Param};
pub use recent::{Attempt, Grant, Mark, SignInPoint, SourceRecent, TenantRecent, UserRecent};
pub use settings::{IncidentSettings, ModelSettings, Settings, SettingsError};
