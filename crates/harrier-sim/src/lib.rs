//! A deterministic simulated Microsoft 365 tenant that writes its logs in the real export formats.
//!
//! harrier learns each user's pattern of life and detects account takeover. To evaluate it at scale,
//! [`simulate`] writes the files a real tenant's exports would contain: Office 365 Management Activity
//! API content blobs and Microsoft Graph sign-in pages. harrier's readers read them like real exports.
//! Next to them it writes the ground truth of every injected attack and benign look-alike.
//!
//! # Design
//!
//! - **Directory** ([`directory`]): offices in Berlin, London, Paris and New York, and users in
//!   departments. Each user has a home city, one or two real residential ISPs, a work laptop, working
//!   hours, and mail and file volumes. Some also have a personal computer or a phone on a real mobile
//!   carrier. About one account in a hundred is a service account running in Azure or AWS.
//! - **Networks** ([`net`]): every address is drawn from a real prefix of the named autonomous system, so
//!   the addresses enrich as real ones would (Deutsche Telekom AS3320, Comcast AS7922, Majestic Hosting
//!   AS396073, ...).
//! - **Benign behaviour** (`benign`): each user-day draws from its own random stream. People work from
//!   the office, from home (directly or through the corporate VPN) or from a hotel abroad; they sign in,
//!   refresh tokens, mistype a password now and then, answer MFA prompts, send and read mail and work on
//!   files. Administrators change users, roles and mailboxes; users sometimes add inbox rules or consent
//!   to common apps; service accounts sign in every hour.
//! - **Scenarios** (`scenarios`): each [`ScenarioName`] instance hits its own user on a day after the
//!   first third of the period and stamps its records with the step they belong to.
//! - **Writers** (`writers`): records are written day by day, sorted by time, through buffered writers.
//!   While one day is encoded on two threads, the benign records of the day after next are generated on
//!   a third. Memory holds about two days of benign records plus the scenarios' records, whatever the
//!   number of days.
//! - **Labels** ([`labels`]): the step stamps become `labels.json`.
//!
//! The same [`SimConfig`] always produces the same bytes: all randomness comes from ChaCha8 streams
//! derived from the seed, and records are ordered by time and id.
//!
//! # Limits
//!
//! - Sign-ins are written only as Graph sign-ins. The unified audit log's `UserLoggedIn` and
//!   `UserLoginFailed` records of the same sign-ins are not written.
//! - Like the real `Send` audit record, a simulated one names the message but not its recipients, so mass
//!   mailing shows as many `Send` records.
//! - Entra directory changes carry no client address, as in the unified audit log.
//! - Daylight saving time is not modelled (see [`geo::City::utc_offset_minutes`]).
//!
//! # Output
//!
//! ```text
//! out_dir/
//!   users.json                                        the directory
//!   labels.json                                       ground truth
//!   management-activity/Audit.Exchange/YYYY-MM-DD.json              one JSON array per day
//!   management-activity/Audit.AzureActiveDirectory/YYYY-MM-DD.json
//!   management-activity/Audit.SharePoint/YYYY-MM-DD.json
//!   graph-signins/signIns-000001.json                 Graph pages with @odata.nextLink
//! ```
//!
//! # Example
//!
//! ```no_run
//! use harrier_sim::{SimConfig, simulate};
//!
//! let config = SimConfig { users: 500, days: 14, seed: 7, ..SimConfig::default() };
//! let report = simulate(&config, std::path::Path::new("sim-out"))?;
//! println!("{} records", report.records);
//! # Ok::<(), harrier_sim::SimError>(())
//! ```

mod apps;
mod benign;
mod build;
mod clock;
mod config;
pub mod directory;
mod error;
mod event;
pub mod geo;
pub mod labels;
pub mod net;
mod rng;
mod scenarios;
mod writers;

use std::collections::BTreeMap;
use std::path::Path;

pub use config::{ScenarioName, SimConfig};
pub use error::SimError;
pub use rng::Guid;
pub use writers::{GRAPH_SIGNINS_DIR, MANAGEMENT_ACTIVITY_DIR};

use crate::benign::World;
use crate::clock::DAY;
use crate::directory::Directory;
use crate::event::SimEvent;
use crate::labels::Labels;
use crate::writers::{Context, Destination, Encoded, Output};

/// Counts of the records and files a simulation wrote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SimReport {
    pub users: usize,
    pub days: u32,
    /// Records written, sign-ins and audit records together.
    pub records: u64,
    /// Graph sign-ins written.
    pub sign_ins: u64,
    /// Management Activity records written, by content type (`Audit.Exchange`, ...).
    pub audit_records: BTreeMap<String, u64>,
    /// Content blob and sign-in page files written, `users.json` and `labels.json` not included.
    pub files: usize,
    pub scenario_instances: usize,
    /// Records that belong to a labelled scenario step.
    pub labelled_records: usize,
}

