//! Exchange Online operations of the unified audit log.

use harrier_model::Activity;

use crate::fields::Fields;

/// Returns the typed activity for an Exchange operation, or `None` to keep it as a generic event.
pub(super) fn activity(_operation: &str, _record: Fields<'_>) -> Option<Activity> {
    None
}
