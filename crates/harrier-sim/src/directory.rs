//! The tenant's directory: sites, users, their devices, home networks and habits.
//!
//! Everything a user does is drawn from the habits fixed here (working hours, home ISP, devices, mail
//! volume), so each user has a stable pattern of life for the detectors to learn.

use rand::Rng;
use serde::Serialize;

use crate::geo::{self, City};
use crate::net::{self, Network};
use crate::rng::{Guid, SimRng, chance, normal, pick, purpose, stream, weighted};

/// A department, which sets a user's mail and file volume and working hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Department {
    Sales,
    Finance,
    Engineering,
    #[serde(rename = "HR")]
    HumanResources,
    #[serde(rename = "IT")]
    ItAdmin,
    Executive,
}

impl Department {
    const ALL: [Department; 6] = [
        Department::Sales,
        Department::Finance,
        Department::Engineering,
        Department::HumanResources,
        Department::ItAdmin,
        Department::Executive,
    ];
    /// The share of users in each department, in the order of [`Department::ALL`].
    const WEIGHTS: [f64; 6] = [0.25, 0.12, 0.35, 0.07, 0.07, 0.04];

    /// Returns the name written to `users.json` and used for SharePoint site names.
    pub fn name(self) -> &'static str {
        match self {
            Department::Sales => "Sales",
            Department::Finance => "Finance",
            Department::Engineering => "Engineering",
            Department::HumanResources => "HR",
            Department::ItAdmin => "IT",
            Department::Executive => "Executive",
        }
    }

    fn titles(self) -> &'static [&'static str] {
        match self {
            Department::Sales => &[
                "Account Executive",
                "Sales Manager",
                "Sales Development Representative",
            ],
            Department::Finance => &[
                "Accountant",
                "Financial Analyst",
                "Accounts Payable Specialist",
                "Controller",
            ],
            Department::Engineering => &[
                "Software Engineer",
                "Senior Software Engineer",
                "QA Engineer",
                "Architect",
            ],
            Department::HumanResources => &["HR Generalist", "Recruiter", "HR Manager"],
            Department::ItAdmin => &[
                "Systems Administrator",
                "IT Support Engineer",
                "Cloud Administrator",
            ],
            Department::Executive => &[
                "Chief Executive Officer",
                "Chief Financial Officer",
                "VP Sales",
                "CTO",
            ],
        }
    }

    /// Returns the mean number of mails a user of the department sends on a working day.
    fn mean_sends(self) -> f64 {
        match self {
            Department::Sales => 22.0,
            Department::Executive => 18.0,
            Department::Finance => 14.0,
            Department::HumanResources => 11.0,
            Department::ItAdmin => 8.0,
            Department::Engineering => 6.0,
        }
    }

    /// Returns the mean number of SharePoint and OneDrive file operations on a working day.
    fn mean_files(self) -> f64 {
        match self {
            Department::Engineering => 10.0,
            Department::Finance => 9.0,
            Department::Sales => 6.0,
            Department::HumanResources => 6.0,
            Department::ItAdmin => 5.0,
            Department::Executive => 4.0,
        }
    }
}

/// An office with its own internet egress.
#[derive(Debug)]
pub struct Site {
    pub name: &'static str,
    pub city: &'static City,
    pub egress: &'static Network,
}

/// The offices of the simulated company, with the share of users working at each.
pub static SITES: [(Site, f64); 4] = [
    (
        Site {
            name: "Berlin",
            city: &geo::BERLIN,
            egress: &net::OFFICE_BERLIN,
        },
        0.35,
    ),
    (
        Site {
            name: "London",
            city: &geo::LONDON,
            egress: &net::OFFICE_LONDON,
        },
        0.25,
    ),
    (
        Site {
            name: "Paris",
            city: &geo::PARIS,
            egress: &net::OFFICE_PARIS,
        },
        0.15,
    ),
    (
        Site {
            name: "New York",
            city: &geo::NEW_YORK,
            egress: &net::OFFICE_NEW_YORK,
        },
        0.25,
    ),
];

