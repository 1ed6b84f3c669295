//! A mail message as an event: who wrote to whom, through which infrastructure, with which links and
//! attachments, and the verdict of the per-message analysis.
//!
//! Mail files (.eml, mbox, maildir) are read in the same replay as the SaaS logs. Each message becomes an
//! [`Activity::Email`](crate::Activity::Email) event whose time is the message's Date, so mail and log
//! events of one tenant are ordered together. The message itself stays in its file: the event's raw
//! record is a [`MailSource`] reference to it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Which way a message travels, seen from the organisation's protected domains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailDirection {
    /// From outside to users of the organisation.
    #[default]
    Inbound,
    /// From a user of the organisation to someone outside.
    Outbound,
    /// From a user of the organisation to other users only.
    Internal,
}

impl MailDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            MailDirection::Inbound => "inbound",
            MailDirection::Outbound => "outbound",
            MailDirection::Internal => "internal",
        }
    }
}

/// One relaying hop of the Received chain: the host that handed the message on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRelay {
    pub ip: IpAddr,
    /// The autonomous system of the address, from offline IP data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_org: Option<String>,
}

/// One factor of the analysis verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailFactor {
    /// The factor kind in snake case (`credential_request`, `dmarc_fail`).
    pub kind: String,
    pub detail: String,
    /// Points it added to the score.
    pub weight: u32,
}

/// The analysis verdict of a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailVerdict {
    /// `credential_phishing`, `bec_fraud`, `malware`, `spoofing`, `spam`, `graymail` or `clean`.
    pub class: String,
    /// From 0 (nothing found) to 100.
    pub score: u32,
    pub factors: Vec<MailFactor>,
}

impl MailVerdict {
    /// Returns whether a factor of `kind` is present.
    pub fn has(&self, kind: &str) -> bool {
        self.factors.iter().any(|factor| factor.kind == kind)
    }
}

/// A mail message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub direction: MailDirection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The From address, lower-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// The To, Cc and Bcc addresses, lower-cased, without repeats.
    pub recipients: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reply_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// True when the message answers an earlier one (In-Reply-To or References).
    #[serde(default)]
    pub is_reply: bool,
    /// The hosts that relayed the message, most recent first, with their ASNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relays: Vec<MailRelay>,
    /// The domains (`d=`) of the DKIM signatures: those that passed when results are known, else every
    /// signature's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dkim_domains: Vec<String>,
    /// The registrable domains of the links, without repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link_domains: Vec<String>,
    /// The detected types of the attachments (`pdf`, `zip`, `exe`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_types: Vec<String>,
    /// Valid IBANs found in the text, for tracking a sender's payment details.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ibans: Vec<String>,
    pub verdict: MailVerdict,
}

impl EmailMessage {
    /// Returns the domain of the From address.
    pub fn from_domain(&self) -> Option<&str> {
        self.from.as_deref().and_then(|from| from.rsplit_once('@')).map(|(_, domain)| domain)
    }
}

/// Where the message of an email event is stored: the event's raw record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSource {
    /// The file the message was read from.
    pub path: String,
    /// The position of the message within an mbox file or maildir listing; 0 for an `.eml` file.
    pub index: usize,
    /// `eml`, `mbox` or `maildir`.
    pub format: String,
    /// The message size in bytes.
    pub size: u64,
    /// The xxh3-128 hash of the message bytes, in hex, to check the file still holds the same message.
    pub xxh3: String,
}
