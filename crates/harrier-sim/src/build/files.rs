//! SharePoint and OneDrive file activity.

use std::borrow::Cow;

use rand::Rng;

use crate::build::{Emitter, Place};
use crate::clock::Millis;
use crate::event::{Body, Library, SharePoint};
use crate::rng::{Guid, pick, weighted};

/// File operations of an ordinary working day, with their relative frequency.
const OPERATIONS: [(&str, f64); 6] = [
    ("FileAccessed", 0.45),
    ("FilePreviewed", 0.15),
    ("FileModified", 0.2),
    ("FileDownloaded", 0.1),
    ("FileUploaded", 0.08),
    ("FileRecycled", 0.02),
];

const FOLDERS: [&str; 4] = [
    "Shared Documents",
    "Shared Documents/Projects",
    "Shared Documents/Reports",
    "Documents",
];

const FILES: [&str; 12] = [
    "Quarterly Report.xlsx",
    "Roadmap.pptx",
    "Meeting Notes.docx",
    "Customer List.xlsx",
    "Design Spec.docx",
    "Budget Forecast.xlsx",
    "Onboarding Guide.pdf",
    "Sales Deck.pptx",
    "Invoice Tracker.xlsx",
    "Architecture.vsdx",
    "Policy Handbook.pdf",
    "Team Offsite.docx",
];

impl Emitter<'_> {
    /// Writes one ordinary file operation on the user's team site (`site`) or OneDrive.
    pub(crate) fn file_activity(
        &mut self,
        time: Millis,
        place: &Place,
        site: &'static str,
    ) -> Guid {
        let weights: Vec<f64> = OPERATIONS.iter().map(|(_, weight)| *weight).collect();
        let (operation, _) = OPERATIONS[weighted(self.rng, &weights)];
        let library = if self.rng.random_bool(0.35) {
            Library::OneDrive(place.user)
        } else {
            Library::TeamSite(site)
        };
        let folder = match library {
            Library::OneDrive(_) => "Documents",
            Library::TeamSite(_) => *pick(self.rng, &FOLDERS[..3]),
        };
        let file = SharePoint {
            user: place.user,
            ip: place.ip,
            platform: place.platform,
            operation,
            library,
            folder,
            file_name: Cow::Borrowed(*pick(self.rng, &FILES)),
            shared_with: None,
        };
        self.push(time, Body::SharePoint(Box::new(file)))
    }

    /// Writes a sharing operation: a file on the user's OneDrive shared with a colleague or a guest.
    pub(crate) fn share_file(
        &mut self,
        time: Millis,
        place: &Place,
        with: String,
        guest: bool,
    ) -> Guid {
        let (operation, kind) = if guest {
            ("SharingInvitationCreated", "Guest")
        } else {
            ("SharingSet", "Member")
        };
        let file = SharePoint {
            user: place.user,
            ip: place.ip,
            platform: place.platform,
            operation,
            library: Library::OneDrive(place.user),
            folder: "Documents",
            file_name: Cow::Borrowed(*pick(self.rng, &FILES)),
            shared_with: Some((with, kind)),
        };
        self.push(time, Body::SharePoint(Box::new(file)))
    }
}
