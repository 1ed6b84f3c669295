//! The Microsoft 365 collector as a poll-loop source: `[tenant.m365]` and `[tenant.collect]` become a
//! [`harrier_collect::TenantCollector`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use harrier_collect::{CollectorSettings, Credentials, TenantCollector};
use harrier_enrich::IpIntel;
use harrier_model::TenantId;

use crate::config::TenantConfig;
use crate::source::{PollFuture, PollReport, Source, SourceError};

/// A tenant's Microsoft 365 collector, polled every `interval`.
pub struct CollectorSource {
    collector: TenantCollector,
    interval: Duration,
}

impl CollectorSource {
    /// Builds the collector for a tenant with both `[tenant.m365]` and `[tenant.collect]`; returns `None`
    /// when the tenant has no `[tenant.collect]`.
    pub fn from_config(tenant: &TenantConfig, data_dir: &Path, intel: Arc<IpIntel>) -> anyhow::Result<Option<CollectorSource>> {
        let Some(collect) = &tenant.collect else {
            return Ok(None);
        };
        let m365 = tenant
            .m365
            .as_ref()
            .with_context(|| format!("tenant {}: [tenant.collect] needs [tenant.m365] with the application's credentials", tenant.id))?;
        let secret = m365
            .client_secret
            .as_ref()
            .with_context(|| format!("tenant {}: m365.client_secret_env or m365.client_secret_file is missing", tenant.id))?;
        let credentials = Credentials {
            tenant: m365.tenant_id.clone(),
            client_id: m365.client_id.clone(),
            client_secret: secret.expose().to_owned(),
        };
        let mut settings = CollectorSettings::new(TenantId::new(&tenant.id), credentials, data_dir.to_owned());
        settings.authority = m365.authority.clone();
        settings.graph = m365.graph.clone();
        settings.management = m365.management.clone();
        settings.content_types = match (collect.management_activity, collect.content_types.is_empty()) {
            (false, _) => Vec::new(),
            (true, true) => settings.content_types,
            (true, false) => collect.content_types.clone(),
        };
        settings.sign_ins = collect.sign_ins;
        settings.non_interactive_sign_ins = collect.sign_ins;
        settings.directory_audits = collect.directory_audits;
        settings.mailboxes = collect.mailboxes.clone();
        settings.backfill = collect.backfill;
        // Collected mail is analysed with the spool's protected domains and trusted hops when the tenant
        // has a spool, because the config has no other place for them.
        if let Some(spool) = &tenant.spool {
            settings.mail = spool.mail_options();
        }
        let collector = TenantCollector::new(settings, intel).with_context(|| format!("tenant {}: cannot start the collector", tenant.id))?;
        Ok(Some(CollectorSource { collector, interval: collect.poll_interval }))
    }

    /// Loads the tenant's learned words into the collector before a poll, so that `harrier learn mail`
    /// applies without a restart. Only mail uses them, so a collector without mailboxes skips the load.
    async fn reload_learned_words(&mut self) {
        let settings = self.collector.settings();
        if settings.mailboxes.is_empty() {
            return;
        }
        let data_dir = settings.data_dir.clone();
        let tenant = settings.tenant.clone();
        let blocking_tenant = tenant.clone();
        // The SQLite read runs on a blocking thread because it may wait for another connection's lock.
        let load =
            tokio::task::spawn_blocking(move || crate::learned::load_model_for_poll(&data_dir, blocking_tenant.as_str()));
        let words = load.await.unwrap_or_else(|error| {
            tracing::warn!(%tenant, %error, "the task loading the learned words failed, so mail is analysed without them");
            None
        });
        self.collector.set_learned_words(words);
    }
}

impl Source for CollectorSource {
    fn name(&self) -> &str {
        "m365"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn poll(&mut self) -> PollFuture<'_> {
        Box::pin(async move {
            self.reload_learned_words().await;
            let report = self.collector.poll().await.map_err(|error| SourceError::new("collect", format!("{error:#}")))?;
            let mut out = PollReport::default();
            for (name, source) in &report.sources {
                out.stored.insert(name.clone(), source.stored);
                if let Some(lag) = source.lag {
                    out.lag.insert(name.clone(), lag);
                }
                if let Some(error) = &source.last_error {
                    tracing::warn!(tenant = %report.tenant, source = %name, %error, "collector source failed");
                }
            }
            for (kind, count) in report.errors() {
                *out.errors.entry(kind.as_str().to_owned()).or_default() += count;
            }
            Ok(out)
        })
    }
}
