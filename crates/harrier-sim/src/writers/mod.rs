//! Writing records to files: Management Activity content blobs and Graph sign-in pages.
//!
//! Records are written day by day through buffered writers, so memory use does not grow with the
//! number of days. A content blob is a JSON array of one content type's records for one day, as the
//! Management Activity API's `/subscriptions/content` serves it. Sign-ins are written as Graph pages of
//! `graph_page_size` objects; every page but the last carries an `@odata.nextLink`.

mod graph;
mod management;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::clock::Millis;
use crate::directory::{Device, Directory, User};
use crate::error::SimError;
use crate::event::{Body, SimEvent};
use crate::rng::Guid;

pub(crate) use management::ContentType;

/// The folder of Management Activity content blobs inside the output folder.
pub const MANAGEMENT_ACTIVITY_DIR: &str = "management-activity";
/// The folder of Graph sign-in pages inside the output folder.
pub const GRAPH_SIGNINS_DIR: &str = "graph-signins";

/// Tenant names and the directory, which the record writers look up.
pub(crate) struct Context<'a> {
    pub tenant_id: &'a str,
    pub domain: &'a str,
    pub initial_domain: &'a str,
    pub sharepoint_host: &'a str,
    pub onedrive_host: &'a str,
    pub users: &'a [User],
    pub extra_devices: &'a [Device],
}

impl<'a> Context<'a> {
    pub(crate) fn new(directory: &'a Directory, extra_devices: &'a [Device]) -> Self {
        Context {
            tenant_id: &directory.tenant.tenant_id,
            domain: &directory.tenant.domain,
            initial_domain: &directory.tenant.initial_domain,
            sharepoint_host: &directory.tenant.sharepoint_host,
            onedrive_host: &directory.tenant.onedrive_host,
            users: &directory.users,
            extra_devices,
        }
    }

    pub(crate) fn user(&self, index: u32) -> &'a User {
        &self.users[index as usize]
    }
}

/// The kind of file a record was written to, named in labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Destination {
    Blob(ContentType),
    GraphPage,
}

impl Destination {
    pub(crate) fn of(event: &SimEvent) -> Destination {
        match event.body {
            Body::SignIn(_) => Destination::GraphPage,
            Body::Exchange(_) => Destination::Blob(ContentType::Exchange),
            Body::Aad(_) => Destination::Blob(ContentType::AzureActiveDirectory),
            Body::SharePoint(_) => Destination::Blob(ContentType::SharePoint),
        }
    }

    /// Returns the folder, relative to the output folder, the record's file is in.
    pub(crate) fn folder(self) -> String {
        match self {
            Destination::Blob(content_type) => {
                format!("{MANAGEMENT_ACTIVITY_DIR}/{}", content_type.name())
            }
            Destination::GraphPage => GRAPH_SIGNINS_DIR.to_owned(),
        }
    }
}

/// Encodes one record as JSON into `out`.
pub(crate) fn encode(
    ctx: &Context<'_>,
    event: &SimEvent,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let (id, time): (Guid, Millis) = (event.id, event.time);
    match &event.body {
        Body::SignIn(sign_in) => graph::sign_in(ctx, id, time, sign_in, out),
        Body::Exchange(exchange) => management::exchange(ctx, id, time, exchange, out),
        Body::Aad(audit) => management::directory_audit(ctx, id, time, audit, out),
        Body::SharePoint(file) => management::sharepoint(ctx, id, time, file, out),
    }
}

/// Records encoded as JSON, back to back, with the end offset of each.
#[derive(Debug, Default)]
pub(crate) struct Encoded {
    pub bytes: Vec<u8>,
    pub ends: Vec<usize>,
}

impl Encoded {
    /// Encodes `events` in order, replacing what the buffer held and keeping its capacity.
    pub(crate) fn fill(&mut self, ctx: &Context<'_>, events: &[SimEvent]) -> Result<(), SimError> {
        self.bytes.clear();
        self.ends.clear();
        for event in events {
            encode(ctx, event, &mut self.bytes)?;
            self.ends.push(self.bytes.len());
        }
        Ok(())
    }
}

/// One day's content blob of one content type, opened at its first record.
struct Blob {
    path: PathBuf,
    writer: BufWriter<File>,
}

/// Graph sign-in pages, numbered from 1.
struct Pages {
    folder: PathBuf,
    size: usize,
    current: Vec<u8>,
    count: usize,
    number: usize,
}

impl Pages {
    fn add(&mut self, record: &[u8]) -> Result<(), SimError> {
        if self.count == self.size {
            self.flush(true)?;
        }
        if self.count > 0 {
            self.current.extend_from_slice(b",\n");
        }
        self.current.extend_from_slice(record);
        self.count += 1;
        Ok(())
    }