/// Returns the egress address of a site; each site has one fixed address.
pub(crate) fn site_egress(seed: u64, index: usize) -> std::net::IpAddr {
    let (site, _) = &SITES[index];
    site.egress
        .stable_v4(crate::rng::hash(seed, &[purpose::TENANT, index as u64]))
}

/// An operating system and browser combination, with the strings each log writes for it.
#[derive(Debug)]
pub struct Platform {
    /// `deviceDetail.operatingSystem` in Graph sign-ins.
    pub operating_system: &'static str,
    /// `deviceDetail.browser` in Graph sign-ins.
    pub browser: &'static str,
    pub user_agent: &'static str,
    /// The Outlook client's `ClientInfoString` in mailbox audit records.
    pub outlook_client_info: &'static str,
}

pub(crate) static WINDOWS_EDGE: Platform = Platform {
    operating_system: "Windows 10",
    browser: "Edge 131.0.0",
    user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 \
                 Safari/537.36 Edg/131.0.0.0",
    outlook_client_info: "Client=MSExchangeRPC",
};
pub(crate) static WINDOWS_CHROME: Platform = Platform {
    operating_system: "Windows 10",
    browser: "Chrome 131.0.0",
    user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 \
                 Safari/537.36",
    outlook_client_info: "Client=MSExchangeRPC",
};
pub(crate) static WINDOWS_FIREFOX: Platform = Platform {
    operating_system: "Windows 10",
    browser: "Firefox 133.0",
    user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    outlook_client_info: "Client=MSExchangeRPC",
};
pub(crate) static MAC_SAFARI: Platform = Platform {
    operating_system: "MacOs",
    browser: "Safari 18.1",
    user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) \
                 Version/18.1 Safari/605.1.15",
    outlook_client_info: "Client=REST;Client=RESTSystem;;",
};
pub(crate) static MAC_CHROME: Platform = Platform {
    operating_system: "MacOs",
    browser: "Chrome 131.0.0",
    user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36",
    outlook_client_info: "Client=REST;Client=RESTSystem;;",
};
pub(crate) static IOS_OUTLOOK: Platform = Platform {
    operating_system: "Ios",
    browser: "Mobile Safari",
    user_agent: "Outlook-iOS/2.0",
    outlook_client_info: "Client=OutlookService;Outlook-iOS/2.0;",
};
pub(crate) static ANDROID_OUTLOOK: Platform = Platform {
    operating_system: "Android",
    browser: "Chrome Mobile 131.0.0",
    user_agent: "Outlook-Android/2.0",
    outlook_client_info: "Client=OutlookService;Outlook-Android/2.0;",
};

/// The MSAL client of the tenant's service accounts and scripts.
pub(crate) static SCRIPT_CLIENT: Platform = Platform {
    operating_system: "Windows",
    browser: "Rich Client 4.66.1.0",
    user_agent: "Microsoft.Identity.Client/4.66.1",
    outlook_client_info: "Client=REST;Client=RESTSystem;;",
};

/// The browser of attackers' tooling: a desktop Chrome a year older than the tenant's.
pub(crate) static ATTACKER_CHROME: Platform = Platform {
    operating_system: "Windows 10",
    browser: "Chrome 120.0.0",
    user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 \
                 Safari/537.36",
    outlook_client_info: "Client=OWA;Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0",
};

/// A device a user signs in from.
#[derive(Debug, Serialize)]
pub struct Device {
    /// The Entra device id; `None` for unregistered personal computers, which Entra reports without one.
    pub device_id: Option<Guid>,
    pub display_name: Option<String>,
    #[serde(serialize_with = "platform_name")]
    pub platform: &'static Platform,
    /// `Azure AD joined`, `Azure AD registered`, or `None` for unregistered devices.
    pub trust_type: Option<&'static str>,
    pub is_managed: bool,
    pub is_compliant: bool,
}

