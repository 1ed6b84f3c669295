//! Mapping model breaches and incidents to Detection Findings.

use std::collections::BTreeSet;
use std::net::IpAddr;

use harrier_detect::{Breach, Incident, Severity, Stage};
use harrier_enrich::IpIntel;

use super::finding::{
    ATTACK_VERSION, Actor, Analytic, Attack, AutonomousSystem, BaselineDeviation, DETECTION_FINDING_CLASS,
    DetectionFinding, Endpoint, Evidences, FINDINGS_CATEGORY, FindingInfo, HarrierDetails, Location, Metadata,
    NameValue, NamedUid, OCSF_VERSION, Product, RelatedEvent, ResourceDetails, Unmapped, User,
};

/// `product_uid` of harrier's findings in `related_events` and `finding_info`.
const PRODUCT_UID: &str = "harrier";

/// The inputs every record needs besides the finding itself.
pub struct MapContext<'a> {
    /// Resolves source addresses to their location and autonomous system; `None` leaves them out.
    pub intel: Option<&'a IpIntel>,
    /// harrier's version, for `metadata.product.version`.
    pub product_version: &'a str,
}

impl MapContext<'_> {
    fn ip_data_date(&self) -> String {
        self.intel.map(|intel| intel.snapshot_date().to_string()).unwrap_or_default()
    }

    fn endpoint(&self, ip: IpAddr) -> Endpoint {
        let info = self.intel.map(|intel| intel.lookup_ref(ip));
        Endpoint {
            ip: ip.to_string(),
            location: info.and_then(|i| i.country).map(|country| Location { country: country.to_owned() }),
            autonomous_system: info.and_then(|i| {
                // OCSF's `number` is a 32-bit signed integer; the few private-use ASNs above it are left out.
                let number = i32::try_from(i.asn?).ok()?;
                Some(AutonomousSystem { number, name: i.as_org.map(str::to_owned) })
            }),
        }
    }
}

/// The position of a finding's change in the findings log.
#[derive(Clone, Copy, Debug)]
pub struct ChangeInfo<'a> {
    /// The sequence number of the change.
    pub seq: u64,
    /// True when the change created the finding; later changes of an incident are updates.
    pub created: bool,
    /// The incident the finding belongs to.
    pub incident: Option<&'a str>,
}

/// Maps a breach to a Detection Finding.
pub fn breach_finding(breach: &Breach, change: ChangeInfo<'_>, context: &MapContext<'_>) -> DetectionFinding {
    let time = breach.time.as_millisecond();
    let mut evidences = Evidences {
        actor: breach.user.as_deref().map(actor),
        src_endpoint: breach.source_ip.map(|ip| context.endpoint(ip)),
        email: None,
    };
    let evidences = if evidences.is_empty() { None } else { Some(vec![std::mem::take(&mut evidences)]) };
    let resources = breach.app_id.as_ref().map(|app_id| vec![application(app_id, breach)]);
    let related_events = breach
        .events
        .iter()
        .map(|uid| RelatedEvent { uid: uid.clone(), type_uid: None, type_name: None, product_uid: None, attacks: None })
        .collect();
    let (severity_id, severity) = severity(breach.severity());
    let (risk_level_id, risk_level) = risk_level(breach.severity());
    let (confidence_id, confidence) = confidence(breach.score, breach.learning);
    DetectionFinding {
        activity_id: 1,
        activity_name: "Create".to_owned(),
        category_uid: FINDINGS_CATEGORY,
        category_name: "Findings".to_owned(),
        class_uid: DETECTION_FINDING_CLASS,
        class_name: "Detection Finding".to_owned(),
        type_uid: type_uid(1),
        type_name: "Detection Finding: Create".to_owned(),
        time,
        start_time: None,
        end_time: None,
        severity_id,
        severity: severity.to_owned(),
        confidence_id,
        confidence: confidence.to_owned(),
        risk_score: breach.score.round() as i32,
        risk_level_id,
        risk_level: risk_level.to_owned(),
        status_id: 1,
        status: "New".to_owned(),
        message: breach.summary.clone(),
        finding_info: FindingInfo {
            uid: breach.id.clone(),
            title: breach.model_name.clone(),
            desc: breach.summary.clone(),
            analytic: Analytic {
                name: breach.model_name.clone(),
                uid: breach.model_id.clone(),
                version: breach.model_version.to_string(),
                type_id: 2,
                type_name: "Behavioral".to_owned(),
            },
            attacks: vec![attack(&breach.technique_id, &breach.technique_name, &breach.tactic)],
            types: vec![stage_title(breach.stage).to_owned()],
            first_seen_time: time,
            last_seen_time: time,
            product_uid: PRODUCT_UID.to_owned(),
            related_events,
        },
        evidences,
        resources,
        metadata: Metadata {
            product: product(context),
            version: OCSF_VERSION.to_owned(),
            uid: breach.id.clone(),
            correlation_uid: change.incident.map(str::to_owned),
            tenant_uid: breach.tenant.to_string(),
            log_name: "breaches".to_owned(),
        },
        unmapped: Unmapped {
            harrier: HarrierDetails {
                kind: "breach".to_owned(),
                score: f64::from(breach.score),
                stages: vec![breach.stage.as_str().to_owned()],
                learning: breach.learning,
                evidence: breach
                    .evidence
                    .iter()
                    .map(|e| NameValue { name: e.name.clone(), value: e.value.clone() })
                    .collect(),
                deviations: breach
                    .deviations
                    .iter()
                    .map(|d| BaselineDeviation {
                        measure: d.measure.clone(),
                        observed: d.observed.clone(),
                        baseline: d.baseline.clone(),
                        score: f64::from(d.score),
                    })
                    .collect(),
                related_incidents: Vec::new(),
                ip_data_date: context.ip_data_date(),
                change_seq: change.seq as i64,
            },
        },
    }
}

