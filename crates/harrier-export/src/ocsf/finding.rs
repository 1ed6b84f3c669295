//! The OCSF 1.3.0 Detection Finding (class 2004) record as harrier writes it.
//!
//! The types follow the schema's attribute names and OCSF's type mapping: `integer_t` is `i32`, `long_t`
//! and `timestamp_t` (epoch milliseconds) are `i64`, `float_t` is `f64`. The same types serialise to JSON
//! lines with serde and to Arrow columns with serde_arrow, so both writers share one definition and the
//! Parquet schema follows from it. Optional attributes that harrier has no value for are left out of the
//! JSON and are null in Parquet.

use serde::{Deserialize, Serialize};

/// `class_uid` of Detection Finding.
pub const DETECTION_FINDING_CLASS: i32 = 2004;
/// `category_uid` of the Findings category.
pub const FINDINGS_CATEGORY: i32 = 2;
/// The OCSF version every record declares.
pub const OCSF_VERSION: &str = "1.3.0";
/// The ATT&CK release the technique catalogue follows.
pub const ATTACK_VERSION: &str = "16.1";

/// A Detection Finding record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionFinding {
    pub activity_id: i32,
    pub activity_name: String,
    pub category_uid: i32,
    pub category_name: String,
    pub class_uid: i32,
    pub class_name: String,
    pub type_uid: i64,
    pub type_name: String,
    /// When the finding was raised (for an incident, its latest step).
    pub time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    pub severity_id: i32,
    pub severity: String,
    pub confidence_id: i32,
    pub confidence: String,
    pub risk_score: i32,
    pub risk_level_id: i32,
    pub risk_level: String,
    pub status_id: i32,
    pub status: String,
    pub message: String,
    pub finding_info: FindingInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidences: Option<Vec<Evidences>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<ResourceDetails>>,
    pub metadata: Metadata,
    pub unmapped: Unmapped,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingInfo {
    pub uid: String,
    pub title: String,
    pub desc: String,
    pub analytic: Analytic,
    pub attacks: Vec<Attack>,
    pub types: Vec<String>,
    pub first_seen_time: i64,
    pub last_seen_time: i64,
    pub product_uid: String,
    pub related_events: Vec<RelatedEvent>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analytic {
    pub name: String,
    pub uid: String,
    pub version: String,
    pub type_id: i32,
    #[serde(rename = "type")]
    pub type_name: String,
}

/// An ATT&CK tactic, technique and sub-technique.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attack {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tactic: Option<NamedUid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique: Option<NamedUid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_technique: Option<NamedUid>,
    pub version: String,
}

/// The shape shared by OCSF's tactic, technique and sub-technique objects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedUid {
    pub name: String,
    pub uid: String,
}

/// An event a finding rests on: a source record for a breach, a breach for an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RelatedEvent {
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_uid: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attacks: Option<Vec<Attack>>,
}

/// One piece of evidence: who acted and from where.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidences {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_endpoint: Option<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

impl Evidences {
    pub fn is_empty(&self) -> bool {
        self.actor.is_none() && self.src_endpoint.is_none() && self.email.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub user: User,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_addr: Option<String>,
    pub type_id: i32,
    #[serde(rename = "type")]
    pub type_name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autonomous_system: Option<AutonomousSystem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutonomousSystem {
    pub number: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The message a mail finding is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Email {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A resource the finding concerns, such as the application of a consent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceDetails {
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub type_name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub product: Product,
    pub version: String,
    /// A stable id of this record: the finding's id, and for an incident's later changes the change's
    /// sequence number after it.
    pub uid: String,
    /// For a breach, the incident it belongs to; for an incident, its own id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_uid: Option<String>,
    pub tenant_uid: String,
    pub log_name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub name: String,
    pub vendor_name: String,
    pub version: String,
}

/// The facts OCSF 1.3 has no attribute for, under stable names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unmapped {
    pub harrier: HarrierDetails,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HarrierDetails {
    /// `breach` or `incident`.
    pub kind: String,
    /// The finding's score from 0 to 100, before rounding.
    pub score: f64,
    /// Kill-chain stages, in harrier's names (`initial_access`, `persistence`, ...).
    pub stages: Vec<String>,
    /// True when a breach was scored while the user or tenant was still learning.
    pub learning: bool,
    /// The model's facts, in the order the model gave them.
    pub evidence: Vec<NameValue>,
    /// The departures from the learned baseline.
    pub deviations: Vec<BaselineDeviation>,
    /// Other users' incidents sharing a source address with this one.
    pub related_incidents: Vec<String>,
    /// The date of the IP intelligence snapshot used for `src_endpoint`.
    pub ip_data_date: String,
    /// The sequence number of the change this record was exported from.
    pub change_seq: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NameValue {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineDeviation {
    pub measure: String,
    pub observed: String,
    pub baseline: String,
    /// Surprise in bits, or standard deviations for volumes.
    pub score: f64,
}