fn platform_name<S: serde::Serializer>(
    platform: &&'static Platform,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!(
        "{} / {}",
        platform.operating_system, platform.browser
    ))
}

/// A user's phone and the carrier it connects through.
#[derive(Debug, Serialize)]
pub struct Phone {
    pub device: Device,
    #[serde(serialize_with = "network_name")]
    pub carrier: &'static Network,
}

fn network_name<S: serde::Serializer>(
    network: &&'static Network,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{} (AS{})", network.name, network.asn))
}

fn network_names<S: serde::Serializer>(
    networks: &[&'static Network],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = serializer.serialize_seq(Some(networks.len()))?;
    for network in networks {
        seq.serialize_element(&serde_json::json!({
            "name": network.name,
            "asn": network.asn,
            "prefixes": network.v4.iter().chain(network.v6).map(|p| p.to_string()).collect::<Vec<_>>(),
        }))?;
    }
    seq.end()
}

fn site_name<S: serde::Serializer>(site: &Option<usize>, serializer: S) -> Result<S::Ok, S::Error> {
    match site {
        Some(index) => serializer.serialize_some(SITES[*index].0.name),
        None => serializer.serialize_none(),
    }
}

fn city_name<S: serde::Serializer>(city: &&'static City, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(city.name)
}

/// One account of the tenant, with the habits its activity is drawn from.
#[derive(Debug, Serialize)]
pub struct User {
    pub index: u32,
    pub object_id: Guid,
    pub user_principal_name: String,
    pub display_name: String,
    pub department: Department,
    pub job_title: &'static str,
    /// ISO 3166-1 alpha-2 code of the country the user lives in.
    pub country: &'static str,
    #[serde(serialize_with = "city_name")]
    pub city: &'static City,
    /// The office the user works at some days, by index into [`SITES`] (written as the site's name);
    /// `None` for remote workers.
    #[serde(serialize_with = "site_name")]
    pub site: Option<usize>,
    /// The user's home broadband ISPs (most users one, some two).
    #[serde(serialize_with = "network_names")]
    pub home_isps: Vec<&'static Network>,
    pub devices: Vec<Device>,
    pub phone: Option<Phone>,
    /// Whether the user connects through the corporate VPN when not at the office.
    pub vpn: bool,
    pub vip: bool,
    pub admin: bool,
    pub service_account: bool,
    /// The usual start of the working day, in minutes after local midnight.
    pub work_start_minutes: u32,
    /// The usual length of the working day, in minutes.
    pub work_minutes: u32,
    /// The probability of working on a weekend day.
    pub weekend_rate: f64,
    /// The probability that a working day is spent at the office.
    pub office_rate: f64,
    pub mean_sends: f64,
    pub mean_files: f64,
    /// The Exchange alias, the part of the address before the `@`.
    #[serde(skip)]
    pub alias: String,
    /// The user's PUID, written as `UserKey` in audit records.
    #[serde(skip)]
    pub puid: u64,
    #[serde(skip)]
    pub mailbox_guid: Guid,
    /// The mailbox server, written as `OriginatingServer`.
    #[serde(skip)]
    pub mailbox_server: String,
    /// The on-premises style SID, written as `MailboxOwnerSid` and `LogonUserSid`.
    #[serde(skip)]
    pub sid: String,
    /// The PUID in upper-case hexadecimal, written as Exchange's `UserKey`.
    #[serde(skip)]
    pub puid_hex: String,
}

impl User {
    /// Fills the identifiers derived from the index and PUID.
    fn with_identifiers(mut self) -> User {
        self.sid = format!(
            "S-1-5-21-3019474563-2419217816-1872563307-{}",
            10_000 + self.index
        );
        self.puid_hex = format!("{:016X}", self.puid);
        self
    }

    /// Returns the user's home city's UTC offset in minutes.
    pub(crate) fn utc_offset_minutes(&self) -> i32 {
        self.city.utc_offset_minutes
    }
}

/// The tenant's naming: its id and domains.
#[derive(Debug, Serialize)]
pub struct Tenant {
    pub tenant_id: String,
    pub domain: String,
    /// The initial `*.onmicrosoft.com` domain, used as `OrganizationName` in Exchange records.
    pub initial_domain: String,
    /// The SharePoint host, `<name>.sharepoint.com`.
    pub sharepoint_host: String,
    /// The OneDrive host, `<name>-my.sharepoint.com`.
    pub onedrive_host: String,
}

impl Tenant {
    fn new(tenant_id: &str, domain: &str) -> Tenant {
        let name: String = domain
            .split('.')
            .next()
            .unwrap_or(domain)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let name = name.to_ascii_lowercase();
        Tenant {
            tenant_id: tenant_id.to_owned(),
            domain: domain.to_ascii_lowercase(),
            initial_domain: format!("{name}.onmicrosoft.com"),
            sharepoint_host: format!("{name}.sharepoint.com"),
            onedrive_host: format!("{name}-my.sharepoint.com"),
        }
    }
}

/// The tenant and all its users.
#[derive(Debug, Serialize)]
pub struct Directory {
    #[serde(flatten)]
    pub tenant: Tenant,
    pub users: Vec<User>,
}

impl Directory {
    /// Builds the directory of `users` accounts (at least two of them service accounts) from `seed`.
    pub(crate) fn build(seed: u64, users: usize, tenant_id: &str, domain: &str) -> Directory {
        let tenant = Tenant::new(tenant_id, domain);
        let service_accounts = (users / 100).clamp(2, 20).min(users / 4);
        let mut used_aliases = std::collections::HashSet::new();
        let mut list = Vec::with_capacity(users);
        for index in 0..users {
            let mut rng = stream(seed, &[purpose::DIRECTORY, index as u64]);
            let user = if index < service_accounts {
                service_account(&mut rng, index as u32, &tenant)
            } else {
                person(&mut rng, index as u32, &tenant, &mut used_aliases)
            };
            list.push(user);
        }
        Directory {
            tenant,
            users: list,
        }
    }

    /// Returns the users who are people, not service accounts.
    pub(crate) fn people(&self) -> impl Iterator<Item = &User> {
        self.users.iter().filter(|user| !user.service_account)
    }
}

const GIVEN_NAMES: [(&str, &[&str]); 4] = [
    (
        "DE",
        &[
            "Anna",
            "Lukas",
            "Sophie",
            "Jonas",
            "Marie",
            "Felix",
            "Lena",
            "Paul",
            "Laura",
            "Maximilian",
            "Julia",
            "Tim",
        ],
    ),
    (
        "GB",
        &[
            "Oliver", "Amelia", "Harry", "Isla", "George", "Emily", "Jack", "Ava", "Charlie",
            "Grace", "Thomas", "Lucy",
        ],
    ),
    (
        "FR",
        &[
            "Louis", "Emma", "Gabriel", "Jade", "Hugo", "Louise", "Arthur", "Alice", "Jules",
            "Chloe", "Adam", "Lea",
        ],
    ),
    (
        "US",
        &[
            "James", "Olivia", "Michael", "Emma", "William", "Ava", "David", "Mia", "John",
            "Sophia", "Daniel", "Megan",
        ],
    ),
];

const SURNAMES: [(&str, &[&str]); 4] = [
    (
        "DE",
        &[
            "Mueller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Hoffmann",
            "Koch",
        ],
    ),
    (
        "GB",
        &[
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Evans", "Walker",
        ],
    ),
    (
        "FR",
        &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau",
        ],
    ),
    (
        "US",
        &[
            "Miller",
            "Davis",
            "Garcia",
            "Rodriguez",
            "Martinez",
            "Anderson",
            "Clark",
            "Lewis",
            "Hall",
            "Young",
        ],
    ),
];