/// Maps an incident to a Detection Finding. `breaches` contains the incident's breaches, and any missing
/// from it are still listed in `related_events`, by id only.
pub fn incident_finding(
    incident: &Incident,
    breaches: &[Breach],
    change: ChangeInfo<'_>,
    context: &MapContext<'_>,
) -> DetectionFinding {
    let mut steps: Vec<&Breach> = breaches.iter().filter(|b| incident.breaches.contains(&b.id)).collect();
    steps.sort_by(|a, b| a.time.cmp(&b.time).then(a.id.cmp(&b.id)));
    let activity_id = if change.created { 1 } else { 2 };
    let first = incident.first.as_millisecond();
    let last = incident.last.as_millisecond();

    let mut attacks = Vec::new();
    let mut seen = BTreeSet::new();
    for step in &steps {
        if seen.insert(step.technique_id.as_str()) {
            attacks.push(attack(&step.technique_id, &step.technique_name, &step.tactic));
        }
    }
    let related_events = incident
        .breaches
        .iter()
        .map(|id| {
            let step = steps.iter().find(|b| &b.id == id);
            RelatedEvent {
                uid: id.clone(),
                type_uid: Some(type_uid(1)),
                type_name: Some("Detection Finding: Create".to_owned()),
                product_uid: Some(PRODUCT_UID.to_owned()),
                attacks: step.map(|b| vec![attack(&b.technique_id, &b.technique_name, &b.tactic)]),
            }
        })
        .collect();

    let mut evidences: Vec<Evidences> = Vec::new();
    let mut sources = incident.sources.iter();
    let head = Evidences {
        actor: incident.user.as_deref().map(actor),
        src_endpoint: sources.next().map(|ip| context.endpoint(*ip)),
        email: None,
    };
    if !head.is_empty() {
        evidences.push(head);
    }
    evidences.extend(sources.map(|ip| Evidences { src_endpoint: Some(context.endpoint(*ip)), ..Evidences::default() }));

    let mut resources = Vec::new();
    for step in &steps {
        if let Some(app_id) = &step.app_id
            && !resources.iter().any(|r: &ResourceDetails| &r.uid == app_id)
        {
            resources.push(application(app_id, step));
        }
    }

    let who = incident.user.as_deref().unwrap_or("an unattributed actor");
    let stages: Vec<&str> = incident.stages.iter().map(|s| stage_title(*s)).collect();
    let models: BTreeSet<&str> = steps.iter().map(|b| b.model_name.as_str()).collect();
    let title = format!("{who}: {}", stages.join(", "));
    let desc = format!(
        "{} model breach{} from {} to {} for {who}{}{}.",
        incident.breaches.len(),
        if incident.breaches.len() == 1 { "" } else { "es" },
        incident.first,
        incident.last,
        if models.is_empty() { "" } else { ": " },
        models.into_iter().collect::<Vec<_>>().join("; "),
    );
    let (severity_id, severity) = severity(incident.severity);
    let (risk_level_id, risk_level) = risk_level(incident.severity);
    let learning = !steps.is_empty() && steps.iter().all(|b| b.learning);
    let (confidence_id, confidence) = confidence(incident.score, learning);
    let uid = if change.created { incident.id.clone() } else { format!("{}-{}", incident.id, change.seq) };
    DetectionFinding {
        activity_id,
        activity_name: if change.created { "Create" } else { "Update" }.to_owned(),
        category_uid: FINDINGS_CATEGORY,
        category_name: "Findings".to_owned(),
        class_uid: DETECTION_FINDING_CLASS,
        class_name: "Detection Finding".to_owned(),
        type_uid: type_uid(activity_id),
        type_name: format!("Detection Finding: {}", if change.created { "Create" } else { "Update" }),
        time: last,
        start_time: Some(first),
        end_time: Some(last),
        severity_id,
        severity: severity.to_owned(),
        confidence_id,
        confidence: confidence.to_owned(),
        risk_score: incident.score.round() as i32,
        risk_level_id,
        risk_level: risk_level.to_owned(),
        status_id: 1,
        status: "New".to_owned(),
        message: title.clone(),
        finding_info: FindingInfo {
            uid: incident.id.clone(),
            title,
            desc,
            analytic: Analytic {
                name: "Incident chaining".to_owned(),
                uid: "harrier.incident".to_owned(),
                version: "1".to_owned(),
                type_id: 1,
                type_name: "Rule".to_owned(),
            },
            attacks,
            types: stages.iter().map(|s| (*s).to_owned()).collect(),
            first_seen_time: first,
            last_seen_time: last,
            product_uid: PRODUCT_UID.to_owned(),
            related_events,
        },
        evidences: if evidences.is_empty() { None } else { Some(evidences) },
        resources: if resources.is_empty() { None } else { Some(resources) },
        metadata: Metadata {
            product: product(context),
            version: OCSF_VERSION.to_owned(),
            uid,
            correlation_uid: Some(incident.id.clone()),
            tenant_uid: incident.tenant.to_string(),
            log_name: "incidents".to_owned(),
        },
        unmapped: Unmapped {
            harrier: HarrierDetails {
                kind: "incident".to_owned(),
                score: f64::from(incident.score),
                stages: incident.stages.iter().map(|s| s.as_str().to_owned()).collect(),
                learning,
                evidence: Vec::new(),
                deviations: Vec::new(),
                related_incidents: incident.related.iter().cloned().collect(),
                ip_data_date: context.ip_data_date(),
                change_seq: change.seq as i64,
            },
        },
    }
}

