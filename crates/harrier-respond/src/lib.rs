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
//! NOTE: no executor carries out approved actions yet (the Graph client and the milter come later), so an
//! approved action stays approved until an operator acts on it and records the outcome.

mod action;
mod log;
mod planner;
mod policy;
mod run;

pub use action::{ActionKind, Mode, Target};
pub use log::{ActionLog, ActionState, Entry, LogError, Status};
pub use planner::{Decision, GuardState, NotApplied, Plan, PlannedAction, kinds, plan, write_plan};
pub use policy::{DEFAULT_POLICY, Guards, Policy, PolicyError, Rule};
pub use run::{PlanSummary, RespondError, plan_new};
