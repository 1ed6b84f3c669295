//! harrier in the mail flow: a milter server that Postfix (or Sendmail) calls for each message.
//!
//! For each message the [`session`] collects the macros, headers and body Postfix sends, and at the end of
//! the body [`inspect`] parses and analyses it exactly as `harrier scan` does. It then plans the message
//! actions with [`harrier_respond::plan_message`] from the policy's message rules. The planned actions are
//! carried out proportionately: [`rewrite`] locks only the chosen links and replaces only the dangerous
//! attachments, leaving every other byte of the MIME structure as it was, and a hold becomes Postfix's
//! quarantine (`SMFIR_QUARANTINE`, the hold queue). Every message gets verdict headers. Every action is
//! recorded in the action log with its evidence and the Postfix queue id, and [`release`] lets
//! `harrier actions undo` release a held message with `postsuper -H`.
//!
//! Mode semantics in the mail flow: observe adds the headers only and logs what would have been done.
//! Confirm holds the message when a hold is planned (releasing it is the approval), and logs the other
//! actions as pending while the message is delivered with headers only. Autonomous carries every action
//! out. Errors and timeouts fail open (accept with an `X-Harrier-Error` header) or closed (tempfail), as
//! configured; no path drops a message.

pub mod config;
pub mod inspect;
pub mod release;
pub mod rewrite;
pub mod server;
pub mod session;

pub use config::{MilterConfig, OnError};
pub use release::{ReleaseError, release_held};
pub use server::{ServerError, bind, serve};
