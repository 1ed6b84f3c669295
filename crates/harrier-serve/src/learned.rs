//! The words that `harrier learn mail` saved per tenant in the analysis database. The CLI commands read
//! them once when they start. The service's spool and collector sources read them before each poll, so
//! new learning applies without a restart.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use harrier_mail::analysis::ReportModel;

/// Loads the words that `harrier learn mail` saved for `tenant` in `data_dir`, if any, without writing to
/// the data directory.
pub fn load_model(data_dir: &Path, tenant: &str) -> anyhow::Result<Option<Arc<ReportModel>>> {
    let model = harrier_detect::AnalysisDb::read_report_model(data_dir, &harrier_model::TenantId::new(tenant))
        .with_context(|| format!("cannot read the learned words of tenant {tenant} in {}", data_dir.display()))?;
    Ok(model.map(Arc::new))
}

/// Loads the learned words for one poll of a source. A failure is logged, and the poll analyses its mail
/// without the words instead of failing.
pub fn load_model_for_poll(data_dir: &Path, tenant: &str) -> Option<Arc<ReportModel>> {
    match load_model(data_dir, tenant) {
        Ok(model) => model,
        Err(error) => {
            tracing::warn!(
                tenant,
                error = format!("{error:#}"),
                "failed to load the learned words, so mail is analysed without them"
            );
            None
        }
    }
}