fn names_of(
    table: &[(&str, &'static [&'static str]); 4],
    country: &str,
) -> &'static [&'static str] {
    table
        .iter()
        .find(|(code, _)| *code == country)
        .map_or(table[3].1, |(_, names)| names)
}

/// Draws an office or remote location: the site, the home country and the home city.
fn location(rng: &mut SimRng) -> (Option<usize>, &'static City) {
    let weights: Vec<f64> = SITES.iter().map(|(_, share)| *share).collect();
    let site = weighted(rng, &weights);
    let (office, _) = &SITES[site];
    let home_cities = net::residential(office.city.country)[0].cities;
    if chance(rng, 0.08) {
        return (None, *pick(rng, home_cities));
    }
    // Most staff live in the office's city; some commute from further away.
    let city = if chance(rng, 0.8) {
        office.city
    } else {
        *pick(rng, home_cities)
    };
    (Some(site), city)
}

fn person(
    rng: &mut SimRng,
    index: u32,
    tenant: &Tenant,
    used_aliases: &mut std::collections::HashSet<String>,
) -> User {
    let (site, city) = location(rng);
    let country = city.country;
    let given_name = *pick(rng, names_of(&GIVEN_NAMES, country));
    let surname = *pick(rng, names_of(&SURNAMES, country));
    let alias = unique_alias(
        &format!("{given_name}.{surname}").to_ascii_lowercase(),
        used_aliases,
    );
    let department = Department::ALL[weighted(rng, &Department::WEIGHTS)];
    let admin = department == Department::ItAdmin && chance(rng, 0.6);
    let vip = department == Department::Executive
        || (department == Department::Finance && chance(rng, 0.2));
    let vpn = chance(
        rng,
        if department == Department::Engineering {
            0.35
        } else {
            0.15
        },
    );

    let isps = net::residential(country);
    let first = rng.random_range(0..isps.len());
    let mut home_isps = vec![isps[first]];
    if chance(rng, 0.2) && isps.len() > 1 {
        home_isps.push(isps[(first + 1) % isps.len()]);
    }

    let job_title = *pick(rng, department.titles());
    let busy = matches!(department, Department::Executive | Department::ItAdmin);
    let start = (510.0 + normal(rng) * 45.0).clamp(420.0, 630.0) as u32;
    let length = (if busy { 570.0 } else { 480.0 } + normal(rng) * 40.0).clamp(360.0, 720.0) as u32;
    let scale = (1.0 + normal(rng) * 0.3).clamp(0.4, 1.8);
    User {
        index,
        object_id: Guid::random(rng),
        user_principal_name: format!("{alias}@{}", tenant.domain),
        display_name: format!("{given_name} {surname}"),
        department,
        job_title,
        country,
        city,
        site,
        home_isps,
        devices: computers(rng, department, &alias),
        phone: phone(rng, country, &alias),
        vpn,
        vip,
        admin,
        service_account: false,
        work_start_minutes: start,
        work_minutes: length,
        weekend_rate: if busy {
            0.25
        } else {
            rng.random_range(0.03..0.12)
        },
        office_rate: if site.is_some() {
            rng.random_range(0.35..0.85)
        } else {
            0.0
        },
        mean_sends: (department.mean_sends() * scale).clamp(1.0, 38.0),
        mean_files: department.mean_files() * scale,
        alias,
        puid: 0x1003_2000_0000_0000 | u64::from(rng.random::<u32>()),
        mailbox_guid: Guid::random(rng),
        mailbox_server: mailbox_server(rng, country),
        sid: String::new(),
        puid_hex: String::new(),
    }
    .with_identifiers()
}