fn type_uid(activity_id: i32) -> i64 {
    i64::from(DETECTION_FINDING_CLASS) * 100 + i64::from(activity_id)
}

fn product(context: &MapContext<'_>) -> Product {
    Product { name: "harrier".to_owned(), vendor_name: "harrier".to_owned(), version: context.product_version.to_owned() }
}

fn actor(user: &str) -> Actor {
    Actor {
        user: User {
            name: user.to_owned(),
            email_addr: user.contains('@').then(|| user.to_owned()),
            type_id: 1,
            type_name: "User".to_owned(),
        },
    }
}

/// Returns the application of a consent or application breach, named by the model's `application` evidence.
fn application(app_id: &str, breach: &Breach) -> ResourceDetails {
    let name = breach.evidence.iter().find(|e| e.name == "application").map(|e| e.value.clone());
    ResourceDetails { uid: app_id.to_owned(), name, type_name: "Application".to_owned() }
}

/// OCSF `severity_id`: 2 Low, 3 Medium, 4 High, 5 Critical.
fn severity(severity: Severity) -> (i32, &'static str) {
    match severity {
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// OCSF `risk_level_id`: 1 Low, 2 Medium, 3 High, 4 Critical.
fn risk_level(severity: Severity) -> (i32, &'static str) {
    match severity {
        Severity::Low => (1, "Low"),
        Severity::Medium => (2, "Medium"),
        Severity::High => (3, "High"),
        Severity::Critical => (4, "Critical"),
    }
}

/// OCSF `confidence_id`: Low while the baseline is still being learned, else from the score.
fn confidence(score: f32, learning: bool) -> (i32, &'static str) {
    match score {
        _ if learning => (1, "Low"),
        s if s >= 65.0 => (3, "High"),
        s if s >= 40.0 => (2, "Medium"),
        _ => (1, "Low"),
    }
}

fn stage_title(stage: Stage) -> &'static str {
    match stage {
        Stage::CredentialAccess => "Credential Access",
        Stage::InitialAccess => "Initial Access",
        Stage::Persistence => "Persistence",
        Stage::DefenseEvasion => "Defense Evasion",
        Stage::Collection => "Collection",
        Stage::Exfiltration => "Exfiltration",
        Stage::Impact => "Impact",
    }
}

/// Builds the ATT&CK object from a technique id such as `T1078.004`, a name such as `Valid Accounts: Cloud
/// Accounts` and a tactic such as `initial-access`.
pub fn attack(id: &str, name: &str, tactic: &str) -> Attack {
    let (parent_name, sub_name) = match name.split_once(": ") {
        Some((parent, sub)) => (parent, Some(sub)),
        None => (name, None),
    };
    let (technique, sub_technique) = match id.split_once('.') {
        Some((parent_id, _)) => (
            NamedUid { name: parent_name.to_owned(), uid: parent_id.to_owned() },
            Some(NamedUid { name: sub_name.unwrap_or(name).to_owned(), uid: id.to_owned() }),
        ),
        None => (NamedUid { name: name.to_owned(), uid: id.to_owned() }, None),
    };
    Attack {
        tactic: tactic_object(tactic),
        technique: Some(technique),
        sub_technique,
        version: ATTACK_VERSION.to_owned(),
    }
}

/// Returns the enterprise ATT&CK tactic with the given short name.
fn tactic_object(short_name: &str) -> Option<NamedUid> {
    let (uid, name) = match short_name {
        "reconnaissance" => ("TA0043", "Reconnaissance"),
        "resource-development" => ("TA0042", "Resource Development"),
        "initial-access" => ("TA0001", "Initial Access"),
        "execution" => ("TA0002", "Execution"),
        "persistence" => ("TA0003", "Persistence"),
        "privilege-escalation" => ("TA0004", "Privilege Escalation"),
        "defense-evasion" => ("TA0005", "Defense Evasion"),
        "credential-access" => ("TA0006", "Credential Access"),
        "discovery" => ("TA0007", "Discovery"),
        "lateral-movement" => ("TA0008", "Lateral Movement"),
        "collection" => ("TA0009", "Collection"),
        "command-and-control" => ("TA0011", "Command and Control"),
        "exfiltration" => ("TA0010", "Exfiltration"),
        "impact" => ("TA0040", "Impact"),
        _ => return None,
    };
    Some(NamedUid { name: name.to_owned(), uid: uid.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_splits_sub_technique() {
        let attack = attack("T1078.004", "Valid Accounts: Cloud Accounts", "initial-access");
        assert_eq!(attack.technique.unwrap().uid, "T1078");
        let sub = attack.sub_technique.unwrap();
        assert_eq!((sub.uid.as_str(), sub.name.as_str()), ("T1078.004", "Cloud Accounts"));
        assert_eq!(attack.tactic.unwrap().uid, "TA0001");
    }

    #[test]
    fn attack_without_sub_technique() {
        let attack = attack("T1528", "Steal Application Access Token", "credential-access");
        assert_eq!(attack.technique.unwrap().name, "Steal Application Access Token");
        assert!(attack.sub_technique.is_none());
        assert_eq!(attack.tactic.unwrap().name, "Credential Access");
    }
}
