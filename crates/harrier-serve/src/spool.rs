//! The spool source: a folder where exported logs and mail files are dropped, for Postfix-only or
//! export-based deployments.
//!
//! Each poll replays every file in the folder through the same pipeline as `harrier replay`, under the
//! configured tenant, and then moves each file to the done folder, or to `failed/` when it could not be
//! read at all. Files are moved only after the store committed their events, and the store ignores a
//! record it already holds, so a crash between the two stores nothing twice when the file is read again.
//!
//! A writer should create a file under a name starting with `.` or ending in `.tmp` or `.partial` and
//! rename it when complete: such names are skipped, so a half-written file is never read.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use harrier_enrich::IpIntel;
use harrier_ingest::ReadOptions;
use harrier_model::TenantId;
use harrier_pipeline::{MailOptions, NoProgress, ReplayOptions};
use harrier_store::Store;

use crate::source::{PollFuture, PollReport, Source, SourceError};

/// The folder under the spool for files that could not be read.
pub const FAILED_DIR: &str = "failed";

#[derive(Clone)]
pub struct SpoolSource {
    name: String,
    tenant: String,
    dir: PathBuf,
    done_dir: PathBuf,
    interval: Duration,
    data_dir: PathBuf,
    mail: MailOptions,
    intel: Arc<IpIntel>,
}

impl SpoolSource {
    pub fn new(
        tenant: &str,
        config: &crate::config::SpoolConfig,
        data_dir: &Path,
        intel: Arc<IpIntel>,
    ) -> Result<SpoolSource, SourceError> {
        let done_dir = config.done_dir.clone().unwrap_or_else(|| config.dir.join("done"));
        for dir in [&config.dir, &done_dir, &config.dir.join(FAILED_DIR)] {
            std::fs::create_dir_all(dir)
                .map_err(|e| SourceError::new("io", format!("cannot create the spool folder {}: {e}", dir.display())))?;
        }
        Ok(SpoolSource {
            name: "spool".to_owned(),
            tenant: tenant.to_owned(),
            dir: config.dir.clone(),
            done_dir,
            interval: config.poll_interval,
            data_dir: data_dir.to_owned(),
            mail: config.mail_options(),
            intel,
        })
    }

    /// Replays the files waiting now and moves them; runs on a blocking thread.
    fn poll_blocking(&self) -> Result<PollReport, SourceError> {
        let mut report = PollReport::default();
        let files = self.waiting_files()?;
        if files.is_empty() {
            report.stored.insert(self.dir.display().to_string(), 0);
            return Ok(report);
        }
        // The words are read again on each poll with files, so that `harrier learn mail` applies to the next
        // files without a restart.
        let mut mail = self.mail.clone();
        mail.reported = crate::learned::load_model_for_poll(&self.data_dir, &self.tenant);
        let options = ReplayOptions {
            read: ReadOptions { tenant: Some(TenantId::new(self.tenant.clone())), ..ReadOptions::default() },
            threads: 1,
            mail,
        };
        let mut store = Store::open(&self.data_dir).map_err(|e| SourceError::new("store", format!("cannot open the store: {e}")))?;
        let summary = harrier_pipeline::replay(&files, &options, &self.intel, &mut store, &NoProgress)
            .map_err(|e| SourceError::new("store", format!("cannot store the spooled events: {e}")))?;
        drop(store);

        let stream = self.dir.display().to_string();
        report.stored.insert(stream.clone(), summary.records.stored);
        if let Some(range) = summary.time_range {
            let lag = jiff::Timestamp::now().duration_since(range.last);
            report.lag.insert(stream, lag.try_into().unwrap_or(Duration::ZERO));
        }
        if summary.records.skipped > 0 {
            report.errors.insert("skipped_record".to_owned(), summary.records.skipped);
        }
        for file in &summary.files {
            let (target, failed) = match &file.error {
                Some(error) => {
                    tracing::warn!(tenant = %self.tenant, path = %file.path.display(), %error, "spooled file unreadable; moved to failed/");
                    *report.errors.entry("unreadable_file".to_owned()).or_default() += 1;
                    (self.dir.join(FAILED_DIR), true)
                }
                None => (self.done_dir.clone(), false),
            };
            move_into(&file.path, &target)
                .map_err(|e| SourceError::new("io", format!("cannot move {} to {}: {e}", file.path.display(), target.display())))?;
            tracing::info!(tenant = %self.tenant, path = %file.path.display(), records = file.records, failed, "spooled file done");
        }
        Ok(report)
    }

    /// Lists the complete files directly in the spool folder, oldest name first.
    fn waiting_files(&self) -> Result<Vec<PathBuf>, SourceError> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| SourceError::new("io", format!("cannot list the spool folder {}: {e}", self.dir.display())))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| SourceError::new("io", format!("cannot list the spool folder {}: {e}", self.dir.display())))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let incomplete = name.starts_with('.') || name.ends_with(".tmp") || name.ends_with(".partial");
            if !incomplete && entry.file_type().is_ok_and(|t| t.is_file()) {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(files)
    }
}

/// Moves a file into a folder, adding a numbered suffix when the name is taken.
fn move_into(file: &Path, dir: &Path) -> std::io::Result<()> {
    let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let mut target = dir.join(&name);
    let mut n = 1;
    while target.exists() {
        target = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    std::fs::rename(file, target)
}

impl Source for SpoolSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn poll(&mut self) -> PollFuture<'_> {
        Box::pin(async move {
            let this = self.clone();
            tokio::task::spawn_blocking(move || this.poll_blocking())
                .await
                .map_err(|e| SourceError::new("panic", format!("the spool poll failed: {e}")))?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spool(dir: &Path) -> SpoolSource {
        let config = crate::config::SpoolConfig {
            dir: dir.join("spool"),
            done_dir: None,
            poll_interval: Duration::from_secs(1),
            protected_domains: Vec::new(),
            trusted_hops: Vec::new(),
        };
        SpoolSource::new("contoso", &config, &dir.join("data"), Arc::new(IpIntel::embedded().unwrap())).unwrap()
    }

    #[test]
    fn stores_moves_and_skips_partial() {
        let dir = tempfile::tempdir().unwrap();
        let source = spool(dir.path());
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/saas/synthetic/management_activity_exchange.json");
        std::fs::copy(&fixture, dir.path().join("spool/a.json")).unwrap();
        std::fs::copy(&fixture, dir.path().join("spool/b.json.partial")).unwrap();
        std::fs::write(dir.path().join("spool/c.json"), "not a log").unwrap();

        let report = source.poll_blocking().unwrap();
        assert!(report.stored_total() > 0, "{report:?}");
        assert!(dir.path().join("spool/done/a.json").exists());
        assert!(dir.path().join("spool/b.json.partial").exists(), "a partial file is left alone");
        assert!(dir.path().join("spool/failed/c.json").exists(), "an unreadable file moves to failed/");
        assert_eq!(report.errors.get("unreadable_file"), Some(&1));
        let store = Store::open(&dir.path().join("data")).unwrap();
        assert_eq!(store.event_count(Some(&TenantId::new("contoso"))).unwrap(), report.stored_total());

        // The same records again under another name are not stored twice.
        std::fs::copy(&fixture, dir.path().join("spool/a2.json")).unwrap();
        let again = source.poll_blocking().unwrap();
        assert_eq!(again.stored_total(), 0);
        assert!(dir.path().join("spool/done/a2.json").exists());
    }
}