fn service_account(rng: &mut SimRng, index: u32, tenant: &Tenant) -> User {
    const NAMES: [&str; 5] = [
        "svc-mailarchive",
        "svc-scanner",
        "svc-reporting",
        "svc-crm-sync",
        "svc-backup",
    ];
    let base = NAMES[index as usize % NAMES.len()];
    let alias = if (index as usize) < NAMES.len() {
        base.to_owned()
    } else {
        format!("{base}{index}")
    };
    User {
        index,
        object_id: Guid::random(rng),
        user_principal_name: format!("{alias}@{}", tenant.domain),
        display_name: format!("Service account {alias}"),
        department: Department::ItAdmin,
        job_title: "Service account",
        country: "DE",
        city: &geo::FRANKFURT,
        site: None,
        home_isps: vec![*pick(rng, net::CLOUD)],
        devices: Vec::new(),
        phone: None,
        vpn: false,
        vip: false,
        admin: false,
        service_account: true,
        work_start_minutes: 0,
        work_minutes: 24 * 60,
        weekend_rate: 1.0,
        office_rate: 0.0,
        mean_sends: 4.0,
        mean_files: 0.0,
        alias,
        puid: 0x1003_2000_0000_0000 | u64::from(rng.random::<u32>()),
        mailbox_guid: Guid::random(rng),
        mailbox_server: mailbox_server(rng, "DE"),
        sid: String::new(),
        puid_hex: String::new(),
    }
    .with_identifiers()
}

