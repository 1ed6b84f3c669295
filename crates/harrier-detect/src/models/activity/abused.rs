//! The curated list of applications known to be abused in Microsoft 365 takeovers
//! (`data/abused-apps.toml`), compiled into the binary.

use std::sync::OnceLock;

use serde::Deserialize;

/// One listed application.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbusedApp {
    /// The application (client) id, lower-case.
    pub app_id: Option<String>,
    pub name: String,
    pub why: String,
    /// A public write-up of the abuse.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AbusedAppList {
    app: Vec<AbusedApp>,
}

const LIST: &str = include_str!("../../../data/abused-apps.toml");

/// Returns the listed applications.
///
/// # Panics
///
/// Panics when the compiled-in list is not valid TOML of the expected shape; the unit test below parses it.
pub fn list() -> &'static [AbusedApp] {
    static APPS: OnceLock<Vec<AbusedApp>> = OnceLock::new();
    APPS.get_or_init(|| {
        let parsed: AbusedAppList = toml::from_str(LIST).expect("data/abused-apps.toml is valid");
        parsed.app
    })
}

/// Finds a listed application by id, or by display name when the id does not match any entry.
pub fn find(app_id: Option<&str>, name: Option<&str>) -> Option<&'static AbusedApp> {
    let by_id = app_id.and_then(|id| list().iter().find(|app| app.app_id.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(id.trim()))));
    by_id.or_else(|| {
        let name = name?.trim();
        list().iter().find(|app| app.name.eq_ignore_ascii_case(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parses_with_sources() {
        assert!(list().len() >= 4);
        for app in list() {
            assert!(app.source.starts_with("https://"), "{} has no source", app.name);
            assert!(app.app_id.as_deref().is_none_or(|id| id.len() == 36 && id == id.to_ascii_lowercase()), "{}", app.name);
        }
    }

    #[test]
    fn finds_by_id_and_name() {
        assert_eq!(find(Some("FF8D92DC-3D82-41D6-BCBD-B9174D163620"), None).map(|a| a.name.as_str()), Some("PerfectData Software"));
        assert_eq!(find(None, Some("perfectdata software")).map(|a| a.name.as_str()), Some("PerfectData Software"));
        assert!(find(Some("00000000-0000-0000-0000-000000000000"), Some("Contoso CRM")).is_none());
    }
}
