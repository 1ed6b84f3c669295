//! Mail reading for harrier's email analysis.
//!
//! The crate has two stages. Readers turn a path into a stream of [`RawMessage`]s, and
//! [`parse_message`] turns each into a [`MailMessage`] summary.
//!
//! - [`open`] detects the format with [`detect_format`]: a directory with `cur/` or `new/` is a maildir,
//!   a file that starts with `From ` is an mbox, and any other file is one `.eml` message. The mbox
//!   reader ([`MboxReader`]) streams, so memory use is bounded by the per-message size limit in
//!   [`ReadOptions`] rather than by the file size.
//! - A message over the limit, or a maildir file that cannot be read, becomes a [`ReadItem::Skipped`]
//!   naming the file, the message index and the reason. Reading goes on with the next message.
//! - [`parse_message`] uses `mail-parser` with its full charset support (`encoding_rs`). It returns a
//!   summary for any input, with what it could read and the structural problems it found in
//!   [`MailMessage::defects`]. The tests feed it random bytes and truncated fixtures.
//! - Authentication-Results headers are kept raw and parsed into method results
//!   ([`AuthenticationResults`]). URLs are collected from text and HTML parts, with anchor text for HTML
//!   links ([`FoundUrl`]). Attachments carry the type detected from their magic bytes ([`Attachment`]).
//! - Verdict headers that upstream filters wrote (X-Forefront-Antispam-Report, X-Microsoft-Antispam*,
//!   X-MS-Exchange-Organization-SCL, X-Spam-*) go to [`MailMessage::upstream_verdicts`] only, so later
//!   stages cannot mistake another filter's opinion for evidence.
//!
//! - [`analyze`] turns a summary into factors (links, sender identity, authentication results,
//!   attachments, fraud language) and a [`Verdict`]: a score from 0 to 100 and a [`Class`]. The weights
//!   are one table, [`analysis::WEIGHTS`], and the word and host lists are text files under `data/`.
//!
//! Nothing in this crate resolves or fetches a URL or a host name found in a message.
//!
//! ```no_run
//! use harrier_mail::{open, parse_message, ReadItem, ReadOptions};
//!
//! for item in open("mail.mbox".as_ref(), ReadOptions::default())? {
//!     match item {
//!         ReadItem::Message(raw) => println!("{}", parse_message(&raw).record_id),
//!         ReadItem::Skipped(skipped) => eprintln!("{skipped}"),
//!     }
//! }
//! # Ok::<(), harrier_mail::MailError>(())
//! ```

pub mod analysis;
mod attachment;
mod auth;
mod error;
mod mbox;
mod message;
mod origin;
mod read;
mod urls;
pub mod verify;

pub use analysis::{Analysis, AnalysisOptions, Class, Factor, FactorKind, Verdict, analyze};
pub use attachment::Attachment;
pub use auth::{AuthResult, AuthenticationResults};
pub use error::MailError;
pub use mbox::MboxReader;
pub use message::{
    Defect, HeaderField, MAX_ATTACHED_MESSAGE_DEPTH, MailMessage, Mailbox, ReceivedHop, is_upstream_verdict,
    parse_message, strip_upstream_verdicts,
};
pub use origin::{MailFormat, MessageOrigin, SkipReason, Skipped};
pub use read::{
    DEFAULT_MAX_MESSAGE_BYTES, MailReader, RawMessage, ReadItem, ReadOptions, detect_format, is_gzip_file, is_mail_file, looks_like_message, open,
};
pub use urls::{FoundUrl, UrlSource, urls_in_html, urls_in_text};