fn unique_alias(base: &str, used_aliases: &mut std::collections::HashSet<String>) -> String {
    let mut alias = base.to_owned();
    let mut number = 2;
    while !used_aliases.insert(alias.clone()) {
        alias = format!("{base}{number}");
        number += 1;
    }
    alias
}

fn mailbox_server(rng: &mut SimRng, country: &str) -> String {
    let prefix = if country == "US" {
        "BN0PR04MB"
    } else {
        "AM9PR04MB"
    };
    format!(
        "{prefix}{:04} (15.20.8335.025)",
        rng.random_range(1000..9999)
    )
}

/// Draws the user's computers: a managed work laptop, and for some a personal computer at home.
fn computers(rng: &mut SimRng, department: Department, alias: &str) -> Vec<Device> {
    let mac_share = if matches!(department, Department::Engineering | Department::Executive) {
        0.35
    } else {
        0.1
    };
    let work_platform = if chance(rng, mac_share) {
        if chance(rng, 0.6) {
            &MAC_SAFARI
        } else {
            &MAC_CHROME
        }
    } else if chance(rng, 0.65) {
        &WINDOWS_EDGE
    } else {
        &WINDOWS_CHROME
    };
    let short: String = alias
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    let mut devices = vec![Device {
        device_id: Some(Guid::random(rng)),
        display_name: Some(format!(
            "LT-{}-{:03}",
            short.to_ascii_uppercase(),
            rng.random_range(1..999)
        )),
        platform: work_platform,
        trust_type: Some("Azure AD joined"),
        is_managed: true,
        is_compliant: true,
    }];
    if chance(rng, 0.25) {
        devices.push(Device {
            device_id: None,
            display_name: None,
            platform: if chance(rng, 0.5) {
                &WINDOWS_CHROME
            } else {
                &WINDOWS_FIREFOX
            },
            trust_type: None,
            is_managed: false,
            is_compliant: false,
        });
    }
    devices
}

fn phone(rng: &mut SimRng, country: &str, alias: &str) -> Option<Phone> {
    let carriers = net::mobile(country);
    if carriers.is_empty() || !chance(rng, 0.7) {
        return None;
    }
    let carrier = *pick(rng, carriers);
    let ios = chance(rng, 0.55);
    let short: String = alias
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(6)
        .collect();
    Some(Phone {
        device: Device {
            device_id: Some(Guid::random(rng)),
            display_name: Some(format!(
                "{}'s {}",
                short,
                if ios { "iPhone" } else { "Android" }
            )),
            platform: if ios { &IOS_OUTLOOK } else { &ANDROID_OUTLOOK },
            trust_type: Some("Azure AD registered"),
            is_managed: false,
            is_compliant: false,
        },
        carrier,
    })
}
