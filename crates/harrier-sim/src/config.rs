//! The simulation settings: the tenant's size, time span, seed and injected scenarios.

use std::str::FromStr;

use crate::error::SimError;

/// A scenario injected into the benign tenant: an attack, or a benign activity that looks like one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioName {
    /// Password guessing from a VPS, a sign-in from a new country, mass-mailing apps registered and
    /// consented, an inbox rule hiding replies, and thousands of phishing mails sent.
    TakeoverChain,
    /// Failed sign-ins followed by a successful one from a hosting provider.
    BruteForceSuccess,
    /// One source trying one or two passwords against hundreds of accounts.
    PasswordSpray,
    /// Consent to an unknown multi-tenant app, which then reads the mailbox from a hosting provider.
    OauthConsentPhishing,
    /// A sign-in from a rare source, then an inbox rule forwarding payment mail outside the tenant.
    BecForwardingRule,
    /// Successful sign-ins from two countries too far apart for the time between them.
    ImpossibleTravel,
    /// Many push notifications denied or ignored, then one approved, from abroad.
    MfaFatigue,
    /// A compromised administrator creates a transport rule that copies all mail outside.
    TransportRuleExfil,
    /// Benign: a real trip abroad with plausible travel time and normal behaviour.
    BenignTrip,
    /// Benign: a new laptop and browser, used from the home ISP.
    BenignNewLaptop,
    /// Benign: consent to an app that many users of the tenant already use.
    BenignConsent,
    /// Benign: an inbox rule moving newsletters to a folder named "Newsletters".
    BenignNewsletterRule,
}

impl ScenarioName {
    /// Every scenario, attacks first.
    pub const ALL: [ScenarioName; 12] = [
        ScenarioName::TakeoverChain,
        ScenarioName::BruteForceSuccess,
        ScenarioName::PasswordSpray,
        ScenarioName::OauthConsentPhishing,
        ScenarioName::BecForwardingRule,
        ScenarioName::ImpossibleTravel,
        ScenarioName::MfaFatigue,
        ScenarioName::TransportRuleExfil,
        ScenarioName::BenignTrip,
        ScenarioName::BenignNewLaptop,
        ScenarioName::BenignConsent,
        ScenarioName::BenignNewsletterRule,
    ];

    /// Returns the snake_case name used on the command line and in `labels.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioName::TakeoverChain => "takeover_chain",
            ScenarioName::BruteForceSuccess => "brute_force_success",
            ScenarioName::PasswordSpray => "password_spray",
            ScenarioName::OauthConsentPhishing => "oauth_consent_phishing",
            ScenarioName::BecForwardingRule => "bec_forwarding_rule",
            ScenarioName::ImpossibleTravel => "impossible_travel",
            ScenarioName::MfaFatigue => "mfa_fatigue",
            ScenarioName::TransportRuleExfil => "transport_rule_exfil",
            ScenarioName::BenignTrip => "benign_trip",
            ScenarioName::BenignNewLaptop => "benign_new_laptop",
            ScenarioName::BenignConsent => "benign_consent",
            ScenarioName::BenignNewsletterRule => "benign_newsletter_rule",
        }
    }

    /// Returns true for attacks, false for benign look-alikes.
    pub fn is_attack(self) -> bool {
        !matches!(
            self,
            ScenarioName::BenignTrip
                | ScenarioName::BenignNewLaptop
                | ScenarioName::BenignConsent
                | ScenarioName::BenignNewsletterRule
        )
    }
}

impl std::fmt::Display for ScenarioName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScenarioName {
    type Err = SimError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ScenarioName::ALL
            .into_iter()
            .find(|scenario| scenario.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = ScenarioName::ALL
                    .iter()
                    .map(|scenario| scenario.as_str())
                    .collect();
                SimError::InvalidConfig(format!(
                    "unknown scenario {name:?}; expected one of {}",
                    known.join(", ")
                ))
            })
    }
}

/// The settings of one simulation run. The same settings always produce the same files, byte for byte.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Accounts in the tenant, service accounts included (about 1 in 100, at least 2). At least 20.
    pub users: usize,
    /// Days simulated, starting at `start`. At least 1.
    pub days: u32,
    pub seed: u64,
    /// The first day simulated, in UTC.
    pub start: jiff::civil::Date,
    /// Scenarios to inject, one instance per entry; a name listed twice is injected twice, each time
    /// against another user.
    pub scenarios: Vec<ScenarioName>,
    /// The Entra tenant id, written as `OrganizationId` and in the Graph `@odata.context`.
    pub tenant_id: String,
    /// The verified domain user names end in, such as `contoso.com`.
    pub domain: String,
    /// Sign-ins per Graph page file. Graph itself returns at most 1,000 sign-ins per page.
    pub graph_page_size: usize,
}

impl Default for SimConfig {
    /// Returns a 200-user tenant over 30 days from Monday 2026-01-05, with every scenario injected once.
    fn default() -> Self {
        SimConfig {
            users: 200,
            days: 30,
            seed: 1,
            start: jiff::civil::date(2026, 1, 5),
            scenarios: ScenarioName::ALL.to_vec(),
            tenant_id: "5b7f1c2e-8d4a-4f6b-9e3c-2a1d0f9e8c7b".to_owned(),
            domain: "contoso.com".to_owned(),
            graph_page_size: 1000,
        }
    }
}

impl SimConfig {
    /// Checks that the settings can produce a tenant.
    pub fn validate(&self) -> Result<(), SimError> {
        let invalid = |message: String| Err(SimError::InvalidConfig(message));
        if self.users < 20 {
            return invalid(format!(
                "users is {}; at least 20 are needed for the scenarios",
                self.users
            ));
        }
        if self.days == 0 {
            return invalid("days is 0; simulate at least 1 day".to_owned());
        }
        if self.graph_page_size == 0 {
            return invalid("graph_page_size is 0; pages need at least 1 sign-in".to_owned());
        }
        if !self.domain.contains('.') || self.domain.contains(['@', '/', ' ']) {
            return invalid(format!(
                "domain {:?} is not a DNS domain such as contoso.com",
                self.domain
            ));
        }
        if self.tenant_id.trim().is_empty() {
            return invalid("tenant_id is empty".to_owned());
        }
        Ok(())
    }
}