    /// Writes the current page, with a next link when more pages follow.
    fn flush(&mut self, more: bool) -> Result<(), SimError> {
        self.number += 1;
        let path = self.folder.join(format!("signIns-{:06}.json", self.number));
        let mut file =
            BufWriter::with_capacity(1 << 20, File::create(&path).map_err(SimError::io(&path))?);
        let head = format!(
            "{{\"@odata.context\":\"{}\",\n\"value\":[\n",
            graph::ODATA_CONTEXT
        );
        let tail = if more {
            format!(
                "\n],\n\"@odata.nextLink\":\"https://graph.microsoft.com/beta/auditLogs/signIns?$top={}&$skiptoken={:032x}\"}}\n",
                self.size,
                crate::rng::hash(self.number as u64, &[17]) as u128 * 0x1_0000_0001
            )
        } else {
            "\n]}\n".to_owned()
        };
        let written = file
            .write_all(head.as_bytes())
            .and_then(|_| file.write_all(&self.current))
            .and_then(|_| file.write_all(tail.as_bytes()))
            .and_then(|_| file.flush());
        written.map_err(SimError::io(&path))?;
        self.current.clear();
        self.count = 0;
        Ok(())
    }
}

/// Counts of what was written.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub by_destination: BTreeMap<Destination, u64>,
    pub files: usize,
}

/// The output folder's writers.
pub(crate) struct Output {
    root: PathBuf,
    blobs: BTreeMap<ContentType, Blob>,
    pages: Pages,
    pub counts: Counts,
}

impl Output {
    /// Creates the output folders under `root`.
    pub(crate) fn create(root: &Path, page_size: usize) -> Result<Output, SimError> {
        for content_type in ContentType::ALL {
            let folder = root.join(Destination::Blob(content_type).folder());
            std::fs::create_dir_all(&folder).map_err(SimError::io(&folder))?;
        }
        let folder = root.join(GRAPH_SIGNINS_DIR);
        std::fs::create_dir_all(&folder).map_err(SimError::io(&folder))?;
        let pages = Pages {
            folder,
            size: page_size,
            current: Vec::with_capacity(1 << 20),
            count: 0,
            number: 0,
        };
        Ok(Output {
            root: root.to_owned(),
            blobs: BTreeMap::new(),
            pages,
            counts: Counts::default(),
        })
    }

    /// Writes the records of the day named `date` (`YYYY-MM-DD`), encoded by [`Encoded::fill`].
    pub(crate) fn write(
        &mut self,
        date: &str,
        events: &[SimEvent],
        encoded: &Encoded,
    ) -> Result<(), SimError> {
        let mut start = 0;
        for (event, end) in events.iter().zip(&encoded.ends) {
            let record = &encoded.bytes[start..*end];
            start = *end;
            let destination = Destination::of(event);
            *self.counts.by_destination.entry(destination).or_default() += 1;
            match destination {
                Destination::GraphPage => self.pages.add(record)?,
                Destination::Blob(content_type) => self.write_blob(content_type, date, record)?,
            }
        }
        Ok(())
    }

    fn write_blob(
        &mut self,
        content_type: ContentType,
        date: &str,
        record: &[u8],
    ) -> Result<(), SimError> {
        let (blob, first) = match self.blobs.entry(content_type) {
            std::collections::btree_map::Entry::Occupied(entry) => (entry.into_mut(), false),
            std::collections::btree_map::Entry::Vacant(entry) => {
                let path = self
                    .root
                    .join(Destination::Blob(content_type).folder())
                    .join(format!("{date}.json"));
                let file = File::create(&path).map_err(SimError::io(&path))?;
                self.counts.files += 1;
                (
                    entry.insert(Blob {
                        path,
                        writer: BufWriter::with_capacity(1 << 20, file),
                    }),
                    true,
                )
            }
        };
        let separator: &[u8] = if first { b"[\n" } else { b",\n" };
        let written = blob
            .writer
            .write_all(separator)
            .and_then(|_| blob.writer.write_all(record));
        written.map_err(SimError::io(&blob.path))
    }

    /// Closes the day's content blobs.
    pub(crate) fn end_day(&mut self) -> Result<(), SimError> {
        for (_, mut blob) in std::mem::take(&mut self.blobs) {
            let written = blob
                .writer
                .write_all(b"\n]\n")
                .and_then(|_| blob.writer.flush());
            written.map_err(SimError::io(&blob.path))?;
        }
        Ok(())
    }

    /// Closes the day's blobs and writes the last sign-in page.
    pub(crate) fn finish(&mut self) -> Result<(), SimError> {
        self.end_day()?;
        self.pages.flush(false)?;
        self.counts.files += self.pages.number;
        Ok(())
    }
}
