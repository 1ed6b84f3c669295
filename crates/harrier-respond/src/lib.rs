//! Proportionate response: the planner that chooses actions for an incident from a decision table, and
//! the tamper-evident log of every action planned, decided and carried out.
//!
//! The [`Policy`] is data an operator reads and tunes (`data/response.toml` is the built-in one). Each
//! rule names the breaches it applies to (by model or kill-chain stage and a minimum score) and the action
//! it plans on the target the breach names: the user, the inbox rule, the application. Each action kind
//! has a [`Mode`]: observe, confirm or autonomous. Guards apply whatever the rules plan: protected accounts
//! are never disabled, a kill switch queues every autonomous action for approval, and autonomous actions
//! per tenant and hour are limited. [`plan`] records why each action was planned, why a guard changed its
//! decision, and why each rule that planned nothing did not apply.
//!
//! The [`ActionLog`] appends every plan and every later decision (approve, reject, done, failed, undone)
//! as an entry chained to the one before by SHA-256. [`plan_new`] plans the incidents that analysis opened
//! or changed since its last run, from the analysis database's findings log.
//!
//! [`execute`] carries out approved SaaS actions and the mailbox message moves (to Junk Email or to a
//! `harrier-held` folder) through Microsoft Graph ([`GraphClient`]), and records what [`undo`] needs to
//! reverse them. [`deliver_new`] sends the log's new entries to a SOAR webhook. [`linkserver`] serves the
//! link-lock warning page and stores each click as an event.
//!
//! [`plan_message`] plans the actions on one message in the mail flow (lock a link, neutralise an
//! attachment, junk, hold) from the policy's message rules; `harrier milter` carries them out.
//!
//! NOTE: forwarding, transport rules and mailbox permissions live in Exchange Online, which Graph does not
//! reach, so these actions fail with the Exchange Online PowerShell command an operator runs instead.

mod action;
mod execute;
mod feed;
mod graph;
pub mod linklock;
pub mod linkserver;
mod log;
mod message;
mod planner;
mod policy;
pub mod proxy;
mod run;

pub use action::{ActionKind, Mode, Target};
pub use execute::{ExecuteError, HELD_FOLDER, execute, undo};
pub use feed::{FeedBatch, FeedEntry, FeedError, deliver_new};
pub use graph::{GraphClient, GraphConfig, GraphError};
pub use log::{ActionLog, ActionState, Entry, LogError, Status};
pub use message::{MessageCondition, MessageFindings, MessagePlan, MessageRule, PayloadFinding, plan_message};
pub use planner::{Decision, GuardState, NotApplied, Plan, PlannedAction, plan, write_plan};
pub use policy::{DEFAULT_POLICY, Guards, Policy, PolicyError, Rule};
pub use run::{PlanSummary, RespondError, plan_new};

