//! Exchange Online: sent mail, mail read, deletions and admin cmdlets.

use std::borrow::Cow;

use rand::Rng;

use crate::build::{Emitter, Place};
use crate::clock::Millis;
use crate::event::{Access, Body, Cmdlet, Exchange, ExchangeKind, MailClient, Send};
use crate::rng::pick;

/// Subjects of ordinary business mail.
const SUBJECTS: [&str; 16] = [
    "Re: Q1 planning",
    "Meeting notes",
    "Re: Contract review",
    "Updated proposal",
    "Re: Invoice 2024-1187",
    "Weekly status",
    "Re: Lunch on Thursday?",
    "Customer call follow-up",
    "Re: Budget draft",
    "FW: Travel itinerary",
    "Quick question",
    "Re: Release schedule",
    "Agenda for tomorrow",
    "Re: Candidate feedback",
    "Slides for review",
    "Re: Purchase order",
];

/// Attachments of ordinary business mail.
const ATTACHMENTS: [&str; 6] = [
    "Proposal.pdf",
    "Budget.xlsx",
    "Notes.docx",
    "Slides.pptx",
    "Scan_0042.pdf",
    "Timesheet.xlsx",
];

/// Mail folders that `MailItemsAccessed` names.
pub(crate) const FOLDERS: [&str; 5] = [
    "\\Inbox",
    "\\Sent Items",
    "\\Archive",
    "\\Inbox\\Projects",
    "\\Drafts",
];

impl Emitter<'_> {
    fn exchange(
        &mut self,
        time: Millis,
        place: &Place,
        port: u16,
        kind: ExchangeKind,
    ) -> crate::rng::Guid {
        let body = Exchange {
            user: place.user,
            ip: place.exchange_ip,
            port,
            kind,
        };
        self.push(time, Body::Exchange(Box::new(body)))
    }

    /// Writes an ordinary message sent by the user.
    pub(crate) fn send(
        &mut self,
        time: Millis,
        place: &Place,
        client: MailClient,
    ) -> crate::rng::Guid {
        let subject = *pick(self.rng, &SUBJECTS);
        let attachments = self.rng.random_bool(0.2).then(|| {
            let name = *pick(self.rng, &ATTACHMENTS);
            format!("{name} ({}b)", self.rng.random_range(20_000..2_000_000))
        });
        let size = self.rng.random_range(8_000..120_000);
        let send = Send {
            client,
            subject: Cow::Borrowed(subject),
            size,
            attachments,
        };
        self.exchange(time, place, 0, ExchangeKind::Send(send))
    }

    /// Writes a message with the given subject and attachment text.
    pub(crate) fn send_custom(
        &mut self,
        time: Millis,
        place: &Place,
        client: MailClient,
        subject: &'static str,
        attachments: Option<String>,
    ) -> crate::rng::Guid {
        let size = self.rng.random_range(15_000..40_000);
        let send = Send {
            client,
            subject: Cow::Borrowed(subject),
            size,
            attachments,
        };
        self.exchange(time, place, 0, ExchangeKind::Send(send))
    }

    /// Writes a `MailItemsAccessed` record: a folder synchronisation, or items bound in a few folders.
    pub(crate) fn mail_access(
        &mut self,
        time: Millis,
        place: &Place,
        client: MailClient,
        sync: bool,
    ) -> crate::rng::Guid {
        let folders = if sync {
            vec![(*pick(self.rng, &FOLDERS), 0)]
        } else {
            let count = self.rng.random_range(1..=2);
            (0..count)
                .map(|_| (*pick(self.rng, &FOLDERS[..2]), self.rng.random_range(1..=4)))
                .collect()
        };
        let access = Access {
            client,
            sync,
            folders,
            throttled: false,
        };
        self.exchange(time, place, 0, ExchangeKind::MailItemsAccessed(access))
    }

    /// Writes a `MailItemsAccessed` record binding `items` messages in `folder`.
    pub(crate) fn bulk_access(
        &mut self,
        time: Millis,
        place: &Place,
        client: MailClient,
        folder: &'static str,
        items: u16,
        throttled: bool,
    ) -> crate::rng::Guid {
        let folders = if throttled {
            vec![(folder, 0)]
        } else {
            vec![(folder, items)]
        };
        let access = Access {
            client,
            sync: throttled,
            folders,
            throttled,
        };
        self.exchange(time, place, 0, ExchangeKind::MailItemsAccessed(access))
    }

    /// Writes a deletion of a few items (`MoveToDeletedItems` or `SoftDelete`).
    pub(crate) fn delete(
        &mut self,
        time: Millis,
        place: &Place,
        client: MailClient,
        operation: &'static str,
    ) -> crate::rng::Guid {
        let items = self.rng.random_range(1..=3);
        let kind = ExchangeKind::Delete {
            operation,
            client,
            folder: "\\Inbox",
            items,
        };
        self.exchange(time, place, 0, kind)
    }

    /// Writes an admin cmdlet run from `place`; the source port is drawn from the ephemeral range.
    pub(crate) fn cmdlet(
        &mut self,
        time: Millis,
        place: &Place,
        operation: &'static str,
        object_id: String,
        parameters: Vec<(&'static str, String)>,
    ) -> crate::rng::Guid {
        let port = self.rng.random_range(49_152..65_535);
        let cmdlet = Cmdlet {
            operation,
            object_id,
            parameters,
        };
        self.exchange(time, place, port, ExchangeKind::Cmdlet(cmdlet))
    }
}