/// Simulates the tenant `config` describes and writes its logs, `users.json` and `labels.json` into
/// `out_dir`, creating it when missing.
///
/// Files of an earlier run in the same folder are overwritten when their names recur and left alone
/// otherwise, so use an empty folder.
pub fn simulate(config: &SimConfig, out_dir: &Path) -> Result<SimReport, SimError> {
    config.validate()?;
    std::fs::create_dir_all(out_dir).map_err(SimError::io(out_dir))?;
    let first_day = clock::epoch_day(config.start);
    let directory = Directory::build(config.seed, config.users, &config.tenant_id, &config.domain);
    write_json(&out_dir.join("users.json"), &directory)?;

    let plan = scenarios::plan(config, &directory, first_day);
    let world = World {
        seed: config.seed,
        first_day,
        days: config.days,
        directory: &directory,
        behaviour: &plan.behaviour,
    };
    let mut labels = Labels::new(config, &directory, &plan.instances);
    let mut output = Output::create(out_dir, config.graph_page_size)?;
    let context = Context::new(&directory, &plan.behaviour.extra_devices);

    let mut injected = plan.events;
    injected.sort_unstable_by_key(|event| std::cmp::Reverse((event.time, event.id)));
    write_days(&world, &context, &mut injected, &mut output, &mut labels)?;
    output.finish()?;
    labels.finish();
    write_json(&out_dir.join("labels.json"), &labels)?;
    Ok(report(config, &output, &labels, plan.instances.len()))
}

/// Generates and writes every day. Day `d + 2` is generated on one thread while day `d` is encoded on two
/// more and written: a local working day starts at most 14 hours before its UTC day, so records of day
/// `d + 2` never belong to day `d`. Each half of a day is encoded in order and written in order, so the
/// output does not depend on thread timing.
fn write_days(
    world: &World<'_>,
    context: &Context<'_>,
    injected: &mut Vec<SimEvent>,
    output: &mut Output,
    labels: &mut Labels,
) -> Result<(), SimError> {
    let mut pending = Vec::new();
    for day in 0..world.days.min(2) {
        benign::generate_day(world, day, &mut pending);
    }
    let mut today = Vec::new();
    let mut buffers = (Encoded::default(), Encoded::default());
    for day in 0..world.days {
        let end = world.day_start(day) + DAY;
        today.clear();
        today.extend(pending.extract_if(.., |event| {
            event.time < end && event.time >= world.day_start(0)
        }));
        pending.retain(|event| event.time >= end);
        while injected.last().is_some_and(|event| event.time < end) {
            today.extend(injected.pop());
        }
        today.sort_unstable_by_key(|event| (event.time, event.id));
        let date = clock::date_text(world.first_day + i64::from(day));

        let next = day + 2;
        let (first_buffer, second_buffer) = &mut buffers;
        let generated = std::thread::scope(|scope| {
            let worker = (next < world.days).then(|| {
                scope.spawn(move || {
                    let mut events = Vec::new();
                    benign::generate_day(world, next, &mut events);
                    events
                })
            });
            let (first, second) = today.split_at(today.len() / 2);
            let encoder =
                scope.spawn(move || second_buffer.fill(context, second).map(|()| second_buffer));
            first_buffer.fill(context, first)?;
            let second_buffer = encoder.join().expect("the encoder thread does not panic")?;
            output.write(&date, first, first_buffer)?;
            output.write(&date, second, second_buffer)?;
            output.end_day()?;
            Ok::<_, SimError>(
                worker.map(|worker| worker.join().expect("the generator thread does not panic")),
            )
        })?;
        today.iter().for_each(|event| labels.observe(event));
        pending.extend(generated.into_iter().flatten());
    }
    Ok(())
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), SimError> {
    let file = std::fs::File::create(path).map_err(SimError::io(path))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, value)?;
    std::io::Write::write_all(&mut writer, b"\n").map_err(SimError::io(path))?;
    std::io::Write::flush(&mut writer).map_err(SimError::io(path))
}

fn report(config: &SimConfig, output: &Output, labels: &Labels, instances: usize) -> SimReport {
    let mut audit_records = BTreeMap::new();
    let mut sign_ins = 0;
    for (destination, count) in &output.counts.by_destination {
        match destination {
            Destination::GraphPage => sign_ins += count,
            Destination::Blob(content_type) => {
                audit_records.insert(content_type.name().to_owned(), *count);
            }
        }
    }
    SimReport {
        users: config.users,
        days: config.days,
        records: sign_ins + audit_records.values().sum::<u64>(),
        sign_ins,
        audit_records,
        files: output.counts.files,
        scenario_instances: instances,
        labelled_records: labels.labelled_records(),
    }
}
