//! Builders of simulated records, shared by the benign tenant and the scenarios.
//!
//! An [`Emitter`] appends records to a day's buffer, drawing each record id from the generator's own
//! random stream and stamping the scenario step the records belong to.

mod directory_audit;
mod files;
mod mail;
mod sign_in;

use std::net::IpAddr;

use crate::clock::Millis;
use crate::directory::Platform;
use crate::event::{Body, DeviceRef, SimEvent, Tag};
use crate::geo::City;
use crate::rng::{Guid, SimRng};

pub(crate) use directory_audit::ROLES;
pub(crate) use sign_in::{Attempt, code, resource_of};

/// Where and on what a user is working: the source address and device records are written with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    pub user: u32,
    /// The IPv4 address sign-ins and SharePoint see.
    pub ip: IpAddr,
    /// The address Exchange sees, which is IPv6 for some dual-stack homes.
    pub exchange_ip: IpAddr,
    pub city: &'static City,
    pub device: DeviceRef,
    pub platform: &'static Platform,
}

/// Appends records to a buffer.
pub(crate) struct Emitter<'a> {
    pub rng: &'a mut SimRng,
    pub out: &'a mut Vec<SimEvent>,
    /// The scenario step records are stamped with; `None` for unlabelled benign activity.
    pub tag: Option<Tag>,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(
        rng: &'a mut SimRng,
        out: &'a mut Vec<SimEvent>,
        tag: Option<Tag>,
    ) -> Emitter<'a> {
        Emitter { rng, out, tag }
    }

    /// Appends one record and returns its id.
    pub(crate) fn push(&mut self, time: Millis, body: Body) -> Guid {
        let id = Guid::random(self.rng);
        self.out.push(SimEvent::new(time, id, self.tag, body));
        id
    }

    pub(crate) fn guid(&mut self) -> Guid {
        Guid::random(self.rng)
    }
}
