//! The settings of a running milter.

use std::path::PathBuf;
use std::time::Duration;

use harrier_mail::AnalysisOptions;
use harrier_respond::Policy;
use harrier_respond::linklock::LinkKeys;

/// The milter's reply when analysis fails or times out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Accept the message unchanged, with an `X-Harrier-Error` header saying why.
    Accept,
    /// Reply with a temporary failure, so the sending MTA retries later.
    Tempfail,
}

/// The link-lock endpoint that locked links point to, and the keys that sign their tokens.
pub struct LinkLock {
    pub keys: LinkKeys,
    /// The link-lock endpoint, such as `https://harrier.example.org`; tokens go under `/l/`.
    pub base: String,
    /// How long a locked link stays valid, in days.
    pub valid_days: i64,
}

/// The settings shared by every milter connection.
pub struct MilterConfig {
    /// The folder with `actions.sqlite`.
    pub data_dir: PathBuf,
    pub policy: Policy,
    pub analysis: AnalysisOptions,
    /// The link-lock keys; without them planned link locks are logged as failed and not carried out.
    pub link_lock: Option<LinkLock>,
    pub on_error: OnError,
    /// The maximum time from the end of the message to the milter's reply.
    pub timeout: Duration,
    /// The tenant recorded with each action and in link-lock tokens.
    pub tenant: String,
    /// The Postfix configuration folder `postsuper -c` is given when a held message is released; `None`
    /// uses Postfix's default.
    pub postfix_config_dir: Option<PathBuf>,
}
