//! SharePoint and OneDrive operations of the unified audit log.

use harrier_model::Activity;

use crate::fields::Fields;

/// Returns the typed activity for a SharePoint or OneDrive operation, or `None` to keep it as a generic event.
pub(super) fn activity(_operation: &str, _record: Fields<'_>) -> Option<Activity> {
    None
}
